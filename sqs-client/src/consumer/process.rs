//! `Consumer::process`: a handler on each message, bounded concurrency, one message at a time
//! per FIFO group, and a summary at the end.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::types::{Message, MessageSystemAttributeName};

use super::delivery::*;
use super::shared::*;
use super::stream::*;

/// What [`Consumer::process`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProcessSummary {
    /// Messages whose handler succeeded, deleted.
    pub acked: u64,
    /// Messages whose handler failed, handed back.
    pub nacked: u64,
    /// Messages received but not handled, handed back at shutdown (or expired in the buffer).
    pub released: u64,
    /// Acknowledgements that failed (the message will be received again).
    pub settle_errors: u64,
    /// Receive errors seen.
    pub receive_errors: u64,
}

impl Consumer {
    /// Runs `handler` on each message, up to `concurrency` at once, until the consumer is shut
    /// down (see [`shutdown_handle`](Self::shutdown_handle)) or its queue fails for good.
    /// `Ok` deletes the message, `Err` hands it back at once. Messages of one FIFO message group
    /// are handled one at a time, in order. At shutdown, running handlers get
    /// [`ConsumerBuilder::shutdown_timeout`](crate::ConsumerBuilder::shutdown_timeout) to finish, held messages are given back (those of
    /// a receive under way too, once it returns: see [`shutdown`](Self::shutdown)), and
    /// acknowledgements are flushed.
    pub async fn process<F, Fut, E>(mut self, concurrency: usize, handler: F) -> ProcessSummary
    where
        F: Fn(Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let handler = Arc::new(handler);
        let concurrency = concurrency.max(1);
        let mut summary = ProcessSummary::default();
        let mut running: JoinSet<(Option<String>, Outcome)> = JoinSet::new();
        // FIFO: deliveries waiting for their group's running handler to finish.
        let mut waiting: HashMap<String, VecDeque<Delivery>> = HashMap::new();
        let mut busy_groups: HashSet<String> = HashSet::new();
        let spawn = |running: &mut JoinSet<(Option<String>, Outcome)>, d: Delivery| {
            let handler = Arc::clone(&handler);
            let group = group_of(d.message());
            running.spawn(async move {
                let message = d.message.clone();
                let outcome = match handler(message).await {
                    Ok(()) => match d.ack().await {
                        Ok(()) => Outcome::Acked,
                        Err(_) => Outcome::SettleFailed,
                    },
                    Err(e) => {
                        tracing::info!(error = %e, "handler failed; message handed back");
                        match d.nack(Duration::ZERO).await {
                            Ok(()) => Outcome::Nacked,
                            Err(_) => Outcome::SettleFailed,
                        }
                    }
                };
                (group, outcome)
            });
        };
        loop {
            let room = running.len() < concurrency;
            tokio::select! {
                item = self.rx.recv(), if room => match item {
                    Some(Ok(d)) => match group_of(d.message()) {
                        Some(g) if busy_groups.contains(&g) => waiting.entry(g).or_default().push_back(d),
                        Some(g) => {
                            busy_groups.insert(g);
                            spawn(&mut running, d);
                        }
                        None => spawn(&mut running, d),
                    },
                    Some(Err(e)) => {
                        summary.receive_errors += 1;
                        tracing::warn!(error = %e, "receive failed");
                    }
                    None => break,
                },
                Some(done) = running.join_next(), if !running.is_empty() => {
                    if let Ok((group, outcome)) = done {
                        outcome.count(&mut summary);
                        if let Some(g) = group {
                            match waiting.get_mut(&g).and_then(VecDeque::pop_front) {
                                Some(next) => spawn(&mut running, next),
                                None => {
                                    busy_groups.remove(&g);
                                    waiting.remove(&g);
                                }
                            }
                        }
                    }
                }
                _ = until_stopped(&self.shared) => break,
            }
        }
        // Shutdown: no new handlers; the running ones get their time, the waiting ones go back.
        self.shutdown_handle().shutdown();
        for (_, queue) in waiting.drain() {
            for mut d in queue {
                d.settled = true;
                self.shared.release(std::mem::take(&mut d.handle));
            }
        }
        self.release_buffered();
        let deadline = Instant::now() + self.shutdown_timeout;
        while !running.is_empty() {
            match tokio::time::timeout_at(deadline, running.join_next()).await {
                Ok(Some(Ok((_, outcome)))) => outcome.count(&mut summary),
                Ok(Some(Err(_))) => {}
                Ok(None) => break,
                Err(_) => {
                    running.abort_all();
                    break;
                }
            }
        }
        self.shared.wind_down(&mut self.tasks, deadline).await;
        summary.released = self.shared.released.load(Ordering::Relaxed);
        summary
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Outcome {
    Acked,
    Nacked,
    SettleFailed,
}

impl Outcome {
    pub(super) fn count(self, s: &mut ProcessSummary) {
        match self {
            Outcome::Acked => s.acked += 1,
            Outcome::Nacked => s.nacked += 1,
            Outcome::SettleFailed => s.settle_errors += 1,
        }
    }
}

pub(super) fn group_of(m: &Message) -> Option<String> {
    m.attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
        .cloned()
}
