//! object_store's S3 backend signing with our credentials provider, checked by moto in
//! signature-checking mode.

mod common;

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sqs_client::Credentials;

fn store(moto: &common::Moto, id: &str, secret: &str) -> impl ObjectStore {
    AmazonS3Builder::new()
        .with_endpoint(moto.url())
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .with_region("us-east-1")
        .with_bucket_name("shared-creds")
        .with_credentials(sqs_extended::s3_credentials(Arc::new(Credentials::new(
            id, secret,
        ))))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_s3_store_signs_with_our_provider() {
    // Three unsigned requests make the IAM user and key, the fourth creates the bucket.
    let moto = common::Moto::start(Some(4));
    let (id, secret) = moto.iam_access_key();
    let (status, body) = common::http(moto.port, "PUT", "/shared-creds", &[], "").unwrap();
    assert_eq!(status, 200, "{body}");

    let good = store(&moto, &id, &secret);
    let path = Path::from("payloads/one");
    good.put(&path, PutPayload::from_static(b"payload bytes"))
        .await
        .unwrap();
    let got = good.get(&path).await.unwrap().bytes().await.unwrap();
    assert_eq!(&got[..], b"payload bytes");

    let bad = store(&moto, &id, "not-the-secret");
    let err = bad.get(&path).await.unwrap_err().to_string();
    assert!(
        err.contains("SignatureDoesNotMatch") || err.contains("403"),
        "{err}"
    );
}
