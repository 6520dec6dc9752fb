//! Errors as the service answers them: a code (a modeled error's shape, or an unmodeled code such
//! as `InvalidParameterValue`), a message, an HTTP status and who is at fault.

use sqs_model::server::RequestError;
use sqs_model::{ErrorCode, Fault};

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
    pub(crate) status: u16,
    pub(crate) fault: Fault,
}

impl ApiError {
    /// A modeled error, with the status and fault its description gives.
    pub(crate) fn modeled(code: ErrorCode, message: impl Into<String>) -> Self {
        let status = code.http_status().unwrap_or(400);
        let fault = code.fault().unwrap_or(Fault::Sender);
        Self {
            code,
            message: message.into(),
            status,
            fault,
        }
    }

    /// An error the description does not declare (`InvalidParameterValue`, ...), status 400.
    pub(crate) fn unmodeled(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::Unknown(code.to_owned()),
            message: message.into(),
            status: 400,
            fault: Fault::Sender,
        }
    }

    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::unmodeled("InvalidParameterValue", message)
    }

    /// `Value {value} for parameter {name} is invalid. Reason: {reason}.`
    pub(crate) fn invalid_value(name: &str, value: impl std::fmt::Display, reason: &str) -> Self {
        Self::invalid_parameter(format!(
            "Value {value} for parameter {name} is invalid. Reason: {reason}."
        ))
    }

    pub(crate) fn missing(name: &str) -> Self {
        Self::unmodeled(
            "MissingParameter",
            format!("The request must contain the parameter {name}."),
        )
    }

    pub(crate) fn no_queue() -> Self {
        Self::modeled(
            ErrorCode::QueueDoesNotExist,
            "The specified queue does not exist.",
        )
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::Unknown("InternalFailure".into()),
            message: message.into(),
            status: 500,
            fault: Fault::Receiver,
        }
    }

    /// The code a Query response carries in `<Code>` (and JSON in `x-amzn-query-error`).
    pub(crate) fn query_code(&self) -> &str {
        self.code.query_code()
    }

    /// The code a JSON response carries in `__type`, after the namespace.
    pub(crate) fn shape_name(&self) -> &str {
        self.code.shape_name()
    }
}

/// The characters SQS accepts in a message body, and here in every string a request carries:
/// those XML 1.0 can hold, so that no answer is ever written that a Query client cannot parse.
pub(crate) fn allowed_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Refuses a string parameter holding a character outside [`allowed_char`] (NUL and the other
/// control characters but tab, line feed and carriage return; U+FFFE, U+FFFF).
pub(crate) fn check_text(parameter: &str, value: &str) -> Result<(), ApiError> {
    match value.chars().find(|c| !allowed_char(*c)) {
        None => Ok(()),
        Some(c) => Err(ApiError::invalid_parameter(format!(
            "Value for parameter {parameter} is invalid. Reason: it contains the character U+{:04X}; \
             valid characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.",
            c as u32
        ))),
    }
}

/// An error message as it can be written in any answer: characters XML cannot hold (echoed from
/// a request) become `U+XXXX`.
pub(crate) fn printable(message: &str) -> std::borrow::Cow<'_, str> {
    if message.chars().all(allowed_char) {
        return message.into();
    }
    let mut out = String::with_capacity(message.len() + 8);
    for c in message.chars() {
        if allowed_char(c) {
            out.push(c);
        } else {
            out.push_str(&format!("U+{:04X}", c as u32));
        }
    }
    out.into()
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        match &e {
            RequestError::Missing { parameter } => Self::missing(parameter),
            RequestError::Invalid { .. } => Self::invalid_parameter(e.to_string()),
            RequestError::Malformed(_) => Self::unmodeled("SerializationException", e.to_string()),
            _ => Self::invalid_parameter(e.to_string()),
        }
    }
}
