//! What the operations tell a client beyond their wire form, as the API description states it:
//! long polls, idempotency, the checks before sending and the digests after.

use std::time::Duration;

use sqs_model::operation::*;
use sqs_model::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use sqs_model::{Limits, Operation};

#[test]
fn a_receive_says_how_long_the_server_may_hold_it() {
    let receive = ReceiveMessageInput::builder().queue_url("q");
    // Absent, the queue's own wait applies: up to twenty seconds.
    assert_eq!(
        receive.clone().build().unwrap().long_poll(),
        Some(Duration::from_secs(20))
    );
    assert_eq!(
        receive.wait_time_seconds(5).build().unwrap().long_poll(),
        Some(Duration::from_secs(5))
    );
    assert_eq!(SendMessageInput::default().long_poll(), None);
}

fn idempotent<O: Operation>() -> bool {
    O::IDEMPOTENT
}

#[test]
fn reads_and_idempotent_changes_may_be_sent_again_sends_may_not() {
    assert!(idempotent::<ListQueuesInput>());
    assert!(idempotent::<GetQueueAttributesInput>());
    assert!(idempotent::<DeleteMessageInput>());
    assert!(idempotent::<ChangeMessageVisibilityBatchInput>());
    assert!(!idempotent::<SendMessageInput>());
    assert!(!idempotent::<SendMessageBatchInput>());
    assert!(!idempotent::<ReceiveMessageInput>());
    assert!(!idempotent::<PurgeQueueInput>());
}

#[test]
fn the_checks_the_description_cannot_state_run_through_the_operation() {
    let limits = Limits::default();
    let bad_body = SendMessageInput::builder()
        .queue_url("q")
        .message_body("a\u{0}b")
        .build()
        .unwrap();
    let e = bad_body.check(&limits).unwrap_err();
    assert!(e.field().contains("message_body"), "{e}");

    let too_big = SendMessageInput::builder()
        .queue_url("q")
        .message_body("x".repeat(1_048_577))
        .build()
        .unwrap();
    assert!(too_big.check(&limits).is_err());
    assert!(too_big.check(&Limits::new(2 << 20)).is_ok());

    let entry = |id: &str| {
        DeleteMessageBatchRequestEntry::builder()
            .id(id)
            .receipt_handle("r")
            .build()
            .unwrap()
    };
    let twice = DeleteMessageBatchInput::builder()
        .queue_url("q")
        .entries(entry("a"))
        .entries(entry("a"))
        .build()
        .unwrap();
    let e = twice.check(&limits).unwrap_err();
    assert!(e.to_string().contains("distinct"), "{e}");
}

#[test]
fn digests_are_taken_before_sending_and_checked_after() {
    let batch = SendMessageBatchInput::builder()
        .queue_url("q")
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("a")
                .message_body("hello")
                .build()
                .unwrap(),
        )
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("b")
                .message_body("world")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let digests = batch.sent_digests();
    assert_eq!(digests.len(), 2);
    assert_eq!(
        sqs_model::wire::hex(&digests[0]),
        "5d41402abc4b2a76b9719d911017c592"
    );
    assert!(SendMessageInput::default().sent_digests().is_empty());

    let send = SendMessageInput::builder()
        .queue_url("q")
        .message_body("hello")
        .build()
        .unwrap();
    let good = SendMessageOutput::builder()
        .message_id("m")
        .md5_of_message_body("5d41402abc4b2a76b9719d911017c592");
    assert!(send.verify(&[], &mut good.clone().build()).is_ok());
    let mut bad = good
        .md5_of_message_body("00000000000000000000000000000000")
        .build();
    let why = send.verify(&[], &mut bad).unwrap_err();
    assert!(why.contains("MD5OfMessageBody"), "{why}");
}
