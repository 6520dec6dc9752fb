//! Peak memory of receiving one large offloaded payload: the whole body (`execute` of a
//! ReceiveMessage) against a stream (`receive_message_pointers` then `payload_stream`). Each
//! receive runs in a process of its own (this program started again), so each peak (VmHWM) is
//! its own. The payload is sent by this process first, streamed into a local-file store, with
//! sqs-local in-process.
//!
//! Then throughput: 1 MiB and 100 MiB messages sent, received and deleted through the
//! extended client, with the payloads in a local-file store and in moto's S3 (when the test
//! peers are installed under `target/peers-venv`: the first `cargo test` installs them), SQS
//! being sqs-local in both; messages/s and MB/s each way, and the peak resident memory of the
//! process that ran the case (one process per case).
//!
//! `cargo bench --bench extended` (Linux: it reads /proc). `SQS_BENCH_PAYLOAD_MB` sets the
//! payload size of the memory part (default 200).

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::local::LocalFileSystem;
use sqs_client::operation::{ReceiveMessageInput, SendMessageInput};
use sqs_client::{Client, Credentials};
use sqs_extended::ExtendedClient;

#[path = "../tests/common/mod.rs"]
mod common;

const BUCKET: &str = "bench";

/// A figure of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn extended(endpoint: &str, dir: &str) -> ExtendedClient {
    let store = Arc::new(LocalFileSystem::new_with_prefix(dir).expect("the store directory"));
    ExtendedClient::new(sqs(endpoint), store, BUCKET)
}

fn sqs(endpoint: &str) -> Client {
    Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new("bench", "bench"))
        .build()
        .expect("a client")
}

/// The child of a throughput case: sends `count` messages of `mib` MiB through the store
/// `store` ("file:DIR" or "s3:URL"), then receives and deletes them; prints the seconds each
/// way and the peak resident memory.
async fn throughput(endpoint: &str, store: &str, queue: &str, mib: usize, count: usize) {
    // object_store's S3 client is built before ours, which would install the TLS provider.
    sqs_client::install_crypto_provider();
    let store: Arc<dyn object_store::ObjectStore> = match store.split_once(':') {
        Some(("file", dir)) => {
            Arc::new(LocalFileSystem::new_with_prefix(dir).expect("the store directory"))
        }
        Some(("s3", url)) => Arc::new(
            object_store::aws::AmazonS3Builder::new()
                .with_endpoint(url)
                .with_allow_http(true)
                .with_region("us-east-1")
                .with_bucket_name(BUCKET)
                .with_access_key_id("test")
                .with_secret_access_key("test")
                .build()
                .expect("the S3 store"),
        ),
        _ => panic!("unknown store {store}"),
    };
    let ext = ExtendedClient::new(sqs(endpoint), store, BUCKET);
    let body = "x".repeat(mib << 20);
    let started = Instant::now();
    for _ in 0..count {
        let input = SendMessageInput::builder()
            .queue_url(queue)
            .message_body(&body)
            .build()
            .unwrap();
        ext.execute(input).await.expect("a send");
    }
    drop(body);
    let sent = started.elapsed();
    let started = Instant::now();
    let mut received = 0;
    while received < count {
        let input = ReceiveMessageInput::builder()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .build()
            .unwrap();
        let messages = ext.execute(input).await.expect("a receive").messages;
        assert!(!messages.is_empty(), "the messages sent come back");
        for m in messages {
            let m = m.expect("its payload");
            assert_eq!(m.message.body.as_ref().map(String::len), Some(mib << 20));
            let delete = sqs_client::operation::DeleteMessageInput::builder()
                .queue_url(queue)
                .receipt_handle(m.message.receipt_handle.expect("a handle"))
                .build()
                .unwrap();
            ext.execute(delete).await.expect("a delete");
            received += 1;
        }
    }
    println!(
        "{} {} {}",
        sent.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        status_kib("VmHWM:")
    );
}

