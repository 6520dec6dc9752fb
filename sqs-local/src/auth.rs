//! Optional SigV4 verification: with key pairs configured, every request must carry an
//! `Authorization` header signed with one of them, as AWS checks it (canonical request, string to
//! sign, derived key). The clock skew of `x-amz-date` is not checked.

use std::collections::HashMap;

use hyper::http::request::Parts;
use ring::digest::{SHA256, digest};
use sqs_model::wire::hex;

use crate::error::ApiError;

fn forbidden(code: &str, message: &str) -> ApiError {
    let mut e = ApiError::unmodeled(code, message);
    e.status = 403;
    e
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&key, data).as_ref().to_vec()
}

/// SigV4's signing key of a secret for a date (`YYYYMMDD`), region and service.
fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// AWS's URI encoding: unreserved characters as they are, everything else `%XX`.
fn uri_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    form_decode(text.replace('+', "%2B").as_bytes())
}

fn form_decode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks a request's signature against the configured secrets; returns the access key id.
pub(crate) fn verify(
    keys: &HashMap<String, String>,
    parts: &Parts,
    body: &[u8],
) -> Result<String, ApiError> {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let missing = || {
        forbidden(
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        )
    };
    let auth = header("authorization").ok_or_else(missing)?;
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| forbidden("IncompleteSignature", "Only AWS4-HMAC-SHA256 is accepted."))?;
    let mut fields = HashMap::new();
    for part in rest.split(',') {
        if let Some((k, v)) = part.trim().split_once('=') {
            fields.insert(k, v);
        }
    }
    let incomplete = || {
        forbidden(
            "IncompleteSignature",
            "The Authorization header needs Credential, SignedHeaders and Signature.",
        )
    };
    let credential = fields.get("Credential").ok_or_else(incomplete)?;
    let signed_headers = fields.get("SignedHeaders").ok_or_else(incomplete)?;
    let signature = fields.get("Signature").ok_or_else(incomplete)?;
    let mut scope_parts = credential.splitn(2, '/');
    let key_id = scope_parts.next().unwrap_or_default();
    let scope = scope_parts.next().ok_or_else(incomplete)?;
    let secret = keys.get(key_id).ok_or_else(|| {
        forbidden(
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    })?;
    let scope_fields: Vec<&str> = scope.split('/').collect();
    let [date, region, service, "aws4_request"] = scope_fields.as_slice() else {
        return Err(incomplete());
    };
    let amz_date = header("x-amz-date").ok_or_else(incomplete)?;

    // The canonical request.
    let path = parts.uri.path();
    let canonical_uri = uri_encode(&percent_decode(path), true);
    let mut query: Vec<(String, String)> = parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let values: Vec<String> = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        let value = if name == "host" && values.is_empty() {
            parts
                .uri
                .authority()
                .map(|a| a.to_string())
                .unwrap_or_default()
        } else {
            values.join(",")
        };
        canonical_headers.push_str(&format!("{name}:{value}\n"));
    }
    let payload_hash = match header("x-amz-content-sha256") {
        Some(h) if h != "UNSIGNED-PAYLOAD" => h.to_owned(),
        _ => hex(digest(&SHA256, body).as_ref()),
    };
    let canonical_request = format!(
        "{}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{payload_hash}",
        parts.method
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(digest(&SHA256, canonical_request.as_bytes()).as_ref())
    );
    let k_signing = signing_key(secret, date, region, service);
    let expected = hex(&hmac(&k_signing, string_to_sign.as_bytes()));
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

    #[test]
    fn uri_encoding_keeps_unreserved_characters_only() {
        assert_eq!(uri_encode("a b/c~d+é", false), "a%20b%2Fc~d%2B%C3%A9");
        assert_eq!(uri_encode("/000000000000/q", true), "/000000000000/q");
        assert_eq!(percent_decode("a%20b+c"), "a b+c");
    }
}
