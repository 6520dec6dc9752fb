//! The Batcher against a programmable stand-in: one test per semantic of
//! shared/reference/batching.md (ids, byte limit with attributes, per-entry errors, only failed
//! entries retried, split on too-long, FIFO order under partial failure, back-pressure, flush
//! and close lose nothing, the linger timer, the batch key never written into a request).

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fake::{Fake, accept_batches, accept_sends, failure, success};
use serde_json::{Value, json};
use sqs_client::operation::SendMessageInput;
use sqs_client::types::MessageAttributeValue;
use sqs_client::{BatchConfig, Batcher, Client, Credentials, ErrorKind, RetryConfig};

const QUEUE: &str = "http://127.0.0.1:1/000000000000/q";
const FIFO: &str = "http://127.0.0.1:1/000000000000/q.fifo";

fn client(fake: &Fake) -> Client {
    Client::builder()
        .endpoint_url(fake.url())
        .region("us-east-1")
        .credentials_provider(Credentials::new("k", "s"))
        .retry_config(RetryConfig::default().max_attempts(4).backoff(
            Duration::from_millis(1),
            Duration::from_millis(1),
            Duration::from_millis(5),
        ))
        .build()
        .unwrap()
}

/// A batcher on the fake with the given linger time and the other settings at their defaults.
fn lingering(fake: &Fake, linger: Duration) -> Batcher {
    Batcher::with_config(client(fake), BatchConfig::default().linger(linger))
}

fn msg(queue: &str, body: &str) -> SendMessageInput {
    SendMessageInput::default()
        .queue_url(queue)
        .message_body(body)
}

/// Sends `n` messages concurrently and returns their results in order.
async fn send_all(
    b: &Batcher,
    queue: &str,
    n: usize,
) -> Vec<Result<sqs_client::operation::SendMessageOutput, sqs_client::Error>> {
    let futures: Vec<_> = (0..n)
        .map(|i| {
            let b = b.clone();
            let m = msg(queue, &format!("b{i}"));
            tokio::spawn(async move { b.send_message(m).await })
        })
        .collect();
    let mut out = Vec::new();
    for f in futures {
        out.push(f.await.unwrap());
    }
    out
}

fn entries(req: &Value) -> &Vec<Value> {
    req["Entries"].as_array().unwrap()
}

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
            assert_eq!(err.raw_code(), Some("MissingResult"), "{err}");
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
            let m = msg(QUEUE, &format!("{i}{}", "x".repeat(299))).message_attributes(
                "attr",
                MessageAttributeValue::default()
                    .data_type("String")
                    .string_value("v".repeat(34)),
            );
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
        .send_message(msg(QUEUE, &"y".repeat(1_001)))
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
                    .message_deduplication_id(format!("g{g}-{i}"));
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

