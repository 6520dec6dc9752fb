//! Quickstart: a queue, a message, a batch, consuming, deleting.
//!
//! With no configuration it needs no account: it starts the embedded SQS-compatible service
//! (`sqs-local`) in this process on 127.0.0.1 and talks to it over HTTP like to any SQS. With
//! an endpoint or a region in the environment (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL`,
//! `AWS_REGION`, `AWS_DEFAULT_REGION`, plus credentials as AWS tools find them) the same code
//! runs against that SQS instead.
//!
//! Run it with `cargo run --example quickstart`.

use std::time::{Duration, Instant};

use sqs_client::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName,
    SendMessageBatchRequestEntry,
};
use sqs_client::{Client, Credentials};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let configured = [
        "AWS_ENDPOINT_URL_SQS",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some());

    // Keep the embedded service alive for as long as the client uses it.
    let (client, _local) = if configured {
        let client = Client::from_env()?;
        println!("SQS from the environment: {}", client.endpoint());
        (client, None)
    } else {
        let local = sqs_local::start().await?;
        println!(
            "No SQS configured: started the embedded service (sqs-local) at {}",
            local.endpoint()
        );
        let client = Client::builder()
            .endpoint_url(local.endpoint())
            .region("us-east-1")
            .credentials_provider(Credentials::new("quickstart", "quickstart"))
            .build()?;
        (client, Some(local))
    };
    println!();

    let queue = client
        .create_queue()
        .queue_name("sqs-rs-quickstart")
        .send()
        .await?
        .queue_url
        .ok_or("CreateQueue returned no queue URL")?;
    println!("1. Queue ready: {queue}");

    let sent = client
        .send_message()
        .queue_url(&queue)
        .message_body("order #1042 paid")
        .message_attributes(
            "customer",
            MessageAttributeValue::default()
                .data_type("String")
                .string_value("c-7"),
        )
        .send()
        .await?;
    println!(
        "2. Sent one message, id {} (the body and attribute MD5s the service returned were checked)",
        sent.message_id.unwrap_or_default()
    );

    let entries: Vec<_> = (1..=5)
        .map(|i| {
            SendMessageBatchRequestEntry::default()
                .id(format!("line{i}"))
                .message_body(format!("order #1042 line {i}"))
        })
        .collect();
    let batch = client
        .send_message_batch()
        .queue_url(&queue)
        .set_entries(entries)
        .send()
        .await?;
    println!(
        "3. Sent a batch of 5 in one request: {} accepted, {} refused",
        batch.successful.len(),
        batch.failed.len()
    );

    // Consume: long-poll, handle, delete in batches, until all 6 are done (or 20 s pass).
    println!("4. Consuming:");
    let mut done = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while done < 6 && Instant::now() < deadline {
        let messages = client
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .wait_time_seconds(2)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await?
            .messages
            .unwrap_or_default();
        let mut deletes = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            let customer = m
                .message_attributes
                .as_ref()
                .and_then(|a| a.get("customer"))
                .and_then(|v| v.string_value.as_deref());
            println!(
                "   got {:?}{}",
                m.body.as_deref().unwrap_or_default(),
                customer.map_or(String::new(), |c| format!(" for customer {c}"))
            );
            deletes.push(
                DeleteMessageBatchRequestEntry::default()
                    .id(format!("m{i}"))
                    .receipt_handle(m.receipt_handle.clone().unwrap_or_default()),
            );
        }
        if !deletes.is_empty() {
            let deleted = client
                .delete_message_batch()
                .queue_url(&queue)
                .set_entries(deletes)
                .send()
                .await?;
            done += deleted.successful.len();
        }
    }
    println!("   {done} messages handled and deleted");

    // Bad input never leaves the process: the error names the field and the limit.
    let err = client
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(25)
        .send()
        .await
        .expect_err("25 is past the limit of 10");
    println!("5. Refused before sending: {err}");

    client.delete_queue().queue_url(&queue).send().await?;
    println!("6. Deleted the queue. Done.");
    Ok(())
}
