//! Deleting and changing visibility: wrapped receipt handles unwrapped, payloads removed with
//! their messages.

use std::collections::HashMap;

use sqs_client::operation::*;

use crate::error::Error;
use crate::pointer::PayloadLocation;

use super::extended::*;
use super::outputs::*;

impl ExtendedClient {
    /// Deletes a message, then (if cleanup is on) its payload: the object is deleted only once
    /// SQS has deleted the message, so a failed delete never leaves a dangling pointer.
    pub(crate) async fn delete_message_input(
        &self,
        mut input: DeleteMessageInput,
    ) -> Result<(), Error> {
        let (location, original) = PayloadLocation::unwrap_handle(&input.receipt_handle);
        let original = original.to_owned();
        input.receipt_handle = original;
        self.client.execute(input).await?;
        if let (Some(loc), true) = (location, self.config.cleanup) {
            self.remove(&loc).await?;
        }
        Ok(())
    }

    /// Deletes a batch; objects are deleted only for the entries SQS deleted.
    pub(crate) async fn delete_message_batch_input(
        &self,
        mut input: DeleteMessageBatchInput,
    ) -> Result<DeleteBatchOutput, Error> {
        let mut locations = HashMap::new();
        for e in &mut input.entries {
            let (loc, original) = PayloadLocation::unwrap_handle(&e.receipt_handle);
            let original = original.to_owned();
            if let Some(loc) = loc {
                locations.insert(e.id.clone(), loc);
            }
            e.receipt_handle = original;
        }
        let output = self.client.execute(input).await?;
        let mut cleanup_failures = Vec::new();
        if self.config.cleanup {
            let removals = output
                .successful
                .iter()
                .filter_map(|s| locations.get(&s.id).map(|l| (s.id.clone(), l)))
                .map(|(id, l)| async move { (id, self.remove(l).await) });
            for (id, r) in futures_util::future::join_all(removals).await {
                if let Err(e) = r {
                    cleanup_failures.push((id, e));
                }
            }
        }
        Ok(DeleteBatchOutput {
            output,
            cleanup_failures,
        })
    }

    /// Changes a message's visibility (the handle may be a wrapped one).
    pub(crate) async fn change_message_visibility_input(
        &self,
        mut input: ChangeMessageVisibilityInput,
    ) -> Result<(), Error> {
        input.receipt_handle = PayloadLocation::unwrap_handle(&input.receipt_handle)
            .1
            .to_owned();
        self.client.execute(input).await?;
        Ok(())
    }

    /// Changes visibilities in a batch (the handles may be wrapped ones).
    pub(crate) async fn change_message_visibility_batch_input(
        &self,
        mut input: ChangeMessageVisibilityBatchInput,
    ) -> Result<ChangeMessageVisibilityBatchOutput, Error> {
        for e in &mut input.entries {
            e.receipt_handle = PayloadLocation::unwrap_handle(&e.receipt_handle)
                .1
                .to_owned();
        }
        Ok(self.client.execute(input).await?)
    }
}
