//! Unit tests of `checks`.

use super::*;
use crate::types::Blob;

fn wire_attributes() -> HashMap<String, MessageAttributeValue> {
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

#[test]
fn digests_match_the_captured_server_answers() {
    // From the moto captures: body "hello wire" and the two attributes.
    assert_eq!(md5_hex(b"hello wire"), "3eeebf6b04a9821afe3b68830b7038f9");
    assert_eq!(
        attributes_md5(&wire_attributes()),
        "8a571d1c4ce3c1b73fb70f737796d1c8"
    );
    // From the extended-client capture: one String attribute plus the reserved Number one.
    let attrs = HashMap::from([
        (
            "user-attr".to_owned(),
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("keep-me")
                .build()
                .unwrap(),
        ),
        (
            "ExtendedPayloadSize".to_owned(),
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value("307200")
                .build()
                .unwrap(),
        ),
    ]);
    assert_eq!(attributes_md5(&attrs), "2239848aaacf5129a97f34525cc8c355");
}

#[test]
fn each_batch_entry_is_checked_against_its_own_body() {
    let bodies = ["hello wire", "second body", "third", "fourth one", "fifth"];
    let input = SendMessageBatchInput {
        queue_url: "q".into(),
        entries: bodies
            .iter()
            .enumerate()
            .map(|(n, body)| crate::types::SendMessageBatchRequestEntry {
                id: format!("e{n}"),
                message_body: (*body).into(),
                ..Default::default()
            })
            .collect(),
    };
    let answered = |id: &str, md5: String| crate::types::SendMessageBatchResultEntry {
        id: id.into(),
        message_id: format!("m-{id}"),
        md5_of_message_body: md5,
        ..Default::default()
    };
    // An entry the request did not have comes first, e4 comes before e1 (the answer's
    // order is not the request's), e2 has no digest to compare (so it cannot be checked), e3
    // carries e2's.
    let mut output = SendMessageBatchOutput {
        successful: vec![
            answered("stranger", md5_hex(b"whatever")),
            answered("e0", md5_hex(bodies[0].as_bytes())),
            answered("e4", md5_hex(bodies[4].as_bytes())),
            answered("e1", md5_hex(bodies[1].as_bytes())),
            answered("e2", String::new()),
            answered("e3", md5_hex(bodies[2].as_bytes())),
        ],
        failed: Vec::new(),
    };
    verify_send_batch(&input, &batch_body_digests(&input), &mut output).unwrap();
    let kept: Vec<&str> = output.successful.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(kept, ["stranger", "e0", "e4", "e1"]);
    let failed: Vec<(&str, &str)> = output
        .failed
        .iter()
        .map(|e| (e.id.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        failed,
        [
            ("e2", CHECKSUM_MISMATCH_CODE),
            ("e3", CHECKSUM_MISMATCH_CODE)
        ]
    );
}

#[test]
fn forbidden_characters_are_found() {
    assert_eq!(forbidden_char("ok\t\r\n é 😀"), None);
    assert_eq!(forbidden_char("a\u{0}b"), Some((1, '\u{0}')));
    assert_eq!(forbidden_char("ab\u{FFFE}"), Some((2, '\u{FFFE}')));
    assert_eq!(forbidden_char("\u{FFFD}"), None);
}

#[test]
fn size_counts_attributes() {
    assert_eq!(
        message_size("hello", Some(&wire_attributes())),
        5 + (5 + 6 + 2) + (3 + 6 + 3)
    );
}

#[cfg(feature = "server")]
#[test]
fn a_service_fills_the_digests_a_client_checks_and_keeps_those_already_set() {
    use crate::Operation as _;
    use crate::codec::Served as _;
    use crate::types::{SendMessageBatchRequestEntry, SendMessageBatchResultEntry};

    let send = SendMessageInput::builder()
        .queue_url("q")
        .message_body("hello wire")
        .set_message_attributes(Some(wire_attributes()))
        .build()
        .unwrap();
    let mut out = SendMessageOutput::default();
    send.fill_digests(&mut out);
    // The values moto answered for the same message.
    assert_eq!(
        out.md5_of_message_body.as_deref(),
        Some("3eeebf6b04a9821afe3b68830b7038f9")
    );
    assert_eq!(
        out.md5_of_message_attributes.as_deref(),
        Some("8a571d1c4ce3c1b73fb70f737796d1c8")
    );
    assert_eq!(out.md5_of_message_system_attributes, None);
    let mut wrong = SendMessageOutput::builder()
        .md5_of_message_body("00000000000000000000000000000000")
        .build();
    send.fill_digests(&mut wrong);
    assert!(send.verify(&[], &mut wrong).is_err());

    let batch = SendMessageBatchInput::builder()
        .queue_url("q")
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("a")
                .message_body("hello wire")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let entry = |id: &str| SendMessageBatchResultEntry {
        id: id.to_owned(),
        ..Default::default()
    };
    let mut out = SendMessageBatchOutput {
        successful: vec![entry("a"), entry("not-sent")],
        ..Default::default()
    };
    batch.fill_digests(&mut out);
    assert_eq!(
        out.successful[0].md5_of_message_body,
        md5_hex(b"hello wire")
    );
    assert_eq!(out.successful[1].md5_of_message_body, "");

    let message = Message::builder()
        .body("hello wire")
        .set_message_attributes(Some(wire_attributes()))
        .build();
    let mut out = ReceiveMessageOutput {
        messages: Some(vec![message, Message::default()]),
    };
    let receive = ReceiveMessageInput::builder()
        .queue_url("q")
        .build()
        .unwrap();
    receive.fill_digests(&mut out);
    assert_eq!(
        verify_messages(out.messages.as_deref().unwrap()),
        [Ok(()), Ok(())]
    );
    assert_eq!(
        out.messages.as_ref().unwrap()[1].md5_of_body.as_deref(),
        Some("d41d8cd98f00b204e9800998ecf8427e")
    );
}
