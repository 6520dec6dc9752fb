//! sqs-local throughput with our client: sequential SendMessage, then send -> receive -> delete
//! with 1 and 64 clients, one message per request and ten per request (batches). Prints
//! messages per second, the p50 and p99 time of one client's send -> receive -> delete round,
//! and the service's CPU per message (its runtime thread's, read from /proc). The service runs
//! in this process on its own runtime thread, the client on another (2 cores in all on the
//! reference machine).
//!
//! `cargo bench --bench local` runs it all twice in one run: state in memory, then with a data
//! directory (`Config::data_dir`, every acknowledged change synced to disk), and prints the
//! second as a share of the first. To measure another SQS-compatible server the same way (for
//! example LocalStack), give its endpoint: `SQS_BENCH_ENDPOINT=http://127.0.0.1:4566 cargo bench
//! --bench local`. `SQS_BENCH_SECONDS` sets the length of each run (default 5).
//!
//! `cargo bench --bench local -- data-dir [N]` measures the data directory over N messages
//! (default 1,000,000; several GB of disk): its files after N and 2N sends and deletes, the
//! start-up time with N messages stored, and its files once they are deleted (and once the
//! service has given the freed space back).

use std::path::{Path, PathBuf};
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
/// The thread that writes the data directory.
const STORE_THREAD: &str = "sqs-local-store";

fn server_cpu() -> f64 {
    thread_cpu(SERVER_THREAD) + thread_cpu(STORE_THREAD)
}

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

/// Sends `n` (up to ten) copies of `body` in one SendMessageBatch.
async fn send_batch(c: &Client, url: &str, body: &str, n: usize) {
    let entries = (0..n)
        .map(|i| {
            SendMessageBatchRequestEntry::builder()
                .id(format!("m{i}"))
                .message_body(body)
                .build()
                .unwrap()
        })
        .collect();
    c.send_message_batch()
        .queue_url(url)
        .set_entries(Some(entries))
        .send()
        .await
        .expect("SendMessageBatch");
}

/// Deletes these messages in one DeleteMessageBatch.
async fn delete_batch(c: &Client, url: &str, messages: &[sqs_client::types::Message]) {
    let entries = messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                .build()
                .unwrap()
        })
        .collect();
    c.delete_message_batch()
        .queue_url(url)
        .set_entries(Some(entries))
        .send()
        .await
        .expect("DeleteMessageBatch");
}

