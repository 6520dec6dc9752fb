//! Automatic batching: single-message sends, deletes and visibility changes gathered into batch
//! requests of up to ten entries, each caller getting its own message's outcome.
//!
//! Callers put their entries straight into the lane of their queue and kind (a full buffer makes
//! them wait), and the caller that fills a batch starts it. A small timer task starts the batches
//! whose linger time or retry backoff ran out. Each batch runs in a sender task (at most
//! `max_in_flight` at once, at most one per FIFO queue), answers each caller through its own
//! channel, and at its end puts back what is to be tried again and starts what was held back.
//! A sender task whose batch ended waits for the next one: a task spawned per batch cost an
//! allocation the allocator serves on its slow path (a 128-byte aligned block of some 3 KiB)
//! and a lock on the runtime's task list, per batch.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::time::Instant;
use tracing::Instrument;

use crate::client::Checks;
use crate::error::Error;
use crate::operation::*;
use crate::retry::TokenBucket;
use crate::types::{BatchResultErrorEntry, SendMessageBatchRequestEntry};
use crate::{Client, ErrorCode};
use sqs_model::Operation as _;
use sqs_model::checks::message_size;
use sqs_model::{LengthUnit, ValidationError, ValidationProblem};

/// The most entries SQS takes in one batch request.
const MAX_ENTRIES: usize = 10;

/// How a [`Batcher`] groups and sends.
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
    /// (default 2 ms). A full batch is sent at once. Callers that wait for each answer before
    /// sending again fill batches as fast as the answers come back, so a longer linger only
    /// slows them (measured: 64 callers fill 9.98 entries per batch with 1 to 10 ms alike; 4
    /// callers send 4 entries per batch and at most 4 messages per linger time). A longer
    /// linger pays off for senders that do not wait, such as one message per web request: it
    /// gathers more of them into each request (fewer requests to pay for) at the cost of that
    /// much latency.
    pub linger: Duration,
    /// Entries waiting to be sent, over all queues; when full, callers wait (default 10,000).
    pub buffer: usize,
    /// Batch requests in flight at once (default 32).
    pub max_in_flight: usize,
    /// How long [`Batcher::close`] waits for batches already sent (default 30 s); batches
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
            max_in_flight: 32,
            close_timeout: Duration::from_secs(30),
        }
    }
}

impl BatchConfig {
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

/// Gathers single-message requests into batch requests. Cheap to clone: clones share the
/// buffers, and the batches and the timer task run on the tokio runtime the batcher was made in.
/// When the last clone is dropped, what is buffered is sent as [`close`](Self::close) would.
///
/// ```no_run
/// # async fn run(client: sqs_client::Client, queue: String) -> Result<(), sqs_client::Error> {
/// let batcher = sqs_client::Batcher::new(client);
/// let sent = batcher
///     .send_message(sqs_client::operation::SendMessageInput::default().queue_url(&queue).message_body("hi"))
///     .await?;
/// println!("message id {:?}", sent.message_id);
/// batcher.close().await; // sends what is buffered
/// # Ok(()) }
/// ```
///
/// # Semantics
///
/// - Entry ids are generated here; results are matched back by id, and an entry the answer does
///   not mention fails.
/// - A batch holds at most [`BatchConfig::max_entries`] entries and
///   [`BatchConfig::max_bytes`] bytes, counted exactly; a `BatchRequestTooLong` answer splits the
///   batch in two and sends the halves.
/// - An entry that failed with `SenderFault = true` fails its caller with the service's code and
///   message; one that failed with `SenderFault = false` (or whose digests did not match) is sent
///   again with backoff, within the client's attempts and retry budget. A whole-request failure is
///   retried by the client as any request is.
/// - FIFO queues (`.fifo`): one batch in flight per queue and retried entries go back to the
///   front, so a message group is never reordered by the batcher.
/// - A full buffer makes callers wait; nothing is dropped.
///
/// # Cancel safety
///
/// Once a call has handed its message over (it is waiting for the answer), dropping its future
/// does not take the message back: it is still sent, and its outcome is discarded. A call dropped
/// while waiting for room in the buffer has not handed anything over.
#[derive(Clone)]
pub struct Batcher {
    shared: Arc<Shared>,
    /// Dropped with the last clone, which sends what is left (see [`Alive`]).
    _alive: Arc<Alive>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("config", &self.shared.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Counters {
    batches: AtomicU64,
    entries: AtomicU64,
    retried: AtomicU64,
}

/// What a [`Batcher`] has sent so far.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Send,
    Delete,
    Visibility,
}

impl Kind {
    fn operation(self) -> &'static str {
        match self {
            Kind::Send => "SendMessageBatch",
            Kind::Delete => "DeleteMessageBatch",
            Kind::Visibility => "ChangeMessageVisibilityBatch",
        }
    }
}

/// What a batch request is made for: entries with equal keys can share a request. Nothing of it
/// is written into a request except the queue URL itself.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    kind: Kind,
    /// Shared, so that each batch takes a copy of the key without allocating.
    queue_url: Arc<str>,
}

impl Key {
    fn fifo(&self) -> bool {
        self.queue_url.ends_with(".fifo")
    }
}

/// A request and the queue it is for. Boxed, so that an entry stays small: the ten entries of a
/// batch then fit in less than 1 KiB, which allocators serve from their fast per-thread caches.
#[derive(Debug)]
enum Payload {
    Send(Box<SendMessageInput>),
    Delete(Box<Receipt>),
    /// With the new visibility timeout (seconds).
    Visibility(Box<Receipt>, i32),
}

// glibc serves requests under 1 KiB from its per-thread caches; larger ones lock an arena,
// which the sender tasks and their callers then contend for.
const _: () = assert!(MAX_ENTRIES * std::mem::size_of::<Entry>() < 1024);

/// A received message, by its queue and receipt handle.
#[derive(Debug)]
struct Receipt {
    queue_url: String,
    receipt_handle: String,
}

impl Payload {
    /// The batch requests this can go into (taken from the request itself, so that handing a
    /// message over copies nothing).
    fn key(&self) -> (Kind, &str) {
        match self {
            Payload::Send(m) => (Kind::Send, &m.queue_url),
            Payload::Delete(r) => (Kind::Delete, &r.queue_url),
            Payload::Visibility(r, _) => (Kind::Visibility, &r.queue_url),
        }
    }

