//! What the data directory sees of a queue: the changes since it last looked, and the queue
//! rebuilt from what it stored. Changes are tracked by key, and a snapshot reads the current
//! value of each changed key, so a message sent and deleted between two snapshots costs nothing
//! and a failed write is retried by marking its keys changed again.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqs_model::types::QueueAttributeName as A;

use super::{DedupEntry, DedupKey, Queue, Settings, StoredMessage};

/// What changed in a queue since the last snapshot. Only tracked when the service keeps a data
/// directory; otherwise every mark is a no-op.
#[derive(Debug, Default)]
pub(crate) struct Dirty {
    on: bool,
    meta: bool,
    purged: bool,
    messages: HashSet<u64>,
    dedup: HashSet<DedupKey>,
}

impl Dirty {
    /// Tracking changes, starting with the queue's own row (a queue not yet written).
    pub(crate) fn tracking() -> Self {
        Self {
            on: true,
            meta: true,
            ..Self::default()
        }
    }

    /// The queue's own row changed (attributes, tags, sequence numbers, purge time).
    pub(crate) fn meta(&mut self) {
        self.meta |= self.on;
    }

    pub(super) fn message(&mut self, key: u64) {
        if self.on {
            self.messages.insert(key);
        }
    }

    pub(super) fn dedup(&mut self, key: &DedupKey) {
        if self.on {
            self.dedup.insert(key.clone());
        }
    }

    /// Every message went: the store drops the queue's messages at once rather than one by
    /// one.
    pub(super) fn purged(&mut self) {
        if self.on {
            self.purged = true;
            self.messages.clear();
        }
    }
}

/// A queue's own row: everything but its messages and deduplication entries.
#[derive(Debug, Clone)]
pub(crate) struct QueueRow {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) created_s: u64,
    pub(crate) modified_s: u64,
    pub(crate) next_sequence: u128,
    pub(crate) last_purge_ms: Option<u64>,
    /// The settings as CreateQueue attributes (see [`Settings::as_attributes`]).
    pub(crate) attributes: Vec<(A, String)>,
    pub(crate) tags: HashMap<String, String>,
}

/// A message to write, or the key of one to remove.
#[derive(Debug)]
pub(crate) enum MessageChange {
    Put(u64, Box<StoredMessage>),
    Gone(u64),
}

/// A deduplication entry to write, or the key of one to remove.
#[derive(Debug)]
pub(crate) enum DedupChange {
    Put(DedupKey, DedupEntry),
    Gone(DedupKey),
}

/// One queue's changes, as of one snapshot.
#[derive(Debug)]
pub(crate) struct Changes {
    pub(crate) queue: u64,
    pub(crate) row: Option<QueueRow>,
    /// Remove every stored message of the queue before writing `messages`.
    pub(crate) purged: bool,
    pub(crate) messages: Vec<MessageChange>,
    pub(crate) dedup: Vec<DedupChange>,
}

impl Queue {
    /// Takes the changes since the last call, reading the current value of each changed key;
    /// `None` when nothing changed.
    pub(crate) fn changes(&mut self) -> Option<Changes> {
        let d = &mut self.dirty;
        if !d.meta && !d.purged && d.messages.is_empty() && d.dedup.is_empty() {
            return None;
        }
        let row = std::mem::take(&mut d.meta).then(|| self.row());
        let d = &mut self.dirty;
        let messages = d
            .messages
            .drain()
            .map(|k| match self.messages.get(&k) {
                Some(m) => MessageChange::Put(k, Box::new(m.clone())),
                None => MessageChange::Gone(k),
            })
            .collect();
        let dedup = d
            .dedup
            .drain()
            .map(|k| match self.dedup.get(&k) {
                Some(e) => DedupChange::Put(k, e.clone()),
                None => DedupChange::Gone(k),
            })
            .collect();
        Some(Changes {
            queue: self.id,
            row,
            purged: std::mem::take(&mut d.purged),
            messages,
            dedup,
        })
    }

    /// Marks again what a failed write did not keep, so the next snapshot writes it (with its
    /// value as of then).
    pub(crate) fn unwritten(&mut self, c: &Changes) {
        let d = &mut self.dirty;
        d.meta |= c.row.is_some();
        d.purged |= c.purged;
        d.messages.extend(c.messages.iter().map(|m| match m {
            MessageChange::Put(k, _) | MessageChange::Gone(k) => *k,
        }));
        d.dedup.extend(c.dedup.iter().map(|e| match e {
            DedupChange::Put(k, _) | DedupChange::Gone(k) => k.clone(),
        }));
    }

    fn row(&self) -> QueueRow {
        QueueRow {
            id: self.id,
            name: self.name.clone(),
            created_s: self.created_s,
            modified_s: self.modified_s,
            next_sequence: self.next_sequence,
            last_purge_ms: self.last_purge_ms,
            attributes: self.settings.as_attributes(),
            tags: self.tags.clone(),
        }
    }

    /// A queue as stored, tracking changes from here on. The settings go through CreateQueue's
    /// checks; the error says which one a stored value fails.
    pub(crate) fn restore(
        row: QueueRow,
        url: String,
        arn: String,
        messages: BTreeMap<u64, StoredMessage>,
        dedup: HashMap<DedupKey, DedupEntry>,
    ) -> Result<Self, String> {
        let mut settings = Settings::new(row.name.ends_with(".fifo"));
        let attributes: HashMap<A, String> = row.attributes.into_iter().collect();
        settings
            .apply(&attributes, true)
            .map_err(|e| format!("queue {}: {}", row.name, e.message))?;
        let receipts = messages
            .iter()
            .filter_map(|(k, m)| m.receipt.clone().map(|r| (r, *k)))
            .collect();
        let next_key = messages.keys().next_back().copied().unwrap_or(0);
        let sequences = messages
            .values()
            .filter_map(|m| m.sequence)
            .chain(dedup.values().filter_map(|e| e.2));
        let next_sequence = sequences.fold(row.next_sequence, u128::max);
        Ok(Self {
            id: row.id,
            name: row.name,
            url,
            arn,
            settings,
            tags: row.tags,
            created_s: row.created_s,
            modified_s: row.modified_s,
            messages,
            next_key,
            receipts,
            dedup,
            next_sequence,
            last_purge_ms: row.last_purge_ms,
            swept_ms: 0,
            dirty: Dirty {
                on: true,
                ..Dirty::default()
            },
        })
    }
}
