//! The requests and responses captured from a real server (tests/fixtures/wire) against the
//! generated models: requests serialize to the same wire form in both protocols (JSON compared as
//! values, forms as ordered pairs); responses, successes and errors, decode to the right values.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqs_client::operation::*;
use sqs_client::types::{
    Blob, ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageAttributeValue, MessageSystemAttributeName, QueueAttributeName,
    SendMessageBatchRequestEntry,
};
use sqs_client::{ErrorCode, Fault, Operation};
use sqs_model::wire::{decode_json_error, decode_xml_error};

const QUEUE: &str = "http://127.0.0.1:4566/123456789012/wire-demo-q";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/wire/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).expect("fixture is JSON")
}

fn pairs(form: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(form).into_owned().collect()
}

fn assert_json<O: Operation>(input: &O, expected: Value) {
    let ours: Value = serde_json::from_slice(&input.to_json().unwrap()).unwrap();
    assert_eq!(ours, expected, "{} JSON body", O::NAME);
}

fn assert_form<O: Operation>(input: &O, expected: &[u8]) {
    assert_eq!(
        pairs(input.to_query().as_bytes()),
        pairs(expected),
        "{} form body",
        O::NAME
    );
}

fn attributes() -> HashMap<String, MessageAttributeValue> {
    HashMap::from([
        (
            "attr1".to_owned(),
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("v1")
                .build()
                .unwrap(),
        ),
        (
            "bin".to_owned(),
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(Blob::new(vec![0u8, 1, 2]))
                .build()
                .unwrap(),
        ),
    ])
}

// ---- requests ------------------------------------------------------------------------------

#[test]
fn send_message_with_string_and_binary_attributes() {
    let send = |body: &str| {
        SendMessageInput::builder()
            .queue_url(QUEUE)
            .message_body(body)
            .set_message_attributes(Some(attributes()))
            .build()
            .unwrap()
    };
    assert_json(
        &send("hello wire"),
        json_fixture("json-send-message.request.json"),
    );
    assert_form(
        &send("hello wire"),
        &fixture("derived-query-send-message-json-body.request.form"),
    );
    assert_form(
        &send("hello query"),
        &fixture("query-send-message.request.form"),
    );
    assert_json(
        &send("hello query"),
        json_fixture("derived-json-send-message-query-body.request.json"),
    );
}

#[test]
fn send_message_batch() {
    let input = SendMessageBatchInput::builder()
        .queue_url(QUEUE)
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("a")
                .message_body("one")
                .build()
                .unwrap(),
        )
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("b")
                .message_body("two")
                .delay_seconds(1)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_json(&input, json_fixture("json-send-message-batch.request.json"));
    assert_form(
        &input,
        &fixture("derived-query-send-message-batch.request.form"),
    );
}

#[test]
fn create_queue() {
    let with_attributes = CreateQueueInput::builder()
        .queue_name("wire-demo-q")
        .attributes(QueueAttributeName::VisibilityTimeout, "5")
        .build()
        .unwrap();
    assert_json(
        &with_attributes,
        json_fixture("json-create-queue.request.json"),
    );
    assert_form(
        &with_attributes,
        &fixture("derived-query-create-queue-attributes.request.form"),
    );

    let dlq = CreateQueueInput::builder()
        .queue_name("wire-demo-dlq")
        .build()
        .unwrap();
    assert_form(&dlq, &fixture("query-create-queue.request.form"));
    assert_json(&dlq, json!({"QueueName": "wire-demo-dlq"}));
}

#[test]
fn set_queue_attributes_with_a_redrive_policy() {
    let policy = r#"{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:wire-demo-dlq", "maxReceiveCount": "3"}"#;
    let input = SetQueueAttributesInput::builder()
        .queue_url(QUEUE)
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .attributes(QueueAttributeName::MessageRetentionPeriod, "3600")
        .build()
        .unwrap();
    // Map entries go out sorted by name, whatever order they were set in.
    assert_form(&input, &fixture("query-set-queue-attributes.request.form"));
    assert_json(
        &input,
        json_fixture("derived-json-set-queue-attributes.request.json"),
    );
}

