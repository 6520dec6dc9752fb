//! Credential providers against stand-ins on 127.0.0.1 (container endpoint, IMDS, STS) and
//! temp-dir config files: success, expiry, malformed answers, timeouts, missing files, chained
//! profiles, each position of the chain order, and no secret in any formatted value.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sqs_client::credentials::{
    CachedProvider, ContainerProvider, CredentialsError, DefaultChain, ImdsProvider,
    ProcessProvider, ProvideCredentials, WebIdentityProvider,
};
use sqs_client::{Client, Credentials, Operation};
use wiremock::matchers::{body_string_contains, header, header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYSECRETKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjSESSIONTOKENSECRET";

fn creds_json(id: &str, expiration: &str) -> String {
    format!(
        r#"{{"Code": "Success", "AccessKeyId": "{id}", "SecretAccessKey": "{SECRET}", "Token": "{TOKEN}", "Expiration": "{expiration}"}}"#
    )
}

fn sts_answer(action: &str, id: &str) -> String {
    format!(
        "<{action}Response><{action}Result><Credentials><AccessKeyId>{id}</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{TOKEN}</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></{action}Result></{action}Response>"
    )
}

/// A temp dir removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "sqs-creds-{tag}-{}-{}",
            std::process::id(),
            fastrand_u64()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn file(&self, name: &str, contents: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, contents).unwrap();
        p.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fastrand_u64() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

fn chain(vars: &[(&str, String)]) -> DefaultChain {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    DefaultChain::from_vars(move |k| map.get(k).cloned())
}

/// Variables that keep a chain away from the real machine: no home files, IMDS disabled.
fn isolated(dir: &TempDir) -> Vec<(&'static str, String)> {
    vec![
        ("HOME", dir.0.display().to_string()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

async fn mount_imds(server: &MockServer, id: &str) {
    Mock::given(method("PUT"))
        .and(path("/latest/api/token"))
        .and(header_exists("x-aws-ec2-metadata-token-ttl-seconds"))
        .respond_with(ResponseTemplate::new(200).set_body_string("imds-token"))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/iam/security-credentials/"))
        .and(header("x-aws-ec2-metadata-token", "imds-token"))
        .respond_with(ResponseTemplate::new(200).set_body_string("app-role\n"))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/iam/security-credentials/app-role"))
        .and(header("x-aws-ec2-metadata-token", "imds-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(creds_json(id, "2030-01-01T00:00:00Z")),
        )
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/latest/meta-data/placement/region"))
        .respond_with(ResponseTemplate::new(200).set_body_string("eu-north-1"))
        .mount(server)
        .await;
}

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

/// Sets up a source for every position of the chain; `skip` leaves the first ones out.
async fn full_chain(
    skip: usize,
    imds: &MockServer,
    container: &MockServer,
    sts: &MockServer,
    dir: &TempDir,
) -> String {
    let mut vars: Vec<(&str, String)> = vec![("HOME", dir.0.display().to_string())];
    if skip < 1 {
        vars.extend([
            ("AWS_ACCESS_KEY_ID", "AKENV".into()),
            ("AWS_SECRET_ACCESS_KEY", "s".into()),
        ]);
    }
    if skip < 2 {
        vars.push((
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.file(
                "credentials",
                "[default]\naws_access_key_id = AKPROFILE\naws_secret_access_key = s\n",
            ),
        ));
    } else {
        vars.push((
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.0.join("none").display().to_string(),
        ));
    }
    if skip < 3 {
        vars.extend([
            ("AWS_WEB_IDENTITY_TOKEN_FILE", dir.file("jwt", "jwt")),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r".into()),
            ("AWS_ENDPOINT_URL_STS", sts.uri()),
        ]);
    }
    if skip < 4 {
        vars.push((
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/creds", container.uri()),
        ));
    }
    vars.push(("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.uri()));
    chain(&vars)
        .provide_credentials()
        .await
        .unwrap()
        .access_key_id()
        .to_owned()
}

#[tokio::test]
async fn each_position_of_the_chain_order() {
    let imds = MockServer::start().await;
    mount_imds(&imds, "AKIMDS").await;
    let container = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(creds_json("AKCONTAINER", "2030-01-01T00:00:00Z")),
        )
        .mount(&container)
        .await;
    let sts = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(sts_answer("AssumeRoleWithWebIdentity", "ASIAWEB")),
        )
        .mount(&sts)
        .await;
    let expected = ["AKENV", "AKPROFILE", "ASIAWEB", "AKCONTAINER", "AKIMDS"];
    for (skip, want) in expected.iter().enumerate() {
        let dir = TempDir::new(&format!("order{skip}"));
        assert_eq!(
            full_chain(skip, &imds, &container, &sts, &dir).await,
            *want,
            "with the first {skip} sources absent"
        );
    }
}

#[tokio::test]
async fn an_empty_chain_says_what_it_tried() {
    let dir = TempDir::new("empty");
    let err = chain(&isolated(&dir))
        .provide_credentials()
        .await
        .unwrap_err()
        .to_string();
    for needle in [
        "environment",
        "profile",
        "web identity",
        "container",
        "instance metadata",
    ] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
}

#[tokio::test]
async fn the_client_uses_the_chain_and_refreshes_through_the_cache() {
    // Credentials that expire within the refresh window are fetched again; still-valid ones are
    // kept if the source then fails.
    let container = MockServer::start().await;
    let soon = humantime(SystemTime::now() + Duration::from_secs(120));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string(creds_json("AKSOON", &soon)))
        .up_to_n_times(2)
        .mount(&container)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&container)
        .await;
    let vars: HashMap<&str, String> = HashMap::from([(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("{}/c", container.uri()),
    )]);
    let cache = CachedProvider::new(Arc::new(
        ContainerProvider::from_env_with(&|k| vars.get(k).cloned())
            .unwrap()
            .unwrap(),
    ));
    for _ in 0..4 {
        assert_eq!(
            cache.provide_credentials().await.unwrap().access_key_id(),
            "AKSOON"
        );
    }
    let calls = container.received_requests().await.unwrap().len();
    assert_eq!(
        calls, 3,
        "two refreshes, one failed attempt, then the backoff holds"
    );

    // The client signs with whatever the provider gives.
    let sqs = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/x-amz-json-1.0"))
        .mount(&sqs)
        .await;
    let client = Client::builder()
        .endpoint_url(sqs.uri())
        .shared_credentials_provider(Arc::new(cache))
        .build()
        .unwrap();
    client
        .execute(sqs_client::operation::ListQueuesInput::default())
        .await
        .unwrap();
    let auth = sqs.received_requests().await.unwrap()[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(auth.contains("Credential=AKSOON/"), "{auth}");
    let _ = <sqs_client::operation::ListQueuesInput as Operation>::NAME;
}

fn humantime(t: SystemTime) -> String {
    // Formats as ISO 8601 UTC (enough for these tests).
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
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
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[tokio::test]
async fn no_secret_in_any_formatted_value() {
    let dir = TempDir::new("format");
    let creds = Credentials::new("AKIDSHOWN", SECRET).with_session_token(TOKEN);
    let vars: HashMap<&str, String> = HashMap::from([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://127.0.0.1:1/c".to_owned(),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", TOKEN.to_owned()),
    ]);
    let container = ContainerProvider::from_env_with(&|k| vars.get(k).cloned())
        .unwrap()
        .unwrap();
    let cache = CachedProvider::new(Arc::new(creds.clone()));
    cache.provide_credentials().await.unwrap();
    let client = Client::builder()
        .endpoint_url("http://127.0.0.1:1")
        .credentials_provider(creds.clone())
        .build()
        .unwrap();
    let errors: Vec<CredentialsError> = vec![
        container.provide_credentials().await.unwrap_err(),
        ProcessProvider::new(format!(
            "echo '{{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"{SECRET}\"'"
        ))
        .provide_credentials()
        .await
        .unwrap_err(),
        chain(&isolated(&dir))
            .provide_credentials()
            .await
            .unwrap_err(),
    ];
    let mut shown = vec![
        format!("{creds:?}"),
        format!("{container:?}"),
        format!("{cache:?}"),
        format!("{client:?}"),
        format!(
            "{:?}",
            WebIdentityProvider::new(
                "/tmp/jwt",
                "arn:aws:iam::1:role/r",
                None,
                "http://127.0.0.1:1"
            )
        ),
        format!(
            "{:?}",
            ImdsProvider::from_env_with_endpoint("http://127.0.0.1:1")
        ),
    ];
    for e in &errors {
        shown.push(format!("{e}"));
        shown.push(format!("{e:?}"));
    }
    for text in &shown {
        assert!(
            !text.contains(SECRET) && !text.contains(TOKEN),
            "a secret leaked: {text}"
        );
    }
    assert!(shown[0].contains("AKIDSHOWN"));
}

#[tokio::test]
async fn the_region_chain_ends_with_instance_metadata() {
    let imds = MockServer::start().await;
    mount_imds(&imds, "AKIMDS").await;
    let client = Client::builder()
        .credentials_provider(Credentials::new("AKID", "s"))
        .region_from_imds(&ImdsProvider::from_env_with_endpoint(&imds.uri()))
        .await
        .build()
        .unwrap();
    assert_eq!(client.region(), "eu-north-1");
    assert_eq!(client.endpoint(), "https://sqs.eu-north-1.amazonaws.com/");

    // A region already set wins; IMDS is not asked.
    let asked_before = imds.received_requests().await.unwrap().len();
    let client = Client::builder()
        .region("ap-southeast-2")
        .credentials_provider(Credentials::new("AKID", "s"))
        .region_from_imds(&ImdsProvider::from_env_with_endpoint(&imds.uri()))
        .await
        .build()
        .unwrap();
    assert_eq!(client.region(), "ap-southeast-2");
    assert_eq!(imds.received_requests().await.unwrap().len(), asked_before);

    // Nothing answers: the build error says why there is no region.
    let err = Client::builder()
        .credentials_provider(Credentials::new("AKID", "s"))
        .region_from_imds(&ImdsProvider::from_env_with_endpoint("http://127.0.0.1:1"))
        .await
        .build()
        .unwrap_err();
    assert!(
        err.to_string().contains("no region") && err.to_string().contains("instance metadata"),
        "{err}"
    );
}
