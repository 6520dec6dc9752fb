//! Receiving: long polling, dead-letter redrive, and each message rendered with the attributes
//! asked for.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sqs_model::operation::*;
use sqs_model::types::{
    Message, MessageAttributeValue, MessageSystemAttributeName as S, QueueAttributeName,
};

use crate::error::ApiError;
use crate::queue::StoredMessage;

use super::state::*;

impl Service {
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
            // Registered for a wake-up before the queue is looked at: a message sent after the
            // look wakes this receiver (a Notify only wakes the waiters it already has).
            let Some(notify) = self.lock().waiters.get(&name).cloned() else {
                return Err(ApiError::no_queue());
            };
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = now_ms();
            let wake_at = {
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
                q.next_visible_ms(now).map_or(deadline, |t| t.min(deadline))
            };
            let sleep = Duration::from_millis(wake_at.saturating_sub(now_ms()).max(1));
            let _ = tokio::time::timeout(sleep, notified).await;
        }
    }

    /// Moves messages that were received too often to the dead-letter queue, then picks up to
    /// `max` receivable messages. Bounded: every round moves at least one message or stops.
    pub(super) fn redrive_and_pick(
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
                if let Some(mut m) = q.take(k) {
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
}
/// Which attributes a receive asked for.
pub(super) struct Wanted {
    pub(super) all_system: bool,
    pub(super) system: HashSet<String>,
    pub(super) all_user: bool,
    pub(super) user_names: HashSet<String>,
    pub(super) user_prefixes: Vec<String>,
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
    pub(super) fn wants_system(&self, name: &str) -> bool {
        self.all_system || self.system.contains(name)
    }

    pub(super) fn render(&self, m: &StoredMessage) -> Message {
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
