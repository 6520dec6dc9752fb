//! What a batcher is told (`BatchConfig`), what it reports (`BatchStats`), and what it hands
//! back when it closes (`Unsent`).

use std::time::Duration;

use crate::error::Error;
use crate::operation::*;

/// The most entries SQS takes in one batch request.
pub(super) const MAX_ENTRIES: usize = 10;

/// The resolution of tokio's timer: a sleep ends on the first millisecond tick at or after its
/// deadline, so up to this much late (and the runtime may wake a little later still). A batch
/// is due this much before its linger time ends, so that the wait is about the linger, not the
/// linger plus a tick.
pub(super) const TIMER_SLACK: Duration = Duration::from_millis(1);

/// How a [`Batcher`](crate::Batcher) groups and sends.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BatchConfig {
    /// Entries per batch request, 1 to 10 (default 10).
    pub max_entries: usize,
    /// Largest SendMessageBatch payload: bodies plus attribute names, types and values
    /// (default 1 MiB, never more than the client's own limit). Lower it for servers that keep
    /// the old 256 KiB limit.
    pub max_bytes: usize,
    /// How long the first entry of a batch waits for others before the batch is sent anyway
    /// (default 2 ms). The batch is due 1 ms before the linger ends, as tokio's timer fires up to
    /// about a millisecond late: measured, a lone caller's send took 1.9-2.2 ms longer than a
    /// plain send with the default (`cargo bench --bench client -- latency`). A full batch is sent
    /// at once. Callers that wait for each answer before sending again fill batches as fast as the
    /// answers come back, so a longer linger only slows them (measured: 64 callers fill 9.98
    /// entries per batch with 1 to 10 ms alike; 4 callers send 4 entries per batch and at most 4
    /// messages per linger time). A longer linger pays off for senders that do not wait, such as
    /// one message per web request: it gathers more of them into each request (fewer requests to
    /// pay for) at the cost of that much latency.
    pub linger: Duration,
    /// Entries waiting to be sent, over all queues; when full, callers wait (default 10,000).
    pub buffer: usize,
    /// Batch requests in flight at once over all queues and kinds (default 256). Each lane (one
    /// queue's sends, deletes or visibility changes) has as many in flight as it has batches due,
    /// which grows with the service's latency, up to an equal share of this total among the
    /// lanes with work; a FIFO queue's sends, one. A busy queue thus never takes another's share,
    /// and a lone busy queue may use the whole total.
    pub max_in_flight: usize,
    /// How long [`Batcher::close`](crate::Batcher::close) waits for batches already sent (default 30 s); batches
    /// still in flight then end in the background and answer their own callers.
    pub close_timeout: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_entries: 10,
            max_bytes: 1_048_576,
            linger: Duration::from_millis(2),
            buffer: 10_000,
            max_in_flight: 256,
            close_timeout: Duration::from_secs(30),
        }
    }
}

impl BatchConfig {
    /// When an entry queued at `queued` has lingered enough for its batch to go.
    pub(super) fn lingered_at(&self, queued: tokio::time::Instant) -> tokio::time::Instant {
        queued + self.linger.saturating_sub(TIMER_SLACK)
    }

    /// Sets [`max_entries`](Self::max_entries) (clamped to 1..=10).
    pub fn max_entries(mut self, n: usize) -> Self {
        self.max_entries = n.clamp(1, MAX_ENTRIES);
        self
    }
    /// Sets [`max_bytes`](Self::max_bytes).
    pub fn max_bytes(mut self, bytes: usize) -> Self {
        self.max_bytes = bytes.max(1);
        self
    }
    /// Sets [`linger`](Self::linger).
    pub fn linger(mut self, linger: Duration) -> Self {
        self.linger = linger;
        self
    }
    /// Sets [`buffer`](Self::buffer).
    pub fn buffer(mut self, entries: usize) -> Self {
        self.buffer = entries.max(1);
        self
    }
    /// Sets [`max_in_flight`](Self::max_in_flight).
    pub fn max_in_flight(mut self, batches: usize) -> Self {
        self.max_in_flight = batches.max(1);
        self
    }
    /// Sets [`close_timeout`](Self::close_timeout).
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }
}

/// A request the batcher could not send before it was closed, with why.
#[derive(Debug)]
#[non_exhaustive]
pub struct Unsent {
    /// The queue it was for.
    pub queue_url: String,
    /// What it was.
    pub request: UnsentRequest,
    /// Why it was not sent (kind [`ErrorKind::Closed`](crate::ErrorKind::Closed), or the last
    /// error when it was still being retried).
    pub error: Error,
}

/// The request inside an [`Unsent`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum UnsentRequest {
    /// A message to send.
    Send(Box<SendMessageInput>),
    /// A message to delete.
    Delete {
        /// Its receipt handle.
        receipt_handle: String,
    },
    /// A visibility change.
    ChangeVisibility {
        /// Its receipt handle.
        receipt_handle: String,
        /// The new visibility timeout in seconds.
        visibility_timeout: i32,
    },
}
/// What a [`Batcher`](crate::Batcher) has sent so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BatchStats {
    /// Batch requests sent (attempts the client retried count once).
    pub batches: u64,
    /// Entries in those requests (a retried entry counts again).
    pub entries: u64,
    /// Entries sent again after failing with a receiver fault.
    pub retried: u64,
}

impl BatchStats {
    /// Entries per batch request on average.
    pub fn entries_per_batch(&self) -> f64 {
        if self.batches == 0 {
            0.0
        } else {
            self.entries as f64 / self.batches as f64
        }
    }
}
