//! The one error type of the client.

use std::fmt;

use sqs_model::wire::WireError;
use sqs_model::{DecodeError, ErrorCode, Fault, ValidationError};

use crate::credentials::CredentialsError;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input breaks a documented limit; nothing was sent. See [`Error::validation`].
    InvalidRequest,
    /// The service answered with an error. See [`Error::code`].
    Service,
    /// An attempt or the whole operation ran out of time.
    Timeout,
    /// The connection failed or broke (refused, reset, DNS, TLS).
    Transport,
    /// A response could not be decoded.
    MalformedResponse,
    /// A digest in the response does not match what was sent or received.
    ChecksumMismatch,
    /// No credentials could be had.
    Credentials,
    /// A batcher or consumer was closed before the request could be sent.
    Closed,
    /// A received message's payload could not be had (see [`MessageHook`](crate::MessageHook)).
    Payload,
    /// The client is misconfigured (no region, a bad endpoint, ...).
    Config,
    /// The answer's body is larger than the client reads (see
    /// [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)); it was
    /// not read further.
    ResponseTooLarge,
}

/// The error of every client operation: what failed, with the service's code, message and
/// request id when it answered.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    operation: &'static str,
    message: String,
    code: Option<ErrorCode>,
    raw_code: Option<String>,
    fault: Option<Fault>,
    request_id: Option<String>,
    status: Option<u16>,
    validation: Option<ValidationError>,
    attempts: u32,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The longest error message kept (a message read from an answer may be as long as the answer).
const MAX_MESSAGE: usize = 1024;
/// The longest error code kept.
const MAX_CODE: usize = 256;

/// `text` cut to at most `max` bytes (on a character boundary), saying how long it was.
fn bounded(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let total = text.len();
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push_str(&format!("... ({total} bytes in all)"));
    text
}

/// Codes that mean "slow down", whichever protocol or server sent them.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
    "RequestLimitExceeded",
    "KMS.ThrottlingException",
    "KmsThrottled",
];

/// Codes of transient failures that are safe to retry.
const TRANSIENT_CODES: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
];

