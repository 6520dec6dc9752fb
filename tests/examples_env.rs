//! The examples with an endpoint in the environment and no AWS credentials anywhere: on this
//! machine they run (signing with the keys local/local), elsewhere they stop with one line that
//! says what to set. Runs the quickstart binary that `cargo test --workspace` builds with the
//! examples.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The built quickstart, next to the test binaries (`target/debug/examples/quickstart`).
fn quickstart() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples/quickstart");
    assert!(
        bin.exists(),
        "{} is built by `cargo test --workspace`; run alone, build it first with `cargo build --example quickstart`",
        bin.display()
    );
    bin
}

/// Runs the quickstart with only the given variables, a home without AWS files and instance
/// metadata off: no credentials anywhere.
fn run_without_credentials(vars: &[(&str, &str)]) -> Output {
    let home = std::env::temp_dir().join(format!("sqs-rs-no-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = Command::new(quickstart());
    cmd.env_clear()
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(vars.iter().copied());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_dir_all(&home);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_local_endpoint_needs_no_credentials() {
    let local = sqs_local::start().await.unwrap();
    let endpoint = local.endpoint().to_string();
    let out = tokio::task::spawn_blocking(move || {
        run_without_credentials(&[("AWS_ENDPOINT_URL_SQS", endpoint.as_str())])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("signing with the keys local/local"),
        "{stdout}"
    );
    assert!(stdout.contains("7. Deleted the queue. Done."), "{stdout}");
}

#[test]
fn an_endpoint_elsewhere_without_credentials_says_what_to_set() {
    let out = run_without_credentials(&[("AWS_ENDPOINT_URL_SQS", "http://sqs.example.invalid:1")]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "error: no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE\n"
    );
}
