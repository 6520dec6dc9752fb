//! `validate()` against every documented limit: a value at the limit passes, one just past it is
//! refused with an error naming the field and the limit.

use std::collections::HashMap;

use sqs_client::operation::*;
use sqs_client::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, SendMessageBatchRequestEntry,
    SendMessageBatchRequestEntryBuilder,
};
use sqs_client::{LengthUnit, Operation, ValidationProblem};

const QUEUE: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/q";

/// Asserts `ok` validates and `bad` fails at `field` with `problem`, and that the message names
/// the field.
fn limit<O: Operation>(ok: O, bad: O, field: &str, problem: ValidationProblem) {
    ok.validate()
        .unwrap_or_else(|e| panic!("{} should pass: {e}", O::NAME));
    let err = bad.validate().expect_err("past the limit must fail");
    assert_eq!(err.field(), field);
    assert_eq!(err.problem(), &problem);
    assert!(err.to_string().starts_with(field), "{err}");
}

fn send() -> SendMessageInputBuilder {
    SendMessageInput::builder()
        .queue_url(QUEUE)
        .message_body("x")
}

fn entry(id: &str) -> SendMessageBatchRequestEntryBuilder {
    SendMessageBatchRequestEntry::builder()
        .id(id)
        .message_body("x")
}

fn batch(n: usize) -> SendMessageBatchInput {
    let b = SendMessageBatchInput::builder()
        .queue_url(QUEUE)
        .set_entries(Some(Vec::new()));
    (0..n)
        .fold(b, |b, i| b.entries(entry(&i.to_string()).build().unwrap()))
        .build()
        .unwrap()
}

#[test]
fn entries_per_batch() {
    limit(
        batch(10),
        batch(11),
        "SendMessageBatchInput.entries",
        ValidationProblem::TooLong {
            max: 10,
            actual: 11,
            unit: LengthUnit::Entries,
        },
    );
    limit(
        batch(1),
        batch(0),
        "SendMessageBatchInput.entries",
        ValidationProblem::TooShort {
            min: 1,
            actual: 0,
            unit: LengthUnit::Entries,
        },
    );
    let delete = |n: usize| {
        let b = DeleteMessageBatchInput::builder()
            .queue_url(QUEUE)
            .set_entries(Some(Vec::new()));
        (0..n)
            .fold(b, |b, i| {
                b.entries(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle("h")
                        .build()
                        .unwrap(),
                )
            })
            .build()
            .unwrap()
    };
    limit(
        delete(10),
        delete(11),
        "DeleteMessageBatchInput.entries",
        ValidationProblem::TooLong {
            max: 10,
            actual: 11,
            unit: LengthUnit::Entries,
        },
    );
}

#[test]
fn batch_entry_ids() {
    let with_id = |id: &str| {
        SendMessageBatchInput::builder()
            .queue_url(QUEUE)
            .entries(entry(id).build().unwrap())
            .build()
            .unwrap()
    };
    limit(
        with_id(&"a".repeat(80)),
        with_id(&"a".repeat(81)),
        "SendMessageBatchInput.entries[0].id",
        ValidationProblem::TooLong {
            max: 80,
            actual: 81,
            unit: LengthUnit::Characters,
        },
    );
    limit(
        with_id("Az09_-"),
        with_id("has space"),
        "SendMessageBatchInput.entries[0].id",
        ValidationProblem::PatternMismatch {
            pattern: "^[A-Za-z0-9_-]+$",
            offending: Some(' '),
        },
    );
}

#[test]
fn wait_time_seconds() {
    let receive = |w: i32| {
        ReceiveMessageInput::builder()
            .queue_url(QUEUE)
            .wait_time_seconds(w)
            .build()
            .unwrap()
    };
    limit(
        receive(20),
        receive(21),
        "ReceiveMessageInput.wait_time_seconds",
        ValidationProblem::AboveMaximum {
            max: 20,
            actual: 21,
        },
    );
    limit(
        receive(0),
        receive(-1),
        "ReceiveMessageInput.wait_time_seconds",
        ValidationProblem::BelowMinimum { min: 0, actual: -1 },
    );
}

#[test]
fn max_number_of_messages() {
    let receive = |n: i32| {
        ReceiveMessageInput::builder()
            .queue_url(QUEUE)
            .max_number_of_messages(n)
            .build()
            .unwrap()
    };
    limit(
        receive(10),
        receive(11),
        "ReceiveMessageInput.max_number_of_messages",
        ValidationProblem::AboveMaximum {
            max: 10,
            actual: 11,
        },
    );
    limit(
        receive(1),
        receive(0),
        "ReceiveMessageInput.max_number_of_messages",
        ValidationProblem::BelowMinimum { min: 1, actual: 0 },
    );
}

