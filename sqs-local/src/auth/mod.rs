//! SigV4 verification, as AWS does it, in two steps.
//!
//! [`Verifier::check_head`] looks at what the headers alone establish, before any of the body is
//! read: the `Authorization` header's shape, a known access key id, the session token that key
//! pair has (or none), the credential scope (`<date>/<region>/sqs/aws4_request`, the region the
//! service runs in), an `X-Amz-Date` within five minutes of the server clock and matching the
//! scope's date, and a `SignedHeaders` list that covers `host` and `x-amz-date` (and, in AWS JSON,
//! `x-amz-target` and `content-type`), every header in it present.
//!
//! [`Verifier::check_body`] then computes the SHA-256 of the body bytes received (never trusting
//! an `X-Amz-Content-Sha256` header, which must match it when present; `UNSIGNED-PAYLOAD` is
//! refused) and the expected signature with `aws-sigv4`, the signer the client uses too, from the
//! method, the URL with the `Host` received, exactly the signed headers, and the time of
//! `X-Amz-Date`; the two signatures are compared in constant time.
//!
//! Presigned (query-string) signatures are refused. A request replayed unchanged within the
//! five minutes is accepted, as AWS accepts it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use hyper::http::request::Parts;
use ring::digest::{SHA256, digest};
use sqs_model::wire::hex;

use crate::error::ApiError;

/// How far `X-Amz-Date` may be from the server clock, either way.
pub(crate) const MAX_SKEW: Duration = Duration::from_secs(300);

fn forbidden(code: &str, message: &str) -> ApiError {
    let mut e = ApiError::unmodeled(code, message);
    e.status = 403;
    e
}

fn incomplete(why: &str) -> ApiError {
    forbidden("IncompleteSignature", why)
}

/// `YYYYMMDDTHHMMSSZ` as an instant, or `None` when it is not one.
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let b = text.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days since 1970-01-01 of a civil date (proleptic Gregorian calendar).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// A key pair whose signatures are accepted.
#[derive(Debug, Clone)]
pub(crate) struct KeyPair {
    pub(crate) secret: String,
    /// The session token requests signed with this pair must carry (temporary credentials);
    /// `None` refuses any request that carries one.
    pub(crate) token: Option<String>,
}

/// The key pairs and the region requests must be signed for.
#[derive(Debug, Clone)]
pub(crate) struct Verifier {
    pub(crate) keys: HashMap<String, KeyPair>,
    pub(crate) region: String,
}

/// What the headers of a request established: enough to check its body's signature.
#[derive(Debug)]
pub(crate) struct Head<'a> {
    key_id: &'a str,
    pair: &'a KeyPair,
    scope_region: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
    time: SystemTime,
    claimed_hash: Option<&'a str>,
}

fn mismatch(why: &str) -> ApiError {
    forbidden("SignatureDoesNotMatch", why)
}

