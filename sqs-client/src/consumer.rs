//! A consumer: a receive loop (long polling, on demand) yielding messages as a stream, each to
//! be acknowledged, handed back or kept longer; a visibility heartbeat for messages being
//! worked on; `process` for the common case; graceful shutdown.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::error::Error;
use crate::types::{Message, MessageSystemAttributeName};
use crate::{Batcher, Client};

/// A boxed future, as [`MessageHook`] methods return.
pub type HookFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a consumer does to each message between receiving it and handing it out, and after
/// deleting it: the seam through which `sqs-extended` makes a consumer resolve offloaded
/// payloads and clean them up.
pub trait MessageHook: std::fmt::Debug + Send + Sync + 'static {
    /// Adjusts each receive request (to ask for the attributes the hook needs).
    fn prepare(&self, input: &mut crate::operation::ReceiveMessageInput);
    /// Turns a received message into the one handed out: `None` drops it (the hook dealt with
    /// it), `Some(Err(why))` reports it as an error of kind
    /// [`ErrorKind::Payload`](crate::ErrorKind::Payload) (the message comes back after its
    /// visibility timeout).
    fn resolve<'a>(
        &'a self,
        queue_url: &'a str,
        message: Message,
    ) -> HookFuture<'a, Option<Result<Message, String>>>;
    /// The receipt handle SQS knows, for a handle `resolve` handed out.
    fn sqs_handle<'a>(&self, handle: &'a str) -> &'a str;
    /// Called once SQS deleted the message whose handed-out handle this is.
    fn deleted<'a>(&'a self, handle: &'a str) -> HookFuture<'a, Result<(), String>>;
}

/// Options of a [`Consumer`]; made by [`Client::consumer`].
#[derive(Debug, Clone)]
#[must_use = "a consumer builder does nothing until `build` is called"]
pub struct ConsumerBuilder {
    client: Client,
    queue_url: String,
    max_messages: i32,
    wait_time: i32,
    visibility_timeout: Option<i32>,
    prefetch: usize,
    heartbeat: Option<Duration>,
    attribute_names: Vec<String>,
    shutdown_timeout: Duration,
    batcher: Option<Batcher>,
    hook: Option<Arc<dyn MessageHook>>,
}

impl Client {
    /// A consumer of one queue. See [`ConsumerBuilder`] for its options.
    pub fn consumer(&self, queue_url: impl Into<String>) -> ConsumerBuilder {
        ConsumerBuilder {
            client: self.clone(),
            queue_url: queue_url.into(),
            max_messages: 10,
            wait_time: 20,
            visibility_timeout: None,
            prefetch: 10,
            heartbeat: None,
            attribute_names: vec!["All".to_owned()],
            shutdown_timeout: Duration::from_secs(30),
            batcher: None,
            hook: None,
        }
    }
}

impl ConsumerBuilder {
    /// Messages asked for per receive, 1 to 10 (default 10).
    pub fn max_messages(mut self, n: i32) -> Self {
        self.max_messages = n.clamp(1, 10);
        self
    }
    /// Long-polling wait per receive in seconds, 0 to 20 (default 20).
    pub fn wait_time_seconds(mut self, seconds: i32) -> Self {
        self.wait_time = seconds.clamp(0, 20);
        self
    }
    /// Visibility timeout given to received messages, in seconds (default: the queue's; 30 s
    /// when a heartbeat is set).
    pub fn visibility_timeout(mut self, seconds: i32) -> Self {
        self.visibility_timeout = Some(seconds.clamp(0, 43_200));
        self
    }
    /// Received messages held for the stream before it asks for more (default 10). Handler
    /// concurrency is set separately, in [`Consumer::process`].
    pub fn prefetch(mut self, messages: usize) -> Self {
        self.prefetch = messages.max(1);
        self
    }
    /// Extends the visibility of every message handed out and not yet settled at this
    /// interval, by the visibility timeout (which should be a few intervals long).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = Some(every.max(Duration::from_millis(100)));
        self
    }
    /// Message attributes to receive (default `All`).
    pub fn message_attribute_names(mut self, names: Vec<String>) -> Self {
        self.attribute_names = names;
        self
    }
    /// How long a shutdown waits, after it is asked for, for running handlers to finish (in
    /// [`Consumer::process`]) and for a receive under way to return (default 30 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }
    /// Acknowledges through this batcher instead of one of the consumer's own.
    pub fn batcher(mut self, batcher: Batcher) -> Self {
        self.batcher = Some(batcher);
        self
    }

    /// Passes every message through `hook` (how `sqs-extended` resolves offloaded payloads).
    pub fn hook(mut self, hook: Arc<dyn MessageHook>) -> Self {
        self.hook = Some(hook);
        self
    }

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
        let (tx, rx) = mpsc::channel(self.prefetch);
        let mut tasks = JoinSet::new();
        tasks.spawn(receive_loop(Arc::clone(&shared), self.clone(), tx));
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

