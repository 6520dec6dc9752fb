//! One queue: its attributes and its messages, with visibility, delays, retention, FIFO groups
//! and deduplication. Everything here runs under the service's lock and takes `now` (epoch
//! milliseconds) from the caller, so it never reads a clock itself.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqs_model::types::{MessageAttributeValue, QueueAttributeName as A};

use crate::error::{ApiError, check_text};

/// Seconds a FIFO deduplication id is remembered.
pub(crate) const DEDUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// The configurable attributes of a queue, with SQS's defaults and limits.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    pub(crate) visibility_timeout: u32,
    pub(crate) maximum_message_size: u32,
    pub(crate) retention: u32,
    pub(crate) delay: u32,
    pub(crate) receive_wait: u32,
    pub(crate) redrive: Option<Redrive>,
    /// The RedrivePolicy document as given (echoed back unchanged).
    pub(crate) redrive_text: Option<String>,
    pub(crate) redrive_allow: Option<String>,
    pub(crate) policy: Option<String>,
    pub(crate) fifo: bool,
    pub(crate) content_based_dedup: bool,
    pub(crate) dedup_scope: String,
    pub(crate) throughput_limit: String,
    pub(crate) kms_key: Option<String>,
    pub(crate) kms_reuse: u32,
    pub(crate) sqs_managed_sse: bool,
}

/// Where messages go after too many receives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Redrive {
    pub(crate) target_arn: String,
    pub(crate) max_receive_count: u32,
}

impl Settings {
    pub(crate) fn new(fifo: bool) -> Self {
        Self {
            visibility_timeout: 30,
            maximum_message_size: 1_048_576,
            retention: 345_600,
            delay: 0,
            receive_wait: 0,
            redrive: None,
            redrive_text: None,
            redrive_allow: None,
            policy: None,
            fifo,
            content_based_dedup: false,
            dedup_scope: "queue".into(),
            throughput_limit: "perQueue".into(),
            kms_key: None,
            kms_reuse: 300,
            sqs_managed_sse: true,
        }
    }

    /// Applies attributes given to CreateQueue or SetQueueAttributes; nothing changes unless all
    /// of them are valid.
    pub(crate) fn apply(
        &mut self,
        attributes: &HashMap<A, String>,
        creating: bool,
    ) -> Result<(), ApiError> {
        let mut next = self.clone();
        for (name, value) in attributes {
            check_text(name.as_str(), value)?;
            next.set(name, value, creating)?;
        }
        if !next.fifo
            && (next.content_based_dedup
                || attributes.contains_key(&A::DeduplicationScope)
                || attributes.contains_key(&A::FifoThroughputLimit))
        {
            return Err(ApiError::modeled(
                sqs_model::ErrorCode::InvalidAttributeName,
                "Unknown Attribute ContentBasedDeduplication, DeduplicationScope or FifoThroughputLimit on a standard queue.",
            ));
        }
        *self = next;
        Ok(())
    }

    fn set(&mut self, name: &A, value: &str, creating: bool) -> Result<(), ApiError> {
        let bad = |reason: &str| {
            ApiError::modeled(
                sqs_model::ErrorCode::InvalidAttributeValue,
                format!(
                    "Invalid value for the parameter {}. Reason: {reason}.",
                    name.as_str()
                ),
            )
        };
        let number = |min: u32, max: u32| -> Result<u32, ApiError> {
            value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|v| (min..=max).contains(v))
                .ok_or_else(|| bad(&format!("must be an integer from {min} to {max}")))
        };
        let boolean = || match value {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(bad("must be true or false")),
        };
        match name {
            A::VisibilityTimeout => self.visibility_timeout = number(0, 43_200)?,
            A::MaximumMessageSize => self.maximum_message_size = number(1_024, 1_048_576)?,
            A::MessageRetentionPeriod => self.retention = number(60, 1_209_600)?,
            A::DelaySeconds => self.delay = number(0, 900)?,
            A::ReceiveMessageWaitTimeSeconds => self.receive_wait = number(0, 20)?,
            A::Policy => self.policy = non_empty(value),
            A::RedrivePolicy => {
                if value.is_empty() {
                    self.redrive = None;
                    self.redrive_text = None;
                } else {
                    self.redrive = Some(parse_redrive(value).map_err(|r| bad(&r))?);
                    self.redrive_text = Some(value.to_owned());
                }
            }
            A::RedriveAllowPolicy => {
                if !value.is_empty() {
                    check_redrive_allow(value).map_err(|r| bad(&r))?;
                }
                self.redrive_allow = non_empty(value);
            }
            A::FifoQueue => {
                let fifo = boolean()?;
                if !creating && fifo != self.fifo {
                    return Err(bad("a queue's type cannot be changed"));
                }
                if creating && fifo != self.fifo {
                    return Err(ApiError::invalid_parameter(
                        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
                    ));
                }
            }
            A::ContentBasedDeduplication => self.content_based_dedup = boolean()?,
            A::DeduplicationScope => match value {
                "queue" | "messageGroup" => self.dedup_scope = value.to_owned(),
                _ => return Err(bad("must be queue or messageGroup")),
            },
            A::FifoThroughputLimit => match value {
                "perQueue" | "perMessageGroupId" => self.throughput_limit = value.to_owned(),
                _ => return Err(bad("must be perQueue or perMessageGroupId")),
            },
            A::KmsMasterKeyId => self.kms_key = non_empty(value),
            A::KmsDataKeyReusePeriodSeconds => self.kms_reuse = number(60, 86_400)?,
            A::SqsManagedSseEnabled => self.sqs_managed_sse = boolean()?,
            other => {
                return Err(ApiError::modeled(
                    sqs_model::ErrorCode::InvalidAttributeName,
                    format!("Unknown Attribute {}.", other.as_str()),
                ));
            }
        }
        Ok(())
    }
}

