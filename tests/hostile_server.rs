//! The client against a server that misbehaves on purpose: bodies too large (declared, chunked
//! without end, an error body of 50 MiB), answers that leave out what the protocol always
//! returns, a redirect, a body dripped byte by byte, a pooled connection closed under a request.
//! Each ends in a typed error or a retry, and the client's memory stays bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqs_client::operation::*;
use sqs_client::types::SendMessageBatchRequestEntry;
use sqs_client::{Client, Credentials, ErrorKind, RetryConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const Q: &str = "http://127.0.0.1:9/123456789012/jobs";
const JSON: &str = "application/x-amz-json-1.0";

fn client(url: &str) -> sqs_client::ClientBuilder {
    Client::builder()
        .endpoint_url(url)
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKID", "secret"))
        .retry_config(RetryConfig::default().max_attempts(2).backoff(
            Duration::from_millis(1),
            Duration::from_millis(2),
            Duration::from_millis(5),
        ))
}

fn send() -> SendMessageInputBuilder {
    SendMessageInput::builder()
        .queue_url(Q)
        .message_body("hello wire")
}

/// Reads one request (head and Content-Length body); false when the peer closed first.
async fn read_request(stream: &mut TcpStream) -> bool {
    let mut got = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return true;
            }
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn head(status: &str, extra: &str) -> String {
    format!("HTTP/1.1 {status}\r\ncontent-type: {JSON}\r\n{extra}\r\n")
}

/// A server on 127.0.0.1 that hands each connection (numbered from 0) to `serve`. Returns its
/// URL and the number of connections so far; it ends with the test's runtime.
async fn server<F, Fut>(serve: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(n, stream));
        }
    });
    (url, count)
}

