//! The client and its one execute path: validate -> serialize -> sign -> send -> retry ->
//! decode -> verify digests. What an operation needs around that, the operation says.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sqs_model::{Limits, Operation};
use tracing::Instrument;

use crate::config::{ClientBuilder, Config, Protocol, regional_endpoint};
use crate::error::Error;
use crate::retry::{RateLimiter, RetryMode, TokenBucket};

/// What [`Client::execute_ref`] checks: the input before sending it, the digests of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checks {
    /// The generated `validate()` and the client's own checks.
    All,
    /// None: the caller made the input from parts it checked one by one, within the limits
    /// of the whole (the batcher).
    AlreadyDone,
    /// The input is checked but the answer's digests are left to the caller, which checks each
    /// received message on its own (the consumer keeps the good ones of a receive).
    NotTheDigests,
}

/// A client of one SQS endpoint. Cheap to clone: clones share connections and the retry
/// budget.
#[derive(Clone)]
pub struct Client {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) config: Config,
    /// The endpoint requests go to unless they are sent to their queue's host.
    pub(super) endpoint: reqwest::Url,
    pub(super) http: reqwest::Client,
    pub(super) bucket: TokenBucket,
    pub(super) limiter: Option<RateLimiter>,
    pub(super) limits: Limits,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.inner.config;
        f.debug_struct("Client")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("region", &c.region)
            .field("protocol", &c.protocol)
            .field("credentials", &c.credentials)
            .field("retry", &c.retry)
            .field("timeouts", &c.timeouts)
            .finish()
    }
}

impl ClientBuilder {
    /// Checks the configuration and makes the client.
    pub fn build(self) -> Result<Client, Error> {
        Client::from_config(self.into_config()?)
    }
}

/// How long an idle pooled connection is kept.
pub(crate) const POOL_IDLE: Duration = Duration::from_secs(20);

