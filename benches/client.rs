//! Client cost per request against a fake SQS endpoint on 127.0.0.1.
//!
//! `cargo bench --bench client` prints, for SendMessage with a 1 KiB body, sequentially and at
//! concurrency 64: messages per second and client CPU per request (user + system time of this
//! process; the fake endpoint runs in a child process, and its CPU per message is printed
//! apart). Also a send -> receive -> delete cycle, and SendMessage through the Batcher at
//! concurrency 64 with four linger times (messages per second, entries per batch). `cargo bench
//! --bench client -- sequential N` runs only N sequential sends (for `valgrind
//! --tool=callgrind`); `-- batched N [BYTES]` only N sends through the Batcher, with bodies of
//! BYTES (default 1024; for `perf`, and to tell the cost per batch from the cost per byte);
//! `-- unbatched N` only N single sends at concurrency 64; `-- main N [bare]` N sends awaited in
//! `main`, ours or the same request through a bare reqwest client (for `strace -f -c`);
//! `-- ratio [ROUNDS]` alternates unbatched and batched rounds at concurrency 64 and prints each
//! round's ratio and the median;
//! `-- linger` sends through the Batcher with 1 to 64 callers at linger times of 1 to 10 ms;
//! `-- receive N` makes N ReceiveMessage calls at concurrency 64, each answered with ten
//! messages of 1 KiB (their digests checked), and gives the cost per received message;
//! `-- share [ROUNDS]` prints only the SendMessage figures as shares of the limit of the set-up
//! (see `benches/limit/mod.rs`), ROUNDS times; `-- latency [MS ...]` measures the Batcher and the consumer against a service answering after
//! a fixed latency (see `benches/latency/mod.rs`).
//!
//! The endpoint (`benches/fake`) answers in AWS JSON 1.0 with correct MD5 digests over
//! keep-alive HTTP/1.1, and does per request what a real service must at the least: parses the
//! JSON, digests every body, makes a random id per message. Its own CPU per message is printed
//! next to ours. Shares of the limit (`benches/limit`) travel between machines; absolute
//! figures do not. Next to each SendMessage share the same captured request is also sent through
//! a bare `reqwest::Client` (no signing, encoding or checks): the HTTP client's own ceiling, so
//! that what is ours and what is reqwest's can be told apart.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqs_client::{Client, Credentials};

mod fake;
mod latency;
mod limit;
mod procfs;

