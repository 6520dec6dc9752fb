//! Requests signed by botocore (an independent signer) and then tampered with, sent to
//! sqs-local in signature-checking mode (tests/peers/tamper.py): a body swap (GetQueueUrl
//! replayed as DeleteQueue, with and without X-Amz-Content-Sha256), a target swap, a stale or
//! future date, a wrong scope, key, secret or token, an unsigned payload are all refused, and the
//! queue they aim at survives.

mod common;

use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_botocore_signed_then_tampered_are_refused() {
    let venv = common::venv();
    let local = sqs_local::start_with(
        sqs_local::Config::default().verify_signatures("AKIDTAMPER", "secret"),
    )
    .await
    .unwrap();
    let script = format!("{}/tests/peers/tamper.py", env!("CARGO_MANIFEST_DIR"));
    let endpoint = local.endpoint().to_owned();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(venv.join("bin/python"))
            .arg(script)
            .arg(endpoint)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .expect("python from the peers virtualenv runs")
    });
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the tampering cases finish within 2 minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "tampering cases failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("19 passed, 0 failed"), "{stdout}");
}
