//! What a consumer's tasks share, how they stop, and the handle that stops them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::{Batcher, Client};

use super::options::*;

#[derive(Debug)]
pub(super) struct Shared {
    pub(super) client: Client,
    pub(super) batcher: Batcher,
    pub(super) queue_url: String,
    pub(super) hook: Option<Arc<dyn MessageHook>>,
    pub(super) visibility: Option<i32>,
    /// Receipt handles received and not yet settled, with when they were received.
    pub(super) in_flight: Mutex<HashMap<String, Instant>>,
    /// Whether a heartbeat keeps handed-out messages hidden.
    pub(super) heartbeat: bool,
    pub(super) stop: AtomicBool,
    pub(super) stopped: Notify,
    pub(super) released: AtomicU64,
    /// Hand-backs under way (each a ChangeMessageVisibility to 0 through the batcher), awaited
    /// at shutdown so that none is left unsent.
    pub(super) releases: Mutex<JoinSet<()>>,
}

/// Resolves once the consumer is asked to stop (at once if it already was).
pub(super) async fn until_stopped(shared: &Shared) {
    let notified = shared.stopped.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    if shared.stopping() {
        return;
    }
    notified.await;
}

impl Shared {
    /// The handle SQS knows.
    pub(super) fn sqs_handle<'a>(&self, handle: &'a str) -> &'a str {
        match &self.hook {
            Some(h) => h.sqs_handle(handle),
            None => handle,
        }
    }

    pub(super) fn settle(&self, handle: &str) {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(handle);
    }

    pub(super) fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Gives a message back at once (visibility 0), in the background; a shutdown waits for it
    /// (see [`Shared::wind_down`]).
    pub(super) fn release(&self, handle: String) {
        self.settle(&handle);
        self.released.fetch_add(1, Ordering::Relaxed);
        // The task holds no `Shared` (which owns it), so that dropping the consumer frees both.
        let batcher = self.batcher.clone();
        let queue_url = self.queue_url.clone();
        let sqs_handle = self.sqs_handle(&handle).to_owned();
        let mut releases = self.releases.lock().unwrap_or_else(|p| p.into_inner());
        // Finished ones are dropped here, so a long-running consumer does not collect them.
        while releases.try_join_next().is_some() {}
        releases.spawn(async move {
            let _ = batcher
                .change_message_visibility(queue_url, sqs_handle, 0)
                .await;
        });
    }

    /// The end of a shutdown: waits until `deadline` for the background tasks (a receive under
    /// way gives what it brings back before its task ends) and the hand-backs, stops what is
    /// left, then waits for the acknowledgements queued so far.
    pub(super) async fn wind_down(&self, tasks: &mut JoinSet<()>, deadline: Instant) {
        while let Ok(Some(_)) = tokio::time::timeout_at(deadline, tasks.join_next()).await {}
        tasks.shutdown().await;
        let mut releases =
            std::mem::take(&mut *self.releases.lock().unwrap_or_else(|p| p.into_inner()));
        while let Ok(Some(_)) = tokio::time::timeout_at(deadline, releases.join_next()).await {}
        releases.shutdown().await;
        self.batcher.flush().await;
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // A consumer dropped without `shutdown`: hand-backs under way still go out.
        self.releases
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .detach_all();
    }
}

/// Asks a consumer to stop; cheap to clone, usable from anywhere (a signal handler, say).
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    pub(super) shared: Arc<Shared>,
}

impl ShutdownHandle {
    /// Stops receiving. The stream ends once what it holds has been released; `process`
    /// finishes its running handlers first.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.stopped.notify_waiters();
    }
}
