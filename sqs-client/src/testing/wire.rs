//! A request as wiremock received it, read in its protocol, and answers written in the same one.

use std::sync::atomic::{AtomicU64, Ordering};

use sqs_model::server::{Form, RequestError, Served, json_error, query_error_header, xml_error};
use sqs_model::wire::{SERVICE_NAME, SHAPE_NAMESPACE, XML_NAMESPACE};
use sqs_model::{ErrorCode, Fault};
use wiremock::{Request, ResponseTemplate};

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const XML_CONTENT_TYPE: &str = "text/xml";

/// The protocol of a request, and what names its operation.
pub(super) enum Wire {
    /// AWS JSON 1.0: the operation is the `X-Amz-Target` header after `AmazonSQS.`.
    Json,
    /// AWS JSON 1.0 with a target, kept apart so that [`Wire::Json`] alone can answer requests
    /// that could not be read.
    JsonTarget(String),
    /// AWS Query: the form body and the URL's query together, `Action` naming the operation
    /// (or why they could not be read).
    Query(Result<Form, RequestError>),
}

impl Wire {
    pub(super) fn read(request: &Request) -> Result<Self, RequestError> {
        if let Some(target) = request.headers.get("x-amz-target") {
            let target = target.to_str().map_err(|_| {
                RequestError::Malformed("the X-Amz-Target header is not text".into())
            })?;
            return Ok(Self::JsonTarget(target.to_owned()));
        }
        let json = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("json"));
        if json {
            return Ok(Self::Json);
        }
        let form = Form::parse(&request.body).and_then(|mut form| {
            if let Some(query) = request.url.query() {
                form.extend(query.as_bytes())?;
            }
            Ok(form)
        });
        Ok(Self::Query(form))
    }

    /// Why the request's parameters could not be read at all, if so.
    pub(super) fn unreadable(&self) -> Option<&RequestError> {
        match self {
            Self::Query(Err(e)) => Some(e),
            _ => None,
        }
    }

    /// The operation the request names, if it names one of this service.
    pub(super) fn operation(&self) -> Option<&str> {
        match self {
            Self::Json => None,
            Self::JsonTarget(target) => target
                .strip_prefix(SERVICE_NAME)
                .and_then(|t| t.strip_prefix('.')),
            Self::Query(form) => form.as_ref().ok()?.get("Action"),
        }
    }

    pub(super) fn input<I: Served>(&self, request: &Request) -> Result<I, RequestError> {
        match self {
            Self::Json | Self::JsonTarget(_) => I::from_json(&request.body),
            Self::Query(Ok(form)) => I::from_form(form),
            Self::Query(Err(e)) => Err(e.clone()),
        }
    }

    pub(super) fn success<I: Served>(&self, output: &I::Output) -> ResponseTemplate {
        let id = request_id();
        let (body, content_type) = match self {
            Self::Query(_) => (I::output_to_xml(output, &id).into_bytes(), XML_CONTENT_TYPE),
            _ => (I::output_to_json(output), JSON_CONTENT_TYPE),
        };
        ResponseTemplate::new(200)
            .set_body_raw(body, content_type)
            .insert_header("x-amzn-requestid", id)
    }

    pub(super) fn error(
        &self,
        code: &ErrorCode,
        message: &str,
        status: u16,
        fault: Fault,
    ) -> ResponseTemplate {
        let id = request_id();
        let template = ResponseTemplate::new(status).insert_header("x-amzn-requestid", &*id);
        match self {
            Self::Query(_) => {
                let body = xml_error(fault, code.query_code(), message, XML_NAMESPACE, &id);
                template.set_body_raw(body, XML_CONTENT_TYPE)
            }
            _ => {
                let template = template.set_body_raw(
                    json_error(SHAPE_NAMESPACE, code.shape_name(), message),
                    JSON_CONTENT_TYPE,
                );
                // A code no header can carry (a test's own) goes in the body only.
                let header = query_error_header(code.query_code(), fault);
                if header.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
                    template.insert_header("x-amzn-query-error", header)
                } else {
                    template
                }
            }
        }
    }
}

/// A request id in the form SQS gives them, distinct within the process.
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("00000000-0000-4000-8000-{n:012x}")
}
