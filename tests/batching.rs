//! The Batcher against a programmable stand-in: one test per semantic of
//! shared/reference/batching.md about what goes in a batch and what comes back (ids, byte limit
//! with attributes, per-entry errors, only failed entries retried, split on too-long, FIFO order
//! under partial failure). Its life cycle is in `batching_lifecycle.rs`.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::batching::*;
use common::fake::{Fake, accept_sends, failure, success};
use serde_json::{Value, json};
use sqs_client::types::MessageAttributeValue;
use sqs_client::{BatchConfig, Batcher, ErrorKind};

#[tokio::test]
async fn ids_are_ours_and_results_come_back_by_id() {
    // The stand-in answers in reverse order and leaves one entry out of its answer.
    let fake = Fake::start(|_, body| {
        let mut ok: Vec<Value> = entries(body)
            .iter()
            .filter(|e| e["MessageBody"] != "b3")
            .map(success)
            .collect();
        ok.reverse();
        (200, json!({"Successful": ok}))
    })
    .await;
    let b = lingering(&fake, Duration::from_millis(50));
    let results = send_all(&b, QUEUE, 5).await;
    for (i, r) in results.iter().enumerate() {
        if i == 3 {
            let err = r.as_ref().unwrap_err();
            assert_eq!(
                err.raw_code(),
                Some(sqs_client::INCOMPLETE_ANSWER_CODE),
                "{err}"
            );
        } else {
            assert_eq!(
                r.as_ref().unwrap().message_id.as_deref(),
                Some(format!("m-b{i}").as_str())
            );
        }
    }
    for req in fake.requests("SendMessageBatch") {
        for (i, e) in entries(&req).iter().enumerate() {
            assert_eq!(e["Id"], i.to_string(), "ids are generated, never user data");
        }
    }
}

