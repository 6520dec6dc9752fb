//! Automatic batching: 1,000 single-message sends from many tasks become about 100 batch
//! requests; deletes too. Every caller still gets its own message's result.
//!
//! Runs on the embedded sqs-local unless an SQS is configured in the environment (see the
//! quickstart). `cargo run --example batching`

use std::time::{Duration, Instant};

use sqs_client::operation::SendMessageInput;
use sqs_client::{BatchConfig, Batcher};

mod support;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::run(example()).await
}

async fn example() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _local) = support::connect().await?;
    let queue = client
        .create_queue()
        .queue_name("sqs-rs-example-batching")
        .send()
        .await?
        .queue_url
        .ok_or("no queue URL")?;

    // One batcher for the whole program; clones share it. The linger is longer than the 2 ms
    // default so that no partly filled batch leaves while the 1,000 tasks are still starting:
    // every request is then a full batch of ten.
    let batcher = Batcher::with_config(
        client.clone(),
        BatchConfig::default().linger(Duration::from_millis(50)),
    );
    let started = Instant::now();
    let senders: Vec<_> = (0..1_000)
        .map(|i| {
            let (batcher, queue) = (batcher.clone(), queue.clone());
            tokio::spawn(async move {
                let input = SendMessageInput::builder()
                    .queue_url(queue)
                    .message_body(format!("event {i}"))
                    .build()?;
                batcher.send_message(input).await
            })
        })
        .collect();
    let mut sent = 0;
    for s in senders {
        // Each task gets the outcome of its own message: its id, or why it failed.
        if s.await?.is_ok() {
            sent += 1;
        }
    }
    let stats = batcher.stats();
    println!(
        "sent {sent} messages in {} with {} SendMessageBatch requests ({:.1} messages each)",
        support::duration(started.elapsed()),
        stats.batches,
        stats.entries_per_batch()
    );

    // Receive them all and delete through the same batcher.
    let mut deletes = Vec::new();
    let mut received = 0;
    while received < sent {
        let messages = client
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await?
            .messages
            .unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        received += messages.len();
        for m in messages {
            let (batcher, queue) = (batcher.clone(), queue.clone());
            let handle = m.receipt_handle.unwrap_or_default();
            deletes.push(tokio::spawn(async move {
                batcher.delete_message(queue, handle).await
            }));
        }
    }
    let mut deleted = 0;
    for d in deletes {
        if d.await?.is_ok() {
            deleted += 1;
        }
    }
    let after = batcher.stats();
    println!(
        "received {received} and deleted {deleted} with {} DeleteMessageBatch requests",
        after.batches - stats.batches
    );

    // Close sends anything still buffered and reports what could not be sent.
    let unsent = batcher.close().await;
    println!(
        "closed the batcher: {} request(s) left unsent",
        unsent.len()
    );
    client.delete_queue().queue_url(&queue).send().await?;
    Ok(())
}
