//! Automatic batching: 1,000 single-message sends from many tasks become about 100 batch
//! requests; deletes too. Every caller still gets its own message's result.
//!
//! Runs on the embedded sqs-local unless an SQS is configured in the environment (see the
//! quickstart). `cargo run --example batching`

use std::time::{Duration, Instant};

use sqs_client::operation::SendMessageInput;
use sqs_client::{BatchConfig, Batcher, Client};

mod support;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::run(example()).await
}

async fn example() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _local) = support::connect().await?;
    let report = send_and_delete(&client, 1_000).await?;
    println!(
        "sent {} messages in {} with {} SendMessageBatch requests ({:.1} messages each)",
        report.sent,
        support::duration(report.send_time),
        report.send_batches,
        report.sent as f64 / report.send_batches.max(1) as f64,
    );
    println!(
        "received {} and deleted {} with {} DeleteMessageBatch requests",
        report.received, report.deleted, report.delete_batches
    );
    println!(
        "closed the batcher: {} request(s) left unsent",
        report.unsent
    );
    Ok(())
}

/// What [`send_and_delete`] did.
#[derive(Debug)]
struct Report {
    sent: usize,
    send_time: Duration,
    send_batches: u64,
    received: usize,
    deleted: usize,
    delete_batches: u64,
    unsent: usize,
}

/// Makes a queue, sends `count` messages through a batcher from as many tasks, receives them
/// all and deletes them through the same batcher, and deletes the queue.
async fn send_and_delete(
    client: &Client,
    count: usize,
) -> Result<Report, Box<dyn std::error::Error>> {
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
    let senders: Vec<_> = (0..count)
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
    let send_time = started.elapsed();
    let stats = batcher.stats();

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

    // Close sends anything still buffered and reports what could not be sent.
    let unsent = batcher.close().await;
    client.delete_queue().queue_url(&queue).send().await?;
    Ok(Report {
        sent,
        send_time,
        send_batches: stats.batches,
        received,
        deleted,
        delete_batches: after.batches - stats.batches,
        unsent: unsent.len(),
    })
}

/// The example's logic against a wiremock SQS, read back as typed requests.
#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use sqs_client::operation::delete_message_batch::DeleteMessageBatchInput;
    use sqs_client::operation::receive_message::ReceiveMessageInput;
    use sqs_client::operation::send_message_batch::SendMessageBatchInput;

    use super::support::mock::MockQueue;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_thousand_sends_leave_as_a_hundred_full_batches_and_all_are_deleted() {
        let queue = MockQueue::start().await;
        let report = super::send_and_delete(&queue.client(), 1_000)
            .await
            .unwrap();
        assert_eq!(
            (
                report.sent,
                report.send_batches,
                report.received,
                report.deleted
            ),
            (1_000, 100, 1_000, 1_000),
            "{report:?}"
        );
        assert_eq!(report.unsent, 0);

        let sends = queue.received::<SendMessageBatchInput>().await;
        assert_eq!(sends.len(), 100);
        assert!(sends.iter().all(|s| s.entries().len() == 10));
        let bodies: HashSet<&str> = sends
            .iter()
            .flat_map(|s| s.entries())
            .map(|e| e.message_body())
            .collect();
        let expected: HashSet<String> = (0..1_000).map(|i| format!("event {i}")).collect();
        assert_eq!(bodies, expected.iter().map(String::as_str).collect());

        // Every message received is deleted once, in batches of ten.
        let deletes = queue.received::<DeleteMessageBatchInput>().await;
        let handles: Vec<&str> = deletes
            .iter()
            .flat_map(|d| d.entries())
            .map(|e| e.receipt_handle())
            .collect();
        assert_eq!(handles.len(), 1_000);
        assert_eq!(handles.iter().collect::<HashSet<_>>().len(), 1_000);
        assert_eq!(deletes.len(), report.delete_batches as usize);
        assert!(
            queue
                .received::<ReceiveMessageInput>()
                .await
                .iter()
                .all(|r| r.max_number_of_messages() == Some(10))
        );
    }
}
