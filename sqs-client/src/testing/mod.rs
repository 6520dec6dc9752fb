//! Typed helpers for your application's own HTTP contract tests against a
//! [`wiremock`](https://docs.rs/wiremock) server (feature `testing`).
//!
//! The official SDK mocks at the client's level. These work on the wire instead, where your
//! application, this client and the service meet, in either protocol and with the models you
//! already use:
//!
//! - [`operation`] matches the requests of one operation (AWS JSON 1.0 by its `X-Amz-Target`,
//!   AWS Query by its `Action`), optionally only those whose decoded input passes a test
//!   ([`OperationMatcher::when`]).
//! - [`reply`] answers with a typed output, and [`reply_with`] computes one from the decoded
//!   input (an entry per batch entry, a message per receive). The answer is written in the
//!   protocol of the request, with the MD5 digests SQS would compute filled in
//!   ([`Served::fill_digests`]), so the client's checks pass as they would against SQS; a
//!   digest the output already carries is kept, so a test can answer a wrong one.
//! - [`ServiceError`] answers with a service error (status, code and fault as SQS sends them),
//!   [`ServiceError::throttling`] and [`ServiceError::internal`] with the answers a client
//!   retries.
//! - [`received`] reads back what the server was sent as typed inputs, so a test asserts on what
//!   the application sent rather than on bytes.
//! - [`client_builder`] makes a client for the mock server (fixed test keys, `us-east-1`).
//!
//! A request the reply cannot read into its input, or one of another operation, gets an error
//! answer saying so (`MissingParameter`, `InvalidParameterValue`, `SerializationException` or
//! `InvalidAction`): a contract break shows up as a typed error in the test, not as a hang.
//!
//! ```
//! use sqs_client::operation::send_message::{SendMessageInput, SendMessageOutput};
//! use sqs_client::testing::{self, wiremock::{Mock, MockServer}};
//! use sqs_client::Protocol;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = MockServer::start().await;
//! Mock::given(testing::operation::<SendMessageInput>())
//!     .respond_with(testing::reply::<SendMessageInput>(
//!         SendMessageOutput::builder().message_id("m-1").build(),
//!     ))
//!     .expect(1)
//!     .mount(&server)
//!     .await;
//!
//! let client = testing::client_builder(&server).protocol(Protocol::AwsQuery).build()?;
//! let sent = client.send_message().queue_url("http://q/1/jobs").message_body("hi").send().await?;
//! assert_eq!(sent.message_id(), Some("m-1"));
//!
//! let inputs = testing::received::<SendMessageInput>(&server).await?;
//! assert_eq!(inputs[0].message_body(), "hi");
//! # Ok(()) }
//! ```

mod wire;

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use sqs_model::{ErrorCode, Fault};
use wiremock::{Match, MockServer, Request, Respond, ResponseTemplate};

use crate::{ClientBuilder, Credentials};
use wire::Wire;

/// What every operation's input implements here: read from either protocol, output written
/// back ([`Served::fill_digests`] included); name it to write helpers generic over operations.
pub use sqs_model::server::{RequestError, Served};
/// The wiremock this module is built on, so that its types and yours are the same.
pub use wiremock;

/// Matches the requests of the operation whose input is `I`, in either protocol.
pub fn operation<I: Served>() -> OperationMatcher<I> {
    OperationMatcher {
        when: None,
        operation: PhantomData,
    }
}

/// A test on a decoded input.
type Test<I> = Arc<dyn Fn(&I) -> bool + Send + Sync>;
/// What a [`Reply`] makes of a decoded input.
type Answer<I, O> = Arc<dyn Fn(&I) -> Result<O, ServiceError> + Send + Sync>;

/// A wiremock matcher for one operation (see [`operation`]).
pub struct OperationMatcher<I> {
    when: Option<Test<I>>,
    operation: PhantomData<fn() -> I>,
}

