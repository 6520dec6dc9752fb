//! The extended client under the consumer and the batcher: a consumer that hands out resolved
//! payloads and removes objects after acknowledging, and a batcher front that offloads first.

use std::sync::Arc;

use sqs_client::operation::{ReceiveMessageInput, SendMessageInput, SendMessageOutput};
use sqs_client::types::Message;
use sqs_client::{Batcher, ConsumerBuilder, HookFuture, MessageHook};

use crate::client::ExtendedClient;
use crate::error::Error;
use crate::pointer::PayloadLocation;

#[derive(Debug)]
struct Hook(ExtendedClient);

impl MessageHook for Hook {
    fn prepare(&self, input: &mut ReceiveMessageInput) {
        crate::client::ask_for_size_attributes(input);
    }

    fn resolve<'a>(
        &'a self,
        queue_url: &'a str,
        message: Message,
    ) -> HookFuture<'a, Option<Result<Message, String>>> {
        Box::pin(async move {
            self.0
                .resolve(message, queue_url)
                .await
                .map(|r| r.map(|m| m.message).map_err(|f| f.to_string()))
        })
    }

    fn sqs_handle<'a>(&self, handle: &'a str) -> &'a str {
        PayloadLocation::unwrap_handle(handle).1
    }

    fn deleted<'a>(&'a self, handle: &'a str) -> HookFuture<'a, Result<(), String>> {
        Box::pin(async move {
            match PayloadLocation::unwrap_handle(handle).0 {
                Some(loc) if self.0.config().cleanup => {
                    self.0.remove(&loc).await.map_err(|e| e.to_string())
                }
                _ => Ok(()),
            }
        })
    }
}

impl ExtendedClient {
    /// A consumer (see [`sqs_client::Client::consumer`]) whose deliveries carry resolved
    /// payloads; acknowledging one deletes the message, then its object. A message whose
    /// payload cannot be had is yielded as an error and comes back after its visibility timeout.
    pub fn consumer(&self, queue_url: impl Into<String>) -> ConsumerBuilder {
        self.client()
            .consumer(queue_url)
            .hook(Arc::new(Hook(self.clone())))
    }

    /// Batched sends and deletes through `batcher`, offloading large bodies first.
    pub fn batcher(&self, batcher: Batcher) -> ExtendedBatcher {
        ExtendedBatcher {
            client: self.clone(),
            batcher,
        }
    }
}

/// A [`Batcher`] with offloading: large bodies go to the store before their message joins a
/// batch; deletes unwrap handles and remove objects after SQS deleted the message. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct ExtendedBatcher {
    client: ExtendedClient,
    batcher: Batcher,
}

impl ExtendedBatcher {
    /// Sends one message as part of a batch, offloading its body first when it is large (each
    /// offloaded pointer is about 200 bytes, so batches stay far below the 1 MiB total). If SQS
    /// refuses the message, its object is deleted.
    pub async fn send_message(&self, input: SendMessageInput) -> Result<SendMessageOutput, Error> {
        self.client
            .send_with(input, |input| self.batcher.send_message(input))
            .await
    }

    /// Deletes one message as part of a batch, then its object (if cleanup is on).
    pub async fn delete_message(&self, queue_url: &str, receipt_handle: &str) -> Result<(), Error> {
        let (location, original) = PayloadLocation::unwrap_handle(receipt_handle);
        self.batcher.delete_message(queue_url, original).await?;
        if let (Some(loc), true) = (location, self.client.config().cleanup) {
            self.client.remove(&loc).await?;
        }
        Ok(())
    }

    /// The batcher underneath (for `flush` and `close`).
    pub fn inner(&self) -> &Batcher {
        &self.batcher
    }
}
