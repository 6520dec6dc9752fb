//! The client and its one execute path: validate -> serialize -> sign -> send -> retry ->
//! decode -> verify digests.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use tracing::Instrument;

use sqs_model::wire;
use sqs_model::{Limits, Operation, Paginated};

use crate::auth::{Signer, SigningInput};
use crate::config::{ClientBuilder, Config, Protocol, regional_endpoint};
use crate::error::{Error, ErrorKind};
use crate::retry::{RateLimiter, RetryMode, TokenBucket};

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const QUERY_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

// Header names and fixed values made once (a name given as `&str` is parsed on every request).
const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const X_AMZ_TARGET: HeaderName = HeaderName::from_static("x-amz-target");
const X_AMZN_QUERY_MODE: HeaderName = HeaderName::from_static("x-amzn-query-mode");
const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");
const TRUE: HeaderValue = HeaderValue::from_static("true");
const JSON_CONTENT_TYPE_VALUE: HeaderValue = HeaderValue::from_static(JSON_CONTENT_TYPE);
const QUERY_CONTENT_TYPE_VALUE: HeaderValue = HeaderValue::from_static(QUERY_CONTENT_TYPE);
const SIGNING_NAME: &str = "sqs";

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

/// A client of one SQS endpoint. Cheap to clone: clones share connections, the retry budget and
/// the signing-key cache.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    /// The endpoint requests go to unless they are sent to their queue's host.
    endpoint: reqwest::Url,
    http: reqwest::Client,
    signer: Signer,
    bucket: TokenBucket,
    limiter: Option<RateLimiter>,
    limits: Limits,
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

/// One HTTP answer, read to the end.
struct Answer {
    status: u16,
    request_id: Option<String>,
    query_error: Option<String>,
    error_type: Option<String>,
    body: Bytes,
}

