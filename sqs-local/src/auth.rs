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
mod tests {
    use super::*;

    const T: u64 = 1_795_347_307; // 2026-11-22T11:35:07Z

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// How a test client signs.
    struct Signer<'a> {
        secret: &'a str,
        token: Option<&'a str>,
        region: &'a str,
        service: &'a str,
        time: u64,
    }

    const CLIENT: Signer<'static> = Signer {
        secret: "secret",
        token: None,
        region: "us-east-1",
        service: "sqs",
        time: T,
    };

    impl Signer<'_> {
        /// A request to `url`, its `headers` and `body` signed by `aws-sigv4` as a client signs
        /// them, as the server receives it (a path-only URI; `Host` from the URL unless
        /// `headers` name it).
        fn sign(&self, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Parts {
            let identity: Identity = Credentials::new(
                "AKID",
                self.secret,
                self.token.map(str::to_owned),
                None,
                "test",
            )
            .into();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region(self.region)
                .name(self.service)
                .time(at(self.time))
                .settings(SigningSettings::default())
                .build()
                .unwrap()
                .into();
            let hash = hex(digest(&SHA256, body).as_ref());
            let signable = SignableRequest::new(
                "POST",
                url,
                headers.iter().copied(),
                SignableBody::Precomputed(hash),
            )
            .unwrap();
            let (instructions, _) = sign(signable, &params).unwrap().into_parts();
            let uri = url.parse::<hyper::http::Uri>().unwrap();
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            let mut request = hyper::http::Request::builder().method("POST").uri(path);
            if !headers.iter().any(|(name, _)| *name == "host") {
                request = request.header("host", uri.authority().unwrap().as_str());
            }
            for (name, value) in headers.iter().copied().chain(instructions.headers()) {
                request = request.header(name, value);
            }
            request.body(()).unwrap().into_parts().0
        }

        /// A JSON GetQueueUrl signed over `signed_body` (with its hash in X-Amz-Content-Sha256
        /// if `body_hash_header`).
        fn json(&self, signed_body: &[u8], body_hash_header: bool) -> Parts {
            let hash = hex(digest(&SHA256, signed_body).as_ref());
            let mut headers = vec![
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amz-target", "AmazonSQS.GetQueueUrl"),
            ];
            if body_hash_header {
                headers.push(("x-amz-content-sha256", hash.as_str()));
            }
            self.sign("http://127.0.0.1:9324/", &headers, signed_body)
        }
    }

    fn verifier(token: Option<&str>) -> Verifier {
        let pair = KeyPair {
            secret: "secret".into(),
            token: token.map(str::to_owned),
        };
        Verifier {
            keys: HashMap::from([("AKID".to_owned(), pair)]),
            region: "us-east-1".into(),
        }
    }

    const GET_URL: &[u8] = br#"{"QueueName":"jobs"}"#;
    const DELETE: &[u8] = br#"{"QueueUrl":"http://127.0.0.1:9324/000000000000/jobs"}"#;

    /// The code (or `ok KEY`) and the message of checking `parts` with `body` at `now`.
    fn check_at(
        v: &Verifier,
        parts: &Parts,
        json: bool,
        body: &[u8],
        now: u64,
    ) -> (String, String) {
        let result = v
            .check_head(parts, json, at(now))
            .and_then(|head| v.check_body(&head, parts, body));
        match result {
            Ok(key) => (format!("ok {key}"), String::new()),
            Err(e) => (e.query_code().to_owned(), e.message),
        }
    }

    fn code(v: &Verifier, parts: &Parts, body: &[u8]) -> String {
        check_at(v, parts, true, body, T).0
    }

    fn with_authorization(mut parts: Parts, edit: impl Fn(&str) -> String) -> Parts {
        let auth = edit(parts.headers["authorization"].to_str().unwrap());
        parts.headers.insert("authorization", auth.parse().unwrap());
        parts
    }

    #[test]
    fn a_request_is_checked_against_the_bytes_received() {
        let v = verifier(None);
        for hash_header in [false, true] {
            let parts = CLIENT.json(GET_URL, hash_header);
            assert_eq!(code(&v, &parts, GET_URL), "ok AKID");
            // The same signed headers with another body: refused, whatever the header claims.
            assert_eq!(code(&v, &parts, DELETE), "SignatureDoesNotMatch");
        }
        // A header that claims the hash of the body sent, over a signature of another body.
        let mut parts = CLIENT.json(GET_URL, true);
        let delete_hash = hex(digest(&SHA256, DELETE).as_ref());
        parts
            .headers
            .insert("x-amz-content-sha256", delete_hash.parse().unwrap());
        assert_eq!(code(&v, &parts, DELETE), "SignatureDoesNotMatch");
        // An unsigned payload.
        let mut parts = CLIENT.json(GET_URL, false);
        parts
            .headers
            .insert("x-amz-content-sha256", "UNSIGNED-PAYLOAD".parse().unwrap());
        assert_eq!(code(&v, &parts, GET_URL), "IncompleteSignature");
    }

    #[test]
    fn keys_secrets_and_tokens_must_be_the_configured_ones() {
        let wrong_secret = Signer {
            secret: "wrong",
            ..CLIENT
        };
        let v = verifier(None);
        let parts = wrong_secret.json(GET_URL, false);
        assert_eq!(code(&v, &parts, GET_URL), "SignatureDoesNotMatch");
        let other_key = with_authorization(CLIENT.json(GET_URL, false), |a| {
            a.replace("Credential=AKID/", "Credential=AKIDOTHER/")
        });
        assert_eq!(code(&v, &other_key, GET_URL), "InvalidClientTokenId");

        let with_token = Signer {
            token: Some("session-token"),
            ..CLIENT
        };
        let other_token = Signer {
            token: Some("another-token"),
            ..CLIENT
        };
        // A pair without a token refuses a request that carries one.
        let parts = with_token.json(GET_URL, false);
        assert_eq!(code(&v, &parts, GET_URL), "InvalidClientTokenId");
        // A pair with a token wants that token, signed.
        let v = verifier(Some("session-token"));
        assert_eq!(code(&v, &parts, GET_URL), "ok AKID");
        let parts = other_token.json(GET_URL, false);
        assert_eq!(code(&v, &parts, GET_URL), "InvalidClientTokenId");
        let parts = CLIENT.json(GET_URL, false);
        assert_eq!(code(&v, &parts, GET_URL), "InvalidClientTokenId");
    }

    #[test]
    fn a_request_is_valid_for_five_minutes_either_way() {
        let v = verifier(None);
        let parts = CLIENT.json(GET_URL, false);
        assert_eq!(check_at(&v, &parts, true, GET_URL, T + 299).0, "ok AKID");
        assert_eq!(check_at(&v, &parts, true, GET_URL, T - 299).0, "ok AKID");
        let (got, message) = check_at(&v, &parts, true, GET_URL, T + 301);
        assert_eq!(got, "SignatureDoesNotMatch");
        assert_eq!(
            message,
            "Signature expired: 20261122T113507Z is now earlier than 20261122T113508Z \
             (20261122T114008Z - 5 min.); the request was signed 301 s ago."
        );
        let (got, message) = check_at(&v, &parts, true, GET_URL, T - 3600);
        assert_eq!(got, "SignatureDoesNotMatch");
        assert!(
            message.starts_with("Signature not yet current"),
            "{message}"
        );
        assert!(message.contains("3600 s ahead"), "{message}");
        // The scope's date must be the date of X-Amz-Date.
        let other_day = with_authorization(parts, |a| a.replace("/20261122/", "/20261121/"));
        let (got, message) = check_at(&v, &other_day, true, GET_URL, T);
        assert_eq!(got, "SignatureDoesNotMatch");
        assert!(
            message.contains("'20261121' against '20261122'"),
            "{message}"
        );
    }

    #[test]
    fn the_scope_must_be_this_region_and_sqs() {
        let v = verifier(None);
        let s3 = Signer {
            service: "s3",
            ..CLIENT
        };
        let (got, message) = check_at(&v, &s3.json(GET_URL, false), true, GET_URL, T);
        assert_eq!(got, "SignatureDoesNotMatch");
        assert!(message.contains("'sqs', not 's3'"), "{message}");
        let eu = Signer {
            region: "eu-west-1",
            ..CLIENT
        };
        let (got, message) = check_at(&v, &eu.json(GET_URL, false), true, GET_URL, T);
        assert_eq!(got, "SignatureDoesNotMatch");
        assert!(
            message.contains("'us-east-1', not 'eu-west-1'"),
            "{message}"
        );
        let parts = with_authorization(CLIENT.json(GET_URL, false), |a| {
            a.replace("/aws4_request", "/aws5_request")
        });
        assert_eq!(code(&v, &parts, GET_URL), "SignatureDoesNotMatch");
        let parts = with_authorization(CLIENT.json(GET_URL, false), |a| {
            a.replace("/us-east-1/sqs/", "/us-east-1/")
        });
        assert_eq!(code(&v, &parts, GET_URL), "IncompleteSignature");
    }

    #[test]
    fn what_the_signature_must_cover_is_checked_before_the_body() {
        let v = verifier(None);
        let head_code = |parts: &Parts, json: bool| {
            v.check_head(parts, json, at(T))
                .map_or_else(|e| e.query_code().to_owned(), |_| "ok".into())
        };
        let parts = CLIENT.json(GET_URL, false);
        assert_eq!(head_code(&parts, true), "ok");
        // A target or content type that is not signed could be changed in flight.
        for unsigned in [";x-amz-target", "content-type;", ";x-amz-date", "host;"] {
            let cut =
                with_authorization(CLIENT.json(GET_URL, false), |a| a.replacen(unsigned, "", 1));
            assert_ne!(
                cut.headers["authorization"], parts.headers["authorization"],
                "{unsigned}"
            );
            assert_eq!(head_code(&cut, true), "SignatureDoesNotMatch", "{unsigned}");
        }
        // A form request need not sign a target it does not have.
        let form = b"Action=ListQueues&Version=2012-11-05";
        let query = CLIENT.sign(
            "http://127.0.0.1:9324/",
            &[("content-type", "application/x-www-form-urlencoded")],
            form,
        );
        assert_eq!(check_at(&v, &query, false, form, T).0, "ok AKID");
        // An empty list, a header the request lacks, a signature of the wrong shape.
        let parts = with_authorization(CLIENT.json(GET_URL, false), |a| {
            let start = a.find("SignedHeaders=").unwrap() + "SignedHeaders=".len();
            let end = start + a[start..].find(',').unwrap();
            format!("{}{}", &a[..start], &a[end..])
        });
        assert_eq!(head_code(&parts, true), "IncompleteSignature");
        let parts = with_authorization(CLIENT.json(GET_URL, false), |a| {
            a.replace("SignedHeaders=", "SignedHeaders=accept;")
        });
        assert_eq!(head_code(&parts, true), "SignatureDoesNotMatch");
        let parts = with_authorization(CLIENT.json(GET_URL, false), |a| {
            a.replace("Signature=", "Signature=ab")
        });
        assert_eq!(head_code(&parts, true), "IncompleteSignature");
        let parts = with_authorization(CLIENT.json(GET_URL, false), |a| {
            format!("{a}, Signature=00")
        });
        assert_eq!(head_code(&parts, true), "IncompleteSignature");
        // No Host: no URL to check the signature against, refused rather than a panic.
        let mut parts = CLIENT.json(GET_URL, false);
        parts.headers.remove("host");
        assert_eq!(code(&v, &parts, GET_URL), "SignatureDoesNotMatch");
    }

    #[test]
    fn unsigned_and_presigned_requests_are_refused() {
        let v = verifier(None);
        let mut parts = CLIENT.json(GET_URL, false);
        parts.headers.remove("authorization");
        assert_eq!(code(&v, &parts, GET_URL), "MissingAuthenticationToken");
        parts.uri = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261122%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Signature=00"
            .parse()
            .unwrap();
        let (got, message) = check_at(&v, &parts, true, GET_URL, T);
        assert_eq!(got, "IncompleteSignature");
        assert!(message.contains("Presigned"), "{message}");
    }

    #[test]
    fn a_host_with_its_default_port_is_checked_as_sent() {
        // A client that sends (and signs) `Host: 127.0.0.1:80`.
        let body = b"Action=ListQueues&Version=2012-11-05";
        let headers = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("host", "127.0.0.1:80"),
        ];
        let parts = CLIENT.sign("http://127.0.0.1:80/", &headers, body);
        assert_eq!(
            check_at(&verifier(None), &parts, false, body, T).0,
            "ok AKID"
        );
    }

    #[test]
    fn amz_dates_are_read_and_written_as_utc_instants() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(at(0)));
        assert_eq!(parse_amz_date("20261122T113507Z"), Some(at(1_795_347_307)));
        assert_eq!(parse_amz_date("20240229T235959Z"), Some(at(1_709_251_199)));
        assert_eq!(parse_amz_date("20000301T000000Z"), Some(at(951_868_800)));
        for secs in [0, 951_868_800, 1_709_251_199, 1_795_347_307, 4_102_444_800] {
            assert_eq!(parse_amz_date(&amz_date(at(secs))), Some(at(secs)));
        }
        assert_eq!(amz_date(at(1_709_251_199)), "20240229T235959Z");
        for bad in [
            "",
            "20261122T113507",
            "2026-11-22T11:35Z",
            "20261322T113507Z",
            "2026112xT113507Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad:?}");
        }
    }
}
