//! `sqs_client::testing` (feature `testing`) as a user's contract test uses it: typed answers in
//! both protocols that pass the client's digest checks, digests set on purpose kept, errors and
//! throttling as the client classifies them, requests read back as inputs, and requests the
//! helpers cannot read answered with an error rather than a panic.

use std::collections::HashMap;
use std::time::Duration;

use sqs_client::operation::receive_message::{ReceiveMessageInput, ReceiveMessageOutput};
use sqs_client::operation::send_message::{SendMessageInput, SendMessageOutput};
use sqs_client::operation::send_message_batch::{SendMessageBatchInput, SendMessageBatchOutput};
use sqs_client::testing::wiremock::{Mock, MockServer, ResponseTemplate, matchers};
use sqs_client::testing::{self, ServiceError};

use sqs_client::types::{
    Message, MessageAttributeValue, SendMessageBatchRequestEntry, SendMessageBatchResultEntry,
};
use sqs_client::{Client, ErrorCode, ErrorKind, Protocol, RetryConfig};

const QUEUE: &str = "http://127.0.0.1:9/000000000000/jobs";
const PROTOCOLS: [Protocol; 2] = [Protocol::AwsJson1_0, Protocol::AwsQuery];

fn client(server: &MockServer, protocol: Protocol) -> Client {
    testing::client_builder(server)
        .protocol(protocol)
        .retry_config(RetryConfig::default().backoff(
            Duration::from_millis(1),
            Duration::from_millis(1),
            Duration::from_millis(5),
        ))
        .build()
        .unwrap()
}

fn attributes() -> HashMap<String, MessageAttributeValue> {
    let value = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("a→b")
        .build()
        .unwrap();
    HashMap::from([("kind".to_owned(), value)])
}