    /// The receipt of a delete or a visibility change.
    fn receipt_mut(&mut self) -> Option<&mut Receipt> {
        match self {
            Payload::Send(_) => None,
            Payload::Delete(r) | Payload::Visibility(r, _) => Some(r),
        }
    }
}

/// A caller's outcome, with its request handed back: the caller's task frees the request, on
/// the thread where it is about to make its next one. (Freed by the sender task instead, ten
/// requests of one size at once, the allocator's per-thread cache overflows and the callers'
/// next requests take its slow path: measured at about 7% of the CPU per batched message.)
type Answer<T> = (Result<T, Error>, Payload);

#[derive(Debug)]
enum Reply {
    Send(oneshot::Sender<Answer<SendMessageOutput>>),
    Unit(oneshot::Sender<Answer<()>>),
}

#[derive(Debug)]
struct Entry {
    payload: Payload,
    reply: Reply,
    bytes: usize,
    /// Attempts made so far.
    attempts: u32,
    /// Not to be sent before (a retry's backoff).
    not_before: Instant,
    /// When it entered the buffer (starts the linger timer of its batch).
    queued: Instant,
    /// The last error, while being retried.
    last_error: Option<Error>,
    /// Retry tokens taken for this entry, given back when it succeeds.
    spent: u32,
}

impl Entry {
    /// Answers the caller with its message's result and gives back the retry tokens it took.
    fn succeeded(self, bucket: &TokenBucket, output: Option<SendMessageOutput>, op: &'static str) {
        if self.spent > 0 {
            bucket.release(self.spent);
        }
        let result = match (&self.reply, output) {
            (Reply::Send(_), None) => Err(Error::entry(op, "MissingResult", None, false)),
            (_, output) => Ok(output.unwrap_or_default()),
        };
        self.answer(result);
    }

    /// Answers the caller (a unit caller gets the result without its output), handing its
    /// request back.
    fn answer(self, result: Result<SendMessageOutput, Error>) {
        let request = self.payload;
        // A caller that went away (its future dropped) has nothing to be told.
        match self.reply {
            Reply::Send(tx) => {
                let _ = tx.send((result, request));
            }
            Reply::Unit(tx) => {
                let _ = tx.send((result.map(drop), request));
            }
        }
    }

    /// Why an entry closing left unsent was not sent: its last error if it was being retried,
    /// else that the batcher closed.
    fn closing_error(&mut self, op: &'static str) -> Error {
        self.last_error.take().unwrap_or_else(|| {
            Error::closed(
                op,
                "the batcher was closed before this request could be sent",
            )
        })
    }

    fn unsent(self, queue_url: &str, error: Error) -> Unsent {
        let request = match &self.payload {
            Payload::Send(input) => UnsentRequest::Send(input.clone()),
            Payload::Delete(r) => UnsentRequest::Delete {
                receipt_handle: r.receipt_handle.clone(),
            },
            Payload::Visibility(r, timeout) => UnsentRequest::ChangeVisibility {
                receipt_handle: r.receipt_handle.clone(),
                visibility_timeout: *timeout,
            },
        };
        let copy = error.duplicate();
        self.answer(Err(error));
        Unsent {
            queue_url: queue_url.to_owned(),
            request,
            error: copy,
        }
    }
}

impl Batcher {
    /// A batcher with the default [`BatchConfig`]. Must be called within a tokio runtime.
    pub fn new(client: Client) -> Self {
        Self::with_config(client, BatchConfig::default())
    }

    /// A batcher with the given configuration. Must be called within a tokio runtime.
    pub fn with_config(client: Client, mut config: BatchConfig) -> Self {
        config.max_entries = config.max_entries.clamp(1, MAX_ENTRIES);
        config.max_bytes = config.max_bytes.min(client.limits().max_batch_size).max(1);
        config.buffer = config.buffer.clamp(1, Semaphore::MAX_PERMITS);
        let runtime = tokio::runtime::Handle::current();
        let shared = Arc::new(Shared {
            room: Semaphore::new(config.buffer),
            client,
            config,
            stats: Counters::default(),
            state: Mutex::new(State {
                lanes: Lanes::default(),
                buffered: 0,
                running: 0,
                idle_senders: Vec::new(),
                idle_waiters: Vec::new(),
                flushing: false,
                armed: None,
                closed: false,
                ended: false,
            }),
            wake: Notify::new(),
            runtime,
        });
        shared.runtime.spawn(tick(Arc::clone(&shared)));
        Self {
            _alive: Arc::new(Alive(Arc::clone(&shared))),
            shared,
        }
    }

