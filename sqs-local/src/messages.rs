//! The message operations: send (one or a batch), receive (with long polling and dead-letter
//! redrive), delete and change visibility (one or a batch).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sqs_model::ErrorCode;
use sqs_model::operation::*;
use sqs_model::types::{
    BatchResultErrorEntry, ChangeMessageVisibilityBatchResultEntry, DeleteMessageBatchResultEntry,
    Message, MessageAttributeValue, MessageSystemAttributeName as S,
    MessageSystemAttributeNameForSends, QueueAttributeName, SendMessageBatchResultEntry,
};

use crate::error::ApiError;
use crate::queue::{NewMessage, Queue, StoredMessage, md5_hex};
use crate::service::{Caller, Service, now_ms};

/// What the request asked a message to carry; checked against the queue before it is stored.
struct Outgoing<'a> {
    body: &'a str,
    attributes: Option<&'a HashMap<String, MessageAttributeValue>>,
    system: Option<
        &'a HashMap<
            MessageSystemAttributeNameForSends,
            sqs_model::types::MessageSystemAttributeValue,
        >,
    >,
    delay: Option<i32>,
    group: Option<&'a str>,
    dedup_id: Option<&'a str>,
}

/// Per-message answer of a send.
struct Accepted {
    message_id: String,
    body_md5: String,
    attributes_md5: Option<String>,
    sequence: Option<String>,
}

