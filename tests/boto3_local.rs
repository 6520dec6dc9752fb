//! boto3, an independent client, runs its scenario suite (tests/peers/boto3_scenarios.py)
//! against sqs-local: error codes in both protocols, visibility expiry, receipt-handle rotation,
//! FIFO order and deduplication, dead-letter redrive, long polling, delays and counts, tags,
//! permissions, listing, and MD5 digests that boto3 itself verifies. The service checks every
//! request's SigV4 signature, so botocore's signer also checks our verifier.

mod common;

use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_scenarios_pass_against_sqs_local() {
    let venv = common::venv();
    // The service checks signatures: boto3 (botocore's signer) is an independent check of ours.
    let local = sqs_local::start_with(
        sqs_local::Config::default().verify_signatures("AKIDBOTO3", "secret"),
    )
    .await
    .unwrap();
    let script = format!(
        "{}/tests/peers/boto3_scenarios.py",
        env!("CARGO_MANIFEST_DIR")
    );
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
    let output = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the boto3 scenarios finish within 5 minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "boto3 scenarios failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("10 passed, 0 failed"), "{stdout}");
}
