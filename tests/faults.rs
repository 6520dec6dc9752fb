//! Faults: every one ends in a successful retry or the right typed error, never a panic, and
//! only what is safe is retried, as many times as configured.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqs_client::operation::*;
use sqs_client::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use sqs_client::{
    CHECKSUM_MISMATCH_CODE, Client, Credentials, ErrorCode, ErrorKind, Protocol, RetryConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const Q: &str = "http://127.0.0.1:9/123456789012/jobs";
const JSON: &str = "application/x-amz-json-1.0";

fn fast_retries(attempts: u32) -> RetryConfig {
    RetryConfig::default().max_attempts(attempts).backoff(
        Duration::from_millis(1),
        Duration::from_millis(2),
        Duration::from_millis(5),
    )
}

fn client_for(uri: &str, protocol: Protocol, attempts: u32) -> Client {
    Client::builder()
        .endpoint_url(uri)
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKID", "secret"))
        .protocol(protocol)
        .retry_config(fast_retries(attempts))
        .attempt_timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

fn ok_json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), JSON)
}

fn send() -> SendMessageInputBuilder {
    SendMessageInput::builder()
        .queue_url(Q)
        .message_body("hello wire")
}

const SEND_OK: &str =
    r#"{"MD5OfMessageBody": "3eeebf6b04a9821afe3b68830b7038f9", "MessageId": "m1"}"#;
const SEND_OK_XML: &str = "<SendMessageResponse><SendMessageResult><MD5OfMessageBody>3eeebf6b04a9821afe3b68830b7038f9</MD5OfMessageBody><MessageId>m1</MessageId></SendMessageResult></SendMessageResponse>";

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    for status in [500, 502, 503, 504] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ok_json(SEND_OK))
            .mount(&server)
            .await;
        let out = client_for(&server.uri(), Protocol::AwsJson1_0, 3)
            .execute(send().build().unwrap())
            .await
            .unwrap();
        assert_eq!(out.message_id.as_deref(), Some("m1"));
        assert_eq!(requests(&server).await, 3, "HTTP {status}");
    }
}

#[tokio::test]
async fn throttling_in_both_protocols_is_retried() {
    let json_throttle = ResponseTemplate::new(400)
        .insert_header("x-amzn-query-error", "Throttling;Sender")
        .set_body_raw(
            r#"{"__type": "com.amazonaws.sqs#Throttling", "message": "Rate exceeded"}"#,
            JSON,
        );
    let xml_throttle = ResponseTemplate::new(400).set_body_raw(
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>",
        "text/xml",
    );
    let request_throttled =
        ResponseTemplate::new(403).set_body_raw(r#"{"__type": "RequestThrottled"}"#, JSON);
    for (protocol, throttle, ok) in [
        (Protocol::AwsJson1_0, json_throttle, ok_json(SEND_OK)),
        (Protocol::AwsJson1_0, request_throttled, ok_json(SEND_OK)),
        (
            Protocol::AwsQuery,
            xml_throttle,
            ResponseTemplate::new(200).set_body_raw(SEND_OK_XML, "text/xml"),
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(throttle)
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ok)
            .mount(&server)
            .await;
        client_for(&server.uri(), protocol, 3)
            .execute(send().build().unwrap())
            .await
            .unwrap();
        assert_eq!(requests(&server).await, 2);
    }
}

#[tokio::test]
async fn throttling_that_persists_is_a_throttling_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-amzn-query-error", "Throttling;Sender")
                .set_body_raw(r#"{"__type": "Throttling"}"#, JSON),
        )
        .mount(&server)
        .await;
    let err = client_for(&server.uri(), Protocol::AwsJson1_0, 2)
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert!(err.is_throttling() && err.is_retryable());
    assert_eq!(err.attempts(), 2);
    assert_eq!(err.http_status(), Some(400));
}

