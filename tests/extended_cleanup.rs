//! No payload left behind or deleted by the wrong party: a streamed upload whose part fails or
//! whose future is dropped is aborted (moto lists no multipart upload afterwards); deletes stay
//! under their bucket's prefix when one is set; attributes too large to stay inline are refused
//! before anything is stored; a batch whose pointers are long still fits SQS's 1 MiB.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutResult, UploadPart,
};
use sqs_client::operation::*;
use sqs_client::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use sqs_extended::{Error, ExtendedClient, ExtendedConfig, PayloadLocation};

/// A store that fails the `fail_part`-th part (from 1) of every multipart upload, and counts
/// the parts it was given.
#[derive(Debug)]
struct Faulty {
    inner: Arc<dyn ObjectStore>,
    fail_part: usize,
    parts: Arc<AtomicUsize>,
}

impl std::fmt::Display for Faulty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Faulty({})", self.inner)
    }
}

#[derive(Debug)]
struct FaultyUpload {
    inner: Box<dyn MultipartUpload>,
    fail_part: usize,
    parts: Arc<AtomicUsize>,
}

#[async_trait]
impl MultipartUpload for FaultyUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let n = self.parts.fetch_add(1, Ordering::SeqCst) + 1;
        if n == self.fail_part {
            return Box::pin(async {
                Err(object_store::Error::Generic {
                    store: "faulty",
                    source: "the part failed on purpose".into(),
                })
            });
        }
        self.inner.put_part(data)
    }
    async fn complete(&mut self) -> object_store::Result<PutResult> {
        self.inner.complete().await
    }
    async fn abort(&mut self) -> object_store::Result<()> {
        self.inner.abort().await
    }
}

#[async_trait]
impl ObjectStore for Faulty {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let inner = self.inner.put_multipart_opts(location, opts).await?;
        Ok(Box::new(FaultyUpload {
            inner,
            fail_part: self.fail_part,
            parts: self.parts.clone(),
        }))
    }
    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.inner.delete_stream(locations)
    }
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }
    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

/// `parts` chunks of 8 MiB, then (if `hang`) a stream that never ends.
fn payload(parts: usize, hang: bool) -> BoxStream<'static, Result<Bytes, std::io::Error>> {
    let chunks = futures_util::stream::iter(
        (0..parts).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'p'; 8 << 20]))),
    );
    if hang {
        chunks.chain(futures_util::stream::pending()).boxed()
    } else {
        chunks.boxed()
    }
}

