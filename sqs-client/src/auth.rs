//! SigV4 signing of SQS requests.
//!
//! SQS requests are all `POST`s with no query string and a handful of headers, so the canonical
//! request is built here directly; the key derivation and the signature itself come from
//! `aws-sigv4`. The derived signing key depends only on (secret, date, region, service) and is
//! cached, so a request costs two SHA-256 hashes and one HMAC instead of five HMACs.

use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::credentials::Credentials;

/// What goes into one signature.
#[derive(Debug)]
pub(crate) struct SigningInput<'a> {
    /// `host` or `host:port` as sent in the `Host` header.
    pub(crate) host: &'a str,
    /// The request path, already percent-encoded (`/` for SQS).
    pub(crate) path: &'a str,
    pub(crate) content_type: &'a str,
    /// `X-Amz-Target` for AWS JSON 1.0 requests.
    pub(crate) target: Option<&'a str>,
    pub(crate) body: &'a [u8],
    pub(crate) region: &'a str,
    pub(crate) service: &'a str,
    pub(crate) credentials: &'a Credentials,
    pub(crate) now: SystemTime,
}

/// Headers to add to the request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SignedHeaders {
    pub(crate) authorization: String,
    pub(crate) amz_date: String,
}

struct CachedKey {
    date: String,
    region: String,
    service: String,
    access_key_id: String,
    secret_digest: [u8; 32],
    key: Vec<u8>,
}

/// Signs requests, caching the derived key of the current day.
#[derive(Default)]
pub(crate) struct Signer {
    cache: Mutex<Option<CachedKey>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer")
    }
}

/// `(YYYYMMDD, YYYYMMDDTHHMMSSZ)` in UTC.
pub(crate) fn amz_dates(now: SystemTime) -> (String, String) {
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = format!("{year:04}{month:02}{day:02}");
    let stamp = format!("{date}T{h:02}{m:02}{s:02}Z");
    (date, stamp)
}

/// Percent-encodes each segment of an already-encoded path once more, as SigV4 wants for every
/// service but S3.
fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        for b in segment.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

impl Signer {
    pub(crate) fn sign(&self, input: &SigningInput<'_>) -> SignedHeaders {
        let (date, amz_date) = amz_dates(input.now);
        let creds = input.credentials;
        let token = creds.session_token();

        let mut canonical_headers = String::with_capacity(256);
        let mut signed = String::from("content-type;host;x-amz-date");
        canonical_headers.push_str("content-type:");
        canonical_headers.push_str(input.content_type.trim());
        canonical_headers.push_str("\nhost:");
        canonical_headers.push_str(input.host);
        canonical_headers.push_str("\nx-amz-date:");
        canonical_headers.push_str(&amz_date);
        canonical_headers.push('\n');
        if let Some(token) = token {
            canonical_headers.push_str("x-amz-security-token:");
            canonical_headers.push_str(token.trim());
            canonical_headers.push('\n');
            signed.push_str(";x-amz-security-token");
        }
        if let Some(target) = input.target {
            canonical_headers.push_str("x-amz-target:");
            canonical_headers.push_str(target);
            canonical_headers.push('\n');
            signed.push_str(";x-amz-target");
        }
        let canonical_request = format!(
            "POST\n{}\n\n{canonical_headers}\n{signed}\n{}",
            canonical_uri(input.path),
            hex::encode(Sha256::digest(input.body)),
        );
        let scope = format!("{date}/{}/{}/aws4_request", input.region, input.service);
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let signature = self.with_key(input, &date, |key| {
            aws_sigv4::sign::v4::calculate_signature(key, string_to_sign.as_bytes())
        });
        SignedHeaders {
            authorization: format!(
                "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
                creds.access_key_id()
            ),
            amz_date,
        }
    }

    fn with_key<R>(&self, input: &SigningInput<'_>, date: &str, f: impl FnOnce(&[u8]) -> R) -> R {
        let creds = input.credentials;
        let secret_digest: [u8; 32] = Sha256::digest(creds.secret_access_key().as_bytes()).into();
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let fresh = cache.as_ref().is_some_and(|c| {
            c.date == date
                && c.region == input.region
                && c.service == input.service
                && c.access_key_id == creds.access_key_id()
                && c.secret_digest == secret_digest
        });
        if !fresh {
            let key = aws_sigv4::sign::v4::generate_signing_key(
                creds.secret_access_key(),
                input.now,
                input.region,
                input.service,
            );
            *cache = Some(CachedKey {
                date: date.to_owned(),
                region: input.region.to_owned(),
                service: input.service.to_owned(),
                access_key_id: creds.access_key_id().to_owned(),
                secret_digest,
                key: key.as_ref().to_vec(),
            });
        }
        let key = &cache.as_ref().map(|c| c.key.as_slice()).unwrap_or_default();
        f(key)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn dates_in_utc() {
        assert_eq!(
            amz_dates(at(0)),
            ("19700101".into(), "19700101T000000Z".into())
        );
        // 2026-11-22T11:35:07Z
        assert_eq!(amz_dates(at(1_795_347_307)).1, "20261122T113507Z");
        // 2024-02-29T23:59:59Z, a leap day.
        assert_eq!(amz_dates(at(1_709_251_199)).1, "20240229T235959Z");
    }

    #[test]
    fn matches_the_captured_curl_signature() {
        // The JSON ListQueues request of the wire captures, signed by curl --aws-sigv4 with the
        // key pair test/test at 2026-11-22T11:35:07Z.
        let creds = Credentials::new("test", "test");
        let signer = Signer::default();
        let input = SigningInput {
            host: "127.0.0.1:4566",
            path: "/",
            content_type: "application/x-amz-json-1.0",
            target: Some("AmazonSQS.ListQueues"),
            body: b"{}",
            region: "us-east-1",
            service: "sqs",
            credentials: &creds,
            now: at(1_795_347_307),
        };
        let signed = signer.sign(&input);
        assert_eq!(signed.amz_date, "20261122T113507Z");
        assert_eq!(
            signed.authorization,
            "AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/sqs/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, \
             Signature=44b73e13e066482ded97724b3858df1841c766217d5911335aaf4546043c897d"
        );
        // The cached key gives the same signature; another day derives a new one.
        assert_eq!(signer.sign(&input), signed);
        let next_day = SigningInput {
            now: at(1_795_347_307 + 86_400),
            ..input
        };
        assert_ne!(signer.sign(&next_day).authorization, signed.authorization);
    }

    #[test]
    fn session_token_is_signed() {
        let creds = Credentials::new("AKID", "secret").with_session_token("tok");
        let signed = Signer::default().sign(&SigningInput {
            host: "sqs.eu-west-1.amazonaws.com",
            path: "/",
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            target: None,
            body: b"Action=ListQueues&Version=2012-11-05",
            region: "eu-west-1",
            service: "sqs",
            credentials: &creds,
            now: at(1_795_347_307),
        });
        assert!(
            signed
                .authorization
                .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,")
        );
    }

    #[test]
    fn paths_are_encoded_once_more() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/123/my%20queue"), "/123/my%2520queue");
    }
}
