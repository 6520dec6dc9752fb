//! The crash test: the standalone server with `--data-dir`, producers and consumers on a
//! standard and a FIFO queue (single and batched sends, batched deletes, visibility changes),
//! killed with SIGKILL at a random moment and restarted, 20 times. The test keeps a ledger of
//! what the server acknowledged; at the end every acknowledged send is still in its queue or was
//! deleted, no acknowledged delete came undone, and each FIFO group is in order with no gap.
#![cfg(all(target_os = "linux", feature = "data-dir"))]

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqs_client::types::{
    DeleteMessageBatchRequestEntry, Message, QueueAttributeName as A, SendMessageBatchRequestEntry,
};
use sqs_client::{Client, ErrorCode};
use support::{Server, TempDir, attributes, client};

const ROUNDS: usize = 20;
const GROUPS: usize = 3;
/// Seconds a consumer's receive hides a message.
const VISIBILITY: i32 = 2;

/// What the server acknowledged, and what the test tried without an answer.
#[derive(Debug, Default)]
struct Ledger {
    /// Bodies of acknowledged sends to the standard queue.
    sent: HashSet<String>,
    /// Bodies whose delete was tried (acknowledged or not).
    delete_tried: HashSet<String>,
    /// Bodies whose delete was acknowledged.
    deleted: HashSet<String>,
    /// Handles held when the server was killed, tried after the restart.
    held: Vec<(String, String)>,
    /// FIFO, per group: the last number acknowledged as sent (sends go one at a time, each
    /// retried with the same deduplication id until acknowledged).
    fifo_sent: [u64; GROUPS],
    /// FIFO, per group: the last number whose delete was acknowledged, and tried.
    fifo_deleted: [u64; GROUPS],
    fifo_delete_tried: [u64; GROUPS],
    visibility_changes: usize,
    stale_refused: usize,
    stale_deleted: usize,
    problems: Vec<String>,
}

type Shared = Arc<Mutex<Ledger>>;

/// What each producer and consumer task works with: a client of the running server, its
/// queue, the ledger, and the flag that stops it when the server is killed.
struct Worker {
    c: Client,
    url: String,
    l: Shared,
    stop: Arc<AtomicBool>,
}

fn ledger(l: &Shared) -> std::sync::MutexGuard<'_, Ledger> {
    l.lock().unwrap_or_else(|p| p.into_inner())
}

async fn receive(c: &Client, url: &str, visibility: i32) -> Option<Vec<Message>> {
    let got = c
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(visibility)
        .send()
        .await
        .ok()?;
    Some(got.messages.unwrap_or_default())
}

/// Deletes in one batch; gives the bodies whose delete was acknowledged.
async fn delete(c: &Client, url: &str, messages: &[(String, String)]) -> Vec<String> {
    let entries = messages
        .iter()
        .enumerate()
        .map(|(i, (_, handle))| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(handle)
                .build()
                .unwrap()
        })
        .collect();
    let Ok(out) = c
        .delete_message_batch()
        .queue_url(url)
        .set_entries(Some(entries))
        .send()
        .await
    else {
        return Vec::new();
    };
    out.successful
        .iter()
        .filter_map(|e| e.id.parse::<usize>().ok())
        .filter_map(|i| messages.get(i).map(|(body, _)| body.clone()))
        .collect()
}

/// (group, number) of a FIFO body `g{group}-{number}`.
fn fifo_body(body: &str) -> (usize, u64) {
    let (g, n) = body[1..].split_once('-').unwrap();
    (g.parse().unwrap(), n.parse().unwrap())
}

async fn produce_standard(w: Worker, tag: String) {
    let Worker { c, url, l, stop } = w;
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        if n.is_multiple_of(2) {
            let body = format!("{tag}-{n}");
            if c.send_message()
                .queue_url(&url)
                .message_body(&body)
                .send()
                .await
                .is_ok()
            {
                ledger(&l).sent.insert(body);
            }
            continue;
        }
        let bodies: Vec<String> = (0..10).map(|i| format!("{tag}-{n}.{i}")).collect();
        let entries = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(b)
                    .build()
                    .unwrap()
            })
            .collect();
        let sent = c
            .send_message_batch()
            .queue_url(&url)
            .set_entries(Some(entries))
            .send()
            .await;
        if let Ok(out) = sent {
            let mut l = ledger(&l);
            for e in &out.successful {
                let i: usize = e.id.parse().unwrap();
                l.sent.insert(bodies[i].clone());
            }
        }
    }
}