/// With `--features bench-mimalloc`, the figures with mimalloc as the allocator, as an
/// application may choose for itself (the library never sets one).
#[cfg(feature = "bench-mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const QUEUE: &str = "http://127.0.0.1:1/000000000000/bench";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("--serve") {
        // The fake endpoint: one thread is plenty, and spares the client cross-thread wake-ups.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let delay = args.get(2).and_then(|ms| ms.parse().ok()).unwrap_or(0);
        runtime.block_on(fake::serve(
            args[1].parse().unwrap(),
            Duration::from_millis(delay),
        ));
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    match args.first().map(String::as_str) {
        Some("sequential") => {
            let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
            let (_server, client) = start(&runtime);
            runtime.block_on(sends(&client, n, 1));
        }
        Some("main") => {
            // N sends awaited in `main` on the default runtime, ours or (`bare`) the same
            // request through a bare reqwest client: for `strace -f -c`, to count the system
            // calls (wake-ups among them) each request costs.
            let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
            let (_server, client, port) = start_with_delay(&runtime, 0);
            runtime.block_on(async {
                if args.iter().any(|a| a == "bare") {
                    let request = limit::captured_send().await;
                    limit::reqwest_sends(port, &request, n, 0).await;
                } else {
                    sends(&client, n, 0).await;
                }
            });
        }
        Some("unbatched") => {
            let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
            let (_server, client) = start(&runtime);
            runtime.block_on(report("SendMessage 1 KiB, concurrency 64", || {
                sends(&client, n, 64)
            }));
        }
        Some("ratio") => {
            // Unbatched and batched rounds in turn, so that a drift of the machine's speed
            // (large on shared virtual machines) touches both sides of each ratio alike.
            let rounds = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(5);
            let (_server, client) = start(&runtime);
            runtime.block_on(async {
                sends(&client, 2_000, 64).await;
                let batcher = sqs_client::Batcher::new(client.clone());
                let mut ratios = Vec::new();
                for round in 1..=rounds {
                    let single = measure(|| sends(&client, 40_000, 64)).await;
                    let batched = measure(|| batched_sends(&batcher, 160_000, 64, 1024)).await;
                    let ratio = batched.per_second / single.per_second;
                    println!(
                        "round {round}: unbatched {:.0} msg/s ({:.1} us CPU, fake {:.1}), batched {:.0} msg/s ({:.1} us CPU, fake {:.1}): {ratio:.2}x",
                        single.per_second,
                        single.cpu_us,
                        single.fake_us,
                        batched.per_second,
                        batched.cpu_us,
                        batched.fake_us
                    );
                    ratios.push(ratio);
                }
                ratios.sort_by(f64::total_cmp);
                let stats = batcher.stats();
                println!(
                    "median ratio {:.2}x over {rounds} rounds (concurrency 64, 1 KiB); {:.2} entries per batch",
                    ratios[ratios.len() / 2],
                    stats.entries_per_batch()
                );
            });
        }
        Some("linger") => {
            // The linger time against the number of callers: what a longer wait buys in
            // entries per batch and what it costs in messages per second.
            let (_server, client) = start(&runtime);
            runtime.block_on(async {
                sends(&client, 2_000, 64).await;
                for concurrency in [1, 4, 16, 64] {
                    for linger in [1u64, 2, 5, 10] {
                        let batcher = sqs_client::Batcher::with_config(
                            client.clone(),
                            sqs_client::BatchConfig::default()
                                .linger(Duration::from_millis(linger)),
                        );
                        let n = if concurrency < 16 { 200 } else { 1_000 } * concurrency;
                        let figures =
                            measure(|| batched_sends(&batcher, n, concurrency, 1024)).await;
                        println!(
                            "concurrency {concurrency:>2}, linger {linger:>2} ms: {:>6.0} msg/s, {:.2} entries per batch",
                            figures.per_second,
                            batcher.stats().entries_per_batch()
                        );
                        batcher.close().await;
                    }
                }
            });
        }
        Some("latency") => {
            let delays: Vec<u64> = args[1..].iter().filter_map(|a| a.parse().ok()).collect();
            let delays = if delays.is_empty() {
                vec![0, 5, 20, 100]
            } else {
                delays
            };
            latency::run(&runtime, &delays);
        }
        Some("receive") => {
            let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(20_000);
            let (_server, client) = start(&runtime);
            runtime.block_on(async {
                receives(&client, 1_000, 64).await;
                report(
                    "ReceiveMessage, 10 x 1 KiB, concurrency 64 (messages)",
                    || receives(&client, n, 64),
                )
                .await;
            });
        }
        Some("batched") => {
            let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(200_000);
            let size = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(1024);
            let (_server, client) = start(&runtime);
            runtime.block_on(async {
                let batcher = sqs_client::Batcher::new(client.clone());
                report(
                    &format!("Batcher SendMessage {size} B, concurrency 64"),
                    || batched_sends(&batcher, n, 64, size),
                )
                .await;
                let stats = batcher.stats();
                println!(
                    "  {} batches, {:.2} entries per batch",
                    stats.batches,
                    stats.entries_per_batch()
                );
            });
        }
        Some("share") => {
            // Only the SendMessage figures and their shares of the limit, `ROUNDS` times, on
            // the runtime `#[tokio::main]` makes (multi-thread, one worker per core) or, with
            // `current`, on a current-thread one.
            let rounds = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(3);
            let current = args.iter().any(|a| a == "current");
            let runtime = if current {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .enable_all()
                    .build()
                    .unwrap()
            };
            println!(
                "runtime: {}",
                if current {
                    "current-thread"
                } else {
                    "multi-thread, one worker per core (as #[tokio::main])"
                }
            );
            let (_server, client, port) = start_with_delay(&runtime, 0);
            runtime.block_on(async {
                let request: Arc<[u8]> = limit::captured_send().await.into();
                sends(&client, 500, 64).await;
                for _ in 0..rounds {
                    shares(&client, port, &request).await;
                }
            });
        }
        _ => {
            let (_server, client, port) = start_with_delay(&runtime, 0);
            let body = "x".repeat(1024);
            runtime.block_on(async {
                let request: Arc<[u8]> = limit::captured_send().await.into();
                let batch: Arc<[u8]> = limit::captured_batch().await.into();
                let entries = memchr::memmem::find_iter(&batch, br#""Id":"#).count();
                assert_eq!(entries, 10, "the captured batch has ten entries");
                // Warm up connections and caches.
                sends(&client, 500, 64).await;
                shares(&client, port, &request).await;
                batcher_share(&client, port, &batch).await;
                report("send + receive + delete, concurrency 64 (messages)", || {
                    cycles(&client, 10_000, 64, &body)
                })
                .await;
            });
        }
    }
}