#[tokio::test]
async fn a_typed_answer_passes_the_digest_checks_and_the_request_reads_back() {
    for protocol in PROTOCOLS {
        let server = MockServer::start().await;
        Mock::given(testing::operation::<SendMessageInput>())
            .respond_with(testing::reply::<SendMessageInput>(
                SendMessageOutput::builder().message_id("m-1").build(),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let out = client(&server, protocol)
            .send_message()
            .queue_url(QUEUE)
            .message_body("hello")
            .set_message_attributes(Some(attributes()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{protocol:?}: {e}"));
        assert_eq!(out.message_id(), Some("m-1"));
        assert_eq!(
            out.md5_of_message_body(),
            Some("5d41402abc4b2a76b9719d911017c592")
        );
        let sent = testing::received::<SendMessageInput>(&server)
            .await
            .unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].queue_url(), QUEUE);
        assert_eq!(sent[0].message_body(), "hello");
        assert_eq!(sent[0].message_attributes(), Some(&attributes()));
        // Another operation's requests are not mistaken for these.
        assert!(
            testing::received::<ReceiveMessageInput>(&server)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_wrong_digest_set_on_purpose_is_kept_and_the_client_refuses_it() {
    for protocol in PROTOCOLS {
        let server = MockServer::start().await;
        let wrong = SendMessageOutput::builder()
            .message_id("m-1")
            .md5_of_message_body("00000000000000000000000000000000")
            .build();
        Mock::given(testing::operation::<SendMessageInput>())
            .respond_with(testing::reply::<SendMessageInput>(wrong))
            .mount(&server)
            .await;
        let e = client(&server, protocol)
            .send_message()
            .queue_url(QUEUE)
            .message_body("hello")
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ChecksumMismatch, "{protocol:?}: {e}");
    }
}

#[tokio::test]
async fn batch_entries_and_received_messages_get_their_own_digests() {
    for protocol in PROTOCOLS {
        let server = MockServer::start().await;
        Mock::given(testing::operation::<SendMessageBatchInput>())
            .respond_with(testing::reply_with(|input: &SendMessageBatchInput| {
                // The digests are left empty: the reply fills them in.
                let successful = input
                    .entries()
                    .iter()
                    .map(|e| {
                        let mut ok = SendMessageBatchResultEntry::default();
                        ok.id = e.id().to_owned();
                        ok.message_id = format!("m-{}", e.id());
                        ok
                    })
                    .collect();
                let mut out = SendMessageBatchOutput::default();
                out.successful = successful;
                Ok(out)
            }))
            .mount(&server)
            .await;
        let message = |n: usize| {
            Message::builder()
                .message_id(format!("r-{n}"))
                .receipt_handle(format!("h-{n}"))
                .body(format!("body {n}"))
                .set_message_attributes(Some(attributes()))
                .build()
        };
        Mock::given(testing::operation::<ReceiveMessageInput>())
            .respond_with(testing::reply::<ReceiveMessageInput>(
                ReceiveMessageOutput::builder()
                    .set_messages(Some((0..3).map(message).collect()))
                    .build(),
            ))
            .mount(&server)
            .await;
        let client = client(&server, protocol);
        let entries = (0..4)
            .map(|i| {
                SendMessageBatchRequestEntry::builder()
                    .id(format!("e{i}"))
                    .message_body(format!("entry {i}"))
                    .set_message_attributes((i % 2 == 0).then(attributes))
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let out = client
            .send_message_batch()
            .queue_url(QUEUE)
            .set_entries(Some(entries))
            .send()
            .await
            .unwrap();
        assert_eq!(out.successful().len(), 4, "{protocol:?}: {out:?}");
        assert!(out.failed().is_empty(), "{protocol:?}: {out:?}");
        let received = client
            .receive_message()
            .queue_url(QUEUE)
            .send()
            .await
            .unwrap();
        let bodies: Vec<_> = received.messages().iter().map(|m| m.body()).collect();
        assert_eq!(
            bodies,
            [Some("body 0"), Some("body 1"), Some("body 2")],
            "{protocol:?}"
        );
    }
}

#[tokio::test]
async fn service_errors_reach_the_client_typed_and_throttling_is_retried() {
    for protocol in PROTOCOLS {
        let server = MockServer::start().await;
        Mock::given(testing::operation::<SendMessageInput>().when(|i| i.queue_url == QUEUE))
            .respond_with(ServiceError::new(
                ErrorCode::QueueDoesNotExist,
                "The specified queue does not exist.",
            ))
            .mount(&server)
            .await;
        let client = client(&server, protocol);
        let e = client
            .send_message()
            .queue_url(QUEUE)
            .message_body("x")
            .send()
            .await
            .unwrap_err();
        assert!(e.is_queue_does_not_exist(), "{protocol:?}: {e}");
        assert_eq!(
            e.code(),
            Some(&ErrorCode::QueueDoesNotExist),
            "{protocol:?}"
        );

        // Another queue: throttled twice, then answered; a third: an internal failure (500, a
        // receiver fault), then answered. Both are retried until answered.
        for (queue, failure, failures) in [
            (
                "http://127.0.0.1:9/000000000000/other",
                ServiceError::throttling(),
                2,
            ),
            (
                "http://127.0.0.1:9/000000000000/third",
                ServiceError::internal(),
                1,
            ),
        ] {
            let attempts = fails_then_answers(&server, &client, queue, failure, failures).await;
            assert_eq!(
                attempts,
                failures + 1,
                "{protocol:?} {queue}: the failed attempts and the answered one"
            );
        }
        // Without retries, the failure reaches the caller as the retryable 500 it is.
        let fourth = "http://127.0.0.1:9/000000000000/fourth";
        Mock::given(testing::operation::<SendMessageInput>().when(move |i| i.queue_url == fourth))
            .respond_with(ServiceError::internal())
            .mount(&server)
            .await;
        let once = testing::client_builder(&server)
            .protocol(protocol)
            .retry_config(RetryConfig::default().max_attempts(1))
            .build()
            .unwrap();
        let e = once
            .send_message()
            .queue_url(fourth)
            .message_body("x")
            .send()
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Service, "{protocol:?}: {e}");
        assert_eq!(e.http_status(), Some(500), "{protocol:?}: {e}");
        assert!(e.is_retryable(), "{protocol:?}: {e}");
    }
}

/// Mounts on `server` a SendMessage answer for `queue` that fails `failures` times with
/// `failure` and then succeeds, sends one message there with `client` and returns how many
/// requests it took.
async fn fails_then_answers(
    server: &MockServer,
    client: &Client,
    queue: &'static str,
    failure: ServiceError,
    failures: u64,
) -> u64 {
    let on_queue =
        move || testing::operation::<SendMessageInput>().when(move |i| i.queue_url == queue);
    Mock::given(on_queue())
        .respond_with(failure)
        .up_to_n_times(failures)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(on_queue())
        .respond_with(testing::reply::<SendMessageInput>(
            SendMessageOutput::builder().message_id("m-2").build(),
        ))
        .mount(server)
        .await;
    let out = client
        .send_message()
        .queue_url(queue)
        .message_body("x")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{queue}: {e}"));
    assert_eq!(out.message_id(), Some("m-2"));
    let sent = testing::received::<SendMessageInput>(server).await.unwrap();
    sent.iter().filter(|i| i.queue_url == queue).count() as u64
}

/// Sends a raw POST with `headers` and `body` to `server` and returns the status and the whole
/// answer (headers and body), read over plain TCP.
async fn post(server: &MockServer, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = String::from("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut stream = tokio::net::TcpStream::connect(server.address())
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    (text[9..12].parse().unwrap(), text)
}

#[tokio::test]
async fn requests_the_helpers_cannot_read_get_an_error_in_their_protocol() {
    let json = [
        ("x-amz-target", "AmazonSQS.SendMessage"),
        ("content-type", "application/x-amz-json-1.0"),
    ];
    let form = [("content-type", "application/x-www-form-urlencoded")];
    type Headers<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Headers<'_>, &[u8], &str); 5] = [
        (&json, b"{\"QueueUrl\": ", "SerializationException"),
        (&json, b"{\"QueueUrl\": \"q\"}", "MissingParameter"),
        (
            &[("x-amz-target", "AmazonSQS.DeleteQueue")],
            b"{\"QueueUrl\": \"q\"}",
            "InvalidAction",
        ),
        (
            &form,
            b"Action=SendMessage&QueueUrl=q",
            "<Code>MissingParameter</Code>",
        ),
        (
            &form,
            b"Action=SendMessage&QueueUrl=%FF&MessageBody=x",
            "<Code>InvalidParameterValue</Code>",
        ),
    ];
    // Behind the reply, any request; the matcher alone answers 200 to what it matches (and a
    // request it cannot read must not match, nor panic it).
    let answering = MockServer::start().await;
    Mock::given(matchers::any())
        .respond_with(testing::reply::<SendMessageInput>(
            SendMessageOutput::default(),
        ))
        .mount(&answering)
        .await;
    let matching = MockServer::start().await;
    Mock::given(testing::operation::<SendMessageInput>().when(|_| true))
        .respond_with(ResponseTemplate::new(200))
        .mount(&matching)
        .await;
    for (headers, body, code) in cases {
        let shown = String::from_utf8_lossy(body);
        let (status, answer) = post(&answering, headers, body).await;
        assert_eq!(status, 400, "{shown}: {answer}");
        assert!(answer.contains(code), "{shown} answered {answer}");
        if headers.first().is_some_and(|h| h.0 == "x-amz-target") {
            assert!(answer.contains("x-amzn-query-error"), "{answer}");
        }
        let (status, _) = post(&matching, headers, body).await;
        assert_eq!(status, 404, "{shown} matched");
    }
}

#[tokio::test]
async fn a_code_no_header_can_carry_goes_in_the_body_only() {
    let server = MockServer::start().await;
    Mock::given(matchers::any())
        .respond_with(ServiceError::new(
            ErrorCode::from_code("Bad\nCode"),
            "made up by a test",
        ))
        .mount(&server)
        .await;
    let json = [
        ("x-amz-target", "AmazonSQS.SendMessage"),
        ("content-type", "application/x-amz-json-1.0"),
    ];
    let (status, answer) = post(&server, &json, b"{}").await;
    assert_eq!(status, 400, "{answer}");
    assert!(!answer.contains("x-amzn-query-error"), "{answer}");
    assert!(answer.contains(r#"Bad\nCode"#), "{answer}");
}

#[tokio::test]
async fn reading_back_from_a_server_that_does_not_record_says_so() {
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    let e = testing::received::<SendMessageInput>(&server)
        .await
        .unwrap_err();
    assert_eq!(e, testing::ReceivedError::NotRecording);
    assert!(e.to_string().contains("disable_request_recording"), "{e}");
}