fn non_empty(v: &str) -> Option<String> {
    (!v.is_empty()).then(|| v.to_owned())
}

/// `{"deadLetterTargetArn": "...", "maxReceiveCount": N}`, N as a number or a string, 1..1000.
fn parse_redrive(text: &str) -> Result<Redrive, String> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|_| "RedrivePolicy is not valid JSON".to_owned())?;
    let target_arn = v
        .get("deadLetterTargetArn")
        .and_then(|t| t.as_str())
        .ok_or("Redrive policy does not contain deadLetterTargetArn")?
        .to_owned();
    let count = match v.get("maxReceiveCount") {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .filter(|n| (1..=1000).contains(n))
    .ok_or("maxReceiveCount must be an integer from 1 to 1000")?;
    Ok(Redrive {
        target_arn,
        max_receive_count: count as u32,
    })
}

fn check_redrive_allow(text: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|_| "RedriveAllowPolicy is not valid JSON".to_owned())?;
    match v.get("redrivePermission").and_then(|p| p.as_str()) {
        Some("allowAll" | "denyAll") => Ok(()),
        Some("byQueue") => match v.get("sourceQueueArns").and_then(|a| a.as_array()) {
            Some(arns) if (1..=10).contains(&arns.len()) => Ok(()),
            _ => Err("byQueue needs 1 to 10 sourceQueueArns".into()),
        },
        _ => Err("redrivePermission must be allowAll, denyAll or byQueue".into()),
    }
}

/// Whether a source queue may use a dead-letter queue with this RedriveAllowPolicy.
pub(crate) fn redrive_allowed(policy: Option<&str>, source_arn: &str) -> bool {
    let Some(v) = policy.and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()) else {
        return true;
    };
    match v.get("redrivePermission").and_then(|p| p.as_str()) {
        Some("denyAll") => false,
        Some("byQueue") => v
            .get("sourceQueueArns")
            .and_then(|a| a.as_array())
            .is_some_and(|arns| arns.iter().any(|a| a.as_str() == Some(source_arn))),
        _ => true,
    }
}

/// The message group (when deduplication is scoped by group) and the deduplication id.
type DedupKey = (Option<String>, String);

/// One message in a queue.
#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    pub(crate) id: String,
    pub(crate) body: String,
    pub(crate) body_md5: String,
    pub(crate) attributes: HashMap<String, MessageAttributeValue>,
    pub(crate) trace_header: Option<String>,
    pub(crate) sent_ms: u64,
    /// When it can next be received.
    pub(crate) visible_at_ms: u64,
    pub(crate) receive_count: u32,
    pub(crate) first_receive_ms: Option<u64>,
    /// The handle of the latest receive, while that receive's visibility lasts.
    pub(crate) receipt: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) dedup_id: Option<String>,
    pub(crate) sequence: Option<u128>,
    pub(crate) sender_id: String,
    /// The queue it was moved from after too many receives.
    pub(crate) dead_letter_source: Option<String>,
}

impl StoredMessage {
    pub(crate) fn in_flight(&self, now: u64) -> bool {
        self.receipt.is_some() && self.visible_at_ms > now
    }
}

