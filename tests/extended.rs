//! The extended client on sqs-local with in-memory and local-file stores: offloading and back,
//! and the faults that lose data in the other extended clients (an upload whose send fails, a
//! partial batch failure, a missing object, a foreign bucket, a failed message delete).

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use sqs_client::operation::*;
use sqs_client::types::{MessageAttributeValue, QueueAttributeName, SendMessageBatchRequestEntry};
use sqs_client::{Client, Credentials, ErrorCode};
use sqs_extended::{Error, ExtendedClient, ExtendedConfig, PayloadFailure, ReceivedMessage};

fn client_at(endpoint: &str) -> Client {
    Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new("k", "s"))
        .build()
        .unwrap()
}

async fn setup() -> (sqs_local::LocalSqs, Client, Arc<InMemory>, ExtendedClient) {
    let local = sqs_local::start().await.unwrap();
    let client = client_at(local.endpoint());
    let store = Arc::new(InMemory::new());
    let ext = ExtendedClient::new(client.clone(), store.clone(), "payloads");
    (local, client, store, ext)
}

async fn objects(store: &InMemory) -> Vec<String> {
    store
        .list(None)
        .map(|m| m.unwrap().location.to_string())
        .collect()
        .await
}

fn receive(url: &str) -> ReceiveMessageInputBuilder {
    ReceiveMessageInput::builder()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
}

