//! How single operations map to the entries of their batch operations and back: a batching
//! layer moves a message's parts into a `SendMessageBatch` entry and takes them back after the
//! request (no copy of the body), and turns each entry's result into the single operation's
//! output.
//!
//! Each mapping is written out field by field, here where the structures are defined: a field
//! added to the description fails to compile here rather than being left behind by a batch.

use crate::operation::{SendMessageInput, SendMessageOutput};
use crate::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    SendMessageBatchRequestEntry, SendMessageBatchResultEntry,
};

/// Moves a message's parts into a batch entry with id `id`, leaving `message` empty;
/// [`take_back_send`] puts them back after the request.
pub fn lend_send(id: String, message: &mut SendMessageInput) -> SendMessageBatchRequestEntry {
    SendMessageBatchRequestEntry {
        id,
        message_body: std::mem::take(&mut message.message_body),
        delay_seconds: message.delay_seconds,
        message_attributes: message.message_attributes.take(),
        message_system_attributes: message.message_system_attributes.take(),
        message_deduplication_id: message.message_deduplication_id.take(),
        message_group_id: message.message_group_id.take(),
    }
}

/// Puts back into `message` what [`lend_send`] moved into `lent`; returns the entry's id.
pub fn take_back_send(
    message: &mut SendMessageInput,
    lent: SendMessageBatchRequestEntry,
) -> String {
    let SendMessageBatchRequestEntry {
        id,
        message_body,
        delay_seconds: _,
        message_attributes,
        message_system_attributes,
        message_deduplication_id,
        message_group_id,
    } = lent;
    message.message_body = message_body;
    message.message_attributes = message_attributes;
    message.message_system_attributes = message_system_attributes;
    message.message_deduplication_id = message_deduplication_id;
    message.message_group_id = message_group_id;
    id
}

/// A successful `SendMessageBatch` entry as the `SendMessage` output it stands for, with its id.
pub fn send_output(result: SendMessageBatchResultEntry) -> (String, SendMessageOutput) {
    let SendMessageBatchResultEntry {
        id,
        message_id,
        md5_of_message_body,
        md5_of_message_attributes,
        md5_of_message_system_attributes,
        sequence_number,
    } = result;
    let output = SendMessageOutput {
        md5_of_message_body: Some(md5_of_message_body),
        md5_of_message_attributes,
        md5_of_message_system_attributes,
        message_id: Some(message_id),
        sequence_number,
    };
    (id, output)
}

/// A `DeleteMessageBatch` entry.
pub fn delete_entry(id: String, receipt_handle: String) -> DeleteMessageBatchRequestEntry {
    DeleteMessageBatchRequestEntry { id, receipt_handle }
}

/// A `ChangeMessageVisibilityBatch` entry.
pub fn visibility_entry(
    id: String,
    receipt_handle: String,
    visibility_timeout: Option<i32>,
) -> ChangeMessageVisibilityBatchRequestEntry {
    ChangeMessageVisibilityBatchRequestEntry {
        id,
        receipt_handle,
        visibility_timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lent_message_comes_back_whole() {
        let original = SendMessageInput::builder()
            .queue_url("q")
            .message_body("body")
            .delay_seconds(3)
            .message_attributes(
                "a",
                crate::types::MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("v")
                    .build()
                    .unwrap(),
            )
            .message_deduplication_id("d")
            .message_group_id("g")
            .build()
            .unwrap();
        let mut message = original.clone();
        let lent = lend_send("7".into(), &mut message);
        assert_eq!(lent.message_body, "body");
        assert_eq!(lent.delay_seconds, Some(3));
        assert_eq!(message.message_body, "");
        assert_eq!(take_back_send(&mut message, lent), "7");
        assert_eq!(message, original);
    }
}
