//! moto, started in signature-checking mode, recomputes the SigV4 signature of every request
//! with botocore's signer: an independent check of ours, in both protocols.

mod common;

use sqs_client::types::{DeleteMessageBatchRequestEntry, SendMessageBatchRequestEntry};
use sqs_client::{Client, Credentials, ErrorKind, Protocol, RetryConfig};

fn client(moto: &common::Moto, id: &str, secret: &str, protocol: Protocol) -> Client {
    Client::builder()
        .endpoint_url(moto.url())
        .region("us-east-1")
        .credentials_provider(Credentials::new(id, secret))
        .protocol(protocol)
        .retry_config(RetryConfig::disabled())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_accepts_our_signatures_and_refuses_a_wrong_secret() {
    let moto = common::Moto::start(Some(3));
    let (id, secret) = moto.iam_access_key();
    for protocol in [Protocol::AwsJson1_0, Protocol::AwsQuery] {
        let c = client(&moto, &id, &secret, protocol);
        let name = format!(
            "signed-{}",
            if protocol == Protocol::AwsQuery {
                "query"
            } else {
                "json"
            }
        );
        let url = c
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        c.send_message()
            .queue_url(&url)
            .message_body("signed body")
            .send()
            .await
            .unwrap();
        let batch = c
            .send_message_batch()
            .queue_url(&url)
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
            .send()
            .await
            .unwrap();
        assert_eq!(batch.successful.len(), 2, "{protocol:?}");
        let received = c
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        assert!(!messages.is_empty(), "{protocol:?}");
        let entries = messages.iter().enumerate().map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .build()
                .unwrap()
        });
        let deleted = c
            .delete_message_batch()
            .queue_url(&url)
            .set_entries(Some(entries.collect()))
            .send()
            .await
            .unwrap();
        assert!(deleted.failed.is_empty(), "{:?}", deleted.failed);
        c.get_queue_attributes()
            .queue_url(&url)
            .attribute_names("All")
            .send()
            .await
            .unwrap();
        c.delete_queue().queue_url(&url).send().await.unwrap();

        let wrong = client(&moto, &id, "not-the-secret", protocol);
        let err = wrong.list_queues().send().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Service, "{err}");
        assert_eq!(err.raw_code(), Some("SignatureDoesNotMatch"), "{err}");
        assert_eq!(err.http_status(), Some(403));
        assert!(!err.is_retryable());

        let unknown = client(&moto, "AKIDUNKNOWN", &secret, protocol);
        let err = unknown.list_queues().send().await.unwrap_err();
        assert_eq!(err.raw_code(), Some("InvalidClientTokenId"), "{err}");
    }
}