#[tokio::test]
async fn errors_that_are_not_transient_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-amzn-requestid", "req-42")
                .set_body_raw(r#"{"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."}"#, JSON),
        )
        .mount(&server)
        .await;
    let err = client_for(&server.uri(), Protocol::AwsJson1_0, 5)
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Service);
    assert_eq!(err.code(), Some(&ErrorCode::QueueDoesNotExist));
    assert_eq!(err.request_id(), Some("req-42"));
    assert_eq!(err.message(), "The specified queue does not exist.");
    assert!(!err.is_retryable());
    assert_eq!(requests(&server).await, 1);

    // Invalid input is refused before anything is sent.
    let err = client_for(&server.uri(), Protocol::AwsJson1_0, 5)
        .execute(send().delay_seconds(901).build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert_eq!(
        err.validation().unwrap().field(),
        "SendMessageInput.delay_seconds"
    );
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn the_attempt_count_follows_the_configuration() {
    for attempts in [1, 2, 4] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(500))
            .mount(&server)
            .await;
        let err = client_for(&server.uri(), Protocol::AwsJson1_0, attempts)
            .execute(send().build().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.attempts(), attempts);
        assert_eq!(requests(&server).await, attempts as usize);
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_attempt_timeout_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok_json(SEND_OK).set_delay(Duration::from_secs(2)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok_json(SEND_OK))
        .mount(&server)
        .await;
    client_for(&server.uri(), Protocol::AwsJson1_0, 3)
        .execute(send().build().unwrap())
        .await
        .unwrap();

    let slow = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok_json(SEND_OK).set_delay(Duration::from_secs(2)))
        .mount(&slow)
        .await;
    let err = client_for(&slow.uri(), Protocol::AwsJson1_0, 2)
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn long_polls_get_their_wait_time_on_top_of_the_attempt_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok_json(r#"{"Messages": []}"#).set_delay(Duration::from_millis(800)))
        .mount(&server)
        .await;
    // 800 ms is past the 300 ms attempt timeout, but within it plus WaitTimeSeconds=1.
    let out = client_for(&server.uri(), Protocol::AwsJson1_0, 1)
        .execute(
            ReceiveMessageInput::builder()
                .queue_url(Q)
                .wait_time_seconds(1)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(out.messages, Some(vec![]));
}

#[tokio::test]
async fn malformed_bodies_are_typed_errors() {
    for (protocol, body, mime) in [
        (Protocol::AwsJson1_0, r#"{"MessageId": "#, JSON),
        (Protocol::AwsJson1_0, r#"{"MessageId": 17}"#, JSON),
        (
            Protocol::AwsQuery,
            "<SendMessageResponse><SendMessageResult>",
            "text/xml",
        ),
        (Protocol::AwsQuery, "not xml", "text/xml"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, mime))
            .mount(&server)
            .await;
        let err = client_for(&server.uri(), protocol, 2)
            .execute(send().build().unwrap())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedResponse, "{body}: {err}");
        assert_eq!(err.attempts(), 2, "a garbled answer is retried");
    }
    // An error status whose body names no code (a proxy's HTML page).
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html>Bad Gateway</html>", "text/html"),
        )
        .mount(&server)
        .await;
    let err = client_for(&server.uri(), Protocol::AwsJson1_0, 2)
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        (err.kind(), err.http_status(), err.attempts()),
        (ErrorKind::Service, Some(502), 2)
    );
}

#[tokio::test]
async fn wrong_digests_are_typed_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok_json(
            r#"{"MD5OfMessageBody": "00000000000000000000000000000000", "MessageId": "m1"}"#,
        ))
        .mount(&server)
        .await;
    let err = client_for(&server.uri(), Protocol::AwsJson1_0, 3)
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch);
    assert!(err.message().contains("MD5OfMessageBody"), "{err}");
    assert_eq!(
        requests(&server).await,
        1,
        "a digest mismatch is not retried blindly"
    );
    // Attribute digests too.
    let with_attr = send()
        .message_attributes(
            "a",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("v")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok_json(r#"{"MD5OfMessageBody": "3eeebf6b04a9821afe3b68830b7038f9", "MD5OfMessageAttributes": "00000000000000000000000000000000", "MessageId": "m1"}"#))
        .mount(&server)
        .await;
    let err = client_for(&server.uri(), Protocol::AwsJson1_0, 1)
        .execute(with_attr.clone())
        .await
        .unwrap_err();
    assert!(err.message().contains("MD5OfMessageAttributes"), "{err}");
    // The switch turns it off.
    let lax = Client::builder()
        .endpoint_url(server.uri())
        .credentials_provider(Credentials::new("AKID", "secret"))
        .skip_checksums(true)
        .build()
        .unwrap();
    lax.execute(with_attr).await.unwrap();
}

#[tokio::test]
async fn a_wrong_digest_in_a_batch_fails_only_that_entry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok_json(
            r#"{"Successful": [
                {"Id": "a", "MessageId": "m1", "MD5OfMessageBody": "f97c5d29941bfb1b2fdab0874906ab82"},
                {"Id": "b", "MessageId": "m2", "MD5OfMessageBody": "ffffffffffffffffffffffffffffffff"}]}"#,
        ))
        .mount(&server)
        .await;
    let batch = SendMessageBatchInput::builder()
        .queue_url(Q)
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
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let out = client_for(&server.uri(), Protocol::AwsJson1_0, 1)
        .execute(batch)
        .await
        .unwrap();
    assert_eq!(out.successful.len(), 1);
    assert_eq!(out.successful[0].id, "a");
    let failed = &out.failed[0];
    assert_eq!(
        (
            failed.id.as_str(),
            failed.code.as_str(),
            failed.sender_fault
        ),
        ("b", CHECKSUM_MISMATCH_CODE, false)
    );
}