#[tokio::test]
async fn a_full_buffer_makes_callers_wait() {
    let fake = Fake::start(|_, body| {
        std::thread::sleep(Duration::from_millis(100));
        accept_sends(body)
    })
    .await;
    let b = Batcher::with_config(
        client(&fake),
        BatchConfig::default()
            .buffer(2)
            .max_in_flight(1)
            .max_entries(1)
            .linger(Duration::ZERO),
    );
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let b = b.clone();
            tokio::spawn(async move { b.send_message(msg(QUEUE, &format!("w{i}"))).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // One in flight, two buffered: the others wait (no error, no panic), then all succeed.
    let extra = tokio::time::timeout(
        Duration::from_millis(20),
        b.send_message(msg(QUEUE, "late")),
    )
    .await;
    assert!(extra.is_err(), "the caller waits for room");
    for h in handles {
        h.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn flush_and_close_lose_nothing() {
    let fake = Fake::start(accept_batches).await;
    // A linger long enough that only flush and close can explain a prompt send.
    let b = lingering(&fake, Duration::from_secs(600));
    let sends: Vec<_> = (0..25)
        .map(|i| {
            let b = b.clone();
            tokio::spawn(async move { b.send_message(msg(QUEUE, &format!("f{i}"))).await })
        })
        .collect();
    let deletes: Vec<_> = (0..3)
        .map(|i| {
            let b = b.clone();
            tokio::spawn(async move { b.delete_message(QUEUE, format!("h{i}")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    b.flush().await;
    for s in sends {
        s.await.unwrap().unwrap();
    }
    let sent: usize = fake
        .requests("SendMessageBatch")
        .iter()
        .map(|r| entries(r).len())
        .sum();
    assert_eq!(sent, 25);
    // Close sends the rest (three deletes, one visibility change) and reports nothing unsent.
    let vis = {
        let b = b.clone();
        tokio::spawn(async move { b.change_message_visibility(QUEUE, "h9", 30).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(b.close().await.is_empty());
    for d in deletes {
        d.await.unwrap().unwrap();
    }
    vis.await.unwrap().unwrap();
    assert_eq!(fake.requests("DeleteMessageBatch").len(), 1);
    assert_eq!(fake.requests("ChangeMessageVisibilityBatch").len(), 1);
    let err = b.send_message(msg(QUEUE, "after")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Closed);
}

#[tokio::test]
async fn close_returns_what_it_could_not_send() {
    // Every entry fails with a receiver fault, so entries are retried until close gives up.
    let fake = Fake::start(|_, body| {
        let failed: Vec<Value> = entries(body)
            .iter()
            .map(|e| failure(&e["Id"], "InternalError", false))
            .collect();
        (200, json!({"Failed": failed}))
    })
    .await;
    let slow_retries = Client::builder()
        .endpoint_url(fake.url())
        .region("us-east-1")
        .credentials_provider(Credentials::new("k", "s"))
        .retry_config(RetryConfig::default().max_attempts(50).backoff(
            Duration::from_secs(5),
            Duration::from_secs(5),
            Duration::from_secs(5),
        ))
        .build()
        .unwrap();
    let b = Batcher::with_config(
        slow_retries,
        BatchConfig::default()
            .linger(Duration::ZERO)
            .close_timeout(Duration::from_millis(300)),
    );
    let waiting: Vec<_> = (0..3)
        .map(|i| {
            let b = b.clone();
            tokio::spawn(async move { b.send_message(msg(QUEUE, &format!("u{i}"))).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let unsent = b.close().await;
    assert_eq!(unsent.len(), 3, "{unsent:?}");
    let mut bodies: Vec<String> = unsent
        .iter()
        .map(|u| match &u.request {
            sqs_client::UnsentRequest::Send(m) => m.message_body.clone(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    bodies.sort();
    assert_eq!(bodies, ["u0", "u1", "u2"]);
    assert_eq!(unsent[0].error.raw_code(), Some("InternalError"));
    for w in waiting {
        assert!(
            w.await.unwrap().is_err(),
            "every caller learns it was not sent"
        );
    }
}

#[tokio::test]
async fn a_batch_still_in_flight_when_close_stops_waiting_answers_its_callers() {
    // The three messages go in one batch (after 50 ms); the stand-in takes 800 ms to answer it,
    // and close waits 200 ms.
    let fake = Fake::answering_after(Duration::from_millis(800), accept_batches).await;
    let b = Batcher::with_config(
        client(&fake),
        BatchConfig::default()
            .linger(Duration::from_millis(50))
            .close_timeout(Duration::from_millis(200)),
    );
    let sending = {
        let b = b.clone();
        tokio::spawn(async move { send_all(&b, QUEUE, 3).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        fake.requests("SendMessageBatch").len(),
        1,
        "the batch is in flight"
    );
    let started = std::time::Instant::now();
    let unsent = b.close().await;
    assert!(unsent.is_empty(), "nothing was left queued: {unsent:?}");
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "close kept its deadline"
    );
    // The batch ends after close returned, and its callers learn that it was sent.
    let results = tokio::time::timeout(Duration::from_secs(10), sending)
        .await
        .expect("the callers are answered")
        .unwrap();
    for (i, r) in results.iter().enumerate() {
        let out = r.as_ref().expect("sent, and told so");
        assert_eq!(out.message_id.as_deref(), Some(format!("m-b{i}").as_str()));
    }
}

#[tokio::test]
async fn a_lone_message_waits_for_the_linger_time_then_goes() {
    let fake = Fake::start(|_, body| accept_sends(body)).await;
    let b = lingering(&fake, Duration::from_millis(300));
    let one = {
        let b = b.clone();
        tokio::spawn(async move { b.send_message(msg(QUEUE, "alone")).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        fake.requests("SendMessageBatch").is_empty(),
        "not sent before the linger time"
    );
    tokio::time::timeout(Duration::from_secs(5), one)
        .await
        .expect("sent when the linger time ran out")
        .unwrap()
        .unwrap();
    // Ten messages make a full batch and go at once, linger or not.
    let b = lingering(&fake, Duration::from_secs(600));
    let results = tokio::time::timeout(Duration::from_secs(5), send_all(&b, QUEUE, 10))
        .await
        .expect("a full batch does not wait for the linger time");
    assert!(results.iter().all(Result::is_ok));
}

#[tokio::test]
async fn requests_carry_the_queue_url_and_entries_only() {
    let fake = Fake::start(accept_batches).await;
    let b = lingering(&fake, Duration::from_millis(30));
    let other = "http://127.0.0.1:1/000000000000/other";
    let (r1, r2, r3) = tokio::join!(
        b.send_message(msg(QUEUE, "a").delay_seconds(3)),
        b.send_message(msg(other, "b")),
        b.delete_message(QUEUE, "handle-1"),
    );
    r1.unwrap();
    r2.unwrap();
    r3.unwrap();
    let mut by_queue: HashMap<String, usize> = HashMap::new();
    for (op, req) in fake.log.lock().unwrap().iter() {
        let keys: HashSet<&str> = req
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, HashSet::from(["QueueUrl", "Entries"]), "{op}: {req}");
        *by_queue
            .entry(req["QueueUrl"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(by_queue[QUEUE], 2, "a send batch and a delete batch");
    assert_eq!(by_queue[other], 1);
    let send = &fake.requests("SendMessageBatch")[0];
    let first = &entries(send)[0];
    assert!(first.get("DelaySeconds").is_some() || first["MessageBody"] == "b");
}

#[tokio::test]
async fn entries_for_several_queues_in_turn_each_reach_their_own_queue() {
    let fake = Fake::start(accept_batches).await;
    let b = lingering(&fake, Duration::from_millis(20));
    let queues = [QUEUE, "http://127.0.0.1:1/000000000000/other", FIFO];
    // Sends and deletes for three queues, each next one for another queue than the last.
    let calls: Vec<_> = (0..60)
        .map(|i| {
            let (b, queue) = (b.clone(), queues[i % 3]);
            tokio::spawn(async move {
                let body = format!("{queue} {i}");
                if i % 2 == 0 {
                    let m = if queue == FIFO {
                        msg(queue, &body)
                            .message_group_id("g")
                            .message_deduplication_id(i.to_string())
                    } else {
                        msg(queue, &body)
                    };
                    b.send_message(m).await.map(|_| ())
                } else {
                    b.delete_message(queue, body).await
                }
            })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let (mut sent, mut deleted) = (0, 0);
    for (op, req) in fake.log.lock().unwrap().iter() {
        let queue = req["QueueUrl"].as_str().unwrap();
        for e in entries(req) {
            let what = match op.as_str() {
                "SendMessageBatch" => {
                    sent += 1;
                    &e["MessageBody"]
                }
                _ => {
                    deleted += 1;
                    &e["ReceiptHandle"]
                }
            };
            let what = what.as_str().unwrap();
            assert!(
                what.starts_with(&format!("{queue} ")),
                "{what} went to {queue}"
            );
        }
    }
    assert_eq!((sent, deleted), (30, 30));
}

#[tokio::test]
async fn queues_used_one_after_another_each_get_their_own_messages() {
    // Each queue's lane is given up once its batch is done, and its slot serves the next queue;
    // a FIFO queue and a plain one take turns with queues seen before.
    let fake = Fake::start(accept_batches).await;
    let b = lingering(&fake, Duration::from_millis(5));
    for round in 0..12 {
        let queue = match round % 4 {
            0 => FIFO.to_owned(),
            1 => QUEUE.to_owned(),
            _ => format!("http://127.0.0.1:1/000000000000/short-lived-{round}"),
        };
        let calls: Vec<_> = (0..3)
            .map(|i| {
                let (b, queue) = (b.clone(), queue.clone());
                tokio::spawn(async move {
                    let body = format!("{queue} {round}-{i}");
                    let m = msg(&queue, &body);
                    let m = if queue == FIFO {
                        m.message_group_id("g")
                            .message_deduplication_id(format!("{round}-{i}"))
                    } else {
                        m
                    };
                    b.send_message(m).await
                })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
    }
    let mut sent = 0;
    for (_, req) in fake.log.lock().unwrap().iter() {
        let queue = req["QueueUrl"].as_str().unwrap();
        for e in entries(req) {
            sent += 1;
            let body = e["MessageBody"].as_str().unwrap();
            assert!(
                body.starts_with(&format!("{queue} ")),
                "{body} went to {queue}"
            );
        }
    }
    assert_eq!(sent, 36);
}

#[tokio::test]
async fn a_dropped_call_and_a_dropped_batcher_still_send_what_was_handed_over() {
    let fake = Fake::start(|_, body| accept_sends(body)).await;
    // A linger time no test waits for: only dropping the last handle can explain a send.
    let b = lingering(&fake, Duration::from_secs(600));
    let gave_up = tokio::time::timeout(
        Duration::from_millis(20),
        b.send_message(msg(QUEUE, "handed over")),
    )
    .await;
    assert!(
        gave_up.is_err(),
        "the call was still waiting for its answer"
    );
    assert!(fake.requests("SendMessageBatch").is_empty());
    drop(b);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while fake.requests("SendMessageBatch").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the message handed over was sent when the last handle went"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let sent = fake.requests("SendMessageBatch");
    assert_eq!(entries(&sent[0])[0]["MessageBody"], "handed over");
}