/// The child: one receive of one payload, in `mode`; prints what it measured.
async fn receive(mode: &str, endpoint: &str, dir: &str, queue: &str) {
    let ext = extended(endpoint, dir);
    let input = ReceiveMessageInput::builder()
        .queue_url(queue)
        .message_attribute_names("All")
        .build()
        .unwrap();
    let before = status_kib("VmHWM:");
    let started = Instant::now();
    let bytes = match mode {
        "whole" => {
            let mut got = ext.execute(input).await.expect("a receive").messages;
            let m = got.pop().expect("one message").expect("its payload");
            m.message.body.map_or(0, |b| b.len())
        }
        _ => {
            let mut got = ext
                .receive_message_pointers(input)
                .await
                .expect("a receive")
                .messages;
            let m = got.pop().expect("one message").expect("its pointer");
            let mut stream = ext
                .payload_stream(&m.payload.expect("an offloaded payload"))
                .await
                .expect("the payload");
            let mut n = 0;
            while let Some(chunk) = stream.next().await {
                n += chunk.expect("a chunk").len();
            }
            n
        }
    };
    println!(
        "{mode} {bytes} {before} {} {}",
        status_kib("VmHWM:"),
        started.elapsed().as_millis()
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Ok(mode) = std::env::var("SQS_BENCH_CHILD") {
        let var = |k: &str| std::env::var(k).expect("set by the parent");
        if mode == "throughput" {
            let number = |k: &str| var(k).parse().expect("a number");
            throughput(
                &var("SQS_BENCH_ENDPOINT"),
                &var("SQS_BENCH_STORE"),
                &var("SQS_BENCH_QUEUE"),
                number("SQS_BENCH_MIB"),
                number("SQS_BENCH_COUNT"),
            )
            .await;
            return;
        }
        receive(
            &mode,
            &var("SQS_BENCH_ENDPOINT"),
            &var("SQS_BENCH_DIR"),
            &var("SQS_BENCH_QUEUE"),
        )
        .await;
        return;
    }
    let mb: usize = std::env::var("SQS_BENCH_PAYLOAD_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let local = sqs_local::start().await.expect("sqs-local");
    let dir = std::env::temp_dir().join(format!("sqs-bench-extended-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let dir_text = dir.to_str().expect("a UTF-8 path").to_owned();
    let ext = extended(local.endpoint(), &dir_text);
    let queue = ext
        .client()
        .create_queue()
        .queue_name("bench-extended")
        .send()
        .await
        .expect("CreateQueue")
        .queue_url
        .expect("a queue URL");
    println!(
        "peak resident memory receiving one {mb} MB offloaded payload, each way in its own process"
    );
    println!(
        "{:<8} {:>10} {:>14} {:>14} {:>9}",
        "receive", "payload", "peak before", "peak after", "time"
    );
    for mode in ["whole", "stream"] {
        // 1 MB chunks of ASCII text, streamed into the store: this process never holds it.
        let chunks = futures_util::stream::iter(
            (0..mb).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'x'; 1_000_000]))),
        );
        ext.send_message_streaming(SendMessageInput::builder().queue_url(&queue), chunks)
            .await
            .expect("the payload is sent");
        // Waited for off the runtime, which keeps serving the child's requests.
        let mut child = Command::new(std::env::current_exe().expect("this program"));
        child
            .env("SQS_BENCH_CHILD", mode)
            .env("SQS_BENCH_ENDPOINT", local.endpoint())
            .env("SQS_BENCH_DIR", &dir_text)
            .env("SQS_BENCH_QUEUE", &queue);
        let out = tokio::task::spawn_blocking(move || child.output())
            .await
            .expect("the child's waiter")
            .expect("the child runs");
        let line = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, bytes, before, after, ms] = fields.as_slice() else {
            panic!(
                "the {mode} child failed: {line}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let mib = |kib: &str| kib.parse::<f64>().unwrap_or(0.0) / 1024.0;
        println!(
            "{mode:<8} {:>7.0} MB {:>10.1} MiB {:>10.1} MiB {:>6} ms",
            bytes.parse::<f64>().unwrap_or(0.0) / 1e6,
            mib(before),
            mib(after),
            ms
        );
    }

    println!("\nthroughput through the extended client (SQS: sqs-local), one process per case");
    println!(
        "{:<10} {:>8} {:>22} {:>28} {:>12}",
        "store", "payload", "send", "receive + delete", "peak memory"
    );
    let venv_moto =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peers-venv/bin/moto_server");
    let moto = venv_moto.exists().then(|| common::Moto::start(None));
    if let Some(moto) = &moto {
        let (status, _) =
            common::http(moto.port, "PUT", &format!("/{BUCKET}"), &[], "").expect("moto answers");
        assert_eq!(status, 200, "the bucket is made");
    }
    for (name, store) in [
        ("local-file", Some(format!("file:{dir_text}"))),
        ("moto S3", moto.as_ref().map(|m| format!("s3:{}", m.url()))),
    ] {
        let Some(store) = store else {
            println!("{name:<10} skipped: the test peers are not installed (run cargo test once)");
            continue;
        };
        for (mib, count) in [(1usize, 40usize), (100, 2)] {
            let queue = ext
                .client()
                .create_queue()
                .queue_name(format!("bench-throughput-{mib}"))
                .send()
                .await
                .expect("CreateQueue")
                .queue_url
                .expect("a queue URL");
            let mut child = Command::new(std::env::current_exe().expect("this program"));
            child
                .env("SQS_BENCH_CHILD", "throughput")
                .env("SQS_BENCH_ENDPOINT", local.endpoint())
                .env("SQS_BENCH_STORE", &store)
                .env("SQS_BENCH_QUEUE", &queue)
                .env("SQS_BENCH_MIB", mib.to_string())
                .env("SQS_BENCH_COUNT", count.to_string());
            let out = tokio::task::spawn_blocking(move || child.output())
                .await
                .expect("the child's waiter")
                .expect("the child runs");
            let line = String::from_utf8_lossy(&out.stdout);
            let fields: Vec<f64> = line
                .split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect();
            let [send_s, receive_s, peak_kib] = fields.as_slice() else {
                panic!(
                    "the {name} {mib} MiB child failed: {line}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            };
            let megabytes = (count * (mib << 20)) as f64 / 1e6;
            println!(
                "{name:<10} {mib:>4} MiB {:>8.1} msg/s {:>7.1} MB/s {:>12.1} msg/s {:>7.1} MB/s {:>8.1} MiB",
                count as f64 / send_s,
                megabytes / send_s,
                count as f64 / receive_s,
                megabytes / receive_s,
                peak_kib / 1024.0
            );
        }
    }
    drop(moto);
    let _ = std::fs::remove_dir_all(&dir);
    local.shutdown().await;
}
