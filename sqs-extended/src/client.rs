//! The extended client: the SQS operations whose messages may carry an offloaded payload.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sqs_client::operation::*;
use sqs_client::types::{Message, MessageAttributeValue};
use sqs_client::{Client, message_size};

use crate::error::Error;
use crate::pointer::{
    LEGACY_SIZE_ATTRIBUTE, PayloadLocation, SIZE_ATTRIBUTE, check_key_prefix, new_key,
    unwrap_handle,
};

/// The largest SendMessageBatch payload SQS accepts.
const MAX_BATCH_BYTES: usize = 1_048_576;

/// How the extended client offloads and cleans up.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExtendedConfig {
    /// Bodies whose size (body plus attribute names, types and values) is above this many bytes
    /// are offloaded (default 262,144, as in the Java and Python clients; exactly the threshold
    /// stays inline).
    pub threshold: usize,
    /// Offload every non-empty body whatever its size.
    pub always_offload: bool,
    /// Write the legacy `SQSLargePayloadSize` attribute instead of `ExtendedPayloadSize` (both
    /// are always read).
    pub legacy_attribute: bool,
    /// Prepended to every object key (checked as the Java client checks it).
    pub key_prefix: String,
    /// Delete the object when its message is deleted (default true; turn off when several
    /// queues share payloads, as with SNS fan-out).
    pub cleanup: bool,
    /// When an offloaded payload's object does not exist (a true not-found only), delete the
    /// message and leave it out of the result instead of reporting it (default false).
    pub ignore_payload_not_found: bool,
    /// Concurrent object fetches per receive (default 10).
    pub fetch_concurrency: usize,
}

impl Default for ExtendedConfig {
    fn default() -> Self {
        Self {
            threshold: 262_144,
            always_offload: false,
            legacy_attribute: false,
            key_prefix: String::new(),
            cleanup: true,
            ignore_payload_not_found: false,
            fetch_concurrency: 10,
        }
    }
}

impl ExtendedConfig {
    /// Sets [`threshold`](Self::threshold).
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }
    /// Sets [`always_offload`](Self::always_offload).
    pub fn always_offload(mut self, on: bool) -> Self {
        self.always_offload = on;
        self
    }
    /// Sets [`legacy_attribute`](Self::legacy_attribute).
    pub fn legacy_attribute(mut self, on: bool) -> Self {
        self.legacy_attribute = on;
        self
    }
    /// Sets [`key_prefix`](Self::key_prefix).
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }
    /// Sets [`cleanup`](Self::cleanup).
    pub fn cleanup(mut self, on: bool) -> Self {
        self.cleanup = on;
        self
    }
    /// Sets [`ignore_payload_not_found`](Self::ignore_payload_not_found).
    pub fn ignore_payload_not_found(mut self, on: bool) -> Self {
        self.ignore_payload_not_found = on;
        self
    }
    /// Sets [`fetch_concurrency`](Self::fetch_concurrency).
    pub fn fetch_concurrency(mut self, n: usize) -> Self {
        self.fetch_concurrency = n.max(1);
        self
    }
}

/// A received message, with its payload in the body when it was offloaded.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReceivedMessage {
    /// The message: for an offloaded one, the body is the payload, the reserved attribute is
    /// removed and the receipt handle carries the pointer (give it back as it is to delete).
    /// `MD5OfBody` still describes the pointer SQS carried.
    pub message: Message,
    /// Where the payload was, if it was offloaded.
    pub payload: Option<PayloadLocation>,
}

/// A received message that could not be delivered (its digests do not match, or its payload
/// could not be had); the other messages of the receive are unaffected.
#[derive(Debug)]
#[non_exhaustive]
pub struct PayloadFailure {
    /// The message as SQS delivered it (pointer body, original receipt handle).
    pub message: Message,
    /// Why.
    pub error: Error,
}

impl std::fmt::Display for PayloadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "message {}: {}",
            self.message.message_id.as_deref().unwrap_or("?"),
            self.error
        )
    }
}

impl std::error::Error for PayloadFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl From<sqs_client::DamagedMessage> for PayloadFailure {
    fn from(damaged: sqs_client::DamagedMessage) -> Self {
        PayloadFailure {
            message: *damaged.message,
            error: Error::Sqs(damaged.error),
        }
    }
}

/// What [`ExtendedClient::receive_message`](ExtendedClient::receive_message) returns: one result per message.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ReceiveOutput {
    /// The messages, in the order SQS gave them.
    pub messages: Vec<Result<ReceivedMessage, PayloadFailure>>,
}