#[tokio::test]
async fn a_received_message_with_a_wrong_digest_is_reported() {
    let server = MockServer::start().await;
    // m8 and m10 are intact ("hello wire"), m9's body is not the one its digest describes.
    Mock::given(method("POST"))
        .respond_with(ok_json(
            r#"{"Messages": [
                {"MessageId": "m8", "ReceiptHandle": "rh8", "MD5OfBody": "3eeebf6b04a9821afe3b68830b7038f9", "Body": "hello wire"},
                {"MessageId": "m9", "ReceiptHandle": "rh9", "MD5OfBody": "3eeebf6b04a9821afe3b68830b7038f9", "Body": "hello wirE"},
                {"MessageId": "m10", "ReceiptHandle": "rh10", "MD5OfBody": "3eeebf6b04a9821afe3b68830b7038f9", "Body": "hello wire"}]}"#,
        ))
        .mount(&server)
        .await;
    let input = ReceiveMessageInput::builder()
        .queue_url(Q)
        .wait_time_seconds(0)
        .build()
        .unwrap();
    let client = client_for(&server.uri(), Protocol::AwsJson1_0, 1);

    // The whole call fails, naming the message.
    let err = client.execute(input.clone()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch);
    assert!(err.message().contains("m9"), "{err}");

    // Message by message, only m9 is an error, and it carries the message as it came.
    let each = client.receive_each(input.clone()).await.unwrap();
    let ids: Vec<Result<&str, &str>> = each
        .iter()
        .map(|m| match m {
            Ok(m) => Ok(m.message_id.as_deref().unwrap()),
            Err(d) => Err(d.message.message_id.as_deref().unwrap()),
        })
        .collect();
    assert_eq!(ids, [Ok("m8"), Err("m9"), Ok("m10")]);
    let damaged = each[1].as_ref().unwrap_err();
    assert_eq!(damaged.error.kind(), ErrorKind::ChecksumMismatch);
    assert!(damaged.error.message().contains("MD5OfBody"), "{damaged}");
    assert_eq!(damaged.message.body.as_deref(), Some("hello wirE"));

    // With checksums turned off, all three are delivered.
    let unchecked = Client::builder()
        .endpoint_url(server.uri())
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKID", "secret"))
        .skip_checksums(true)
        .build()
        .unwrap();
    let each = unchecked.receive_each(input).await.unwrap();
    assert!(each.iter().all(Result::is_ok), "{each:?}");
}

/// What a scripted raw server does with one connection.
#[derive(Clone, Copy)]
enum Step {
    /// Reads the request and resets the connection.
    Reset,
    /// Answers with a Content-Length longer than the body, then closes.
    Truncate,
    /// Answers properly.
    Answer,
}

