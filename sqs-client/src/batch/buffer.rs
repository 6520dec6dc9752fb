//! The buffer: entries waiting to be sent, in one lane per queue and kind.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::entry::*;

/// The entries waiting to be sent: one lane per batch key, for as long as the key has entries
/// queued or batches in flight (a process that sends to many short-lived queues does not keep a
/// lane for each queue it ever used).
#[derive(Default)]
pub(super) struct Lanes {
    /// Lane slots; a batch in flight knows its lane by position, so a lane given up leaves its
    /// slot empty for the next new lane rather than moving the others.
    pub(super) lanes: Vec<Option<Lane>>,
    /// Empty slots.
    pub(super) free: Vec<usize>,
    /// Lane positions by queue URL (the lanes' own), one per [`Kind`].
    pub(super) by_url: HashMap<Arc<str>, [Option<usize>; 3]>,
    /// The lane found last: entries in a row mostly go to the same one, which spares hashing
    /// the URL.
    pub(super) last: usize,
}

pub(super) struct Lane {
    pub(super) key: Key,
    pub(super) entries: VecDeque<Entry>,
    /// Batches of this lane in flight (at most one for a FIFO queue).
    pub(super) in_flight: usize,
    /// The bytes of the entries queued (kept by the methods below).
    pub(super) bytes: usize,
    /// Entries queued that are being retried (kept by the methods below).
    pub(super) retries: usize,
}

impl Lane {
    /// No batch may start now: a FIFO queue's batch is in flight.
    pub(super) fn held(&self) -> bool {
        self.in_flight > 0 && self.key.fifo()
    }

    pub(super) fn push_back(&mut self, entry: Entry) {
        self.count_in(&entry);
        self.entries.push_back(entry);
    }

    pub(super) fn push_front(&mut self, entry: Entry) {
        self.count_in(&entry);
        self.entries.push_front(entry);
    }

    pub(super) fn count_in(&mut self, entry: &Entry) {
        self.bytes += entry.bytes;
        self.retries += usize::from(entry.attempts > 0);
    }

    /// Takes the first `count` entries out, `bytes` bytes in all; returns them and how many of
    /// them are being retried.
    pub(super) fn take_front(&mut self, count: usize, bytes: usize) -> (Vec<Entry>, usize) {
        let batch: Vec<Entry> = self.entries.drain(..count).collect();
        let retried = batch.iter().filter(|e| e.attempts > 0).count();
        self.bytes -= bytes;
        self.retries -= retried;
        (batch, retried)
    }
}

impl Lanes {
    /// The position of the lane for `kind` and `queue_url`, made if there is none.
    pub(super) fn find(&mut self, kind: Kind, queue_url: &str) -> usize {
        if let Some(Some(lane)) = self.lanes.get(self.last)
            && lane.key.kind == kind
            && *lane.key.queue_url == *queue_url
        {
            return self.last;
        }
        let n = match self
            .by_url
            .get(queue_url)
            .and_then(|slots| slots[kind as usize])
        {
            Some(n) => n,
            None => {
                let queue_url: Arc<str> = queue_url.into();
                let lane = Lane {
                    key: Key {
                        kind,
                        queue_url: Arc::clone(&queue_url),
                    },
                    entries: VecDeque::new(),
                    in_flight: 0,
                    bytes: 0,
                    retries: 0,
                };
                let n = match self.free.pop() {
                    Some(n) => {
                        self.lanes[n] = Some(lane);
                        n
                    }
                    None => {
                        self.lanes.push(Some(lane));
                        self.lanes.len() - 1
                    }
                };
                self.by_url.entry(queue_url).or_default()[kind as usize] = Some(n);
                n
            }
        };
        self.last = n;
        n
    }

    /// Queues `entry` in its lane; returns the lane's position and whether the entry is the
    /// lane's only one (its linger time starts).
    pub(super) fn push_back(&mut self, entry: Entry) -> (usize, bool) {
        let (kind, queue_url) = entry.payload.key();
        let n = self.find(kind, queue_url);
        let mut first = false;
        if let Some(lane) = &mut self.lanes[n] {
            lane.push_back(entry);
            first = lane.entries.len() == 1;
        }
        (n, first)
    }

    /// Batches in flight one lane may have when `total` are allowed in all: an equal share
    /// among the lanes that exist, which are those with entries queued or batches in flight
    /// (idle lanes are given up), at least one.
    pub(super) fn share(&self, total: usize) -> usize {
        let lanes = self.lanes.len() - self.free.len();
        (total / lanes.max(1)).max(1)
    }

    pub(super) fn get_mut(&mut self, n: usize) -> Option<&mut Lane> {
        self.lanes.get_mut(n).and_then(Option::as_mut)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &Lane> {
        self.lanes.iter().flatten()
    }

    /// Gives up lane `n` if it has nothing queued and nothing in flight.
    pub(super) fn release_if_idle(&mut self, n: usize) {
        let Some(slot) = self.lanes.get_mut(n) else {
            return;
        };
        let Some(lane) = slot.take_if(|lane| lane.entries.is_empty() && lane.in_flight == 0) else {
            return;
        };
        self.free.push(n);
        if let Some(slots) = self.by_url.get_mut(&*lane.key.queue_url) {
            slots[lane.key.kind as usize] = None;
            if slots.iter().all(Option::is_none) {
                self.by_url.remove(&*lane.key.queue_url);
            }
        }
    }

    /// Every lane's key and entries, leaving no lane.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = Lane> + '_ {
        self.by_url.clear();
        self.free.clear();
        self.lanes.drain(..).flatten()
    }
}