/// A queue and its messages.
#[derive(Debug)]
pub(crate) struct Queue {
    pub(crate) name: String,
    pub(crate) url: String,
    pub(crate) arn: String,
    pub(crate) settings: Settings,
    pub(crate) tags: HashMap<String, String>,
    pub(crate) created_s: u64,
    pub(crate) modified_s: u64,
    /// Messages by arrival order.
    pub(crate) messages: BTreeMap<u64, StoredMessage>,
    next_key: u64,
    /// Receipt handle -> message key.
    pub(crate) receipts: HashMap<String, u64>,
    /// FIFO deduplication: (group scope, id) -> (expiry, message id, sequence number).
    dedup: HashMap<DedupKey, (u64, String, Option<u128>)>,
    next_sequence: u128,
    pub(crate) last_purge_ms: Option<u64>,
}

/// What a send produced.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) message_id: String,
    pub(crate) sequence: Option<u128>,
}

/// A message to enqueue, checked by the caller.
#[derive(Debug)]
pub(crate) struct NewMessage {
    pub(crate) body: String,
    pub(crate) attributes: HashMap<String, MessageAttributeValue>,
    pub(crate) trace_header: Option<String>,
    pub(crate) delay: Option<u32>,
    pub(crate) group: Option<String>,
    pub(crate) dedup_id: Option<String>,
    pub(crate) sender_id: String,
}

impl Queue {
    pub(crate) fn new(
        name: String,
        url: String,
        arn: String,
        settings: Settings,
        now_s: u64,
    ) -> Self {
        Self {
            name,
            url,
            arn,
            settings,
            tags: HashMap::new(),
            created_s: now_s,
            modified_s: now_s,
            messages: BTreeMap::new(),
            next_key: 0,
            receipts: HashMap::new(),
            dedup: HashMap::new(),
            next_sequence: 10_000_000_000_000_000_000,
            last_purge_ms: None,
        }
    }

    /// Drops messages past the retention period and forgotten deduplication ids.
    pub(crate) fn expire(&mut self, now: u64) {
        let oldest = now.saturating_sub(u64::from(self.settings.retention) * 1000);
        let receipts = &mut self.receipts;
        self.messages.retain(|_, m| {
            let keep = m.sent_ms >= oldest;
            if !keep && let Some(r) = &m.receipt {
                receipts.remove(r);
            }
            keep
        });
        self.dedup.retain(|_, (expiry, _, _)| *expiry > now);
    }

    /// Enqueues a message; a FIFO duplicate within the window returns the first one's id.
    pub(crate) fn send(&mut self, m: NewMessage, now: u64) -> Sent {
        let id = new_id();
        let mut sequence = None;
        if self.settings.fifo {
            let dedup_id = m.dedup_id.clone().unwrap_or_default();
            let scope = (self.settings.dedup_scope == "messageGroup")
                .then(|| m.group.clone())
                .flatten();
            let key = (scope, dedup_id);
            if let Some((_, first_id, first_seq)) = self.dedup.get(&key) {
                return Sent {
                    message_id: first_id.clone(),
                    sequence: *first_seq,
                };
            }
            self.next_sequence += 1;
            sequence = Some(self.next_sequence);
            self.dedup
                .insert(key, (now + DEDUP_WINDOW_MS, id.clone(), sequence));
        }
        let delay = m.delay.unwrap_or(self.settings.delay);
        let body_md5 = md5_hex(m.body.as_bytes());
        self.next_key += 1;
        self.messages.insert(
            self.next_key,
            StoredMessage {
                id: id.clone(),
                body: m.body,
                body_md5,
                attributes: m.attributes,
                trace_header: m.trace_header,
                sent_ms: now,
                visible_at_ms: now + u64::from(delay) * 1000,
                receive_count: 0,
                first_receive_ms: None,
                receipt: None,
                group: m.group,
                dedup_id: m.dedup_id,
                sequence,
                sender_id: m.sender_id,
                dead_letter_source: None,
            },
        );
        Sent {
            message_id: id,
            sequence,
        }
    }

    /// Puts a message that was moved from another queue at the back of this one, visible now.
    pub(crate) fn adopt(&mut self, mut m: StoredMessage, now: u64) {
        m.visible_at_ms = now;
        m.receipt = None;
        if self.settings.fifo {
            self.next_sequence += 1;
            m.sequence = Some(self.next_sequence);
        }
        self.next_key += 1;
        self.messages.insert(self.next_key, m);
    }

    /// The keys of up to `max` messages that can be received now, in order; on a FIFO queue a
    /// group with a message in flight (or not yet visible) yields nothing after it.
    pub(crate) fn receivable(&self, max: usize, now: u64) -> Vec<u64> {
        let mut out = Vec::new();
        let mut blocked: HashSet<&str> = HashSet::new();
        for (key, m) in &self.messages {
            if out.len() >= max {
                break;
            }
            let visible = m.visible_at_ms <= now;
            if self.settings.fifo {
                let group = m.group.as_deref().unwrap_or("");
                if blocked.contains(group) {
                    continue;
                }
                if !visible {
                    blocked.insert(group);
                    continue;
                }
            } else if !visible {
                continue;
            }
            out.push(*key);
        }
        out
    }