/// What [`ExtendedClient::delete_message_batch`] returns.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct DeleteBatchOutput {
    /// SQS's answer.
    pub output: DeleteMessageBatchOutput,
    /// Entries whose message was deleted but whose object could not be (by entry id).
    pub cleanup_failures: Vec<(String, Error)>,
}

/// SQS with large payloads in an object store, in the format of the AWS Java and Python
/// extended clients. Cheap to clone.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// let client = sqs_client::Client::from_env()?;
/// let store = Arc::new(object_store::memory::InMemory::new());
/// let sqs = sqs_extended::ExtendedClient::new(client, store, "payloads");
/// // The plain client's builders, unchanged: the body goes to the store, a pointer to SQS.
/// sqs.send_message()
///     .queue_url("https://sqs.eu-west-1.amazonaws.com/123456789012/jobs")
///     .message_body("x".repeat(500_000))
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ExtendedClient {
    client: Client,
    bucket: String,
    /// Stores by the bucket name pointers may name: the allow-list.
    stores: Arc<HashMap<String, Arc<dyn ObjectStore>>>,
    config: ExtendedConfig,
}

impl ExtendedClient {
    /// Offloads into `store`, writing `bucket` as the bucket name in pointers. Pointers naming
    /// any other bucket are refused on receive (see [`with_bucket`](Self::with_bucket)).
    pub fn new(client: Client, store: Arc<dyn ObjectStore>, bucket: impl Into<String>) -> Self {
        let bucket = bucket.into();
        let stores = HashMap::from([(bucket.clone(), store)]);
        Self {
            client,
            bucket,
            stores: Arc::new(stores),
            config: ExtendedConfig::default(),
        }
    }

    /// Also reads (and cleans up) payloads that pointers place in `bucket`, from `store`.
    pub fn with_bucket(mut self, bucket: impl Into<String>, store: Arc<dyn ObjectStore>) -> Self {
        Arc::make_mut(&mut self.stores).insert(bucket.into(), store);
        self
    }

    /// Uses this configuration; fails if the key prefix breaks the Java client's rules.
    pub fn with_config(mut self, config: ExtendedConfig) -> Result<Self, Error> {
        check_key_prefix(&config.key_prefix).map_err(Error::InvalidRequest)?;
        self.config = config;
        Ok(self)
    }

    /// The configuration in force.
    pub fn config(&self) -> &ExtendedConfig {
        &self.config
    }

