//! The batcher's handle: callers hand over single requests and wait for their own outcome.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use sqs_model::Operation as _;
use sqs_model::checks::message_size;
use sqs_model::{LengthUnit, ValidationError, ValidationProblem};
use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::time::Instant;

use crate::Client;
use crate::error::Error;
use crate::operation::*;

use super::buffer::*;
use super::close::*;
use super::config::*;
use super::entry::*;
use super::planner::*;

/// Gathers single-message requests into batch requests. Cheap to clone: clones share the
/// buffers, and the batches and the timer task run on the tokio runtime the batcher was made in.
/// When the last clone is dropped, what is buffered is sent as [`close`](Self::close) would.
///
/// ```no_run
/// # async fn run(client: sqs_client::Client, queue: String) -> Result<(), sqs_client::Error> {
/// let batcher = sqs_client::Batcher::new(client);
/// let message = sqs_client::operation::SendMessageInput::builder()
///     .queue_url(&queue)
///     .message_body("hi")
///     .build()?;
/// let sent = batcher.send_message(message).await?;
/// println!("message id {:?}", sent.message_id());
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
    pub(super) shared: Arc<Shared>,
    /// Dropped with the last clone, which sends what is left (see [`Alive`]).
    pub(super) _alive: Arc<Alive>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("config", &self.shared.config)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
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

    pub(super) async fn unit(&self, payload: Payload, op: &'static str) -> Result<(), Error> {
        let (tx, rx) = oneshot::channel();
        self.submit(payload, Reply::Unit(tx), 0, op).await?;
        outcome(rx, op).await
    }

    /// Hands an entry over: waits for room in the buffer, queues the entry in its lane, and
    /// starts the lane's batch if that filled it (or if no linger is asked for).
    pub(super) async fn submit(
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
                shared.wake_by(&mut state, shared.config.lingered_at(now));
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
