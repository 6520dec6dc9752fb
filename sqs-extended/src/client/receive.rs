//! Receiving: each pointer resolved to its payload, each message on its own.

use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use sqs_client::operation::*;
use sqs_client::types::Message;

use crate::error::Error;
use crate::pointer::{LEGACY_SIZE_ATTRIBUTE, PayloadLocation, SIZE_ATTRIBUTE};

use super::extended::*;
use super::outputs::*;

impl ExtendedClient {
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
        let path = match path_of(&location) {
            Ok(path) => path,
            Err(error) => return Some(Err(PayloadFailure { message: m, error })),
        };
        let fetched = match store.get(&path).await {
            Ok(got) => got.bytes().await,
            Err(e) => Err(e),
        };
        let bytes = match fetched {
            Ok(b) => b,
            Err(object_store::Error::NotFound { .. }) if self.config.ignore_payload_not_found => {
                let handle = m.receipt_handle.clone().unwrap_or_default();
                tracing::warn!(key = %location.key, "payload not found; deleting its message as configured");
                let mut delete = DeleteMessageInput::default();
                delete.queue_url = queue_url.to_owned();
                delete.receipt_handle = handle;
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
        // The downloaded buffer becomes the body without a copy (when the store hands it over
        // whole, as the S3 and file backends do): a payload is held once.
        let text = match String::from_utf8(Vec::from(bytes)) {
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
}
/// Where a received message's payload is: `None` for a message not offloaded (SQS delivered it
/// without either reserved size attribute), an error for one marked offloaded whose body is not
/// a readable pointer.
pub(super) fn pointer_of(m: &Message) -> Result<Option<PayloadLocation>, String> {
    let offloaded = m
        .message_attributes
        .as_ref()
        .is_some_and(|a| a.contains_key(SIZE_ATTRIBUTE) || a.contains_key(LEGACY_SIZE_ATTRIBUTE));
    if !offloaded {
        return Ok(None);
    }
    PayloadLocation::from_pointer(m.body.as_deref().unwrap_or_default()).map(Some)
}

pub(super) fn strip_size_attributes(m: &mut Message) {
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
