//! Optional SigV4 verification: with key pairs configured, every request must carry an
//! `Authorization` header signed with one of them. The expected signature is computed by
//! `aws-sigv4`, the signer the client uses too, from what was received: the method, the URL
//! with the `Host` it was sent to, exactly the headers the request names in `SignedHeaders`,
//! the time of its `X-Amz-Date` and the SHA-256 of the body bytes received. Signer and verifier
//! so share one canonicalization that neither of us wrote.
//!
//! Not checked yet: the clock skew of `X-Amz-Date`, the credential scope's region and service.

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

/// Checks a request's signature against the configured secrets; returns the access key id.
pub(crate) fn verify(
    keys: &HashMap<String, String>,
    parts: &Parts,
    body: &[u8],
) -> Result<String, ApiError> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let auth = header("authorization").ok_or_else(|| {
        forbidden(
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )
    })?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| incomplete("Only AWS4-HMAC-SHA256 is accepted."))?;
    let mut fields = HashMap::new();
    for part in rest.split(',') {
        if let Some((k, v)) = part.trim().split_once('=') {
            fields.insert(k, v);
        }
    }
    let needs = "The Authorization header needs Credential, SignedHeaders and Signature.";
    let credential = fields.get("Credential").ok_or_else(|| incomplete(needs))?;
    let signed_headers = fields
        .get("SignedHeaders")
        .ok_or_else(|| incomplete(needs))?;
    let signature = fields.get("Signature").ok_or_else(|| incomplete(needs))?;
    let (key_id, scope) = credential
        .split_once('/')
        .ok_or_else(|| incomplete(needs))?;
    let secret = keys.get(key_id).ok_or_else(|| {
        forbidden(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    })?;
    let scope_fields: Vec<&str> = scope.split('/').collect();
    let [_date, region, service, "aws4_request"] = scope_fields.as_slice() else {
        return Err(incomplete(
            "The credential scope must be date/region/service/aws4_request.",
        ));
    };
    let now = header("x-amz-date")
        .and_then(parse_amz_date)
        .ok_or_else(|| {
            incomplete("The request needs an X-Amz-Date of the form YYYYMMDDTHHMMSSZ.")
        })?;
    // The signer wants the whole URL: hyper gives the path only, so the host comes from the
    // Host header, without which no URL (and no signature) can be made.
    let host = header("host")
        .filter(|h| !h.is_empty() && h.parse::<hyper::http::uri::Authority>().is_ok())
        .ok_or_else(|| incomplete("The request needs a Host header."))?;
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("http://{host}{path_and_query}");

    // Exactly the headers the request says it signed, `host` with the value received (the
    // signer would otherwise make one from the URL, without a default port). `x-amz-date` is
    // the signer's own to add, from the time; the session token goes in through the identity.
    // A list without `host` is signed with it all the same, so it cannot match.
    let mut signed: Vec<(&str, &str)> = Vec::new();
    for name in signed_headers.split(';') {
        if matches!(name, "x-amz-date" | "x-amz-security-token") {
            continue;
        }
        for value in parts.headers.get_all(name) {
            let value = value
                .to_str()
                .map_err(|_| incomplete(&format!("The signed header {name} is not valid text.")))?;
            signed.push((name, value));
        }
    }
    let identity: Identity = Credentials::new(
        key_id,
        secret.as_str(),
        header("x-amz-security-token").map(str::to_owned),
        None,
        "sqs-local",
    )
    .into();
    let mut settings = SigningSettings::default();
    // Sign what the request names, no more and no less.
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| incomplete(&format!("The signature cannot be checked: {e}")))?
        .into();
    let payload_hash = hex(digest(&SHA256, body).as_ref());
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
    // Compare without an early exit.
    let same = expected.len() == signature.len()
        && expected
            .bytes()
            .zip(signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return Err(forbidden(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ));
    }
    Ok(key_id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_795_347_307; // 2026-11-22T11:35:07Z

    /// A request to `url`, its `headers` and `body` signed by `aws-sigv4` as a client signs
    /// them with `secret`, as the server receives it (a path-only URI; `Host` from the URL
    /// unless `headers` name it).
    fn client_signed(url: &str, headers: &[(&str, &str)], body: &[u8], secret: &str) -> Parts {
        let identity: Identity = Credentials::new("AKID", secret, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("sqs")
            .time(SystemTime::UNIX_EPOCH + Duration::from_secs(T))
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
        let authority = url.parse::<hyper::http::Uri>().unwrap();
        let mut request = hyper::http::Request::builder().method("POST").uri("/");
        if !headers.iter().any(|(name, _)| *name == "host") {
            request = request.header("host", authority.authority().unwrap().as_str());
        }
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            request = request.header(name, value);
        }
        request.body(()).unwrap().into_parts().0
    }

    /// A JSON GetQueueUrl signed over `signed_body` (with its hash in X-Amz-Content-Sha256 if
    /// `body_hash_header`), whatever body the server is then given.
    fn signed_request(signed_body: &[u8], body_hash_header: bool, secret: &str) -> Parts {
        let hash = hex(digest(&SHA256, signed_body).as_ref());
        let mut headers = vec![
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amz-target", "AmazonSQS.GetQueueUrl"),
        ];
        if body_hash_header {
            headers.push(("x-amz-content-sha256", hash.as_str()));
        }
        client_signed("http://127.0.0.1:9324/", &headers, signed_body, secret)
    }

    fn keys() -> HashMap<String, String> {
        HashMap::from([("AKID".to_owned(), "secret".to_owned())])
    }

    fn code(result: Result<String, ApiError>) -> String {
        result.map_or_else(|e| e.query_code().to_owned(), |key| format!("ok {key}"))
    }

    #[test]
    fn a_request_is_checked_against_the_bytes_received() {
        let get_url = br#"{"QueueName":"jobs"}"#;
        let delete = br#"{"QueueUrl":"http://127.0.0.1:9324/000000000000/jobs"}"#;
        let parts = signed_request(get_url, false, "secret");
        assert_eq!(code(verify(&keys(), &parts, get_url)), "ok AKID");
        // The same signed headers with another body: refused.
        assert_eq!(
            code(verify(&keys(), &parts, delete)),
            "SignatureDoesNotMatch"
        );
        // A signed X-Amz-Content-Sha256 does not vouch for a body that does not match it.
        let parts = signed_request(get_url, true, "secret");
        assert_eq!(code(verify(&keys(), &parts, get_url)), "ok AKID");
        assert_eq!(
            code(verify(&keys(), &parts, delete)),
            "SignatureDoesNotMatch"
        );
        // Another secret.
        let parts = signed_request(get_url, false, "wrong");
        assert_eq!(
            code(verify(&keys(), &parts, get_url)),
            "SignatureDoesNotMatch"
        );
    }

    #[test]
    fn a_host_with_its_default_port_is_checked_as_sent() {
        // A client that sends (and signs) `Host: 127.0.0.1:80`.
        let body = b"Action=ListQueues&Version=2012-11-05";
        let headers = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("host", "127.0.0.1:80"),
        ];
        let parts = client_signed("http://127.0.0.1:80/", &headers, body, "secret");
        assert_eq!(code(verify(&keys(), &parts, body)), "ok AKID");
    }

    #[test]
    fn what_the_signature_leaves_out_is_refused() {
        let body = br#"{"QueueName":"jobs"}"#;
        let mut parts = signed_request(body, false, "secret");
        let auth = parts.headers["authorization"].to_str().unwrap().to_owned();
        // A target the signature does not cover: the signed list without x-amz-target.
        let unsigned_target = auth.replace(";x-amz-target,", ",");
        parts
            .headers
            .insert("authorization", unsigned_target.parse().unwrap());
        assert_eq!(code(verify(&keys(), &parts, body)), "SignatureDoesNotMatch");
        // No Host: no URL to check the signature against, refused rather than a panic.
        let mut parts = signed_request(body, false, "secret");
        parts.headers.remove("host");
        assert_eq!(code(verify(&keys(), &parts, body)), "IncompleteSignature");
    }

    #[test]
    fn amz_dates_are_read_as_utc_instants() {
        let at = |secs: u64| Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(parse_amz_date("19700101T000000Z"), at(0));
        assert_eq!(parse_amz_date("20261122T113507Z"), at(1_795_347_307));
        assert_eq!(parse_amz_date("20240229T235959Z"), at(1_709_251_199));
        assert_eq!(parse_amz_date("20000301T000000Z"), at(951_868_800));
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