    /// Counts of what was sent so far.
    pub fn stats(&self) -> BatchStats {
        let stats = &self.shared.stats;
        BatchStats {
            batches: stats.batches.load(Ordering::Relaxed),
            entries: stats.entries.load(Ordering::Relaxed),
            retried: stats.retried.load(Ordering::Relaxed),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &BatchConfig {
        &self.shared.config
    }

    /// Sends one message as part of a SendMessageBatch; resolves to that message's result. The
    /// message is checked as [`Client::send_message`] checks it before it is queued.
    pub async fn send_message(&self, input: SendMessageInput) -> Result<SendMessageOutput, Error> {
        const OP: &str = "SendMessage";
        input.validate().map_err(|e| Error::invalid(OP, e))?;
        input
            .check(&self.shared.client.limits())
            .map_err(|e| Error::invalid(OP, e))?;
        let bytes = message_size(&input.message_body, input.message_attributes.as_ref());
        if bytes > self.shared.config.max_bytes {
            return Err(Error::invalid(
                OP,
                ValidationError::new(
                    "SendMessageInput (body and attributes)",
                    ValidationProblem::TooLong {
                        max: self.shared.config.max_bytes as u64,
                        actual: bytes as u64,
                        unit: LengthUnit::Bytes,
                    },
                ),
            ));
        }
        let (tx, rx) = oneshot::channel();
        self.submit(Payload::Send(Box::new(input)), Reply::Send(tx), bytes, OP)
            .await?;
        outcome(rx, OP).await
    }

    /// Deletes one message as part of a DeleteMessageBatch.
    pub async fn delete_message(
        &self,
        queue_url: impl Into<String>,
        receipt_handle: impl Into<String>,
    ) -> Result<(), Error> {
        let payload = Payload::Delete(Box::new(Receipt {
            queue_url: queue_url.into(),
            receipt_handle: receipt_handle.into(),
        }));
        self.unit(payload, "DeleteMessage").await
    }

    /// Changes one message's visibility timeout (seconds) as part of a
    /// ChangeMessageVisibilityBatch.
    pub async fn change_message_visibility(
        &self,
        queue_url: impl Into<String>,
        receipt_handle: impl Into<String>,
        visibility_timeout: i32,
    ) -> Result<(), Error> {
        const OP: &str = "ChangeMessageVisibility";
        let problem = if visibility_timeout < 0 {
            Some(ValidationProblem::BelowMinimum {
                min: 0,
                actual: i64::from(visibility_timeout),
            })
        } else if visibility_timeout > 43_200 {
            Some(ValidationProblem::AboveMaximum {
                max: 43_200,
                actual: i64::from(visibility_timeout),
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::invalid(
                OP,
                ValidationError::new("ChangeMessageVisibilityInput.visibility_timeout", problem),
            ));
        }
        let payload = Payload::Visibility(
            Box::new(Receipt {
                queue_url: queue_url.into(),
                receipt_handle: receipt_handle.into(),
            }),
            visibility_timeout,
        );
        self.unit(payload, OP).await
    }

    async fn unit(&self, payload: Payload, op: &'static str) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.submit(payload, Reply::Unit(tx), 0, op).await?;
        outcome(rx, op).await
    }

    /// Hands an entry over: waits for room in the buffer, queues the entry in its lane, and
    /// starts the lane's batch if that filled it (or if no linger is asked for).
    async fn submit(
        &self,
        payload: Payload,
        reply: Reply,
        bytes: usize,
        op: &'static str,
    ) -> Result<(), Error> {
        let shared = &self.shared;
        let closed = || Error::closed(op, "the batcher is closed");
        // A permit is room for one entry; it comes back when the entry leaves the buffer.
        shared.room.acquire().await.map_err(|_| closed())?.forget();
        let now = Instant::now();
        let entry = Entry {
            payload,
            reply,
            bytes,
            attempts: 0,
            not_before: now,
            queued: now,
            last_error: None,
            spent: 0,
        };
        let (n, mut due) = {
            let mut state = shared.lock();
            if state.closed {
                drop(state);
                shared.room.add_permits(1);
                return Err(closed());
            }
            state.buffered += 1;
            let (n, first) = state.lanes.push_back(entry);
            let due = shared.take_start(&mut state, Some(n), now);
            if first {
                // The lane's linger timer starts now; the timer task sleeps until then unless
                // it wakes sooner anyway.
                shared.wake_by(&mut state, now + shared.config.linger);
            }
            (n, due)
        };
        // The batch this entry completed starts outside the lock: waking its sender may wake
        // another worker thread, which should not find the lock still held. (Rarely, the lane
        // has another batch due behind it.)
        while let Some(start) = due {
            shared.start(start);
            due = shared.take_start(&mut shared.lock(), Some(n), now);
        }
        Ok(())
    }

    /// Sends everything buffered now, without waiting for the linger time, and waits until the
    /// buffer is empty and no batch is in flight (under steady traffic from other tasks that can
    /// take a while).
    pub async fn flush(&self) {
        let shared = &self.shared;
        let rx = {
            let mut state = shared.lock();
            if state.idle() || state.ended {
                return;
            }
            let (tx, rx) = oneshot::channel();
            state.idle_waiters.push(tx);
            state.flushing = true;
            shared.dispatch(&mut state, None, Instant::now());
            rx
        };
        // The timer task now also starts batches whose linger time has not run out.
        shared.wake.notify_one();
        let _ = rx.await;
    }

    /// Stops taking requests, sends what is buffered once, waits for batches in flight (up to
    /// [`BatchConfig::close_timeout`]) and returns every request it could not send; their callers
    /// get the same error. Batches still in flight at the deadline are not cut off: each answers
    /// its callers when it ends (what it would retry, as not sent). Later calls on any clone
    /// fail with [`ErrorKind::Closed`](crate::ErrorKind::Closed).
    pub async fn close(&self) -> Vec<Unsent> {
        close(&self.shared).await
    }
}

/// What a caller waits for. The request handed back with it is dropped here, in the caller's
/// task (see [`Answer`]).
async fn outcome<T>(rx: oneshot::Receiver<Answer<T>>, op: &'static str) -> Result<T, Error> {
    match rx.await {
        Ok((result, _request)) => result,
        Err(_) => Err(Error::closed(
            op,
            "the batch carrying this request ended without an answer (its runtime shut down or \
             its task panicked); the message may or may not have been sent",
        )),
    }
}

/// Stops `shared` taking entries, sends what it holds and returns what it could not send; the
/// second and later calls return nothing.
async fn close(shared: &Arc<Shared>) -> Vec<Unsent> {
    let deadline = Instant::now() + shared.config.close_timeout;
    let rx = {
        let mut state = shared.lock();
        if state.closed {
            return Vec::new();
        }
        state.closed = true;
        shared.room.close();
        state.flushing = true;
        shared.dispatch(&mut state, None, Instant::now());
        (!state.idle()).then(|| {
            let (tx, rx) = oneshot::channel();
            state.idle_waiters.push(tx);
            rx
        })
    };
    if let Some(rx) = rx {
        shared.wake.notify_one();
        // Wait for what is queued and in flight, retries included, up to the deadline.
        let _ = tokio::time::timeout_at(deadline, rx).await;
    }
    let unsent = {
        let mut state = shared.lock();
        let mut unsent = Vec::new();
        for Lane { key, entries, .. } in state.lanes.drain() {
            for mut e in entries {
                let error = e.closing_error(key.kind.operation());
                unsent.push(e.unsent(&key.queue_url, error));
            }
        }
        state.buffered = 0;
        state.ended = true;
        // Idle sender tasks end; busy ones end after their batch.
        state.idle_senders.clear();
        for w in state.idle_waiters.drain(..) {
            let _ = w.send(());
        }
        unsent
    };
    // Batches still in flight go on: their callers get their outcomes when they end (bounded
    // by the client's operation timeout), but what they would retry is answered as unsent.
    shared.wake.notify_one();
    unsent
}

/// Held by every clone of a [`Batcher`]: when the last one goes, a task closes the batcher as
/// [`Batcher::close`] would (what is buffered is sent; the timer task stops).
struct Alive(Arc<Shared>);

impl Drop for Alive {
    fn drop(&mut self) {
        let shared = Arc::clone(&self.0);
        self.0.runtime.spawn(async move {
            close(&shared).await;
        });
    }
}

/// The entries waiting to be sent: one lane per batch key, for as long as the key has entries
/// queued or batches in flight (a process that sends to many short-lived queues does not keep a
/// lane for each queue it ever used).
#[derive(Default)]
struct Lanes {
    /// Lane slots; a batch in flight knows its lane by position, so a lane given up leaves its
    /// slot empty for the next new lane rather than moving the others.
    lanes: Vec<Option<Lane>>,
    /// Empty slots.
    free: Vec<usize>,
    /// Lane positions by queue URL (the lanes' own), one per [`Kind`].
    by_url: HashMap<Arc<str>, [Option<usize>; 3]>,
    /// The lane found last: entries in a row mostly go to the same one, which spares hashing
    /// the URL.
    last: usize,
}

struct Lane {
    key: Key,
    entries: VecDeque<Entry>,
    /// Batches of this lane in flight (at most one for a FIFO queue).
    in_flight: usize,
    /// The bytes of the entries queued (kept by the methods below).
    bytes: usize,
    /// Entries queued that are being retried (kept by the methods below).
    retries: usize,
}

impl Lane {
    /// No batch may start now: a FIFO queue's batch is in flight.
    fn held(&self) -> bool {
        self.in_flight > 0 && self.key.fifo()
    }

    fn push_back(&mut self, entry: Entry) {
        self.count_in(&entry);
        self.entries.push_back(entry);
    }

    fn push_front(&mut self, entry: Entry) {
        self.count_in(&entry);
        self.entries.push_front(entry);
    }

    fn count_in(&mut self, entry: &Entry) {
        self.bytes += entry.bytes;
        self.retries += usize::from(entry.attempts > 0);
    }

    /// Takes the first `count` entries out, `bytes` bytes in all; returns them and how many of
    /// them are being retried.
    fn take_front(&mut self, count: usize, bytes: usize) -> (Vec<Entry>, usize) {
        let batch: Vec<Entry> = self.entries.drain(..count).collect();
        let retried = batch.iter().filter(|e| e.attempts > 0).count();
        self.bytes -= bytes;
        self.retries -= retried;
        (batch, retried)
    }
}

impl Lanes {
    /// The position of the lane for `kind` and `queue_url`, made if there is none.
    fn find(&mut self, kind: Kind, queue_url: &str) -> usize {
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
    fn push_back(&mut self, entry: Entry) -> (usize, bool) {
        let (kind, queue_url) = entry.payload.key();
        let n = self.find(kind, queue_url);
        let mut first = false;
        if let Some(lane) = &mut self.lanes[n] {
            lane.push_back(entry);
            first = lane.entries.len() == 1;
        }
        (n, first)
    }

    fn get_mut(&mut self, n: usize) -> Option<&mut Lane> {
        self.lanes.get_mut(n).and_then(Option::as_mut)
    }

    fn iter(&self) -> impl Iterator<Item = &Lane> {
        self.lanes.iter().flatten()
    }

    /// Gives up lane `n` if it has nothing queued and nothing in flight.
    fn release_if_idle(&mut self, n: usize) {
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
    fn drain(&mut self) -> impl Iterator<Item = Lane> + '_ {
        self.by_url.clear();
        self.free.clear();
        self.lanes.drain(..).flatten()
    }
}

/// What every clone of a [`Batcher`], its timer task and its batches in flight share.
struct Shared {
    client: Client,
    config: BatchConfig,
    stats: Counters,
    /// Room in the buffer: a permit per entry not yet sent for the first time.
    room: Semaphore,
    state: Mutex<State>,
    /// Wakes the timer task: a due time came closer, or a flush or close began.
    wake: Notify,
    /// The runtime the batcher was made in, where its batches run.
    runtime: tokio::runtime::Handle,
}

struct State {
    lanes: Lanes,
    /// Entries queued in the lanes, retries included.
    buffered: usize,
    /// Batches in flight.
    running: usize,
    /// Sender tasks waiting for a batch, the one that waited least last.
    idle_senders: Vec<oneshot::Sender<Due>>,
    /// Flushes and closes waiting for nothing to be queued or in flight.
    idle_waiters: Vec<oneshot::Sender<()>>,
    /// A flush or close is under way: batches go without waiting for their linger time.
    flushing: bool,
    /// When the timer task looks next (`None`: when it is woken).
    armed: Option<Instant>,
    /// No more entries are taken.
    closed: bool,
    /// Closing is over: what was queued was returned; batches still in flight answer their
    /// callers but queue nothing again.
    ended: bool,
}

impl State {
    fn idle(&self) -> bool {
        self.buffered == 0 && self.running == 0
    }

    /// When something becomes due: a linger time running out or a retry's backoff ending
    /// (`None` while no batch could start anyway).
    fn next_wake(&self, config: &BatchConfig) -> Option<Instant> {
        if self.running >= config.max_in_flight {
            // Nothing can start before a batch ends, and its end starts what is due.
            return None;
        }
        self.lanes
            .iter()
            .filter(|lane| !lane.held())
            .filter_map(|lane| lane.entries.front())
            .map(|e| {
                if self.flushing {
                    e.not_before
                } else {
                    (e.queued + config.linger).max(e.not_before)
                }
            })
            .min()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something did, the state is still whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the timer task look again by `at` at the latest.
    fn wake_by(&self, state: &mut State, at: Instant) {
        if state.armed.is_none_or(|armed| armed > at) {
            state.armed = Some(at);
            self.wake.notify_one();
        }
    }

    /// Starts every batch that is due, of lane `only` or of every lane, as far as
    /// `max_in_flight` allows.
    fn dispatch(self: &Arc<Self>, state: &mut State, only: Option<usize>, now: Instant) {
        while let Some(start) = self.take_start(state, only, now) {
            self.start(start);
        }
    }

    /// [`take_due`](Self::take_due), with the idle sender task to send the batch, if any.
    fn take_start(&self, state: &mut State, only: Option<usize>, now: Instant) -> Option<Start> {
        let due = self.take_due(state, only, now)?;
        Some(Start {
            due,
            idle: state.idle_senders.pop(),
        })
    }

    /// Takes the next batch that is due, of lane `only` or of any lane, out of its lane (as far
    /// as `max_in_flight` allows); [`start`](Self::start) sends it.
    fn take_due(&self, state: &mut State, only: Option<usize>, now: Instant) -> Option<Due> {
        let config = &self.config;
        let State {
            lanes,
            buffered,
            running,
            flushing,
            ..
        } = state;
        let slots = match only {
            Some(n) => n..n + 1,
            None => 0..lanes.lanes.len(),
        };
        for n in slots {
            let Some(Some(lane)) = lanes.lanes.get_mut(n) else {
                continue;
            };
            if *running >= config.max_in_flight || lane.held() {
                continue;
            }
            let Some(front) = lane.entries.front() else {
                continue;
            };
            if front.not_before > now {
                continue;
            }
            let lingered = now >= front.queued + config.linger;
            // Short of a full batch, with no retry waiting out a backoff: due only once the
            // oldest entry has lingered. (Spares a look at every entry each time one is queued.)
            if !*flushing
                && lane.retries == 0
                && lane.entries.len() < config.max_entries
                && lane.bytes <= config.max_bytes
                && !lingered
            {
                continue;
            }
            // How many entries fit one request, and whether that is a full batch.
            let (mut count, mut bytes, mut full) = (0, 0, false);
            for e in lane.entries.iter() {
                if count == config.max_entries
                    || bytes + e.bytes > config.max_bytes
                    || e.not_before > now
                {
                    full = true;
                    break;
                }
                count += 1;
                bytes += e.bytes;
            }
            full |= count == config.max_entries;
            let due = *flushing || full || lingered;
            if !due || count == 0 {
                continue;
            }
            let reason = if full {
                "size"
            } else if *flushing {
                "flush"
            } else {
                "linger"
            };
            let (batch, retried) = lane.take_front(count, bytes);
            *buffered -= batch.len();
            // Entries sent for the first time give back their room in the buffer.
            self.room.add_permits(batch.len() - retried);
            let stats = &self.stats;
            stats.batches.fetch_add(1, Ordering::Relaxed);
            stats
                .entries
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            stats.retried.fetch_add(retried as u64, Ordering::Relaxed);
            *running += 1;
            lane.in_flight += 1;
            return Some(Due {
                lane: n,
                key: lane.key.clone(),
                batch,
                bytes,
                reason,
            });
        }
        None
    }

    /// Hands a batch [`take_start`](Self::take_start) took to its idle sender task, or to a new
    /// one if there is none or the idle one is gone (its runtime shut down).
    fn start(self: &Arc<Self>, Start { due, idle }: Start) {
        let due = match idle {
            Some(idle) => match idle.send(due) {
                Ok(()) => return,
                Err(due) => due,
            },
            None => due,
        };
        // Not kept: a batch's end is its own sender's to report (`BatchEnd`).
        drop(self.runtime.spawn(sender(Arc::clone(self), due)));
    }

    /// Sends one batch; `next` is where this sender task is to be handed its next one.
    async fn send(self: &Arc<Self>, due: Due, next: oneshot::Sender<Due>, scratch: &mut Scratch) {
        let Due {
            lane,
            key,
            batch,
            bytes,
            reason,
        } = due;
        let span = tracing::debug_span!(
            "sqs.batch",
            operation = key.kind.operation(),
            queue = %key.queue_url,
            entries = batch.len(),
            bytes,
            reason,
        );
        // Made once the send runs: a sender task dropped before that (its runtime shutting
        // down) drops the batch, and its callers learn that it ended without an answer.
        let mut end = BatchEnd {
            shared: Arc::clone(self),
            lane,
            op: key.kind.operation(),
            retry: Vec::new(),
            next: Some(next),
        };
        end.retry = send_batch(&self.client, &key, batch, scratch)
            .instrument(span)
            .await;
    }

    /// A batch of lane `n` ended: entries to try again go back to the front of their lane, and
    /// whatever the lane or the in-flight limit held back can start.
    fn finished(
        self: &Arc<Self>,
        n: usize,
        op: &'static str,
        retry: Vec<Entry>,
        next: Option<oneshot::Sender<Due>>,
    ) {
        let mut state = self.lock();
        state.running = state.running.saturating_sub(1);
        if let Some(next) = next
            && !state.ended
            && state.idle_senders.len() < MAX_IDLE_SENDERS
        {
            // First in line for what starts below.
            state.idle_senders.push(next);
        }
        if state.ended {
            // Closing is over: what this batch would retry is answered as not sent.
            for mut e in retry {
                let error = e.closing_error(op);
                e.answer(Err(error));
            }
            return;
        }
        let now = Instant::now();
        let State {
            lanes, buffered, ..
        } = &mut *state;
        if let Some(lane) = lanes.get_mut(n) {
            lane.in_flight = lane.in_flight.saturating_sub(1);
            let (retry_config, _) = self.client.retry_parts();
            *buffered += retry.len();
            for mut e in retry.into_iter().rev() {
                let throttled = e.last_error.as_ref().is_some_and(Error::is_throttling);
                e.not_before = now + retry_config.backoff_for(e.attempts.max(1), throttled);
                lane.push_front(e);
            }
        }
        lanes.release_if_idle(n);
        self.dispatch(&mut state, None, now);
        // What this batch held back (a FIFO lane's next entries, batches over the in-flight
        // limit) and the entries to try again go when their linger time or backoff is over.
        if let Some(at) = state.next_wake(&self.config) {
            self.wake_by(&mut state, at);
        }
        if state.idle() && !state.idle_waiters.is_empty() {
            for w in state.idle_waiters.drain(..) {
                let _ = w.send(());
            }
            state.flushing = state.closed;
        }
    }
}

/// Sender tasks kept waiting at most: more end after their batch (a batcher allowed many batches
/// in flight does not keep a task for each after a burst).
const MAX_IDLE_SENDERS: usize = 64;

/// A sender task: sends `due`, then each batch it is handed, until it is not kept waiting for
/// another (closing is over, or enough senders wait).
async fn sender(shared: Arc<Shared>, mut due: Due) {
    let mut scratch = Scratch::default();
    loop {
        let (next, handed) = oneshot::channel();
        shared.send(due, next, &mut scratch).await;
        match handed.await {
            Ok(batch) => due = batch,
            Err(_) => return,
        }
    }
}

/// A batch taken out of its lane and the idle sender task that is to send it.
struct Start {
    due: Due,
    idle: Option<oneshot::Sender<Due>>,
}

/// A batch taken out of its lane, to be sent.
struct Due {
    lane: usize,
    key: Key,
    batch: Vec<Entry>,
    bytes: usize,
    reason: &'static str,
}

/// Ends a batch, however it ends: normally with the entries to try again, or with none if its
/// task panicked or its runtime shut down (so that a FIFO lane is not held forever).
struct BatchEnd {
    shared: Arc<Shared>,
    lane: usize,
    op: &'static str,
    retry: Vec<Entry>,
    /// Where the sender task takes its next batch (if the task is gone by then, having
    /// panicked, the batch handed to it comes back and a new sender takes it).
    next: Option<oneshot::Sender<Due>>,
}

impl Drop for BatchEnd {
    fn drop(&mut self) {
        self.shared.finished(
            self.lane,
            self.op,
            std::mem::take(&mut self.retry),
            self.next.take(),
        );
    }
}

/// The timer task: starts batches whose linger time or retry backoff ran out, and whatever a
/// flush or close asks for, until closing is over.
async fn tick(shared: Arc<Shared>) {
    loop {
        let wake = {
            let mut state = shared.lock();
            if state.ended {
                return;
            }
            shared.dispatch(&mut state, None, Instant::now());
            let wake = state.next_wake(&shared.config);
            state.armed = wake;
            wake
        };
        tokio::select! {
            () = shared.wake.notified() => {}
            () = sleep_until(wake) => {}
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What a sender task keeps from one batch to the next: a SendMessageBatch request's list of
/// entries and the entry ids (`ids[i]` is `i` in decimal, or empty while lent out or not yet
/// made), so that a batch does not allocate them anew. Measured on SendMessageBatch: 7.5 -> 7.2
/// us of client CPU per batched message; fewer allocations per batch also means fewer waits on
/// glibc's arena locks, which the two worker threads contend for when one frees what the other
/// allocated.
#[derive(Default)]
struct Scratch {
    entries: Vec<SendMessageBatchRequestEntry>,
    ids: Vec<String>,
}

impl Scratch {
    /// The id of the entry at position `i`, lent until [`give_back_id`](Self::give_back_id).
    fn lend_id(&mut self, i: usize) -> String {
        if self.ids.len() <= i {
            self.ids.resize_with(i + 1, String::new);
        }
        if self.ids[i].is_empty() {
            self.ids[i] = i.to_string();
        }
        std::mem::take(&mut self.ids[i])
    }

    fn give_back_id(&mut self, i: usize, id: String) {
        if let Some(slot) = self.ids.get_mut(i) {
            *slot = id;
        }
    }
}

/// Sends one batch; answers the callers whose outcome is final and returns the entries to try
/// again, in their original order.
async fn send_batch(
    client: &Client,
    key: &Key,
    mut batch: Vec<Entry>,
    scratch: &mut Scratch,
) -> Vec<Entry> {
    for e in &mut batch {
        e.attempts += 1;
    }
    let result = match key.kind {
        Kind::Send => {
            // The messages move into the request and back out after it, so that a retry or
            // close still has them; each was checked when it was handed over and the batch
            // was formed within the limits of the whole, so the request is not checked again.
            let mut entries = std::mem::take(&mut scratch.entries);
            entries.clear();
            for (i, e) in batch.iter_mut().enumerate() {
                if let Payload::Send(m) = &mut e.payload {
                    entries.push(sqs_model::batch::lend_send(scratch.lend_id(i), m));
                }
            }
            let mut input = SendMessageBatchInput::default()
                .queue_url(&*key.queue_url)
                .set_entries(entries);
            let result = client.execute_ref(&input, Checks::AlreadyDone).await;
            let sends = batch
                .iter_mut()
                .enumerate()
                .filter_map(|(i, e)| match &mut e.payload {
                    Payload::Send(m) => Some((i, m)),
                    _ => None,
                });
            for ((i, m), lent) in sends.zip(input.entries.drain(..)) {
                scratch.give_back_id(i, sqs_model::batch::take_back_send(m, lent));
            }
            scratch.entries = input.entries;
            result.map(|out| {
                let ok = out
                    .successful
                    .into_iter()
                    .map(|s| {
                        let (id, output) = sqs_model::batch::send_output(s);
                        (id, Some(output))
                    })
                    .collect();
                (ok, out.failed)
            })
        }
        // The ids and receipt handles move into the request and back out after it, like the
        // messages above.
        Kind::Delete => {
            let entries = lend_receipts(&mut batch, scratch, |id, receipt_handle, _| {
                sqs_model::batch::delete_entry(id, receipt_handle)
            });
            let mut input = DeleteMessageBatchInput::default()
                .queue_url(&*key.queue_url)
                .set_entries(entries);
            let result = client.execute_ref(&input, Checks::All).await;
            let lent = input.entries.drain(..).map(|e| (e.id, e.receipt_handle));
            give_back_receipts(&mut batch, scratch, lent);
            result.map(|out| {
                let ok = out.successful.into_iter().map(|s| (s.id, None)).collect();
                (ok, out.failed)
            })
        }
        Kind::Visibility => {
            let entries = lend_receipts(&mut batch, scratch, |id, receipt_handle, payload| {
                let timeout = match payload {
                    Payload::Visibility(_, timeout) => Some(*timeout),
                    _ => None,
                };
                sqs_model::batch::visibility_entry(id, receipt_handle, timeout)
            });
            let mut input = ChangeMessageVisibilityBatchInput::default()
                .queue_url(&*key.queue_url)
                .set_entries(entries);
            let result = client.execute_ref(&input, Checks::All).await;
            let lent = input.entries.drain(..).map(|e| (e.id, e.receipt_handle));
            give_back_receipts(&mut batch, scratch, lent);
            result.map(|out| {
                let ok = out.successful.into_iter().map(|s| (s.id, None)).collect();
                (ok, out.failed)
            })
        }
    };
    match result {
        Ok((ok, failed)) => settle(client, key, batch, ok, failed),
        Err(e) if e.code() == Some(&ErrorCode::BatchRequestTooLong) && batch.len() > 1 => {
            // Split in two and send the halves one after the other (order kept for FIFO). The
            // split is not an attempt of its own.
            let mut second = batch.split_off(batch.len() / 2);
            for e in batch.iter_mut().chain(second.iter_mut()) {
                e.attempts -= 1;
            }
            let mut retry = Box::pin(send_batch(client, key, batch, scratch)).await;
            retry.extend(Box::pin(send_batch(client, key, second, scratch)).await);
            retry
        }
        Err(e) => {
            // The client already retried what was worth retrying.
            for entry in batch {
                entry.answer(Err(e.duplicate()));
            }
            Vec::new()
        }
    }
}

/// The request entries of a delete or visibility batch, each made by `entry` from its id, its
/// receipt handle (moved out of the batch's entry) and its payload; [`give_back_receipts`]
/// returns the ids and handles.
fn lend_receipts<E>(
    batch: &mut [Entry],
    scratch: &mut Scratch,
    mut entry: impl FnMut(String, String, &Payload) -> E,
) -> Vec<E> {
    let mut entries = Vec::with_capacity(batch.len());
    for (i, e) in batch.iter_mut().enumerate() {
        if let Some(r) = e.payload.receipt_mut() {
            let handle = std::mem::take(&mut r.receipt_handle);
            entries.push(entry(scratch.lend_id(i), handle, &e.payload));
        }
    }
    entries
}

/// Puts the `(id, receipt handle)` pairs [`lend_receipts`] lent back where they came from.
fn give_back_receipts(
    batch: &mut [Entry],
    scratch: &mut Scratch,
    lent: impl Iterator<Item = (String, String)>,
) {
    let receipts = batch
        .iter_mut()
        .enumerate()
        .filter_map(|(i, e)| e.payload.receipt_mut().map(|r| (i, r)));
    for ((i, r), (id, handle)) in receipts.zip(lent) {
        r.receipt_handle = handle;
        scratch.give_back_id(i, id);
    }
}

/// Answers each entry of a batch from the service's per-entry results.
fn settle(
    client: &Client,
    key: &Key,
    batch: Vec<Entry>,
    mut ok: Vec<(String, Option<SendMessageOutput>)>,
    failed: Vec<BatchResultErrorEntry>,
) -> Vec<Entry> {
    // Where each entry's result is, by entry position (the ids are positions, and a batch has
    // at most `MAX_ENTRIES`, so this stays on the stack); an id the batch did not use is
    // ignored, and a success wins over a failure listed for the same id.
    #[derive(Clone, Copy)]
    enum Found {
        Nothing,
        Ok(usize),
        Failed(usize),
    }
    let mut found = [Found::Nothing; MAX_ENTRIES];
    let found_here = &mut found[..batch.len().min(MAX_ENTRIES)];
    for (k, f) in failed.iter().enumerate() {
        if let Some(slot) = entry_index(&f.id).and_then(|i| found_here.get_mut(i)) {
            *slot = Found::Failed(k);
        }
    }
    for (k, (id, _)) in ok.iter().enumerate() {
        if let Some(slot) = entry_index(id).and_then(|i| found_here.get_mut(i)) {
            *slot = Found::Ok(k);
        }
    }
    let (retry_config, bucket) = client.retry_parts();
    let op = key.kind.operation();
    let mut retry = Vec::new();
    for (entry, result) in batch
        .into_iter()
        .zip(found.into_iter().chain(std::iter::repeat(Found::Nothing)))
    {
        let err = match result {
            Found::Ok(k) => {
                entry.succeeded(bucket, ok[k].1.take(), op);
                continue;
            }
            Found::Failed(k) => {
                let f = &failed[k];
                Error::entry(op, &f.code, f.message.as_deref(), f.sender_fault)
            }
            Found::Nothing => Error::entry(
                op,
                "MissingResult",
                Some("the answer lists this entry neither as successful nor as failed"),
                false,
            ),
        };
        let transient = err.fault() == Some(crate::Fault::Receiver);
        let token = (transient && entry.attempts < retry_config.max_attempts)
            .then(|| bucket.acquire(false))
            .flatten();
        if let Some(cost) = token {
            tracing::info!(
                operation = op,
                code = err.raw_code().unwrap_or_default(),
                attempt = entry.attempts,
                "retrying a failed batch entry"
            );
            let mut entry = entry;
            entry.spent += cost;
            entry.last_error = Some(err.with_attempts(entry.attempts));
            retry.push(entry);
        } else {
            let attempts = entry.attempts;
            entry.answer(Err(err.with_attempts(attempts)));
        }
    }
    retry
}

/// The position an entry id stands for: the decimal form `i.to_string()` wrote, nothing else.
fn entry_index(id: &str) -> Option<usize> {
    let canonical = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && (id == "0" || !id.starts_with('0'));
    canonical.then(|| id.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batcher whose client sends to a port nothing listens on, in one attempt.
    fn batcher_to_nowhere(config: BatchConfig) -> Batcher {
        let client = Client::builder()
            .endpoint_url("http://127.0.0.1:1")
            .region("us-east-1")
            .credentials_provider(crate::Credentials::new("k", "s"))
            .retry_config(crate::RetryConfig::default().max_attempts(1))
            .build()
            .unwrap();
        Batcher::with_config(client, config)
    }

    fn delete(queue_url: &str) -> Entry {
        let (tx, _rx) = oneshot::channel();
        let now = Instant::now();
        Entry {
            payload: Payload::Delete(Box::new(Receipt {
                queue_url: queue_url.to_owned(),
                receipt_handle: "rh".to_owned(),
            })),
            reply: Reply::Unit(tx),
            bytes: 0,
            attempts: 0,
            not_before: now,
            queued: now,
            last_error: None,
            spent: 0,
        }
    }

    #[tokio::test]
    async fn a_fifo_lane_is_released_when_its_batch_task_panics() {
        let b = batcher_to_nowhere(BatchConfig::default().linger(Duration::from_secs(600)));
        let fifo = "http://127.0.0.1:1/000000000000/q.fifo";
        // A batch of the FIFO queue in flight, and an entry held back behind it.
        let n = {
            let mut state = b.shared.lock();
            let (n, _) = state.lanes.push_back(delete(fifo));
            state.buffered = 1;
            state.running = 1;
            state.lanes.get_mut(n).unwrap().in_flight = 1;
            n
        };
        let shared = Arc::clone(&b.shared);
        let task = tokio::spawn(async move {
            let (next, _handed) = oneshot::channel();
            let _end = BatchEnd {
                shared,
                lane: n,
                op: "DeleteMessageBatch",
                retry: Vec::new(),
                next: Some(next),
            };
            panic!("a batch task failing (expected by this test)");
        });
        assert!(task.await.unwrap_err().is_panic());
        let mut state = b.shared.lock();
        assert_eq!(state.running, 0);
        let lane = state.lanes.get_mut(n).unwrap();
        assert!(!lane.held(), "the lane takes batches again");
        assert_eq!(
            lane.entries.len(),
            1,
            "the held entry waits for its linger time"
        );
        assert!(state.armed.is_some(), "and the timer is set for it");
    }

    #[tokio::test]
    async fn a_lane_is_due_as_soon_as_its_bytes_or_entries_fill_a_batch() {
        let b = batcher_to_nowhere(
            BatchConfig::default()
                .max_bytes(1_000)
                .max_entries(3)
                .linger(Duration::from_secs(600)),
        );
        let queue = "http://127.0.0.1:1/000000000000/q";
        let sized = |bytes| Entry {
            bytes,
            ..delete(queue)
        };
        let shared = &b.shared;
        let mut state = shared.lock();
        let push = |state: &mut State, e: Entry| {
            state.buffered += 1;
            state.lanes.push_back(e).0
        };
        // 800 bytes in two entries: not full, not lingered.
        push(&mut state, sized(400));
        let n = push(&mut state, sized(400));
        let take = |state: &mut State| shared.take_due(state, Some(n), Instant::now());
        assert!(take(&mut state).is_none());
        // A third entry of 400 would pass 1,000 bytes: the first two go now.
        push(&mut state, sized(400));
        let due = take(&mut state).expect("full by bytes");
        assert_eq!((due.batch.len(), due.bytes, due.reason), (2, 800, "size"));
        let lane = state.lanes.get_mut(n).unwrap();
        assert_eq!((lane.entries.len(), lane.bytes), (1, 400));
        // Three small entries fill a batch by count.
        push(&mut state, sized(10));
        assert!(take(&mut state).is_none());
        push(&mut state, sized(10));
        let due = take(&mut state).expect("full by count");
        assert_eq!((due.batch.len(), due.bytes, due.reason), (3, 420, "size"));
        assert_eq!(state.lanes.get_mut(n).unwrap().bytes, 0);
    }

    #[tokio::test]
    async fn idle_senders_are_kept_up_to_a_bound_and_let_go_when_closing_ends() {
        let b = batcher_to_nowhere(BatchConfig::default());
        // Senders whose batches ended offer to take the next one.
        let mut waiting: Vec<_> = (0..=MAX_IDLE_SENDERS)
            .map(|_| {
                let (next, handed) = oneshot::channel();
                b.shared
                    .finished(0, "DeleteMessageBatch", Vec::new(), Some(next));
                handed
            })
            .collect();
        let mut over = waiting.pop().unwrap();
        assert!(
            matches!(over.try_recv(), Err(oneshot::error::TryRecvError::Closed)),
            "the sender over the bound ends"
        );
        assert_eq!(b.shared.lock().idle_senders.len(), MAX_IDLE_SENDERS);
        assert!(b.close().await.is_empty());
        for mut handed in waiting {
            assert!(
                matches!(handed.try_recv(), Err(oneshot::error::TryRecvError::Closed)),
                "an idle sender ends when closing is over"
            );
        }
    }

    #[tokio::test]
    async fn a_batch_handed_to_a_sender_task_that_is_gone_is_sent_by_a_new_one() {
        let b = batcher_to_nowhere(BatchConfig::default().linger(Duration::from_secs(600)));
        // A sender task that ended (its runtime shut down, or it panicked) while waiting.
        let (gone, handed) = oneshot::channel();
        drop(handed);
        b.shared.lock().idle_senders.push(gone);
        let call = b.delete_message("http://127.0.0.1:1/000000000000/q", "rh");
        let flush = async {
            tokio::task::yield_now().await;
            b.flush().await;
        };
        let (result, ()) =
            tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(call, flush) })
                .await
                .expect("the batch was sent and answered, not left with the sender that is gone");
        // Nothing listens on port 1: the one attempt fails to connect.
        let err = result.unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Transport, "{err}");
        let state = b.shared.lock();
        assert!(
            state.idle() && state.idle_senders.len() == 1,
            "the new sender waits"
        );
    }

    #[tokio::test]
    async fn a_caller_whose_batch_ends_without_an_answer_learns_it_may_have_been_sent() {
        let (tx, rx) = oneshot::channel::<Answer<()>>();
        drop(tx);
        let err = outcome(rx, "DeleteMessage").await.unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Closed);
        assert!(
            err.message().contains("may or may not have been sent"),
            "{err}"
        );
    }

    #[test]
    fn lanes_of_queues_no_longer_used_are_given_up_and_their_slots_reused() {
        let mut lanes = Lanes::default();
        let hot = "http://127.0.0.1:1/000000000000/hot";
        // A batch of the hot queue stays in flight the whole time.
        lanes.push_back(delete(hot));
        let h = lanes.find(Kind::Delete, hot);
        let lane = lanes.get_mut(h).unwrap();
        lane.entries.clear();
        lane.in_flight = 1;
        for i in 0..100 {
            let url = format!("http://127.0.0.1:1/000000000000/short-lived-{i}");
            lanes.push_back(delete(&url));
            let n = lanes.find(Kind::Delete, &url);
            // Not given up while it has entries queued, nor while its batch is in flight.
            lanes.release_if_idle(n);
            let lane = lanes.get_mut(n).unwrap();
            assert_eq!(&*lane.key.queue_url, url);
            lane.entries.clear();
            lane.in_flight = 1;
            lanes.release_if_idle(n);
            assert!(lanes.get_mut(n).is_some());
            lanes.get_mut(n).unwrap().in_flight = 0;
            lanes.release_if_idle(n);
            assert!(lanes.get_mut(n).is_none());
        }
        // One slot for the hot queue and one reused by the hundred others, in turn.
        assert_eq!(lanes.lanes.len(), 2);
        assert_eq!(lanes.by_url.len(), 1);
        assert_eq!(lanes.find(Kind::Delete, hot), h);
        assert_eq!(lanes.get_mut(h).unwrap().in_flight, 1);
        // A queue seen before gets a lane of its own again.
        let again = "http://127.0.0.1:1/000000000000/short-lived-7";
        lanes.push_back(delete(again));
        let n = lanes.find(Kind::Delete, again);
        assert_ne!(n, h);
        assert_eq!(lanes.get_mut(n).unwrap().entries.len(), 1);
        assert_eq!(&*lanes.get_mut(n).unwrap().key.queue_url, again);
    }
}