#[test]
fn visibility_timeout() {
    let change = |v: i32| {
        ChangeMessageVisibilityInput::builder()
            .queue_url(QUEUE)
            .receipt_handle("h")
            .visibility_timeout(v)
            .build()
            .unwrap()
    };
    limit(
        change(43_200),
        change(43_201),
        "ChangeMessageVisibilityInput.visibility_timeout",
        ValidationProblem::AboveMaximum {
            max: 43_200,
            actual: 43_201,
        },
    );
    let receive = |v: i32| {
        ReceiveMessageInput::builder()
            .queue_url(QUEUE)
            .visibility_timeout(v)
            .build()
            .unwrap()
    };
    limit(
        receive(0),
        receive(-1),
        "ReceiveMessageInput.visibility_timeout",
        ValidationProblem::BelowMinimum { min: 0, actual: -1 },
    );
}

#[test]
fn delay_seconds() {
    limit(
        send().delay_seconds(900).build().unwrap(),
        send().delay_seconds(901).build().unwrap(),
        "SendMessageInput.delay_seconds",
        ValidationProblem::AboveMaximum {
            max: 900,
            actual: 901,
        },
    );
    let in_batch = |d: i32| {
        SendMessageBatchInput::builder()
            .queue_url(QUEUE)
            .entries(entry("a").build().unwrap())
            .entries(entry("b").delay_seconds(d).build().unwrap())
            .build()
            .unwrap()
    };
    limit(
        in_batch(900),
        in_batch(901),
        "SendMessageBatchInput.entries[1].delay_seconds",
        ValidationProblem::AboveMaximum {
            max: 900,
            actual: 901,
        },
    );
}

#[test]
fn queue_names() {
    let create = |name: &str| {
        CreateQueueInput::builder()
            .queue_name(name)
            .build()
            .unwrap()
    };
    limit(
        create(&"q".repeat(80)),
        create(&"q".repeat(81)),
        "CreateQueueInput.queue_name",
        ValidationProblem::TooLong {
            max: 80,
            actual: 81,
            unit: LengthUnit::Characters,
        },
    );
    limit(
        create("orders.fifo"),
        create("orders.v2"),
        "CreateQueueInput.queue_name",
        ValidationProblem::PatternMismatch {
            pattern: "^[A-Za-z0-9_-]+(\\.fifo)?$",
            offending: Some('.'),
        },
    );
    limit(
        create(&format!("{}.fifo", "q".repeat(75))),
        create(&format!("{}.fifo", "q".repeat(76))),
        "CreateQueueInput.queue_name",
        ValidationProblem::TooLong {
            max: 80,
            actual: 81,
            unit: LengthUnit::Characters,
        },
    );
    let lookup = |name: &str| {
        GetQueueUrlInput::builder()
            .queue_name(name)
            .build()
            .unwrap()
    };
    limit(
        lookup("a"),
        lookup(""),
        "GetQueueUrlInput.queue_name",
        ValidationProblem::TooShort {
            min: 1,
            actual: 0,
            unit: LengthUnit::Characters,
        },
    );
}

#[test]
fn group_and_deduplication_ids() {
    limit(
        send().message_group_id("g".repeat(128)).build().unwrap(),
        send().message_group_id("g".repeat(129)).build().unwrap(),
        "SendMessageInput.message_group_id",
        ValidationProblem::TooLong {
            max: 128,
            actual: 129,
            unit: LengthUnit::Characters,
        },
    );
    limit(
        send().message_deduplication_id("!~{}").build().unwrap(),
        send()
            .message_deduplication_id("tab\there")
            .build()
            .unwrap(),
        "SendMessageInput.message_deduplication_id",
        ValidationProblem::PatternMismatch {
            pattern: "^[!-~]+$",
            offending: Some('\t'),
        },
    );
    limit(
        send()
            .message_deduplication_id("d".repeat(128))
            .build()
            .unwrap(),
        send()
            .message_deduplication_id("d".repeat(129))
            .build()
            .unwrap(),
        "SendMessageInput.message_deduplication_id",
        ValidationProblem::TooLong {
            max: 128,
            actual: 129,
            unit: LengthUnit::Characters,
        },
    );
}

