//! The extended client: its stores, its configuration, and putting and removing payloads.

use std::collections::HashMap;
use std::sync::Arc;

use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sqs_client::Client;
use sqs_client::types::MessageAttributeValue;

use crate::error::Error;
use crate::pointer::{
    LEGACY_SIZE_ATTRIBUTE, PayloadLocation, SIZE_ATTRIBUTE, check_key_prefix, new_key,
};

use super::config::*;

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
    pub(super) client: Client,
    pub(super) bucket: String,
    /// Stores by the bucket name pointers may name: the allow-list.
    pub(super) stores: Arc<HashMap<String, Arc<dyn ObjectStore>>>,
    /// Per bucket, the key prefix deletes are restricted to (none unless configured).
    pub(super) delete_prefixes: Arc<HashMap<String, String>>,
    pub(super) config: ExtendedConfig,
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
            delete_prefixes: Arc::default(),
            config: ExtendedConfig::default(),
        }
    }

    /// Also reads (and cleans up) payloads that pointers place in `bucket`, from `store`.
    ///
    /// The allow-list decides what a pointer can make this client read and, with cleanup on,
    /// delete: anyone who may send to the queue can write a pointer to any key of an allowed
    /// bucket, and deleting that message deletes that object, even one of another application.
    /// [`delete_only_under`](Self::delete_only_under) limits deletes to a key prefix.
    pub fn with_bucket(mut self, bucket: impl Into<String>, store: Arc<dyn ObjectStore>) -> Self {
        Arc::make_mut(&mut self.stores).insert(bucket.into(), store);
        self
    }

    /// Deletes objects of `bucket` only under `prefix`: a deleted message whose pointer names a
    /// key outside it is deleted from SQS, and its object kept (reported as
    /// [`Error::DeleteNotAllowed`]). Reads are not restricted, so producers without a prefix
    /// (the Java and Python clients by default) still work. Off unless configured; give the
    /// producers of your own application a [`key_prefix`](ExtendedConfig::key_prefix) and the
    /// same prefix here.
    pub fn delete_only_under(
        mut self,
        bucket: impl Into<String>,
        prefix: impl Into<String>,
    ) -> Self {
        Arc::make_mut(&mut self.delete_prefixes).insert(bucket.into(), prefix.into());
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

    pub(super) fn size_attribute(&self) -> &'static str {
        if self.config.legacy_attribute {
            LEGACY_SIZE_ATTRIBUTE
        } else {
            SIZE_ATTRIBUTE
        }
    }

    pub(super) fn home(&self) -> &Arc<dyn ObjectStore> {
        &self.stores[&self.bucket]
    }

    pub(crate) fn should_offload(&self, size: usize, body: &str) -> bool {
        !body.is_empty() && (self.config.always_offload || size > self.config.threshold)
    }

    /// The extended client's rules for a message's attributes: no reserved name; when the body
    /// is offloaded, at most 9 (one is reserved), and no more than `threshold` bytes of them
    /// (names, types and values, as the Java and Python clients count): attributes are never
    /// offloaded, so SQS would refuse the message anyway.
    pub(crate) fn check_attributes(
        attributes: Option<&HashMap<String, MessageAttributeValue>>,
        offloading: bool,
        threshold: usize,
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
        let size = sqs_client::message_size("", Some(attributes));
        if offloading && size > threshold {
            return Err(Error::InvalidRequest(format!(
                "the message attributes take {size} bytes, more than the offloading threshold of \
                 {threshold}: attributes are not offloaded; move that data into the body"
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
            .put(&path_of(&location)?, PutPayload::from(payload))
            .await
            .map_err(|e| Error::store("upload", &location, e))?;
        *body = location.to_pointer();
        attributes
            .get_or_insert_with(HashMap::new)
            .insert(self.size_attribute().to_owned(), number_value(size));
        Ok(location)
    }

    pub(crate) async fn remove(&self, location: &PayloadLocation) -> Result<(), Error> {
        let store = self
            .stores
            .get(&location.bucket)
            .ok_or_else(|| Error::BucketNotAllowed(location.clone()))?;
        if let Some(prefix) = self.delete_prefixes.get(&location.bucket)
            && !location.key.starts_with(prefix.as_str())
        {
            return Err(Error::DeleteNotAllowed {
                location: location.clone(),
                prefix: prefix.clone(),
            });
        }
        match store.delete(&path_of(location)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Error::store("delete", location, e)),
        }
    }
}

/// The store path of exactly the pointer's key, or the error that names it.
pub(super) fn path_of(location: &PayloadLocation) -> Result<Path, Error> {
    location.object_path().map_err(|why| Error::UnsupportedKey {
        location: location.clone(),
        why,
    })
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Sha256Stream::new();
    h.update(bytes);
    h.finish()
}

pub(super) struct Sha256Stream(pub(super) ring::digest::Context);

impl Sha256Stream {
    pub(super) fn new() -> Self {
        Self(ring::digest::Context::new(&ring::digest::SHA256))
    }
    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
    pub(super) fn finish(self) -> String {
        self.0
            .finish()
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A `Number` message attribute holding `value` (the payload size attribute).
pub(crate) fn number_value(value: impl ToString) -> MessageAttributeValue {
    let mut attribute = MessageAttributeValue::default();
    attribute.data_type = "Number".to_owned();
    attribute.string_value = Some(value.to_string());
    attribute
}