#[test]
fn get_queue_attributes() {
    let input = GetQueueAttributesInput::builder()
        .queue_url(QUEUE)
        .attribute_names(QueueAttributeName::VisibilityTimeout)
        .attribute_names("ApproximateNumberOfMessages")
        .attribute_names(QueueAttributeName::QueueArn)
        .build()
        .unwrap();
    assert_json(
        &input,
        json_fixture("json-get-queue-attributes.request.json"),
    );
    assert_form(
        &input,
        &fixture("derived-query-get-queue-attributes-json-names.request.form"),
    );

    let input = GetQueueAttributesInput::builder()
        .queue_url(QUEUE)
        .attribute_names(QueueAttributeName::VisibilityTimeout)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .build()
        .unwrap();
    assert_form(&input, &fixture("query-get-queue-attributes.request.form"));
    assert_json(
        &input,
        json!({"QueueUrl": QUEUE, "AttributeNames": ["VisibilityTimeout", "RedrivePolicy"]}),
    );
}

#[test]
fn receive_delete_and_visibility_requests() {
    let receive = ReceiveMessageInput::builder()
        .queue_url(QUEUE)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .build()
        .unwrap();
    assert_json(&receive, json_fixture("json-receive-message.request.json"));
    // The capture lists the parameters in another order than the description declares them;
    // the server reads them by name, so compare the sets.
    let mut ours = pairs(receive.to_query().as_bytes());
    let mut captured = pairs(&fixture("query-receive-message.request.form"));
    ours.sort();
    captured.sort();
    assert_eq!(ours, captured);

    let handle = "garbage";
    assert_json(
        &DeleteMessageInput::builder()
            .queue_url(QUEUE)
            .receipt_handle(handle)
            .build()
            .unwrap(),
        json_fixture("json-error-receipt-handle-is-invalid.request.json"),
    );
    assert_json(
        &ChangeMessageVisibilityBatchInput::builder()
            .queue_url(QUEUE)
            .entries(
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id("x")
                    .receipt_handle("bogus")
                    .visibility_timeout(5)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
        json_fixture("json-change-visibility-batch-partial.request.json"),
    );
    assert_json(
        &GetQueueUrlInput::builder()
            .queue_name("does-not-exist")
            .build()
            .unwrap(),
        json_fixture("json-error-queue-does-not-exist.request.json"),
    );
    assert_json(
        &ListQueuesInput::default(),
        json_fixture("json-list-queues.request.json"),
    );
    let delete_batch = DeleteMessageBatchInput::builder()
        .queue_url(QUEUE)
        .entries(
            DeleteMessageBatchRequestEntry::builder()
                .id("0")
                .receipt_handle("h0")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        pairs(delete_batch.to_query().as_bytes())[2..],
        [
            ("QueueUrl".to_owned(), QUEUE.to_owned()),
            (
                "DeleteMessageBatchRequestEntry.1.Id".to_owned(),
                "0".to_owned()
            ),
            (
                "DeleteMessageBatchRequestEntry.1.ReceiptHandle".to_owned(),
                "h0".to_owned()
            ),
        ]
    );
}

#[test]
fn zero_values_are_sent_in_query_form() {
    let input = ChangeMessageVisibilityInput::builder()
        .queue_url(QUEUE)
        .receipt_handle("h")
        .visibility_timeout(0)
        .build()
        .unwrap();
    assert!(
        pairs(input.to_query().as_bytes())
            .contains(&("VisibilityTimeout".to_owned(), "0".to_owned()))
    );
}

#[test]
fn captured_json_requests_decode_into_the_inputs_and_back() {
    fn round_trip<O: Operation + serde::Serialize + serde::de::DeserializeOwned>(name: &str) {
        let captured = json_fixture(name);
        let input: O = serde_json::from_value(captured.clone()).unwrap();
        assert_json(&input, captured);
    }
    round_trip::<CreateQueueInput>("json-create-queue.request.json");
    round_trip::<SendMessageInput>("json-send-message.request.json");
    round_trip::<ReceiveMessageInput>("json-receive-message.request.json");
    round_trip::<DeleteMessageInput>("json-delete-message.request.json");
    round_trip::<SendMessageBatchInput>("json-send-message-batch.request.json");
    round_trip::<GetQueueAttributesInput>("json-get-queue-attributes.request.json");
    round_trip::<ChangeMessageVisibilityBatchInput>(
        "json-change-visibility-batch-partial.request.json",
    );
}

// ---- JSON responses ------------------------------------------------------------------------

#[test]
fn json_success_responses() {
    let out =
        CreateQueueInput::output_from_json(&fixture("json-create-queue.response.json")).unwrap();
    assert_eq!(out.queue_url.as_deref(), Some(QUEUE));

    let out =
        SendMessageInput::output_from_json(&fixture("json-send-message.response.json")).unwrap();
    assert_eq!(
        out.md5_of_message_body.as_deref(),
        Some("3eeebf6b04a9821afe3b68830b7038f9")
    );
    assert_eq!(
        out.md5_of_message_attributes.as_deref(),
        Some("8a571d1c4ce3c1b73fb70f737796d1c8")
    );
    assert_eq!(
        out.message_id.as_deref(),
        Some("fdf6d33e-1a8c-4b73-b2fc-678bce74486a")
    );
    assert_eq!(out.sequence_number, None);

    let out = ReceiveMessageInput::output_from_json(&fixture("json-receive-message.response.json"))
        .unwrap();
    let messages = out.messages.unwrap();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert_eq!(m.body.as_deref(), Some("hello wire"));
    assert_eq!(
        m.md5_of_body.as_deref(),
        Some("3eeebf6b04a9821afe3b68830b7038f9")
    );
    assert!(
        m.receipt_handle
            .as_deref()
            .unwrap()
            .starts_with("gvgdvumupura")
    );
    let system = m.attributes.as_ref().unwrap();
    assert_eq!(
        system[&MessageSystemAttributeName::SentTimestamp],
        "1795347306703"
    );
    assert_eq!(
        system[&MessageSystemAttributeName::ApproximateReceiveCount],
        "1"
    );
    let user = m.message_attributes.as_ref().unwrap();
    assert_eq!(user["attr1"].string_value.as_deref(), Some("v1"));
    assert_eq!(user["bin"].data_type, "Binary");
    assert_eq!(
        user["bin"].binary_value.as_ref().unwrap().as_bytes(),
        &[0, 1, 2]
    );

    DeleteMessageInput::output_from_json(&fixture("json-delete-message.response.json")).unwrap();
    DeleteMessageInput::output_from_json(b"").unwrap();

    let out =
        SendMessageBatchInput::output_from_json(&fixture("json-send-message-batch.response.json"))
            .unwrap();
    assert_eq!(out.successful.len(), 2);
    assert_eq!(out.successful[1].id, "b");
    assert_eq!(
        out.successful[1].md5_of_message_body,
        "b8a9f715dbb64fd5c56e7783c6820a61"
    );
    assert!(out.failed.is_empty());

    let out = GetQueueAttributesInput::output_from_json(&fixture(
        "json-get-queue-attributes.response.json",
    ))
    .unwrap();
    let attrs = out.attributes.unwrap();
    assert_eq!(attrs[&QueueAttributeName::VisibilityTimeout], "5");
    assert_eq!(
        attrs[&QueueAttributeName::QueueArn],
        "arn:aws:sqs:us-east-1:123456789012:wire-demo-q"
    );

    let out = ChangeMessageVisibilityBatchInput::output_from_json(&fixture(
        "json-change-visibility-batch-partial.response.json",
    ))
    .unwrap();
    assert!(out.successful.is_empty());
    let failed = &out.failed[0];
    assert_eq!(
        (
            failed.id.as_str(),
            failed.sender_fault,
            failed.code.as_str()
        ),
        ("x", true, "ReceiptHandleIsInvalid")
    );
    assert_eq!(
        failed.message.as_deref(),
        Some("The input receipt handle is invalid.")
    );

    let out =
        ListQueuesInput::output_from_json(&fixture("json-list-queues.response.json")).unwrap();
    assert_eq!(out.queue_urls.unwrap().len(), 3);
    // moto answers `{}` when there are no queues, and some servers leave batch lists out or null.
    assert_eq!(
        ListQueuesInput::output_from_json(b"{}").unwrap().queue_urls,
        None
    );
    let out = SendMessageBatchInput::output_from_json(br#"{"Successful": null}"#).unwrap();
    assert!(out.successful.is_empty() && out.failed.is_empty());
}

#[test]
fn json_error_responses() {
    let e = decode_json_error(
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender"),
        Some("com.amazonaws.sqs#QueueDoesNotExist"),
        &fixture("json-error-queue-does-not-exist.response.json"),
    )
    .unwrap();
    assert_eq!(ErrorCode::from_code(&e.code), ErrorCode::QueueDoesNotExist);
    assert_eq!(e.fault, Some(Fault::Sender));
    assert_eq!(
        e.message.as_deref(),
        Some("The specified queue does not exist.")
    );

    // Without the headers the shape name in `__type` still identifies the error.
    let e = decode_json_error(
        None,
        None,
        &fixture("json-error-queue-does-not-exist.response.json"),
    )
    .unwrap();
    assert_eq!(ErrorCode::from_code(&e.code), ErrorCode::QueueDoesNotExist);
    let e = decode_json_error(
        None,
        None,
        &fixture("localstack-json-error-queue-does-not-exist.response.json"),
    )
    .unwrap();
    assert_eq!(ErrorCode::from_code(&e.code), ErrorCode::QueueDoesNotExist);

    let e = decode_json_error(
        Some("InvalidParameterValue;Sender"),
        None,
        &fixture("json-error-invalid-parameter-value.response.json"),
    )
    .unwrap();
    assert_eq!(
        ErrorCode::from_code(&e.code),
        ErrorCode::Unknown("InvalidParameterValue".into())
    );
    assert!(e.message.unwrap().contains("MaxNumberOfMessages"));

    let e = decode_json_error(
        Some("ReceiptHandleIsInvalid;Sender"),
        None,
        &fixture("json-error-receipt-handle-is-invalid.response.json"),
    )
    .unwrap();
    let code = ErrorCode::from_code(&e.code);
    assert_eq!(code, ErrorCode::ReceiptHandleIsInvalid);
    assert_eq!(code.http_status(), Some(404));
}

// ---- Query (XML) responses -----------------------------------------------------------------

#[test]
fn query_success_responses() {
    let out =
        SendMessageInput::output_from_xml(&fixture("query-send-message.response.xml")).unwrap();
    assert_eq!(
        out.md5_of_message_body.as_deref(),
        Some("d4f9edf5355d2d3dc7f13a9026acc678")
    );
    assert_eq!(
        out.md5_of_message_attributes.as_deref(),
        Some("8a571d1c4ce3c1b73fb70f737796d1c8")
    );
    assert_eq!(
        out.message_id.as_deref(),
        Some("7e51dcb5-e79d-4ef7-9fae-86e8d28d39e2")
    );

    let out = ReceiveMessageInput::output_from_xml(&fixture("query-receive-message.response.xml"))
        .unwrap();
    let messages = out.messages.unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].body.as_deref(), Some("one"));
    assert_eq!(messages[0].message_attributes, None);
    assert_eq!(
        messages[0].attributes.as_ref().unwrap()[&MessageSystemAttributeName::SenderId],
        "AIDAIT2UOQQY3AUEKVGXU"
    );
    let second = &messages[1];
    assert_eq!(second.body.as_deref(), Some("hello query"));
    assert_eq!(
        second.md5_of_message_attributes.as_deref(),
        Some("8a571d1c4ce3c1b73fb70f737796d1c8")
    );
    let user = second.message_attributes.as_ref().unwrap();
    assert_eq!(user["attr1"].string_value.as_deref(), Some("v1"));
    assert_eq!(
        user["bin"].binary_value.as_ref().unwrap().as_bytes(),
        &[0, 1, 2]
    );
    assert_eq!(
        second.attributes.as_ref().unwrap()
            [&MessageSystemAttributeName::ApproximateFirstReceiveTimestamp],
        "1795347307260"
    );

    let out = GetQueueAttributesInput::output_from_xml(&fixture(
        "query-get-queue-attributes.response.xml",
    ))
    .unwrap();
    assert_eq!(
        out.attributes.unwrap(),
        HashMap::from([(QueueAttributeName::VisibilityTimeout, "5".to_owned())])
    );

    // Entities in the RedrivePolicy JSON are decoded.
    let out = GetQueueAttributesInput::output_from_xml(&fixture(
        "query-get-queue-attributes-redrive.response.xml",
    ))
    .unwrap();
    let attrs = out.attributes.unwrap();
    assert_eq!(
        attrs[&QueueAttributeName::RedrivePolicy],
        r#"{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:wire-demo-dlq", "maxReceiveCount": 3}"#
    );
    assert_eq!(attrs[&QueueAttributeName::MessageRetentionPeriod], "3600");

    let out =
        CreateQueueInput::output_from_xml(&fixture("query-create-queue.response.xml")).unwrap();
    assert_eq!(
        out.queue_url.as_deref(),
        Some("http://127.0.0.1:4566/123456789012/wire-demo-dlq")
    );

    SetQueueAttributesInput::output_from_xml(&fixture("query-set-queue-attributes.response.xml"))
        .unwrap();
}

