//! Large payloads: a body too big for SQS goes to an object store and a pointer goes through
//! the queue, in the format of the AWS Java and Python extended clients; the receiver gets the
//! body back. Then a payload streamed in and out without holding it in memory.
//!
//! Runs on the embedded sqs-local and a temporary local-file store unless an SQS is configured
//! in the environment (see the quickstart). `cargo run --example large_payload` streams 64 MiB;
//! `cargo run --release --example large_payload -- 1024` streams 1 GiB and prints throughput
//! and peak memory.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt;
use sqs_client::operation::{DeleteMessageInput, ReceiveMessageInput, SendMessageInput};
use sqs_extended::ExtendedClient;

mod support;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::run(example()).await
}

async fn example() -> Result<(), Box<dyn std::error::Error>> {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(64);
    let (client, _local) = support::connect().await?;
    // Removed at the end, on an error and on Ctrl-C alike.
    let dir = support::TempDir::new("sqs-rs-large-payload")?;
    let store = Arc::new(object_store::local::LocalFileSystem::new_with_prefix(
        dir.path(),
    )?);
    let sqs = ExtendedClient::new(client.clone(), store, "example-payloads");
    let queue = client
        .create_queue()
        .queue_name("sqs-rs-example-large")
        .send()
        .await?
        .queue_url
        .ok_or("no queue URL")?;
    println!("payload store: {}", dir.path().display());

    // 1. A 2 MB document: over the threshold, so it is offloaded.
    let document = "lorem ipsum ".repeat(170_000);
    sqs.execute(
        SendMessageInput::builder()
            .queue_url(&queue)
            .message_body(&document)
            .build()?,
    )
    .await?;
    let raw = client
        .receive_message()
        .queue_url(&queue)
        .message_attribute_names("All")
        .visibility_timeout(0)
        .send()
        .await?
        .messages
        .unwrap_or_default();
    if let Some(m) = raw.first() {
        println!(
            "1. sent {}; SQS carried only the pointer: {}",
            support::size(document.len() as u64),
            m.body.as_deref().unwrap_or_default()
        );
    }
    let received = sqs
        .execute(
            ReceiveMessageInput::builder()
                .queue_url(&queue)
                .wait_time_seconds(1)
                .build()?,
        )
        .await?;
    for r in received.messages {
        let m = r?;
        println!(
            "   received {} back from {}; identical: {}",
            support::size(m.message.body.as_deref().map_or(0, str::len) as u64),
            m.payload
                .as_ref()
                .map_or("(not offloaded)", |p| p.key.as_str()),
            m.message.body.as_deref() == Some(document.as_str())
        );
        sqs.execute(
            DeleteMessageInput::builder()
                .queue_url(&queue)
                .receipt_handle(m.message.receipt_handle.unwrap_or_default())
                .build()?,
        )
        .await?;
        println!("   deleted the message, then its object");
    }

    // 2. Streaming: the payload is produced and consumed in 1 MiB chunks.
    let chunk = bytes::Bytes::from(vec![b'z'; 1024 * 1024]);
    let source =
        futures_util::stream::iter((0..mib).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let started = Instant::now();
    let (_, location) = sqs
        .send_message_streaming(SendMessageInput::builder().queue_url(&queue), source)
        .await?;
    let up = started.elapsed();
    let pointers = sqs
        .receive_message_pointers(
            ReceiveMessageInput::builder()
                .queue_url(&queue)
                .wait_time_seconds(1)
                .build()?,
        )
        .await?;
    let started = Instant::now();
    let mut total = 0usize;
    for p in &pointers.messages {
        // A damaged message or an unreadable pointer is an error of its own.
        let p = p.as_ref().map_err(|failure| failure.to_string())?;
        if let Some(loc) = &p.payload {
            let mut stream = sqs.payload_stream(loc).await?;
            while let Some(part) = stream.next().await {
                total += part?.len();
            }
        }
        sqs.execute(
            DeleteMessageInput::builder()
                .queue_url(&queue)
                .receipt_handle(p.message.receipt_handle.clone().unwrap_or_default())
                .build()?,
        )
        .await?;
    }
    let down = started.elapsed();
    let mb = (mib * 1024 * 1024) as f64 / 1e6;
    println!(
        "2. streamed {mib} MiB to {} in {} ({:.0} MB/s) and back ({}) in {} ({:.0} MB/s)",
        location.key,
        support::duration(up),
        mb / up.as_secs_f64(),
        support::size(total as u64),
        support::duration(down),
        mb / down.as_secs_f64()
    );
    if let Some(peak) = peak_rss_kib() {
        println!(
            "   peak memory (VmHWM) of this process: {:.1} MiB",
            peak as f64 / 1024.0
        );
    }
    client.delete_queue().queue_url(&queue).send().await?;
    Ok(())
}

/// The process's peak resident memory, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