impl<I: Served> OperationMatcher<I> {
    /// Matches only requests whose decoded input passes `test` (for one queue, one body...). A
    /// request of the operation that cannot be decoded does not match.
    pub fn when(mut self, test: impl Fn(&I) -> bool + Send + Sync + 'static) -> Self {
        self.when = Some(Arc::new(test));
        self
    }
}

impl<I> fmt::Debug for OperationMatcher<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OperationMatcher")
            .field("operation", &std::any::type_name::<I>())
            .field("when", &self.when.is_some())
            .finish()
    }
}

impl<I: Served> Match for OperationMatcher<I> {
    fn matches(&self, request: &Request) -> bool {
        let Ok(wire) = Wire::read(request) else {
            return false;
        };
        if wire.operation() != Some(I::NAME) {
            return false;
        }
        match &self.when {
            None => true,
            Some(test) => wire.input::<I>(request).is_ok_and(|input| test(&input)),
        }
    }
}

/// Answers every request with a copy of `output` (digests filled in from each request).
pub fn reply<I: Served>(output: I::Output) -> Reply<I> {
    reply_with(move |_: &I| Ok(output.clone()))
}

/// Answers each request with what `answer` makes of its decoded input: an output (digests
/// filled in) or a [`ServiceError`].
pub fn reply_with<I: Served>(
    answer: impl Fn(&I) -> Result<I::Output, ServiceError> + Send + Sync + 'static,
) -> Reply<I> {
    Reply {
        answer: Arc::new(answer),
        delay: std::time::Duration::ZERO,
    }
}

/// A wiremock responder for one operation (see [`reply`] and [`reply_with`]).
pub struct Reply<I: Served> {
    answer: Answer<I, I::Output>,
    delay: std::time::Duration,
}

impl<I: Served> Reply<I> {
    /// Answers `delay` after each request arrives, as a service's latency would (a long poll's
    /// wait, a slow region).
    pub fn delay(mut self, delay: std::time::Duration) -> Self {
        self.delay = delay;
        self
    }
}

impl<I: Served> fmt::Debug for Reply<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("operation", &I::NAME)
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}

impl<I: Served> Respond for Reply<I> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match read::<I>(request) {
            Read::Input(wire, input) => match (self.answer)(&input) {
                Ok(mut output) => {
                    input.fill_digests(&mut output);
                    wire.success::<I>(&output)
                }
                Err(e) => e.template(&wire),
            },
            Read::Other(wire, other) => ServiceError::new(
                ErrorCode::Unknown("InvalidAction".into()),
                format!(
                    "this mock answers {}, the request is {}",
                    I::NAME,
                    other.as_deref().unwrap_or("no operation")
                ),
            )
            .template(&wire),
            Read::Unreadable(wire, e) => ServiceError::from(e).template(&wire),
        }
        .set_delay(self.delay)
    }
}

/// A request read as one of the operation `I`, or why it is not one.
enum Read<I> {
    /// Its protocol and its input.
    Input(Wire, I),
    /// A request of another operation (the one it names, if any).
    Other(Wire, Option<String>),
    /// A request whose operation or input cannot be read (answered in JSON when even its
    /// protocol cannot be told).
    Unreadable(Wire, RequestError),
}

fn read<I: Served>(request: &Request) -> Read<I> {
    let wire = match Wire::read(request) {
        Ok(wire) => wire,
        Err(e) => return Read::Unreadable(Wire::Json, e),
    };
    if let Some(e) = wire.unreadable() {
        let e = e.clone();
        return Read::Unreadable(wire, e);
    }
    match wire.operation() {
        Some(name) if name == I::NAME => {}
        other => {
            let other = other.map(str::to_owned);
            return Read::Other(wire, other);
        }
    }
    match wire.input::<I>(request) {
        Ok(input) => Read::Input(wire, input),
        Err(e) => Read::Unreadable(wire, e),
    }
}