/// `clients` workers that each send `per_request` messages, receive up to that many and delete
/// what they received, until the time is up or `until` messages were deleted; returns deleted
/// messages per second, the p50 and p99 of a round's time, and the service's CPU per message.
async fn cycle(
    c: &Client,
    url: &str,
    (clients, per_request): (usize, usize),
    run: Duration,
    until: u64,
) -> Cycles {
    let done = Arc::new(AtomicU64::new(0));
    let server0 = server_cpu();
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (c, url, done) = (c.clone(), url.to_owned(), Arc::clone(&done));
        workers.push(tokio::spawn(async move {
            let body = "x".repeat(1024);
            let mut rounds = Vec::new();
            while start.elapsed() < run && done.load(Ordering::Relaxed) < until {
                let round = Instant::now();
                if per_request == 1 {
                    c.send_message()
                        .queue_url(&url)
                        .message_body(&body)
                        .send()
                        .await
                        .expect("SendMessage");
                } else {
                    send_batch(&c, &url, &body, per_request).await;
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
                    delete_batch(&c, &url, &messages).await;
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
        server_us: (server_cpu() - server0) * 1e6 / messages.max(1) as f64,
    }
}

/// The runtime the service runs on: one worker thread of its own.
fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(SERVER_THREAD)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The cases of a suite: (clients, messages per request).
const CASES: [(usize, usize); 4] = [(1, 1), (64, 1), (1, 10), (64, 10)];

/// Sequential sends, then each case; prints a line each and gives their msgs/s.
async fn suite(endpoint: &str, seconds: u64, server_cpu_known: bool) -> Vec<f64> {
    let run = Duration::from_secs(seconds);
    let c = client(endpoint);
    let url = queue(&c, "bench-seq").await;
    let sequential = sequential_sends(&c, &url, run).await;
    println!("sequential SendMessage:                        {sequential:>9.0} msg/s");
    let mut out = vec![sequential];
    for (clients, per_request) in CASES {
        let url = queue(&c, &format!("bench-{clients}-{per_request}")).await;
        let r = cycle(&c, &url, (clients, per_request), run, u64::MAX).await;
        let server = if server_cpu_known {
            format!("; server CPU {:.1} us/msg", r.server_us)
        } else {
            String::new()
        };
        println!(
            "send+receive+delete, {clients:>2} client(s), {per_request:>2} per request: {:>8.0} msg/s; round p50 {:.2} ms, p99 {:.2} ms{server}",
            r.per_second,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
        );
        out.push(r.per_second);
    }
    out
}

/// A fresh directory for the service's data under the target directory.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if args.first().map(String::as_str) == Some("data-dir") {
        let n = args
            .get(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000_000);
        return data_dir(n);
    }
    let seconds = std::env::var("SQS_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5u64);
    let server_rt = server_runtime();
    let client_rt = client_runtime();
    if let Ok(endpoint) = std::env::var("SQS_BENCH_ENDPOINT") {
        println!("server: {endpoint}; {seconds} s per run, 1 KiB bodies");
        client_rt.block_on(suite(&endpoint, seconds, false));
        return;
    }
    println!("server: sqs-local (in-process), state in memory; {seconds} s per run, 1 KiB bodies");
    let local = server_rt
        .block_on(sqs_local::start())
        .expect("sqs-local starts");
    let memory = client_rt.block_on(suite(local.endpoint(), seconds, true));
    server_rt.block_on(local.shutdown());

    let dir = fresh_dir("bench-local");
    println!(
        "server: sqs-local (in-process) with a data directory ({})",
        dir.display()
    );
    let config = sqs_local::Config::default().data_dir(&dir);
    let local = server_rt
        .block_on(sqs_local::start_with(config))
        .expect("sqs-local starts");
    let durable = client_rt.block_on(suite(local.endpoint(), seconds, true));
    server_rt.block_on(local.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
    println!("with a data directory, as a share of in memory:");
    let names = ["sequential SendMessage".to_owned()].into_iter().chain(
        CASES
            .iter()
            .map(|(c, p)| format!("{c} client(s), {p} per request")),
    );
    for ((name, m), d) in names.zip(memory).zip(durable) {
        println!("  {name:<30} {:>5.1}%", d / m * 100.0);
    }
}

/// Bytes in the files of a directory.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Resident memory of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// `clients` workers send `n` messages in batches of ten.
async fn fill(c: &Client, url: &str, n: u64, clients: u64) {
    let mut workers = Vec::new();
    for w in 0..clients {
        let (c, url) = (c.clone(), url.to_owned());
        let share = n / clients + u64::from(w < n % clients);
        workers.push(tokio::spawn(async move {
            let body = "x".repeat(1024);
            let mut left = share;
            while left > 0 {
                let now = left.min(10);
                send_batch(&c, &url, &body, now as usize).await;
                left -= now;
            }
        }));
    }
    for w in workers {
        w.await.expect("a worker");
    }
}

/// `clients` workers receive and delete in batches of ten until the queue is empty.
async fn drain(c: &Client, url: &str, clients: usize) -> u64 {
    let done = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (c, url, done) = (c.clone(), url.to_owned(), Arc::clone(&done));
        workers.push(tokio::spawn(async move {
            loop {
                let messages = c
                    .receive_message()
                    .queue_url(&url)
                    .max_number_of_messages(10)
                    .visibility_timeout(600)
                    .send()
                    .await
                    .expect("ReceiveMessage")
                    .messages
                    .unwrap_or_default();
                if messages.is_empty() {
                    return;
                }
                delete_batch(&c, &url, &messages).await;
                done.fetch_add(messages.len() as u64, Ordering::Relaxed);
            }
        }));
    }
    for w in workers {
        w.await.expect("a worker");
    }
    done.load(Ordering::Relaxed)
}

/// The data directory over `n` messages: files after n and 2n sends and deletes (64 clients,
/// batches of ten, few messages stored at a time), then n stored: the start-up time and memory,
/// and the files once they are all deleted.
fn data_dir(n: u64) {
    let server_rt = server_runtime();
    let client_rt = client_runtime();
    let dir = fresh_dir("bench-local-data-dir");
    let start = |rt: &tokio::runtime::Runtime| {
        let config = sqs_local::Config::default().data_dir(&dir);
        rt.block_on(sqs_local::start_with(config))
            .expect("sqs-local starts")
    };
    let mb = |bytes: u64| bytes as f64 / 1e6;
    println!(
        "data directory {} (1 KiB bodies, 64 clients, batches of ten)",
        dir.display()
    );
    let local = start(&server_rt);
    client_rt.block_on(async {
        let c = client(local.endpoint());
        let url = queue(&c, "churn").await;
        for round in 1..=2 {
            let r = cycle(&c, &url, (64, 10), Duration::from_secs(3600), n).await;
            println!(
                "after {} sends and deletes: {:.0} msgs/s, files {:.1} MB",
                n * round,
                r.per_second,
                mb(dir_bytes(&dir))
            );
        }
        let url = queue(&c, "stored").await;
        let filling = Instant::now();
        fill(&c, &url, n, 64).await;
        println!(
            "{n} messages sent and stored in {:.1} s ({:.0} msgs/s)",
            filling.elapsed().as_secs_f64(),
            n as f64 / filling.elapsed().as_secs_f64()
        );
    });
    let stopping = Instant::now();
    server_rt.block_on(local.shutdown());
    println!(
        "stopped in {:.2} s; files {:.1} MB",
        stopping.elapsed().as_secs_f64(),
        mb(dir_bytes(&dir))
    );
    for attempt in 1..=3 {
        match standalone_start(&dir) {
            Ok((ready, rss)) => println!(
                "start-up {attempt} of the standalone server with {n} messages stored: {:.2} s to listening; resident memory {rss:.0} MiB",
                ready.as_secs_f64()
            ),
            Err(why) => println!("start-up of the standalone server not measured: {why}"),
        }
    }
    let starting = Instant::now();
    let local = start(&server_rt);
    println!(
        "start-up in this process: {:.2} s",
        starting.elapsed().as_secs_f64()
    );
    client_rt.block_on(async {
        let c = client(local.endpoint());
        let url = local.queue_url("stored");
        let draining = Instant::now();
        let got = drain(&c, &url, 64).await;
        println!(
            "{got} received and deleted in {:.1} s ({:.0} msgs/s)",
            draining.elapsed().as_secs_f64(),
            got as f64 / draining.elapsed().as_secs_f64()
        );
    });
    let drained = dir_bytes(&dir);
    // The service gives freed space back while it is quiet, a step a second.
    let quiet = Instant::now();
    let mut last = drained;
    while quiet.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_secs(5));
        let now = dir_bytes(&dir);
        if now == last {
            break;
        }
        last = now;
    }
    server_rt.block_on(local.shutdown());
    println!(
        "files once all are deleted: {:.1} MB; {:.1} MB after {:.0} s of quiet",
        mb(drained),
        mb(dir_bytes(&dir)),
        quiet.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the `sqs-local` binary (built here if needed) on the directory: the time until it
/// says it listens, and its resident memory then; stopped with SIGTERM by its PID.
fn standalone_start(dir: &Path) -> Result<(Duration, f64), String> {
    use std::io::BufRead;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = std::process::Command::new(cargo)
        .args([
            "build",
            "--release",
            "-q",
            "-p",
            "sqs-local",
            "--bin",
            "sqs-local",
        ])
        .status()
        .map_err(|e| format!("cargo build: {e}"))?;
    if !built.success() {
        return Err("cargo build -p sqs-local failed".into());
    }
    let bin = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .ok_or("no target directory")?
        .join("release/sqs-local");
    let started = Instant::now();
    let mut child = std::process::Command::new(&bin)
        .args(["--port", "0", "--data-dir"])
        .arg(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let mut line = String::new();
    let out = child.stdout.take().ok_or("no stdout")?;
    std::io::BufReader::new(out)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let ready = started.elapsed();
    let rss = rss_mib(child.id());
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    if !line.contains("listening") {
        return Err(format!("it said {line:?}"));
    }
    Ok((ready, rss))
}
