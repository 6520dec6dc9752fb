//! A light, fast and safe client for Amazon SQS and SQS-compatible services.
//!
//! # Quick start
//!
//! ```no_run
//! # async fn run() -> Result<(), sqs_client::Error> {
//! // Region, endpoint, credentials and retries from the usual AWS environment variables and
//! // shared files (AWS_REGION, AWS_ENDPOINT_URL_SQS, AWS_ACCESS_KEY_ID, AWS_PROFILE, ...).
//! let client = sqs_client::Client::from_env()?;
//! let queue = client.create_queue().queue_name("jobs").send().await?.queue_url.unwrap_or_default();
//! client.send_message().queue_url(&queue).message_body("hello").send().await?;
//! let received = client.receive_message().queue_url(&queue).wait_time_seconds(20).send().await?;
//! for message in received.messages.unwrap_or_default() {
//!     let handle = message.receipt_handle.unwrap_or_default();
//!     client.delete_message().queue_url(&queue).receipt_handle(handle).send().await?;
//! }
//! # Ok(()) }
//! ```
//!
//! # Main concepts
//!
//! - [`Client`]: cheap to clone; one per endpoint. Made by [`Client::builder`] or
//!   [`Client::from_env`]. Every operation has a method named as in `aws-sdk-sqs`
//!   (`send_message`, `receive_message`, ...) returning a [`Request`] with setters and `send()`;
//!   [`Client::execute`] takes a whole input struct instead.
//! - One execute path for all 23 operations, which asks each [`Operation`] what it needs:
//!   [`Operation::validate`] (every documented limit) and [`Operation::check`] (message size
//!   with attributes, allowed characters, attribute names, batch totals, distinct entry ids),
//!   encoding in AWS JSON 1.0 or AWS Query ([`Protocol`]), SigV4 signing with `aws-sigv4`,
//!   sending with connect / attempt / operation timeouts (a long poll's attempt timeout exceeds
//!   its wait: [`Operation::long_poll`]), retries ([`RetryConfig`]: standard or adaptive,
//!   backoff with jitter, a retry budget), decoding, and MD5 verification of what was sent and
//!   received ([`Operation::verify`]).
//! - Models in [`operation`] and [`types`], re-exported from the `sqs-model` crate (generated
//!   by `sqs-codegen` from the project's own API description); enums keep unknown values;
//!   [`ErrorCode`] recognises a modeled error by shape name or Query code.
//! - Paginated operations: [`Request::into_pages`] and [`Request::into_items`] are streams;
//!   [`Request::into_paginator`] spells it as the official SDK does (`.send()`, `.items().send()`,
//!   `next().await` without importing `StreamExt`).
//! - Ported from `aws-sdk-sqs`: read accessors named like the fields (`out.messages()`),
//!   `Type::builder()...build()`, [`operation`]`::send_message::*` paths, `is_*` predicates per
//!   modeled error and [`Error::as_service_error`], [`config::Region`], [`meta::PKG_VERSION`].
//! - Credentials: [`credentials::ProvideCredentials`] is the seam for any source; the default
//!   chain ([`credentials::default_provider`]) finds them as AWS tools do and refreshes them
//!   ahead of expiry. `Debug` output never shows secrets.
//! - [`Batcher`]: single sends, deletes and visibility changes gathered into batch requests,
//!   each caller getting its own message's result (see its semantics).
//! - [`Client::consumer`]: a [`Consumer`] stream of [`Delivery`]s to `ack` / `nack` / `extend`,
//!   or [`Consumer::process`] with a handler, bounded concurrency, a visibility heartbeat and a
//!   graceful shutdown.
//!
//! # Feature flags
//!
//! - `aws-config`: configure the client from an `aws-config` `SdkConfig`
//!   (`ClientBuilder::sdk_config`), and use any `aws-credential-types` provider (SSO, an
//!   `SdkConfig`'s) as ours.
//! - `testing`: typed helpers for your application's own wiremock contract tests
//!   (`sqs_client::testing`: a matcher per operation in both protocols, typed answers with the
//!   digests filled in, service errors and throttling, the received requests read back as
//!   inputs).
//!
//! # Errors
//!
//! Every operation returns [`Error`]: its [`ErrorKind`] says whether the input was refused before
//! sending (with the [`ValidationError`] naming the field and the limit), the service answered
//! with an error (with [`Error::code`], message, request id and HTTP status), or the transport,
//! timing, decoding, digests or credentials failed. [`Error::is_retryable`] and
//! [`Error::is_throttling`] classify it. In a SendMessageBatch answer, an entry whose digest does
//! not match is moved to `failed` with the code [`CHECKSUM_MISMATCH_CODE`]. A ReceiveMessage
//! with one damaged message fails as a whole through [`Client::execute`];
//! [`Client::receive_each`] (and the consumer) checks each message on its own and gives a
//! damaged one as a [`DamagedMessage`] in its place. An answer that lacks what the protocol
//! always returns is an error too ([`Operation::complete`]): a send without a message id, a
//! batch entry the answer does not mention (moved to `failed` with [`INCOMPLETE_ANSWER_CODE`]).
//!
//! # What a server can make the client do
//!
//! Answer bodies are read up to [`ClientBuilder::max_response_bytes`] (by `Content-Length`
//! before reading, and counted as they arrive); error messages taken from answers keep 1 KiB;
//! redirects are not followed; every attempt has a timeout, and retries a budget. Pooled
//! connections are dropped after 20 s idle, below common servers' keep-alive timeouts; a request
//! sent on a pooled connection the server closed just then fails as a transport error and is
//! sent again on a fresh connection, within the retry budget. For a send that means
//! at-least-once, as SQS is: if the server had stored the message before the connection broke,
//! it is stored twice, never lost.
//!
//! # Cancel safety
//!
//! Dropping a request future abandons it; a request already on the wire may still take effect.
//!
//! # TLS
//!
//! HTTPS uses rustls with the *ring* provider, which the client installs as the process default
//! unless the application installed another one first.