impl Service {
    fn prepare(
        &self,
        q: &Queue,
        m: &Outgoing<'_>,
        caller: &Caller,
    ) -> Result<NewMessage, ApiError> {
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
            sender_id: caller
                .access_key
                .clone()
                .unwrap_or_else(|| format!("AIDA{}", self.account)),
        })
    }

    fn send_one(
        &self,
        q: &mut Queue,
        m: Outgoing<'_>,
        caller: &Caller,
        now: u64,
    ) -> Result<Accepted, ApiError> {
        let new = self.prepare(q, &m, caller)?;
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

    fn wake(&self, st: &crate::service::State, name: &str) {
        if let Some(n) = st.waiters.get(name) {
            n.notify_waiters();
        }
    }

    pub(crate) fn send_message(
        &self,
        input: SendMessageInput,
        caller: &Caller,
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
            caller,
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
        caller: &Caller,
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
                caller,
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

    pub(crate) async fn receive_message(
        self: &Arc<Self>,
        input: ReceiveMessageInput,
    ) -> Result<ReceiveMessageOutput, ApiError> {
        let max = input.max_number_of_messages.unwrap_or(1);
        if !(1..=10).contains(&max) {
            return Err(ApiError::invalid_value(
                "MaxNumberOfMessages",
                max,
                "must be between 1 and 10, if provided",
            ));
        }
        if let Some(v) = input.visibility_timeout
            && !(0..=43_200).contains(&v)
        {
            return Err(ApiError::invalid_value(
                "VisibilityTimeout",
                v,
                "must be between 0 and 43200",
            ));
        }
        if let Some(w) = input.wait_time_seconds
            && !(0..=20).contains(&w)
        {
            return Err(ApiError::invalid_value(
                "WaitTimeSeconds",
                w,
                "must be between 0 and 20",
            ));
        }
        let name = self.name_from_url(&input.queue_url)?;
        let wanted = Wanted::from(&input);
        let start = now_ms();
        let mut deadline = None;
        loop {
            let now = now_ms();
            let (notify, wake_at) = {
                let mut st = self.lock();
                let q = st.queues.get_mut(&name).ok_or_else(ApiError::no_queue)?;
                q.expire(now);
                let wait = input
                    .wait_time_seconds
                    .map_or(q.settings.receive_wait, |w| w as u32);
                let deadline = *deadline.get_or_insert(start + u64::from(wait) * 1000);
                let visibility = input
                    .visibility_timeout
                    .map_or(q.settings.visibility_timeout, |v| v as u32);
                let keys = self.redrive_and_pick(&mut st, &name, max as usize, now);
                let Some(q) = st.queues.get_mut(&name) else {
                    return Err(ApiError::no_queue());
                };
                if !keys.is_empty() || now >= deadline {
                    let mut messages = Vec::with_capacity(keys.len());
                    for key in keys {
                        if let Some(m) = q.mark_received(key, visibility, now) {
                            messages.push(wanted.render(m));
                        }
                    }
                    let mut out = ReceiveMessageOutput::default();
                    if !messages.is_empty() {
                        out.messages = Some(messages);
                    }
                    return Ok(out);
                }
                let wake_at = q.next_visible_ms(now).map_or(deadline, |t| t.min(deadline));
                (st.waiters.get(&name).cloned(), wake_at)
            };
            let Some(notify) = notify else {
                return Err(ApiError::no_queue());
            };
            let sleep = Duration::from_millis(wake_at.saturating_sub(now_ms()).max(1));
            let _ = tokio::time::timeout(sleep, notify.notified()).await;
        }
    }

    /// Moves messages that were received too often to the dead-letter queue, then picks up to
    /// `max` receivable messages. Bounded: every round moves at least one message or stops.
    fn redrive_and_pick(
        &self,
        st: &mut crate::service::State,
        name: &str,
        max: usize,
        now: u64,
    ) -> Vec<u64> {
        loop {
            let Some(q) = st.queues.get_mut(name) else {
                return Vec::new();
            };
            let keys = q.receivable(max, now);
            let Some(redrive) = q.settings.redrive.clone() else {
                return keys;
            };
            let Some(dlq) = redrive
                .target_arn
                .rsplit(':')
                .next()
                .map(str::to_owned)
                .filter(|d| d != name && st.queues.contains_key(d))
            else {
                return keys;
            };
            let Some(q) = st.queues.get_mut(name) else {
                return Vec::new();
            };
            let source_arn = q.arn.clone();
            let spent: Vec<u64> = keys
                .iter()
                .copied()
                .filter(|k| q.messages[k].receive_count >= redrive.max_receive_count)
                .collect();
            if spent.is_empty() {
                return keys;
            }
            let mut moved: Vec<StoredMessage> = Vec::new();
            for k in spent {
                if let Some(mut m) = q.messages.remove(&k) {
                    if let Some(r) = m.receipt.take() {
                        q.receipts.remove(&r);
                    }
                    m.dead_letter_source = Some(source_arn.clone());
                    moved.push(m);
                }
            }
            if let Some(target) = st.queues.get_mut(&dlq) {
                for m in moved {
                    target.adopt(m, now);
                }
            }
            self.wake(st, &dlq);
        }
    }

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

fn failure(id: &str, err: &ApiError) -> BatchResultErrorEntry {
    let mut f = BatchResultErrorEntry::default();
    f.id = id.to_owned();
    f.sender_fault = err.fault == sqs_model::Fault::Sender;
    f.code = err.query_code().to_owned();
    f.message = Some(err.message.clone());
    f
}

/// The checks every batch gets before any entry is looked at.
fn check_batch<'a>(
    ids: impl ExactSizeIterator<Item = &'a str>,
    entry: &str,
) -> Result<(), ApiError> {
    let n = ids.len();
    if n == 0 {
        return Err(ApiError::modeled(
            ErrorCode::EmptyBatchRequest,
            format!("There should be at least one {entry} in the request."),
        ));
    }
    if n > 10 {
        return Err(ApiError::modeled(
            ErrorCode::TooManyEntriesInBatchRequest,
            format!("Maximum number of entries per request are 10. You have sent {n}."),
        ));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if id.is_empty()
            || id.len() > 80
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(ApiError::modeled(
                ErrorCode::InvalidBatchEntryId,
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(ApiError::modeled(
                ErrorCode::BatchEntryIdsNotDistinct,
                format!("Id {id} repeated."),
            ));
        }
    }
    Ok(())
}

fn allowed_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

fn check_attributes(attributes: &HashMap<String, MessageAttributeValue>) -> Result<(), ApiError> {
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

fn sha256_hex(bytes: &[u8]) -> String {
    sqs_model::wire::hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

/// Which attributes a receive asked for.
struct Wanted {
    all_system: bool,
    system: HashSet<String>,
    all_user: bool,
    user_names: HashSet<String>,
    user_prefixes: Vec<String>,
}

impl From<&ReceiveMessageInput> for Wanted {
    fn from(input: &ReceiveMessageInput) -> Self {
        let mut system = HashSet::new();
        let mut all_system = false;
        for n in input.attribute_names.iter().flatten() {
            match n {
                QueueAttributeName::All => all_system = true,
                other => {
                    system.insert(other.as_str().to_owned());
                }
            }
        }
        for n in input.message_system_attribute_names.iter().flatten() {
            match n {
                S::All => all_system = true,
                other => {
                    system.insert(other.as_str().to_owned());
                }
            }
        }
        let mut all_user = false;
        let mut user_names = HashSet::new();
        let mut user_prefixes = Vec::new();
        for n in input.message_attribute_names.iter().flatten() {
            if n == "All" || n == ".*" {
                all_user = true;
            } else if let Some(prefix) = n.strip_suffix(".*") {
                user_prefixes.push(format!("{prefix}."));
            } else {
                user_names.insert(n.clone());
            }
        }
        Self {
            all_system,
            system,
            all_user,
            user_names,
            user_prefixes,
        }
    }
}

impl Wanted {
    fn wants_system(&self, name: &str) -> bool {
        self.all_system || self.system.contains(name)
    }

    fn render(&self, m: &StoredMessage) -> Message {
        let mut system = HashMap::new();
        let mut put = |name: S, value: Option<String>| {
            if let Some(v) = value
                && self.wants_system(name.as_str())
            {
                system.insert(name, v);
            }
        };
        put(S::SenderId, Some(m.sender_id.clone()));
        put(S::SentTimestamp, Some(m.sent_ms.to_string()));
        put(
            S::ApproximateReceiveCount,
            Some(m.receive_count.to_string()),
        );
        put(
            S::ApproximateFirstReceiveTimestamp,
            m.first_receive_ms.map(|t| t.to_string()),
        );
        put(S::SequenceNumber, m.sequence.map(|s| s.to_string()));
        put(S::MessageDeduplicationId, m.dedup_id.clone());
        put(S::MessageGroupId, m.group.clone());
        put(S::AWSTraceHeader, m.trace_header.clone());
        put(S::DeadLetterQueueSourceArn, m.dead_letter_source.clone());

        let user: HashMap<String, MessageAttributeValue> = m
            .attributes
            .iter()
            .filter(|(name, _)| {
                self.all_user
                    || self.user_names.contains(*name)
                    || self
                        .user_prefixes
                        .iter()
                        .any(|p| name.starts_with(p.as_str()))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();

        let mut out = Message::default();
        out.message_id = Some(m.id.clone());
        out.receipt_handle = m.receipt.clone();
        out.md5_of_body = Some(m.body_md5.clone());
        out.body = Some(m.body.clone());
        if !system.is_empty() {
            out.attributes = Some(system);
        }
        if !user.is_empty() {
            out.md5_of_message_attributes = Some(sqs_model::checks::attributes_md5(&user));
            out.message_attributes = Some(user);
        }
        out
    }
}
