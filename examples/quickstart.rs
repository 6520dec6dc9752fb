//! Quickstart: a queue, a small and a large message, a batch, consuming, deleting.
//!
//! With no configuration it needs no account: it starts the embedded SQS-compatible service
//! (`sqs-local`) in this process on 127.0.0.1 and talks to it over HTTP like to any SQS, and
//! keeps large payloads in a temporary directory. With an endpoint or a region in the
//! environment (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_DEFAULT_REGION`,
//! plus credentials as AWS tools find them) the same code runs against that SQS instead, and
//! against the S3 bucket named by `SQS_RS_PAYLOAD_BUCKET` if it is set.
//!
//! Run it with `cargo run --example quickstart`.

use std::time::{Duration, Instant};

use std::sync::Arc;

use object_store::ObjectStore;
use sqs_client::Batcher;
use sqs_client::operation::{DeleteMessageBatchInput, ReceiveMessageInput, SendMessageInput};
use sqs_client::types::{DeleteMessageBatchRequestEntry, MessageAttributeValue};
use sqs_extended::ExtendedClient;

mod support;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    support::run(example()).await
}

async fn example() -> Result<(), Box<dyn std::error::Error>> {
    let configured = support::configured();
    // Keep the embedded service alive for as long as the client uses it.
    let (client, local) = support::connect().await?;
    match &local {
        Some(local) => println!(
            "No SQS configured: started the embedded service (sqs-local) at {}",
            local.endpoint()
        ),
        None => println!("SQS from the environment: {}", client.endpoint()),
    }
    println!();

    let queue = client
        .create_queue()
        .queue_name("sqs-rs-quickstart")
        .send()
        .await?
        .queue_url
        .ok_or("CreateQueue returned no queue URL")?;
    println!("1. Queue ready: {queue}");

    // Large payloads go to an object store; a pointer travels through SQS.
    // Removed at the end, on an error and on Ctrl-C alike.
    let payload_dir = support::TempDir::new("sqs-rs-quickstart")?;
    let (store, bucket): (Arc<dyn ObjectStore>, String) =
        match std::env::var("SQS_RS_PAYLOAD_BUCKET") {
            Ok(bucket) if configured => {
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(&bucket)
                    .with_credentials(sqs_extended::s3_credentials(
                        sqs_client::credentials::default_provider(),
                    ))
                    .build()?;
                (Arc::new(s3), bucket)
            }
            _ => {
                let dir =
                    object_store::local::LocalFileSystem::new_with_prefix(payload_dir.path())?;
                (Arc::new(dir), "quickstart-payloads".to_owned())
            }
        };
    let sqs = ExtendedClient::new(client.clone(), store, &bucket);

    // The extended client has the plain client's builders: only its constructor differs.
    let sent = sqs
        .send_message()
        .queue_url(&queue)
        .message_body("order #1042 paid")
        .message_attributes(
            "customer",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("c-7")
                .build()?,
        )
        .send()
        .await?;
    println!(
        "2. Sent a small message, id {} (the MD5s the service returned were checked)",
        sent.message_id.unwrap_or_default()
    );

    let invoice = "invoice line, ".repeat(100_000); // 1.4 MB, more than SQS takes
    sqs.send_message()
        .queue_url(&queue)
        .message_body(&invoice)
        .send()
        .await?;
    println!(
        "3. Sent a large message of {}: the body went to the object store, a pointer to SQS",
        support::size(invoice.len() as u64)
    );

    // Single sends from anywhere in the program, gathered into batch requests.
    let batcher = Batcher::new(client.clone());
    let mut lines = Vec::new();
    for i in 1..=5 {
        let line = SendMessageInput::builder()
            .queue_url(&queue)
            .message_body(format!("order #1042 line {i}"))
            .build()?;
        lines.push(batcher.send_message(line));
    }
    let accepted = futures_util::future::join_all(lines)
        .await
        .into_iter()
        .filter(Result::is_ok)
        .count();
    println!(
        "4. Sent 5 messages through the batcher: {accepted} accepted in {} request(s)",
        batcher.stats().batches
    );

    // Consume: long-poll, handle, delete in batches, until all 7 are done (or 20 s pass).
    println!("5. Consuming:");
    let mut done = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while done < 7 && Instant::now() < deadline {
        let received = sqs
            .execute(
                ReceiveMessageInput::builder()
                    .queue_url(&queue)
                    .max_number_of_messages(10)
                    .wait_time_seconds(2)
                    .message_attribute_names("All")
                    .build()?,
            )
            .await?;
        let mut deletes = Vec::new();
        for (i, r) in received.messages.into_iter().enumerate() {
            let r = r?;
            let m = &r.message;
            let body = m.body.as_deref().unwrap_or_default();
            match &r.payload {
                Some(at) => println!(
                    "   got a {} body, fetched from {}/{}",
                    support::size(body.len() as u64),
                    at.bucket,
                    at.key
                ),
                None => {
                    let customer = m
                        .message_attributes
                        .as_ref()
                        .and_then(|a| a.get("customer"))
                        .and_then(|v| v.string_value.as_deref());
                    println!(
                        "   got {body:?}{}",
                        customer.map_or(String::new(), |c| format!(" for customer {c}"))
                    );
                }
            }
            deletes.push(
                DeleteMessageBatchRequestEntry::builder()
                    .id(format!("m{i}"))
                    .receipt_handle(m.receipt_handle.clone().unwrap_or_default())
                    .build()?,
            );
        }
        if !deletes.is_empty() {
            let deleted = sqs
                .execute(
                    DeleteMessageBatchInput::builder()
                        .queue_url(&queue)
                        .set_entries(Some(deletes))
                        .build()?,
                )
                .await?;
            done += deleted.output.successful.len();
        }
    }
    println!("   {done} messages handled and deleted (the large one's object too)");

    // Bad input never leaves the process: the error names the field and the limit.
    let err = client
        .receive_message()
        .queue_url(&queue)
        .max_number_of_messages(25)
        .send()
        .await
        .expect_err("25 is past the limit of 10");
    println!("6. Refused before sending: {err}");

    batcher.close().await;
    client.delete_queue().queue_url(&queue).send().await?;
    println!("7. Deleted the queue. Done.");
    Ok(())
}
