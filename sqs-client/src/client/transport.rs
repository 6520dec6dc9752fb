//! Attempts on the wire: the retry loop, one attempt signed and sent with its timeout, and the
//! answer decoded (or its error read) in the protocol in use.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::HeaderValue;
use sqs_model::Operation;
use sqs_model::wire;
use tracing::Instrument;

use crate::auth::{self, SigningInput};
use crate::config::Protocol;
use crate::credentials::CredentialsError;
use crate::error::{Error, ErrorKind};

use super::execute::*;

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const QUERY_CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

const SIGNING_NAME: &str = "sqs";

/// One HTTP answer, read to the end. Its headers are kept as received (a shared slice of what
/// was read, not a copy) and made strings only where an error needs them.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) request_id: Option<HeaderValue>,
    pub(super) query_error: Option<HeaderValue>,
    pub(super) error_type: Option<HeaderValue>,
    pub(super) body: Bytes,
}

/// A header's value as text, if it is text.
fn text(value: &Option<HeaderValue>) -> Option<&str> {
    value.as_ref().and_then(|v| v.to_str().ok())
}

/// Reads an answer's body, refusing one over `max` bytes: from its `Content-Length` before
/// reading, else as its chunks arrive (an endless chunked body stops at `max`).
async fn read_capped<O: Operation>(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Bytes, Error> {
    if let Some(declared) = response.content_length()
        && declared > max as u64
    {
        return Err(Error::too_large(O::NAME, max, Some(declared)));
    }
    // Most answers come in one chunk: that chunk is the body, without a copy.
    let Some(first) = response
        .chunk()
        .await
        .map_err(|e| Client::transport_error::<O>(e))?
    else {
        return Ok(Bytes::new());
    };
    if first.len() > max {
        return Err(Error::too_large(O::NAME, max, None));
    }
    let Some(second) = response
        .chunk()
        .await
        .map_err(|e| Client::transport_error::<O>(e))?
    else {
        return Ok(first);
    };
    let mut body = bytes::BytesMut::with_capacity(first.len() + second.len());
    body.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        if body.len() + chunk.len() > max {
            return Err(Error::too_large(O::NAME, max, None));
        }
        body.extend_from_slice(&chunk);
        next = response
            .chunk()
            .await
            .map_err(|e| Client::transport_error::<O>(e))?;
    }
    Ok(body.freeze())
}

impl Client {
    pub(super) async fn attempts<O: Operation>(
        &self,
        url: &reqwest::Url,
        body: Bytes,
        payload_hash: &str,
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
                .attempt::<O>(url, body.clone(), payload_hash, attempt_timeout, deadline)
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
    pub(super) async fn attempt<O: Operation>(
        &self,
        url: &reqwest::Url,
        body: Bytes,
        payload_hash: &str,
        attempt_timeout: Duration,
        deadline: Instant,
    ) -> Result<O::Output, Error> {
        let limit = (Instant::now() + attempt_timeout).min(deadline);
        match tokio::time::timeout_at(
            limit.into(),
            self.attempt_untimed::<O>(url, body, payload_hash),
        )
        .await
        {
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

    pub(super) async fn attempt_untimed<O: Operation>(
        &self,
        url: &reqwest::Url,
        body: Bytes,
        payload_hash: &str,
    ) -> Result<O::Output, Error> {
        let inner = &self.inner;
        let config = &inner.config;
        let credentials = config
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| Error::credentials(O::NAME, e))?;
        let (content_type, target) = match config.protocol {
            Protocol::AwsJson1_0 => (JSON_CONTENT_TYPE, Some(O::TARGET)),
            Protocol::AwsQuery => (QUERY_CONTENT_TYPE, None),
        };
        // Signed anew on every attempt, with the credentials of the moment.
        let headers = auth::signed_headers(&SigningInput {
            url,
            content_type,
            target,
            query_mode: target.is_some(),
            payload_hash,
            region: &config.region,
            service: SIGNING_NAME,
            credentials: &credentials,
            now: SystemTime::now(),
        })
        .map_err(|why| {
            let why = format!("the request cannot be signed: {why}");
            Error::credentials(O::NAME, CredentialsError::new("signing", why))
        })?;
        // Made whole rather than through a builder, which would grow a header map of its own.
        let mut request = reqwest::Request::new(reqwest::Method::POST, url.clone());
        *request.headers_mut() = headers;
        *request.body_mut() = Some(body.into());
        let send = async {
            let response = inner
                .http
                .execute(request)
                .await
                .map_err(|e| Self::transport_error::<O>(e))?;
            let header = |name: &str| response.headers().get(name).cloned();
            let status = response.status().as_u16();
            let request_id = header("x-amzn-requestid").or_else(|| header("x-amz-request-id"));
            let query_error = header("x-amzn-query-error");
            let error_type = header("x-amzn-errortype");
            let body = read_capped::<O>(response, config.max_response_bytes).await?;
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

    pub(super) fn transport_error<O: Operation>(e: reqwest::Error) -> Error {
        if e.is_timeout() {
            Error::timeout(O::NAME, &e.to_string())
        } else {
            Error::transport(O::NAME, e)
        }
    }

    pub(super) fn decode<O: Operation>(&self, answer: Answer) -> Result<O::Output, Error> {
        let Answer {
            status,
            request_id,
            query_error,
            error_type,
            body,
        } = answer;
        let request_id = || text(&request_id).map(str::to_owned);
        if (200..300).contains(&status) {
            let decoded = match self.inner.config.protocol {
                Protocol::AwsJson1_0 => O::output_from_json(&body),
                Protocol::AwsQuery => O::output_from_xml(&body),
            };
            return decoded.map_err(|e| Error::malformed(O::NAME, status, e, request_id()));
        }
        // Servers answer errors in either form whatever the request used (moto sends XML for
        // signature errors on JSON requests), so look at the body.
        let looks_xml = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
        let wire = if looks_xml {
            wire::decode_xml_error(&body)
        } else {
            wire::decode_json_error(text(&query_error), text(&error_type), &body)
        };
        Err(match wire {
            Some(wire) => Error::service(O::NAME, status, wire, request_id()),
            None => Error::unrecognised_status(O::NAME, status, &body, request_id()),
        })
    }
}
