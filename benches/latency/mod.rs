//! `cargo bench --bench client -- latency [MS ...]`: the Batcher and the consumer against a
//! service that answers every request after a fixed latency (default 0, 5, 20 and 100 ms), with
//! their default settings. For each latency, a fake endpoint of its own (a child process) and:
//!
//! - the Batcher with 1, 16, 256 and 1,024 callers, each sending one message at a time and
//!   waiting for its answer: messages per second, and that as a share of the callers' own bound
//!   (callers / (latency + linger): no batcher can answer a caller sooner than the service
//!   answers the batch); SendMessageBatch requests per message (what SQS bills); client CPU per
//!   message; and, with one caller, its mean wait next to a plain SendMessage's;
//! - `consumer().process(..)` with a no-op handler (640 handlers, 64 receivers): messages
//!   received, handled and deleted per second, ReceiveMessage and DeleteMessageBatch requests per
//!   message, client CPU per message.
//!
//! Requests are counted by the fake endpoint (`GET /stats`), not by the client.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

use sqs_client::operation::SendMessageInput;
use sqs_client::{Batcher, Client};

use super::{QUEUE, cpu_seconds};

/// How long each case runs.
const RUN: Duration = Duration::from_secs(3);

pub(crate) fn run(runtime: &tokio::runtime::Runtime, delays: &[u64]) {
    println!(
        "latency | callers | msgs/s | share of callers' bound | requests/msg | CPU us/msg | lone caller wait"
    );
    for &delay in delays {
        let (_server, client, port) = super::start_with_delay(runtime, delay);
        runtime.block_on(async {
            // Connections and caches warmed up.
            let batcher = Batcher::new(client.clone());
            callers(&batcher, 16, Duration::from_millis(300)).await;
            batcher.close().await;
            let plain = plain_wait(&client, delay).await;
            for n in [1usize, 16, 256, 1024] {
                let batcher = Batcher::new(client.clone());
                let linger = batcher.config().linger;
                let before = stats(port).await;
                let cpu0 = cpu_seconds("self");
                let t0 = Instant::now();
                let (sent, waited) = callers(&batcher, n, RUN).await;
                let wall = t0.elapsed().as_secs_f64();
                let cpu = cpu_seconds("self") - cpu0;
                batcher.close().await;
                let requests = stats(port).await["SendMessageBatch"] - before["SendMessageBatch"];
                let rate = sent as f64 / wall;
                let bound = n as f64 / (Duration::from_millis(delay) + linger).as_secs_f64();
                let lone = if n == 1 {
                    format!(
                        "{:.2} ms (plain SendMessage {:.2} ms, linger {} ms)",
                        waited.as_secs_f64() * 1e3 / sent.max(1) as f64,
                        plain.as_secs_f64() * 1e3,
                        linger.as_millis()
                    )
                } else {
                    String::new()
                };
                println!(
                    "{delay:>4} ms | {n:>5} | {rate:>8.0} | {:>5.1}% of {bound:.0} | {:.3} | {:.1} | {lone}",
                    100.0 * rate / bound,
                    requests as f64 / sent.max(1) as f64,
                    cpu * 1e6 / sent.max(1) as f64,
                );
            }
            let before = stats(port).await;
            let cpu0 = cpu_seconds("self");
            let t0 = Instant::now();
            let handled = consume(&client).await;
            let wall = t0.elapsed().as_secs_f64();
            let cpu = cpu_seconds("self") - cpu0;
            let after = stats(port).await;
            let per = |name: &str| (after[name] - before[name]) as f64 / handled.max(1) as f64;
            println!(
                "{delay:>4} ms | consumer, 640 handlers, 64 receivers: {:.0} msgs/s received, handled and deleted; {:.3} ReceiveMessage + {:.3} DeleteMessageBatch requests/msg; CPU {:.1} us/msg",
                handled as f64 / wall,
                per("ReceiveMessage"),
                per("DeleteMessageBatch"),
                cpu * 1e6 / handled.max(1) as f64
            );
        });
    }
}

fn message() -> SendMessageInput {
    SendMessageInput::builder()
        .queue_url(QUEUE)
        .message_body("x".repeat(1024))
        .build()
        .unwrap()
}

/// `n` callers, each sending one message at a time through `batcher` until `run` is over;
/// returns the messages sent and the time callers waited for them in all.
async fn callers(batcher: &Batcher, n: usize, run: Duration) -> (u64, Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (batcher, stop) = (batcher.clone(), Arc::clone(&stop));
            tokio::spawn(async move {
                let (mut sent, mut waited) = (0u64, Duration::ZERO);
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    batcher.send_message(message()).await.unwrap();
                    waited += t.elapsed();
                    sent += 1;
                }
                (sent, waited)
            })
        })
        .collect();
    tokio::time::sleep(run).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = (0, Duration::ZERO);
    for t in tasks {
        let (sent, waited) = t.await.unwrap();
        total = (total.0 + sent, total.1 + waited);
    }
    total
}

/// The mean wait of a plain SendMessage, one at a time.
async fn plain_wait(client: &Client, delay: u64) -> Duration {
    let n = (500 / (delay + 1)).clamp(10, 200) as u32;
    let t = Instant::now();
    for _ in 0..n {
        client.execute(message()).await.unwrap();
    }
    t.elapsed() / n
}

/// Runs a consumer with a no-op handler for [`RUN`]; returns the messages handled and deleted.
async fn consume(client: &Client) -> u64 {
    let consumer = client
        .consumer(QUEUE)
        .receivers(64)
        .wait_time_seconds(0)
        .build();
    let stop = consumer.shutdown_handle();
    let process = tokio::spawn(consumer.process(640, |_message| async { Ok::<(), String>(()) }));
    tokio::time::sleep(RUN).await;
    stop.shutdown();
    let summary = process.await.unwrap();
    assert_eq!(summary.settle_errors, 0, "{summary:?}");
    summary.acked
}

/// The fake endpoint's request counts by operation (`GET /stats`).
async fn stats(port: u16) -> HashMap<String, u64> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream
        .write_all(b"GET /stats HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    let answer = tokio::time::timeout(
        Duration::from_secs(5),
        super::limit::read_message(&mut stream, &mut Vec::new()),
    )
    .await
    .expect("the fake endpoint answers in time")
    .expect("the fake endpoint answers");
    let text = String::from_utf8_lossy(&answer);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    body.lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(name, n)| (name.to_owned(), n.parse().unwrap_or(0)))
        .collect()
}
