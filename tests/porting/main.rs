//! Programs written for `aws-sdk-sqs`, in the style of the official SDK's public SQS examples,
//! kept compiling against this crate with only their `use` lines and the client construction
//! changed (the construction is here; the programs are the other files), and run against
//! sqs-local.

// `err.into()` turns the official SDK's per-operation error into `aws_sdk_sqs::Error`; with one
// error type it is the identity, and the programs keep it as their users write it.
#![allow(clippy::useless_conversion)]

mod attributes_tags;
mod batch_send;
mod send_receive;

/// The one part that differs from a program for the official SDK besides the `use` lines: the
/// client (the official SDK builds it from `aws_config::load_from_env().await`).
async fn client() -> (sqs_local::LocalSqs, sqs_client::Client) {
    let local = sqs_local::start().await.unwrap();
    let client = sqs_client::Client::builder()
        .endpoint_url(local.endpoint())
        .region(sqs_client::config::Region::new("us-east-1"))
        .credentials_provider(sqs_client::config::Credentials::new("porting", "porting"))
        .build()
        .unwrap();
    (local, client)
}

#[tokio::test]
async fn send_receive_delete() {
    let (_local, client) = client().await;
    let mut received = send_receive::run(&client).await.unwrap();
    received.sort();
    assert_eq!(received, ["first", "second", "third"]);
}

#[tokio::test]
async fn batch_send_with_attributes() {
    let (_local, client) = client().await;
    let (sent, failed) = batch_send::run(&client).await.unwrap();
    assert_eq!(sent.len(), 10, "{sent:?}");
    assert!(failed.is_empty(), "{failed:?}");
}

#[tokio::test]
async fn attributes_tags_and_pages() {
    let (_local, client) = client().await;
    client
        .create_queue()
        .queue_name("porting-other")
        .send()
        .await
        .unwrap();
    let seen = attributes_tags::run(&client).await.unwrap();
    assert_eq!(seen.visibility_timeout.as_deref(), Some("45"));
    assert_eq!(seen.delay_seconds.as_deref(), Some("5"));
    assert_eq!(
        seen.tags,
        [
            ("env".to_owned(), "test".to_owned()),
            ("team".to_owned(), "payments".to_owned())
        ]
    );
    assert_eq!(seen.listed.len(), 2, "one page each: {:?}", seen.listed);
}
