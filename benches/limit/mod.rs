//! The limit of the set-up, measured in the same run as the client: the same SendMessage
//! request, byte for byte as our client writes it (captured once), sent again and again over
//! keep-alive connections with no signing, no encoding and no checks, on the same runtime, to
//! the same fake endpoint. A client figure is printed as a share of this one, which travels
//! between machines where absolute figures do not.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use sqs_client::Client;

use super::QUEUE;

/// One request as our client puts it on the wire (head and body), taken from a listener of
/// our own: `send` is given a client of that listener and sends the request (its outcome is
/// not awaited: the listener only reads).
pub(crate) async fn captured<F, Fut>(send: F) -> Vec<u8>
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future + Send + 'static,
    Fut::Output: Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sending = tokio::spawn(send(super::client_of(port)));
    let (mut stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the client connects")
        .unwrap();
    let request = read_message(&mut stream, &mut Vec::new()).await.unwrap();
    sending.abort();
    request
}

/// A SendMessage with a 1 KiB body.
pub(crate) async fn captured_send() -> Vec<u8> {
    captured(|client| async move {
        let _ = client
            .send_message()
            .queue_url(QUEUE)
            .message_body("x".repeat(1024))
            .send()
            .await;
    })
    .await
}

/// A SendMessageBatch of ten 1 KiB bodies, as the Batcher makes it.
pub(crate) async fn captured_batch() -> Vec<u8> {
    captured(|client| async move {
        let batcher = sqs_client::Batcher::new(client);
        let sends: Vec<_> = (0..10)
            .map(|_| {
                let batcher = batcher.clone();
                tokio::spawn(async move {
                    let input = sqs_client::operation::SendMessageInput::builder()
                        .queue_url(QUEUE)
                        .message_body("x".repeat(1024))
                        .build()
                        .unwrap();
                    let _ = batcher.send_message(input).await;
                })
            })
            .collect();
        for s in sends {
            let _ = s.await;
        }
    })
    .await
}

/// Reads one HTTP message (head and `content-length` body) from `stream`, keeping what follows
/// it in `buf`; `None` once the peer is gone.
pub(crate) async fn read_message(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
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

/// Runs the loop `each` makes (one that takes turns from the counter it is given, shared by all)
/// in the calling future when `tasks` is 0, else in `tasks` spawned tasks at once; returns what
/// each loop returned.
pub(crate) async fn spread<T, F, Fut>(tasks: usize, each: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Arc<AtomicUsize>) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    if tasks == 0 {
        return vec![each(next).await];
    }
    let workers: Vec<_> = (0..tasks)
        .map(|_| tokio::spawn(each(Arc::clone(&next))))
        .collect();
    let mut done = Vec::with_capacity(tasks);
    for w in workers {
        done.push(w.await.unwrap());
    }
    done
}

/// Sends `request` `n` times over `tasks` keep-alive connections to 127.0.0.1:`port`, each
/// from a task of its own waiting for its answer before the next (`tasks` 0: one connection,
/// from the calling future); returns `n`.
pub(crate) async fn raw_sends(port: u16, request: Arc<[u8]>, n: usize, tasks: usize) -> usize {
    spread(tasks, |next| {
        let request = Arc::clone(&request);
        async move { raw_loop(port, &request, &next, n).await }
    })
    .await;
    n
}

/// Sends `request` `n` times through a bare `reqwest::Client` set up as ours is (no delay, no
/// redirects), from `tasks` tasks as [`raw_sends`] does: the same head and body, with no
/// signing, no encoding and no checks. What is left between this and the limit is the HTTP
/// client's own cost, which the design takes with reqwest; what is left between our client and
/// this is ours. Returns `n`.
pub(crate) async fn reqwest_sends(port: u16, request: &[u8], n: usize, tasks: usize) -> usize {
    let (headers, body) = parts_of(request);
    let url = reqwest::Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let http = reqwest::Client::builder()
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    spread(tasks, |next| {
        let (http, url, headers, body) = (http.clone(), url.clone(), headers.clone(), body.clone());
        async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let mut request = reqwest::Request::new(reqwest::Method::POST, url.clone());
                *request.headers_mut() = headers.clone();
                *request.body_mut() = Some(body.clone().into());
                let response = http
                    .execute(request)
                    .await
                    .expect("the fake endpoint answers");
                assert!(response.status().is_success());
                response.bytes().await.expect("the fake endpoint answers");
            }
        }
    })
    .await;
    n
}

/// The headers (less those reqwest writes itself) and the body of a captured request.
fn parts_of(request: &[u8]) -> (HeaderMap, bytes::Bytes) {
    let at = memchr::memmem::find(request, b"\r\n\r\n").expect("a whole request");
    let head = std::str::from_utf8(&request[..at]).expect("a head in ASCII");
    let mut headers = HeaderMap::new();
    for line in head.lines().skip(1) {
        let (name, value) = line.split_once(':').expect("a header line");
        let name = HeaderName::from_bytes(name.trim().as_bytes()).unwrap();
        if name != reqwest::header::HOST && name != reqwest::header::CONTENT_LENGTH {
            headers.append(name, HeaderValue::from_str(value.trim()).unwrap());
        }
    }
    (headers, bytes::Bytes::copy_from_slice(&request[at + 4..]))
}

/// One connection sending `request` while `next` counts below `n`.
async fn raw_loop(port: u16, request: &[u8], next: &AtomicUsize, n: usize) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut buf = Vec::with_capacity(16 * 1024);
    while next.fetch_add(1, Ordering::Relaxed) < n {
        stream.write_all(request).await.unwrap();
        read_message(&mut stream, &mut buf)
            .await
            .expect("the fake endpoint answers");
    }
}
