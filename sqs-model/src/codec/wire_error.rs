//! Error responses of both protocols, read the way real servers write them.

use std::fmt;

use super::xml;

/// Who is to blame for an error, as the protocol says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// The request was wrong (a client error).
    Sender,
    /// The service failed (a server error).
    Receiver,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::Sender => "Sender",
            Fault::Receiver => "Receiver",
        })
    }
}

/// An error answer as it came off the wire: the code, the message, and whatever else the server
/// said about it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WireError {
    /// The error code, with any `namespace#` prefix and `:suffix` removed.
    pub code: String,
    /// The human-readable message, when there is one.
    pub message: Option<String>,
    /// The fault the server named, when it named one.
    pub fault: Option<Fault>,
    /// The request id from the body, when the body carries one.
    pub request_id: Option<String>,
}

impl WireError {
    /// An error with only a code.
    pub fn new(code: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            ..Self::default()
        }
    }
}

/// Cuts a code as servers write it (`com.amazonaws.sqs#QueueDoesNotExist:http://…`,
/// `QueueDoesNotExist`) down to the name.
fn clean_code(raw: &str) -> &str {
    let raw = raw.trim();
    let raw = raw.split(':').next().unwrap_or(raw);
    raw.rsplit('#').next().unwrap_or(raw)
}

fn parse_fault(text: &str) -> Option<Fault> {
    match text.trim() {
        "Sender" | "Client" => Some(Fault::Sender),
        "Receiver" | "Server" => Some(Fault::Receiver),
        _ => None,
    }
}

/// Reads an AWS JSON 1.0 error. The code is taken from the `x-amzn-query-error` header when the
/// server sent one (it carries the Query code and the fault), else from `x-amzn-errortype`, else
/// from the body's `code` or `__type`. Returns `None` when nothing names a code.
pub fn decode_json_error(
    query_error_header: Option<&str>,
    error_type_header: Option<&str>,
    body: &[u8],
) -> Option<WireError> {
    let parsed: Option<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|m| m.get(name))
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let message = ["message", "Message", "errorMessage"]
        .into_iter()
        .find_map(field)
        .map(str::to_owned);
    let mut fault = None;
    let code = if let Some(header) = query_error_header.filter(|h| !h.trim().is_empty()) {
        let mut parts = header.splitn(2, ';');
        let code = parts.next().unwrap_or_default().trim();
        fault = parts.next().and_then(parse_fault);
        code.to_owned()
    } else if let Some(header) = error_type_header.filter(|h| !h.trim().is_empty()) {
        clean_code(header).to_owned()
    } else {
        clean_code(field("code").or_else(|| field("__type"))?).to_owned()
    };
    if code.is_empty() {
        return None;
    }
    Some(WireError {
        code,
        message,
        fault,
        request_id: None,
    })
}

/// Reads an AWS Query error document (`<ErrorResponse><Error><Code>…`). Also accepts the
/// `<Errors><Error>` nesting some servers write. Returns `None` when the body is not one.
pub fn decode_xml_error(body: &[u8]) -> Option<WireError> {
    let root = xml::parse(body).ok()?;
    let error = root
        .child("Error")
        .or_else(|| root.child("Errors").and_then(|e| e.child("Error")))
        .or_else(|| (root.name() == "Error").then_some(&root))?;
    let code = clean_code(error.child("Code")?.text()).to_owned();
    if code.is_empty() {
        return None;
    }
    let message = ["Message", "message"]
        .into_iter()
        .filter_map(|n| error.child(n))
        .map(|n| n.text().to_owned())
        .find(|m| !m.is_empty());
    let request_id = root
        .child("RequestId")
        .or_else(|| root.child("RequestID"))
        .map(|n| n.text().to_owned());
    Some(WireError {
        code,
        message,
        fault: error.child("Type").and_then(|t| parse_fault(t.text())),
        request_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_code_sources_in_order_of_trust() {
        let body = br#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"gone"}"#;
        let e = decode_json_error(
            Some("AWS.SimpleQueueService.NonExistentQueue;Sender"),
            None,
            body,
        )
        .unwrap();
        assert_eq!(e.code, "AWS.SimpleQueueService.NonExistentQueue");
        assert_eq!(e.fault, Some(Fault::Sender));
        assert_eq!(e.message.as_deref(), Some("gone"));

        let e = decode_json_error(None, Some("QueueDoesNotExist:http://internal"), body).unwrap();
        assert_eq!(e.code, "QueueDoesNotExist");

        let e = decode_json_error(None, None, body).unwrap();
        assert_eq!(e.code, "QueueDoesNotExist");

        let e = decode_json_error(
            None,
            None,
            br#"{"code":"Throttling","errorMessage":"slow"}"#,
        )
        .unwrap();
        assert_eq!(
            (e.code.as_str(), e.message.as_deref()),
            ("Throttling", Some("slow"))
        );

        assert_eq!(decode_json_error(None, None, b"<html>oops</html>"), None);
    }

    #[test]
    fn xml_error_with_both_nestings() {
        let e = decode_xml_error(
            b"<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>bad sig</Message><Type>Sender</Type></Error></Errors></ErrorResponse>",
        )
        .unwrap();
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert_eq!(e.message.as_deref(), Some("bad sig"));
        assert_eq!(e.fault, Some(Fault::Sender));
        assert_eq!(decode_xml_error(b"not xml at all"), None);
    }
}
