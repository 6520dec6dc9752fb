//! SigV4 signing of SQS requests.
//!
//! SQS requests are all `POST`s with no query string and a handful of headers, so the canonical
//! request is built here directly, and so is the signing key (four HMAC-SHA256 steps; a test
//! checks it against `aws-sigv4`'s). The derived signing key depends only on (secret, date,
//! region, service) and is cached as a keyed HMAC state, so a request costs the payload hash, the
//! canonical-request hash and the message part of one HMAC. Hashing is *ring*'s (already built as
//! rustls's provider), which uses the CPU's SHA extensions or vector units where it has them.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use ring::digest::{SHA256, digest};
use ring::hmac;

use sqs_model::wire::push_hex;

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
    /// The access key id, its secret and the session token of temporary credentials.
    pub(crate) key_id: &'a str,
    pub(crate) secret: &'a str,
    pub(crate) session_token: Option<&'a str>,
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
    secret: String,
    /// `YYYYMMDD/region/service/aws4_request`.
    scope: String,
    /// HMAC-SHA256 keyed with the derived signing key (inner and outer states precomputed).
    key: hmac::Key,
}

/// Signs requests, caching the derived key of the current day.
#[derive(Default)]
pub(crate) struct Signer {
    cache: Mutex<Option<Arc<CachedKey>>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer")
    }
}

/// `YYYYMMDDTHHMMSSZ` in UTC (the `X-Amz-Date` form; its first 8 characters are the date of the
/// credential scope).
pub(crate) fn amz_date(now: SystemTime) -> String {
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
    // Fixed-width digits without the formatting machinery (this runs for every request).
    let mut out = String::with_capacity(16);
    push_digits(&mut out, year.clamp(0, 9999) as u64, 4);
    push_digits(&mut out, month as u64, 2);
    push_digits(&mut out, day as u64, 2);
    out.push('T');
    push_digits(&mut out, h, 2);
    push_digits(&mut out, m, 2);
    push_digits(&mut out, s, 2);
    out.push('Z');
    out
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u64, width: u32) {
    for i in (0..width).rev() {
        out.push(char::from(b'0' + (value / 10u64.pow(i) % 10) as u8));
    }
}

/// Appends `path` with each segment percent-encoded once more, as SigV4 wants for every service
/// but S3.
fn push_canonical_uri(out: &mut String, path: &str) {
    if path.is_empty() {
        out.push('/');
        return;
    }
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        for b in segment.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                out.push('%');
                push_hex_upper(out, b);
            }
        }
    }
}

fn push_hex_upper(out: &mut String, b: u8) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    out.push(DIGITS[usize::from(b >> 4)] as char);
    out.push(DIGITS[usize::from(b & 0xf)] as char);
}

impl Signer {
    pub(crate) fn sign(&self, input: &SigningInput<'_>) -> SignedHeaders {
        let amz_date = amz_date(input.now);
        let token = input.session_token;
        let signed_headers = match (token.is_some(), input.target.is_some()) {
            (false, false) => "content-type;host;x-amz-date",
            (true, false) => "content-type;host;x-amz-date;x-amz-security-token",
            (false, true) => "content-type;host;x-amz-date;x-amz-target",
            (true, true) => "content-type;host;x-amz-date;x-amz-security-token;x-amz-target",
        };

        // One buffer: the canonical request, then the string to sign.
        let mut buf = String::with_capacity(512);
        buf.push_str("POST\n");
        push_canonical_uri(&mut buf, input.path);
        buf.push_str("\n\ncontent-type:");
        buf.push_str(input.content_type.trim());
        buf.push_str("\nhost:");
        buf.push_str(input.host);
        buf.push_str("\nx-amz-date:");
        buf.push_str(&amz_date);
        buf.push('\n');
        if let Some(token) = token {
            buf.push_str("x-amz-security-token:");
            buf.push_str(token.trim());
            buf.push('\n');
        }
        if let Some(target) = input.target {
            buf.push_str("x-amz-target:");
            buf.push_str(target);
            buf.push('\n');
        }
        buf.push('\n');
        buf.push_str(signed_headers);
        buf.push('\n');
        push_hex(&mut buf, digest(&SHA256, input.body).as_ref());
        let canonical_hash = digest(&SHA256, buf.as_bytes());

        let key = self.key_for(input, &amz_date[..8]);
        buf.clear();
        buf.push_str("AWS4-HMAC-SHA256\n");
        buf.push_str(&amz_date);
        buf.push('\n');
        buf.push_str(&key.scope);
        buf.push('\n');
        push_hex(&mut buf, canonical_hash.as_ref());
        let signature = hmac::sign(&key.key, buf.as_bytes());

        let mut authorization = String::with_capacity(200);
        authorization.push_str("AWS4-HMAC-SHA256 Credential=");
        authorization.push_str(input.key_id);
        authorization.push('/');
        authorization.push_str(&key.scope);
        authorization.push_str(", SignedHeaders=");
        authorization.push_str(signed_headers);
        authorization.push_str(", Signature=");
        push_hex(&mut authorization, signature.as_ref());
        SignedHeaders {
            authorization,
            amz_date,
        }
    }