#[test]
fn query_error_responses() {
    for name in [
        "query-error-queue-does-not-exist.response.xml",
        "localstack-query-error-queue-does-not-exist.response.xml",
    ] {
        let e = decode_xml_error(&fixture(name)).unwrap();
        assert_eq!(
            ErrorCode::from_code(&e.code),
            ErrorCode::QueueDoesNotExist,
            "{name}"
        );
        assert_eq!(e.fault, Some(Fault::Sender));
    }
    let e = decode_xml_error(&fixture("query-error-queue-does-not-exist.response.xml")).unwrap();
    assert_eq!(
        e.message.as_deref(),
        Some("The specified queue does not exist for this wsdl version.")
    );
    assert_eq!(
        e.request_id.as_deref(),
        Some("6DfhjKuAviadWg98lffMPiPFcQZl9XmPNApgNLjd8x4ZDROynFUu")
    );

    let e = decode_xml_error(&fixture("query-error-invalid-parameter-value.response.xml")).unwrap();
    assert_eq!(e.code, "InvalidParameterValue");

    let e = decode_xml_error(&fixture("moto-error-signature-does-not-match.response.xml")).unwrap();
    assert_eq!(e.code, "SignatureDoesNotMatch");
    assert!(!ErrorCode::from_code(&e.code).is_modeled());

    // An error document is never taken for a result.
    assert!(
        GetQueueUrlInput::output_from_xml(&fixture(
            "query-error-queue-does-not-exist.response.xml"
        ))
        .is_err()
    );
}