fn uploads(moto: &common::Moto, bucket: &str) -> usize {
    common::extended::python(moto, bucket, "uploads", &[])
        .as_array()
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_or_cancelled_streamed_upload_leaves_no_parts() {
    const BUCKET: &str = "multipart-bucket";
    let moto = common::Moto::start(None);
    let queue = common::extended::python(&moto, BUCKET, "setup", &["multipart-q"])["queue_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = common::extended::sqs(&moto);
    let s3 = common::extended::s3(&moto, BUCKET);

    // The second of three parts fails: the upload is aborted, the error names the object.
    let parts = Arc::new(AtomicUsize::new(0));
    let faulty = Arc::new(Faulty {
        inner: s3.clone(),
        fail_part: 2,
        parts: parts.clone(),
    });
    let ext = ExtendedClient::new(client.clone(), faulty, BUCKET);
    let input = SendMessageInput::builder().queue_url(&queue);
    let err = ext
        .send_message_streaming(input.clone(), payload(3, false))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Store {
                operation: "upload",
                ..
            }
        ),
        "{err}"
    );
    assert!(parts.load(Ordering::SeqCst) >= 2);
    assert_eq!(uploads(&moto, BUCKET), 0, "the failed upload was aborted");

    // A send whose future is dropped after its first part: aborted from Drop.
    let parts = Arc::new(AtomicUsize::new(0));
    let counting = Arc::new(Faulty {
        inner: s3.clone(),
        fail_part: usize::MAX,
        parts: parts.clone(),
    });
    let ext = ExtendedClient::new(client.clone(), counting, BUCKET);
    let send = tokio::spawn(async move {
        ext.send_message_streaming(input, payload(2, true))
            .await
            .map(|_| ())
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    while parts.load(Ordering::SeqCst) < 1 {
        assert!(Instant::now() < deadline, "no part was uploaded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(uploads(&moto, BUCKET), 1, "an upload is in progress");
    send.abort();
    assert!(send.await.unwrap_err().is_cancelled());
    let deadline = Instant::now() + Duration::from_secs(10);
    while uploads(&moto, BUCKET) > 0 {
        assert!(
            Instant::now() < deadline,
            "the cancelled upload was not aborted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // And a whole streamed send still works.
    let ext = ExtendedClient::new(client, s3, BUCKET);
    let queue_input = SendMessageInput::builder().queue_url(&queue);
    let (_, location) = ext
        .send_message_streaming(queue_input, payload(2, false))
        .await
        .unwrap();
    let stored = common::extended::python(&moto, BUCKET, "objects", &[]);
    assert_eq!(stored, serde_json::json!([location.key]));
    assert_eq!(uploads(&moto, BUCKET), 0);
}

async fn local() -> (sqs_local::LocalSqs, sqs_client::Client, String) {
    let local = sqs_local::start().await.unwrap();
    let client = sqs_client::Client::builder()
        .endpoint_url(local.endpoint())
        .region("us-east-1")
        .credentials_provider(sqs_client::Credentials::new("k", "s"))
        .build()
        .unwrap();
    let queue = common::queue(&client, "cleanup").await;
    (local, client, queue)
}

fn receive(url: &str) -> ReceiveMessageInput {
    ReceiveMessageInput::builder()
        .queue_url(url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .build()
        .unwrap()
}

/// Sends a pointer to `key` in `bucket` as another producer would.
async fn send_pointer(client: &sqs_client::Client, queue: &str, bucket: &str, key: &str) {
    let location = PayloadLocation {
        bucket: bucket.into(),
        key: key.into(),
    };
    client
        .send_message()
        .queue_url(queue)
        .message_body(location.to_pointer())
        .message_attributes(
            "ExtendedPayloadSize",
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value("7")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn deletes_stay_under_their_prefix_and_markers_are_refused() {
    let (_local, client, queue) = local().await;
    let store = Arc::new(InMemory::new());
    for key in ["mine/1", "theirs/1"] {
        store.put(&Path::from(key), "payload".into()).await.unwrap();
    }
    let ext = ExtendedClient::new(client.clone(), store.clone(), "shared")
        .delete_only_under("shared", "mine/");
    send_pointer(&client, &queue, "shared", "mine/1").await;
    send_pointer(&client, &queue, "shared", "theirs/1").await;
    let mut outcomes = Vec::new();
    for m in ext.execute(receive(&queue)).await.unwrap().messages {
        let m = m.unwrap();
        let key = m.payload.unwrap().key;
        let deleted = ext
            .execute(
                DeleteMessageInput::builder()
                    .queue_url(&queue)
                    .receipt_handle(m.message.receipt_handle.unwrap())
                    .build()
                    .unwrap(),
            )
            .await;
        outcomes.push((key, deleted.map_err(|e| e.to_string())));
    }
    outcomes.sort();
    assert_eq!(outcomes[0], ("mine/1".into(), Ok(())));
    assert_eq!(outcomes[1].0, "theirs/1");
    let refused = outcomes[1].1.as_ref().unwrap_err();
    assert!(refused.contains("outside \"mine/\""), "{refused}");
    // Both messages are gone; only the object outside the prefix is left.
    assert!(
        ext.execute(receive(&queue))
            .await
            .unwrap()
            .messages
            .is_empty()
    );
    let left: Vec<String> = store
        .list(None)
        .map(|m| m.unwrap().location.to_string())
        .collect()
        .await;
    assert_eq!(left, ["theirs/1"]);

    // A pointer that would break handle wrapping fails its own message.
    send_pointer(&client, &queue, "shared", "x-..s3Key..-y").await;
    let got = ext.execute(receive(&queue)).await.unwrap().messages;
    let failure = got.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(failure.error, Error::Pointer(ref why) if why.contains("-..s3Key..-")));
}

#[tokio::test]
async fn attributes_too_large_to_stay_inline_are_refused_before_anything_is_stored() {
    let (_local, client, queue) = local().await;
    let store = Arc::new(InMemory::new());
    let ext = ExtendedClient::new(client, store.clone(), "payloads")
        .with_config(ExtendedConfig::default().threshold(1000))
        .unwrap();
    // Name, type and value bytes, as the Java client counts: 4 + 6 + value.
    let send = |value_len: usize| {
        SendMessageInput::builder()
            .queue_url(&queue)
            .message_body("b".repeat(2000))
            .message_attributes(
                "attr",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("v".repeat(value_len))
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    };
    ext.execute(send(990)).await.unwrap();
    let err = ext.execute(send(991)).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
    assert!(err.to_string().contains("take 1001 bytes"), "{err}");
    let stored = store.list(None).count().await;
    assert_eq!(stored, 1, "only the accepted message's payload was stored");
}

#[tokio::test]
async fn a_batch_with_long_pointers_still_fits() {
    let (_local, client, queue) = local().await;
    let bucket = "b".repeat(63);
    let prefix = format!("{}/", "p".repeat(900));
    let ext = ExtendedClient::new(client, Arc::new(InMemory::new()), bucket.clone())
        .with_config(ExtendedConfig::default().key_prefix(prefix))
        .unwrap();
    // Three entries over the threshold, seven inline ones filling the rest of 1 MiB but for
    // 200 bytes per pointer: with 1,050-byte pointers the batch is over SQS's limit unless the
    // planner counts them.
    let inline = (1_048_576 - 3 * 200) / 7;
    let entries: Vec<SendMessageBatchRequestEntry> = (0..10)
        .map(|i| {
            let size = if i < 3 { 300_000 } else { inline };
            SendMessageBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .message_body("x".repeat(size))
                .build()
                .unwrap()
        })
        .collect();
    let pointer_len = PayloadLocation {
        bucket,
        key: format!("{}{}", "p".repeat(901), "u".repeat(36)),
    }
    .to_pointer()
    .len();
    assert!(pointer_len > 1000, "{pointer_len}");
    let out = ext
        .execute(
            SendMessageBatchInput::builder()
                .queue_url(&queue)
                .set_entries(Some(entries))
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(out.successful.len(), 10, "{:?}", out.failed);
    let got: HashMap<String, usize> = ext
        .execute(receive(&queue))
        .await
        .unwrap()
        .messages
        .into_iter()
        .map(|m| {
            let m = m.unwrap().message;
            (m.message_id.unwrap(), m.body.unwrap().len())
        })
        .collect();
    assert!(!got.is_empty());
    assert!(got.values().all(|len| *len == 300_000 || *len == inline));
}

#[tokio::test]
async fn keys_the_local_file_store_cannot_hold_fail_their_own_message() {
    let (_local, client, queue) = local().await;
    let dir = std::env::temp_dir().join(format!("sqs-ext-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Arc::new(object_store::local::LocalFileSystem::new_with_prefix(&dir).unwrap());
    store
        .put(&Path::from("fine"), "payload".into())
        .await
        .unwrap();
    let ext = ExtendedClient::new(client.clone(), store, "files");
    let too_long = "n".repeat(300);
    for key in ["a#1", too_long.as_str(), "fine"] {
        send_pointer(&client, &queue, "files", key).await;
    }
    let mut failed = Vec::new();
    let mut fine = 0;
    for _ in 0..5 {
        for m in ext.execute(receive(&queue)).await.unwrap().messages {
            match m {
                Ok(m) => {
                    assert_eq!(m.message.body.as_deref(), Some("payload"));
                    fine += 1;
                }
                Err(f) => match &f.error {
                    Error::Store { location, .. } => {
                        assert!(f.error.to_string().contains(&location.key), "{}", f.error);
                        failed.push(location.key.clone());
                    }
                    other => panic!("{other}"),
                },
            }
        }
        if failed.len() == 2 && fine == 1 {
            break;
        }
    }
    failed.sort();
    assert_eq!(failed, ["a#1".to_owned(), too_long]);
    assert_eq!(fine, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
