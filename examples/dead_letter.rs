//! Dead-letter queues: a message that keeps failing is moved aside after `maxReceiveCount`
//! receives, inspected there, and moved back once the bug is fixed (a message move task).
//!
//! Runs on the embedded sqs-local unless an SQS is configured in the environment (see the
//! quickstart). `cargo run --example dead_letter`

use std::time::{Duration, Instant};

use sqs_client::Client;
use sqs_client::types::{MessageSystemAttributeName, QueueAttributeName};

mod support;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    support::run(example()).await
}

async fn example() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _local) = support::connect().await?;

    let dlq = create(&client, "sqs-rs-example-payments-dlq", None).await?;
    let dlq_arn = client
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .ok_or("no queue ARN")?;
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":3}}"#);
    let work = create(&client, "sqs-rs-example-payments", Some(policy)).await?;
    println!("work queue:        {work}\ndead-letter queue: {dlq} (after 3 receives)\n");

    client
        .send_message()
        .queue_url(&work)
        .message_body(r#"{"payment": 17, "amount": "oops"}"#)
        .send()
        .await?;

    // A buggy handler: it receives the message and fails every time, so the message comes back
    // (visibility 0 here, to keep the example short) until SQS gives up on it.
    for attempt in 1..=4 {
        let got = receive(&client, &work).await?;
        match got.first() {
            Some((body, count)) => {
                println!(
                    "attempt {attempt}: received {body} (receive count {count}), handler failed"
                )
            }
            None => println!("attempt {attempt}: nothing to receive: the message was moved aside"),
        }
    }

    let dead = receive(&client, &dlq).await?;
    for (body, _) in &dead {
        println!("\nin the dead-letter queue: {body}");
    }

    // The bug is fixed: move the dead letters back to where they came from.
    client
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .send()
        .await?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let tasks = client
            .list_message_move_tasks()
            .source_arn(&dlq_arn)
            .send()
            .await?
            .results
            .unwrap_or_default();
        let status = tasks
            .first()
            .and_then(|t| t.status.clone())
            .unwrap_or_default();
        if status != "RUNNING" || Instant::now() > deadline {
            let moved = tasks
                .first()
                .map_or(0, |t| t.approximate_number_of_messages_moved);
            println!("move task {status}: {moved} message(s) moved back");
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let back = receive(&client, &work).await?;
    for (body, count) in back {
        println!("back in the work queue: {body} (receive count {count}); handled this time");
    }

    client.delete_queue().queue_url(&work).send().await?;
    client.delete_queue().queue_url(&dlq).send().await?;
    Ok(())
}

async fn create(
    client: &Client,
    name: &str,
    redrive: Option<String>,
) -> Result<String, Box<dyn std::error::Error>> {
    let mut request = client.create_queue().queue_name(name);
    if let Some(policy) = redrive {
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy);
    }
    Ok(request.send().await?.queue_url.ok_or("no queue URL")?)
}

/// (body, receive count) of what one receive returns; the messages become visible again at once.
async fn receive(client: &Client, queue: &str) -> Result<Vec<(String, String)>, sqs_client::Error> {
    let out = client
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .visibility_timeout(0)
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await?;
    Ok(out
        .messages
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let count = m
                .attributes
                .and_then(|mut a| a.remove(&MessageSystemAttributeName::ApproximateReceiveCount))
                .unwrap_or_default();
            (m.body.unwrap_or_default(), count)
        })
        .collect())
}
