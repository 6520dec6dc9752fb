//! Interoperability with the Python extended client (amazon-sqs-extended-client), both ways, on
//! moto (SQS and S3 on one port; our side reaches S3 through object_store's S3 backend): Python
//! sends a 300 KB payload with an attribute and we receive the exact bytes and attribute; we send
//! and Python receives the exact bytes; both size attribute names; a compact Java-format pointer
//! is read.

mod common;

use md5::Digest as _;
use object_store::ObjectStoreExt;
use object_store::path::Path;
use serde_json::Value;
use sqs_client::operation::{ReceiveMessageInput, SendMessageInput};
use sqs_client::types::MessageAttributeValue;
use sqs_extended::{ExtendedClient, ExtendedConfig};

const BUCKET: &str = "interop-bucket";

fn python(moto: &common::Moto, args: &[&str]) -> Value {
    common::extended::python(moto, BUCKET, args[0], &args[1..])
}

fn payload(n: usize) -> String {
    "interop ü ".repeat(n)
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(md5::Md5::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_rust_read_each_others_offloaded_messages() {
    let moto = common::Moto::start(None);
    let queue = python(&moto, &["setup", "interop-q"])["queue_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = common::extended::sqs(&moto);
    let store = common::extended::s3(&moto, BUCKET);
    let ext = ExtendedClient::new(client.clone(), store.clone(), BUCKET);
    let receive = || {
        ReceiveMessageInput::builder()
            .queue_url(&queue)
            .wait_time_seconds(2)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .build()
            .unwrap()
    };

    // Python -> Rust, with the current and with the legacy size attribute.
    for mode in ["current", "legacy"] {
        let sent = python(&moto, &["send", &queue, "30000", mode]);
        let mut got = ext.execute(receive()).await.unwrap().messages;
        assert_eq!(got.len(), 1, "{mode}");
        let m = got.remove(0).unwrap();
        let body = m.message.body.clone().unwrap();
        assert_eq!(body.len() as u64, sent["len"].as_u64().unwrap(), "{mode}");
        assert_eq!(
            md5_hex(body.as_bytes()),
            sent["md5"].as_str().unwrap(),
            "{mode}"
        );
        let attrs = m.message.message_attributes.clone().unwrap();
        assert_eq!(attrs.len(), 1, "{mode}: the reserved attribute is stripped");
        assert_eq!(attrs["user-attr"].string_value.as_deref(), Some("keep-me"));
        assert_eq!(m.payload.as_ref().unwrap().bucket, BUCKET);
        ext.execute(
            sqs_client::operation::DeleteMessageInput::builder()
                .queue_url(&queue)
                .receipt_handle(m.message.receipt_handle.unwrap())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    }

    // Rust -> Python, with each size attribute name.
    for legacy in [false, true] {
        let ext = ext
            .clone()
            .with_config(ExtendedConfig::default().legacy_attribute(legacy))
            .unwrap();
        let body = payload(30_000);
        ext.execute(
            SendMessageInput::builder()
                .queue_url(&queue)
                .message_body(&body)
                .message_attributes(
                    "user-attr",
                    MessageAttributeValue::builder()
                        .data_type("String")
                        .string_value("from-rust")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
        let got = python(&moto, &["receive", &queue]);
        let got = got.as_array().unwrap();
        assert_eq!(got.len(), 1, "legacy={legacy}: {got:?}");
        assert_eq!(got[0]["len"].as_u64().unwrap(), body.len() as u64);
        assert_eq!(got[0]["md5"].as_str().unwrap(), md5_hex(body.as_bytes()));
        assert_eq!(got[0]["attrs"]["user-attr"], "from-rust");
    }

    // A compact pointer as the Java client writes it, from a producer of its own.
    let body = payload(31_000);
    store
        .put(&Path::from("java-written-key"), body.clone().into())
        .await
        .unwrap();
    client
        .send_message()
        .queue_url(&queue)
        .message_body(format!(
            r#"["software.amazon.payloadoffloading.PayloadS3Pointer",{{"s3BucketName":"{BUCKET}","s3Key":"java-written-key"}}]"#
        ))
        .message_attributes(
            "SQSLargePayloadSize",
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value(body.len().to_string()).build().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let m = ext
        .execute(receive())
        .await
        .unwrap()
        .messages
        .remove(0)
        .unwrap();
    assert_eq!(m.message.body.as_deref(), Some(body.as_str()));
}
