//! Sending: a body over the threshold goes to the store and a pointer to SQS; a batch is
//! planned so that its pointers and inline bodies fit one request.

use std::collections::HashMap;

use sqs_client::message_size;
use sqs_client::operation::*;

use crate::error::Error;
use crate::pointer::{PayloadLocation, new_key};

use super::extended::*;

/// The largest SendMessageBatch payload SQS accepts.
pub(super) const MAX_BATCH_BYTES: usize = 1_048_576;

impl ExtendedClient {
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
        Self::check_attributes(
            input.message_attributes.as_ref(),
            offloading,
            self.config.threshold,
        )?;
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
        // Plan: what stays inline must fit the batch total, with room for the pointers. An
        // offloaded entry costs its pointer (whose bucket name and key prefix can make it over
        // 1 KiB), its attributes and the size attribute, counted exactly.
        let pointer = PayloadLocation {
            bucket: self.bucket.clone(),
            key: new_key(&self.config.key_prefix),
        }
        .to_pointer();
        let offloaded: Vec<usize> = input
            .entries
            .iter()
            .map(|e| {
                message_size(&pointer, e.message_attributes.as_ref())
                    + self.size_attribute().len()
                    + "Number".len()
                    + e.message_body.len().to_string().len()
            })
            .collect();
        let mut total: usize = sizes
            .iter()
            .zip(&offload)
            .zip(&offloaded)
            .map(|((s, o), cost)| if *o { *cost } else { *s })
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
            total = total - sizes[i] + offloaded[i];
        }
        for (e, o) in input.entries.iter().zip(&offload) {
            if e.message_body.is_empty() {
                return Err(Error::InvalidRequest(format!(
                    "entry {}: the message body is empty",
                    e.id
                )));
            }
            Self::check_attributes(e.message_attributes.as_ref(), *o, self.config.threshold)?;
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

    pub(super) async fn remove_all<'a>(
        &self,
        locations: impl Iterator<Item = &'a PayloadLocation>,
    ) {
        let removals = locations.map(|l| async move {
            if let Err(e) = self.remove(l).await {
                tracing::warn!(error = %e, key = %l.key, "could not delete the object of a refused message");
            }
        });
        futures_util::future::join_all(removals).await;
    }
}
