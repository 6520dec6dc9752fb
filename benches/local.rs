//! sqs-local throughput with our client: sequential SendMessage, then send -> receive -> delete
//! with 1 and 64 clients, one message per request and ten per request (batches). Prints
//! messages per second, the p50 and p99 time of one client's send -> receive -> delete round,
//! and the service's CPU per message (its runtime thread's, read from /proc). The service runs
//! in this process on its own runtime thread, the client on another (2 cores in all on the
//! reference machine).
//!
//! `cargo bench --bench local`. To measure another SQS-compatible server the same way (for
//! example LocalStack), give its endpoint: `SQS_BENCH_ENDPOINT=http://127.0.0.1:4566 cargo bench
//! --bench local`. `SQS_BENCH_SECONDS` sets the length of each run (default 5).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqs_client::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use sqs_client::{Client, Credentials};

#[path = "procfs/mod.rs"]
mod procfs;

/// CPU seconds (user + system) of this process's threads named `name`, from /proc.
fn thread_cpu(name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .map(|t| procfs::cpu_seconds(&t.path().join("stat").to_string_lossy()))
        .sum()
}

/// The service's runtime thread.
const SERVER_THREAD: &str = "sqs-local-srv";

/// What one run of [`cycle`] measured.
struct Cycles {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    server_us: f64,
}

fn client(endpoint: &str) -> Client {
    Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new("test", "test"))
        .build()
        .expect("a client")
}

async fn queue(c: &Client, name: &str) -> String {
    let url = c
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("a queue URL");
    let _ = c.purge_queue().queue_url(&url).send().await;
    url
}

async fn sequential_sends(c: &Client, url: &str, run: Duration) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < run {
        c.send_message()
            .queue_url(url)
            .message_body("x".repeat(1024))
            .send()
            .await
            .expect("SendMessage");
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// `clients` workers that each send `per_request` messages, receive up to that many and delete
/// what they received, until the time is up; returns deleted messages per second, the p50 and
/// p99 of a round's time, and the service's CPU per message.
async fn cycle(c: &Client, url: &str, clients: usize, per_request: usize, run: Duration) -> Cycles {
    let done = Arc::new(AtomicU64::new(0));
    let server0 = thread_cpu(SERVER_THREAD);
    let start = Instant::now();
    let mut workers = Vec::new();
    for w in 0..clients {
        let (c, url, done) = (c.clone(), url.to_owned(), Arc::clone(&done));
        workers.push(tokio::spawn(async move {
            let body = "x".repeat(1024);
            let mut rounds = Vec::new();
            while start.elapsed() < run {
                let round = Instant::now();
                if per_request == 1 {
                    c.send_message()
                        .queue_url(&url)
                        .message_body(&body)
                        .send()
                        .await
                        .expect("SendMessage");
                } else {
                    let entries = (0..per_request)
                        .map(|i| {
                            SendMessageBatchRequestEntry::builder()
                                .id(format!("w{w}m{i}"))
                                .message_body(&body)
                                .build()
                                .unwrap()
                        })
                        .collect();
                    c.send_message_batch()
                        .queue_url(&url)
                        .set_entries(Some(entries))
                        .send()
                        .await
                        .expect("SendMessageBatch");
                }
                let messages = c
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(per_request as i32)
                    .send()
                    .await
                    .expect("ReceiveMessage")
                    .messages
                    .unwrap_or_default();
                if messages.is_empty() {
                    rounds.push(round.elapsed());
                    continue;
                }
                let n = messages.len() as u64;
                if per_request == 1 {
                    for m in messages {
                        c.delete_message()
                            .queue_url(&url)
                            .receipt_handle(m.receipt_handle.unwrap_or_default())
                            .send()
                            .await
                            .expect("DeleteMessage");
                    }
                } else {
                    let entries = messages
                        .into_iter()
                        .enumerate()
                        .map(|(i, m)| {
                            DeleteMessageBatchRequestEntry::builder()
                                .id(format!("d{i}"))
                                .receipt_handle(m.receipt_handle.unwrap_or_default())
                                .build()
                                .unwrap()
                        })
                        .collect();
                    c.delete_message_batch()
                        .queue_url(&url)
                        .set_entries(Some(entries))
                        .send()
                        .await
                        .expect("DeleteMessageBatch");
                }
                done.fetch_add(n, Ordering::Relaxed);
                rounds.push(round.elapsed());
            }
            rounds
        }));
    }
    let mut rounds = Vec::new();
    for w in workers {
        rounds.extend(w.await.expect("a worker"));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let messages = done.load(Ordering::Relaxed);
    rounds.sort_unstable();
    let at = |q: f64| {
        rounds
            .get(((rounds.len() as f64 * q) as usize).min(rounds.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Cycles {
        per_second: messages as f64 / elapsed,
        p50: at(0.5),
        p99: at(0.99),
        server_us: (thread_cpu(SERVER_THREAD) - server0) * 1e6 / messages.max(1) as f64,
    }
}

fn main() {
    let seconds = std::env::var("SQS_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5u64);
    let run = Duration::from_secs(seconds);
    let external = std::env::var("SQS_BENCH_ENDPOINT").ok();

    // The service gets a runtime (one worker thread) of its own.
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(SERVER_THREAD)
        .enable_all()
        .build()
        .expect("a runtime");
    let local = match &external {
        Some(_) => None,
        None => Some(
            server_rt
                .block_on(sqs_local::start())
                .expect("sqs-local starts"),
        ),
    };
    let endpoint = external
        .clone()
        .or_else(|| local.as_ref().map(|l| l.endpoint().to_owned()))
        .expect("an endpoint");
    let what = if external.is_some() {
        endpoint.clone()
    } else {
        "sqs-local (in-process)".to_owned()
    };

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    client_rt.block_on(async {
        let c = client(&endpoint);
        println!("server: {what}; {seconds} s per run, 1 KiB bodies");
        let url = queue(&c, "bench-seq").await;
        println!(
            "sequential SendMessage:                        {:>9.0} msg/s",
            sequential_sends(&c, &url, run).await
        );
        for (clients, per_request) in [(1, 1), (64, 1), (1, 10), (64, 10)] {
            let url = queue(&c, &format!("bench-{clients}-{per_request}")).await;
            let r = cycle(&c, &url, clients, per_request, run).await;
            let server = if external.is_some() {
                String::new()
            } else {
                format!("; server CPU {:.1} us/msg", r.server_us)
            };
            println!(
                "send+receive+delete, {clients:>2} client(s), {per_request:>2} per request: {:>8.0} msg/s; round p50 {:.2} ms, p99 {:.2} ms{server}",
                r.per_second,
                r.p50.as_secs_f64() * 1e3,
                r.p99.as_secs_f64() * 1e3,
            );
        }
    });
    drop(local);
}
