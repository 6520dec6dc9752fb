//! Sending, one message or a batch: checked against the queue, deduplicated and ordered on
//! FIFO queues, stored, and waiting receivers woken.

use std::collections::HashMap;

use sqs_model::ErrorCode;
use sqs_model::operation::*;
use sqs_model::types::{
    MessageAttributeValue, MessageSystemAttributeNameForSends, SendMessageBatchResultEntry,
};

use crate::error::{ApiError, allowed_char, check_text};
use crate::queue::{NewMessage, Queue, md5_hex};

use super::batch::*;
use super::state::*;

/// What the request asked a message to carry; checked against the queue before it is stored.
pub(super) struct Outgoing<'a> {
    pub(super) body: &'a str,
    pub(super) attributes: Option<&'a HashMap<String, MessageAttributeValue>>,
    pub(super) system: Option<
        &'a HashMap<
            MessageSystemAttributeNameForSends,
            sqs_model::types::MessageSystemAttributeValue,
        >,
    >,
    pub(super) delay: Option<i32>,
    pub(super) group: Option<&'a str>,
    pub(super) dedup_id: Option<&'a str>,
}

/// Per-message answer of a send.
pub(super) struct Accepted {
    pub(super) message_id: String,
    pub(super) body_md5: String,
    pub(super) attributes_md5: Option<String>,
    pub(super) sequence: Option<String>,
}

impl Service {
    pub(super) fn prepare(&self, q: &Queue, m: &Outgoing<'_>) -> Result<NewMessage, ApiError> {
        if m.body.is_empty() {
            return Err(ApiError::missing("MessageBody"));
        }
        if let Some(c) = m.body.chars().find(|c| !allowed_char(*c)) {
            return Err(ApiError::modeled(
                ErrorCode::InvalidMessageContents,
                format!(
                    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF (found U+{:04X}).",
                    c as u32
                ),
            ));
        }
        let attributes = m.attributes.cloned().unwrap_or_default();
        check_attributes(&attributes)?;
        let size = sqs_model::checks::message_size(m.body, Some(&attributes));
        let max = q.settings.maximum_message_size as usize;
        if size > max {
            return Err(ApiError::invalid_parameter(format!(
                "One or more parameters are invalid. Reason: Message must be shorter than {max} bytes."
            )));
        }
        if let Some(d) = m.delay
            && !(0..=900).contains(&d)
        {
            return Err(ApiError::invalid_value(
                "DelaySeconds",
                d,
                "must be between 0 and 900",
            ));
        }
        let trace_header = m
            .system
            .and_then(|s| s.get(&MessageSystemAttributeNameForSends::AWSTraceHeader))
            .and_then(|v| v.string_value.clone());
        let mut dedup_id = m.dedup_id.map(str::to_owned);
        if q.settings.fifo {
            if m.group.is_none() {
                return Err(ApiError::missing("MessageGroupId"));
            }
            if m.delay.is_some_and(|d| d > 0) {
                return Err(ApiError::invalid_value(
                    "DelaySeconds",
                    m.delay.unwrap_or_default(),
                    "The request include parameter that is not valid for this queue type",
                ));
            }
            if dedup_id.is_none() {
                if !q.settings.content_based_dedup {
                    return Err(ApiError::invalid_parameter(
                        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                    ));
                }
                dedup_id = Some(sha256_hex(m.body.as_bytes()));
            }
        } else if m.dedup_id.is_some() {
            return Err(ApiError::invalid_parameter(
                "The request include parameter MessageDeduplicationId that is not valid for this queue type",
            ));
        }
        for (name, v) in [
            ("MessageGroupId", m.group),
            ("MessageDeduplicationId", m.dedup_id),
        ] {
            if let Some(v) = v
                && (v.is_empty() || v.len() > 128 || !v.bytes().all(|b| b.is_ascii_graphic()))
            {
                return Err(ApiError::invalid_value(
                    name,
                    v,
                    "must be 1 to 128 printable ASCII characters",
                ));
            }
        }
        Ok(NewMessage {
            body: m.body.to_owned(),
            attributes,
            trace_header,
            delay: m.delay.map(|d| d as u32),
            group: m.group.map(str::to_owned),
            dedup_id,
            sender_id: format!("AIDA{}", self.account),
        })
    }

    pub(super) fn send_one(
        &self,
        q: &mut Queue,
        m: Outgoing<'_>,
        now: u64,
    ) -> Result<Accepted, ApiError> {
        let new = self.prepare(q, &m)?;
        let attributes_md5 = (!new.attributes.is_empty())
            .then(|| sqs_model::checks::attributes_md5(&new.attributes));
        let body_md5 = md5_hex(new.body.as_bytes());
        let sent = q.send(new, now);
        Ok(Accepted {
            message_id: sent.message_id,
            body_md5,
            attributes_md5,
            sequence: sent.sequence.map(|s| s.to_string()),
        })
    }

