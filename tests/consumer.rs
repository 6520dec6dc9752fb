//! Batcher and consumer end to end: against moto (300 messages through the Batcher consumed
//! with concurrency 8; a FIFO queue keeping per-group order) and against sqs-local (heartbeat,
//! graceful shutdown giving held messages back, nack and redelivery), and 10,000 messages through
//! the Batcher with about 5% injected faults, none lost; a message with a wrong digest reported
//! while the rest of its receive is delivered. Every wait is bounded.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use sqs_client::operation::SendMessageInput;
use sqs_client::types::QueueAttributeName;
use sqs_client::{BatchConfig, Batcher, Client, Credentials, RetryConfig};

fn client(endpoint: &str) -> Client {
    Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new("test", "test"))
        .build()
        .unwrap()
}

async fn counts(c: &Client, url: &str) -> (u64, u64) {
    let a = c
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    let n = |k| a[&k].parse::<u64>().unwrap();
    (
        n(QueueAttributeName::ApproximateNumberOfMessages),
        n(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

/// Sends `inputs` through a batcher, all at once, checks every send succeeded, and gives the
/// message ids the service answered.
async fn send_through(b: &Batcher, inputs: Vec<SendMessageInput>) -> HashSet<String> {
    let tasks: Vec<_> = inputs
        .into_iter()
        .map(|m| {
            let b = b.clone();
            tokio::spawn(async move { b.send_message(m).await })
        })
        .collect();
    let mut ids = HashSet::new();
    for t in tasks {
        let sent = t.await.unwrap().unwrap_or_else(|e| panic!("{e:?}"));
        ids.insert(sent.message_id.unwrap());
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_three_hundred_messages_batched_and_consumed_by_eight() {
    // moto's cost per request grows with the queue (1,000 messages took 50 s); the thousands
    // run against sqs-local in `ten_thousand_messages_through_faults_none_lost`.
    const MESSAGES: usize = 300;
    let moto = common::Moto::start(None);
    let c = client(&moto.url());
    let url = common::queue(&c, "three-hundred").await;
    let batcher = Batcher::new(c.clone());
    let sent = send_through(
        &batcher,
        (0..MESSAGES)
            .map(|i| {
                SendMessageInput::builder()
                    .queue_url(&url)
                    .message_body(format!("n{i}"))
                    .build()
                    .unwrap()
            })
            .collect(),
    )
    .await;

    assert_eq!(sent.len(), MESSAGES, "a message id per message");

    // Bodies seen, with the ids they came under.
    let seen = Arc::new(Mutex::new(HashMap::<String, HashSet<String>>::new()));
    // moto slows down as the queue grows (about 5 requests/s at 1,000 messages): a long
    // visibility keeps messages from coming back while the others are still being consumed.
    // moto 5.2 deletes by rebuilding the queue's message list without a lock, so two
    // DeleteMessageBatch requests served at once can bring back what the other deleted (seen
    // here as a message or a hundred left over after 1,000 successful deletes): acks go
    // through a batcher with one batch in flight. Real SQS has no such limit.
    let acks = Batcher::with_config(c.clone(), BatchConfig::default().max_in_flight(1));
    let consumer = c
        .consumer(&url)
        .wait_time_seconds(1)
        .visibility_timeout(600)
        .batcher(acks)
        .build();
    let stop = consumer.shutdown_handle();
    let seen2 = Arc::clone(&seen);
    let running = tokio::spawn(consumer.process(8, move |m| {
        let (seen, stop) = (Arc::clone(&seen2), stop.clone());
        async move {
            let mut s = seen.lock().unwrap();
            s.entry(m.body.unwrap_or_default())
                .or_default()
                .insert(m.message_id.unwrap_or_default());
            if s.len() == MESSAGES {
                stop.shutdown();
            }
            Ok::<_, String>(())
        }
    }));
    let summary = tokio::time::timeout(Duration::from_secs(120), running)
        .await
        .expect("consumed within 2 minutes")
        .unwrap();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(seen.len(), MESSAGES, "every message was received");
    let handled: HashSet<&String> = seen.values().flatten().collect();
    assert_eq!(summary.settle_errors, 0, "{summary:?}");
    assert_eq!(summary.acked, handled.len() as u64, "{summary:?}");

    // A SendMessageBatch that moto was too slow to answer is sent again (at least once, as
    // with SQS), storing its messages twice, and the ids answered are the second copies':
    // such copies may be left once every body was seen. Each must be the copy of a body
    // handled under another id; nothing that was deleted may be back.
    let mut left = HashSet::new();
    for _ in 0..200 {
        let got = common::receive_ten(&c, &url).await;
        if got.is_empty() {
            break;
        }
        for m in got {
            let id = m.message_id.clone().unwrap();
            assert!(!handled.contains(&id), "deleted, yet back: {id}");
            assert!(seen.contains_key(m.body.as_deref().unwrap()), "{m:?}");
            common::delete(&c, &url, &m).await;
            left.insert(id);
        }
    }
    if !left.is_empty() {
        eprintln!("{} second copies from resent batches", left.len());
    }
    assert!(
        sent.iter()
            .all(|id| handled.contains(id) || left.contains(id)),
        "every message stored was received"
    );
    assert_eq!(counts(&c, &url).await, (0, 0), "the queue is empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_a_fifo_queue_keeps_each_group_in_order() {
    let moto = common::Moto::start(None);
    let c = client(&moto.url());
    let url = c
        .create_queue()
        .queue_name("groups.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let batcher = Batcher::new(c.clone());
    // Handed over in order per group (each group's sends one after another).
    let mut producers = Vec::new();
    for g in 0..3 {
        let (b, url) = (batcher.clone(), url.clone());
        producers.push(tokio::spawn(async move {
            for i in 0..30 {
                b.send_message(
                    SendMessageInput::builder()
                        .queue_url(&url)
                        .message_body(format!("{i:02}"))
                        .message_group_id(format!("g{g}"))
                        .message_deduplication_id(format!("g{g}-{i}"))
                        .build()
                        .unwrap(),
                )
                .await
                .unwrap();
            }
        }));
    }
    for p in producers {
        p.await.unwrap();
    }
    let order = Arc::new(Mutex::new(HashMap::<String, Vec<String>>::new()));
    let done = Arc::new(AtomicU64::new(0));
    // One delete batch in flight at a time: see the test above.
    let acks = Batcher::with_config(c.clone(), BatchConfig::default().max_in_flight(1));
    let consumer = c.consumer(&url).wait_time_seconds(1).batcher(acks).build();
    let stop = consumer.shutdown_handle();
    let (order2, done2) = (Arc::clone(&order), Arc::clone(&done));
    let running = tokio::spawn(consumer.process(8, move |m| {
        let (order, done, stop) = (Arc::clone(&order2), Arc::clone(&done2), stop.clone());
        async move {
            let group = m.attributes.as_ref().unwrap()
                [&sqs_client::types::MessageSystemAttributeName::MessageGroupId]
                .clone();
            // Uneven handling times would reorder a group if it were handled concurrently.
            tokio::time::sleep(Duration::from_millis(fastrand_ms())).await;
            order
                .lock()
                .unwrap()
                .entry(group)
                .or_default()
                .push(m.body.unwrap_or_default());
            if done.fetch_add(1, Ordering::SeqCst) + 1 == 90 {
                stop.shutdown();
            }
            Ok::<_, String>(())
        }
    }));
    tokio::time::timeout(Duration::from_secs(120), running)
        .await
        .expect("consumed within 2 minutes")
        .unwrap();
    let order = order.lock().unwrap();
    for g in 0..3 {
        let got = &order[&format!("g{g}")];
        let want: Vec<String> = (0..30).map(|i| format!("{i:02}")).collect();
        assert_eq!(got, &want, "group g{g}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_a_receive_under_way_at_shutdown_gives_its_messages_back() {
    let moto = common::Moto::start(None);
    let c = client(&moto.url());
    let url = common::queue(&c, "late").await;
    // The consumer long-polls the empty queue; the shutdown is asked for while that receive
    // waits, and a message arrives after it: the receive takes it (hidden for ten minutes)
    // and returns. Cutting the receive short would leave it hidden; it must come back at once.
    let consumer = c
        .consumer(&url)
        .wait_time_seconds(5)
        .visibility_timeout(600)
        .build();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let shutdown = tokio::spawn(consumer.shutdown());
    tokio::time::sleep(Duration::from_millis(300)).await;
    common::send(&c, &url, "late").await;
    tokio::time::timeout(Duration::from_secs(30), shutdown)
        .await
        .expect("the shutdown ends within its timeout")
        .unwrap();
    assert_eq!(
        counts(&c, &url).await,
        (1, 0),
        "the message the last receive took is visible again"
    );
}

fn fastrand_ms() -> u64 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        % 7) as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_keeps_a_slow_message_hidden() {
    let local = sqs_local::start().await.unwrap();
    let c = client(local.endpoint());
    let url = common::queue(&c, "slow").await;
    common::send(&c, &url, "slow").await;
    let mut consumer = c
        .consumer(&url)
        .visibility_timeout(1)
        .heartbeat(Duration::from_millis(300))
        .wait_time_seconds(1)
        .build();
    let d = consumer.next().await.unwrap().unwrap();
    // Work for 2.5 s, well past the 1 s visibility: nobody else may get the message.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let other = c
            .receive_message()
            .queue_url(&url)
            .send()
            .await
            .unwrap()
            .messages;
        assert!(other.is_none(), "the message stayed hidden while worked on");
    }
    d.ack().await.unwrap();
    consumer.shutdown().await;
    assert_eq!(counts(&c, &url).await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_held_messages_back_at_once() {
    let local = sqs_local::start().await.unwrap();
    let c = client(local.endpoint());
    let url = common::queue(&c, "held").await;
    let batcher = Batcher::new(c.clone());
    send_through(
        &batcher,
        (0..10)
            .map(|i| {
                SendMessageInput::builder()
                    .queue_url(&url)
                    .message_body(format!("h{i}"))
                    .build()
                    .unwrap()
            })
            .collect(),
    )
    .await;
    let mut consumer = c
        .consumer(&url)
        .visibility_timeout(600)
        .prefetch(10)
        .wait_time_seconds(1)
        .build();
    let first = consumer.next().await.unwrap().unwrap();
    // Let the consumer fill its buffer, then stop it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while counts(&c, &url).await.1 < 10 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.ack().await.unwrap();
    consumer.shutdown().await;
    // The nine held back are receivable now, not after 600 s.
    let mut back = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while back < 9 && tokio::time::Instant::now() < deadline {
        back += common::receive_ten(&c, &url).await.len();
    }
    assert_eq!(back, 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_handler_hands_the_message_back_for_another_try() {
    let local = sqs_local::start().await.unwrap();
    let c = client(local.endpoint());
    let url = common::queue(&c, "retry").await;
    common::send(&c, &url, "flaky").await;
    let tries = Arc::new(AtomicU64::new(0));
    let consumer = c.consumer(&url).wait_time_seconds(1).build();
    let stop = consumer.shutdown_handle();
    let t = Arc::clone(&tries);
    let summary = tokio::time::timeout(
        Duration::from_secs(30),
        consumer.process(2, move |_| {
            let (t, stop) = (Arc::clone(&t), stop.clone());
            async move {
                if t.fetch_add(1, Ordering::SeqCst) == 0 {
                    return Err("first try fails");
                }
                stop.shutdown();
                Ok(())
            }
        }),
    )
    .await
    .expect("done within 30 s");
    assert_eq!((summary.nacked, summary.acked), (1, 1), "{summary:?}");
    assert_eq!(counts(&c, &url).await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_through_faults_none_lost() {
    // The stand-in stores what it accepts; about 2% of requests get a 500, 2% throttling, and
    // 5% of entries fail with a receiver fault. Nothing is stored for a failed request or entry.
    let stored: Arc<Mutex<Vec<String>>> = Arc::default();
    let counter = Arc::new(AtomicU64::new(0));
    let (store, n) = (Arc::clone(&stored), Arc::clone(&counter));
    let fake = common::fake::Fake::start(move |_, body| {
        let k = n.fetch_add(1, Ordering::SeqCst);
        match k % 50 {
            7 => {
                return (
                    500,
                    json!({"__type": "InternalError", "message": "injected"}),
                );
            }
            23 => {
                return (
                    400,
                    json!({"__type": "com.amazonaws.sqs#RequestThrottled", "message": "injected"}),
                );
            }
            _ => {}
        }
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for (i, e) in body["Entries"].as_array().unwrap().iter().enumerate() {
            if (k as usize * 7 + i) % 20 == 3 {
                failed.push(common::fake::failure(&e["Id"], "InternalError", false));
            } else {
                store
                    .lock()
                    .unwrap()
                    .push(e["MessageBody"].as_str().unwrap().to_owned());
                ok.push(common::fake::success(e));
            }
        }
        (200, json!({"Successful": ok, "Failed": failed}))
    })
    .await;
    let c = Client::builder()
        .endpoint_url(fake.url())
        .region("us-east-1")
        .credentials_provider(Credentials::new("k", "s"))
        .retry_config(RetryConfig::default().max_attempts(5).backoff(
            Duration::from_millis(1),
            Duration::from_millis(2),
            Duration::from_millis(20),
        ))
        .build()
        .unwrap();
    let b = Batcher::with_config(c, BatchConfig::default().linger(Duration::from_millis(5)));
    let tasks: Vec<_> = (0..10_000)
        .map(|i| {
            let b = b.clone();
            tokio::spawn(async move {
                let body = format!("m{i}");
                let r = b
                    .send_message(
                        SendMessageInput::builder()
                            .queue_url("http://127.0.0.1:1/000000000000/faults")
                            .message_body(&body)
                            .build()
                            .unwrap(),
                    )
                    .await;
                (body, r)
            })
        })
        .collect();
    let mut ok = Vec::new();
    let mut failed = 0;
    for t in tokio::time::timeout(
        Duration::from_secs(120),
        futures_util::future::join_all(tasks),
    )
    .await
    .expect("every send resolves")
    {
        let (body, r) = t.unwrap();
        match r {
            Ok(out) => {
                assert_eq!(
                    out.message_id.as_deref(),
                    Some(format!("m-{body}").as_str())
                );
                ok.push(body);
            }
            Err(_) => failed += 1,
        }
    }
    let mut stored = stored.lock().unwrap().clone();
    stored.sort();
    ok.sort();
    assert_eq!(ok.len() + failed, 10_000);
    assert_eq!(
        stored, ok,
        "the successes are exactly what the server stored"
    );
    assert!(failed < 50, "{failed} sends failed for good");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_message_is_reported_and_the_rest_of_its_receive_delivered() {
    use md5::Digest as _;
    let digest = |s: &str| hex::encode(md5::Md5::digest(s.as_bytes()));
    let served = Arc::new(AtomicU64::new(0));
    let n = Arc::clone(&served);
    let fake = common::fake::Fake::start(move |op, body| match op {
        // The first receive carries three messages, the second with the digest of another
        // body (as a proxy that rewrote it would leave it); later receives are empty.
        "ReceiveMessage" if n.fetch_add(1, Ordering::SeqCst) == 0 => {
            let message = |id: &str, text: &str, md5: String| {
                json!({"MessageId": id, "ReceiptHandle": format!("rh-{id}"), "Body": text, "MD5OfBody": md5})
            };
            (
                200,
                json!({"Messages": [
                    message("m1", "one", digest("one")),
                    message("m2", "two", digest("tw0")),
                    message("m3", "three", digest("three")),
                ]}),
            )
        }
        "ReceiveMessage" => (200, json!({})),
        "DeleteMessageBatch" => common::fake::accept_ids(body),
        _ => (200, json!({})),
    })
    .await;
    let c = client(&fake.url());
    let queue = format!("{}/000000000000/q", fake.url());
    let mut consumer = c.consumer(&queue).wait_time_seconds(0).build();
    let (mut delivered, mut errors) = (Vec::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while delivered.len() + errors.len() < 3 {
        let item = tokio::time::timeout_at(deadline, consumer.next())
            .await
            .expect("three items within 10 s")
            .expect("the stream goes on");
        match item {
            Ok(d) => {
                delivered.push(d.message().body.clone().unwrap_or_default());
                d.ack().await.unwrap();
            }
            Err(e) => errors.push(e),
        }
    }
    consumer.shutdown().await;
    assert_eq!(delivered, ["one", "three"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind(), sqs_client::ErrorKind::ChecksumMismatch);
    assert!(errors[0].to_string().contains("m2"), "{}", errors[0]);
    // The damaged message was neither deleted nor given back: it returns on its own.
    let touched: Vec<String> = fake
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|(op, _)| op != "ReceiveMessage")
        .flat_map(|(_, b)| b["Entries"].as_array().cloned().unwrap_or_default())
        .map(|e| e["ReceiptHandle"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(touched.contains(&"rh-m1".to_owned()) && touched.contains(&"rh-m3".to_owned()));
    assert!(!touched.contains(&"rh-m2".to_owned()), "{touched:?}");
}

/// `receivers(n)` keeps n receives in flight at once: against a service that takes 5 s to
/// answer, four receive requests arrive before the first is answered (one receiver would send
/// one). The wait for them is bounded; the consumer is shut down without waiting for answers.
#[tokio::test]
async fn several_receivers_keep_that_many_receives_in_flight() {
    use sqs_client::operation::receive_message::{ReceiveMessageInput, ReceiveMessageOutput};
    use sqs_client::testing::{self, wiremock::Mock, wiremock::MockServer};

    for receivers in [1usize, 4] {
        let server = MockServer::start().await;
        Mock::given(testing::operation::<ReceiveMessageInput>())
            .respond_with(
                testing::reply::<ReceiveMessageInput>(ReceiveMessageOutput::default())
                    .delay(Duration::from_secs(5)),
            )
            .mount(&server)
            .await;
        let client = testing::client_builder(&server).build().unwrap();
        let consumer = client
            .consumer("http://127.0.0.1:1/000000000000/q")
            .receivers(receivers)
            .wait_time_seconds(0)
            .shutdown_timeout(Duration::from_millis(100))
            .build();
        let mut seen = 0;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            seen = testing::received::<ReceiveMessageInput>(&server)
                .await
                .unwrap()
                .len();
            if seen >= receivers && receivers == 4 {
                break;
            }
        }
        assert_eq!(
            seen, receivers,
            "receives in flight with {receivers} receiver(s)"
        );
        consumer.shutdown().await;
    }
}
