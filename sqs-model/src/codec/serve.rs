//! The service side of both protocols: AWS Query requests read from their form,
//! AWS JSON 1.0 requests read with serde, and responses written as JSON or as Query XML. The
//! generated models implement [`Served`]; `sqs-local` answers with it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::hash::Hash;

use super::operation::Operation;
use super::values::Blob;

/// Why a request could not be read into an operation's input.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// A required parameter is absent (`MissingParameter` on the wire).
    Missing {
        /// The parameter, as named on the wire (`QueueUrl`, `Entries.1.Id`).
        parameter: String,
    },
    /// A parameter is present but cannot be read as its type (`InvalidParameterValue`).
    Invalid {
        /// The parameter, as named on the wire.
        parameter: String,
        /// What was wrong with it.
        problem: String,
    },
    /// The body is not a well-formed document of the protocol (`SerializationException` in JSON).
    Malformed(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { parameter } => {
                write!(f, "The request must contain the parameter {parameter}.")
            }
            Self::Invalid { parameter, problem } => {
                write!(
                    f,
                    "Value for parameter {parameter} is invalid. Reason: {problem}."
                )
            }
            Self::Malformed(why) => write!(f, "The request body could not be read: {why}"),
        }
    }
}

impl std::error::Error for RequestError {}

/// An AWS Query request's parameters, by name. Keys are kept sorted, so the parameters of one
/// nested member (`Entries.1.*`) sit next to each other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: BTreeMap<String, String>,
}

impl Form {
    /// Reads an `application/x-www-form-urlencoded` body or URL query string. A repeated key keeps
    /// its last value. Bytes that do not decode to UTF-8 (raw or percent-encoded) are refused,
    /// never replaced.
    pub fn parse(encoded: &[u8]) -> Result<Self, RequestError> {
        let mut form = Self::default();
        form.extend(encoded)?;
        Ok(form)
    }

    /// Adds the parameters of another encoded string (a URL query added to a form body).
    pub fn extend(&mut self, encoded: &[u8]) -> Result<(), RequestError> {
        for pair in encoded.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (key, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &[][..]),
            };
            let key = form_text(key, None)?;
            let value = form_text(value, Some(&key))?;
            self.pairs.insert(key, value);
        }
        Ok(())
    }

    /// Sets one parameter (a service fills in what older clients put elsewhere, such as the
    /// queue URL given as the request path).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.pairs.insert(key.into(), value.into());
    }

    /// One parameter's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.get(key).map(String::as_str)
    }

    /// Whether `key` is present, or any parameter nested under it (`key.…`).
    pub fn has(&self, key: &str) -> bool {
        if self.pairs.contains_key(key) {
            return true;
        }
        let nested = format!("{key}.");
        self.pairs
            .range(nested.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&nested))
    }
}

/// One form-encoded key or value (of `key`, for a value) as text: `+` is a space, `%XX` a byte,
/// and the bytes must be UTF-8.
fn form_text(encoded: &[u8], key: Option<&str>) -> Result<String, RequestError> {
    let spaced: Vec<u8> = encoded
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    match percent_encoding::percent_decode(&spaced).decode_utf8() {
        Ok(text) => Ok(text.into_owned()),
        Err(_) => Err(match key {
            Some(key) => invalid(key, "the value is not valid UTF-8"),
            None => RequestError::Malformed("a parameter name is not valid UTF-8".into()),
        }),
    }
}

/// Implemented by generated structures that appear in requests: reads the members under
/// `prefix` (empty for the whole input, `Entries.1.` for a nested structure).
pub(crate) trait FromForm: Sized {
    fn from_form(form: &Form, prefix: &str) -> Result<Self, RequestError>;
}

/// How a value of one type is read from the parameter (or parameters) under a key.
pub(crate) type Reader<T> = fn(&Form, &str) -> Result<Option<T>, RequestError>;

fn invalid(key: &str, problem: impl Into<String>) -> RequestError {
    RequestError::Invalid {
        parameter: key.to_owned(),
        problem: problem.into(),
    }
}

pub(crate) fn required<T>(value: Option<T>, key: &str) -> Result<T, RequestError> {
    value.ok_or_else(|| RequestError::Missing {
        parameter: key.to_owned(),
    })
}

pub(crate) fn string(form: &Form, key: &str) -> Result<Option<String>, RequestError> {
    Ok(form.get(key).map(str::to_owned))
}

/// The SQS description has no boolean request members; other descriptions do.
#[allow(dead_code)]
pub(crate) fn boolean(form: &Form, key: &str) -> Result<Option<bool>, RequestError> {
    match form.get(key) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(invalid(key, format!("{v:?} is not a boolean"))),
    }
}

pub(crate) fn number<T: std::str::FromStr>(
    form: &Form,
    key: &str,
) -> Result<Option<T>, RequestError> {
    match form.get(key) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| invalid(key, format!("{v:?} is not a valid number"))),
    }
}

pub(crate) fn blob(form: &Form, key: &str) -> Result<Option<Blob>, RequestError> {
    match form.get(key) {
        None => Ok(None),
        Some(v) => Blob::from_base64(v).map(Some).map_err(|e| invalid(key, e)),
    }
}