    pub(super) fn wake(&self, st: &crate::service::State, name: &str) {
        if let Some(n) = st.waiters.get(name) {
            n.notify_waiters();
        }
    }

    pub(crate) fn send_message(
        &self,
        input: SendMessageInput,
    ) -> Result<SendMessageOutput, ApiError> {
        let name = self.name_from_url(&input.queue_url)?;
        let now = now_ms();
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        let accepted = self.send_one(
            q,
            Outgoing {
                body: &input.message_body,
                attributes: input.message_attributes.as_ref(),
                system: input.message_system_attributes.as_ref(),
                delay: input.delay_seconds,
                group: input.message_group_id.as_deref(),
                dedup_id: input.message_deduplication_id.as_deref(),
            },
            now,
        )?;
        self.wake(&st, &name);
        let mut out = SendMessageOutput::default();
        out.message_id = Some(accepted.message_id);
        out.md5_of_message_body = Some(accepted.body_md5);
        out.md5_of_message_attributes = accepted.attributes_md5;
        out.sequence_number = accepted.sequence;
        Ok(out)
    }

    pub(crate) fn send_message_batch(
        &self,
        input: SendMessageBatchInput,
    ) -> Result<SendMessageBatchOutput, ApiError> {
        check_batch(
            input.entries.iter().map(|e| e.id.as_str()),
            "SendMessageBatchRequestEntry",
        )?;
        let total: usize = input
            .entries
            .iter()
            .map(|e| {
                sqs_model::checks::message_size(&e.message_body, e.message_attributes.as_ref())
            })
            .sum();
        if total > 1_048_576 {
            return Err(ApiError::modeled(
                ErrorCode::BatchRequestTooLong,
                format!(
                    "Batch requests cannot be longer than 1048576 bytes. You have sent {total} bytes."
                ),
            ));
        }
        let name = self.name_from_url(&input.queue_url)?;
        let now = now_ms();
        let mut st = self.lock();
        let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
        let mut out = SendMessageBatchOutput::default();
        for e in &input.entries {
            let result = self.send_one(
                q,
                Outgoing {
                    body: &e.message_body,
                    attributes: e.message_attributes.as_ref(),
                    system: e.message_system_attributes.as_ref(),
                    delay: e.delay_seconds,
                    group: e.message_group_id.as_deref(),
                    dedup_id: e.message_deduplication_id.as_deref(),
                },
                now,
            );
            match result {
                Ok(a) => {
                    let mut ok = SendMessageBatchResultEntry::default();
                    ok.id = e.id.clone();
                    ok.message_id = a.message_id;
                    ok.md5_of_message_body = a.body_md5;
                    ok.md5_of_message_attributes = a.attributes_md5;
                    ok.sequence_number = a.sequence;
                    out.successful.push(ok);
                }
                Err(err) => out.failed.push(failure(&e.id, &err)),
            }
        }
        self.wake(&st, &name);
        Ok(out)
    }
}

pub(super) fn check_attributes(
    attributes: &HashMap<String, MessageAttributeValue>,
) -> Result<(), ApiError> {
    if attributes.len() > 10 {
        return Err(ApiError::invalid_parameter(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [10].",
            attributes.len()
        )));
    }
    for (name, v) in attributes {
        let lower = name.to_ascii_lowercase();
        let bad_name = name.is_empty()
            || name.len() > 256
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            || name.starts_with('.')
            || name.ends_with('.')
            || name.contains("..")
            || lower.starts_with("aws.")
            || lower.starts_with("amazon.");
        if bad_name {
            return Err(ApiError::invalid_parameter(format!(
                "Message attribute name '{name}' is invalid."
            )));
        }
        check_text(&format!("MessageAttribute {name} DataType"), &v.data_type)?;
        if let Some(text) = &v.string_value {
            check_text(&format!("MessageAttribute {name} StringValue"), text)?;
        }
        let base = v.data_type.split('.').next().unwrap_or_default();
        let value_ok = match base {
            "String" | "Number" => v.string_value.as_ref().is_some_and(|s| !s.is_empty()),
            "Binary" => v
                .binary_value
                .as_ref()
                .is_some_and(|b| !b.as_bytes().is_empty()),
            _ => {
                return Err(ApiError::invalid_parameter(format!(
                    "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
                )));
            }
        };
        if !value_ok {
            return Err(ApiError::invalid_parameter(format!(
                "Message (user) attribute '{name}' must contain a non-empty value of type '{base}'."
            )));
        }
        if base == "Number"
            && v.string_value
                .as_deref()
                .is_some_and(|s| s.trim().parse::<f64>().is_err())
        {
            return Err(ApiError::invalid_parameter(format!(
                "Can't cast the value of message (user) attribute '{name}' to a number."
            )));
        }
    }
    Ok(())
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    sqs_model::wire::hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}