#[derive(Debug)]
struct Shared {
    client: Client,
    batcher: Batcher,
    queue_url: String,
    hook: Option<Arc<dyn MessageHook>>,
    visibility: Option<i32>,
    /// Receipt handles received and not yet settled, with when they were received.
    in_flight: Mutex<HashMap<String, Instant>>,
    /// Whether a heartbeat keeps handed-out messages hidden.
    heartbeat: bool,
    stop: AtomicBool,
    stopped: Notify,
    released: AtomicU64,
    /// Hand-backs under way (each a ChangeMessageVisibility to 0 through the batcher), awaited
    /// at shutdown so that none is left unsent.
    releases: Mutex<JoinSet<()>>,
}

/// Resolves once the consumer is asked to stop (at once if it already was).
async fn until_stopped(shared: &Shared) {
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
    fn sqs_handle<'a>(&self, handle: &'a str) -> &'a str {
        match &self.hook {
            Some(h) => h.sqs_handle(handle),
            None => handle,
        }
    }

    fn settle(&self, handle: &str) {
        self.in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(handle);
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Gives a message back at once (visibility 0), in the background; a shutdown waits for it
    /// (see [`Shared::wind_down`]).
    fn release(&self, handle: String) {
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
    async fn wind_down(&self, tasks: &mut JoinSet<()>, deadline: Instant) {
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
    shared: Arc<Shared>,
}

impl ShutdownHandle {
    /// Stops receiving. The stream ends once what it holds has been released; `process`
    /// finishes its running handlers first.
    pub fn shutdown(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.stopped.notify_waiters();
    }
}

/// A received message, to be settled with [`ack`](Self::ack), [`nack`](Self::nack) or left
/// to its visibility timeout (dropping it unsettled stops its heartbeat).
#[derive(Debug)]
pub struct Delivery {
    message: Message,
    handle: String,
    shared: Arc<Shared>,
    settled: bool,
}

impl Delivery {
    /// The message.
    pub fn message(&self) -> &Message {
        &self.message
    }
    /// The body (empty if the service sent none).
    pub fn body(&self) -> &str {
        self.message.body.as_deref().unwrap_or_default()
    }
    /// Deletes the message (through the batcher): it was handled.
    pub async fn ack(mut self) -> Result<(), Error> {
        self.settled = true;
        self.shared.settle(&self.handle);
        self.shared
            .batcher
            .delete_message(&self.shared.queue_url, self.shared.sqs_handle(&self.handle))
            .await?;
        if let Some(hook) = &self.shared.hook {
            hook.deleted(&self.handle)
                .await
                .map_err(|why| Error::payload(format!("the message was deleted, but: {why}")))?;
        }
        Ok(())
    }
    /// Hands the message back, to be received again after `delay` (0 for at once).
    pub async fn nack(mut self, delay: Duration) -> Result<(), Error> {
        self.settled = true;
        self.shared.settle(&self.handle);
        let seconds = i32::try_from(delay.as_secs()).unwrap_or(43_200).min(43_200);
        self.shared
            .batcher
            .change_message_visibility(
                &self.shared.queue_url,
                self.shared.sqs_handle(&self.handle),
                seconds,
            )
            .await
    }
    /// Keeps the message hidden for `by` from now on.
    pub async fn extend(&self, by: Duration) -> Result<(), Error> {
        let seconds = i32::try_from(by.as_secs()).unwrap_or(43_200).min(43_200);
        self.shared
            .batcher
            .change_message_visibility(
                &self.shared.queue_url,
                self.shared.sqs_handle(&self.handle),
                seconds,
            )
            .await
    }
    /// Consumes the delivery, keeping the message unsettled (it reappears after its
    /// visibility timeout).
    pub fn into_message(mut self) -> Message {
        self.settled = true;
        self.shared.settle(&self.handle);
        std::mem::take(&mut self.message)
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if !self.settled {
            self.shared.settle(&self.handle);
        }
    }
}

/// A stream of received messages (see [`Client::consumer`]).
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
    rx: mpsc::Receiver<Result<Delivery, Error>>,
    shared: Arc<Shared>,
    tasks: JoinSet<()>,
    shutdown_timeout: Duration,
}

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

    fn release_buffered(&mut self) {
        self.rx.close();
        while let Ok(item) = self.rx.try_recv() {
            if let Ok(mut d) = item {
                d.settled = true;
                self.shared.release(std::mem::take(&mut d.handle));
            }
        }
    }

    /// Runs `handler` on each message, up to `concurrency` at once, until the consumer is shut
    /// down (see [`shutdown_handle`](Self::shutdown_handle)) or its queue fails for good.
    /// `Ok` deletes the message, `Err` hands it back at once. Messages of one FIFO message group
    /// are handled one at a time, in order. At shutdown, running handlers get
    /// [`ConsumerBuilder::shutdown_timeout`] to finish, held messages are given back (those of
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
enum Outcome {
    Acked,
    Nacked,
    SettleFailed,
}

impl Outcome {
    fn count(self, s: &mut ProcessSummary) {
        match self {
            Outcome::Acked => s.acked += 1,
            Outcome::Nacked => s.nacked += 1,
            Outcome::SettleFailed => s.settle_errors += 1,
        }
    }
}

fn group_of(m: &Message) -> Option<String> {
    m.attributes
        .as_ref()
        .and_then(|a| a.get(&MessageSystemAttributeName::MessageGroupId))
        .cloned()
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

async fn receive_loop(
    shared: Arc<Shared>,
    options: ConsumerBuilder,
    tx: mpsc::Sender<Result<Delivery, Error>>,
) {
    let mut failures = 0u32;
    let system = vec![MessageSystemAttributeName::All];
    while !shared.stopping() {
        // Receive only as many as there is room for (prefetch on demand).
        let room = tx.capacity();
        if room == 0 {
            tokio::select! {
                permit = tx.reserve() => match permit {
                    Ok(p) => drop(p),
                    Err(_) => return,
                },
                _ = until_stopped(&shared) => return,
            }
            continue;
        }
        let n = (room as i32).min(options.max_messages);
        let mut request = shared
            .client
            .receive_message()
            .queue_url(&shared.queue_url)
            .max_number_of_messages(n)
            .wait_time_seconds(options.wait_time)
            .set_message_attribute_names(Some(options.attribute_names.clone()))
            .set_message_system_attribute_names(Some(system.clone()));
        if let Some(v) = shared.visibility {
            request = request.visibility_timeout(v);
        }
        let mut input = request.input;
        if let Some(hook) = &shared.hook {
            hook.prepare(&mut input);
        }
        let sent_at = Instant::now();
        // Digests are checked per message, so that one damaged message does not cost the
        // others of its receive. A shutdown does not cut the receive short: the service may
        // already have handed it messages, hidden for their visibility timeout if dropped here.
        let result = shared.client.receive_each_ref(&input).await;
        match result {
            Ok(messages) => {
                failures = 0;
                for message in messages {
                    if shared.stopping() {
                        // Given back at once, unresolved and unchecked.
                        let m = match message {
                            Ok(m) => m,
                            Err(damaged) => *damaged.message,
                        };
                        if let Some(handle) = m.receipt_handle {
                            shared.release(handle);
                        }
                        continue;
                    }
                    let message = match message {
                        Ok(m) => m,
                        // Not delivered and not given back at once: it reappears after its
                        // visibility timeout.
                        Err(damaged) => {
                            if tx.send(Err(damaged.error)).await.is_err() {
                                return;
                            }
                            continue;
                        }
                    };
                    let message = match &shared.hook {
                        None => message,
                        Some(hook) => match hook.resolve(&shared.queue_url, message).await {
                            None => continue,
                            Some(Ok(m)) => m,
                            Some(Err(why)) => {
                                let _ = tx.send(Err(Error::payload(why))).await;
                                continue;
                            }
                        },
                    };
                    let Some(handle) = message.receipt_handle.clone() else {
                        continue;
                    };
                    shared
                        .in_flight
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(handle.clone(), sent_at);
                    let d = Delivery {
                        message,
                        handle,
                        shared: Arc::clone(&shared),
                        settled: false,
                    };
                    if let Err(mpsc::error::SendError(Ok(mut d))) = tx.send(Ok(d)).await {
                        // Nobody is listening any more: give the message back.
                        d.settled = true;
                        shared.release(std::mem::take(&mut d.handle));
                    }
                }
            }
            Err(e) => {
                let fatal = !e.is_retryable();
                failures += 1;
                let _ = tx.send(Err(e)).await;
                if fatal && failures >= 3 {
                    // The queue is gone or forbidden: stop rather than spin.
                    shared.stop.store(true, Ordering::SeqCst);
                    shared.stopped.notify_waiters();
                    return;
                }
                let pause = Duration::from_millis(200 * u64::from(failures.min(25)));
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = until_stopped(&shared) => return,
                }
            }
        }
    }
}

async fn heartbeat_loop(shared: Arc<Shared>, every: Duration, visibility: i32) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = until_stopped(&shared) => return,
        }
        if shared.stopping() {
            return;
        }
        let handles: Vec<String> = shared
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        let mut extensions = JoinSet::new();
        for h in handles {
            let shared = Arc::clone(&shared);
            extensions.spawn(async move {
                let _ = shared
                    .batcher
                    .change_message_visibility(&shared.queue_url, shared.sqs_handle(&h), visibility)
                    .await;
                // Extended: the buffer's expiry clock starts again.
                if let Some(at) = shared
                    .in_flight
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_mut(&h)
                {
                    *at = Instant::now();
                }
            });
        }
        while extensions.join_next().await.is_some() {}
    }
}