/// A server on 127.0.0.1 following `script` connection by connection (the last step repeats).
/// Returns its URL and a counter of connections. The task ends with the test's runtime.
async fn scripted(script: Vec<Step>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let step = script[n.min(script.len() - 1)];
            let mut buf = vec![0u8; 64 * 1024];
            let _ = stream.read(&mut buf).await;
            match step {
                Step::Reset => {
                    let _ = stream.set_zero_linger();
                    drop(stream);
                }
                Step::Truncate => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: {JSON}\r\ncontent-length: 500\r\nconnection: close\r\n\r\n"
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(&SEND_OK.as_bytes()[..20]).await;
                    let _ = stream.shutdown().await;
                }
                Step::Answer => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: {JSON}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        SEND_OK.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(SEND_OK.as_bytes()).await;
                    let _ = stream.shutdown().await;
                }
            }
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_reset_connection_is_retried() {
    let (url, count) = scripted(vec![Step::Reset, Step::Answer]).await;
    client_for(&url, Protocol::AwsJson1_0, 3)
        .execute(send().build().unwrap())
        .await
        .unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2);

    let (url, count) = scripted(vec![Step::Reset]).await;
    let err = client_for(&url, Protocol::AwsJson1_0, 3)
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_truncated_body_is_retried() {
    let (url, count) = scripted(vec![Step::Truncate, Step::Answer]).await;
    client_for(&url, Protocol::AwsJson1_0, 3)
        .execute(send().build().unwrap())
        .await
        .unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2);

    let (url, _) = scripted(vec![Step::Truncate]).await;
    let err = client_for(&url, Protocol::AwsJson1_0, 2)
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Transport | ErrorKind::MalformedResponse
        ),
        "{err}"
    );
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn nothing_listening_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client_for(&url, Protocol::AwsJson1_0, 2)
        .execute(send().build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn a_failing_credentials_provider_is_a_typed_error() {
    #[derive(Debug)]
    struct Broken;
    impl sqs_client::credentials::ProvideCredentials for Broken {
        fn provide_credentials(&self) -> sqs_client::credentials::CredentialsFuture<'_> {
            Box::pin(async {
                Err(sqs_client::credentials::CredentialsError::new(
                    "vault", "sealed",
                ))
            })
        }
    }
    let client = Client::builder()
        .endpoint_url("http://127.0.0.1:1")
        .credentials_provider(Broken)
        .build()
        .unwrap();
    let err = client.execute(send().build().unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Credentials);
    assert!(err.to_string().contains("vault: sealed"), "{err}");
}

#[test]
fn debug_output_never_shows_the_secret() {
    let client = Client::builder()
        .endpoint_url("http://127.0.0.1:1")
        .credentials_provider(
            Credentials::new("AKIDVISIBLE", "very-secret-key")
                .with_session_token("secret-session-token"),
        )
        .build()
        .unwrap();
    let shown = format!("{client:?}");
    assert!(shown.contains("AKIDVISIBLE"));
    assert!(
        !shown.contains("very-secret-key") && !shown.contains("secret-session-token"),
        "{shown}"
    );
}

#[tokio::test]
async fn the_operation_timeout_bounds_retries_and_slow_answers() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ok_json(SEND_OK).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .endpoint_url(server.uri())
        .credentials_provider(Credentials::new("AKID", "secret"))
        .retry_config(fast_retries(10))
        .attempt_timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.execute(send().build().unwrap()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("ran out of time"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stopped at the operation deadline, not the attempt limit"
    );
}

/// Cancel safety as documented on `Client::execute`, in the `main` of a multi-thread runtime (as
/// `#[tokio::main]` runs it): a dropped call abandons its request; the connection is closed
/// rather than left waiting for the answer.
#[test]
fn a_call_dropped_in_main_abandons_its_request() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        // A server that reads the request and never answers, and tells whether the client
        // closed the connection within five seconds.
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 16 * 1024];
            for _ in 0..100 {
                match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await {
                    Ok(Ok(0) | Err(_)) => return true,
                    Ok(Ok(_)) => continue,
                    Err(_) => return false,
                }
            }
            false
        });
        let client = Client::builder()
            .endpoint_url(&uri)
            .region("us-east-1")
            .credentials_provider(Credentials::new("AKID", "secret"))
            .attempt_timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let call = client.execute(send().build().unwrap());
        assert!(
            tokio::time::timeout(Duration::from_millis(300), call)
                .await
                .is_err(),
            "the server never answers"
        );
        let closed = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap()
            .unwrap();
        assert!(closed, "the request went on after its call was dropped");
    });
}