async fn consume_standard(w: Worker) {
    let Worker { c, url, l, stop } = w;
    let mut rng = fastrand::Rng::new();
    while !stop.load(Ordering::Relaxed) {
        let Some(got) = receive(&c, &url, VISIBILITY).await else {
            continue;
        };
        let mut to_delete = Vec::new();
        for m in got {
            let (body, handle) = (m.body.unwrap(), m.receipt_handle.unwrap());
            match rng.u8(0..10) {
                // Put back at once: received again later.
                0 | 1 => {
                    let changed = c
                        .change_message_visibility()
                        .queue_url(&url)
                        .receipt_handle(&handle)
                        .visibility_timeout(0)
                        .send()
                        .await;
                    if changed.is_ok() {
                        ledger(&l).visibility_changes += 1;
                    }
                }
                // Held: deleted after the next restart with this handle.
                2 => ledger(&l).held.push((body, handle)),
                _ => to_delete.push((body, handle)),
            }
        }
        if to_delete.is_empty() {
            continue;
        }
        ledger(&l)
            .delete_tried
            .extend(to_delete.iter().map(|(b, _)| b.clone()));
        let done = delete(&c, &url, &to_delete).await;
        ledger(&l).deleted.extend(done);
    }
}

async fn produce_fifo(w: Worker) {
    let Worker { c, url, l, stop } = w;
    let mut group = 0;
    while !stop.load(Ordering::Relaxed) {
        group = (group + 1) % GROUPS;
        let next = ledger(&l).fifo_sent[group] + 1;
        let body = format!("g{group}-{next}");
        let sent = c
            .send_message()
            .queue_url(&url)
            .message_body(&body)
            .message_group_id(format!("g{group}"))
            .message_deduplication_id(&body)
            .send()
            .await;
        if sent.is_ok() {
            ledger(&l).fifo_sent[group] = next;
        }
    }
}

/// Checks what a FIFO receive gave against the ledger: per group, contiguous numbers starting
/// after the last acknowledged delete and no later than one past the last tried.
fn check_fifo(l: &mut Ledger, got: &[(String, String)]) {
    let mut seen: HashMap<usize, u64> = HashMap::new();
    for (body, _) in got {
        let (g, n) = fifo_body(body);
        let ok = match seen.get(&g) {
            Some(last) => n == last + 1,
            None => n > l.fifo_deleted[g] && n <= l.fifo_delete_tried[g] + 1,
        };
        if !ok {
            l.problems.push(format!(
                "FIFO group {g}: got {n} after {:?} (deleted up to {}, tried up to {})",
                seen.get(&g),
                l.fifo_deleted[g],
                l.fifo_delete_tried[g]
            ));
        }
        seen.insert(g, n);
    }
}

async fn consume_fifo(w: Worker) {
    let Worker { c, url, l, stop } = w;
    while !stop.load(Ordering::Relaxed) {
        let Some(got) = receive(&c, &url, VISIBILITY).await else {
            continue;
        };
        let got: Vec<(String, String)> = got
            .into_iter()
            .map(|m| (m.body.unwrap(), m.receipt_handle.unwrap()))
            .collect();
        if got.is_empty() {
            continue;
        }
        {
            let mut l = ledger(&l);
            check_fifo(&mut l, &got);
            for (body, _) in &got {
                let (g, n) = fifo_body(body);
                l.fifo_delete_tried[g] = l.fifo_delete_tried[g].max(n);
            }
        }
        let done = delete(&c, &url, &got).await;
        let mut l = ledger(&l);
        for body in done {
            let (g, n) = fifo_body(&body);
            l.fifo_deleted[g] = l.fifo_deleted[g].max(n);
        }
    }
}

/// Deletes with the handles held across the restart: each is either refused (its receive was
/// not written before the crash) or deletes.
async fn try_held(c: &Client, url: &str, l: &Shared) {
    let held = std::mem::take(&mut ledger(l).held);
    for (body, handle) in held {
        ledger(l).delete_tried.insert(body.clone());
        let answer = c
            .delete_message()
            .queue_url(url)
            .receipt_handle(&handle)
            .send()
            .await;
        let mut l = ledger(l);
        match answer {
            Ok(_) => {
                l.stale_deleted += 1;
                l.deleted.insert(body);
            }
            Err(e) if e.code() == Some(&ErrorCode::ReceiptHandleIsInvalid) => l.stale_refused += 1,
            Err(e) => l.problems.push(format!("a held handle: {e}")),
        }
    }
}

