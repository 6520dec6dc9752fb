//! Credential providers against stand-ins on 127.0.0.1 (container endpoint, IMDS, STS) and
//! temp-dir config files: success, expiry, malformed answers, timeouts, missing files, chained
//! profiles. The default chain's order, the client's use of it and formatting are in
//! `credentials_chain.rs`.

mod common;
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use sqs_client::credentials::{
    ContainerProvider, ImdsProvider, ProvideCredentials, WebIdentityProvider,
};
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::credentials::*;

#[tokio::test]
async fn instance_metadata_with_session_tokens() {
    let server = MockServer::start().await;
    mount_imds(&server, "AKIMDS").await;
    let imds = ImdsProvider::from_env_with_endpoint(&server.uri());
    let c = imds.provide_credentials().await.unwrap();
    assert_eq!(
        (c.access_key_id(), c.secret_access_key(), c.session_token()),
        ("AKIMDS", SECRET, Some(TOKEN))
    );
    assert!(c.expires_at().unwrap() > SystemTime::now());
    assert_eq!(imds.region().await.unwrap(), "eu-north-1");
}

#[tokio::test]
async fn instance_metadata_failures_are_quick_and_clear() {
    // A hanging endpoint: given up after about a second, not stalling a laptop.
    let slow = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("t")
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&slow)
        .await;
    let started = std::time::Instant::now();
    let err = ImdsProvider::from_env_with_endpoint(&slow.uri())
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.provider(), "instance metadata");
    // No role, and a garbled answer.
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_string("t"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/iam/security-credentials/"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let err = ImdsProvider::from_env_with_endpoint(&server.uri())
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    let garbled = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_string("t"))
        .mount(&garbled)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/iam/security-credentials/"))
        .respond_with(ResponseTemplate::new(200).set_body_string("r"))
        .mount(&garbled)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/iam/security-credentials/r"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{not json"))
        .mount(&garbled)
        .await;
    let err = ImdsProvider::from_env_with_endpoint(&garbled.uri())
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not credentials JSON"), "{err}");
}

#[tokio::test]
async fn container_endpoint_with_a_rotating_token_file() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/creds"))
        .and(header("authorization", "token-2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(creds_json("AKCONTAINER2", "2030-01-01T00:00:00Z")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/creds"))
        .and(header("authorization", "token-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(creds_json("AKCONTAINER", "2030-01-01T00:00:00Z")),
        )
        .mount(&server)
        .await;
    let dir = TempDir::new("container");
    let token_file = dir.file("token", "token-1\n");
    let vars: HashMap<&str, String> = HashMap::from([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", server.uri()),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.clone()),
    ]);
    let provider = ContainerProvider::from_env_with(&|k| vars.get(k).cloned())
        .unwrap()
        .unwrap();
    assert_eq!(
        provider
            .provide_credentials()
            .await
            .unwrap()
            .access_key_id(),
        "AKCONTAINER"
    );
    std::fs::write(&token_file, "token-2").unwrap();
    assert_eq!(
        provider
            .provide_credentials()
            .await
            .unwrap()
            .access_key_id(),
        "AKCONTAINER2",
        "the token file is read again"
    );

    // An answer without keys, an error status, a missing token file, a forbidden host.
    let bad = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/empty"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
        .mount(&bad)
        .await;
    Mock::given(method("GET"))
        .and(path("/down"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&bad)
        .await;
    for (p, needle) in [("/empty", "lacks AccessKeyId"), ("/down", "HTTP 500")] {
        let vars: HashMap<&str, String> = HashMap::from([(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}{p}", bad.uri()),
        )]);
        let err = ContainerProvider::from_env_with(&|k| vars.get(k).cloned())
            .unwrap()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    let vars: HashMap<&str, String> = HashMap::from([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", server.uri()),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            dir.0.join("missing").display().to_string(),
        ),
    ]);
    let err = ContainerProvider::from_env_with(&|k| vars.get(k).cloned())
        .unwrap()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("token file"), "{err}");
    let vars: HashMap<&str, String> = HashMap::from([(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://10.1.2.3/creds".to_owned(),
    )]);
    assert!(
        ContainerProvider::from_env_with(&|k| vars.get(k).cloned())
            .unwrap()
            .is_err()
    );
}

