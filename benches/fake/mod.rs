//! The fake SQS endpoint of the client bench, run in a child process (`--serve PORT [DELAY_MS]`):
//! it answers SendMessage, SendMessageBatch, ReceiveMessage, DeleteMessage and the delete and
//! visibility batches in AWS JSON 1.0 with correct MD5 digests, over keep-alive HTTP/1.1. It
//! does per request what a real service must at the least: reads the request's JSON, computes
//! the digest of every body and a random id for every message, so that its cost can be
//! compared with another server's (measured: about 25 µs of its CPU per SendMessage on the
//! bench machine). With a delay, every answer
//! leaves that long after its request arrived, as a service's latency would make it. `GET
//! /stats` answers the requests served so far, by operation.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Requests served, by [`Target`].
static SERVED: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];
/// Receipt handles handed out so far: each received message gets its own.
static HANDLES: AtomicU64 = AtomicU64::new(0);

/// Serves on 127.0.0.1:`port` until the process is killed, answering each request `delay` after
/// it arrived.
pub(crate) async fn serve(port: u16, delay: Duration) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let body = "x".repeat(1024);
    let message = |i: usize| {
        // Ten different bodies, so that no digest can be reused.
        let body = format!("{i}{}", &body[1..]);
        format!(
            r#"{{"MessageId": "m{i}", "ReceiptHandle": "rh-{i}", "MD5OfBody": "{}", "Body": "{body}"}}"#,
            hex::encode(Md5::digest(body.as_bytes()))
        )
    };
    let one: Arc<str> = format!(r#"{{"Messages": [{}]}}"#, message(0)).into();
    let ten: Vec<String> = (0..10).map(message).collect();
    let ten: Arc<str> = format!(r#"{{"Messages": [{}]}}"#, ten.join(", ")).into();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(connection(stream, one.clone(), ten.clone(), delay));
    }
}

/// The `/stats` answer: requests served by operation, as `name count` lines.
fn stats() -> String {
    let names = [
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibilityBatch",
        "other",
    ];
    names
        .iter()
        .zip(&SERVED)
        .map(|(name, n)| format!("{name} {}\n", n.load(Ordering::Relaxed)))
        .collect()
}

/// A ReceiveMessage answer whose receipt handles are new: `rh-N-` in place of each `rh-`.
fn fresh_handles(template: &str, out: &mut String) {
    let mut rest = template;
    while let Some(at) = rest.find("\"rh-") {
        out.push_str(&rest[..at + 4]);
        let _ = write!(out, "{}-", HANDLES.fetch_add(1, Ordering::Relaxed));
        rest = &rest[at + 4..];
    }
    out.push_str(rest);
}

/// The operations the fake tells apart by their `X-Amz-Target`.
#[derive(Clone, Copy)]
enum Target {
    Send,
    Batch,
    Receive,
    DeleteBatch,
    VisibilityBatch,
    Other,
}