/// Receives (and deletes) everything left, once hidden messages are visible again.
async fn drain(c: &Client, url: &str) -> Vec<String> {
    let mut left = Vec::new();
    for _ in 0..10_000 {
        let got = receive(c, url, 600).await.expect("the server answers");
        if got.is_empty() {
            let a = attributes(c, url).await;
            if a[&A::ApproximateNumberOfMessages] == "0"
                && a[&A::ApproximateNumberOfMessagesDelayed] == "0"
            {
                break;
            }
            continue;
        }
        let got: Vec<(String, String)> = got
            .into_iter()
            .map(|m| (m.body.unwrap(), m.receipt_handle.unwrap()))
            .collect();
        assert_eq!(delete(c, url, &got).await.len(), got.len());
        left.extend(got.into_iter().map(|(b, _)| b));
    }
    left
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_work_survives_twenty_kills() {
    let dir = TempDir::new("crash");
    let l: Shared = Arc::default();
    let mut rng = fastrand::Rng::new();
    let seed = rng.get_seed();
    let started = Instant::now();
    let (mut standard, mut fifo) = (String::new(), String::new());
    for round in 0..ROUNDS {
        let server = Server::start(&["--data-dir", dir.path(), "--lazy-sync", "0.2"]);
        let c = client(&server.endpoint());
        if round == 0 {
            let made = c.create_queue().queue_name("work").send().await.unwrap();
            standard = made.queue_url.unwrap();
            let made = c
                .create_queue()
                .queue_name("work.fifo")
                .attributes(A::FifoQueue, "true")
                .send()
                .await
                .unwrap();
            fifo = made.queue_url.unwrap();
        }
        try_held(&c, &standard, &l).await;
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = tokio::task::JoinSet::new();
        let on = |url: &str| Worker {
            c: c.clone(),
            url: url.to_owned(),
            l: Arc::clone(&l),
            stop: Arc::clone(&stop),
        };
        tasks.spawn(produce_standard(on(&standard), format!("r{round}")));
        tasks.spawn(consume_standard(on(&standard)));
        tasks.spawn(consume_standard(on(&standard)));
        tasks.spawn(produce_fifo(on(&fifo)));
        tasks.spawn(consume_fifo(on(&fifo)));
        tokio::time::sleep(Duration::from_millis(rng.u64(200..1200))).await;
        server.kill();
        stop.store(true, Ordering::Relaxed);
        // Requests to a dead server fail at once (or within the 2 s attempt timeout).
        while tasks.join_next().await.is_some() {}
    }
    let server = Server::start(&["--data-dir", dir.path()]);
    let c = client(&server.endpoint());
    try_held(&c, &standard, &l).await;
    // Messages received before the last kill are hidden for up to VISIBILITY seconds.
    tokio::time::sleep(Duration::from_secs(VISIBILITY as u64 + 1)).await;
    let left = drain(&c, &standard).await;
    let left_fifo = drain(&c, &fifo).await;
    let mut l = ledger(&l);
    let remaining: HashSet<&String> = left.iter().collect();
    let duplicates = left.len() - remaining.len();
    let lost: Vec<String> = l
        .sent
        .iter()
        .filter(|b| !remaining.contains(b) && !l.delete_tried.contains(*b))
        .cloned()
        .collect();
    let undone: Vec<String> = l
        .deleted
        .iter()
        .filter(|b| remaining.contains(b))
        .cloned()
        .collect();
    let fifo_left: Vec<(String, String)> = left_fifo
        .iter()
        .map(|b| (b.clone(), String::new()))
        .collect();
    // The rest of each FIFO group, in order, starting where the consumers left it.
    let mut problems = std::mem::take(&mut l.problems);
    check_fifo(&mut l, &fifo_left);
    problems.append(&mut l.problems);
    let mut last: HashMap<usize, u64> = HashMap::new();
    for b in &left_fifo {
        let (g, n) = fifo_body(b);
        last.insert(g, n);
    }
    for g in 0..GROUPS {
        let end = last.get(&g).copied().unwrap_or(l.fifo_delete_tried[g]);
        if end < l.fifo_sent[g] || end > l.fifo_sent[g] + 1 {
            problems.push(format!(
                "FIFO group {g} ends at {end}; {} sends were acknowledged",
                l.fifo_sent[g]
            ));
        }
    }
    println!(
        "{ROUNDS} kills in {:.1} s (seed {seed}): standard queue {} sends and {} deletes acknowledged, {} visibility changes, {} handles from before a kill refused and {} accepted, {} messages left; FIFO {:?} sends and {:?} deletes acknowledged per group, {} left; lost {}, deletes undone {}, duplicates {duplicates}, order problems {}",
        started.elapsed().as_secs_f64(),
        l.sent.len(),
        l.deleted.len(),
        l.visibility_changes,
        l.stale_refused,
        l.stale_deleted,
        left.len(),
        l.fifo_sent,
        l.fifo_deleted,
        left_fifo.len(),
        lost.len(),
        undone.len(),
        problems.len()
    );
    assert!(
        lost.is_empty(),
        "seed {seed}: acknowledged sends lost: {lost:?}"
    );
    assert!(
        undone.is_empty(),
        "seed {seed}: acknowledged deletes undone: {undone:?}"
    );
    assert_eq!(duplicates, 0, "seed {seed}");
    assert!(problems.is_empty(), "seed {seed}: {problems:?}");
    assert!(
        l.sent.len() > 1000 && l.fifo_sent.iter().all(|n| *n > 10),
        "seed {seed}: enough work"
    );
}