impl Client {
    /// A builder with nothing set.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment as AWS tools are (see
    /// [`ClientBuilder::load_env`]).
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::default().load_env().build()
    }

    /// Like [`Client::from_env`], without blocking the runtime's thread to read the shared
    /// files; and when neither the environment nor the profile names a region, asks EC2
    /// instance metadata for it (unless `AWS_EC2_METADATA_DISABLED=true`).
    pub async fn load_from_env() -> Result<Self, Error> {
        let mut builder = ClientBuilder::default().load_env_async().await;
        if let Some(imds) = crate::credentials::ImdsProvider::from_env() {
            builder = builder.region_from_imds(&imds).await;
        }
        builder.build()
    }

    pub(crate) fn from_config(config: Config) -> Result<Self, Error> {
        let endpoint = match &config.endpoint.url {
            Some(url) => url.clone(),
            None => regional_endpoint(
                &config.region,
                config.endpoint.use_fips,
                config.endpoint.use_dual_stack,
            ),
        };
        let endpoint = reqwest::Url::parse(&endpoint)
            .map_err(|e| Error::config("build", format!("endpoint {endpoint:?}: {e}")))?;
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeouts.connect)
            // Below the keep-alive timeouts of common servers (sqs-local 60 s, load balancers
            // 60 s, nginx 75 s): a pooled connection is dropped before the server drops it.
            // When a server closes one just as a request goes out anyway, the attempt fails
            // as a transport error and is sent again on a fresh connection.
            .pool_idle_timeout(POOL_IDLE)
            .tcp_nodelay(true)
            // SQS never redirects; following a redirect would also re-send a signed body elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config("build", format!("HTTP client: {e}")))?;
        let limits = Limits::new(config.max_message_size);
        let limiter = (config.retry.mode == RetryMode::Adaptive).then(RateLimiter::default);
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                endpoint,
                http,
                bucket: TokenBucket::default(),
                limiter,
                limits,
            }),
        })
    }

    /// The endpoint requests go to (unless sent to the host of their queue URL).
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.inner.config.region
    }

    /// Runs any operation given its whole input (`client.execute(SendMessageInput::default()...)`).
    ///
    /// Cancel safety: dropping the future abandons the request. A request already on the wire
    /// may still take effect on the server (a message may be sent).
    pub async fn execute<O: Operation>(&self, input: O) -> Result<O::Output, Error> {
        self.execute_ref(&input, Checks::All).await
    }

    /// Runs an operation given a borrowed input (so a caller such as the batcher keeps what it
    /// sent); `checks` says whether the input still needs checking before it is sent.
    pub(crate) async fn execute_ref<O: Operation>(
        &self,
        input: &O,
        checks: Checks,
    ) -> Result<O::Output, Error> {
        let span = tracing::info_span!(
            "sqs",
            operation = O::NAME,
            queue = input.queue_url().unwrap_or_default(),
            attempts = tracing::field::Empty,
        );
        self.execute_inner(input, checks).instrument(span).await
    }

    pub(super) async fn execute_inner<O: Operation>(
        &self,
        input: &O,
        checks: Checks,
    ) -> Result<O::Output, Error> {
        if checks != Checks::AlreadyDone {
            input.validate().map_err(|e| Error::invalid(O::NAME, e))?;
            input
                .check(&self.inner.limits)
                .map_err(|e| Error::invalid(O::NAME, e))?;
        }
        let config = &self.inner.config;
        let body: Bytes = match config.protocol {
            Protocol::AwsJson1_0 => input
                .to_json()
                .map_err(|e| Error::config(O::NAME, e.to_string()))?
                .into(),
            Protocol::AwsQuery => input.to_query().into_bytes().into(),
        };
        let verifying = config.verify_checksums && checks != Checks::NotTheDigests;
        // Digests of what the request carries are taken now, while encoding has left it in cache.
        let sent_digests = if verifying {
            input.sent_digests()
        } else {
            Vec::new()
        };
        let url = self.url_for(input)?;
        // SigV4's payload hash, taken once: every attempt sends the same body.
        let payload_hash = crate::auth::payload_hash(&body);
        // A long poll's wait is added to both timeouts, so that waiting is never a timeout.
        let long_poll = input.long_poll().unwrap_or_default();
        let attempt_timeout = config.timeouts.attempt + long_poll;
        let operation_timeout = config.timeouts.operation + long_poll;

        // One deadline for the whole operation; each attempt is timed against the earlier of it
        // and its own limit, so a single timer runs at a time.
        let deadline = Instant::now() + operation_timeout;
        let mut output = self
            .attempts::<O>(&url, body, &payload_hash, attempt_timeout, deadline)
            .await?;
        // What the protocol always returns is checked whether digests are or not.
        input
            .complete(&mut output)
            .map_err(|why| Error::incomplete(O::NAME, why))?;
        if verifying {
            input
                .verify(&sent_digests, &mut output)
                .map_err(|why| Error::checksum(O::NAME, why, None))?;
        }
        Ok(output)
    }

    /// Whether digests of sent and received messages are checked.
    pub(crate) fn verifies_checksums(&self) -> bool {
        self.inner.config.verify_checksums
    }

    /// The size limits this client checks before sending.
    pub(crate) fn limits(&self) -> Limits {
        self.inner.limits
    }

    /// Retry settings and the shared retry budget (the batcher retries failed entries in them).
    pub(crate) fn retry_parts(&self) -> (&crate::retry::RetryConfig, &TokenBucket) {
        (&self.inner.config.retry, &self.inner.bucket)
    }

    pub(super) fn url_for<O: Operation>(&self, input: &O) -> Result<reqwest::Url, Error> {
        let endpoint = &self.inner.endpoint;
        if !self.inner.config.endpoint.use_queue_url_host {
            return Ok(endpoint.clone());
        }
        let Some(queue) = input.queue_url() else {
            return Ok(endpoint.clone());
        };
        let queue = reqwest::Url::parse(queue).map_err(|e| {
            Error::invalid(
                O::NAME,
                crate::ValidationError::new(
                    "queue_url",
                    crate::ValidationProblem::Invalid(format!("not a URL: {e}")),
                ),
            )
        })?;
        let mut url = endpoint.clone();
        let _ = url.set_scheme(queue.scheme());
        url.set_host(queue.host_str())
            .map_err(|e| Error::config(O::NAME, format!("queue URL host: {e}")))?;
        let _ = url.set_port(queue.port());
        Ok(url)
    }
}
