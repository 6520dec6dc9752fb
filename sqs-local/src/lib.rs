//! An SQS-compatible service with real queue semantics, to run in-process (tests, examples,
//! development) or standalone (`sqs-local --port 9324`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let local = sqs_local::start().await?; // 127.0.0.1, a free port
//! let client = sqs_client::Client::builder()
//!     .endpoint_url(local.endpoint())
//!     .region("us-east-1")
//!     .credentials_provider(sqs_client::Credentials::new("local", "local"))
//!     .build()?;
//! let queue = client.create_queue().queue_name("jobs").send().await?.queue_url.unwrap_or_default();
//! client.send_message().queue_url(&queue).message_body("hello").send().await?;
//! local.shutdown().await; // or drop it
//! # Ok(()) }
//! ```
//!
//! # What it does
//!
//! - Speaks AWS JSON 1.0 and AWS Query (form in, XML out) for all 23 operations, with requests
//!   read and answers written by the same generated models the client uses, and errors in each
//!   protocol's form (`__type` plus `x-amzn-query-error`, or `<ErrorResponse>`).
//! - Standard queues: at-least-once delivery, visibility timeouts (queue default, per receive,
//!   ChangeMessageVisibility, 12 h cap), a new receipt handle per receive, queue and message
//!   delays, long polling that answers as soon as a message arrives, retention, maximum message
//!   size, approximate counts, MD5 digests and the system attributes.
//! - FIFO queues: per-group order (a group waits while one of its messages is in flight),
//!   deduplication by id or by SHA-256 of the body for 5 minutes, sequence numbers.
//! - Dead-letter queues: RedrivePolicy with maxReceiveCount, RedriveAllowPolicy,
//!   ListDeadLetterSourceQueues and message move tasks back to the sources.
//! - Tags, purge (once a minute), permissions (as a queue policy), ListQueues with prefixes and
//!   pages.
//!
//! State lives in memory and goes with the process. By default signatures are not checked: any
//! credentials are accepted. With [`Config::verify_signatures`] every request must be signed
//! (SigV4) with one of the configured key pairs, or it is refused as AWS refuses it
//! (`InvalidClientTokenId`, `SignatureDoesNotMatch`, HTTP 403). The expected signature is
//! computed by `aws-sigv4` from what was received (the body's own SHA-256, exactly the signed
//! headers, the `Host` the request was sent to). Not checked yet: how old `X-Amz-Date` is, and
//! the region and service of the credential scope. The access key id becomes the messages'
//! `SenderId`.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

mod auth;
mod error;
mod handler;
mod http;
mod queue;
mod service;

/// Where and as whom the service runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Address to listen on; `127.0.0.1:0` (a free port on the loopback) by default.
    pub listen: SocketAddr,
    /// Region named in queue ARNs (`us-east-1` by default).
    pub region: String,
    /// Account id in queue URLs and ARNs (`000000000000` by default).
    pub account_id: String,
    /// Host name used in queue URLs instead of the listening address (for a service reached
    /// under another name).
    pub public_host: Option<String>,
    /// Key pairs (access key id, secret) whose SigV4 signatures are accepted; empty means
    /// requests are not checked.
    pub signing_keys: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            public_host: None,
            signing_keys: Vec::new(),
        }
    }
}

impl Config {
    /// Listens on this address.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// Names this region in ARNs.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }
    /// Uses this account id in URLs and ARNs.
    pub fn account_id(mut self, account: impl Into<String>) -> Self {
        self.account_id = account.into();
        self
    }
    /// Checks every request's SigV4 signature; requests must be signed with this key pair (or
    /// another one given the same way).
    pub fn verify_signatures(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        self.signing_keys
            .push((access_key_id.into(), secret.into()));
        self
    }
    /// Writes queue URLs with this host (and the listening port).
    pub fn public_host(mut self, host: impl Into<String>) -> Self {
        self.public_host = Some(host.into());
        self
    }
}

/// A running service. It stops when dropped or on [`shutdown`](Self::shutdown); requests in
/// progress are cut off.
#[derive(Debug)]
pub struct LocalSqs {
    endpoint: String,
    addr: SocketAddr,
    account_id: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Starts a service on 127.0.0.1 with a free port and the default [`Config`].
///
/// Must be called within a tokio runtime; the service runs on it.
pub async fn start() -> std::io::Result<LocalSqs> {
    start_with(Config::default()).await
}

/// Starts a service with the given configuration.
pub async fn start_with(config: Config) -> std::io::Result<LocalSqs> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let host = match &config.public_host {
        Some(h) => h.clone(),
        None => addr.ip().to_string(),
    };
    let endpoint = format!("http://{host}:{}", addr.port());
    let mut service = service::Service::new(
        endpoint.clone(),
        config.region.clone(),
        config.account_id.clone(),
    );
    if !config.signing_keys.is_empty() {
        service.signing_keys = Some(config.signing_keys.iter().cloned().collect());
    }
    let service = Arc::new(service);
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(serve(listener, service, stopped));
    tracing::info!(%endpoint, "sqs-local listening");
    Ok(LocalSqs {
        endpoint,
        addr,
        account_id: config.account_id,
        stop: Some(stop),
        task: Some(task),
    })
}

async fn serve(
    listener: TcpListener,
    service: Arc<service::Service>,
    mut stopped: oneshot::Receiver<()>,
) {
    // Connections live in this set: when the service stops, dropping it ends them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let service = Arc::clone(&service);
                connections.spawn(async move {
                    let handler = service_fn(move |req| http::handle(Arc::clone(&service), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), handler)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

impl LocalSqs {
    /// The endpoint to give a client (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The address the service listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL a queue of this name has (whether or not it exists).
    pub fn queue_url(&self, name: &str) -> String {
        format!("{}/{}/{name}", self.endpoint, self.account_id)
    }

    /// Stops the service and waits until it no longer accepts connections.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for LocalSqs {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
