//! A consumer: long polling, handlers running four at a time, acknowledgements batched, a
//! visibility heartbeat for slow work, and a graceful shutdown on Ctrl-C (or when the work runs
//! out, so that the example ends by itself).
//!
//! Runs on the embedded sqs-local unless an SQS is configured in the environment (see the
//! quickstart). `cargo run --example consumer`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqs_client::types::SendMessageBatchRequestEntry;
use sqs_client::{Client, ProcessSummary};

mod support;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::report(example().await)
}

async fn example() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _local) = support::connect().await?;
    let summary = queue_and_consume(&client, 30).await?;
    println!(
        "\nstopped: {} acknowledged, {} handed back after a failure, {} released unhandled",
        summary.acked, summary.nacked, summary.released
    );
    Ok(())
}

/// Makes a queue, puts `jobs` jobs on it, consumes them until all are done (or Ctrl-C) and
/// deletes the queue.
async fn queue_and_consume(
    client: &Client,
    jobs: usize,
) -> Result<ProcessSummary, Box<dyn std::error::Error>> {
    let queue = client
        .create_queue()
        .queue_name("sqs-rs-example-consumer")
        .send()
        .await?
        .queue_url
        .ok_or("no queue URL")?;
    for chunk in 0..jobs.div_ceil(10) {
        let entries = (chunk * 10..jobs.min(chunk * 10 + 10))
            .map(|n| {
                SendMessageBatchRequestEntry::builder()
                    .id(format!("j{n}"))
                    .message_body(format!("job {n}"))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        client
            .send_message_batch()
            .queue_url(&queue)
            .set_entries(Some(entries))
            .send()
            .await?;
    }
    println!("queued {jobs} jobs; consuming with 4 handlers (Ctrl-C stops gracefully)\n");

    let consumer = client
        .consumer(&queue)
        .wait_time_seconds(2)
        .visibility_timeout(10)
        .heartbeat(Duration::from_secs(3))
        .build();
    let stop = consumer.shutdown_handle();
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                println!("\nCtrl-C: finishing the running handlers, then stopping");
                stop.shutdown();
            }
        });
    }

    let handled = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&handled);
    let summary = consumer
        .process(4, move |message| {
            let (counter, stop) = (Arc::clone(&counter), stop.clone());
            async move {
                let body = message.body.unwrap_or_default();
                // Pretend to work; every seventh job fails once and is handed back.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let n: usize = body.trim_start_matches("job ").parse().unwrap_or(0);
                let receive_count = message
                    .attributes
                    .as_ref()
                    .and_then(|a| {
                        a.get(
                            &sqs_client::types::MessageSystemAttributeName::ApproximateReceiveCount,
                        )
                    })
                    .cloned()
                    .unwrap_or_default();
                if n % 7 == 3 && receive_count == "1" {
                    println!("  {body}: failed, handed back for another try");
                    return Err(format!("{body} failed"));
                }
                println!("  {body}: done");
                if counter.fetch_add(1, Ordering::SeqCst) + 1 == jobs {
                    stop.shutdown();
                }
                Ok(())
            }
        })
        .await;
    client.delete_queue().queue_url(&queue).send().await?;
    Ok(summary)
}

/// The example's logic against a wiremock SQS, read back as typed requests.
#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use sqs_client::operation::change_message_visibility_batch::ChangeMessageVisibilityBatchInput;
    use sqs_client::operation::delete_message_batch::DeleteMessageBatchInput;
    use sqs_client::operation::receive_message::ReceiveMessageInput;

    use super::support::mock::MockQueue;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_job_is_acknowledged_once_and_the_failed_ones_are_handed_back_first() {
        let queue = MockQueue::start().await;
        let summary = super::queue_and_consume(&queue.client(), 30).await.unwrap();
        // Jobs 3, 10, 17 and 24 fail on their first delivery.
        assert_eq!((summary.acked, summary.nacked), (30, 4), "{summary:?}");

        // Each job's message deleted exactly once; the four failed ones on their second receipt
        // (the mock's handles end in the receive count).
        let deletes = queue.received::<DeleteMessageBatchInput>().await;
        let mut deleted: HashMap<&str, Vec<&str>> = HashMap::new();
        for entry in deletes.iter().flat_map(|d| d.entries()) {
            let (message, receipt) = entry.receipt_handle().split_once("-r").unwrap();
            deleted.entry(message).or_default().push(receipt);
        }
        assert_eq!(deleted.len(), 30);
        assert!(deleted.values().all(|receipts| receipts.len() == 1));
        assert_eq!(deleted.values().filter(|r| r[0] == "2").count(), 4);

        // Handed back at once (a visibility timeout of 0), on their first receipt.
        let nacks = queue.received::<ChangeMessageVisibilityBatchInput>().await;
        let nacked: Vec<_> = nacks.iter().flat_map(|c| c.entries()).collect();
        assert_eq!(nacked.len(), 4);
        assert!(
            nacked
                .iter()
                .all(|e| e.visibility_timeout() == Some(0) && e.receipt_handle().ends_with("-r1"))
        );

        // Long polls of 2 s asking for the receive count the handler reads.
        let receives = queue.received::<ReceiveMessageInput>().await;
        assert!(receives.iter().all(|r| r.wait_time_seconds() == Some(2)));
    }
}
