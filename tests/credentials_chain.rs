//! The default credentials chain against stand-ins on 127.0.0.1: each position of its order,
//! an empty chain, the client refreshing through the cache, the region chain, no secret in any
//! formatted value, and a slow credentials file that does not stall the runtime.

mod common;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sqs_client::credentials::{
    CachedProvider, ContainerProvider, CredentialsError, ImdsProvider, ProcessProvider,
    ProvideCredentials, WebIdentityProvider,
};
use sqs_client::{Client, Credentials, Operation};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::credentials::*;

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

/// A credentials file that is slow to read (here a named pipe whose writer waits 400 ms) stalls
/// only the lookup that reads it: on a current-thread runtime, another task keeps running.
#[cfg(unix)]
#[test]
fn a_slow_credentials_file_does_not_stall_the_runtime() {
    use std::sync::atomic::{AtomicU32, Ordering};

    let dir = TempDir::new("slow-file");
    let pipe = dir.0.join("credentials");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", pipe.display());
    let writer = {
        let pipe = pipe.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(400));
            let text = "[default]\naws_access_key_id = AKSLOW\naws_secret_access_key = s\n";
            std::fs::write(&pipe, text).unwrap();
        })
    };
    let mut vars = isolated(&dir);
    vars.push(("AWS_SHARED_CREDENTIALS_FILE", pipe.display().to_string()));
    let chain = chain(&vars);
    let ticks = Arc::new(AtomicU32::new(0));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let creds = runtime.block_on(async {
        let counter = Arc::clone(&ticks);
        // Bounded: at most 3 s of ticks.
        let ticker = tokio::spawn(async move {
            for _ in 0..300 {
                tokio::time::sleep(Duration::from_millis(10)).await;
                counter.fetch_add(1, Ordering::Relaxed);
            }
        });
        let creds = chain.provide_credentials().await;
        ticker.abort();
        creds
    });
    writer.join().unwrap();
    assert_eq!(creds.unwrap().access_key_id(), "AKSLOW");
    // The lookup waited about 400 ms for the file: about 40 ticks when the runtime was free.
    let ticks = ticks.load(Ordering::Relaxed);
    assert!(
        ticks >= 10,
        "other tasks stalled while the file was read ({ticks} ticks)"
    );
}
