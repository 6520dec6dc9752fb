//! The Batcher's life cycle against a programmable stand-in, one test per semantic of
//! shared/reference/batching.md: back-pressure, flush and close lose nothing, the linger timer,
//! the batch key never written into a request, queues in turn, dropped calls and batchers.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::batching::*;
use common::fake::{Fake, accept_batches, accept_sends, failure};
use serde_json::{Value, json};
use sqs_client::{BatchConfig, Batcher, Client, Credentials, ErrorKind, RetryConfig};

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
            tokio::spawn(async move {
                b.send_message(msg(QUEUE, &format!("w{i}")).build().unwrap())
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // One in flight, two buffered: the others wait (no error, no panic), then all succeed.
    let extra = tokio::time::timeout(
        Duration::from_millis(20),
        b.send_message(msg(QUEUE, "late").build().unwrap()),
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
            tokio::spawn(async move {
                b.send_message(msg(QUEUE, &format!("f{i}")).build().unwrap())
                    .await
            })
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
    let err = b
        .send_message(msg(QUEUE, "after").build().unwrap())
        .await
        .unwrap_err();
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
            tokio::spawn(async move {
                b.send_message(msg(QUEUE, &format!("u{i}")).build().unwrap())
                    .await
            })
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
        tokio::spawn(async move { b.send_message(msg(QUEUE, "alone").build().unwrap()).await })
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
        b.send_message(msg(QUEUE, "a").delay_seconds(3).build().unwrap()),
        b.send_message(msg(other, "b").build().unwrap()),
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
                            .build()
                            .unwrap()
                    } else {
                        msg(queue, &body).build().unwrap()
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
                    let m = m.build().unwrap();
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
        b.send_message(msg(QUEUE, "handed over").build().unwrap()),
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
