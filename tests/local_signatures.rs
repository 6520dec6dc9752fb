//! sqs-local's signature-checking mode with our client: the right key pair works in both
//! protocols, a wrong secret, an unknown key and an unsigned request are refused as AWS refuses
//! them. (boto3_local.rs checks the same verifier against botocore's signer.)

use sqs_client::{Client, Credentials, ErrorCode, Protocol};

fn client(endpoint: &str, key: &str, secret: &str, protocol: Protocol) -> Client {
    Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new(key, secret))
        .protocol(protocol)
        .build()
        .unwrap()
}

#[tokio::test]
async fn only_requests_signed_with_a_configured_key_pass() {
    let local = sqs_local::start_with(
        sqs_local::Config::default().verify_signatures("AKIDLOCAL", "s3cr3t/+="),
    )
    .await
    .unwrap();
    for protocol in [Protocol::AwsJson1_0, Protocol::AwsQuery] {
        let good = client(local.endpoint(), "AKIDLOCAL", "s3cr3t/+=", protocol);
        let url = good
            .create_queue()
            .queue_name(format!("signed-{protocol:?}"))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        good.send_message()
            .queue_url(&url)
            .message_body("signed & sealed: ü ~ +")
            .send()
            .await
            .unwrap();
        let got = good
            .receive_message()
            .queue_url(&url)
            .message_system_attribute_names(sqs_client::types::MessageSystemAttributeName::SenderId)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap();
        assert_eq!(
            got[0].attributes.as_ref().unwrap()
                [&sqs_client::types::MessageSystemAttributeName::SenderId],
            "AIDA000000000000",
            "the sender is the account's principal, never the access key id"
        );

        let wrong = client(local.endpoint(), "AKIDLOCAL", "not-it", protocol);
        let err = wrong.list_queues().send().await.unwrap_err();
        assert_eq!(
            err.code(),
            Some(&ErrorCode::Unknown("SignatureDoesNotMatch".into())),
            "{protocol:?}: {err}"
        );
        assert_eq!(err.http_status(), Some(403));
        let unknown = client(local.endpoint(), "AKIDOTHER", "s3cr3t/+=", protocol);
        let err = unknown.list_queues().send().await.unwrap_err();
        assert_eq!(
            err.code(),
            Some(&ErrorCode::Unknown("InvalidClientTokenId".into())),
            "{protocol:?}: {err}"
        );
    }
    // No Authorization header at all.
    let answer = raw_post(local.local_addr(), "Action=ListQueues&Version=2012-11-05").await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(
        answer.contains("<Code>MissingAuthenticationToken</Code>"),
        "{answer}"
    );
}

/// A bare HTTP/1.1 POST over a TCP socket, to send something no SDK would.
async fn raw_post(addr: std::net::SocketAddr, form: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        s.read_to_string(&mut out),
    )
    .await
    .unwrap()
    .unwrap();
    out
}