    /// The signing key of this day, region, service and secret, from the cache or derived.
    fn key_for(&self, input: &SigningInput<'_>, date: &str) -> Arc<CachedKey> {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(c) = cache.as_ref().filter(|c| {
            c.date == date
                && c.region == input.region
                && c.service == input.service
                && c.access_key_id == input.key_id
                && c.secret == input.secret
        }) {
            return Arc::clone(c);
        }
        let key = signing_key(input.secret, date, input.region, input.service);
        let cached = Arc::new(CachedKey {
            date: date.to_owned(),
            region: input.region.to_owned(),
            service: input.service.to_owned(),
            access_key_id: input.key_id.to_owned(),
            secret: input.secret.to_owned(),
            scope: format!("{date}/{}/{}/aws4_request", input.region, input.service),
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
        });
        *cache = Some(Arc::clone(&cached));
        cached
    }
}

/// The SigV4 signing key: `"AWS4" + secret` keyed through the date (YYYYMMDD), the region, the
/// service and `aws4_request`, one HMAC-SHA256 each.
pub(crate) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut key: Vec<u8> = Vec::with_capacity(4 + secret.len());
    key.extend_from_slice(b"AWS4");
    key.extend_from_slice(secret.as_bytes());
    let mut step = |data: &str| {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key), data.as_bytes());
        key = tag.as_ref().to_vec();
    };
    step(date);
    step(region);
    step(service);
    step("aws4_request");
    let mut out = [0u8; 32];
    out.copy_from_slice(&key);
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::credentials::Credentials;

    #[test]
    fn the_signing_key_is_the_one_aws_documents_and_aws_sigv4_derives() {
        // The worked example of the SigV4 documentation (IAM, us-east-1, 2012-02-15).
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        let mut hex = String::new();
        push_hex(&mut hex, &key);
        assert_eq!(
            hex,
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
        for (secret, secs, region, service) in [
            ("secret", 0, "us-east-1", "sqs"),
            (
                "a/long+secret=with/odd chars",
                1_700_000_000,
                "eu-west-3",
                "sqs",
            ),
            ("", 1_800_000_000, "cn-north-1", "sts"),
        ] {
            let stamp = amz_date(at(secs));
            let date = &stamp[..8];
            let theirs =
                aws_sigv4::sign::v4::generate_signing_key(secret, at(secs), region, service);
            assert_eq!(
                signing_key(secret, date, region, service).as_slice(),
                theirs.as_ref(),
                "{secret} {date} {region} {service}"
            );
        }
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn dates_in_utc() {
        assert_eq!(amz_date(at(0)), "19700101T000000Z");
        // 2026-11-22T11:35:07Z
        assert_eq!(amz_date(at(1_795_347_307)), "20261122T113507Z");
        // 2024-02-29T23:59:59Z, a leap day.
        assert_eq!(amz_date(at(1_709_251_199)), "20240229T235959Z");
        // 2000-03-01T00:00:00Z (a century divisible by 400) and 2100-12-31T23:59:59Z.
        assert_eq!(amz_date(at(951_868_800)), "20000301T000000Z");
        assert_eq!(amz_date(at(4_133_980_799)), "21001231T235959Z");
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
            key_id: creds.access_key_id(),
            secret: creds.secret_access_key(),
            session_token: creds.session_token(),
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
            key_id: creds.access_key_id(),
            secret: creds.secret_access_key(),
            session_token: creds.session_token(),
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
        let uri = |p: &str| {
            let mut out = String::new();
            push_canonical_uri(&mut out, p);
            out
        };
        assert_eq!(uri("/"), "/");
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/123/my%20queue"), "/123/my%2520queue");
    }

    #[test]
    fn hex_is_lowercase() {
        let mut s = String::new();
        push_hex(&mut s, &[0x00, 0xab, 0x7f]);
        assert_eq!(s, "00ab7f");
    }
}
