//! Whether an answer has what the protocol always returns, digests checked or not: a server that
//! answers `200 {}` to a send has not told that the message was stored.
//!
//! A whole-answer gap (a send without a message id, a received message without a receipt
//! handle) is an error of the call. A batch entry the answer does not mention, or mentions as
//! successful without a message id, becomes a failed entry ([`INCOMPLETE_ANSWER_CODE`], not the
//! sender's fault): the entries the answer did confirm stay confirmed, and a batcher sends the
//! others again.

use crate::operation::{
    ChangeMessageVisibilityBatchInput, ChangeMessageVisibilityBatchOutput, DeleteMessageBatchInput,
    DeleteMessageBatchOutput, ReceiveMessageInput, ReceiveMessageOutput, SendMessageBatchInput,
    SendMessageBatchOutput, SendMessageInput, SendMessageOutput,
};
use crate::types::BatchResultErrorEntry;

/// The code given to a batch entry the answer left out (it is added to `failed`).
pub const INCOMPLETE_ANSWER_CODE: &str = "IncompleteAnswer";

fn present(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

pub(crate) fn complete_send(
    _: &SendMessageInput,
    output: &mut SendMessageOutput,
) -> Result<(), String> {
    if present(output.message_id.as_deref()) {
        Ok(())
    } else {
        Err(
            "the answer has no MessageId: the service did not confirm that the message was stored"
                .into(),
        )
    }
}

/// Adds a failed entry for each request id the answer mentions in neither list.
fn cover<'a>(
    ids: impl Iterator<Item = &'a str>,
    answered: impl Fn(&str) -> bool,
    failed: &mut Vec<BatchResultErrorEntry>,
) {
    for id in ids {
        if !answered(id) {
            failed.push(super::failed_entry(
                id,
                INCOMPLETE_ANSWER_CODE,
                "the answer does not mention this entry",
            ));
        }
    }
}

pub(crate) fn complete_send_batch(
    input: &SendMessageBatchInput,
    output: &mut SendMessageBatchOutput,
) -> Result<(), String> {
    // A successful entry without a message id is not a confirmation.
    let (confirmed, unconfirmed): (Vec<_>, Vec<_>) = std::mem::take(&mut output.successful)
        .into_iter()
        .partition(|e| !e.message_id.is_empty());
    output.successful = confirmed;
    for entry in unconfirmed {
        output.failed.push(super::failed_entry(
            entry.id,
            INCOMPLETE_ANSWER_CODE,
            "the answer lists this entry as sent but gives no MessageId",
        ));
    }
    let (successful, failed) = (&output.successful, &mut output.failed);
    let answered = |id: &str| successful.iter().any(|e| e.id == id);
    let mut missing = Vec::new();
    cover(
        input.entries.iter().map(|e| e.id.as_str()),
        |id| answered(id) || failed.iter().any(|e| e.id == id),
        &mut missing,
    );
    failed.append(&mut missing);
    Ok(())
}

pub(crate) fn complete_delete_batch(
    input: &DeleteMessageBatchInput,
    output: &mut DeleteMessageBatchOutput,
) -> Result<(), String> {
    let (successful, failed) = (&output.successful, &mut output.failed);
    let mut missing = Vec::new();
    cover(
        input.entries.iter().map(|e| e.id.as_str()),
        |id| successful.iter().any(|e| e.id == id) || failed.iter().any(|e| e.id == id),
        &mut missing,
    );
    failed.append(&mut missing);
    Ok(())
}

pub(crate) fn complete_visibility_batch(
    input: &ChangeMessageVisibilityBatchInput,
    output: &mut ChangeMessageVisibilityBatchOutput,
) -> Result<(), String> {
    let (successful, failed) = (&output.successful, &mut output.failed);
    let mut missing = Vec::new();
    cover(
        input.entries.iter().map(|e| e.id.as_str()),
        |id| successful.iter().any(|e| e.id == id) || failed.iter().any(|e| e.id == id),
        &mut missing,
    );
    failed.append(&mut missing);
    Ok(())
}

pub(crate) fn complete_received(
    _: &ReceiveMessageInput,
    output: &mut ReceiveMessageOutput,
) -> Result<(), String> {
    let messages = output.messages.as_deref().unwrap_or_default();
    match messages
        .iter()
        .position(|m| !present(m.message_id.as_deref()) || !present(m.receipt_handle.as_deref()))
    {
        None => Ok(()),
        Some(n) => Err(format!(
            "received message {} of {} has no MessageId or no ReceiptHandle; the messages were \
             not deleted and reappear after their visibility timeout",
            n + 1,
            messages.len()
        )),
    }
}