impl Error {
    fn new(kind: ErrorKind, operation: &'static str, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                operation,
                message: bounded(message.into(), MAX_MESSAGE),
                code: None,
                raw_code: None,
                fault: None,
                request_id: None,
                status: None,
                validation: None,
                attempts: 0,
                source: None,
            }),
        }
    }

    pub(crate) fn invalid(operation: &'static str, e: ValidationError) -> Self {
        let mut err = Self::new(ErrorKind::InvalidRequest, operation, e.to_string());
        err.inner.validation = Some(e);
        err
    }

    pub(crate) fn service(
        operation: &'static str,
        status: u16,
        wire: WireError,
        request_id: Option<String>,
    ) -> Self {
        let raw_code = bounded(wire.code.clone(), MAX_CODE);
        let code = ErrorCode::from_code(&raw_code);
        let message = wire
            .message
            .clone()
            .unwrap_or_else(|| format!("the service answered {} with HTTP {status}", wire.code));
        let mut err = Self::new(ErrorKind::Service, operation, message);
        err.inner.fault = wire.fault.or_else(|| code.fault()).or(if status >= 500 {
            Some(Fault::Receiver)
        } else {
            None
        });
        err.inner.code = Some(code);
        err.inner.raw_code = Some(raw_code);
        err.inner.request_id = request_id
            .or(wire.request_id)
            .map(|id| bounded(id, MAX_CODE));
        err.inner.status = Some(status);
        err
    }

    /// An HTTP error status whose body names no error code (an HTML page from a proxy, ...).
    pub(crate) fn unrecognised_status(
        operation: &'static str,
        status: u16,
        body: &[u8],
        request_id: Option<String>,
    ) -> Self {
        let preview: String = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        let mut err = Self::new(
            ErrorKind::Service,
            operation,
            format!("HTTP {status} with no error code in the body: {preview:?}"),
        );
        err.inner.status = Some(status);
        err.inner.request_id = request_id;
        err
    }

    pub(crate) fn timeout(operation: &'static str, what: &str) -> Self {
        Self::new(ErrorKind::Timeout, operation, what.to_owned())
    }

    pub(crate) fn transport(
        operation: &'static str,
        e: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        // reqwest hides the cause behind its own message; show the whole chain.
        let mut message = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        let mut err = Self::new(ErrorKind::Transport, operation, message);
        err.inner.source = Some(Box::new(e));
        err
    }

    pub(crate) fn malformed(
        operation: &'static str,
        status: u16,
        e: DecodeError,
        request_id: Option<String>,
    ) -> Self {
        let mut err = Self::new(ErrorKind::MalformedResponse, operation, e.to_string());
        err.inner.status = Some(status);
        err.inner.request_id = request_id;
        err.inner.source = Some(Box::new(e));
        err
    }

    /// An answer body over the client's limit (`declared` when its Content-Length said so).
    pub(crate) fn too_large(operation: &'static str, max: usize, declared: Option<u64>) -> Self {
        let message = match declared {
            Some(n) => format!(
                "the answer declares {n} bytes, more than the {max} this client reads (max_response_bytes)"
            ),
            None => format!(
                "the answer is longer than the {max} bytes this client reads (max_response_bytes); it was not read further"
            ),
        };
        Self::new(ErrorKind::ResponseTooLarge, operation, message)
    }

    /// A decoded answer that lacks what the protocol always returns (a message id, ...).
    pub(crate) fn incomplete(operation: &'static str, why: String) -> Self {
        Self::new(ErrorKind::MalformedResponse, operation, why)
    }

    pub(crate) fn checksum(
        operation: &'static str,
        message: String,
        request_id: Option<String>,
    ) -> Self {
        let mut err = Self::new(ErrorKind::ChecksumMismatch, operation, message);
        err.inner.request_id = request_id;
        err
    }

    pub(crate) fn credentials(operation: &'static str, e: CredentialsError) -> Self {
        let mut err = Self::new(ErrorKind::Credentials, operation, e.to_string());
        err.inner.source = Some(Box::new(e));
        err
    }

    pub(crate) fn config(operation: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, operation, message)
    }

    /// The failure of one entry of a batch request, as the service reported it.
    pub(crate) fn entry(
        operation: &'static str,
        code: &str,
        message: Option<&str>,
        sender_fault: bool,
    ) -> Self {
        let mut err = Self::new(
            ErrorKind::Service,
            operation,
            message.map_or_else(
                || format!("the batch entry failed with {code}"),
                str::to_owned,
            ),
        );
        err.inner.code = Some(ErrorCode::from_code(code));
        err.inner.raw_code = Some(code.to_owned());
        err.inner.fault = Some(if sender_fault {
            Fault::Sender
        } else {
            Fault::Receiver
        });
        err
    }

    pub(crate) fn payload(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Payload, "ReceiveMessage", message)
    }

    pub(crate) fn closed(operation: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Closed, operation, message)
    }

    /// The same error for another caller (one batch request answers many); the source chain is
    /// kept as text in the message.
    pub(crate) fn duplicate(&self) -> Self {
        let i = &self.inner;
        Self {
            inner: Box::new(Inner {
                kind: i.kind,
                operation: i.operation,
                message: i.message.clone(),
                code: i.code.clone(),
                raw_code: i.raw_code.clone(),
                fault: i.fault,
                request_id: i.request_id.clone(),
                status: i.status,
                validation: i.validation.clone(),
                attempts: i.attempts,
                source: None,
            }),
        }
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }
    /// The operation that failed (`SendMessage`).
    pub fn operation(&self) -> &'static str {
        self.inner.operation
    }
    /// The service's error, recognised by shape name or Query code, when it answered with one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.inner.code.as_ref()
    }
    /// The code exactly as the service sent it.
    pub fn raw_code(&self) -> Option<&str> {
        self.inner.raw_code.as_deref()
    }
    /// The human-readable explanation.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
    /// The request id the service gave, for support cases.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }
    /// The HTTP status, when a response arrived.
    pub fn http_status(&self) -> Option<u16> {
        self.inner.status
    }
    /// Who is at fault, when the service said or the status tells.
    pub fn fault(&self) -> Option<Fault> {
        self.inner.fault
    }
    /// The broken limit, for [`ErrorKind::InvalidRequest`].
    pub fn validation(&self) -> Option<&ValidationError> {
        self.inner.validation.as_ref()
    }
    /// How many attempts were made (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// The service's error, as the official SDK reaches it: `Some(self)` when the service
    /// answered with an error (the `is_*` predicates then say which:
    /// `err.as_service_error().is_some_and(|e| e.is_queue_does_not_exist())`), `None` when the
    /// request failed before or on the way.
    pub fn as_service_error(&self) -> Option<&Self> {
        (self.inner.kind == ErrorKind::Service).then_some(self)
    }
    /// The error itself: there is one error type, so this is for code written as for the
    /// official SDK (`err.into_service_error().is_over_limit()`).
    pub fn into_service_error(self) -> Self {
        self
    }
    /// Code, message and request id as the official SDK's `meta()` gives them, as text.
    pub fn meta(&self) -> ErrorMetadata<'_> {
        ErrorMetadata { error: self }
    }

    /// Whether the service asked the client to slow down.
    pub fn is_throttling(&self) -> bool {
        self.inner.status == Some(429)
            || self
                .inner
                .raw_code
                .as_deref()
                .is_some_and(|c| THROTTLING_CODES.contains(&c))
            || self.inner.code == Some(ErrorCode::RequestThrottled)
    }

    /// Whether trying the same request again may succeed: throttling, 5xx answers, transient
    /// codes, timeouts and broken connections. A retried send may deliver the message twice, as
    /// SQS is at-least-once anyway.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Timeout | ErrorKind::Transport => true,
            ErrorKind::Service => {
                self.is_throttling()
                    || matches!(self.inner.status, Some(500 | 502 | 503 | 504))
                    || self
                        .inner
                        .raw_code
                        .as_deref()
                        .is_some_and(|c| TRANSIENT_CODES.contains(&c))
            }
            // A truncated or garbled body is most often a connection cut mid-response.
            ErrorKind::MalformedResponse => true,
            _ => false,
        }
    }
}

