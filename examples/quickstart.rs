//! Quickstart.
//!
//! With an SQS endpoint configured in the environment (`AWS_ENDPOINT_URL_SQS` or `AWS_REGION`,
//! plus credentials), it creates a queue, sends, receives and deletes a message, and deletes the
//! queue. With no configuration it needs no account: the embedded SQS service is not built yet,
//! so it shows the model layer offline instead: a request checked against the documented limits,
//! encoded in both wire protocols, answers captured from a real server decoded, and errors
//! recognised.
//!
//! Run it with `cargo run --example quickstart`.

use sqs_client::operation::{ReceiveMessageInput, SendMessageBatchInput, SendMessageInput};
use sqs_client::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use sqs_client::{Client, ErrorCode, Operation, decode_json_error};

const QUEUE_URL: &str = "http://127.0.0.1:9324/000000000000/orders";

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
    if configured {
        live().await
    } else {
        show_models()
    }
}

/// Talks to the SQS endpoint configured in the environment.
async fn live() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::from_env()?;
    println!("sqs-client quickstart against {}\n", client.endpoint());
    let queue = client
        .create_queue()
        .queue_name("sqs-rs-quickstart")
        .send()
        .await?
        .queue_url
        .ok_or("CreateQueue returned no queue URL")?;
    println!("1. Created (or found) the queue {queue}");
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
        "2. Sent message {} (MD5 digests checked)",
        sent.message_id.unwrap_or_default()
    );
    let received = client
        .receive_message()
        .queue_url(&queue)
        .wait_time_seconds(5)
        .message_attribute_names("All")
        .send()
        .await?;
    for message in received.messages.unwrap_or_default() {
        println!("3. Received {:?}", message.body.unwrap_or_default());
        client
            .delete_message()
            .queue_url(&queue)
            .receipt_handle(message.receipt_handle.unwrap_or_default())
            .send()
            .await?;
        println!("4. Deleted it");
    }
    client.delete_queue().queue_url(&queue).send().await?;
    println!("5. Deleted the queue");
    Ok(())
}

/// Shows the model layer offline, on answers captured from a real server.
fn show_models() -> Result<(), Box<dyn std::error::Error>> {
    println!("sqs-client quickstart: no SQS endpoint is configured, so nothing is sent.");
    println!("(Set AWS_ENDPOINT_URL_SQS or AWS_REGION, with credentials, to talk to a real SQS;");
    println!(" the embedded SQS service that will make this work offline is not built yet.)\n");

    // 1. A request is a plain Rust value built with setters.
    let send = SendMessageInput::default()
        .queue_url(QUEUE_URL)
        .message_body("order #1042 paid")
        .message_attributes(
            "customer",
            MessageAttributeValue::default()
                .data_type("String")
                .string_value("c-7"),
        );
    send.validate()?;
    println!("1. A SendMessage request, checked against every documented limit:");
    println!(
        "   AWS JSON 1.0, X-Amz-Target {}:",
        SendMessageInput::TARGET
    );
    println!("     {}", String::from_utf8(send.to_json()?)?);
    println!("   AWS Query form:");
    println!("     {}\n", send.to_query());

    // 2. Answers decode into typed outputs, from JSON or XML alike.
    let json_answer = br#"{"MD5OfMessageBody": "3eeebf6b04a9821afe3b68830b7038f9", "MessageId": "fdf6d33e-1a8c-4b73-b2fc-678bce74486a"}"#;
    let sent = SendMessageInput::output_from_json(json_answer)?;
    println!("2. The server's answer, decoded:");
    println!(
        "   JSON: message id {}",
        sent.message_id.as_deref().unwrap_or("?")
    );
    let xml_answer = br#"<ReceiveMessageResponse><ReceiveMessageResult><Message><MessageId>7e51dcb5</MessageId><ReceiptHandle>AQEB-handle</ReceiptHandle><MD5OfBody>d4f9edf5355d2d3dc7f13a9026acc678</MD5OfBody><Body>order #1042 &amp; more</Body></Message></ReceiveMessageResult></ReceiveMessageResponse>"#;
    let received = ReceiveMessageInput::output_from_xml(xml_answer)?;
    for message in received.messages.unwrap_or_default() {
        println!(
            "   XML:  received {:?} (receipt handle {})\n",
            message.body.unwrap_or_default(),
            message.receipt_handle.unwrap_or_default()
        );
    }

    // 3. Bad input is refused before anything would be sent, naming the field and the limit.
    let too_big = (0..11).fold(
        SendMessageBatchInput::default().queue_url(QUEUE_URL),
        |batch, i| {
            batch.entries(
                SendMessageBatchRequestEntry::default()
                    .id(format!("m{i}"))
                    .message_body("x"),
            )
        },
    );
    let err = too_big
        .validate()
        .expect_err("11 entries break the batch limit");
    println!("3. Validation before sending:");
    println!("   {err}");
    let err = ReceiveMessageInput::default()
        .queue_url(QUEUE_URL)
        .wait_time_seconds(30)
        .validate()
        .expect_err("30 s is past the long-polling limit");
    println!("   {err}\n");

    // 4. Errors are recognised whichever way the server names them.
    let body =
        br#"{"__type": "QueueDoesNotExist", "message": "The specified queue does not exist."}"#;
    if let Some(error) = decode_json_error(None, None, body) {
        let code = ErrorCode::from_code(&error.code);
        println!("4. An error answer without the query-error header is still recognised:");
        println!(
            "   {code:?} (Query code {}, HTTP {:?}): {}",
            code.query_code(),
            code.http_status(),
            error.message.unwrap_or_default()
        );
    }
    Ok(())
}
