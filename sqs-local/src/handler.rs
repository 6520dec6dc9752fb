//! The service as the generated dispatch sees it: one `Handler` method per operation of the API
//! description, each running the service's own method of that name (a change that must be
//! durable waits until the data directory has it). An operation added to the
//! description and regenerated makes this impl fail to compile until it is handled.

use std::sync::Arc;

use sqs_model::operation::*;
use sqs_model::server::Handler;

use crate::error::ApiError;
use crate::service::{Caller, Service};

/// The service, borrowed for one request (some operations start tasks that keep it).
#[derive(Debug)]
pub(crate) struct Api<'a>(pub(crate) &'a Arc<Service>);

impl Api<'_> {
    /// Runs a change that must be durable: refused before it is made while the data directory
    /// cannot be written, answered once it is saved (at once without a data directory).
    async fn durably<T>(
        &self,
        change: impl FnOnce() -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.0.writable()?;
        let out = change()?;
        self.0.saved().await?;
        Ok(out)
    }
}

impl Handler for Api<'_> {
    type Caller = Caller;
    type Error = ApiError;

    async fn add_permission(
        &self,
        input: AddPermissionInput,
        _: &Caller,
    ) -> Result<AddPermissionOutput, ApiError> {
        self.durably(|| Service::add_permission(self.0, input))
            .await
    }
    async fn cancel_message_move_task(
        &self,
        input: CancelMessageMoveTaskInput,
        _: &Caller,
    ) -> Result<CancelMessageMoveTaskOutput, ApiError> {
        self.durably(|| Service::cancel_message_move_task(self.0, input))
            .await
    }
    async fn change_message_visibility(
        &self,
        input: ChangeMessageVisibilityInput,
        _: &Caller,
    ) -> Result<ChangeMessageVisibilityOutput, ApiError> {
        Service::change_message_visibility(self.0, input)
    }
    async fn change_message_visibility_batch(
        &self,
        input: ChangeMessageVisibilityBatchInput,
        _: &Caller,
    ) -> Result<ChangeMessageVisibilityBatchOutput, ApiError> {
        Service::change_message_visibility_batch(self.0, input)
    }
    async fn create_queue(
        &self,
        input: CreateQueueInput,
        _: &Caller,
    ) -> Result<CreateQueueOutput, ApiError> {
        self.durably(|| Service::create_queue(self.0, input)).await
    }
    async fn delete_message(
        &self,
        input: DeleteMessageInput,
        _: &Caller,
    ) -> Result<DeleteMessageOutput, ApiError> {
        self.durably(|| Service::delete_message(self.0, input))
            .await
    }
    async fn delete_message_batch(
        &self,
        input: DeleteMessageBatchInput,
        _: &Caller,
    ) -> Result<DeleteMessageBatchOutput, ApiError> {
        self.durably(|| Service::delete_message_batch(self.0, input))
            .await
    }
    async fn delete_queue(
        &self,
        input: DeleteQueueInput,
        _: &Caller,
    ) -> Result<DeleteQueueOutput, ApiError> {
        self.durably(|| Service::delete_queue(self.0, input)).await
    }
    async fn get_queue_attributes(
        &self,
        input: GetQueueAttributesInput,
        _: &Caller,
    ) -> Result<GetQueueAttributesOutput, ApiError> {
        Service::get_queue_attributes(self.0, input)
    }
    async fn get_queue_url(
        &self,
        input: GetQueueUrlInput,
        _: &Caller,
    ) -> Result<GetQueueUrlOutput, ApiError> {
        Service::get_queue_url(self.0, input)
    }
    async fn list_dead_letter_source_queues(
        &self,
        input: ListDeadLetterSourceQueuesInput,
        _: &Caller,
    ) -> Result<ListDeadLetterSourceQueuesOutput, ApiError> {
        Service::list_dead_letter_source_queues(self.0, input)
    }
    async fn list_message_move_tasks(
        &self,
        input: ListMessageMoveTasksInput,
        _: &Caller,
    ) -> Result<ListMessageMoveTasksOutput, ApiError> {
        Service::list_message_move_tasks(self.0, input)
    }
    async fn list_queue_tags(
        &self,
        input: ListQueueTagsInput,
        _: &Caller,
    ) -> Result<ListQueueTagsOutput, ApiError> {
        Service::list_queue_tags(self.0, input)
    }
    async fn list_queues(
        &self,
        input: ListQueuesInput,
        _: &Caller,
    ) -> Result<ListQueuesOutput, ApiError> {
        Service::list_queues(self.0, input)
    }
    async fn purge_queue(
        &self,
        input: PurgeQueueInput,
        _: &Caller,
    ) -> Result<PurgeQueueOutput, ApiError> {
        self.durably(|| Service::purge_queue(self.0, input)).await
    }
    async fn receive_message(
        &self,
        input: ReceiveMessageInput,
        _: &Caller,
    ) -> Result<ReceiveMessageOutput, ApiError> {
        Service::receive_message(self.0, input).await
    }
    async fn remove_permission(
        &self,
        input: RemovePermissionInput,
        _: &Caller,
    ) -> Result<RemovePermissionOutput, ApiError> {
        self.durably(|| Service::remove_permission(self.0, input))
            .await
    }
    async fn send_message(
        &self,
        input: SendMessageInput,
        _: &Caller,
    ) -> Result<SendMessageOutput, ApiError> {
        self.durably(|| Service::send_message(self.0, input)).await
    }
    async fn send_message_batch(
        &self,
        input: SendMessageBatchInput,
        _: &Caller,
    ) -> Result<SendMessageBatchOutput, ApiError> {
        self.durably(|| Service::send_message_batch(self.0, input))
            .await
    }
    async fn set_queue_attributes(
        &self,
        input: SetQueueAttributesInput,
        _: &Caller,
    ) -> Result<SetQueueAttributesOutput, ApiError> {
        self.durably(|| Service::set_queue_attributes(self.0, input))
            .await
    }
    async fn start_message_move_task(
        &self,
        input: StartMessageMoveTaskInput,
        _: &Caller,
    ) -> Result<StartMessageMoveTaskOutput, ApiError> {
        self.durably(|| Service::start_message_move_task(self.0, input))
            .await
    }
    async fn tag_queue(
        &self,
        input: TagQueueInput,
        _: &Caller,
    ) -> Result<TagQueueOutput, ApiError> {
        self.durably(|| Service::tag_queue(self.0, input)).await
    }
    async fn untag_queue(
        &self,
        input: UntagQueueInput,
        _: &Caller,
    ) -> Result<UntagQueueOutput, ApiError> {
        self.durably(|| Service::untag_queue(self.0, input)).await
    }
}