    /// The plain client underneath, for the operations that carry no message body.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn size_attribute(&self) -> &'static str {
        if self.config.legacy_attribute {
            LEGACY_SIZE_ATTRIBUTE
        } else {
            SIZE_ATTRIBUTE
        }
    }

    fn home(&self) -> &Arc<dyn ObjectStore> {
        &self.stores[&self.bucket]
    }

    pub(crate) fn should_offload(&self, size: usize, body: &str) -> bool {
        !body.is_empty() && (self.config.always_offload || size > self.config.threshold)
    }

    pub(crate) fn check_attributes(
        attributes: Option<&HashMap<String, MessageAttributeValue>>,
        offloading: bool,
    ) -> Result<(), Error> {
        let Some(attributes) = attributes else {
            return Ok(());
        };
        for reserved in [SIZE_ATTRIBUTE, LEGACY_SIZE_ATTRIBUTE] {
            if attributes.contains_key(reserved) {
                return Err(Error::InvalidRequest(format!(
                    "message attribute {reserved} is reserved for the extended client"
                )));
            }
        }
        if offloading && attributes.len() > 9 {
            return Err(Error::InvalidRequest(format!(
                "an offloaded message may carry at most 9 attributes (one is reserved); it has {}",
                attributes.len()
            )));
        }
        Ok(())
    }

    /// Puts the payload into the store and turns the message into a pointer to it.
    pub(crate) async fn offload(
        &self,
        queue_url: &str,
        body: &mut String,
        attributes: &mut Option<HashMap<String, MessageAttributeValue>>,
        dedup_id: &mut Option<String>,
    ) -> Result<PayloadLocation, Error> {
        let payload = std::mem::take(body);
        let size = payload.len();
        // FIFO with content-based deduplication hashes the body, which is now a pointer with a
        // random key: derive the id from the payload so deduplication still works.
        if queue_url.ends_with(".fifo") && dedup_id.is_none() {
            *dedup_id = Some(sha256_hex(payload.as_bytes()));
        }
        let location = PayloadLocation {
            bucket: self.bucket.clone(),
            key: new_key(&self.config.key_prefix),
        };
        self.home()
            .put(
                &Path::from(location.key.as_str()),
                PutPayload::from(payload),
            )
            .await
            .map_err(|e| Error::store("upload", &location, e))?;
        *body = location.to_pointer();
        attributes.get_or_insert_with(HashMap::new).insert(
            self.size_attribute().to_owned(),
            MessageAttributeValue::default()
                .data_type("Number")
                .string_value(size.to_string()),
        );
        Ok(location)
    }

    pub(crate) async fn remove(&self, location: &PayloadLocation) -> Result<(), Error> {
        let store = self
            .stores
            .get(&location.bucket)
            .ok_or_else(|| Error::BucketNotAllowed(location.clone()))?;
        match store.delete(&Path::from(location.key.as_str())).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::store("delete", location, e)),
        }
    }

    /// Sends a message, offloading its body when it is over the threshold. If SQS refuses the
    /// message after the upload, the object is deleted and SQS's error returned.
    pub(crate) async fn send_message_input(
        &self,
        input: SendMessageInput,
    ) -> Result<SendMessageOutput, Error> {
        self.send_with(input, |input| self.client.execute(input))
            .await
    }

    /// Checks and (if large) offloads a message, sends it with `send`, and deletes the object
    /// again if the send fails.
    pub(crate) async fn send_with<F, Fut>(
        &self,
        mut input: SendMessageInput,
        send: F,
    ) -> Result<SendMessageOutput, Error>
    where
        F: FnOnce(SendMessageInput) -> Fut,
        Fut: std::future::Future<Output = Result<SendMessageOutput, sqs_client::Error>>,
    {
        if input.message_body.is_empty() {
            return Err(Error::InvalidRequest("the message body is empty".into()));
        }
        let size = message_size(&input.message_body, input.message_attributes.as_ref());
        let offloading = self.should_offload(size, &input.message_body);
        Self::check_attributes(input.message_attributes.as_ref(), offloading)?;
        if !offloading {
            return Ok(send(input).await?);
        }
        let queue = input.queue_url.clone();
        let location = self
            .offload(
                &queue,
                &mut input.message_body,
                &mut input.message_attributes,
                &mut input.message_deduplication_id,
            )
            .await?;
        match send(input).await {
            Ok(out) => Ok(out),
            Err(e) => {
                if let Err(cleanup) = self.remove(&location).await {
                    tracing::warn!(error = %cleanup, key = %location.key, "could not delete the object of a refused message");
                }
                Err(Error::Sqs(e))
            }
        }
    }

    /// Sends a payload of any size from a byte stream, never holding more than a few parts of
    /// it in memory (a multipart upload), then a pointer to it. `input` gives the queue and the
    /// attributes; its body is ignored.
    pub async fn send_message_streaming<S, E>(
        &self,
        mut input: SendMessageInput,
        mut payload: S,
    ) -> Result<(SendMessageOutput, PayloadLocation), Error>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        Self::check_attributes(input.message_attributes.as_ref(), true)?;
        let location = PayloadLocation {
            bucket: self.bucket.clone(),
            key: new_key(&self.config.key_prefix),
        };
        let path = Path::from(location.key.as_str());
        let upload = self
            .home()
            .put_multipart(&path)
            .await
            .map_err(|e| Error::store("upload", &location, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
        let mut size = 0usize;
        let mut hasher = Sha256Stream::new();
        while let Some(chunk) = payload.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(Error::InvalidRequest(format!(
                        "the payload stream failed: {e}"
                    )));
                }
            };
            if let Err(e) = writer.wait_for_capacity(2).await {
                return Err(Error::store("upload", &location, e));
            }
            size += chunk.len();
            hasher.update(&chunk);
            writer.put(chunk);
        }
        writer
            .finish()
            .await
            .map_err(|e| Error::store("upload", &location, e))?;
        if input.queue_url.ends_with(".fifo") && input.message_deduplication_id.is_none() {
            input.message_deduplication_id = Some(hasher.finish());
        }
        input.message_body = location.to_pointer();
        input
            .message_attributes
            .get_or_insert_with(HashMap::new)
            .insert(
                self.size_attribute().to_owned(),
                MessageAttributeValue::default()
                    .data_type("Number")
                    .string_value(size.to_string()),
            );
        match self.client.execute(input).await {
            Ok(out) => Ok((out, location)),
            Err(e) => {
                let _ = self.remove(&location).await;
                Err(Error::Sqs(e))
            }
        }
    }

    /// Sends a batch, offloading each entry over the threshold and, if the batch would still
    /// exceed SQS's 1 MiB total, the largest remaining entries until it fits. Objects of entries
    /// SQS refuses (or of a batch it refuses whole) are deleted.
    pub(crate) async fn send_message_batch_input(
        &self,
        mut input: SendMessageBatchInput,
    ) -> Result<SendMessageBatchOutput, Error> {
        let sizes: Vec<usize> = input
            .entries
            .iter()
            .map(|e| message_size(&e.message_body, e.message_attributes.as_ref()))
            .collect();
        let mut offload: Vec<bool> = input
            .entries
            .iter()
            .zip(&sizes)
            .map(|(e, s)| self.should_offload(*s, &e.message_body))
            .collect();
        // Plan: what stays inline must fit the batch total, with room for the pointers.
        let pointer_cost = 200;
        let mut total: usize = sizes
            .iter()
            .zip(&offload)
            .map(|(s, o)| if *o { pointer_cost } else { *s })
            .sum();
        while total > MAX_BATCH_BYTES {
            let Some((i, _)) = sizes
                .iter()
                .enumerate()
                .filter(|(i, _)| !offload[*i] && !input.entries[*i].message_body.is_empty())
                .max_by_key(|(_, s)| **s)
            else {
                break;
            };
            offload[i] = true;
            total = total - sizes[i] + pointer_cost;
        }
        for (e, o) in input.entries.iter().zip(&offload) {
            if e.message_body.is_empty() {
                return Err(Error::InvalidRequest(format!(
                    "entry {}: the message body is empty",
                    e.id
                )));
            }
            Self::check_attributes(e.message_attributes.as_ref(), *o)?;
        }
        let queue = input.queue_url.clone();
        let mut uploaded: HashMap<String, PayloadLocation> = HashMap::new();
        let uploads = input
            .entries
            .iter_mut()
            .zip(&offload)
            .filter(|(_, o)| **o)
            .map(|(e, _)| {
                let queue = queue.as_str();
                async move {
                    let loc = self
                        .offload(
                            queue,
                            &mut e.message_body,
                            &mut e.message_attributes,
                            &mut e.message_deduplication_id,
                        )
                        .await;
                    (e.id.clone(), loc)
                }
            });
        let results = futures_util::future::join_all(uploads).await;
        let mut failure = None;
        for (id, r) in results {
            match r {
                Ok(loc) => {
                    uploaded.insert(id, loc);
                }
                Err(e) => failure = Some(e),
            }
        }
        if let Some(e) = failure {
            self.remove_all(uploaded.values()).await;
            return Err(e);
        }
        match self.client.execute(input).await {
            Ok(out) => {
                let refused: Vec<&PayloadLocation> = out
                    .failed
                    .iter()
                    .filter_map(|f| uploaded.get(&f.id))
                    .collect();
                self.remove_all(refused.into_iter()).await;
                Ok(out)
            }
            Err(e) => {
                self.remove_all(uploaded.values()).await;
                Err(Error::Sqs(e))
            }
        }
    }

    async fn remove_all<'a>(&self, locations: impl Iterator<Item = &'a PayloadLocation>) {
        let removals = locations.map(|l| async move {
            if let Err(e) = self.remove(l).await {
                tracing::warn!(error = %e, key = %l.key, "could not delete the object of a refused message");
            }
        });
        futures_util::future::join_all(removals).await;
    }

    /// Receives messages and fetches their offloaded payloads (concurrently). A message whose
    /// digests do not match, whose pointer names a bucket not allowed, or whose object is
    /// missing or unreadable, is an error of its own; the other messages are returned as usual.
    pub(crate) async fn receive_message_input(
        &self,
        mut input: ReceiveMessageInput,
    ) -> Result<ReceiveOutput, Error> {
        ask_for_size_attributes(&mut input);
        let queue = input.queue_url.clone();
        // Digests are checked per message: a damaged one is a failure of its own.
        let received = self.client.receive_each(input).await?;
        let queue = queue.as_str();
        let fetches = received.into_iter().map(|m| async move {
            match m {
                Ok(m) => self.resolve(m, queue).await,
                Err(damaged) => Some(Err(damaged.into())),
            }
        });
        let resolved: Vec<_> = futures_util::stream::iter(fetches)
            .buffered(self.config.fetch_concurrency.max(1))
            .collect()
            .await;
        Ok(ReceiveOutput {
            messages: resolved.into_iter().flatten().collect(),
        })
    }

    /// Receives messages without fetching payloads: offloaded messages keep their pointer body
    /// and say where the payload is; read it with [`payload_stream`](Self::payload_stream). A
    /// message whose digests do not match, or that is marked offloaded but carries no readable
    /// pointer, is an error of its own; the other messages are returned as usual.
    pub async fn receive_message_pointers(
        &self,
        mut input: ReceiveMessageInput,
    ) -> Result<ReceiveOutput, Error> {
        ask_for_size_attributes(&mut input);
        let received = self.client.receive_each(input).await?;
        let mut messages = Vec::with_capacity(received.len());
        for m in received {
            let mut m = match m {
                Ok(m) => m,
                Err(damaged) => {
                    messages.push(Err(damaged.into()));
                    continue;
                }
            };
            match pointer_of(&m) {
                Ok(payload) => {
                    if let (Some(loc), Some(handle)) = (&payload, &m.receipt_handle) {
                        m.receipt_handle = Some(loc.wrap_handle(handle));
                    }
                    if payload.is_some() {
                        strip_size_attributes(&mut m);
                    }
                    messages.push(Ok(ReceivedMessage {
                        message: m,
                        payload,
                    }));
                }
                Err(why) => messages.push(Err(PayloadFailure {
                    message: m,
                    error: Error::Pointer(why),
                })),
            }
        }
        Ok(ReceiveOutput { messages })
    }

    /// The bytes of an offloaded payload as a stream (for payloads too large to hold).
    pub async fn payload_stream(
        &self,
        location: &PayloadLocation,
    ) -> Result<BoxStream<'static, Result<Bytes, Error>>, Error> {
        let store = self
            .stores
            .get(&location.bucket)
            .ok_or_else(|| Error::BucketNotAllowed(location.clone()))?;
        let got = store
            .get(&Path::from(location.key.as_str()))
            .await
            .map_err(|e| Error::store("download", location, e))?;
        let loc = location.clone();
        Ok(got
            .into_stream()
            .map_err(move |e| Error::store("download", &loc, e))
            .boxed())
    }

    /// `None` when the message was dropped (payload not found, ignored as configured).
    pub(crate) async fn resolve(
        &self,
        mut m: Message,
        queue_url: &str,
    ) -> Option<Result<ReceivedMessage, PayloadFailure>> {
        let location = match pointer_of(&m) {
            Ok(Some(l)) => l,
            Ok(None) => {
                return Some(Ok(ReceivedMessage {
                    message: m,
                    payload: None,
                }));
            }
            Err(why) => {
                return Some(Err(PayloadFailure {
                    message: m,
                    error: Error::Pointer(why),
                }));
            }
        };
        let Some(store) = self.stores.get(&location.bucket) else {
            // Never fetched: a sender must not make consumers read arbitrary buckets.
            return Some(Err(PayloadFailure {
                message: m,
                error: Error::BucketNotAllowed(location),
            }));
        };
        let fetched = match store.get(&Path::from(location.key.as_str())).await {
            Ok(got) => got.bytes().await,
            Err(e) => Err(e),
        };
        let bytes = match fetched {
            Ok(b) => b,
            Err(object_store::Error::NotFound { .. }) if self.config.ignore_payload_not_found => {
                let handle = m.receipt_handle.clone().unwrap_or_default();
                tracing::warn!(key = %location.key, "payload not found; deleting its message as configured");
                let delete = DeleteMessageInput::default()
                    .queue_url(queue_url)
                    .receipt_handle(handle);
                return match self.client.execute(delete).await {
                    Ok(_) => None,
                    Err(e) => Some(Err(PayloadFailure {
                        message: m,
                        error: Error::Sqs(e),
                    })),
                };
            }
            Err(e) => {
                return Some(Err(PayloadFailure {
                    message: m,
                    error: Error::store("download", &location, e),
                }));
            }
        };
        let text = match String::from_utf8(bytes.to_vec()) {
            Ok(t) => t,
            Err(_) => {
                return Some(Err(PayloadFailure {
                    message: m,
                    error: Error::Pointer(format!(
                        "the payload at {} is not UTF-8 text",
                        location.key
                    )),
                }));
            }
        };
        m.body = Some(text);
        strip_size_attributes(&mut m);
        if let Some(handle) = &m.receipt_handle {
            m.receipt_handle = Some(location.wrap_handle(handle));
        }
        Some(Ok(ReceivedMessage {
            message: m,
            payload: Some(location),
        }))
    }

    /// Deletes a message, then (if cleanup is on) its payload: the object is deleted only once
    /// SQS has deleted the message, so a failed delete never leaves a dangling pointer.
    pub(crate) async fn delete_message_input(
        &self,
        mut input: DeleteMessageInput,
    ) -> Result<(), Error> {
        let (location, original) = unwrap_handle(&input.receipt_handle);
        let original = original.to_owned();
        input.receipt_handle = original;
        self.client.execute(input).await?;
        if let (Some(loc), true) = (location, self.config.cleanup) {
            self.remove(&loc).await?;
        }
        Ok(())
    }

    /// Deletes a batch; objects are deleted only for the entries SQS deleted.
    pub(crate) async fn delete_message_batch_input(
        &self,
        mut input: DeleteMessageBatchInput,
    ) -> Result<DeleteBatchOutput, Error> {
        let mut locations = HashMap::new();
        for e in &mut input.entries {
            let (loc, original) = unwrap_handle(&e.receipt_handle);
            let original = original.to_owned();
            if let Some(loc) = loc {
                locations.insert(e.id.clone(), loc);
            }
            e.receipt_handle = original;
        }
        let output = self.client.execute(input).await?;
        let mut cleanup_failures = Vec::new();
        if self.config.cleanup {
            let removals = output
                .successful
                .iter()
                .filter_map(|s| locations.get(&s.id).map(|l| (s.id.clone(), l)))
                .map(|(id, l)| async move { (id, self.remove(l).await) });
            for (id, r) in futures_util::future::join_all(removals).await {
                if let Err(e) = r {
                    cleanup_failures.push((id, e));
                }
            }
        }
        Ok(DeleteBatchOutput {
            output,
            cleanup_failures,
        })
    }

    /// Changes a message's visibility (the handle may be a wrapped one).
    pub(crate) async fn change_message_visibility_input(
        &self,
        mut input: ChangeMessageVisibilityInput,
    ) -> Result<(), Error> {
        input.receipt_handle = unwrap_handle(&input.receipt_handle).1.to_owned();
        self.client.execute(input).await?;
        Ok(())
    }

    /// Changes visibilities in a batch (the handles may be wrapped ones).
    pub(crate) async fn change_message_visibility_batch_input(
        &self,
        mut input: ChangeMessageVisibilityBatchInput,
    ) -> Result<ChangeMessageVisibilityBatchOutput, Error> {
        for e in &mut input.entries {
            e.receipt_handle = unwrap_handle(&e.receipt_handle).1.to_owned();
        }
        Ok(self.client.execute(input).await?)
    }
}