#[test]
fn message_attribute_names_and_count() {
    let value = || {
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value("v")
            .build()
            .unwrap()
    };
    limit(
        send()
            .message_attributes("a".repeat(256), value())
            .build()
            .unwrap(),
        send()
            .message_attributes("a".repeat(257), value())
            .build()
            .unwrap(),
        &format!("SendMessageInput.message_attributes[{:?}]", "a".repeat(257)),
        ValidationProblem::TooLong {
            max: 256,
            actual: 257,
            unit: LengthUnit::Characters,
        },
    );
    limit(
        send()
            .message_attributes("trace.id-1_x", value())
            .build()
            .unwrap(),
        send()
            .message_attributes("trace id", value())
            .build()
            .unwrap(),
        "SendMessageInput.message_attributes[\"trace id\"]",
        ValidationProblem::PatternMismatch {
            pattern: "^[A-Za-z0-9_.-]+$",
            offending: Some(' '),
        },
    );
    let many = |n: usize| {
        send()
            .set_message_attributes(Some(
                (0..n)
                    .map(|i| (format!("a{i}"), value()))
                    .collect::<HashMap<_, _>>(),
            ))
            .build()
            .unwrap()
    };
    limit(
        many(10),
        many(11),
        "SendMessageInput.message_attributes",
        ValidationProblem::TooLong {
            max: 10,
            actual: 11,
            unit: LengthUnit::Entries,
        },
    );
    // Limits inside the attribute value are checked too.
    let typed = |t: &str| {
        send()
            .message_attributes(
                "a",
                MessageAttributeValue::builder()
                    .data_type(t)
                    .string_value("v")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    limit(
        typed("String"),
        typed(""),
        "SendMessageInput.message_attributes[\"a\"].data_type",
        ValidationProblem::TooShort {
            min: 1,
            actual: 0,
            unit: LengthUnit::Characters,
        },
    );
}

#[test]
fn list_queues_max_results() {
    let list = |n: i32| ListQueuesInput::builder().max_results(n).build();
    limit(
        list(1000),
        list(1001),
        "ListQueuesInput.max_results",
        ValidationProblem::AboveMaximum {
            max: 1000,
            actual: 1001,
        },
    );
    limit(
        list(1),
        list(0),
        "ListQueuesInput.max_results",
        ValidationProblem::BelowMinimum { min: 1, actual: 0 },
    );
    let dlq = |n: i32| {
        ListDeadLetterSourceQueuesInput::builder()
            .queue_url(QUEUE)
            .max_results(n)
            .build()
            .unwrap()
    };
    limit(
        dlq(1000),
        dlq(1001),
        "ListDeadLetterSourceQueuesInput.max_results",
        ValidationProblem::AboveMaximum {
            max: 1000,
            actual: 1001,
        },
    );
}

#[test]
fn empty_body_and_characters_counted_not_bytes() {
    limit(
        send().build().unwrap(),
        send().message_body("").build().unwrap(),
        "SendMessageInput.message_body",
        ValidationProblem::TooShort {
            min: 1,
            actual: 0,
            unit: LengthUnit::Characters,
        },
    );
    // 80 four-byte characters are 80 characters, within the id limit.
    let id = "\u{1F600}".repeat(80);
    let group = |g: &str| send().message_group_id(g).build().unwrap();
    group(&"é".repeat(128))
        .validate()
        .expect_err("é is outside printable ASCII");
    let err = SendMessageBatchInput::builder()
        .queue_url(QUEUE)
        .entries(entry(&id).build().unwrap())
        .build()
        .unwrap()
        .validate()
        .unwrap_err();
    assert!(
        matches!(err.problem(), ValidationProblem::PatternMismatch { .. }),
        "length passes, the pattern does not: {err}"
    );
}

#[test]
fn tags_and_move_tasks() {
    let tags = |n: usize| {
        let t = TagQueueInput::builder()
            .queue_url(QUEUE)
            .set_tags(Some(Default::default()));
        (0..n)
            .fold(t, |t, i| t.tags(format!("k{i}"), "v"))
            .build()
            .unwrap()
    };
    limit(
        tags(50),
        tags(51),
        "TagQueueInput.tags",
        ValidationProblem::TooLong {
            max: 50,
            actual: 51,
            unit: LengthUnit::Entries,
        },
    );
    let mv = |n: i32| {
        StartMessageMoveTaskInput::builder()
            .source_arn("arn:aws:sqs:us-east-1:1:dlq")
            .max_number_of_messages_per_second(n)
            .build()
            .unwrap()
    };
    limit(
        mv(500),
        mv(501),
        "StartMessageMoveTaskInput.max_number_of_messages_per_second",
        ValidationProblem::AboveMaximum {
            max: 500,
            actual: 501,
        },
    );
}

#[test]
fn a_builder_names_the_required_member_left_unset() {
    let err = SendMessageBatchRequestEntry::builder()
        .id("a")
        .build()
        .unwrap_err();
    assert_eq!(err.field(), "SendMessageBatchRequestEntry.message_body");
    assert_eq!(err.problem(), &ValidationProblem::Missing);
    // `?` in a function returning the client's error turns it into a refused request.
    let err: sqs_client::Error = err.into();
    assert_eq!(err.kind(), sqs_client::ErrorKind::InvalidRequest);
    assert!(
        err.to_string()
            .contains("SendMessageBatchRequestEntry.message_body: a value is required"),
        "{err}"
    );
}
