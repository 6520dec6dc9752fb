//! Receiving with each message's digests checked on its own.

use sqs_model::checks;

use crate::client::{Checks, Client};
use crate::error::Error;
use crate::operation::ReceiveMessageInput;
use crate::types::Message;

/// A received message whose body or attributes do not match the digests SQS sent with it. It
/// was not deleted: it reappears after its visibility timeout (and reaches a dead-letter queue
/// if it keeps arriving damaged).
#[derive(Debug)]
#[non_exhaustive]
pub struct DamagedMessage {
    /// The message as it arrived (boxed: it is large, and this is the error side).
    pub message: Box<Message>,
    /// A [`ChecksumMismatch`](crate::ErrorKind::ChecksumMismatch) error naming the message and
    /// the digest that failed.
    pub error: Error,
}

impl std::fmt::Display for DamagedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for DamagedMessage {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl Client {
    /// Receives messages and checks each one's digests on its own: a damaged message is an
    /// `Err` in its place and the others of the receive are delivered. (Through
    /// [`execute`](Client::execute), one damaged message fails the whole receive.) With
    /// checksums turned off every message is `Ok`.
    pub async fn receive_each(
        &self,
        input: ReceiveMessageInput,
    ) -> Result<Vec<Result<Message, DamagedMessage>>, Error> {
        self.receive_each_ref(&input).await
    }

    pub(crate) async fn receive_each_ref(
        &self,
        input: &ReceiveMessageInput,
    ) -> Result<Vec<Result<Message, DamagedMessage>>, Error> {
        let out = self.execute_ref(input, Checks::NotTheDigests).await?;
        let messages = out.messages.unwrap_or_default();
        let verdicts = if self.verifies_checksums() {
            checks::verify_messages(&messages)
        } else {
            vec![Ok(()); messages.len()]
        };
        Ok(messages
            .into_iter()
            .zip(verdicts)
            .map(|(message, verdict)| match verdict {
                Err(why) => {
                    let id = message.message_id.as_deref().unwrap_or("?");
                    tracing::warn!(message_id = id, %why, "a received message failed its digest check");
                    let error = Error::checksum(
                        "ReceiveMessage",
                        format!(
                            "message {id}: {why}; it was not deleted and reappears after its visibility timeout"
                        ),
                        None,
                    );
                    Err(DamagedMessage {
                        message: Box::new(message),
                        error,
                    })
                }
                Ok(()) => Ok(message),
            })
            .collect())
    }
}
