//! Send, receive and delete, written as users of the official SDK write it. Only the `use` lines
//! differ from a program for `aws-sdk-sqs`.

use sqs_client::{Client, Error};

/// Finds a queue's URL by name, creating the queue when it does not exist.
async fn queue_url(client: &Client, name: &str) -> Result<String, Error> {
    match client.get_queue_url().queue_name(name).send().await {
        Ok(found) => Ok(found.queue_url().unwrap_or_default().to_string()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_queue_does_not_exist()) =>
        {
            let created = client.create_queue().queue_name(name).send().await?;
            Ok(created.queue_url().unwrap_or_default().to_string())
        }
        Err(err) => Err(err.into()),
    }
}

async fn send(client: &Client, queue_url: &String, body: &str) -> Result<String, Error> {
    let rsp = client
        .send_message()
        .queue_url(queue_url)
        .message_body(body)
        .send()
        .await?;
    println!("sent message {:?}", rsp.message_id());
    Ok(rsp.message_id().unwrap_or_default().to_string())
}

/// Receives what is there and deletes each message once handled; returns the bodies.
async fn receive_and_delete(client: &Client, queue_url: &String) -> Result<Vec<String>, Error> {
    let rcv_message_output = client
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await?;
    let mut bodies = Vec::new();
    for message in rcv_message_output.messages() {
        println!(
            "got message {:?}: {:?}",
            message.message_id(),
            message.body()
        );
        bodies.push(message.body().unwrap_or_default().to_owned());
        if let Some(handle) = message.receipt_handle() {
            client
                .delete_message()
                .queue_url(queue_url)
                .receipt_handle(handle)
                .send()
                .await?;
        }
    }
    Ok(bodies)
}

/// The program's work: three messages there and back.
pub(crate) async fn run(client: &Client) -> Result<Vec<String>, Error> {
    let queue_url = queue_url(client, "porting-send-receive").await?;
    for body in ["first", "second", "third"] {
        send(client, &queue_url, body).await?;
    }
    let mut received = Vec::new();
    for _ in 0..10 {
        received.extend(receive_and_delete(client, &queue_url).await?);
        if received.len() >= 3 {
            break;
        }
    }
    let left = client
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(sqs_client::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await?;
    println!("left in the queue: {:?}", left.attributes());
    Ok(received)
}
