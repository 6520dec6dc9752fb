//! The extended client's error.

use crate::pointer::PayloadLocation;

/// What went wrong in the extended client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// SQS refused or failed (the client's error, with code, message and request id).
    #[error(transparent)]
    Sqs(#[from] sqs_client::Error),
    /// The object store failed.
    #[error("object store: {operation} of {bucket}/{key} failed: {source}", bucket = location.bucket, key = location.key)]
    Store {
        /// What was being done (`upload`, `download`, `delete`).
        operation: &'static str,
        /// The object.
        location: PayloadLocation,
        /// The store's error (`NotFound` for a missing object).
        #[source]
        source: Box<object_store::Error>,
    },
    /// A pointer names a bucket this client may not read; nothing was fetched or deleted.
    #[error("the pointer names bucket {:?}, which is not allowed (key {:?}); nothing was fetched", .0.bucket, .0.key)]
    BucketNotAllowed(PayloadLocation),
    /// A pointer names a key that no store path can hold as it is (see
    /// [`PayloadLocation::object_path`]); nothing was read or deleted.
    #[error("{why} (bucket {:?}); nothing was read or deleted", .location.bucket)]
    UnsupportedKey {
        /// The object the pointer names.
        location: PayloadLocation,
        /// Why the key cannot be used.
        why: String,
    },
    /// A deleted message's pointer names a key outside the prefix this client may delete in that
    /// bucket ([`ExtendedClient::delete_only_under`](crate::ExtendedClient::delete_only_under)):
    /// the message was deleted, the object left in place.
    #[error("the object {:?} in bucket {:?} is outside {prefix:?}, the prefix this client may delete; the message was deleted, the object kept", .location.key, .location.bucket)]
    DeleteNotAllowed {
        /// The object the pointer names.
        location: PayloadLocation,
        /// The prefix deletes are restricted to in that bucket.
        prefix: String,
    },
    /// A message carries the size attribute but its body is not a pointer (or its payload is not
    /// UTF-8 text).
    #[error("malformed offloaded message: {0}")]
    Pointer(String),
    /// The request breaks a rule of the extended client (reserved attribute names, attribute
    /// count, empty body, key prefix); nothing was sent or stored.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl Error {
    pub(crate) fn store(
        operation: &'static str,
        location: &PayloadLocation,
        source: object_store::Error,
    ) -> Self {
        Error::Store {
            operation,
            location: location.clone(),
            source: Box::new(source),
        }
    }

    /// Whether this is a store error saying the object does not exist.
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Store { source, .. } => {
                matches!(**source, object_store::Error::NotFound { .. })
            }
            _ => false,
        }
    }
}
