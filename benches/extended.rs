//! Peak memory of receiving one large offloaded payload: the whole body (`execute` of a
//! ReceiveMessage) against a stream (`receive_message_pointers` then `payload_stream`). Each
//! receive runs in a process of its own (this program started again), so each peak (VmHWM) is
//! its own. The payload is sent by this process first, streamed into a local-file store, with
//! sqs-local in-process.
//!
//! `cargo bench --bench extended` (Linux: it reads /proc). `SQS_BENCH_PAYLOAD_MB` sets the
//! payload size (default 200).

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::local::LocalFileSystem;
use sqs_client::operation::{ReceiveMessageInput, SendMessageInput};
use sqs_client::{Client, Credentials};
use sqs_extended::ExtendedClient;

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
    let client = Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new("bench", "bench"))
        .build()
        .expect("a client");
    let store = Arc::new(LocalFileSystem::new_with_prefix(dir).expect("the store directory"));
    ExtendedClient::new(client, store, BUCKET)
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
    let _ = std::fs::remove_dir_all(&dir);
    local.shutdown().await;
}
