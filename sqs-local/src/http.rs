//! HTTP: one request in, the protocol told apart (AWS JSON 1.0 by `X-Amz-Target`, AWS Query by
//! its form), the operation run, the answer written in the same protocol.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use sqs_model::server::{Form, RequestBody, dispatch, json_error, query_error_header, xml_error};

use crate::conn::Busy;
use crate::error::{ApiError, printable};
use crate::handler::Api;
use crate::service::{Caller, Service};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Json,
    Query,
}

type Answer = Response<Full<Bytes>>;

pub(crate) async fn handle(
    service: Arc<Service>,
    _busy: Busy,
    req: Request<Incoming>,
) -> Result<Answer, Infallible> {
    let request_id = crate::queue::new_id();
    let (parts, body) = req.into_parts();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let target = header("x-amz-target").map(str::to_owned);
    let is_json = target.is_some()
        || header("content-type").is_some_and(|c| c.starts_with("application/x-amz-json"));
    let protocol = if is_json {
        Protocol::Json
    } else {
        Protocol::Query
    };
    // What the head alone tells is checked before the body is read, so a peer cannot make the
    // service hold a body it would refuse anyway.
    let limits = &service.limits;
    let max = limits.max_request_bytes;
    if let Some(declared) = header("content-length").and_then(|v| v.parse::<u64>().ok())
        && declared > max as u64
    {
        let err = too_large(max);
        return Ok(closing(error_answer(protocol, &err, &request_id)));
    }
    let head = match &service.verifier {
        Some(verifier) => match verifier.check_head(&parts, is_json, SystemTime::now()) {
            Ok(head) => Some((verifier, head)),
            Err(e) => return Ok(closing(error_answer(protocol, &e, &request_id))),
        },
        None => None,
    };
    let read = tokio::time::timeout(limits.body_timeout, Limited::new(body, max).collect()).await;
    let body = match read {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) => {
            let err = if e.is::<LengthLimitError>() {
                too_large(max)
            } else {
                ApiError::unmodeled(
                    "MalformedRequest",
                    format!("The request body could not be read: {e}"),
                )
            };
            return Ok(closing(error_answer(protocol, &err, &request_id)));
        }
        Err(_) => {
            let err = ApiError::unmodeled(
                "RequestTimeout",
                format!(
                    "The request body did not arrive within {} s.",
                    limits.body_timeout.as_secs_f64()
                ),
            );
            return Ok(closing(error_answer(protocol, &err, &request_id)));
        }
    };
    if let Some((verifier, head)) = head
        && let Err(e) = verifier.check_body(&head, &parts, &body)
    {
        return Ok(error_answer(protocol, &e, &request_id));
    }
    let caller = Caller;
    let answer = match protocol {
        Protocol::Json => {
            let op = target
                .as_deref()
                .and_then(|t| t.strip_prefix("AmazonSQS."))
                .unwrap_or_default()
                .to_owned();
            let body = RequestBody::Json(&body);
            run(&service, protocol, &op, body, &caller, &request_id).await
        }
        Protocol::Query => {
            let mut form = match Form::parse(&body) {
                Ok(form) => form,
                Err(e) => return Ok(error_answer(protocol, &ApiError::from(e), &request_id)),
            };
            if let Some(q) = parts.uri.query()
                && let Err(e) = form.extend(q.as_bytes())
            {
                return Ok(error_answer(protocol, &ApiError::from(e), &request_id));
            }
            // Older clients name the queue by the request path instead of a QueueUrl parameter.
            let path = parts.uri.path();
            if form.get("QueueUrl").is_none() && path.len() > 1 {
                form.insert("QueueUrl", format!("{}{path}", service.base_url));
            }
            let op = form.get("Action").unwrap_or_default().to_owned();
            let body = RequestBody::Query(&form);
            run(&service, protocol, &op, body, &caller, &request_id).await
        }
    };
    tracing::debug!(status = answer.status().as_u16(), "sqs-local answered");
    Ok(answer)
}

