//! A received message, to be acknowledged, handed back or kept longer.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Error;
use crate::types::Message;

use super::shared::*;

/// A received message, to be settled with [`ack`](Self::ack), [`nack`](Self::nack) or left
/// to its visibility timeout (dropping it unsettled stops its heartbeat).
#[derive(Debug)]
pub struct Delivery {
    pub(super) message: Message,
    pub(super) handle: String,
    pub(super) shared: Arc<Shared>,
    pub(super) settled: bool,
}

impl Delivery {
    /// The message.
    pub fn message(&self) -> &Message {
        &self.message
    }
    /// The body (empty if the service sent none).
    pub fn body(&self) -> &str {
        self.message.body.as_deref().unwrap_or_default()
    }
    /// Deletes the message (through the batcher): it was handled.
    pub async fn ack(mut self) -> Result<(), Error> {
        self.settled = true;
        self.shared.settle(&self.handle);
        self.shared
            .batcher
            .delete_message(&self.shared.queue_url, self.shared.sqs_handle(&self.handle))
            .await?;
        if let Some(hook) = &self.shared.hook {
            hook.deleted(&self.handle)
                .await
                .map_err(|why| Error::payload(format!("the message was deleted, but: {why}")))?;
        }
        Ok(())
    }
    /// Hands the message back, to be received again after `delay` (0 for at once).
    pub async fn nack(mut self, delay: Duration) -> Result<(), Error> {
        self.settled = true;
        self.shared.settle(&self.handle);
        let seconds = i32::try_from(delay.as_secs()).unwrap_or(43_200).min(43_200);
        self.shared
            .batcher
            .change_message_visibility(
                &self.shared.queue_url,
                self.shared.sqs_handle(&self.handle),
                seconds,
            )
            .await
    }
    /// Keeps the message hidden for `by` from now on.
    pub async fn extend(&self, by: Duration) -> Result<(), Error> {
        let seconds = i32::try_from(by.as_secs()).unwrap_or(43_200).min(43_200);
        self.shared
            .batcher
            .change_message_visibility(
                &self.shared.queue_url,
                self.shared.sqs_handle(&self.handle),
                seconds,
            )
            .await
    }
    /// Consumes the delivery, keeping the message unsettled (it reappears after its
    /// visibility timeout).
    pub fn into_message(mut self) -> Message {
        self.settled = true;
        self.shared.settle(&self.handle);
        std::mem::take(&mut self.message)
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if !self.settled {
            self.shared.settle(&self.handle);
        }
    }
}
