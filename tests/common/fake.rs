//! A programmable SQS stand-in on 127.0.0.1 for batching tests: every AWS JSON 1.0 request is
//! logged and answered by a closure of (operation, body). Stops when dropped.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// An answer: HTTP status and JSON body (errors also get the query-error header from `__type`).
pub type Answer = (u16, Value);
type Handler = dyn Fn(&str, &Value) -> Answer + Send + Sync;

/// The stand-in.
pub struct Fake {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<(String, Value)>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Fake {
    pub async fn start(handler: impl Fn(&str, &Value) -> Answer + Send + Sync + 'static) -> Fake {
        Self::answering_after(std::time::Duration::ZERO, handler).await
    }

    /// A stand-in that logs each request at once and answers it `delay` later.
    pub async fn answering_after(
        delay: std::time::Duration,
        handler: impl Fn(&str, &Value) -> Answer + Send + Sync + 'static,
    ) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let log2 = Arc::clone(&log);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (handler, log) = (Arc::clone(&handler), Arc::clone(&log2));
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (handler, log) = (Arc::clone(&handler), Arc::clone(&log));
                        async move {
                            let op = req
                                .headers()
                                .get("x-amz-target")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .trim_start_matches("AmazonSQS.")
                                .to_owned();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                            log.lock().unwrap().push((op.clone(), body.clone()));
                            if !delay.is_zero() {
                                tokio::time::sleep(delay).await;
                            }
                            let (status, answer) = handler(&op, &body);
                            let mut r = Response::new(Full::new(Bytes::from(answer.to_string())));
                            *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            r.headers_mut().insert(
                                "content-type",
                                "application/x-amz-json-1.0".parse().unwrap(),
                            );
                            if let Some(t) = answer.get("__type").and_then(|t| t.as_str()) {
                                let code = t.rsplit('#').next().unwrap_or(t);
                                let fault = if status >= 500 { "Receiver" } else { "Sender" };
                                r.headers_mut().insert(
                                    "x-amzn-query-error",
                                    format!("{code};{fault}").parse().unwrap(),
                                );
                            }
                            Ok::<_, Infallible>(r)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Fake { addr, log, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The logged requests of one operation.
    pub fn requests(&self, op: &str) -> Vec<Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(o, _)| o == op)
            .map(|(_, b)| b.clone())
            .collect()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A SendMessageBatch answer accepting every entry (with correct digests of the bodies).
pub fn accept_sends(body: &Value) -> Answer {
    let ok: Vec<Value> = body["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(success)
        .collect();
    (200, serde_json::json!({"Successful": ok}))
}

/// A DeleteMessageBatch or ChangeMessageVisibilityBatch answer accepting every entry.
pub fn accept_ids(body: &Value) -> Answer {
    let ok: Vec<Value> = body["Entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::json!({"Id": e["Id"]}))
        .collect();
    (200, serde_json::json!({"Successful": ok}))
}

/// An answer accepting every entry of any batch request.
pub fn accept_batches(op: &str, body: &Value) -> Answer {
    match op {
        "SendMessageBatch" => accept_sends(body),
        _ => accept_ids(body),
    }
}

/// The successful result of one SendMessageBatch entry.
pub fn success(entry: &Value) -> Value {
    use md5::Digest as _;
    let body = entry["MessageBody"].as_str().unwrap_or_default();
    let md5 = hex::encode(md5::Md5::digest(body.as_bytes()));
    let mut out = serde_json::json!({
        "Id": entry["Id"],
        "MessageId": format!("m-{body}"),
        "MD5OfMessageBody": md5,
    });
    if let Some(attrs) = entry.get("MessageAttributes") {
        let attrs: std::collections::HashMap<String, sqs_client::types::MessageAttributeValue> =
            serde_json::from_value(attrs.clone()).unwrap();
        out["MD5OfMessageAttributes"] = Value::String(sqs_client::attributes_md5(&attrs));
    }
    out
}

/// A failed entry.
pub fn failure(id: &Value, code: &str, sender_fault: bool) -> Value {
    serde_json::json!({"Id": id, "Code": code, "SenderFault": sender_fault, "Message": format!("{code} (injected)")})
}
