//! Deleting received messages and changing their visibility, one or a batch.

use sqs_model::operation::*;
use sqs_model::types::{ChangeMessageVisibilityBatchResultEntry, DeleteMessageBatchResultEntry};

use crate::error::ApiError;

use super::batch::*;
use super::state::*;

impl Service {
    pub(crate) fn delete_message(
        &self,
        input: DeleteMessageInput,
    ) -> Result<DeleteMessageOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        q.delete(&input.receipt_handle)?;
        Ok(DeleteMessageOutput::default())
    }

    pub(crate) fn delete_message_batch(
        &self,
        input: DeleteMessageBatchInput,
    ) -> Result<DeleteMessageBatchOutput, ApiError> {
        check_batch(
            input.entries.iter().map(|e| e.id.as_str()),
            "DeleteMessageBatchRequestEntry",
        )?;
        let name = self.name_from_url(&input.queue_url)?;
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        let mut out = DeleteMessageBatchOutput::default();
        for e in &input.entries {
            match q.delete(&e.receipt_handle) {
                Ok(()) => {
                    let mut ok = DeleteMessageBatchResultEntry::default();
                    ok.id = e.id.clone();
                    out.successful.push(ok);
                }
                Err(err) => out.failed.push(failure(&e.id, &err)),
            }
        }
        Ok(out)
    }

    pub(crate) fn change_message_visibility(
        &self,
        input: ChangeMessageVisibilityInput,
    ) -> Result<ChangeMessageVisibilityOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let now = now_ms();
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        q.change_visibility(&input.receipt_handle, input.visibility_timeout, now)?;
        self.wake(&st, &name);
        Ok(ChangeMessageVisibilityOutput::default())
    }

    pub(crate) fn change_message_visibility_batch(
        &self,
        input: ChangeMessageVisibilityBatchInput,
    ) -> Result<ChangeMessageVisibilityBatchOutput, ApiError> {
        check_batch(
            input.entries.iter().map(|e| e.id.as_str()),
            "ChangeMessageVisibilityBatchRequestEntry",
        )?;
        let name = self.name_from_url(&input.queue_url)?;
        let now = now_ms();
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        let mut out = ChangeMessageVisibilityBatchOutput::default();
        for e in &input.entries {
            let Some(timeout) = e.visibility_timeout else {
                out.failed
                    .push(failure(&e.id, &ApiError::missing("VisibilityTimeout")));
                continue;
            };
            match q.change_visibility(&e.receipt_handle, timeout, now) {
                Ok(()) => {
                    let mut ok = ChangeMessageVisibilityBatchResultEntry::default();
                    ok.id = e.id.clone();
                    out.successful.push(ok);
                }
                Err(err) => out.failed.push(failure(&e.id, &err)),
            }
        }
        self.wake(&st, &name);
        Ok(out)
    }
}