/// `20261122T113507Z` for an instant (whole seconds, UTC).
fn amz_date(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // The civil date of a day count since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// Equal, compared without an early exit.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl Verifier {
    /// Checks everything the headers alone tell, at server time `now`.
    pub(crate) fn check_head<'a>(
        &'a self,
        parts: &'a Parts,
        json: bool,
        now: SystemTime,
    ) -> Result<Head<'a>, ApiError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let Some(auth) = header("authorization") else {
            let query = parts.uri.query().unwrap_or_default();
            if query.contains("X-Amz-Signature=") || query.contains("X-Amz-Credential=") {
                return Err(incomplete(
                    "Presigned (query-string) signatures are not accepted: sign the request with an Authorization header.",
                ));
            }
            return Err(forbidden(
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ));
        };
        let rest = auth
            .strip_prefix("AWS4-HMAC-SHA256 ")
            .ok_or_else(|| incomplete("Only AWS4-HMAC-SHA256 is accepted."))?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (name, value) = part.trim().split_once('=').ok_or_else(|| {
                incomplete(&format!(
                    "Authorization header requires each component to be name=value; found {:?}.",
                    truncated(part.trim())
                ))
            })?;
            let slot = match name {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                other => {
                    return Err(incomplete(&format!(
                        "Authorization header has an unknown component {:?}.",
                        truncated(other)
                    )));
                }
            };
            if slot.replace(value).is_some() {
                return Err(incomplete(&format!(
                    "Authorization header names {name} more than once."
                )));
            }
        }
        let required = |value: Option<&'a str>, name: &str| {
            value.filter(|v| !v.is_empty()).ok_or_else(|| {
                incomplete(&format!(
                    "Authorization header requires a non-empty '{name}' parameter."
                ))
            })
        };
        let credential = required(credential, "Credential")?;
        let signed_headers = required(signed_headers, "SignedHeaders")?;
        let signature = required(signature, "Signature")?;
        if signature.len() != 64
            || !signature
                .bytes()
                .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(incomplete(
                "The Signature must be 64 lowercase hexadecimal digits.",
            ));
        }
        let scope: Vec<&str> = credential.split('/').collect();
        let [key_id, date, region, service, terminator] = scope.as_slice() else {
            return Err(incomplete(
                "The Credential must be key-id/YYYYMMDD/region/service/aws4_request.",
            ));
        };
        let pair = self.keys.get(*key_id).ok_or_else(|| {
            forbidden(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            )
        })?;
        match (&pair.token, header("x-amz-security-token")) {
            (None, None) => {}
            (Some(expected), Some(sent)) if same(expected, sent) => {}
            (Some(_), None) => {
                return Err(forbidden(
                    "InvalidClientTokenId",
                    "This key pair is temporary: the request must carry its X-Amz-Security-Token.",
                ));
            }
            _ => {
                return Err(forbidden(
                    "InvalidClientTokenId",
                    "The security token included in the request is invalid.",
                ));
            }
        }
        if *terminator != "aws4_request" {
            return Err(mismatch(&format!(
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
                truncated(terminator)
            )));
        }
        if *service != "sqs" {
            return Err(mismatch(&format!(
                "Credential should be scoped to correct service: 'sqs', not '{}'.",
                truncated(service)
            )));
        }
        if *region != self.region {
            return Err(mismatch(&format!(
                "Credential should be scoped to a valid region: '{}', not '{}'.",
                self.region,
                truncated(region)
            )));
        }
        let sent_date = header("x-amz-date").ok_or_else(|| {
            incomplete("Authorization header requires existence of an 'X-Amz-Date' header.")
        })?;
        let time = parse_amz_date(sent_date).ok_or_else(|| {
            incomplete(&format!(
                "X-Amz-Date {:?} is not of the form YYYYMMDDTHHMMSSZ.",
                truncated(sent_date)
            ))
        })?;
        if !sent_date.starts_with(date) || date.len() != 8 {
            return Err(mismatch(&format!(
                "Date in Credential scope does not match YYYYMMDD from X-Amz-Date: '{}' against '{}'.",
                truncated(date),
                &sent_date[..8]
            )));
        }
        if let Ok(late) = now.duration_since(time)
            && late > MAX_SKEW
        {
            return Err(mismatch(&format!(
                "Signature expired: {sent_date} is now earlier than {} ({} - 5 min.); the request was signed {} s ago.",
                amz_date(now - MAX_SKEW),
                amz_date(now),
                late.as_secs()
            )));
        }
        if let Ok(early) = time.duration_since(now)
            && early > MAX_SKEW
        {
            return Err(mismatch(&format!(
                "Signature not yet current: {sent_date} is still later than {} ({} + 5 min.); the request was signed {} s ahead of the server clock.",
                amz_date(now + MAX_SKEW),
                amz_date(now),
                early.as_secs()
            )));
        }
        let signed_headers: Vec<&str> = signed_headers.split(';').collect();
        let mut must_sign = vec!["host", "x-amz-date"];
        if json {
            must_sign.extend(["x-amz-target", "content-type"]);
        }
        for name in must_sign {
            if !signed_headers.contains(&name) {
                return Err(mismatch(&format!(
                    "The request must sign the header '{name}'; SignedHeaders leaves it out."
                )));
            }
        }
        for name in &signed_headers {
            if !parts.headers.contains_key(*name) {
                return Err(mismatch(&format!(
                    "The signed header '{}' is not in the request.",
                    truncated(name)
                )));
            }
        }
        let claimed_hash = header("x-amz-content-sha256");
        if claimed_hash == Some("UNSIGNED-PAYLOAD") {
            return Err(incomplete(
                "UNSIGNED-PAYLOAD is not accepted for SQS: sign the SHA-256 of the body.",
            ));
        }
        Ok(Head {
            key_id,
            pair,
            scope_region: region,
            signed_headers,
            signature,
            time,
            claimed_hash,
        })
    }

    /// Checks the signature over the body bytes received; returns the access key id.
    pub(crate) fn check_body(
        &self,
        head: &Head<'_>,
        parts: &Parts,
        body: &[u8],
    ) -> Result<String, ApiError> {
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let payload_hash = hex(digest(&SHA256, body).as_ref());
        if let Some(claimed) = head.claimed_hash
            && !same(claimed, &payload_hash)
        {
            return Err(mismatch(
                "X-Amz-Content-Sha256 does not match the SHA-256 of the body received.",
            ));
        }
        // The signer wants the whole URL: hyper gives the path only, so the host comes from the
        // Host header, without which no URL (and no signature) can be made.
        let host = header("host")
            .filter(|h| !h.is_empty() && h.parse::<hyper::http::uri::Authority>().is_ok())
            .ok_or_else(|| incomplete("The request needs a valid Host header."))?;
        let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let url = format!("http://{host}{path_and_query}");

        // Exactly the headers the request says it signed, `host` with the value received (the
        // signer would otherwise make one from the URL, without a default port). `x-amz-date` is
        // the signer's own to add, from the time; the session token goes in through the identity.
        let mut signed: Vec<(&str, &str)> = Vec::new();
        for name in &head.signed_headers {
            if matches!(*name, "x-amz-date" | "x-amz-security-token") {
                continue;
            }
            for value in parts.headers.get_all(*name) {
                let value = value.to_str().map_err(|_| {
                    incomplete(&format!("The signed header {name} is not valid text."))
                })?;
                signed.push((name, value));
            }
        }
        let identity: Identity = Credentials::new(
            head.key_id,
            head.pair.secret.as_str(),
            head.pair.token.clone(),
            None,
            "sqs-local",
        )
        .into();
        let mut settings = SigningSettings::default();
        // Sign what the request names, no more and no less.
        settings.excluded_headers = None;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(head.scope_region)
            .name("sqs")
            .time(head.time)
            .settings(settings)
            .build()
            .map_err(|e| incomplete(&format!("The signature cannot be checked: {e}")))?
            .into();
        let request = SignableRequest::new(
            parts.method.as_str(),
            url,
            signed.into_iter(),
            SignableBody::Precomputed(payload_hash),
        )
        .map_err(|e| incomplete(&format!("The request cannot be signed: {e}")))?;
        let (_, expected) = sign(request, &params)
            .map_err(|e| incomplete(&format!("The signature cannot be checked: {e}")))?
            .into_parts();
        if !same(&expected, head.signature) {
            return Err(mismatch(
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
            ));
        }
        Ok(head.key_id.to_owned())
    }
}

/// At most 64 characters of what a peer sent, for an error message.
fn truncated(text: &str) -> &str {
    match text.char_indices().nth(64) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests;
