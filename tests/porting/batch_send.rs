//! A batch send with message attributes, written as users of the official SDK write it. Only
//! the `use` lines differ from a program for `aws-sdk-sqs`.

use std::error::Error;

use sqs_client::Client;
use sqs_client::types::{MessageAttributeValue, SendMessageBatchRequestEntry};

fn entry(i: usize) -> Result<SendMessageBatchRequestEntry, Box<dyn Error>> {
    let attribute = MessageAttributeValue::builder()
        .data_type("Number")
        .string_value(i.to_string())
        .build()?;
    let entry = SendMessageBatchRequestEntry::builder()
        .id(format!("msg{i}"))
        .message_body(format!("batch message {i}"))
        .message_attributes("sequence", attribute)
        .build()?;
    Ok(entry)
}

/// Sends ten messages in one request; returns the ids that succeeded and the ids that failed.
pub(crate) async fn run(client: &Client) -> Result<(Vec<String>, Vec<String>), Box<dyn Error>> {
    let queue = client
        .create_queue()
        .queue_name("porting-batch-send")
        .send()
        .await?;
    let queue_url = queue.queue_url().ok_or("no queue URL")?;

    let mut entries = Vec::new();
    for i in 0..10 {
        entries.push(entry(i)?);
    }
    let output = client
        .send_message_batch()
        .queue_url(queue_url)
        .set_entries(Some(entries))
        .send()
        .await?;

    let mut sent = Vec::new();
    for ok in output.successful() {
        println!("{} sent as {}", ok.id(), ok.message_id());
        sent.push(ok.id().to_string());
    }
    let mut failed = Vec::new();
    for err in output.failed() {
        println!(
            "{} failed: {} {:?} (sender fault: {})",
            err.id(),
            err.code(),
            err.message(),
            err.sender_fault()
        );
        failed.push(err.id().to_string());
    }
    Ok((sent, failed))
}
