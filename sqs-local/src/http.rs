//! HTTP: one request in, the protocol told apart (AWS JSON 1.0 by `X-Amz-Target`, AWS Query by
//! its form), the operation run, the answer written in the same protocol.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use sqs_client::operation::*;
use sqs_client::server::{Form, Served, xml_error};

use crate::error::ApiError;
use crate::service::{Caller, Service};

/// Largest request body read: a 1 MiB batch, base64 or form-encoded, with room to spare.
const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Json,
    Query,
}

type Answer = Response<Full<Bytes>>;

pub(crate) async fn handle(
    service: Arc<Service>,
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
    let mut caller = Caller {
        access_key: header("authorization").and_then(access_key_of),
    };
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let err = ApiError::unmodeled(
                "RequestEntityTooLarge",
                format!("The request body could not be read: {e}"),
            );
            return Ok(error_answer(protocol, &err, &request_id));
        }
    };
    if let Some(keys) = &service.signing_keys {
        match crate::auth::verify(keys, &parts, &body) {
            Ok(key) => caller.access_key = Some(key),
            Err(e) => return Ok(error_answer(protocol, &e, &request_id)),
        }
    }
    let answer = match protocol {
        Protocol::Json => {
            let op = target
                .as_deref()
                .and_then(|t| t.strip_prefix("AmazonSQS."))
                .unwrap_or_default()
                .to_owned();
            dispatch(&service, protocol, &op, &body, None, &caller, &request_id).await
        }
        Protocol::Query => {
            let mut form = Form::parse(&body);
            if let Some(q) = parts.uri.query() {
                form.extend(q.as_bytes());
            }
            // Older clients name the queue by the request path instead of a QueueUrl parameter.
            let path = parts.uri.path();
            if form.get("QueueUrl").is_none() && path.len() > 1 {
                form.insert("QueueUrl", format!("{}{path}", service.base_url));
            }
            let op = form.get("Action").unwrap_or_default().to_owned();
            dispatch(
                &service,
                protocol,
                &op,
                &body,
                Some(&form),
                &caller,
                &request_id,
            )
            .await
        }
    };
    tracing::debug!(status = answer.status().as_u16(), "sqs-local answered");
    Ok(answer)
}

/// The access key id from a SigV4 `Authorization` header.
fn access_key_of(auth: &str) -> Option<String> {
    let cred = auth.split("Credential=").nth(1)?;
    let key = cred.split('/').next()?;
    (!key.is_empty()).then(|| key.to_owned())
}

fn decode<I: Served>(protocol: Protocol, body: &[u8], form: Option<&Form>) -> Result<I, ApiError> {
    match (protocol, form) {
        (Protocol::Query, Some(form)) => I::from_form(form).map_err(ApiError::from),
        _ => I::from_json(body).map_err(ApiError::from),
    }
}

fn respond<I: Served>(
    protocol: Protocol,
    request_id: &str,
    result: Result<I::Output, ApiError>,
) -> Answer {
    match result {
        Ok(output) => {
            let (body, content_type) = match protocol {
                Protocol::Json => (I::output_to_json(&output), "application/x-amz-json-1.0"),
                Protocol::Query => (
                    I::output_to_xml(&output, request_id).into_bytes(),
                    "text/xml",
                ),
            };
            answer(StatusCode::OK, content_type, request_id, body)
        }
        Err(e) => error_answer(protocol, &e, request_id),
    }
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
    match protocol {
        Protocol::Json => {
            let body = serde_json::json!({
                "__type": format!("com.amazonaws.sqs#{}", e.shape_name()),
                "message": e.message,
            });
            let mut r = answer(
                status,
                "application/x-amz-json-1.0",
                request_id,
                body.to_string().into_bytes(),
            );
            let query_error = format!("{};{}", e.query_code(), e.fault);
            if let Ok(v) = HeaderValue::from_str(&query_error) {
                r.headers_mut().insert("x-amzn-query-error", v);
            }
            r
        }
        Protocol::Query => {
            let body = xml_error(
                e.fault,
                e.query_code(),
                &e.message,
                sqs_client::XML_NAMESPACE,
                request_id,
            );
            answer(status, "text/xml", request_id, body.into_bytes())
        }
    }
}