impl ClientBuilder {
    /// Checks the configuration and makes the client.
    pub fn build(self) -> Result<Client, Error> {
        Client::from_config(self.into_config()?)
    }
}

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

    /// Like [`Client::from_env`], and when neither the environment nor the profile names a
    /// region, asks EC2 instance metadata for it (unless `AWS_EC2_METADATA_DISABLED=true`).
    pub async fn load_from_env() -> Result<Self, Error> {
        let mut builder = ClientBuilder::default().load_env();
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
            .pool_idle_timeout(Duration::from_secs(50))
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
                signer: Signer::default(),
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

    async fn execute_inner<O: Operation>(
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
        // A long poll's wait is added to both timeouts, so that waiting is never a timeout.
        let long_poll = input.long_poll().unwrap_or_default();
        let attempt_timeout = config.timeouts.attempt + long_poll;
        let operation_timeout = config.timeouts.operation + long_poll;

        // One deadline for the whole operation; each attempt is timed against the earlier of it
        // and its own limit, so a single timer runs at a time.
        let deadline = Instant::now() + operation_timeout;
        let mut output = self
            .attempts::<O>(&url, body, attempt_timeout, deadline)
            .await?;
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

    fn url_for<O: Operation>(&self, input: &O) -> Result<reqwest::Url, Error> {
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

    async fn attempts<O: Operation>(
        &self,
        url: &reqwest::Url,
        body: Bytes,
        attempt_timeout: Duration,
        deadline: Instant,
    ) -> Result<O::Output, Error> {
        let inner = &self.inner;
        let retry = &inner.config.retry;
        let out_of_time = |attempt: u32| {
            Error::timeout(
                O::NAME,
                "the operation ran out of time before an answer came",
            )
            .with_attempts(attempt)
        };
        let mut spent = 0;
        let mut attempt = 1;
        loop {
            if let Some(limiter) = &inner.limiter {
                let wait = limiter.reserve();
                if Instant::now() + wait >= deadline {
                    return Err(out_of_time(attempt - 1));
                }
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
            let span = tracing::debug_span!("sqs.attempt", attempt, status = tracing::field::Empty);
            let result = self
                .attempt::<O>(url, body.clone(), attempt_timeout, deadline)
                .instrument(span)
                .await;
            let err = match result {
                Ok(output) => {
                    inner.bucket.release(spent);
                    tracing::Span::current().record("attempts", attempt);
                    return Ok(output);
                }
                Err(e) => e,
            };
            if err.is_throttling()
                && let Some(limiter) = &inner.limiter
            {
                limiter.throttled();
            }
            let retryable = err.is_retryable();
            if !retryable || attempt >= retry.max_attempts {
                tracing::Span::current().record("attempts", attempt);
                return Err(err.with_attempts(attempt));
            }
            let Some(cost) = inner.bucket.acquire(err.kind() == ErrorKind::Timeout) else {
                tracing::warn!(attempt, reason = %err, "not retrying: the retry budget is spent");
                return Err(err.with_attempts(attempt));
            };
            spent += cost;
            let wait = retry.backoff_for(attempt, err.is_throttling());
            if Instant::now() + wait >= deadline {
                tracing::warn!(attempt, reason = %err, "not retrying: the operation would run out of time");
                return Err(err.with_attempts(attempt));
            }
            let wait_ms = wait.as_millis() as u64;
            if O::IDEMPOTENT || err.kind() != ErrorKind::Timeout {
                tracing::info!(attempt, wait_ms, reason = %err, "retrying");
            } else {
                // The operation is not idempotent and the attempt may have reached the service.
                tracing::warn!(
                    attempt, wait_ms, reason = %err,
                    "retrying after a timeout; the earlier attempt may have taken effect too"
                );
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One attempt, timed against the earlier of its own limit and the operation's deadline.
    async fn attempt<O: Operation>(
        &self,
        url: &reqwest::Url,
        body: Bytes,
        attempt_timeout: Duration,
        deadline: Instant,
    ) -> Result<O::Output, Error> {
        let limit = (Instant::now() + attempt_timeout).min(deadline);
        match tokio::time::timeout_at(limit.into(), self.attempt_untimed::<O>(url, body)).await {
            Ok(result) => result,
            Err(_) if limit == deadline => Err(Error::timeout(
                O::NAME,
                "the operation ran out of time before an answer came",
            )),
            Err(_) => Err(Error::timeout(
                O::NAME,
                &format!("no complete answer within {attempt_timeout:?}"),
            )),
        }
    }

    async fn attempt_untimed<O: Operation>(
        &self,
        url: &reqwest::Url,
        body: Bytes,
    ) -> Result<O::Output, Error> {
        let inner = &self.inner;
        let config = &inner.config;
        let credentials = config
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| Error::credentials(O::NAME, e))?;
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let (content_type, content_type_value, target) = match config.protocol {
            Protocol::AwsJson1_0 => (JSON_CONTENT_TYPE, JSON_CONTENT_TYPE_VALUE, Some(O::TARGET)),
            Protocol::AwsQuery => (QUERY_CONTENT_TYPE, QUERY_CONTENT_TYPE_VALUE, None),
        };
        let signed = inner.signer.sign(&SigningInput {
            host: &host,
            path: url.path(),
            content_type,
            target,
            body: &body,
            region: &config.region,
            service: SIGNING_NAME,
            key_id: credentials.access_key_id(),
            secret: credentials.secret_access_key(),
            session_token: credentials.session_token(),
            now: SystemTime::now(),
        });
        let mut request = inner
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, content_type_value)
            .header(X_AMZ_DATE, signed.amz_date)
            .header(AUTHORIZATION, signed.authorization);
        if let Some(target) = target {
            request = request
                .header(X_AMZ_TARGET, HeaderValue::from_static(target))
                .header(X_AMZN_QUERY_MODE, TRUE);
        }
        if let Some(token) = credentials.session_token() {
            request = request.header(X_AMZ_SECURITY_TOKEN, token);
        }
        let send = async {
            let response = request
                .body(body)
                .send()
                .await
                .map_err(|e| Self::transport_error::<O>(e))?;
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let status = response.status().as_u16();
            let request_id = header("x-amzn-requestid").or_else(|| header("x-amz-request-id"));
            let query_error = header("x-amzn-query-error");
            let error_type = header("x-amzn-errortype");
            let body = response
                .bytes()
                .await
                .map_err(|e| Self::transport_error::<O>(e))?;
            Ok::<_, Error>(Answer {
                status,
                request_id,
                query_error,
                error_type,
                body,
            })
        };
        let answer = send.await?;
        tracing::Span::current().record("status", answer.status);
        self.decode::<O>(answer)
    }

    fn transport_error<O: Operation>(e: reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::timeout(O::NAME, &e.to_string())
        } else {
            Error::transport(O::NAME, e)
        }
    }

    fn decode<O: Operation>(&self, answer: Answer) -> Result<O::Output, Error> {
        let Answer {
            status,
            request_id,
            query_error,
            error_type,
            body,
        } = answer;
        if (200..300).contains(&status) {
            let decoded = match self.inner.config.protocol {
                Protocol::AwsJson1_0 => O::output_from_json(&body),
                Protocol::AwsQuery => O::output_from_xml(&body),
            };
            return decoded.map_err(|e| Error::malformed(O::NAME, status, e, request_id));
        }
        // Servers answer errors in either form whatever the request used (moto sends XML for
        // signature errors on JSON requests), so look at the body.
        let looks_xml = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        let wire = if looks_xml {
            wire::decode_xml_error(&body)
        } else {
            wire::decode_json_error(query_error.as_deref(), error_type.as_deref(), &body)
        };
        Err(match wire {
            Some(wire) => Error::service(O::NAME, status, wire, request_id),
            None => Error::unrecognised_status(O::NAME, status, &body, request_id),
        })
    }
}

/// Something that runs an operation: the [`Client`] itself, or a layer over it (the extended
/// client of `sqs-extended` implements it for every operation, so the same fluent builders
/// serve it).
pub trait Execute<O: Operation>: Clone + Send + Sync {
    /// What a successful call returns.
    type Output;
    /// What a failed call returns.
    type Error;
    /// Runs the operation.
    fn execute_input(
        &self,
        input: O,
    ) -> impl Future<Output = Result<Self::Output, Self::Error>> + Send;
}

impl<O: Operation> Execute<O> for Client {
    type Output = O::Output;
    type Error = Error;
    fn execute_input(&self, input: O) -> impl Future<Output = Result<O::Output, Error>> + Send {
        self.execute(input)
    }
}

/// A request being filled in; made by the per-operation methods of [`Client`]
/// (`client.send_message()`), sent with [`Request::send`]. `E` is who sends it (the client, or
/// a layer over it).
#[derive(Debug, Clone)]
pub struct Request<O, E = Client> {
    client: E,
    pub(crate) input: O,
}

impl<O: Operation, E: Execute<O>> Request<O, E> {
    /// A request of `input` that `executor` will send (for layers that offer the client's
    /// fluent builders).
    pub fn new(executor: E, input: O) -> Self {
        Self {
            client: executor,
            input,
        }
    }
    /// Replaces the whole input.
    pub fn set_input(mut self, input: O) -> Self {
        self.input = input;
        self
    }
    /// The input as filled in so far.
    pub fn as_input(&self) -> &O {
        &self.input
    }
    /// The input, taken out.
    pub fn into_input(self) -> O {
        self.input
    }
    /// Sends the request. Cancel safety: see [`Client::execute`].
    pub async fn send(self) -> Result<E::Output, E::Error> {
        self.client.execute_input(self.input).await
    }
}

impl<O: Paginated> Request<O, Client> {
    /// A stream of pages, following continuation tokens until the last page. Stops after the
    /// first error (which it yields).
    pub fn into_pages(self) -> Pages<O> {
        Pages {
            client: self.client,
            next: Some(self.input),
            previous_token: None,
            in_flight: None,
        }
    }
    /// A stream of the items of every page.
    pub fn into_items(self) -> Items<O> {
        Items {
            pages: self.into_pages(),
            buffer: VecDeque::new(),
        }
    }
}

type PageFuture<O> =
    Pin<Box<dyn Future<Output = (O, Result<<O as Operation>::Output, Error>)> + Send>>;

/// Pages of a paginated operation, as a [`Stream`](futures_core::Stream).
pub struct Pages<O: Paginated> {
    client: Client,
    next: Option<O>,
    previous_token: Option<String>,
    in_flight: Option<PageFuture<O>>,
}

impl<O: Paginated> std::fmt::Debug for Pages<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pages")
            .field("operation", &O::NAME)
            .field("next", &self.next)
            .finish()
    }
}

// The input is only ever moved, never pinned in place, so the stream can move freely.
impl<O: Paginated> Unpin for Pages<O> {}
impl<O: Paginated> Unpin for Items<O> {}

impl<O: Paginated> futures_core::Stream for Pages<O> {
    type Item = Result<O::Output, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.in_flight.is_none() {
            let Some(input) = this.next.take() else {
                return Poll::Ready(None);
            };
            let client = this.client.clone();
            this.in_flight = Some(Box::pin(async move {
                let result = client.execute(input.clone()).await;
                (input, result)
            }));
        }
        let Some(fut) = this.in_flight.as_mut() else {
            return Poll::Ready(None);
        };
        let (input, result) = match fut.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(done) => done,
        };
        this.in_flight = None;
        if let Ok(output) = &result {
            let token = O::next_token(output)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            // A server that hands back the token it was given would loop forever.
            if token.is_some() && token != this.previous_token {
                let mut next = input;
                next.set_next_token(token.clone());
                this.next = Some(next);
                this.previous_token = token;
            }
        }
        Poll::Ready(Some(result))
    }
}

/// Items of every page of a paginated operation, as a [`Stream`](futures_core::Stream).
pub struct Items<O: Paginated> {
    pages: Pages<O>,
    buffer: VecDeque<O::Item>,
}

impl<O: Paginated> std::fmt::Debug for Items<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

impl<O: Paginated> futures_core::Stream for Items<O> {
    type Item = Result<O::Item, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => this.buffer.extend(O::into_items(page)),
            }
        }
    }
}
