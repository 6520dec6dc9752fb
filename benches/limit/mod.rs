//! The limit of the set-up, measured in the same run as the client: the same SendMessage
//! request, byte for byte as our client writes it (captured once), sent again and again over
//! keep-alive connections with no signing, no encoding and no checks, on the same runtime, to
//! the same fake endpoint. A client figure is printed as a share of this one, which travels
//! between machines where absolute figures do not.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use sqs_client::{Client, Credentials};

use super::QUEUE;

/// One SendMessage with a 1 KiB body as our client puts it on the wire (head and body), taken
/// by answering it once from a listener of our own.
pub(crate) async fn captured_send() -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = Client::builder()
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKIDBENCH", "secret"))
        .build()
        .unwrap();
    let body = "x".repeat(1024);
    let digest = hex::encode(Md5::digest(body.as_bytes()));
    let send = tokio::spawn(async move {
        client
            .send_message()
            .queue_url(QUEUE)
            .message_body(body)
            .send()
            .await
    });
    let (mut stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the client connects")
        .unwrap();
    let request = read_message(&mut stream, &mut Vec::new()).await.unwrap();
    let answer = format!(r#"{{"MD5OfMessageBody":"{digest}","MessageId":"m-1"}}"#);
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{answer}",
        answer.len()
    );
    stream.write_all(response.as_bytes()).await.unwrap();
    send.await
        .unwrap()
        .expect("the captured request was answered");
    request
}

/// Reads one HTTP message (head and `content-length` body) from `stream`, keeping what follows
/// it in `buf`; `None` once the peer is gone.
async fn read_message(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let blank_line = memchr::memmem::Finder::new(b"\r\n\r\n");
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(at) = blank_line.find(buf) {
            let head = String::from_utf8_lossy(&buf[..at]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            let total = at + 4 + length;
            if buf.len() >= total {
                let rest = buf.split_off(total);
                return Some(std::mem::replace(buf, rest));
            }
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Sends `request` `n` times over `concurrency` keep-alive connections to 127.0.0.1:`port`,
/// each waiting for its answer before the next; returns `n`.
pub(crate) async fn raw_sends(
    port: u16,
    request: Arc<[u8]>,
    n: usize,
    concurrency: usize,
) -> usize {
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (request, next) = (Arc::clone(&request), Arc::clone(&next));
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let mut buf = Vec::with_capacity(16 * 1024);
                while next.fetch_add(1, Ordering::Relaxed) < n {
                    stream.write_all(&request).await.unwrap();
                    read_message(&mut stream, &mut buf)
                        .await
                        .expect("the fake endpoint answers");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    n
}