pub(crate) fn enumeration<T: for<'a> From<&'a str>>(
    form: &Form,
    key: &str,
) -> Result<Option<T>, RequestError> {
    Ok(form.get(key).map(T::from))
}

pub(crate) fn structure<T: FromForm>(form: &Form, key: &str) -> Result<Option<T>, RequestError> {
    let nested = format!("{key}.");
    if form.has(key) {
        T::from_form(form, &nested).map(Some)
    } else {
        Ok(None)
    }
}

/// A list whose items are `{key}.1`, `{key}.2`, … (flattened) or `{key}.{member}.1`, …; a
/// present but empty `{key}` is an empty list. Items are read until the first missing index.
pub(crate) fn list<T>(
    form: &Form,
    key: &str,
    member: Option<&str>,
    item: Reader<T>,
) -> Result<Option<Vec<T>>, RequestError> {
    let base = match member {
        Some(m) => format!("{key}.{m}"),
        None => key.to_owned(),
    };
    let mut out = Vec::new();
    for i in 1.. {
        let item_key = format!("{base}.{i}");
        match item(form, &item_key)? {
            Some(v) => out.push(v),
            None => break,
        }
    }
    if out.is_empty() && !form.has(key) {
        return Ok(None);
    }
    Ok(Some(out))
}

/// A map whose entries are `{key}.N.{key_name}` / `{key}.N.{value_name}` (flattened) or
/// `{key}.entry.N.…`.
pub(crate) fn map<K: Eq + Hash, V>(
    form: &Form,
    key: &str,
    flattened: bool,
    names: (&str, &str),
    read_key: Reader<K>,
    read_value: Reader<V>,
) -> Result<Option<HashMap<K, V>>, RequestError> {
    let base = if flattened {
        key.to_owned()
    } else {
        format!("{key}.entry")
    };
    let mut out = HashMap::new();
    for i in 1.. {
        let entry = format!("{base}.{i}");
        if !form.has(&entry) {
            break;
        }
        let k_key = format!("{entry}.{}", names.0);
        let v_key = format!("{entry}.{}", names.1);
        let k = required(read_key(form, &k_key)?, &k_key)?;
        let v = required(read_value(form, &v_key)?, &v_key)?;
        out.insert(k, v);
    }
    if out.is_empty() && !form.has(key) {
        return Ok(None);
    }
    Ok(Some(out))
}

/// Writes the XML of a Query response.
#[derive(Debug, Default)]
pub(crate) struct XmlWriter {
    out: String,
}

