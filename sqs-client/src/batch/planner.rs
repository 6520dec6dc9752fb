//! What is due: the shared state, the choice of the next batch of a lane (size, bytes, linger,
//! backoff, the in-flight limits: the total and each lane's share of it, one batch at a time per
//! FIFO queue) and the timer task that starts batches whose time came.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Notify, Semaphore, oneshot};
use tokio::time::Instant;

use crate::Client;

use super::buffer::*;
use super::config::*;
use super::entry::*;

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) batches: AtomicU64,
    pub(super) entries: AtomicU64,
    pub(super) retried: AtomicU64,
}

/// What every clone of a [`Batcher`], its timer task and its batches in flight share.
pub(super) struct Shared {
    pub(super) client: Client,
    pub(super) config: BatchConfig,
    pub(super) stats: Counters,
    /// Room in the buffer: a permit per entry not yet sent for the first time.
    pub(super) room: Semaphore,
    pub(super) state: Mutex<State>,
    /// Wakes the timer task: a due time came closer, or a flush or close began.
    pub(super) wake: Notify,
    /// The runtime the batcher was made in, where its batches run.
    pub(super) runtime: tokio::runtime::Handle,
}

pub(super) struct State {
    pub(super) lanes: Lanes,
    /// Entries queued in the lanes, retries included.
    pub(super) buffered: usize,
    /// Batches in flight.
    pub(super) running: usize,
    /// Sender tasks waiting for a batch, the one that waited least last.
    pub(super) idle_senders: Vec<oneshot::Sender<Due>>,
    /// Flushes and closes waiting for nothing to be queued or in flight.
    pub(super) idle_waiters: Vec<oneshot::Sender<()>>,
    /// A flush or close is under way: batches go without waiting for their linger time.
    pub(super) flushing: bool,
    /// When the timer task looks next (`None`: when it is woken).
    pub(super) armed: Option<Instant>,
    /// No more entries are taken.
    pub(super) closed: bool,
    /// Closing is over: what was queued was returned; batches still in flight answer their
    /// callers but queue nothing again.
    pub(super) ended: bool,
}

impl State {
    pub(super) fn idle(&self) -> bool {
        self.buffered == 0 && self.running == 0
    }

    /// When something becomes due: a linger time running out or a retry's backoff ending
    /// (`None` while no batch could start anyway).
    pub(super) fn next_wake(&self, config: &BatchConfig) -> Option<Instant> {
        if self.running >= config.max_in_flight {
            // Nothing can start before a batch ends, and its end starts what is due.
            return None;
        }
        let share = self.lanes.share(config.max_in_flight);
        self.lanes
            .iter()
            // A lane at its share starts again when one of its batches ends.
            .filter(|lane| !lane.held() && lane.in_flight < share)
            .filter_map(|lane| lane.entries.front())
            .map(|e| {
                if self.flushing {
                    e.not_before
                } else {
                    config.lingered_at(e.queued).max(e.not_before)
                }
            })
            .min()
    }
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding the lock; if something did, the state is still whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the timer task look again by `at` at the latest.
    pub(super) fn wake_by(&self, state: &mut State, at: Instant) {
        if state.armed.is_none_or(|armed| armed > at) {
            state.armed = Some(at);
            self.wake.notify_one();
        }
    }

    /// Starts every batch that is due, of lane `only` or of every lane, as far as
    /// `max_in_flight` allows.
    pub(super) fn dispatch(self: &Arc<Self>, state: &mut State, only: Option<usize>, now: Instant) {
        while let Some(start) = self.take_start(state, only, now) {
            self.start(start);
        }
    }

    /// [`take_due`](Self::take_due), with the idle sender task to send the batch, if any.
    pub(super) fn take_start(
        &self,
        state: &mut State,
        only: Option<usize>,
        now: Instant,
    ) -> Option<Start> {
        let due = self.take_due(state, only, now)?;
        Some(Start {
            due,
            idle: state.idle_senders.pop(),
        })
    }

    /// Takes the next batch that is due, of lane `only` or of any lane, out of its lane (as far
    /// as `max_in_flight` allows); [`start`](Self::start) sends it.
    pub(super) fn take_due(
        &self,
        state: &mut State,
        only: Option<usize>,
        now: Instant,
    ) -> Option<Due> {
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
        let share = lanes.share(config.max_in_flight);
        for n in slots {
            let Some(Some(lane)) = lanes.lanes.get_mut(n) else {
                continue;
            };
            if *running >= config.max_in_flight || lane.held() || lane.in_flight >= share {
                continue;
            }
            let Some(front) = lane.entries.front() else {
                continue;
            };
            if front.not_before > now {
                continue;
            }
            let lingered = now >= config.lingered_at(front.queued);
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
}

/// A batch taken out of its lane and the idle sender task that is to send it.
pub(super) struct Start {
    pub(super) due: Due,
    pub(super) idle: Option<oneshot::Sender<Due>>,
}

/// A batch taken out of its lane, to be sent.
pub(super) struct Due {
    pub(super) lane: usize,
    pub(super) key: Key,
    pub(super) batch: Vec<Entry>,
    pub(super) bytes: usize,
    pub(super) reason: &'static str,
}

/// The timer task: starts batches whose linger time or retry backoff ran out, and whatever a
/// flush or close asks for, until closing is over.
pub(super) async fn tick(shared: Arc<Shared>) {
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

pub(super) async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
