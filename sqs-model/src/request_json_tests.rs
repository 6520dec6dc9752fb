//! Request bodies as our JSON writer encodes them are the bytes serde_json writes (the writer's
//! own tests cover every serde form; these cover the requests, through the path the client uses).

use std::collections::HashMap;

use serde::Serialize;

use crate::codec::{Blob, Operation};
use crate::operation::*;
use crate::types::*;

#[track_caller]
fn same<O: Operation + Serialize>(input: &O) {
    let ours = String::from_utf8(input.to_json().unwrap()).unwrap();
    let theirs = serde_json::to_string(input).unwrap();
    assert_eq!(ours, theirs);
}

#[test]
fn requests_are_the_bytes_serde_json_writes() {
    let attribute = |data_type: &str| MessageAttributeValue {
        data_type: data_type.into(),
        ..Default::default()
    };
    let mut attributes = HashMap::new();
    attributes.insert(
        "text \"quoted\"".to_owned(),
        MessageAttributeValue {
            string_value: Some("line\nbreak".into()),
            ..attribute("String")
        },
    );
    attributes.insert(
        "n".to_owned(),
        MessageAttributeValue {
            string_value: Some("-12.5e3".into()),
            ..attribute("Number.float")
        },
    );
    attributes.insert(
        "bin".to_owned(),
        MessageAttributeValue {
            binary_value: Some(Blob::from(&[0u8, 255, 10][..])),
            ..attribute("Binary")
        },
    );
    let mut system = HashMap::new();
    system.insert(
        MessageSystemAttributeNameForSends::AWSTraceHeader,
        MessageSystemAttributeValue {
            data_type: "String".into(),
            string_value: Some("Root=1-5759e988-bd862e3fe1be46a994272793".into()),
            ..Default::default()
        },
    );
    let send = SendMessageInput {
        queue_url: "http://127.0.0.1:9324/000000000000/q".into(),
        message_body: "{\"order\": 7}\t\u{1}é".into(),
        delay_seconds: Some(-5),
        message_attributes: Some(attributes.clone()),
        message_system_attributes: Some(system),
        message_deduplication_id: Some("d".into()),
        message_group_id: Some("g".into()),
    };
    same(&send);
    same(&SendMessageInput::default());

    let batch = SendMessageBatchInput {
        queue_url: "q".into(),
        entries: (0..10)
            .map(|i| SendMessageBatchRequestEntry {
                id: format!("m{i}"),
                message_body: "b".repeat(i * 7),
                delay_seconds: (i % 2 == 0).then_some(i as i32),
                message_attributes: (i == 3).then(|| attributes.clone()),
                ..Default::default()
            })
            .collect(),
    };
    same(&batch);

    let receive = ReceiveMessageInput {
        queue_url: "q".into(),
        attribute_names: Some(vec![QueueAttributeName::All]),
        message_system_attribute_names: Some(vec![
            MessageSystemAttributeName::SentTimestamp,
            MessageSystemAttributeName::Unknown("Future".into()),
        ]),
        message_attribute_names: Some(vec!["All".into(), "a.*".into()]),
        max_number_of_messages: Some(10),
        visibility_timeout: Some(i32::MAX),
        wait_time_seconds: Some(i32::MIN),
        receive_request_attempt_id: None,
    };
    same(&receive);

    let mut queue_attributes = HashMap::new();
    queue_attributes.insert(QueueAttributeName::DelaySeconds, "5".to_owned());
    queue_attributes.insert(
        QueueAttributeName::RedrivePolicy,
        r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:dlq","maxReceiveCount":"3"}"#.to_owned(),
    );
    let mut tags = HashMap::new();
    tags.insert("team".to_owned(), "queues".to_owned());
    same(&CreateQueueInput {
        queue_name: "q.fifo".into(),
        attributes: Some(queue_attributes),
        tags: Some(tags),
    });
    same(&ChangeMessageVisibilityBatchInput {
        queue_url: "q".into(),
        entries: vec![ChangeMessageVisibilityBatchRequestEntry {
            id: "1".into(),
            receipt_handle: "AQEB+/=".into(),
            visibility_timeout: Some(0),
        }],
    });
}