#[tokio::test]
async fn large_bodies_go_to_the_store_and_come_back() {
    let (_local, c, store, ext) = setup().await;
    let url = common::queue(&c, "ext").await;
    let big = "é".repeat(150_000); // 300,000 bytes of UTF-8
    ext.execute(
        SendMessageInput::builder()
            .queue_url(&url)
            .message_body(&big)
            .message_attributes(
                "kind",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("doc")
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    ext.execute(
        SendMessageInput::builder()
            .queue_url(&url)
            .message_body("small")
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        objects(&store).await.len(),
        1,
        "only the large body was offloaded"
    );

    // A plain receive sees the pointer and the reserved attribute.
    let raw = c
        .execute(receive(&url).visibility_timeout(0).build().unwrap())
        .await
        .unwrap()
        .messages
        .unwrap();
    let pointer = raw
        .iter()
        .find(|m| m.body.as_deref() != Some("small"))
        .unwrap();
    assert!(
        pointer
            .body
            .as_deref()
            .unwrap()
            .starts_with(r#"["software.amazon.payloadoffloading.PayloadS3Pointer",{"#)
    );
    assert_eq!(
        pointer.message_attributes.as_ref().unwrap()["ExtendedPayloadSize"]
            .string_value
            .as_deref(),
        Some("300000")
    );

    let got = ext.execute(receive(&url).build().unwrap()).await.unwrap();
    let mut messages: Vec<_> = got.messages.into_iter().map(Result::unwrap).collect();
    messages.sort_by_key(|m| m.payload.is_none());
    let (large, small) = (&messages[0], &messages[1]);
    assert_eq!(large.message.body.as_deref(), Some(big.as_str()));
    let attrs = large.message.message_attributes.as_ref().unwrap();
    assert_eq!(attrs.len(), 1, "the reserved attribute is stripped");
    assert_eq!(attrs["kind"].string_value.as_deref(), Some("doc"));
    let handle = large.message.receipt_handle.clone().unwrap();
    assert!(handle.starts_with("-..s3BucketName..-payloads-..s3BucketName..--..s3Key..-"));
    assert_eq!(small.payload, None);

    // Deleting with the wrapped handle deletes the message, then the object.
    ext.execute(
        DeleteMessageInput::builder()
            .queue_url(&url)
            .receipt_handle(handle)
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(objects(&store).await.is_empty());
}

#[tokio::test]
async fn a_refused_send_leaves_no_object_behind() {
    let (local, _c, store, ext) = setup().await;
    let err = ext
        .execute(
            SendMessageInput::builder()
                .queue_url(local.queue_url("does-not-exist"))
                .message_body("x".repeat(300_000))
                .build()
                .unwrap(),
        )
        .await
        .unwrap_err();
    match &err {
        Error::Sqs(e) => assert_eq!(e.code(), Some(&ErrorCode::QueueDoesNotExist)),
        other => panic!("{other}"),
    }
    assert!(
        objects(&store).await.is_empty(),
        "the upload was taken back"
    );
    // Reserved names and too many attributes are refused before anything is stored.
    let reserved = ext
        .execute(
            SendMessageInput::builder()
                .queue_url(local.queue_url("q"))
                .message_body("x")
                .message_attributes(
                    "ExtendedPayloadSize",
                    MessageAttributeValue::builder()
                        .data_type("Number")
                        .string_value("1")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(reserved, Error::InvalidRequest(_)), "{reserved}");
}

#[tokio::test]
async fn objects_of_failed_batch_entries_are_removed_and_batches_fit() {
    let (_local, c, store, ext) = setup().await;
    let url = c
        .create_queue()
        .queue_name("ext-batch.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    // The second entry has no group id: SQS fails that entry alone.
    let out = ext
        .execute(
            SendMessageBatchInput::builder()
                .queue_url(&url)
                .entries(
                    SendMessageBatchRequestEntry::builder()
                        .id("ok")
                        .message_body("a".repeat(300_000))
                        .message_group_id("g")
                        .build()
                        .unwrap(),
                )
                .entries(
                    SendMessageBatchRequestEntry::builder()
                        .id("bad")
                        .message_body("b".repeat(300_000))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(out.successful.len(), 1);
    assert_eq!(out.failed[0].id, "bad");
    assert_eq!(
        objects(&store).await.len(),
        1,
        "the failed entry's object was removed"
    );

    // Five entries of 250,000 bytes each stay under the threshold but not under the 1 MiB batch
    // total: the plan offloads enough of them for the batch to go through.
    let std_url = common::queue(&c, "ext-plan").await;
    let entries: Vec<_> = (0..5)
        .map(|i| {
            SendMessageBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .message_body(format!("{i}").repeat(250_000))
                .build()
                .unwrap()
        })
        .collect();
    let out = ext
        .execute(
            SendMessageBatchInput::builder()
                .queue_url(&std_url)
                .set_entries(Some(entries))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(out.successful.len(), 5, "{:?}", out.failed);
    let mut bodies = Vec::new();
    for _ in 0..5 {
        for m in ext
            .execute(receive(&std_url).build().unwrap())
            .await
            .unwrap()
            .messages
        {
            bodies.push(m.unwrap().message.body.unwrap());
        }
        if bodies.len() == 5 {
            break;
        }
    }
    bodies.sort();
    assert_eq!(
        bodies,
        (0..5)
            .map(|i| format!("{i}").repeat(250_000))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_missing_object_or_a_foreign_bucket_fails_only_its_message() {
    let (_local, c, store, ext) = setup().await;
    let url = common::queue(&c, "ext-faults").await;
    for body in ["1", "2", "3"] {
        ext.execute(
            SendMessageInput::builder()
                .queue_url(&url)
                .message_body(body.repeat(300_000))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    }
    // Remove the object of one message behind the client's back.
    let victim = objects(&store).await.remove(0);
    store.delete(&Path::from(victim.as_str())).await.unwrap();
    // A foreign producer's pointer into another bucket.
    c.send_message()
        .queue_url(&url)
        .message_body(r#"["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"secrets","s3Key":"prod/keys.json"}]"#)
        .message_attributes("SQSLargePayloadSize", MessageAttributeValue::builder().data_type("Number").string_value("10").build().unwrap())
        .send()
        .await
        .unwrap();
    let mut ok = 0;
    let mut missing = 0;
    let mut refused = 0;
    for _ in 0..5 {
        for r in ext
            .execute(receive(&url).visibility_timeout(60).build().unwrap())
            .await
            .unwrap()
            .messages
        {
            match r {
                Ok(_) => ok += 1,
                Err(f) if f.error.is_not_found() => missing += 1,
                Err(f) => match f.error {
                    Error::BucketNotAllowed(loc) => {
                        assert_eq!(loc.bucket, "secrets");
                        refused += 1;
                    }
                    other => panic!("{other}"),
                },
            }
        }
        if ok + missing + refused == 4 {
            break;
        }
    }
    assert_eq!((ok, missing, refused), (2, 1, 1));
}

#[tokio::test]
async fn a_damaged_message_fails_only_itself() {
    use md5::Digest as _;
    let md5 = |text: &str| hex::encode(md5::Md5::digest(text.as_bytes()));
    let store = Arc::new(InMemory::new());
    store
        .put(&Path::from("k1"), "the large payload".into())
        .await
        .unwrap();
    let pointer = r#"["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"payloads","s3Key":"k1"}]"#;
    let size = HashMap::from([(
        "ExtendedPayloadSize".to_owned(),
        MessageAttributeValue::builder()
            .data_type("Number")
            .string_value("17")
            .build()
            .unwrap(),
    )]);
    // An offloaded message, intact; a plain one whose body is not what its digest says; one
    // marked offloaded whose body is no pointer.
    let answer = serde_json::json!({"Messages": [
        {"MessageId": "m1", "ReceiptHandle": "rh1", "Body": pointer, "MD5OfBody": md5(pointer),
         "MessageAttributes": {"ExtendedPayloadSize": {"DataType": "Number", "StringValue": "17"}},
         "MD5OfMessageAttributes": sqs_client::attributes_md5(&size)},
        {"MessageId": "m2", "ReceiptHandle": "rh2", "Body": "tampered", "MD5OfBody": md5("original")},
        {"MessageId": "m3", "ReceiptHandle": "rh3", "Body": "no pointer", "MD5OfBody": md5("no pointer"),
         "MessageAttributes": {"ExtendedPayloadSize": {"DataType": "Number", "StringValue": "17"}},
         "MD5OfMessageAttributes": sqs_client::attributes_md5(&size)},
    ]});
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_raw(answer.to_string(), "application/x-amz-json-1.0"),
        )
        .mount(&server)
        .await;
    let ext = ExtendedClient::new(client_at(&server.uri()), store, "payloads");
    let check_failures = |messages: &[Result<ReceivedMessage, PayloadFailure>]| {
        assert_eq!(messages.len(), 3);
        let Err(second) = &messages[1] else {
            panic!("the damaged message was delivered");
        };
        assert_eq!(second.message.message_id.as_deref(), Some("m2"));
        match &second.error {
            Error::Sqs(e) => assert_eq!(e.kind(), sqs_client::ErrorKind::ChecksumMismatch),
            other => panic!("{other}"),
        }
        let Err(third) = &messages[2] else {
            panic!("a message without a pointer was delivered as offloaded");
        };
        assert_eq!(third.message.message_id.as_deref(), Some("m3"));
        assert!(matches!(third.error, Error::Pointer(_)), "{}", third.error);
    };
    let url = format!("{}/000000000000/q", server.uri());
    let out = ext.execute(receive(&url).build().unwrap()).await.unwrap();
    let first = out.messages[0].as_ref().unwrap();
    assert_eq!(first.message.body.as_deref(), Some("the large payload"));
    check_failures(&out.messages);

    // The same through the receive that leaves payloads where they are.
    let out = ext
        .receive_message_pointers(receive(&url).build().unwrap())
        .await
        .unwrap();
    let first = out.messages[0].as_ref().unwrap();
    assert_eq!(first.payload.as_ref().unwrap().key, "k1");
    assert_eq!(first.message.body.as_deref(), Some(pointer));
    check_failures(&out.messages);
}

#[tokio::test]
async fn a_failed_message_delete_keeps_the_object() {
    let (_local, c, store, ext) = setup().await;
    let url = common::queue(&c, "ext-keep").await;
    ext.execute(
        SendMessageInput::builder()
            .queue_url(&url)
            .message_body("k".repeat(300_000))
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    let m = ext
        .execute(receive(&url).build().unwrap())
        .await
        .unwrap()
        .messages
        .remove(0)
        .unwrap();
    let handle = m.message.receipt_handle.unwrap();
    // Same pointer, but the SQS handle inside is not a valid one: SQS refuses the delete.
    let (loc, _) = sqs_extended::PayloadLocation::unwrap_handle(&handle);
    let broken = loc.unwrap().wrap_handle("not-a-real-handle");
    let err = ext
        .execute(
            DeleteMessageInput::builder()
                .queue_url(&url)
                .receipt_handle(broken)
                .build()
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Sqs(_)), "{err}");
    assert_eq!(
        objects(&store).await.len(),
        1,
        "the object stays while its message exists"
    );
}

#[tokio::test]
async fn fifo_content_based_deduplication_still_works_when_offloaded() {
    let (_local, c, _store, ext) = setup().await;
    let url = c
        .create_queue()
        .queue_name("ext-dedup.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let send = || {
        ext.execute(
            SendMessageInput::builder()
                .queue_url(&url)
                .message_body("same payload ".repeat(30_000))
                .message_group_id("g")
                .build()
                .unwrap(),
        )
    };
    let first = send().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(
        first.message_id, second.message_id,
        "the resend was deduplicated"
    );
}

#[tokio::test]
async fn payloads_stream_through_a_local_file_system() {
    let dir = std::env::temp_dir().join(format!("sqs-ext-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let local = sqs_local::start().await.unwrap();
    let c = client_at(local.endpoint());
    let store = Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&dir).unwrap());
    let ext = ExtendedClient::new(c.clone(), store, "files")
        .with_config(ExtendedConfig::default().key_prefix("big/"))
        .unwrap();
    let url = common::queue(&c, "ext-stream").await;
    // 20 MiB in 64 KiB chunks, never all in memory at once.
    let chunk = bytes::Bytes::from(vec![7u8; 64 * 1024]);
    let stream =
        futures_util::stream::iter((0..320).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let (_, location) = ext
        .send_message_streaming(SendMessageInput::builder().queue_url(&url), stream)
        .await
        .unwrap();
    assert!(location.key.starts_with("big/"));
    let got = ext
        .receive_message_pointers(receive(&url).build().unwrap())
        .await
        .unwrap();
    let got = got.messages[0].as_ref().unwrap();
    let payload = got.payload.clone().unwrap();
    let mut total = 0usize;
    let mut s = ext.payload_stream(&payload).await.unwrap();
    while let Some(part) = s.next().await {
        let part = part.unwrap();
        assert!(part.iter().all(|b| *b == 7));
        total += part.len();
    }
    assert_eq!(total, 20 * 1024 * 1024);
    ext.execute(
        DeleteMessageInput::builder()
            .queue_url(&url)
            .receipt_handle(got.message.receipt_handle.clone().unwrap())
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(
        !dir.join("big")
            .join(payload.key.trim_start_matches("big/"))
            .exists()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_missing_payload_can_be_dropped_with_its_message_when_asked() {
    let (_local, c, store, ext) = setup().await;
    let ext = ext
        .with_config(ExtendedConfig::default().ignore_payload_not_found(true))
        .unwrap();
    let url = common::queue(&c, "ext-ignore").await;
    ext.execute(
        SendMessageInput::builder()
            .queue_url(&url)
            .message_body("g".repeat(300_000))
            .build()
            .unwrap(),
    )
    .await
    .unwrap();
    let key = objects(&store).await.remove(0);
    store.delete(&Path::from(key.as_str())).await.unwrap();
    let got = ext.execute(receive(&url).build().unwrap()).await.unwrap();
    assert!(
        got.messages.is_empty(),
        "the message without payload was dropped"
    );
    let left = c
        .execute(receive(&url).visibility_timeout(0).build().unwrap())
        .await
        .unwrap()
        .messages;
    assert!(left.is_none(), "and deleted from the queue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batcher_and_the_consumer_work_over_the_extended_client() {
    let (_local, c, store, ext) = setup().await;
    let url = common::queue(&c, "ext-consume").await;
    let batcher = ext.batcher(sqs_client::Batcher::new(c.clone()));
    let bodies: Vec<String> = (0..6)
        .map(|i| {
            if i % 2 == 0 {
                format!("{i}").repeat(400_000)
            } else {
                format!("small {i}")
            }
        })
        .collect();
    let sends: Vec<_> = bodies
        .iter()
        .map(|b| {
            batcher.send_message(
                SendMessageInput::builder()
                    .queue_url(&url)
                    .message_body(b)
                    .build()
                    .unwrap(),
            )
        })
        .collect();
    for r in futures_util::future::join_all(sends).await {
        r.unwrap();
    }
    assert_eq!(objects(&store).await.len(), 3);

    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let consumer = ext.consumer(&url).wait_time_seconds(1).build();
    let stop = consumer.shutdown_handle();
    let seen2 = Arc::clone(&seen);
    let summary = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        consumer.process(2, move |m| {
            let (seen, stop) = (Arc::clone(&seen2), stop.clone());
            async move {
                let mut s = seen.lock().unwrap();
                s.push(m.body.unwrap_or_default());
                if s.len() == 6 {
                    stop.shutdown();
                }
                Ok::<_, String>(())
            }
        }),
    )
    .await
    .expect("consumed within 30 s");
    assert_eq!(summary.acked, 6, "{summary:?}");
    let mut got = seen.lock().unwrap().clone();
    got.sort();
    let mut want = bodies.clone();
    want.sort();
    assert_eq!(
        got, want,
        "the consumer handed out the payloads, not the pointers"
    );
    assert!(
        objects(&store).await.is_empty(),
        "acknowledging removed the objects"
    );
}

#[tokio::test]
async fn the_extended_client_has_the_plain_clients_builders() {
    let (_local, _c, store, ext) = setup().await;
    let url = ext
        .create_queue()
        .queue_name("ext-fluent")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let big = "f".repeat(300_000);
    ext.send_message()
        .queue_url(&url)
        .message_body(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(objects(&store).await.len(), 1);
    let got = ext
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .unwrap()
        .messages
        .remove(0)
        .unwrap();
    assert_eq!(got.message.body.as_deref(), Some(big.as_str()));
    ext.delete_message()
        .queue_url(&url)
        .receipt_handle(got.message.receipt_handle.unwrap())
        .send()
        .await
        .unwrap();
    assert!(objects(&store).await.is_empty());
}
