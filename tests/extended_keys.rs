//! Object keys taken literally, both ways, with the Python extended client on moto (our side
//! through object_store's S3 backend): keys with `~ # % + [ ]`, a space, non-ASCII and 1,000
//! bytes name the same object for both, and after the deletes the bucket is empty. Keys no store
//! path can hold fail their own message with a typed error naming the key, and nothing is read
//! or deleted for them.

mod common;

use common::extended::{python, s3, sqs};
use object_store::ObjectStoreExt;
use sqs_client::operation::{DeleteMessageInput, ReceiveMessageInput};
use sqs_client::types::MessageAttributeValue;
use sqs_extended::{Error, ExtendedClient, PayloadLocation};

const BUCKET: &str = "keys-bucket";

fn long_key() -> String {
    // 1,000 bytes: segments of ASCII and two-byte characters.
    let mut key = String::new();
    while key.len() < 990 {
        key.push_str("deep-é/");
    }
    while key.len() < 1000 {
        key.push('k');
    }
    assert_eq!(key.len(), 1000);
    key
}

fn receive(queue: &str) -> ReceiveMessageInput {
    ReceiveMessageInput::builder()
        .queue_url(queue)
        .wait_time_seconds(2)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .build()
        .unwrap()
}

fn objects(moto: &common::Moto) -> Vec<String> {
    let listed = python(moto, BUCKET, "objects", &[]);
    let mut keys: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_name_the_same_object_for_both_clients() {
    let moto = common::Moto::start(None);
    let queue = python(&moto, BUCKET, "setup", &["keys-q"])["queue_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = sqs(&moto);
    let store = s3(&moto, BUCKET);
    let ext = ExtendedClient::new(client.clone(), store.clone(), BUCKET);
    let keys: Vec<String> = ["a~b", "a#b", "a%41b", "a+b", "x[1]", "sp ace", "é.bin"]
        .into_iter()
        .map(str::to_owned)
        .chain([long_key()])
        .collect();

    // Python writes under each key; we read exactly that object, and our delete removes it.
    for key in &keys {
        let sent = python(&moto, BUCKET, "put_pointer", &[&queue, key, "2000"]);
        let mut got = ext.execute(receive(&queue)).await.unwrap().messages;
        assert_eq!(got.len(), 1, "{key}");
        let m = got
            .remove(0)
            .unwrap_or_else(|f| panic!("{key}: {}", f.error));
        assert_eq!(m.payload.as_ref().unwrap().key, *key);
        let body = m.message.body.unwrap();
        assert_eq!(body.len() as u64, sent["len"].as_u64().unwrap(), "{key}");
        ext.execute(
            DeleteMessageInput::builder()
                .queue_url(&queue)
                .receipt_handle(m.message.receipt_handle.unwrap())
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        objects(&moto),
        Vec::<String>::new(),
        "our deletes took every object"
    );

    // We write under each key (its object_store path); Python reads it and deletes it.
    let body = "from rust é ".repeat(2000);
    for key in &keys {
        let location = PayloadLocation {
            bucket: BUCKET.into(),
            key: key.clone(),
        };
        let path = location.object_path().unwrap();
        store.put(&path, body.clone().into()).await.unwrap();
        client
            .send_message()
            .queue_url(&queue)
            .message_body(location.to_pointer())
            .message_attributes(
                "ExtendedPayloadSize",
                MessageAttributeValue::builder()
                    .data_type("Number")
                    .string_value(body.len().to_string())
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            objects(&moto),
            vec![key.clone()],
            "stored under exactly {key:?}"
        );
        let got = python(&moto, BUCKET, "receive", &[&queue]);
        assert_eq!(got[0]["len"].as_u64().unwrap(), body.len() as u64, "{key}");
    }
    assert_eq!(
        objects(&moto),
        Vec::<String>::new(),
        "Python's deletes took every object"
    );

    // Keys no object_store path can hold: each message fails alone, nothing read or deleted.
    let unusable = ["/lead", "trail/", "a//b", "./x", "a/../b", "ctl\u{1}x"];
    for key in unusable {
        python(&moto, BUCKET, "put_pointer", &[&queue, key, "10"]);
    }
    python(&moto, BUCKET, "put_pointer", &[&queue, "fine", "10"]);
    let stored = objects(&moto);
    let mut failed = Vec::new();
    let mut fine = 0;
    for _ in 0..10 {
        for m in ext.execute(receive(&queue)).await.unwrap().messages {
            match m {
                Ok(m) => {
                    assert_eq!(m.payload.unwrap().key, "fine");
                    fine += 1;
                }
                Err(f) => match f.error {
                    Error::UnsupportedKey { location, why } => {
                        assert!(why.contains(&format!("{:?}", location.key)), "{why}");
                        failed.push(location.key);
                    }
                    other => panic!("{other}"),
                },
            }
        }
        if failed.len() == unusable.len() && fine == 1 {
            break;
        }
    }
    failed.sort();
    let mut expected: Vec<String> = unusable.iter().map(|k| k.to_string()).collect();
    expected.sort();
    assert_eq!(failed, expected);
    assert_eq!(fine, 1);
    assert_eq!(objects(&moto), stored, "nothing was deleted");
}