/// One keep-alive connection. Requests are read into one buffer kept for the connection's life
/// and answered from where they lie in it: a request costs no allocation and no copy of its own.
/// `one` and `ten` answer a ReceiveMessage asking for one message and for ten.
async fn connection(
    mut stream: tokio::net::TcpStream,
    one: Arc<str>,
    ten: Arc<str>,
    delay: Duration,
) {
    let _ = stream.set_nodelay(true);
    let mut buf = vec![0u8; 64 * 1024];
    let (mut start, mut end) = (0usize, 0usize);
    let (mut answer, mut response) = (String::new(), String::new());
    let blank_line = memchr::memmem::Finder::new(b"\r\n\r\n");
    loop {
        let head_len = loop {
            if let Some(i) = blank_line.find(&buf[start..end]) {
                break i + 4;
            }
            if !fill(&mut stream, &mut buf, &mut start, &mut end).await {
                return;
            }
        };
        let arrived = tokio::time::Instant::now();
        let (length, target, get) = head(&buf[start..start + head_len]);
        while end - start < head_len + length {
            if !fill(&mut stream, &mut buf, &mut start, &mut end).await {
                return;
            }
        }
        let request = &buf[start + head_len..start + head_len + length];
        answer.clear();
        if !get {
            SERVED[target as usize].fetch_add(1, Ordering::Relaxed);
        }
        match target {
            _ if get => answer.push_str(&stats()),
            Target::Send => {
                let request: Request = serde_json::from_slice(request).unwrap_or_default();
                let body = request.message_body.unwrap_or_default();
                answer.push_str(r#"{"MD5OfMessageBody": ""#);
                answer.push_str(&hex::encode(Md5::digest(body.as_bytes())));
                answer.push_str(r#"", "MessageId": ""#);
                push_uuid(&mut answer);
                answer.push_str(r#""}"#);
            }
            Target::Receive => {
                let asks_ten = memchr::memmem::find(request, br#""MaxNumberOfMessages":10"#);
                fresh_handles(if asks_ten.is_some() { &ten } else { &one }, &mut answer);
            }
            Target::DeleteBatch | Target::VisibilityBatch => {
                let request: Request = serde_json::from_slice(request).unwrap_or_default();
                answer.push_str(r#"{"Successful": ["#);
                for (i, entry) in request.entries.iter().enumerate() {
                    if i > 0 {
                        answer.push(',');
                    }
                    answer.push_str(r#"{"Id": ""#);
                    answer.push_str(&entry.id);
                    answer.push_str(r#""}"#);
                }
                answer.push_str(r#"], "Failed": []}"#);
            }
            Target::Batch => {
                let request: Request = serde_json::from_slice(request).unwrap_or_default();
                answer.push_str(r#"{"Successful": ["#);
                for (i, entry) in request.entries.iter().enumerate() {
                    if i > 0 {
                        answer.push(',');
                    }
                    let body = entry.message_body.as_deref().unwrap_or_default();
                    answer.push_str(r#"{"Id": ""#);
                    answer.push_str(&entry.id);
                    answer.push_str(r#"", "MD5OfMessageBody": ""#);
                    answer.push_str(&hex::encode(Md5::digest(body.as_bytes())));
                    answer.push_str(r#"", "MessageId": ""#);
                    push_uuid(&mut answer);
                    answer.push_str(r#""}"#);
                }
                answer.push_str(r#"], "Failed": []}"#);
            }
            Target::Other => answer.push_str("{}"),
        }
        start += head_len + length;
        if start == end {
            (start, end) = (0, 0);
        }
        if !delay.is_zero() && !get {
            tokio::time::sleep_until(arrived + delay).await;
        }
        // Head and body in one write: one segment, one wake-up of the client.
        response.clear();
        let _ = write!(
            response,
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\nx-amzn-requestid: r\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Reads more of the connection into `buf[end..]`, first making room (moving what is unread to
/// the front, or growing the buffer for a request larger than it). False once the peer is gone.
async fn fill(
    stream: &mut tokio::net::TcpStream,
    buf: &mut Vec<u8>,
    start: &mut usize,
    end: &mut usize,
) -> bool {
    if *end == buf.len() {
        if *start > 0 {
            buf.copy_within(*start..*end, 0);
            (*start, *end) = (0, *end - *start);
        } else {
            buf.resize(buf.len() * 2, 0);
        }
    }
    match stream.read(&mut buf[*end..]).await {
        Ok(n) if n > 0 => {
            *end += n;
            true
        }
        _ => false,
    }
}

/// A request head's `Content-Length`, target, and whether it is a GET (of `/stats`).
fn head(head: &[u8]) -> (usize, Target, bool) {
    let (mut length, mut target) = (0, Target::Other);
    let get = head.starts_with(b"GET ");
    for line in head.split(|&b| b == b'\n') {
        let line = std::str::from_utf8(line).unwrap_or_default();
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().unwrap_or(0);
        } else if name.eq_ignore_ascii_case("x-amz-target") {
            target = match value {
                "AmazonSQS.SendMessage" => Target::Send,
                "AmazonSQS.SendMessageBatch" => Target::Batch,
                "AmazonSQS.ReceiveMessage" => Target::Receive,
                "AmazonSQS.DeleteMessageBatch" => Target::DeleteBatch,
                "AmazonSQS.ChangeMessageVisibilityBatch" => Target::VisibilityBatch,
                _ => Target::Other,
            };
        }
    }
    (length, target, get)
}

/// The members of a request the fake reads (the others are ignored).
#[derive(Default, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    #[serde(default)]
    message_body: Option<String>,
    #[serde(default)]
    entries: Vec<Entry>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    id: String,
    #[serde(default)]
    message_body: Option<String>,
}

/// A random version 4 UUID, as SQS gives message ids.
fn push_uuid(out: &mut String) {
    let (a, b) = (fastrand::u64(..), fastrand::u64(..));
    let _ = write!(
        out,
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    );
}