#[tokio::test]
async fn web_identity_through_sts() {
    let sts = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("Action=AssumeRoleWithWebIdentity"))
        .and(body_string_contains("WebIdentityToken=oidc-jwt"))
        .and(body_string_contains(
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fapp",
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(sts_answer("AssumeRoleWithWebIdentity", "ASIAWEB")),
        )
        .mount(&sts)
        .await;
    let dir = TempDir::new("webid");
    let token = dir.file("jwt", "oidc-jwt\n");
    let provider =
        WebIdentityProvider::new(token, "arn:aws:iam::123456789012:role/app", None, sts.uri());
    let c = provider.provide_credentials().await.unwrap();
    assert_eq!(
        (c.access_key_id(), c.session_token()),
        ("ASIAWEB", Some(TOKEN))
    );
    assert!(c.expires_at().is_some());
    // The call is unsigned.
    assert!(
        sts.received_requests().await.unwrap()[0]
            .headers
            .get("authorization")
            .is_none()
    );

    let refusing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>expired jwt</Message></Error></ErrorResponse>"))
        .mount(&refusing)
        .await;
    let provider = WebIdentityProvider::new(
        dir.file("jwt2", "x"),
        "arn:aws:iam::1:role/r",
        Some("s".into()),
        refusing.uri(),
    );
    let err = provider.provide_credentials().await.unwrap_err();
    assert!(
        err.to_string().contains("InvalidIdentityToken expired jwt"),
        "{err}"
    );
}

#[tokio::test]
async fn chained_profiles_assume_a_role_with_signed_sts_calls() {
    let sts = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("Action=AssumeRole&"))
        .and(body_string_contains("ExternalId=ext-1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(sts_answer("AssumeRole", "ASIAROLE")),
        )
        .mount(&sts)
        .await;
    let dir = TempDir::new("profiles");
    let credentials = dir.file(
        "credentials",
        "[base]\naws_access_key_id = AKBASE\naws_secret_access_key = base-secret\n",
    );
    let config = dir.file(
        "config",
        "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\nexternal_id = ext-1\nregion = eu-west-3\n[profile loop-a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop-b\n[profile loop-b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop-a\n",
    );
    let mut vars = isolated(&dir);
    vars.extend([
        ("AWS_SHARED_CREDENTIALS_FILE", credentials),
        ("AWS_CONFIG_FILE", config),
        ("AWS_ENDPOINT_URL_STS", sts.uri()),
        ("AWS_PROFILE", "app".into()),
    ]);
    let c = chain(&vars).provide_credentials().await.unwrap();
    assert_eq!(c.access_key_id(), "ASIAROLE");
    let request = &sts.received_requests().await.unwrap()[0];
    let auth = request
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        auth.contains("Credential=AKBASE/") && auth.contains("/eu-west-3/sts/aws4_request"),
        "{auth}"
    );

    vars.retain(|(k, _)| *k != "AWS_PROFILE");
    vars.push(("AWS_PROFILE", "loop-a".into()));
    let err = chain(&vars).provide_credentials().await.unwrap_err();
    assert!(err.to_string().contains("a cycle?"), "{err}");
}

#[tokio::test]
async fn credential_process_from_a_profile() {
    let dir = TempDir::new("process");
    let config = dir.file(
        "config",
        "[default]\ncredential_process = printf '{\"Version\": 1, \"AccessKeyId\": \"AKPROCESS\", \"SecretAccessKey\": \"s\"}'\n[profile broken]\ncredential_process = sh -c 'exit 7'\n",
    );
    let mut vars = isolated(&dir);
    vars.push(("AWS_CONFIG_FILE", config));
    assert_eq!(
        chain(&vars)
            .provide_credentials()
            .await
            .unwrap()
            .access_key_id(),
        "AKPROCESS"
    );
    vars.push(("AWS_PROFILE", "broken".into()));
    let err = chain(&vars).provide_credentials().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("credential_process: the program failed"),
        "{err}"
    );
}