#[test]
fn xml_decoding_is_robust() {
    // Unknown elements are ignored, character references decoded, CDATA kept.
    let xml = br#"<?xml version="1.0"?><ReceiveMessageResponse><ReceiveMessageResult><Message><Future>x</Future><Body>a&#xD;b &amp; <![CDATA[<c>]]></Body></Message></ReceiveMessageResult></ReceiveMessageResponse>"#;
    let out = ReceiveMessageInput::output_from_xml(xml).unwrap();
    assert_eq!(out.messages.unwrap()[0].body.as_deref(), Some("a\rb & <c>"));
    // Malformed bodies are errors, never panics.
    for bad in [&b"<A><B></A>"[..], b"", b"\xff\xfe", b"<SendMessageBatchResponse><SendMessageBatchResult><BatchResultErrorEntry><SenderFault>maybe</SenderFault></BatchResultErrorEntry></SendMessageBatchResult></SendMessageBatchResponse>"] {
        assert!(SendMessageBatchInput::output_from_xml(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
    }
    let deep = format!("{}{}", "<a>".repeat(200), "</a>".repeat(200));
    let err = ReceiveMessageInput::output_from_xml(deep.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("nests too deeply"), "{err}");
    assert!(SendMessageInput::output_from_json(b"{\"MessageId\": 5}").is_err());
    assert!(SendMessageInput::output_from_json(b"{not json").is_err());
}

#[test]
fn error_codes_know_both_names_status_and_fault() {
    let e = ErrorCode::from_code("AWS.SimpleQueueService.NonExistentQueue");
    assert_eq!(e, ErrorCode::from_code("QueueDoesNotExist"));
    assert_eq!(e.shape_name(), "QueueDoesNotExist");
    assert_eq!(e.query_code(), "AWS.SimpleQueueService.NonExistentQueue");
    assert_eq!(e.http_status(), Some(400));
    assert_eq!(e.fault(), Some(Fault::Sender));
    assert_eq!(
        ErrorCode::from_code("QueueAlreadyExists"),
        ErrorCode::QueueNameExists
    );
    assert_eq!(
        ErrorCode::from_code("KMS.OptInRequired").http_status(),
        Some(403)
    );
    assert_eq!(
        ErrorCode::from_code("AWS.SimpleQueueService.PurgeQueueInProgress"),
        ErrorCode::PurgeQueueInProgress
    );
    assert_eq!(
        ErrorCode::from_code("Throttling"),
        ErrorCode::Unknown("Throttling".into())
    );
    assert_eq!(
        <SendMessageBatchInput as Operation>::TARGET,
        "AmazonSQS.SendMessageBatch"
    );
    assert!(<SendMessageBatchInput as Operation>::MODELED_ERRORS.contains(&"BatchRequestTooLong"));
}
