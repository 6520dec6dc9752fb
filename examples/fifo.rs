//! FIFO queues: order within a message group, deduplication, and a group that waits while one of
//! its messages is being worked on.
//!
//! Runs on the embedded sqs-local unless an SQS is configured in the environment (see the
//! quickstart). `cargo run --example fifo`

use sqs_client::Client;
use sqs_client::types::{MessageSystemAttributeName, QueueAttributeName};

mod support;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    support::run(example()).await
}

async fn example() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _local) = support::connect().await?;
    let queue = client
        .create_queue()
        .queue_name("sqs-rs-example-orders.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await?
        .queue_url
        .ok_or("no queue URL")?;
    println!("FIFO queue: {queue}\n");

    // Two customers, three events each. Within a customer (the message group) order is kept.
    for (customer, event) in [
        ("alice", "created"),
        ("bob", "created"),
        ("alice", "paid"),
        ("bob", "paid"),
        ("alice", "shipped"),
        ("bob", "cancelled"),
    ] {
        let out = client
            .send_message()
            .queue_url(&queue)
            .message_body(format!("{customer}: order {event}"))
            .message_group_id(customer)
            .send()
            .await?;
        println!(
            "sent   {customer:<5} {event:<9} sequence number {}",
            out.sequence_number.unwrap_or_default()
        );
    }
    // Content-based deduplication: the same body again within 5 minutes is accepted but dropped.
    let again = client
        .send_message()
        .queue_url(&queue)
        .message_body("alice: order created")
        .message_group_id("alice")
        .send()
        .await?;
    println!(
        "sent   alice created again -> deduplicated (same message id {})\n",
        again.message_id.unwrap_or_default()
    );

    // Receive one message and keep it in flight: its group waits, the other group goes on.
    let first = receive(&client, &queue, 1).await?;
    println!(
        "working on {:?} of group {} (its visibility is 30 s)",
        first[0].0, first[0].2
    );
    let others = receive(&client, &queue, 10).await?;
    println!(
        "meanwhile a receive returns only the other group: {:?}",
        others.iter().map(|m| m.0.as_str()).collect::<Vec<_>>()
    );
    // Finishing the in-flight message releases its group.
    for (_, handle, _) in first.iter().chain(&others) {
        client
            .delete_message()
            .queue_url(&queue)
            .receipt_handle(handle)
            .send()
            .await?;
    }
    let mut rest = Vec::new();
    for _ in 0..5 {
        let got = receive(&client, &queue, 10).await?;
        if got.is_empty() {
            break;
        }
        for (body, handle, _) in got {
            client
                .delete_message()
                .queue_url(&queue)
                .receipt_handle(handle)
                .send()
                .await?;
            rest.push(body);
        }
    }
    println!("after deleting them, the rest in order: {rest:?}");
    client.delete_queue().queue_url(&queue).send().await?;
    Ok(())
}

/// (body, receipt handle, group) of up to `max` messages.
async fn receive(
    client: &Client,
    queue: &str,
    max: i32,
) -> Result<Vec<(String, String, String)>, sqs_client::Error> {
    let out = client
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(max)
        .wait_time_seconds(1)
        .message_system_attribute_names(MessageSystemAttributeName::MessageGroupId)
        .send()
        .await?;
    Ok(out
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let group = m
                .attributes
                .as_ref()
                .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId).cloned())
                .unwrap_or_default();
            (
                m.body.unwrap_or_default(),
                m.receipt_handle.unwrap_or_default(),
                group,
            )
        })
        .collect())
}
