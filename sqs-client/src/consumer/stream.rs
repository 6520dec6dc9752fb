//! The consumer as a stream: started by `ConsumerBuilder::build`, fed by the receive loop,
//! stopped by `shutdown`.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::Batcher;
use crate::error::Error;

use super::delivery::*;
use super::heartbeat::*;
use super::options::*;
use super::receive::*;
use super::shared::*;

impl ConsumerBuilder {
    /// Starts receiving. Must be called within a tokio runtime.
    pub fn build(self) -> Consumer {
        let visibility = self.visibility_timeout.or(self.heartbeat.map(|_| 30));
        let batcher = self
            .batcher
            .clone()
            .unwrap_or_else(|| Batcher::new(self.client.clone()));
        let shared = Arc::new(Shared {
            client: self.client.clone(),
            batcher,
            queue_url: self.queue_url.clone(),
            hook: self.hook.clone(),
            visibility,
            in_flight: Mutex::new(HashMap::new()),
            heartbeat: self.heartbeat.is_some() && visibility.is_some(),
            stop: AtomicBool::new(false),
            stopped: Notify::new(),
            released: AtomicU64::new(0),
            releases: Mutex::new(JoinSet::new()),
        });
        // Several receivers each need room for a receive's worth of messages.
        let per_receive = usize::try_from(self.max_messages).unwrap_or(10);
        let prefetch = if self.receivers > 1 {
            self.prefetch.max(per_receive * self.receivers)
        } else {
            self.prefetch
        };
        let (tx, rx) = mpsc::channel(prefetch);
        let mut tasks = JoinSet::new();
        for _ in 0..self.receivers {
            tasks.spawn(receive_loop(Arc::clone(&shared), self.clone(), tx.clone()));
        }
        drop(tx);
        if let (Some(every), Some(v)) = (self.heartbeat, visibility) {
            tasks.spawn(heartbeat_loop(Arc::clone(&shared), every, v));
        }
        Consumer {
            rx,
            shared,
            tasks,
            shutdown_timeout: self.shutdown_timeout,
        }
    }
}

/// A stream of received messages (see [`Client::consumer`](crate::Client::consumer)).
///
/// Errors in the stream do not end it: a failed receive is retried after a pause, and a message
/// whose body or attribute digest does not match is yielded as an error of kind
/// [`ErrorKind::ChecksumMismatch`](crate::ErrorKind::ChecksumMismatch) naming it (it is not
/// delivered and reappears after its visibility timeout) while the other messages of the same
/// receive are delivered.
///
/// # Cancel safety
///
/// Dropping the consumer stops receiving; messages it held and had not yielded reappear after
/// their visibility timeout (call [`shutdown`](Self::shutdown) to give them back at once).
#[derive(Debug)]
pub struct Consumer {
    pub(super) rx: mpsc::Receiver<Result<Delivery, Error>>,
    pub(super) shared: Arc<Shared>,
    pub(super) tasks: JoinSet<()>,
    pub(super) shutdown_timeout: Duration,
}

impl Consumer {
    /// A handle to stop this consumer from elsewhere.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Stops receiving, gives back every message held and not yet yielded (visibility 0), and
    /// waits until acknowledgements made so far have been sent.
    ///
    /// A receive under way is not cut short: the service may already have handed it messages,
    /// which would otherwise stay hidden for their visibility timeout. It is waited for (at most
    /// the wait time, and at most [`ConsumerBuilder::shutdown_timeout`]) and what it brings is
    /// given back at once.
    pub async fn shutdown(mut self) {
        self.shutdown_handle().shutdown();
        self.release_buffered();
        let deadline = Instant::now() + self.shutdown_timeout;
        self.shared.wind_down(&mut self.tasks, deadline).await;
    }

    pub(super) fn release_buffered(&mut self) {
        self.rx.close();
        while let Ok(item) = self.rx.try_recv() {
            if let Ok(mut d) = item {
                d.settled = true;
                self.shared.release(std::mem::take(&mut d.handle));
            }
        }
    }
}

impl futures_core::Stream for Consumer {
    type Item = Result<Delivery, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.shared.stopping() {
                self.release_buffered();
                return Poll::Ready(None);
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(mut d))) => {
                    // Semantic 7: a message that sat here past its visibility timeout may already
                    // be someone else's; give it back instead of delivering it.
                    let received = self
                        .shared
                        .in_flight
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get(&d.handle)
                        .copied();
                    let expired = match (self.shared.visibility, received) {
                        (Some(v), Some(at)) if !self.shared.heartbeat => {
                            at.elapsed() >= Duration::from_secs(u64::try_from(v).unwrap_or(0))
                        }
                        _ => false,
                    };
                    if expired {
                        d.settled = true;
                        let handle = std::mem::take(&mut d.handle);
                        self.shared.release(handle);
                        continue;
                    }
                    return Poll::Ready(Some(Ok(d)));
                }
                other => return other,
            }
        }
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.stopped.notify_waiters();
    }
}