#[tokio::test]
async fn batches_respect_the_byte_limit_counting_attributes() {
    let fake = Fake::start(|_, body| accept_sends(body)).await;
    let b = Batcher::with_config(
        client(&fake),
        BatchConfig::default()
            .max_bytes(1_000)
            .linger(Duration::from_millis(100)),
    );
    // 300 bytes of body + 44 of attribute (name 4, type 6, value 34): two fit in 1,000, three do not.
    let futures: Vec<_> = (0..7)
        .map(|i| {
            let b = b.clone();
            let m = msg(QUEUE, &format!("{i}{}", "x".repeat(299)))
                .message_attributes(
                    "attr",
                    MessageAttributeValue::builder()
                        .data_type("String")
                        .string_value("v".repeat(34))
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap();
            tokio::spawn(async move { b.send_message(m).await })
        })
        .collect();
    for f in futures {
        f.await.unwrap().unwrap();
    }
    let requests = fake.requests("SendMessageBatch");
    for req in &requests {
        let size: usize = entries(req)
            .iter()
            .map(|e| e["MessageBody"].as_str().unwrap().len() + 4 + 6 + 34)
            .sum();
        assert!(size <= 1_000, "a batch of {size} bytes");
    }
    assert_eq!(requests.iter().map(|r| entries(r).len()).sum::<usize>(), 7);
    assert!(
        requests.len() >= 4,
        "7 messages of 344 bytes need 4 batches"
    );
    // A single message over the limit is refused before anything is queued.
    let err = b
        .send_message(msg(QUEUE, &"y".repeat(1_001)).build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest, "{err}");
}

#[tokio::test]
async fn each_caller_gets_its_own_entry_error() {
    let fake = Fake::start(|_, body| {
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for e in entries(body) {
            if e["MessageBody"] == "b1" {
                failed.push(failure(&e["Id"], "InvalidParameterValue", true));
            } else {
                ok.push(success(e));
            }
        }
        (200, json!({"Successful": ok, "Failed": failed}))
    })
    .await;
    let b = lingering(&fake, Duration::from_millis(50));
    let results = send_all(&b, QUEUE, 3).await;
    assert!(results[0].is_ok() && results[2].is_ok());
    let err = results[1].as_ref().unwrap_err();
    assert_eq!(err.raw_code(), Some("InvalidParameterValue"));
    assert_eq!(err.fault(), Some(sqs_client::Fault::Sender));
    assert!(err.message().contains("injected"), "{err}");
    assert_eq!(
        fake.requests("SendMessageBatch").len(),
        1,
        "a sender-fault entry is not retried"
    );
}

#[tokio::test]
async fn answers_are_matched_by_our_ids_only_and_a_success_wins() {
    // Ten messages in one batch. The answer lists b3 both as sent and as failed, fails b8, and
    // leaves b7 out; it also carries ids the batch never used ("07", "x", ""), one of them
    // listed as a success. Only b7 is sent again (alone, as id "0"), and then accepted.
    let fake = Fake::start(|_, body| {
        let (mut ok, mut failed) = (Vec::new(), Vec::new());
        for e in entries(body) {
            match e["MessageBody"].as_str() {
                Some("b7") if entries(body).len() > 1 => {}
                Some("b8") => failed.push(failure(&e["Id"], "Rejected", true)),
                Some("b3") => {
                    failed.push(failure(&e["Id"], "Contradicted", true));
                    ok.push(success(e));
                }
                _ => ok.push(success(e)),
            }
        }
        ok.push(json!({"Id": "07", "MessageId": "m-bogus", "MD5OfMessageBody": "00"}));
        failed.push(failure(&json!("x"), "Bogus", true));
        failed.push(failure(&json!(""), "Bogus", true));
        (200, json!({"Successful": ok, "Failed": failed}))
    })
    .await;
    let b = lingering(&fake, Duration::from_millis(50));
    let results = send_all(&b, QUEUE, 10).await;
    for (i, r) in results.iter().enumerate() {
        if i == 8 {
            assert_eq!(r.as_ref().unwrap_err().raw_code(), Some("Rejected"));
        } else {
            let sent = r.as_ref().unwrap_or_else(|e| panic!("b{i}: {e}"));
            assert_eq!(sent.message_id.as_deref(), Some(format!("m-b{i}").as_str()));
        }
    }
    let requests = fake.requests("SendMessageBatch");
    assert_eq!(requests.len(), 2, "only the left-out entry is sent again");
    assert_eq!(entries(&requests[1])[0]["MessageBody"], "b7");
}

#[tokio::test]
async fn only_the_failed_entries_are_sent_again() {
    let failed_once = Arc::new(Mutex::new(HashSet::new()));
    let seen = Arc::clone(&failed_once);
    let fake = Fake::start(move |_, body| {
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for e in entries(body) {
            let text = e["MessageBody"].as_str().unwrap().to_owned();
            if (text == "b2" || text == "b4") && seen.lock().unwrap().insert(text) {
                failed.push(failure(&e["Id"], "InternalError", false));
            } else {
                ok.push(success(e));
            }
        }
        (200, json!({"Successful": ok, "Failed": failed}))
    })
    .await;
    let b = lingering(&fake, Duration::from_millis(50));
    for r in send_all(&b, QUEUE, 6).await {
        r.unwrap();
    }
    let requests = fake.requests("SendMessageBatch");
    assert_eq!(entries(&requests[0]).len(), 6, "{requests:?}");
    // The two failed entries, and nothing else, went again: together, or apart when their
    // random backoffs ended far enough apart.
    let resent: Vec<&str> = requests[1..]
        .iter()
        .flat_map(entries)
        .map(|e| e["MessageBody"].as_str().unwrap())
        .collect();
    assert_eq!(resent, ["b2", "b4"], "{requests:?}");
}

#[tokio::test]
async fn failed_deletes_and_visibility_changes_go_again_with_their_own_receipt_handles() {
    // The first time each operation sees receipt handle h1 it fails it with a receiver fault.
    let failed_once = Arc::new(Mutex::new(HashSet::new()));
    let seen = Arc::clone(&failed_once);
    let fake = Fake::start(move |op, body| {
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for e in entries(body) {
            let handle = e["ReceiptHandle"].as_str().unwrap().to_owned();
            if handle == "h1" && seen.lock().unwrap().insert(op.to_owned()) {
                failed.push(failure(&e["Id"], "InternalError", false));
            } else {
                ok.push(json!({"Id": e["Id"]}));
            }
        }
        (200, json!({"Successful": ok, "Failed": failed}))
    })
    .await;
    let b = lingering(&fake, Duration::from_millis(50));
    let calls: Vec<_> = (0..3)
        .map(|i| {
            let b = b.clone();
            tokio::spawn(async move {
                b.delete_message(QUEUE, format!("h{i}")).await?;
                b.change_message_visibility(QUEUE, format!("h{i}"), 30)
                    .await
            })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    for op in ["DeleteMessageBatch", "ChangeMessageVisibilityBatch"] {
        let requests = fake.requests(op);
        let handles: Vec<Vec<&str>> = requests
            .iter()
            .map(|r| {
                entries(r)
                    .iter()
                    .map(|e| e["ReceiptHandle"].as_str().unwrap())
                    .collect()
            })
            .collect();
        // Every handle went once, and h1 (which failed) a second time, on its own.
        let mut all: Vec<&str> = handles.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, ["h0", "h1", "h1", "h2"], "{op}: {handles:?}");
        assert_eq!(handles.last().unwrap(), &["h1"], "{op}: {handles:?}");
    }
    // Each visibility change carries its timeout, the retried one too.
    let timeouts: Vec<Option<i64>> = fake
        .requests("ChangeMessageVisibilityBatch")
        .iter()
        .flat_map(|r| entries(r).iter().map(|e| e["VisibilityTimeout"].as_i64()))
        .collect();
    assert_eq!(timeouts, [Some(30); 4]);
}

#[tokio::test]
async fn a_batch_too_long_is_split_and_sent_in_halves() {
    let fake = Fake::start(|_, body| {
        if entries(body).len() > 2 {
            (
                400,
                json!({"__type": "com.amazonaws.sqs#BatchRequestTooLong", "message": "too long"}),
            )
        } else {
            accept_sends(body)
        }
    })
    .await;
    let b = lingering(&fake, Duration::from_millis(50));
    for r in send_all(&b, QUEUE, 8).await {
        r.unwrap();
    }
    let sizes: Vec<usize> = fake
        .requests("SendMessageBatch")
        .iter()
        .map(|r| entries(r).len())
        .collect();
    assert!(sizes.contains(&2), "{sizes:?}");
    let delivered: usize = sizes.iter().filter(|s| **s <= 2).sum();
    assert_eq!(delivered, 8, "{sizes:?}");
}

#[tokio::test]
async fn fifo_groups_keep_their_order_under_partial_failure() {
    // The stand-in stores what it accepts, and fails entries now and then (receiver fault).
    let stored: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let failed_before: Arc<Mutex<HashSet<String>>> = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let (store, n, once) = (
        Arc::clone(&stored),
        Arc::clone(&calls),
        Arc::clone(&failed_before),
    );
    let fake = Fake::start(move |_, body| {
        let call = n.fetch_add(1, Ordering::SeqCst);
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        let mut failed_groups = HashSet::new();
        for (i, e) in entries(body).iter().enumerate() {
            let group = e["MessageGroupId"].as_str().unwrap().to_owned();
            let text = e["MessageBody"].as_str().unwrap().to_owned();
            // Every third entry or so fails once; like SQS, later entries of its group fail too.
            let inject = (call + i) % 3 == 1 && once.lock().unwrap().insert(text);
            if inject || failed_groups.contains(&group) {
                failed_groups.insert(group);
                failed.push(failure(&e["Id"], "InternalError", false));
            } else {
                store
                    .lock()
                    .unwrap()
                    .push((group, e["MessageBody"].as_str().unwrap().to_owned()));
                ok.push(success(e));
            }
        }
        (200, json!({"Successful": ok, "Failed": failed}))
    })
    .await;
    let b = lingering(&fake, Duration::from_millis(20));
    // Messages are handed over one after another per group, as a FIFO producer would.
    let mut tasks = Vec::new();
    for g in 0..3 {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let mut pending = Vec::new();
            for i in 0..20 {
                let m = msg(FIFO, &format!("g{g}-{i:02}"))
                    .message_group_id(format!("g{g}"))
                    .message_deduplication_id(format!("g{g}-{i}"))
                    .build()
                    .unwrap();
                let b = b.clone();
                pending.push(tokio::spawn(async move { b.send_message(m).await }));
                tokio::task::yield_now().await;
            }
            pending
        }));
    }
    for t in tasks {
        for p in t.await.unwrap() {
            p.await.unwrap().unwrap();
        }
    }
    let stored = stored.lock().unwrap();
    for g in 0..3 {
        let bodies: Vec<&str> = stored
            .iter()
            .filter(|(group, _)| *group == format!("g{g}"))
            .map(|(_, b)| b.as_str())
            .collect();
        let mut sorted = bodies.clone();
        sorted.sort();
        assert_eq!(bodies, sorted, "group g{g} kept its order");
        assert_eq!(bodies.len(), 20);
    }
}