    /// Marks a message received: new receipt handle, hidden for `visibility` seconds.
    pub(crate) fn mark_received(
        &mut self,
        key: u64,
        visibility: u32,
        now: u64,
    ) -> Option<&StoredMessage> {
        let m = self.messages.get_mut(&key)?;
        if let Some(old) = m.receipt.take() {
            self.receipts.remove(&old);
        }
        let handle = receipt_handle(&self.name, key);
        m.receipt = Some(handle.clone());
        m.receive_count += 1;
        m.first_receive_ms.get_or_insert(now);
        m.visible_at_ms = now + u64::from(visibility) * 1000;
        self.receipts.insert(handle, key);
        Some(m)
    }

    /// The earliest time after `now` at which a message becomes receivable, if any.
    pub(crate) fn next_visible_ms(&self, now: u64) -> Option<u64> {
        self.messages
            .values()
            .map(|m| m.visible_at_ms)
            .filter(|t| *t > now)
            .min()
    }

    /// Deletes by receipt handle. A handle of this queue that is no longer current (the message
    /// was deleted or received again) succeeds without deleting, as SQS does.
    pub(crate) fn delete(&mut self, handle: &str) -> Result<(), ApiError> {
        check_handle(&self.name, handle)?;
        if let Some(key) = self.receipts.remove(handle) {
            self.messages.remove(&key);
        }
        Ok(())
    }

    /// Changes the visibility of the message a handle names.
    pub(crate) fn change_visibility(
        &mut self,
        handle: &str,
        timeout: i32,
        now: u64,
    ) -> Result<(), ApiError> {
        check_handle(&self.name, handle)?;
        if !(0..=43_200).contains(&timeout) {
            return Err(ApiError::invalid_value(
                "VisibilityTimeout",
                timeout,
                "Must be between 0 and 43200",
            ));
        }
        let Some(key) = self.receipts.get(handle).copied() else {
            return Err(ApiError::invalid_value(
                "ReceiptHandle",
                handle,
                "The receipt handle has expired",
            ));
        };
        let Some(m) = self.messages.get_mut(&key) else {
            return Err(ApiError::invalid_value(
                "ReceiptHandle",
                handle,
                "The receipt handle has expired",
            ));
        };
        if !m.in_flight(now) {
            return Err(ApiError::modeled(
                sqs_model::ErrorCode::MessageNotInflight,
                "The message referred to isn't in flight.",
            ));
        }
        m.visible_at_ms = now + u64::try_from(timeout).unwrap_or(0) * 1000;
        Ok(())
    }

    pub(crate) fn purge(&mut self) {
        self.messages.clear();
        self.receipts.clear();
    }

    /// (visible, in flight, delayed).
    pub(crate) fn counts(&self, now: u64) -> (usize, usize, usize) {
        let (mut visible, mut in_flight, mut delayed) = (0, 0, 0);
        for m in self.messages.values() {
            if m.visible_at_ms <= now {
                visible += 1;
            } else if m.receipt.is_some() {
                in_flight += 1;
            } else {
                delayed += 1;
            }
        }
        (visible, in_flight, delayed)
    }
}

/// A message id in the usual UUID form (random, version 4).
pub(crate) fn new_id() -> String {
    let a = fastrand::u64(..);
    let b = fastrand::u64(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

pub(crate) use sqs_model::checks::md5_hex;

/// `{queue name hex}.{message key}.{random}`: names its queue, so a handle given to another
/// queue is refused, and never repeats.
fn receipt_handle(queue: &str, key: u64) -> String {
    let mut out = sqs_model::wire::hex(queue.as_bytes());
    out.push_str(&format!(
        ".{key}.{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    ));
    out
}

fn check_handle(queue: &str, handle: &str) -> Result<(), ApiError> {
    let invalid = || {
        // The handle is echoed as sent, up to 128 characters: a peer cannot grow the answer.
        let shown: String = handle.chars().take(128).collect();
        ApiError::modeled(
            sqs_model::ErrorCode::ReceiptHandleIsInvalid,
            format!("The input receipt handle \"{shown}\" is not a valid receipt handle."),
        )
    };
    let mut parts = handle.split('.');
    let (Some(name), Some(key), Some(nonce), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if name != sqs_model::wire::hex(queue.as_bytes())
        || key.parse::<u64>().is_err()
        || nonce.len() != 32
    {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