/// This process's resident memory, in MiB.
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_refused_and_not_read() {
    // 2 GiB declared: refused from the head.
    let (url, _) = server(|_, mut s| async move {
        if read_request(&mut s).await {
            let _ = s
                .write_all(head("200 OK", "content-length: 2147483648\r\n").as_bytes())
                .await;
            let _ = s.write_all(&[b' '; 4096]).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await;
    let c = client(&url).build().unwrap();
    let err = c.execute(send().build().unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
    assert!(err.message().contains("2147483648"), "{err}");
    assert!(!err.is_retryable());

    // An endless chunked body: refused at the limit (default for JSON: 31 MiB), memory bounded.
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let (url, _) = server(move |_, mut s| {
        let counter = counter.clone();
        async move {
            if !read_request(&mut s).await {
                return;
            }
            let _ = s
                .write_all(head("200 OK", "transfer-encoding: chunked\r\n").as_bytes())
                .await;
            let chunk = vec![b' '; 1 << 20];
            // Bounded: at most 1 GiB, and the client stops reading long before.
            for _ in 0..1024 {
                let framed = s
                    .write_all(b"100000\r\n")
                    .await
                    .and(s.write_all(&chunk).await);
                if framed.and(s.write_all(b"\r\n").await).is_err() {
                    break;
                }
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    })
    .await;
    let before = rss_mib();
    let c = client(&url).build().unwrap();
    let err = c.execute(send().build().unwrap()).await.unwrap_err();
    let after = rss_mib();
    println!(
        "endless body: refused after the server wrote {} MiB; RSS {before} -> {after} MiB",
        sent.load(Ordering::SeqCst)
    );
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
    assert!(sent.load(Ordering::SeqCst) < 128, "the client kept reading");
    assert!(after < before + 96, "RSS grew from {before} to {after} MiB");

    // A configured limit applies to both ways of telling the size.
    let (url, _) = server(|_, mut s| async move {
        if read_request(&mut s).await {
            let body = format!(
                r#"{{"MessageId":"m1","MD5OfMessageBody":"3eeebf6b04a9821afe3b68830b7038f9","Pad":"{}"}}"#,
                " ".repeat(4096)
            );
            let extra = format!("content-length: {}\r\n", body.len());
            let _ = s.write_all(head("200 OK", &extra).as_bytes()).await;
            let _ = s.write_all(body.as_bytes()).await;
        }
    })
    .await;
    let small = client(&url).max_response_bytes(1024).build().unwrap();
    let err = small.execute(send().build().unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");
    let roomy = client(&url).build().unwrap();
    roomy.execute(send().build().unwrap()).await.unwrap();
}

#[tokio::test]
async fn a_huge_error_body_is_refused_and_error_messages_stay_short() {
    // A 50 MiB error body: over the limit, not read.
    let (url, _) = server(|_, mut s| async move {
        if read_request(&mut s).await {
            let extra = format!("content-length: {}\r\n", 50 << 20);
            let _ = s
                .write_all(head("400 Bad Request", &extra).as_bytes())
                .await;
            let _ = s
                .write_all(br#"{"__type":"InvalidParameterValue","message":""#)
                .await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await;
    let err = client(&url)
        .build()
        .unwrap()
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResponseTooLarge, "{err}");

    // A 5 MiB message within the limit: the error keeps 1 KiB of it, and says how long it was.
    let (url, _) = server(|_, mut s| async move {
        if read_request(&mut s).await {
            let body = format!(
                r#"{{"__type":"com.amazonaws.sqs#InvalidParameterValue","message":"{}"}}"#,
                "x".repeat(5 << 20)
            );
            let extra = format!("content-length: {}\r\n", body.len());
            let _ = s
                .write_all(head("400 Bad Request", &extra).as_bytes())
                .await;
            let _ = s.write_all(body.as_bytes()).await;
        }
    })
    .await;
    let err = client(&url)
        .build()
        .unwrap()
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    assert!(err.message().len() < 1100, "{}", err.message().len());
    assert!(
        err.message().ends_with("(5242880 bytes in all)"),
        "{}",
        &err.message()[1000..]
    );
    assert!(err.to_string().len() < 1300);
}

/// A server that answers every request with `status` and `body`.
async fn answering(status: &'static str, body: String) -> String {
    let body = Arc::new(body);
    server(move |_, mut s| {
        let body = body.clone();
        async move {
            while read_request(&mut s).await {
                let extra = format!("content-length: {}\r\n", body.len());
                let _ = s.write_all(head(status, &extra).as_bytes()).await;
                let _ = s.write_all(body.as_bytes()).await;
            }
        }
    })
    .await
    .0
}

#[tokio::test]
async fn answers_without_what_the_protocol_always_returns_are_errors() {
    // `200 {}` to a send is not a sent message.
    let url = answering("200 OK", "{}".into()).await;
    let err = client(&url)
        .build()
        .unwrap()
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedResponse, "{err}");
    assert!(err.message().contains("MessageId"), "{err}");
    // Whitespace only, likewise.
    let url = answering("200 OK", " ".repeat(100_000)).await;
    let err = client(&url)
        .build()
        .unwrap()
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedResponse, "{err}");

    // A message id without the body's digest: it cannot be checked, so the check fails; with
    // digest checks off, the send stands.
    let url = answering("200 OK", r#"{"MessageId":"m1"}"#.into()).await;
    let err = client(&url)
        .build()
        .unwrap()
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    assert!(err.message().contains("MD5OfMessageBody"), "{err}");
    let unchecked = client(&url).skip_checksums(true).build().unwrap();
    let out = unchecked.execute(send().build().unwrap()).await.unwrap();
    assert_eq!(out.message_id.as_deref(), Some("m1"));

    // A batch answer that mentions only one of three entries, and one without a message id.
    let url = answering(
        "200 OK",
        r#"{"Successful":[{"Id":"a","MessageId":"m1","MD5OfMessageBody":"0cc175b9c0f1b6a831c399e269772661"},{"Id":"b","MessageId":"","MD5OfMessageBody":"92eb5ffee6ae2fec3ad71c777531578f"}],"Failed":[]}"#.into(),
    )
    .await;
    let entries = ["a", "b", "c"].map(|id| {
        SendMessageBatchRequestEntry::builder()
            .id(id)
            .message_body(id)
            .build()
            .unwrap()
    });
    let batch = SendMessageBatchInput::builder()
        .queue_url(Q)
        .set_entries(Some(entries.to_vec()))
        .build()
        .unwrap();
    let out = client(&url).build().unwrap().execute(batch).await.unwrap();
    let ok: Vec<&str> = out.successful.iter().map(|e| e.id.as_str()).collect();
    let mut failed: Vec<(&str, &str, bool)> = out
        .failed
        .iter()
        .map(|e| (e.id.as_str(), e.code.as_str(), e.sender_fault))
        .collect();
    failed.sort();
    assert_eq!(ok, ["a"]);
    assert_eq!(
        failed,
        [
            ("b", sqs_client::INCOMPLETE_ANSWER_CODE, false),
            ("c", sqs_client::INCOMPLETE_ANSWER_CODE, false)
        ]
    );
}

#[tokio::test]
async fn redirects_are_not_followed_and_a_dripped_body_times_out() {
    let (url, count) = server(|_, mut s| async move {
        if read_request(&mut s).await {
            let _ = s
                .write_all(
                    head(
                        "307 Temporary Redirect",
                        "location: http://127.0.0.1:9/elsewhere\r\ncontent-length: 0\r\n",
                    )
                    .as_bytes(),
                )
                .await;
        }
    })
    .await;
    let err = client(&url)
        .build()
        .unwrap()
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service, "{err}");
    assert_eq!(err.http_status(), Some(307));
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "a 3xx is neither followed nor retried"
    );

    // One byte of the body every 100 ms: the attempt timeout ends it, and the retry too.
    let (url, count) = server(|_, mut s| async move {
        if read_request(&mut s).await {
            let _ = s
                .write_all(head("200 OK", "content-length: 1000\r\n").as_bytes())
                .await;
            for _ in 0..1000 {
                if s.write_all(b" ").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    })
    .await;
    let c = client(&url)
        .attempt_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = c.execute(send().build().unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_pooled_connection_closed_under_a_request_is_retried_on_a_fresh_one() {
    // The first connection answers one request, keeps alive, then reads the next request and
    // closes without a byte of answer (a server's idle timeout racing the client's reuse).
    let (url, count) = server(|n, mut s| async move {
        let ok = r#"{"MessageId":"m1","MD5OfMessageBody":"3eeebf6b04a9821afe3b68830b7038f9"}"#;
        let extra = format!("content-length: {}\r\n", ok.len());
        while read_request(&mut s).await {
            let _ = s.write_all(head("200 OK", &extra).as_bytes()).await;
            let _ = s.write_all(ok.as_bytes()).await;
            if n == 0 {
                let _ = read_request(&mut s).await;
                return;
            }
        }
    })
    .await;
    let c = client(&url).build().unwrap();
    c.execute(send().build().unwrap()).await.unwrap();
    let out = c.execute(send().build().unwrap()).await.unwrap();
    assert_eq!(out.message_id.as_deref(), Some("m1"));
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "the second send went out again on a new connection"
    );
}
