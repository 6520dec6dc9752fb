//! Transparent offloading of large SQS message bodies to any `object_store` backend, in the
//! pointer format the AWS Java and Python extended clients read and write.
//!
//! - [`ExtendedClient`] wraps a `sqs_client::Client` and an `Arc<dyn ObjectStore>` (S3, GCS,
//!   Azure, the local file system, memory, ...). Bodies over the threshold (262,144 bytes of body
//!   and attributes by default) go to the store; SQS carries a pointer the Java and Python
//!   extended clients read, and it reads theirs (both pointer class families, both size
//!   attributes, any JSON formatting). Receipt handles are wrapped exactly as the Java client
//!   wraps them.
//! - Safer than those clients: a pointer to a bucket outside the allow-list is refused and never
//!   fetched; a missing payload fails only its own message; the object of a message SQS refuses
//!   is deleted again; a batch is planned so its total fits 1 MiB; the object of a deleted
//!   message is removed only after SQS deleted the message; FIFO content-based deduplication
//!   keeps working (the deduplication id is the payload's SHA-256); payloads stream in and out
//!   with bounded memory.
//! - [`ExtendedClient::consumer`] and [`ExtendedClient::batcher`] put the same offloading under
//!   the consumer stream and the batcher.
//! - [`s3_credentials`] lets object_store's S3 backend sign with the same credentials provider
//!   as the SQS client, so one configuration serves both.
//!
//! # Objects that outlive their messages
//!
//! Give the bucket a lifecycle rule (expire objects some days after the queue's retention, and
//! abort incomplete multipart uploads), as with the other extended clients, because some objects
//! are never deleted by a client:
//!
//! - PurgeQueue (through [`ExtendedClient::client`]) removes the messages, not their objects;
//! - a message that expires (retention) or is moved by a dead-letter redrive and never deleted;
//! - a FIFO send that SQS deduplicates: SQS answers it as a success (with the first message's
//!   id), so the client cannot tell that its freshly uploaded object has no message. Keys are
//!   random on purpose: content-addressed keys would let two messages with the same payload
//!   share one object, and deleting the first would take it from the second.
//!
//! # Object keys
//!
//! A pointer's key is used exactly as written, byte for byte, for reads and deletes, so keys the
//! Java and Python clients write (`a~b`, `a#b`, `a%41b`, `x[1]`, `é.bin`, up to 1,024 bytes)
//! name the same object here. Keys that no `object_store` path can hold unchanged are refused
//! with [`Error::UnsupportedKey`], for that message alone, and nothing is read or deleted: the
//! empty key, a leading or trailing `/`, an empty segment (`a//b`), a `.` or `..` segment, ASCII
//! control characters, more than 1,024 bytes. A pointer whose bucket or key contains a receipt
//! handle marker (`-..s3BucketName..-`, `-..s3Key..-`) is refused too. Keys this client makes
//! are the key prefix and a UUID, valid in every store.
//!
//! # Who may delete a payload
//!
//! The bucket allow-list ([`ExtendedClient::with_bucket`]) bounds what pointers can name; within
//! an allowed bucket any sender to the queue can name any key, and deleting the message deletes
//! that object. [`ExtendedClient::delete_only_under`] limits deletes to a key prefix per bucket.
//!
//! ```no_run
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use object_store::aws::AmazonS3Builder;
//!
//! let credentials = sqs_client::credentials::default_provider();
//! let store = AmazonS3Builder::new()
//!     .with_bucket_name("payloads")
//!     .with_region("eu-west-1")
//!     .with_credentials(sqs_extended::s3_credentials(credentials))
//!     .build()?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

mod client;
mod error;
mod fluent;
#[rustfmt::skip] // formatted by sqs-codegen (prettyplease); the freshness test compares it byte for byte
mod generated {
    mod fluent;
}
mod integrate;
pub mod pointer;

pub use client::{
    DeleteBatchOutput, ExtendedClient, ExtendedConfig, PayloadFailure, ReceiveOutput,
    ReceivedMessage,
};
pub use error::Error;
pub use integrate::ExtendedBatcher;
pub use pointer::PayloadLocation;

use object_store::aws::{AwsCredential, AwsCredentialProvider};
use object_store::client::CredentialProvider;
use sqs_client::credentials::SharedCredentialsProvider;

/// object_store's S3 credentials, taken from one of ours. object_store asks before every request:
/// give it a caching provider (such as [`default_provider`](sqs_client::credentials::default_provider)
/// or a [`CachedProvider`](sqs_client::credentials::CachedProvider)) when the source fetches over
/// the network.
///
/// Also installs rustls' *ring* provider as the process default (unless one is installed), which
/// object_store's HTTPS client needs in this build.
pub fn s3_credentials(provider: SharedCredentialsProvider) -> AwsCredentialProvider {
    sqs_client::install_crypto_provider();
    Arc::new(S3Credentials { provider })
}

#[derive(Debug)]
struct S3Credentials {
    provider: SharedCredentialsProvider,
}

#[async_trait::async_trait]
impl CredentialProvider for S3Credentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let c = self.provider.provide_credentials().await.map_err(|e| {
            object_store::Error::Generic {
                store: "S3",
                source: Box::new(e),
            }
        })?;
        Ok(Arc::new(AwsCredential {
            key_id: c.access_key_id().to_owned(),
            secret_key: c.secret_access_key().to_owned(),
            token: c.session_token().map(str::to_owned),
        }))
    }
}

/// The README's Rust blocks, compiled by `cargo test --workspace` (and run, where they need no
/// server): a snippet that stops compiling fails the tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