mod auth;
mod batch;
mod client;
pub mod config;
mod consumer;
pub mod credentials;
mod error;
mod receive;
mod retry;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
#[rustfmt::skip] // formatted by sqs-codegen (prettyplease); the freshness test compares it byte for byte
mod generated {
    mod fluent;
}

pub use batch::{BatchConfig, BatchStats, Batcher, Unsent, UnsentRequest};
pub use client::{Client, Execute, ItemPaginator, Items, Pages, Paginator, Request};
pub use config::{ClientBuilder, EndpointConfig, Protocol, Timeouts};
pub use consumer::{
    Consumer, ConsumerBuilder, Delivery, HookFuture, MessageHook, ProcessSummary, ShutdownHandle,
};
pub use credentials::Credentials;
pub use error::{Error, ErrorKind, ErrorMetadata};
pub use receive::DamagedMessage;
pub use retry::{RetryConfig, RetryMode};
pub use sqs_model::checks::{
    CHECKSUM_MISMATCH_CODE, INCOMPLETE_ANSWER_CODE, attributes_md5, message_size,
};
pub use sqs_model::{
    DecodeError, EncodeError, ErrorCode, Fault, LengthUnit, Operation, Paginated, ValidationError,
    ValidationProblem,
};
pub use tls::install_crypto_provider;

/// This crate's version, at the path the official SDK gives it.
pub mod meta {
    /// The version of `sqs-client`.
    pub const PKG_VERSION: &str = env!("CARGO_PKG_VERSION");
}

#[rustfmt::skip] // formatted by sqs-codegen (prettyplease); the freshness test compares it byte for byte
#[path = "generated/operation.rs"]
pub mod operation;

/// Structures and enums used by several operations (`Message`, `MessageAttributeValue`,
/// `QueueAttributeName`, ...), and [`Blob`](crate::types::Blob) for binary values.
pub mod types {
    pub use sqs_model::types::*;
}