/// SendMessage one at a time from the runtime's main future (where `#[tokio::main]` code
/// runs), one at a time from a spawned task, and 64 at a time from spawned tasks; each next to
/// the limit of the set-up measured the same way (the same request unsigned over raw keep-alive
/// connections, same runtime, same fake) and as a share of it.
async fn shares(client: &Client, port: u16, request: &Arc<[u8]>) {
    let cases = [
        ("one at a time in main", 0usize, 20_000usize),
        ("one at a time in a task", 1, 20_000),
        ("64 tasks", 64, 50_000),
    ];
    for (what, tasks, n) in cases {
        let raw = measure(|| limit::raw_sends(port, Arc::clone(request), n, tasks)).await;
        let bare = measure(|| limit::reqwest_sends(port, request, n, tasks)).await;
        let ours = measure(|| sends(client, n, tasks)).await;
        println!(
            "SendMessage 1 KiB, {what}: {:.0} msg/s = {:.1}% of the limit ({:.0} msg/s unsigned raw HTTP); client CPU {:.1} us per message (raw {:.1}); fake endpoint {:.1} us per message (raw {:.1})",
            ours.per_second,
            100.0 * ours.per_second / raw.per_second,
            raw.per_second,
            ours.cpu_us,
            raw.cpu_us,
            ours.fake_us,
            raw.fake_us,
        );
        println!(
            "  bare reqwest, same request unsigned: {:.0} msg/s = {:.1}% of the limit, client CPU {:.1} us per message, fake endpoint {:.1} us per message; ours is {:.1}% of it",
            bare.per_second,
            100.0 * bare.per_second / raw.per_second,
            bare.cpu_us,
            bare.fake_us,
            100.0 * ours.per_second / bare.per_second,
        );
    }
}

/// SendMessage through a default Batcher from 64 tasks, next to the limit: the Batcher's own
/// SendMessageBatch of ten 1 KiB bodies sent unsigned over 64 raw connections, counted in
/// messages.
async fn batcher_share(client: &Client, port: u16, batch: &Arc<[u8]>) {
    let raw =
        measure(|| async { 10 * limit::raw_sends(port, Arc::clone(batch), 10_000, 64).await })
            .await;
    let batcher = sqs_client::Batcher::new(client.clone());
    let ours = measure(|| batched_sends(&batcher, 100_000, 64, 1024)).await;
    println!(
        "Batcher SendMessage 1 KiB, 64 tasks: {:.0} msg/s = {:.1}% of the limit ({:.0} msg/s as unsigned raw batches of ten); {:.2} entries per batch; client CPU {:.1} us per message (raw {:.1}); fake endpoint {:.1} us per message (raw {:.1})",
        ours.per_second,
        100.0 * ours.per_second / raw.per_second,
        raw.per_second,
        batcher.stats().entries_per_batch(),
        ours.cpu_us,
        raw.cpu_us,
        ours.fake_us,
        raw.fake_us,
    );
    batcher.close().await;
}

/// The process id of the fake endpoint started last, for reading its CPU time.
static FAKE: AtomicU32 = AtomicU32::new(0);

/// User plus system CPU seconds of a process so far (`"self"` for this one).
fn cpu_seconds(pid: &str) -> f64 {
    procfs::cpu_seconds(&format!("/proc/{pid}/stat"))
}

fn fake_cpu_seconds() -> f64 {
    match FAKE.load(Ordering::Relaxed) {
        0 => 0.0,
        pid => cpu_seconds(&pid.to_string()),
    }
}

/// Messages per second, and client and fake endpoint CPU per message, of one run.
struct Figures {
    messages: usize,
    per_second: f64,
    cpu_us: f64,
    fake_us: f64,
}

async fn measure<F, Fut>(run: F) -> Figures
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let (cpu0, fake0, t0) = (cpu_seconds("self"), fake_cpu_seconds(), Instant::now());
    let messages = run().await;
    let wall = t0.elapsed().as_secs_f64();
    let (cpu, fake) = (cpu_seconds("self") - cpu0, fake_cpu_seconds() - fake0);
    Figures {
        messages,
        per_second: messages as f64 / wall,
        cpu_us: cpu * 1e6 / messages as f64,
        fake_us: fake * 1e6 / messages as f64,
    }
}