fn too_large(max: usize) -> ApiError {
    let mut e = ApiError::unmodeled(
        "RequestEntityTooLarge",
        format!("The request body is larger than {max} bytes, the largest this service reads."),
    );
    e.status = 413;
    e
}

/// An answer after which the connection is closed: its request's body may be unread.
fn closing(mut answer: Answer) -> Answer {
    answer
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    answer
}

fn answer(
    status: StatusCode,
    content_type: &'static str,
    request_id: &str,
    body: Vec<u8>,
) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    r
}

fn error_answer(protocol: Protocol, e: &ApiError, request_id: &str) -> Answer {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let message = printable(&e.message);
    match protocol {
        Protocol::Json => {
            let body = json_error(sqs_model::wire::SHAPE_NAMESPACE, e.shape_name(), &message);
            let mut r = answer(status, "application/x-amz-json-1.0", request_id, body);
            if let Ok(v) = HeaderValue::from_str(&query_error_header(e.query_code(), e.fault)) {
                r.headers_mut().insert("x-amzn-query-error", v);
            }
            r
        }
        Protocol::Query => {
            let body = xml_error(
                e.fault,
                e.query_code(),
                &message,
                sqs_model::wire::XML_NAMESPACE,
                request_id,
            );
            answer(status, "text/xml", request_id, body.into_bytes())
        }
    }
}

/// Runs the operation `op` through the generated dispatch and answers in the request's protocol.
async fn run(
    service: &Arc<Service>,
    protocol: Protocol,
    op: &str,
    body: RequestBody<'_>,
    caller: &Caller,
    request_id: &str,
) -> Answer {
    let content_type = match protocol {
        Protocol::Json => "application/x-amz-json-1.0",
        Protocol::Query => "text/xml",
    };
    match dispatch(&Api(service), op, body, request_id, caller).await {
        Some(Ok(body)) => answer(StatusCode::OK, content_type, request_id, body),
        Some(Err(e)) => error_answer(protocol, &e, request_id),
        None => {
            let err = match protocol {
                Protocol::Json => ApiError::unmodeled(
                    "UnknownOperationException",
                    format!("The operation {op:?} is not an operation of this service."),
                ),
                Protocol::Query => ApiError::unmodeled(
                    "InvalidAction",
                    format!("The action {op} is not valid for this endpoint."),
                ),
            };
            error_answer(protocol, &err, request_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of the API description reaches a handler in both protocols: an empty
    /// request is answered by the operation itself (a missing parameter, or an answer), never as
    /// an unknown operation.
    #[tokio::test]
    async fn every_operation_of_the_description_is_dispatched() {
        let service = Arc::new(Service::new(
            "http://127.0.0.1:9".into(),
            "us-east-1".into(),
            "000000000000".into(),
        ));
        let caller = Caller;
        let form = Form::default();
        for op in sqs_model::OPERATION_NAMES {
            for (protocol, body) in [
                (Protocol::Json, RequestBody::Json(b"{}")),
                (Protocol::Query, RequestBody::Query(&form)),
            ] {
                let answer = run(&service, protocol, op, body, &caller, "rid").await;
                let text = String::from_utf8_lossy(
                    answer
                        .body()
                        .clone()
                        .collect()
                        .await
                        .unwrap()
                        .to_bytes()
                        .as_ref(),
                )
                .into_owned();
                assert!(
                    !text.contains("UnknownOperation") && !text.contains("InvalidAction"),
                    "{op} ({protocol:?}) was not dispatched: {text}"
                );
            }
        }
        let unknown = run(
            &service,
            Protocol::Json,
            "NoSuchOperation",
            RequestBody::Json(b"{}"),
            &caller,
            "rid",
        )
        .await;
        assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
        let text = unknown.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&text).contains("UnknownOperationException"));
    }
}
