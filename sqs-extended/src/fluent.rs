//! The plain client's fluent builders on the extended client: `ext.send_message().queue_url(..)
//! .message_body(..).send().await`, so code changes only where the client is made.

use sqs_client::operation::*;
use sqs_client::{Execute, Operation};

use crate::client::{DeleteBatchOutput, ExtendedClient, ReceiveOutput};
use crate::error::Error;

/// Operations whose messages may carry an offloaded payload (`rs.sqs#carriesMessages` in the API
/// description): the extended client's own paths. An operation the description marks so and
/// that has no line here makes the generated entry point fail to compile.
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

impl ExtendedClient {
    /// Runs any operation given its whole input, through the extended paths where messages
    /// carry bodies. The per-operation entry points (`ext.send_message()`, ...) and the
    /// operations without messages, which go straight to SQS, are generated
    /// (`generated/fluent.rs`).
    pub async fn execute<O>(&self, input: O) -> Result<<Self as Execute<O>>::Output, Error>
    where
        O: Operation,
        Self: Execute<O, Error = Error>,
    {
        self.execute_input(input).await
    }
}