impl XmlWriter {
    pub(crate) fn start(&mut self, name: &str) {
        let _ = write!(self.out, "<{name}>");
    }
    pub(crate) fn end(&mut self, name: &str) {
        let _ = write!(self.out, "</{name}>");
    }
    /// `<name>text</name>`, the text escaped (carriage returns as `&#xD;`, so they survive).
    pub(crate) fn text(&mut self, name: &str, text: &str) {
        self.start(name);
        escape_into(&mut self.out, text);
        self.end(name);
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// Implemented by generated structures that appear in responses: writes each member set as a
/// child element.
pub(crate) trait ToXml {
    fn write_xml(&self, w: &mut XmlWriter);
}

/// The whole Query response document of an operation.
pub(crate) fn xml_response<T: ToXml>(
    operation: &str,
    output: &T,
    namespace: Option<&str>,
    request_id: &str,
) -> String {
    let mut body = XmlWriter::default();
    output.write_xml(&mut body);
    let mut w = XmlWriter {
        out: String::with_capacity(body.out.len() + 256),
    };
    w.out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let response = format!("{operation}Response");
    match namespace {
        Some(ns) => {
            let _ = write!(w.out, r#"<{response} xmlns="{ns}">"#);
        }
        None => w.start(&response),
    }
    if !body.out.is_empty() {
        let result = format!("{operation}Result");
        w.start(&result);
        w.out.push_str(&body.out);
        w.end(&result);
    }
    w.start("ResponseMetadata");
    w.text("RequestId", request_id);
    w.end("ResponseMetadata");
    w.end(&response);
    w.out
}

/// The Query error document (`<ErrorResponse>`).
pub fn xml_error(
    fault: super::wire_error::Fault,
    code: &str,
    message: &str,
    namespace: &str,
    request_id: &str,
) -> String {
    let mut w = XmlWriter::default();
    w.out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = write!(w.out, r#"<ErrorResponse xmlns="{namespace}">"#);
    w.start("Error");
    w.text("Type", &fault.to_string());
    w.text("Code", code);
    w.text("Message", message);
    w.out.push_str("<Detail/>");
    w.end("Error");
    w.text("RequestId", request_id);
    w.end("ErrorResponse");
    w.out
}

/// The AWS JSON 1.0 error body: `{"__type":"<namespace>#<shape>","message":...}`, the
/// namespace being the service's shape namespace (`wire::SHAPE_NAMESPACE`). The
/// Query code and the fault travel beside it in the `x-amzn-query-error` header
/// ([`query_error_header`]), where clients look first.
pub fn json_error(namespace: &str, shape_name: &str, message: &str) -> Vec<u8> {
    let body = serde_json::json!({
        "__type": format!("{namespace}#{shape_name}"),
        "message": message,
    });
    body.to_string().into_bytes()
}

/// The `x-amzn-query-error` header of an AWS JSON 1.0 error answer: `<Query code>;<fault>`.
pub fn query_error_header(query_code: &str, fault: super::wire_error::Fault) -> String {
    format!("{query_code};{fault}")
}

/// An operation as a service answers it: its input read from either protocol, its output
/// written in either. Implemented by every generated `*Input` type.
pub trait Served: Operation {
    /// Reads an AWS JSON 1.0 request body (an empty body counts as `{}`).
    fn from_json(body: &[u8]) -> Result<Self, RequestError>;
    /// Reads the parameters of an AWS Query request (`Action` and `Version` are ignored).
    fn from_form(form: &Form) -> Result<Self, RequestError>;
    /// The AWS JSON 1.0 response body.
    fn output_to_json(output: &Self::Output) -> Vec<u8>;
    /// The AWS Query (XML) response document.
    fn output_to_xml(output: &Self::Output, request_id: &str) -> String;
    /// Puts in `output` the digests of what this request carried, as SQS computes them, where
    /// `output` has none yet (the body and attribute MD5s of SendMessage and of each successful
    /// SendMessageBatch entry, matched by id; those of each received message). A digest already
    /// set is kept, so a test can answer a wrong one on purpose. Other operations carry none.
    fn fill_digests(&self, output: &mut Self::Output) {
        let _ = output;
    }
}

/// A request's body as the service received it, in the protocol the client chose.
#[derive(Debug, Clone, Copy)]
pub enum RequestBody<'a> {
    /// An AWS JSON 1.0 body.
    Json(&'a [u8]),
    /// The parameters of an AWS Query request (the form body and the URL's query together).
    Query(&'a Form),
}

/// Reads the input of `I` from `body`, runs `call` with it and writes its output in the same
/// protocol (the generated dispatch calls this once per operation).
pub(crate) async fn serve<I, E, F>(
    body: RequestBody<'_>,
    request_id: &str,
    call: impl FnOnce(I) -> F,
) -> Result<Vec<u8>, E>
where
    I: Served,
    E: From<RequestError>,
    F: std::future::Future<Output = Result<I::Output, E>>,
{
    let input = match body {
        RequestBody::Json(bytes) => I::from_json(bytes)?,
        RequestBody::Query(form) => I::from_form(form)?,
    };
    let output = call(input).await?;
    Ok(match body {
        RequestBody::Json(_) => I::output_to_json(&output),
        RequestBody::Query(_) => I::output_to_xml(&output, request_id).into_bytes(),
    })
}

/// Reads the input of `I` from `body` and drops it (the generated `read_request` calls this).
pub(crate) fn read<I: Served>(body: RequestBody<'_>) -> Result<(), RequestError> {
    match body {
        RequestBody::Json(bytes) => I::from_json(bytes).map(drop),
        RequestBody::Query(form) => I::from_form(form).map(drop),
    }
}

/// Reads a JSON request body, telling a missing member apart from a malformed document.
pub(crate) fn json_request<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, RequestError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let text = e.to_string();
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(field) => RequestError::Missing {
                parameter: field.to_owned(),
            },
            None if e.is_data() => RequestError::Invalid {
                parameter: "request".to_owned(),
                problem: text,
            },
            None => RequestError::Malformed(text),
        }
    })
}

/// Writes a JSON response body. The models serialize infallibly (strings, numbers, maps with
/// string keys); should that ever fail, the answer is an empty object rather than a panic.
pub(crate) fn json_response<T: serde::Serialize>(output: &T) -> Vec<u8> {
    serde_json::to_vec(output).unwrap_or_else(|_| b"{}".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_lookups_see_nested_keys_only_under_a_dot() {
        let form = Form::parse(b"Entries.1.Id=a&Entries.10.Id=b&EntriesX=1&Tag=").unwrap();
        assert!(form.has("Entries.1"));
        assert!(form.has("Entries.10"));
        assert!(!form.has("Entries.2"));
        assert!(form.has("Tag"));
        assert_eq!(form.get("Tag"), Some(""));
        assert_eq!(
            number::<i32>(&Form::parse(b"N=x").unwrap(), "N"),
            Err(invalid("N", "\"x\" is not a valid number"))
        );
    }

    #[test]
    fn xml_text_is_escaped_so_it_reads_back_the_same() {
        let mut w = XmlWriter::default();
        w.text("Body", "a<b>&\"c'\r\n");
        assert_eq!(w.out, "<Body>a&lt;b&gt;&amp;&quot;c&apos;&#xD;\n</Body>");
        let node = super::super::xml::parse(w.out.as_bytes()).unwrap();
        assert_eq!(node.text(), "a<b>&\"c'\r\n");
    }
}
