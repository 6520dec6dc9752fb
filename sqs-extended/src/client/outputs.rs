//! What the extended client's own paths return: received messages with their payloads, and
//! the messages whose payload could not be had.

use sqs_client::operation::*;
use sqs_client::types::Message;

use crate::error::Error;
use crate::pointer::PayloadLocation;

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

/// What [`ExtendedClient::receive_message`](crate::ExtendedClient::receive_message)(ExtendedClient::receive_message) returns: one result per message.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ReceiveOutput {
    /// The messages, in the order SQS gave them.
    pub messages: Vec<Result<ReceivedMessage, PayloadFailure>>,
}

/// What [`ExtendedClient::delete_message_batch`](crate::ExtendedClient::delete_message_batch) returns.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct DeleteBatchOutput {
    /// SQS's answer.
    pub output: DeleteMessageBatchOutput,
    /// Entries whose message was deleted but whose object could not be (by entry id).
    pub cleanup_failures: Vec<(String, Error)>,
}
