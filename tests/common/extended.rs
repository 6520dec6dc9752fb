//! The Python extended client (tests/peers/extended_interop.py) as a peer on moto, and
//! object_store's S3 backend on the same moto.

use std::process::Command;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use serde_json::Value;

use super::Moto;

/// Runs the peer script in `mode` against `moto` and `bucket`; returns its one JSON line.
pub fn python(moto: &Moto, bucket: &str, mode: &str, args: &[&str]) -> Value {
    let script = format!(
        "{}/tests/peers/extended_interop.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = Command::new(super::venv().join("bin/python"))
        .arg(script)
        .arg(mode)
        .arg(moto.url())
        .arg(bucket)
        .args(args)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python {mode} {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON line")
}

/// object_store's S3 backend on moto's `bucket`.
pub fn s3(moto: &Moto, bucket: &str) -> Arc<dyn ObjectStore> {
    Arc::new(
        AmazonS3Builder::new()
            .with_endpoint(moto.url())
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_bucket_name(bucket)
            .with_access_key_id("test")
            .with_secret_access_key("test")
            .build()
            .unwrap(),
    )
}

/// A client of moto's SQS.
pub fn sqs(moto: &Moto) -> sqs_client::Client {
    sqs_client::Client::builder()
        .endpoint_url(moto.url())
        .region("us-east-1")
        .credentials_provider(sqs_client::Credentials::new("test", "test"))
        .build()
        .unwrap()
}