/// Where a received message's payload is: `None` for a message not offloaded (SQS delivered it
/// without either reserved size attribute), an error for one marked offloaded whose body is not
/// a readable pointer.
fn pointer_of(m: &Message) -> Result<Option<PayloadLocation>, String> {
    let offloaded = m
        .message_attributes
        .as_ref()
        .is_some_and(|a| a.contains_key(SIZE_ATTRIBUTE) || a.contains_key(LEGACY_SIZE_ATTRIBUTE));
    if !offloaded {
        return Ok(None);
    }
    PayloadLocation::from_pointer(m.body.as_deref().unwrap_or_default()).map(Some)
}

fn strip_size_attributes(m: &mut Message) {
    if let Some(a) = &mut m.message_attributes {
        a.remove(SIZE_ATTRIBUTE);
        a.remove(LEGACY_SIZE_ATTRIBUTE);
        if a.is_empty() {
            m.message_attributes = None;
        }
    }
}

/// Both reserved names are asked for, unless everything already is.
pub(crate) fn ask_for_size_attributes(input: &mut ReceiveMessageInput) {
    let names = input.message_attribute_names.get_or_insert_with(Vec::new);
    if names.iter().any(|n| n == "All" || n == ".*") {
        return;
    }
    for reserved in [SIZE_ATTRIBUTE, LEGACY_SIZE_ATTRIBUTE] {
        if !names.iter().any(|n| n == reserved) {
            names.push(reserved.to_owned());
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Sha256Stream::new();
    h.update(bytes);
    h.finish()
}

struct Sha256Stream(ring::digest::Context);

impl Sha256Stream {
    fn new() -> Self {
        Self(ring::digest::Context::new(&ring::digest::SHA256))
    }
    fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    fn finish(self) -> String {
        self.0
            .finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}