async fn dispatch(
    service: &Arc<Service>,
    protocol: Protocol,
    op: &str,
    body: &[u8],
    form: Option<&Form>,
    caller: &Caller,
    request_id: &str,
) -> Answer {
    macro_rules! run {
        ($input:ty, |$i:ident| $call:expr) => {
            respond::<$input>(
                protocol,
                request_id,
                match decode::<$input>(protocol, body, form) {
                    Ok($i) => $call,
                    Err(e) => Err(e),
                },
            )
        };
    }
    let s = service;
    match op {
        "AddPermission" => run!(AddPermissionInput, |i| s.add_permission(i)),
        "CancelMessageMoveTask" => run!(CancelMessageMoveTaskInput, |i| s
            .cancel_message_move_task(i)),
        "ChangeMessageVisibility" => run!(ChangeMessageVisibilityInput, |i| s
            .change_message_visibility(i)),
        "ChangeMessageVisibilityBatch" => {
            run!(ChangeMessageVisibilityBatchInput, |i| s
                .change_message_visibility_batch(i))
        }
        "CreateQueue" => run!(CreateQueueInput, |i| s.create_queue(i)),
        "DeleteMessage" => run!(DeleteMessageInput, |i| s.delete_message(i)),
        "DeleteMessageBatch" => run!(DeleteMessageBatchInput, |i| s.delete_message_batch(i)),
        "DeleteQueue" => run!(DeleteQueueInput, |i| s.delete_queue(i)),
        "GetQueueAttributes" => run!(GetQueueAttributesInput, |i| s.get_queue_attributes(i)),
        "GetQueueUrl" => run!(GetQueueUrlInput, |i| s.get_queue_url(i)),
        "ListDeadLetterSourceQueues" => {
            run!(ListDeadLetterSourceQueuesInput, |i| s
                .list_dead_letter_source_queues(i))
        }
        "ListMessageMoveTasks" => run!(ListMessageMoveTasksInput, |i| s.list_message_move_tasks(i)),
        "ListQueueTags" => run!(ListQueueTagsInput, |i| s.list_queue_tags(i)),
        "ListQueues" => run!(ListQueuesInput, |i| s.list_queues(i)),
        "PurgeQueue" => run!(PurgeQueueInput, |i| s.purge_queue(i)),
        "ReceiveMessage" => run!(ReceiveMessageInput, |i| s.receive_message(i).await),
        "RemovePermission" => run!(RemovePermissionInput, |i| s.remove_permission(i)),
        "SendMessage" => run!(SendMessageInput, |i| s.send_message(i, caller)),
        "SendMessageBatch" => run!(SendMessageBatchInput, |i| s.send_message_batch(i, caller)),
        "SetQueueAttributes" => run!(SetQueueAttributesInput, |i| s.set_queue_attributes(i)),
        "StartMessageMoveTask" => run!(StartMessageMoveTaskInput, |i| s.start_message_move_task(i)),
        "TagQueue" => run!(TagQueueInput, |i| s.tag_queue(i)),
        "UntagQueue" => run!(UntagQueueInput, |i| s.untag_queue(i)),
        other => {
            let err = match protocol {
                Protocol::Json => ApiError::unmodeled(
                    "UnknownOperationException",
                    format!("The operation {other:?} is not an operation of this service."),
                ),
                Protocol::Query => ApiError::unmodeled(
                    "InvalidAction",
                    format!("The action {other} is not valid for this endpoint."),
                ),
            };
            error_answer(protocol, &err, request_id)
        }
    }
}
