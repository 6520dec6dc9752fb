//! One queue: its attributes and its messages, with visibility, delays, retention, FIFO groups
//! and deduplication. Everything here runs under the service's lock and takes `now` (epoch
//! milliseconds) from the caller, so it never reads a clock itself.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqs_model::types::MessageAttributeValue;

use crate::error::ApiError;

mod persist;
mod settings;

pub(crate) use persist::{Changes, DedupChange, Dirty, MessageChange, QueueRow};
pub(crate) use settings::{Settings, redrive_allowed};

/// Milliseconds a FIFO deduplication id is remembered.
pub(crate) const DEDUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// How often a queue looks for messages past their retention period (in ms).
const SWEEP_MS: u64 = 1000;

/// The message group (when deduplication is scoped by group) and the deduplication id.
pub(crate) type DedupKey = (Option<String>, String);

/// When a deduplication id is forgotten (epoch ms), and the message id and sequence number a
/// duplicate gets.
pub(crate) type DedupEntry = (u64, String, Option<u128>);

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
    /// Names the queue in the data directory (a queue created again after a delete gets a new
    /// one).
    pub(crate) id: u64,
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
    dedup: HashMap<DedupKey, DedupEntry>,
    next_sequence: u128,
    pub(crate) last_purge_ms: Option<u64>,
    /// When expired messages were last looked for.
    swept_ms: u64,
    /// What changed since the data directory last took the queue's changes.
    pub(crate) dirty: Dirty,
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
        id: u64,
        name: String,
        url: String,
        arn: String,
        settings: Settings,
        now_s: u64,
    ) -> Self {
        Self {
            id,
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
            swept_ms: 0,
            dirty: Dirty::default(),
        }
    }

    /// Drops messages past the retention period and forgotten deduplication ids, at most once a
    /// second: each look goes through every message, and a receive asks for one.
    pub(crate) fn expire(&mut self, now: u64) {
        if now.saturating_sub(self.swept_ms) >= SWEEP_MS || now < self.swept_ms {
            self.sweep(now);
        }
    }

    /// Drops messages past the retention period and forgotten deduplication ids, now.
    pub(crate) fn sweep(&mut self, now: u64) {
        self.swept_ms = now;
        let oldest = now.saturating_sub(u64::from(self.settings.retention) * 1000);
        let (receipts, dirty) = (&mut self.receipts, &mut self.dirty);
        self.messages.retain(|key, m| {
            let keep = m.sent_ms >= oldest;
            if !keep {
                dirty.message(*key);
                if let Some(r) = &m.receipt {
                    receipts.remove(r);
                }
            }
            keep
        });
        self.dedup.retain(|key, (expiry, _, _)| {
            let keep = *expiry > now;
            if !keep {
                dirty.dedup(key);
            }
            keep
        });
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
            self.dirty.meta();
            self.dirty.dedup(&key);
            self.dedup
                .insert(key, (now + DEDUP_WINDOW_MS, id.clone(), sequence));
        }
        let delay = m.delay.unwrap_or(self.settings.delay);
        let body_md5 = md5_hex(m.body.as_bytes());
        self.next_key += 1;
        self.dirty.message(self.next_key);
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
            self.dirty.meta();
        }
        self.next_key += 1;
        self.dirty.message(self.next_key);
        self.messages.insert(self.next_key, m);
    }

    /// Takes a message out of the queue (to move it elsewhere); its receipt handle goes with it.
    pub(crate) fn take(&mut self, key: u64) -> Option<StoredMessage> {
        let mut m = self.messages.remove(&key)?;
        self.dirty.message(key);
        if let Some(r) = m.receipt.take() {
            self.receipts.remove(&r);
        }
        Some(m)
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
        self.dirty.message(key);
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
    ///
    /// A handle from before the service restarted (with a data directory) whose receive was not
    /// saved is refused while its message is still there: deleting nothing and answering
    /// success would let an acknowledged delete come undone.
    pub(crate) fn delete(&mut self, handle: &str) -> Result<(), ApiError> {
        let key = check_handle(&self.name, handle)?;
        if let Some(key) = self.receipts.remove(handle) {
            self.messages.remove(&key);
            self.dirty.message(key);
        } else if !of_this_run(handle) && self.messages.contains_key(&key) {
            return Err(ApiError::modeled(
                sqs_model::ErrorCode::ReceiptHandleIsInvalid,
                "The receipt handle was issued before the service restarted and is no longer valid; receive the message again.",
            ));
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
        self.dirty.message(key);
        Ok(())
    }

    pub(crate) fn purge(&mut self) {
        self.messages.clear();
        self.receipts.clear();
        self.dirty.purged();
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

/// `{queue name hex}.{message key}.{run}{random}`: names its queue, so a handle given to another
/// queue is refused, and its run (8 hex digits drawn when the process starts), so a handle from
/// before a restart is known; never repeats.
fn receipt_handle(queue: &str, key: u64) -> String {
    let mut out = sqs_model::wire::hex(queue.as_bytes());
    out.push_str(&format!(
        ".{key}.{:08x}{:08x}{:016x}",
        run(),
        fastrand::u32(..),
        fastrand::u64(..)
    ));
    out
}

/// This process's run, as written in its receipt handles.
fn run() -> u32 {
    static RUN: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *RUN.get_or_init(|| fastrand::u32(..))
}

/// Whether a handle (already checked) was issued by this process.
fn of_this_run(handle: &str) -> bool {
    let nonce = handle.rsplit('.').next().unwrap_or_default();
    nonce.get(..8) == Some(format!("{:08x}", run()).as_str())
}

/// Checks a handle's form and that it names this queue; gives the message key it names.
fn check_handle(queue: &str, handle: &str) -> Result<u64, ApiError> {
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
    match key.parse::<u64>() {
        Ok(key) if name == sqs_model::wire::hex(queue.as_bytes()) && nonce.len() == 32 => Ok(key),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests;
