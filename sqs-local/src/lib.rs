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
//! State lives in memory and goes with the process, unless [`Config::data_dir`] (`--data-dir`)
//! names a directory to keep it in: then queues, their attributes, tags, permissions and
//! redrive settings, messages with all their state, FIFO sequence numbers and deduplication
//! entries, and move tasks survive a restart or a crash (crate feature `data-dir`, on by
//! default; SQLite, built from its bundled source). An acknowledged send or delete is never
//! undone; see [`Config::data_dir`] for what a crash may take back.
//!
//! # Signatures and limits
//!
//! By default signatures are not checked: any credentials are accepted. With
//! [`Config::verify_signatures`] every request must be signed (SigV4) with one of the configured
//! key pairs, or it is refused as AWS refuses it (HTTP 403 with `MissingAuthenticationToken`,
//! `IncompleteSignature`, `InvalidClientTokenId` or `SignatureDoesNotMatch`). What the headers
//! alone tell is checked before the body is read: a known key id and its session token (or
//! none), the credential scope `<date>/<region>/sqs/aws4_request` for the configured region, an
//! `X-Amz-Date` within 5 minutes of the server clock, and a `SignedHeaders` list that covers
//! `host`, `x-amz-date` and, in AWS JSON, `x-amz-target` and `content-type`. Then the signature
//! is computed by `aws-sigv4` over the SHA-256 of the body bytes received. Presigned URLs and
//! `UNSIGNED-PAYLOAD` are refused. Not checked: IAM, queue policies, anything past "is this one
//! of the key pairs". A request replayed unchanged within the 5 minutes is accepted (as by AWS),
//! and plain HTTP shows every request to anyone on the path.
//!
//! Whatever the configuration, [`Limits`] bound what a peer can make the service hold:
//! connections, the size of a request body (checked from `Content-Length` before reading), and
//! the time a request head, a body, or an idle connection may take.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};

pub use config::{Config, Limits, SigningKey};

mod auth;
mod config;
mod conn;
mod error;
mod handler;
mod http;
mod queue;
mod service;
#[cfg(feature = "data-dir")]
mod store;

/// A running service. It stops when dropped or on [`shutdown`](Self::shutdown); requests in
/// progress are cut off.
#[derive(Debug)]
pub struct LocalSqs {
    endpoint: String,
    addr: SocketAddr,
    account_id: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    service: Arc<service::Service>,
}

/// Starts a service on 127.0.0.1 with a free port and the default [`Config`].
///
/// Must be called within a tokio runtime; the service runs on it.
pub async fn start() -> std::io::Result<LocalSqs> {
    start_with(Config::default()).await
}

/// Starts a service with the given configuration.
///
/// With a [`data_dir`](Config::data_dir), a directory that cannot be used (foreign, damaged,
/// written by a newer version, in use by another process) is an error of kind `InvalidData`
/// whose text names the file and what is wrong.
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
    service.limits = config.limits;
    if !config.signing_keys.is_empty() {
        let keys = config.signing_keys.iter().map(|k| {
            let pair = auth::KeyPair {
                secret: k.secret.clone(),
                token: k.session_token.clone(),
            };
            (k.access_key_id.clone(), pair)
        });
        service.verifier = Some(auth::Verifier {
            keys: keys.collect(),
            region: config.region.clone(),
        });
    }
    #[cfg(feature = "data-dir")]
    let service = match &config.data_dir {
        Some(dir) => with_data_dir(service, dir.clone(), config.lazy_sync).await?,
        None => Arc::new(service),
    };
    #[cfg(not(feature = "data-dir"))]
    let service = Arc::new(service);
    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(serve(listener, Arc::clone(&service), stopped));
    tracing::info!(%endpoint, "sqs-local listening");
    Ok(LocalSqs {
        endpoint,
        addr,
        account_id: config.account_id,
        stop: Some(stop),
        task: Some(task),
        service,
    })
}

/// The service with the state a data directory holds, and the directory's writer running.
#[cfg(feature = "data-dir")]
async fn with_data_dir(
    mut service: service::Service,
    dir: std::path::PathBuf,
    lazy: Duration,
) -> std::io::Result<Arc<service::Service>> {
    use std::io::{Error, ErrorKind};
    // Reading a large directory takes a while: off the runtime's threads.
    let (service, opened) = tokio::task::spawn_blocking(move || {
        let mut opened = store::open(&dir).map_err(|e| Error::new(ErrorKind::InvalidData, e.0))?;
        let loaded = std::mem::take(&mut opened.loaded);
        let state = store::restore(&service, loaded).map_err(|e| {
            let file = dir.join(store::FILE);
            Error::new(ErrorKind::InvalidData, format!("{}: {e}", file.display()))
        })?;
        service.state = std::sync::Mutex::new(state);
        Ok::<_, Error>((service, opened))
    })
    .await
    .map_err(Error::other)??;
    let mut started = None;
    let service = Arc::new_cyclic(|me| {
        let mut service = service;
        match opened.start(me.clone(), lazy) {
            Ok(store) => service.store = Some(store),
            Err(e) => started = Some(e),
        }
        service
    });
    if let Some(e) = started {
        return Err(e);
    }
    service.resume_move_tasks();
    Ok(service)
}

async fn serve(
    listener: TcpListener,
    service: Arc<service::Service>,
    mut stopped: oneshot::Receiver<()>,
) {
    let limits = service.limits;
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    // Connections live in this set: when the service stops, dropping it ends them all.
    let mut connections = JoinSet::new();
    let mut backoff = Duration::ZERO;
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors (EMFILE, ENFILE) or memory: accepting again at
                        // once would fail the same way, so wait, longer each time (up to 1 s).
                        backoff = (backoff * 2).clamp(Duration::from_millis(5), Duration::from_secs(1));
                        tracing::warn!(error = %e, backoff_ms = backoff.as_millis() as u64, "sqs-local cannot accept");
                        tokio::select! {
                            _ = &mut stopped => break,
                            _ = tokio::time::sleep(backoff) => continue,
                        }
                    }
                };
                backoff = Duration::ZERO;
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    refuse(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let service = Arc::clone(&service);
                connections.spawn(async move {
                    let watch = conn::Watch::new(limits.idle_timeout);
                    let io = conn::TimedIo::new(stream, watch.clone(), limits.header_timeout);
                    let handler = service_fn(move |req| {
                        http::handle(Arc::clone(&service), watch.busy(), req)
                    });
                    let _ = http1::Builder::new()
                        // Our own header timeout runs in TimedIo (see conn.rs).
                        .header_read_timeout(None)
                        .max_buf_size(64 * 1024)
                        .serve_connection(TokioIo::new(io), handler)
                        .await;
                    drop(slot);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Answers a connection over the cap with a 503 and closes it, without waiting on the peer.
fn refuse(stream: TcpStream) {
    tracing::warn!("sqs-local refused a connection: the connection limit is reached");
    const ANSWER: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\nretry-after: 1\r\n\r\n";
    // A fresh socket's send buffer takes these bytes at once; if not, the peer gets a close.
    let _ = stream.try_write(ANSWER);
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

    /// Stops the service and waits until it no longer accepts connections and, with a data
    /// directory, until every change is written and the directory is released.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        #[cfg(feature = "data-dir")]
        if let Some(writer) = self.service.store.as_ref().and_then(|s| s.close()) {
            let _ = tokio::task::spawn_blocking(move || writer.join()).await;
        }
    }
}

impl Drop for LocalSqs {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        // The writer writes what is left and releases the directory on its own thread.
        #[cfg(feature = "data-dir")]
        if let Some(store) = &self.service.store {
            store.close();
        }
    }
}
