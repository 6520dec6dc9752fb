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

mod support;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    support::report(example().await)
}

async fn example() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _local) = support::connect().await?;
    let queue = client
        .create_queue()
        .queue_name("sqs-rs-example-consumer")
        .send()
        .await?
        .queue_url
        .ok_or("no queue URL")?;
    for chunk in 0..3 {
        let entries = (0..10)
            .map(|i| {
                SendMessageBatchRequestEntry::builder()
                    .id(format!("j{i}"))
                    .message_body(format!("job {}", chunk * 10 + i))
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
    println!("queued 30 jobs; consuming with 4 handlers (Ctrl-C stops gracefully)\n");

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
                if counter.fetch_add(1, Ordering::SeqCst) + 1 == 30 {
                    stop.shutdown();
                }
                Ok(())
            }
        })
        .await;
    println!(
        "\nstopped: {} acknowledged, {} handed back after a failure, {} released unhandled",
        summary.acked, summary.nacked, summary.released
    );
    client.delete_queue().queue_url(&queue).send().await?;
    Ok(())
}
