//! The service side of the digests (feature `server`): what an answer says about what the
//! request carried, computed as SQS computes it, so that a client's checks pass. Each fills only
//! what the answer leaves unset.

use std::collections::HashMap;

use crate::operation::{
    ReceiveMessageInput, ReceiveMessageOutput, SendMessageBatchInput, SendMessageBatchOutput,
    SendMessageInput, SendMessageOutput,
};

use crate::types::{
    MessageAttributeValue, MessageSystemAttributeNameForSends, MessageSystemAttributeValue,
};

use super::{attributes_md5, md5_hex, system_attributes_md5};

/// The body, attribute and system attribute digests of one sent message, each `None` when the
/// request carried no such thing.
fn sent_digests(
    body: &str,
    attributes: Option<&HashMap<String, MessageAttributeValue>>,
    system: Option<&HashMap<MessageSystemAttributeNameForSends, MessageSystemAttributeValue>>,
) -> (String, Option<String>, Option<String>) {
    (
        md5_hex(body.as_bytes()),
        attributes.filter(|a| !a.is_empty()).map(attributes_md5),
        system.filter(|a| !a.is_empty()).map(system_attributes_md5),
    )
}

pub(crate) fn fill_send_digests(input: &SendMessageInput, output: &mut SendMessageOutput) {
    let (body, attributes, system) = sent_digests(
        &input.message_body,
        input.message_attributes.as_ref(),
        input.message_system_attributes.as_ref(),
    );
    output.md5_of_message_body.get_or_insert(body);
    if output.md5_of_message_attributes.is_none() {
        output.md5_of_message_attributes = attributes;
    }
    if output.md5_of_message_system_attributes.is_none() {
        output.md5_of_message_system_attributes = system;
    }
}

/// Each successful entry gets the digests of the request's entry with its id (an id the request
/// did not have is left alone).
pub(crate) fn fill_send_batch_digests(
    input: &SendMessageBatchInput,
    output: &mut SendMessageBatchOutput,
) {
    for entry in &mut output.successful {
        let Some(sent) = input.entries.iter().find(|e| e.id == entry.id) else {
            continue;
        };
        let (body, attributes, system) = sent_digests(
            &sent.message_body,
            sent.message_attributes.as_ref(),
            sent.message_system_attributes.as_ref(),
        );
        if entry.md5_of_message_body.is_empty() {
            entry.md5_of_message_body = body;
        }
        if entry.md5_of_message_attributes.is_none() {
            entry.md5_of_message_attributes = attributes;
        }
        if entry.md5_of_message_system_attributes.is_none() {
            entry.md5_of_message_system_attributes = system;
        }
    }
}

pub(crate) fn fill_received_digests(_: &ReceiveMessageInput, output: &mut ReceiveMessageOutput) {
    for message in output.messages.iter_mut().flatten() {
        if message.md5_of_body.is_none() {
            message.md5_of_body = Some(md5_hex(
                message.body.as_deref().unwrap_or_default().as_bytes(),
            ));
        }
        if message.md5_of_message_attributes.is_none() {
            message.md5_of_message_attributes = message
                .message_attributes
                .as_ref()
                .filter(|a| !a.is_empty())
                .map(attributes_md5);
        }
    }
}
