//! The plain client's fluent builders on the extended client: `ext.send_message().queue_url(..)
//! .message_body(..).send().await`, so code changes only where the client is made.

use sqs_client::operation::*;
use sqs_client::{Execute, Operation, Request};

use crate::client::{DeleteBatchOutput, ExtendedClient, ReceiveOutput};
use crate::error::Error;

/// Operations whose messages may carry an offloaded payload: the extended client's own paths.
macro_rules! offloading {
    ($($input:ident => $output:ty, $method:ident;)*) => {
        $(
            impl Execute<$input> for ExtendedClient {
                type Output = $output;
                type Error = Error;
                async fn execute_input(&self, input: $input) -> Result<$output, Error> {
                    self.$method(input).await
                }
            }
        )*
    };
}

offloading! {
    SendMessageInput => SendMessageOutput, send_message_input;
    SendMessageBatchInput => SendMessageBatchOutput, send_message_batch_input;
    ReceiveMessageInput => ReceiveOutput, receive_message_input;
    DeleteMessageInput => (), delete_message_input;
    DeleteMessageBatchInput => DeleteBatchOutput, delete_message_batch_input;
    ChangeMessageVisibilityInput => (), change_message_visibility_input;
    ChangeMessageVisibilityBatchInput => ChangeMessageVisibilityBatchOutput, change_message_visibility_batch_input;
}

/// Operations without message bodies: straight to SQS.
macro_rules! passing_through {
    ($($input:ident),* $(,)?) => {
        $(
            impl Execute<$input> for ExtendedClient {
                type Output = <$input as Operation>::Output;
                type Error = Error;
                async fn execute_input(&self, input: $input) -> Result<Self::Output, Error> {
                    Ok(self.client().execute(input).await?)
                }
            }
        )*
    };
}

passing_through!(
    AddPermissionInput,
    CancelMessageMoveTaskInput,
    CreateQueueInput,
    DeleteQueueInput,
    GetQueueAttributesInput,
    GetQueueUrlInput,
    ListDeadLetterSourceQueuesInput,
    ListMessageMoveTasksInput,
    ListQueueTagsInput,
    ListQueuesInput,
    PurgeQueueInput,
    RemovePermissionInput,
    SetQueueAttributesInput,
    StartMessageMoveTaskInput,
    TagQueueInput,
    UntagQueueInput,
);

macro_rules! entry_points {
    ($($method:ident => $input:ident;)*) => {
        impl ExtendedClient {
            /// Runs any operation given its whole input, through the extended paths where
            /// messages carry bodies.
            pub async fn execute<O>(&self, input: O) -> Result<<Self as Execute<O>>::Output, Error>
            where
                O: Operation,
                Self: Execute<O, Error = Error>,
            {
                self.execute_input(input).await
            }
            $(
                #[doc = concat!("A `", stringify!($input), "` request to fill in and `send()`, as on the plain client.")]
                pub fn $method(&self) -> Request<$input, ExtendedClient> {
                    Request::new(self.clone(), $input::default())
                }
            )*
        }
    };
}

entry_points! {
    add_permission => AddPermissionInput;
    cancel_message_move_task => CancelMessageMoveTaskInput;
    change_message_visibility => ChangeMessageVisibilityInput;
    change_message_visibility_batch => ChangeMessageVisibilityBatchInput;
    create_queue => CreateQueueInput;
    delete_message => DeleteMessageInput;
    delete_message_batch => DeleteMessageBatchInput;
    delete_queue => DeleteQueueInput;
    get_queue_attributes => GetQueueAttributesInput;
    get_queue_url => GetQueueUrlInput;
    list_dead_letter_source_queues => ListDeadLetterSourceQueuesInput;
    list_message_move_tasks => ListMessageMoveTasksInput;
    list_queue_tags => ListQueueTagsInput;
    list_queues => ListQueuesInput;
    purge_queue => PurgeQueueInput;
    receive_message => ReceiveMessageInput;
    remove_permission => RemovePermissionInput;
    send_message => SendMessageInput;
    send_message_batch => SendMessageBatchInput;
    set_queue_attributes => SetQueueAttributesInput;
    start_message_move_task => StartMessageMoveTaskInput;
    tag_queue => TagQueueInput;
    untag_queue => UntagQueueInput;
}
