//! Closing: what is buffered is sent, what cannot be is handed back; also when the last handle
//! goes.

use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::buffer::*;
use super::config::*;
use super::planner::*;

/// Stops `shared` taking entries, sends what it holds and returns what it could not send; the
/// second and later calls return nothing.
pub(super) async fn close(shared: &Arc<Shared>) -> Vec<Unsent> {
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
pub(super) struct Alive(pub(super) Arc<Shared>);

impl Drop for Alive {
    fn drop(&mut self) {
        let shared = Arc::clone(&self.0);
        self.0.runtime.spawn(async move {
            close(&shared).await;
        });
    }
}
