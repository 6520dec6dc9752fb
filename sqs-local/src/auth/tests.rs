//! Unit tests of the verifier: every check, with requests signed by `aws-sigv4` as a client
//! signs them and then changed.

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
fn check_at(v: &Verifier, parts: &Parts, json: bool, body: &[u8], now: u64) -> (String, String) {
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
        let cut = with_authorization(CLIENT.json(GET_URL, false), |a| a.replacen(unsigned, "", 1));
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
