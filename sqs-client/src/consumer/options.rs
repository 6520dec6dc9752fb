//! What a consumer is told: its queue, how it receives, its heartbeat, its batcher and its hook.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::types::Message;
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

/// Options of a [`Consumer`](crate::Consumer); made by [`Client::consumer`].
#[derive(Debug, Clone)]
#[must_use = "a consumer builder does nothing until `build` is called"]
pub struct ConsumerBuilder {
    pub(super) client: Client,
    pub(super) queue_url: String,
    pub(super) max_messages: i32,
    pub(super) wait_time: i32,
    pub(super) visibility_timeout: Option<i32>,
    pub(super) prefetch: usize,
    pub(super) receivers: usize,
    pub(super) heartbeat: Option<Duration>,
    pub(super) attribute_names: Vec<String>,
    pub(super) shutdown_timeout: Duration,
    pub(super) batcher: Option<Batcher>,
    pub(super) hook: Option<Arc<dyn MessageHook>>,
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
            receivers: 1,
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
    /// concurrency is set separately, in [`Consumer::process`](crate::Consumer::process).
    pub fn prefetch(mut self, messages: usize) -> Self {
        self.prefetch = messages.max(1);
        self
    }
    /// Receives in flight at once (default 1). Each brings at most
    /// [`max_messages`](Self::max_messages) per round trip, so one receiver delivers at most ten
    /// messages per service latency: 500 per second against a service answering in 20 ms. To
    /// consume `R` messages per second at latency `L`, use about `R × L / 10` receivers. The
    /// prefetch grows to at least one receive's worth of messages per receiver when there are
    /// several.
    pub fn receivers(mut self, n: usize) -> Self {
        self.receivers = n.clamp(1, 1_000);
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
    /// [`Consumer::process`](crate::Consumer::process)) and for a receive under way to return (default 30 s).
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
}
