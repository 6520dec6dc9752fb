//! Quickstart.
//!
//! What works today is the typed model layer of `sqs-client`: every SQS operation as a Rust type,
//! checked against the documented limits, encoded in both wire protocols (AWS JSON 1.0 and AWS
//! Query), and decoded from real server answers, errors included. The network client and the
//! embedded SQS service are not built yet, so this program sends nothing: it shows each step on
//! answers captured from a real server.
//!
//! Run it with `cargo run --example quickstart`.

use sqs_client::operation::{ReceiveMessageInput, SendMessageBatchInput, SendMessageInput};
use sqs_client::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use sqs_client::{ErrorCode, Operation, decode_json_error};

const QUEUE_URL: &str = "http://127.0.0.1:9324/000000000000/orders";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("sqs-client quickstart: the typed SQS models, in both wire protocols.");
    println!(
        "(Nothing is sent: the network client and the embedded service come in later releases.)\n"
    );

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