/// A service error answer, written as SQS writes it in the protocol of the request: the HTTP
/// status and fault of the code as the API description declares them (400 and `Sender` for a
/// code it does not declare), `__type` and `x-amzn-query-error` in AWS JSON 1.0, an
/// `<ErrorResponse>` in AWS Query. Use it as a wiremock responder, or return it from
/// [`reply_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    code: ErrorCode,
    message: String,
    status: u16,
    fault: Fault,
}

impl ServiceError {
    /// An error with `code` (a modeled one such as `ErrorCode::QueueDoesNotExist`, or
    /// `ErrorCode::from_code("InvalidParameterValue")`) and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: code.http_status().unwrap_or(400),
            fault: code.fault().unwrap_or(Fault::Sender),
            code,
            message: message.into(),
        }
    }

    /// `RequestThrottled` (403), which the client retries with its throttling backoff.
    pub fn throttling() -> Self {
        Self::new(ErrorCode::RequestThrottled, "Rate exceeded")
    }

    /// `InternalFailure` (500, a `Receiver` fault), which the client retries.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Unknown("InternalFailure".into()),
            "The request processing has failed because of an unknown error.",
        )
        .status(500)
        .fault(Fault::Receiver)
    }

    /// Answers with another HTTP status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Answers with another fault.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.fault = fault;
        self
    }

    fn template(&self, wire: &Wire) -> ResponseTemplate {
        wire.error(&self.code, &self.message, self.status, self.fault)
    }
}

impl From<RequestError> for ServiceError {
    /// How SQS refuses a request it cannot read.
    fn from(e: RequestError) -> Self {
        let code = match &e {
            RequestError::Missing { .. } => "MissingParameter",
            RequestError::Malformed(_) => "SerializationException",
            _ => "InvalidParameterValue",
        };
        Self::new(ErrorCode::from_code(code), e.to_string())
    }
}

impl Respond for ServiceError {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.template(&Wire::read(request).unwrap_or(Wire::Json))
    }
}

/// Why [`received`] could not give the requests back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceivedError {
    /// The server was started with request recording off.
    NotRecording,
    /// A request of the operation could not be read into its input.
    Unreadable {
        /// Its position among the requests of that operation (0 for the first).
        position: usize,
        /// What was wrong.
        error: RequestError,
    },
}

impl fmt::Display for ReceivedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRecording => f.write_str(
                "the mock server does not record requests: it was started with \
                 `MockServer::builder().disable_request_recording()`",
            ),
            Self::Unreadable { position, error } => {
                write!(
                    f,
                    "request {position} of the operation is unreadable: {error}"
                )
            }
        }
    }
}

impl std::error::Error for ReceivedError {}

/// The inputs of every request of the operation `I` the server received, in order.
pub async fn received<I: Served>(server: &MockServer) -> Result<Vec<I>, ReceivedError> {
    let requests = server
        .received_requests()
        .await
        .ok_or(ReceivedError::NotRecording)?;
    let mut inputs = Vec::new();
    for request in &requests {
        if let Some(input) = decode::<I>(request) {
            let position = inputs.len();
            inputs.push(input.map_err(|error| ReceivedError::Unreadable { position, error })?);
        }
    }
    Ok(inputs)
}

/// The input of one request, if it is a request of the operation `I` (`None` otherwise); an
/// error for a request whose operation cannot even be told.
pub fn decode<I: Served>(request: &Request) -> Option<Result<I, RequestError>> {
    match read::<I>(request) {
        Read::Input(_, input) => Some(Ok(input)),
        Read::Other(..) => None,
        Read::Unreadable(_, e) => Some(Err(e)),
    }
}

/// A client builder for `server`: its endpoint, region `us-east-1` and the test keys
/// `AKIDTESTING`/`testing` (no credentials are looked up). Set the protocol, retries or
/// timeouts on it as your application does.
pub fn client_builder(server: &MockServer) -> ClientBuilder {
    crate::Client::builder()
        .endpoint_url(server.uri())
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKIDTESTING", "testing"))
}