async fn report<F, Fut>(what: &str, run: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let figures = measure(run).await;
    println!(
        "{what}: {} = {:.0} msg/s; client CPU {:.1} us per message (fake endpoint {:.1} us)",
        figures.messages, figures.per_second, figures.cpu_us, figures.fake_us
    );
}

fn start(runtime: &tokio::runtime::Runtime) -> (Server, Client) {
    let (server, client, _) = start_with_delay(runtime, 0);
    (server, client)
}

/// Starts a fake endpoint answering after `delay_ms`, and a client of it; returns its port too.
fn start_with_delay(runtime: &tokio::runtime::Runtime, delay_ms: u64) -> (Server, Client, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server(
        Command::new(std::env::current_exe().unwrap())
            .args(["--serve", &port.to_string(), &delay_ms.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    FAKE.store(server.0.id(), Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the fake endpoint did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _guard = runtime.enter();
    (server, client_of(port), port)
}

/// A client of 127.0.0.1:`port`, signing with the bench's keys.
fn client_of(port: u16) -> Client {
    Client::builder()
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKIDBENCH", "secret"))
        .build()
        .unwrap()
}

/// The fake endpoint's process, stopped by its PID when dropped (also when the bench panics,
/// for instance on a closed stdout).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn batched_sends(
    batcher: &sqs_client::Batcher,
    n: usize,
    concurrency: usize,
    body_size: usize,
) -> usize {
    let body: Arc<str> = "x".repeat(body_size).into();
    let per_worker = n / concurrency;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (b, body) = (batcher.clone(), body.clone());
            tokio::spawn(async move {
                for _ in 0..per_worker {
                    b.send_message(
                        sqs_client::operation::SendMessageInput::builder()
                            .queue_url(QUEUE)
                            .message_body(&*body)
                            .build()
                            .unwrap(),
                    )
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    per_worker * concurrency
}

/// `n` SendMessage of 1 KiB from `tasks` tasks, each waiting for its answer before the next
/// (`tasks` 0: one after the other in the calling future); returns `n`.
async fn sends(client: &Client, n: usize, tasks: usize) -> usize {
    let body: Arc<str> = "x".repeat(1024).into();
    limit::spread(tasks, |next| {
        let (client, body) = (client.clone(), Arc::clone(&body));
        async move { send_loop(&client, &body, &next, n).await }
    })
    .await;
    n
}

/// Sends while `next` counts below `n`.
async fn send_loop(client: &Client, body: &str, next: &AtomicUsize, n: usize) {
    while next.fetch_add(1, Ordering::Relaxed) < n {
        client
            .send_message()
            .queue_url(QUEUE)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
}

/// `n` receives of ten messages each, `concurrency` at a time; returns the messages received.
async fn receives(client: &Client, n: usize, concurrency: usize) -> usize {
    let received: usize = limit::spread(concurrency, |next| {
        let client = client.clone();
        async move {
            let mut received = 0;
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let got = client
                    .receive_message()
                    .queue_url(QUEUE)
                    .max_number_of_messages(10)
                    .wait_time_seconds(0)
                    .send()
                    .await
                    .unwrap();
                received += got.messages.map_or(0, |m| m.len());
            }
            received
        }
    })
    .await
    .into_iter()
    .sum();
    assert_eq!(received, n * 10, "every receive brings ten messages");
    received
}

async fn cycles(client: &Client, n: usize, concurrency: usize, body: &str) -> usize {
    limit::spread(concurrency, |next| {
        let (client, body) = (client.clone(), body.to_owned());
        async move {
            while next.fetch_add(1, Ordering::Relaxed) < n {
                client
                    .send_message()
                    .queue_url(QUEUE)
                    .message_body(&body)
                    .send()
                    .await
                    .unwrap();
                let got = client
                    .receive_message()
                    .queue_url(QUEUE)
                    .wait_time_seconds(0)
                    .send()
                    .await
                    .unwrap();
                for m in got.messages.unwrap_or_default() {
                    client
                        .delete_message()
                        .queue_url(QUEUE)
                        .receipt_handle(m.receipt_handle.unwrap())
                        .send()
                        .await
                        .unwrap();
                }
            }
        }
    })
    .await;
    n
}