/// What [`Error::meta`] gives: the service's code, message and request id as text.
#[derive(Debug, Clone, Copy)]
pub struct ErrorMetadata<'a> {
    error: &'a Error,
}

impl<'a> ErrorMetadata<'a> {
    /// The code exactly as the service sent it.
    pub fn code(&self) -> Option<&'a str> {
        self.error.raw_code()
    }
    /// The explanation.
    pub fn message(&self) -> Option<&'a str> {
        Some(self.error.message())
    }
    /// The request id the service gave.
    pub fn request_id(&self) -> Option<&'a str> {
        self.error.request_id()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("Error")
            .field("kind", &i.kind)
            .field("operation", &i.operation)
            .field("code", &i.raw_code)
            .field("message", &i.message)
            .field("status", &i.status)
            .field("request_id", &i.request_id)
            .field("attempts", &i.attempts)
            .finish()
    }
}

/// A structure whose `build()` found a required member missing
/// (`SendMessageBatchRequestEntry::builder().build()`): an [`ErrorKind::InvalidRequest`] naming
/// the member, so `?` works in functions returning this crate's error.
impl From<ValidationError> for Error {
    fn from(e: ValidationError) -> Self {
        Self::invalid("building a request", e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{} failed: ", i.operation)?;
        if let Some(code) = &i.raw_code {
            f.write_str(code)?;
            if let Some(status) = i.status {
                write!(f, " (HTTP {status})")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&i.message)?;
        if let Some(id) = &i.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if let Some(v) = &self.inner.validation {
            return Some(v);
        }
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(status: u16, code: &str) -> Error {
        let wire = WireError::new(code);
        Error::service("SendMessage", status, wire, Some("rid".into()))
    }

    #[test]
    fn retry_classification() {
        assert!(service(400, "Throttling").is_throttling());
        assert!(service(400, "Throttling").is_retryable());
        assert!(service(403, "RequestThrottled").is_throttling());
        assert!(service(503, "ServiceUnavailable").is_retryable());
        assert!(service(500, "Whatever").is_retryable());
        assert!(!service(400, "AWS.SimpleQueueService.NonExistentQueue").is_retryable());
        assert!(!service(403, "SignatureDoesNotMatch").is_retryable());
        let e = service(400, "AWS.SimpleQueueService.NonExistentQueue");
        assert_eq!(e.code(), Some(&ErrorCode::QueueDoesNotExist));
        assert_eq!(
            e.to_string(),
            "SendMessage failed: AWS.SimpleQueueService.NonExistentQueue (HTTP 400): the service answered AWS.SimpleQueueService.NonExistentQueue with HTTP 400 [request id rid]"
        );
    }
}
