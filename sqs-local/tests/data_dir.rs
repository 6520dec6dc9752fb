//! `--data-dir`: what a restart keeps, what a crash may take back (and what it may not), and the
//! directories the service refuses. The in-process service is restarted with `shutdown`; the
//! binary is stopped with SIGTERM or SIGKILL by its PID.
#![cfg(all(target_os = "linux", feature = "data-dir"))]

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sqs_client::types::{
    MessageAttributeValue, MessageSystemAttributeName as S, QueueAttributeName as A,
};
use sqs_client::{Client, ErrorCode};
use sqs_local::Config;
use support::{Server, TempDir, attributes, client, run_to_exit};

async fn receive(c: &Client, url: &str, visibility: i32) -> Vec<sqs_client::types::Message> {
    c.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(visibility)
        .message_attribute_names("All")
        .message_system_attribute_names(S::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

async fn create(c: &Client, name: &str, attributes: &[(A, &str)]) -> String {
    let mut request = c.create_queue().queue_name(name);
    for (a, v) in attributes {
        request = request.attributes(a.clone(), *v);
    }
    request.send().await.unwrap().queue_url.unwrap()
}

async fn send_fifo(
    c: &Client,
    url: &str,
    body: &str,
    dedup: &str,
) -> Result<sqs_client::operation::SendMessageOutput, sqs_client::Error> {
    c.send_message()
        .queue_url(url)
        .message_body(body)
        .message_group_id("g")
        .message_deduplication_id(dedup)
        .send()
        .await
}

/// Queues with their attributes, tags, permissions and redrive policy; messages with their
/// attributes, receive counts, timestamps, delays and visibility; FIFO sequence numbers and
/// deduplication; a move task half done: all there after a restart, and the task finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_a_queue_holds_survives_a_restart() {
    let dir = TempDir::new("restart");
    let local = sqs_local::start_with(Config::default().data_dir(&dir.0))
        .await
        .unwrap();
    let c = client(local.endpoint());
    let dlq = create(&c, "dlq", &[]).await;
    let dlq_arn = attributes(&c, &dlq).await[&A::QueueArn].clone();
    let policy = format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"5"}}"#);
    let jobs = create(
        &c,
        "jobs",
        &[(A::VisibilityTimeout, "40"), (A::RedrivePolicy, &policy)],
    )
    .await;
    c.tag_queue()
        .queue_url(&jobs)
        .tags("team", "core")
        .send()
        .await
        .unwrap();
    c.add_permission()
        .queue_url(&jobs)
        .label("readers")
        .aws_account_ids("111122223333")
        .actions("ReceiveMessage")
        .send()
        .await
        .unwrap();
    let before = attributes(&c, &jobs).await;
    let labelled = c
        .send_message()
        .queue_url(&jobs)
        .message_body("with attributes")
        .message_attributes(
            "kind",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("k")
                .build()
                .unwrap(),
        )
        .message_attributes(
            "raw",
            MessageAttributeValue::builder()
                .data_type("Binary")
                .binary_value(sqs_client::types::Blob::new(vec![0u8, 255, 7]))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.send_message()
        .queue_url(&jobs)
        .message_body("later")
        .delay_seconds(600)
        .send()
        .await
        .unwrap();
    let first = receive(&c, &jobs, 600).await;
    assert_eq!(first.len(), 1);
    let first = &first[0];
    let plain = c
        .send_message()
        .queue_url(&jobs)
        .message_body("plain")
        .send()
        .await
        .unwrap();
    let fifo = create(&c, "f.fifo", &[(A::FifoQueue, "true")]).await;
    let a1 = send_fifo(&c, &fifo, "a1", "d1").await.unwrap();
    let a2 = send_fifo(&c, &fifo, "a2", "d2").await.unwrap();
    // A move task at one message a second, three to move: it is still running at the restart.
    let back = create(&c, "back", &[]).await;
    let back_arn = attributes(&c, &back).await[&A::QueueArn].clone();
    for i in 0..3 {
        c.send_message()
            .queue_url(&dlq)
            .message_body(format!("dead {i}"))
            .send()
            .await
            .unwrap();
    }
    c.start_message_move_task()
        .source_arn(&dlq_arn)
        .destination_arn(&back_arn)
        .max_number_of_messages_per_second(1)
        .send()
        .await
        .unwrap();
    local.shutdown().await;

    let local = sqs_local::start_with(Config::default().data_dir(&dir.0))
        .await
        .unwrap();
    let c = client(local.endpoint());
    let names = c
        .list_queues()
        .send()
        .await
        .unwrap()
        .queue_urls
        .unwrap_or_default();
    assert_eq!(names.len(), 4, "{names:?}");
    let after = attributes(&c, &jobs).await;
    for a in [
        A::VisibilityTimeout,
        A::RedrivePolicy,
        A::Policy,
        A::CreatedTimestamp,
        A::QueueArn,
    ] {
        assert_eq!(after.get(&a), before.get(&a), "{a}");
    }
    assert!(after[&A::Policy].contains("readers"));
    let counts = [
        &after[&A::ApproximateNumberOfMessages],
        &after[&A::ApproximateNumberOfMessagesNotVisible],
        &after[&A::ApproximateNumberOfMessagesDelayed],
    ];
    assert_eq!(counts, ["1", "1", "1"], "visible, in flight, delayed");
    let tags = c
        .list_queue_tags()
        .queue_url(&jobs)
        .send()
        .await
        .unwrap()
        .tags;
    assert_eq!(tags.unwrap_or_default()["team"], "core");
    // The receive was saved: its handle still works, and the message comes back as it was.
    c.change_message_visibility()
        .queue_url(&jobs)
        .receipt_handle(first.receipt_handle.clone().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let again = receive(&c, &jobs, 600).await;
    let again: HashMap<_, _> = again
        .iter()
        .map(|m| (m.message_id.clone().unwrap(), m))
        .collect();
    assert_eq!(again.len(), 2, "the labelled and the plain message");
    let m = again[&labelled.message_id.unwrap()];
    let system = m.attributes.as_ref().unwrap();
    let was = first.attributes.as_ref().unwrap();
    assert_eq!(system[&S::ApproximateReceiveCount], "2");
    for a in [
        S::SentTimestamp,
        S::ApproximateFirstReceiveTimestamp,
        S::SenderId,
    ] {
        assert_eq!(system[&a], was[&a], "{a}");
    }
    assert_eq!(m.md5_of_message_attributes, first.md5_of_message_attributes);
    assert_eq!(m.message_attributes, first.message_attributes);
    assert_eq!(
        again[&plain.message_id.unwrap()].body.as_deref(),
        Some("plain")
    );
    // FIFO: a duplicate within the window gets the first answer; numbering carries on.
    let dup = send_fifo(&c, &fifo, "a1", "d1").await.unwrap();
    assert_eq!(
        (dup.message_id, dup.sequence_number),
        (a1.message_id, a1.sequence_number)
    );
    let a3 = send_fifo(&c, &fifo, "a3", "d3").await.unwrap();
    let seq = |s: &Option<String>| s.as_deref().unwrap().parse::<u128>().unwrap();
    assert!(seq(&a3.sequence_number) > seq(&a2.sequence_number));
    let order: Vec<_> = receive(&c, &fifo, 30)
        .await
        .into_iter()
        .map(|m| m.body.unwrap())
        .collect();
    assert_eq!(order, ["a1", "a2", "a3"]);
    // The move task carries on where it was and finishes.
    let deadline = Instant::now() + Duration::from_secs(15);
    let task = loop {
        let tasks = c
            .list_message_move_tasks()
            .source_arn(&dlq_arn)
            .send()
            .await
            .unwrap();
        let task = tasks.results.unwrap_or_default().remove(0);
        if task.status.as_deref() != Some("RUNNING") || Instant::now() > deadline {
            break task;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(task.status.as_deref(), Some("COMPLETED"));
    assert_eq!(task.approximate_number_of_messages_moved, 3);
    assert_eq!(
        attributes(&c, &back).await[&A::ApproximateNumberOfMessages],
        "3"
    );
    local.shutdown().await;
}

/// The binary on `dir`, writing receives only every hour, with a queue whose one message was
/// received (hidden for 600 s): the server, the queue and what the receive gave.
async fn received_once(dir: &TempDir) -> (Server, String, Vec<sqs_client::types::Message>) {
    let server = Server::start(&["--data-dir", dir.path(), "--lazy-sync", "3600"]);
    let c = client(&server.endpoint());
    let url = create(&c, "q", &[]).await;
    c.send_message()
        .queue_url(&url)
        .message_body("m")
        .send()
        .await
        .unwrap();
    let got = receive(&c, &url, 600).await;
    (server, url, got)
}

/// A receive the crash took back (it was not yet written): the message is visible again, with
/// the receive uncounted, and the handle from before the crash is refused rather than answered
/// with a success that deletes nothing.
#[tokio::test]
async fn a_receive_lost_in_a_crash_shows_the_message_again_and_refuses_its_handle() {
    let dir = TempDir::new("crash-receive");
    let (server, url, got) = received_once(&dir).await;
    server.kill();

    let server = Server::start(&["--data-dir", dir.path()]);
    let c = client(&server.endpoint());
    let stale = c
        .delete_message()
        .queue_url(&url)
        .receipt_handle(got[0].receipt_handle.clone().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        stale.code(),
        Some(&ErrorCode::ReceiptHandleIsInvalid),
        "{stale}"
    );
    assert!(stale.message().contains("restarted"), "{stale}");
    let again = receive(&c, &url, 600).await;
    assert_eq!(again.len(), 1, "the message is there, visible");
    assert_eq!(
        again[0].attributes.as_ref().unwrap()[&S::ApproximateReceiveCount],
        "1"
    );
    c.delete_message()
        .queue_url(&url)
        .receipt_handle(again[0].receipt_handle.clone().unwrap())
        .send()
        .await
        .unwrap();
    server.kill();
    let server = Server::start(&["--data-dir", dir.path()]);
    let c = client(&server.endpoint());
    assert_eq!(
        attributes(&c, &url).await[&A::ApproximateNumberOfMessagesNotVisible],
        "0"
    );
    assert!(
        receive(&c, &url, 600).await.is_empty(),
        "an acknowledged delete stays done"
    );
}

/// SIGTERM writes what was only to be written lazily, releases the directory and exits 0.
#[tokio::test]
async fn sigterm_writes_what_is_left_before_exiting() {
    let dir = TempDir::new("sigterm");
    let (server, url, got) = received_once(&dir).await;
    let status = server.terminate();
    assert!(status.success(), "{status}");

    let server = Server::start(&["--data-dir", dir.path()]);
    let c = client(&server.endpoint());
    assert!(
        receive(&c, &url, 600).await.is_empty(),
        "the receive was written"
    );
    c.delete_message()
        .queue_url(&url)
        .receipt_handle(got[0].receipt_handle.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        attributes(&c, &url).await[&A::ApproximateNumberOfMessagesNotVisible],
        "0"
    );
}

/// Writes a data directory with one queue, through a clean stop.
async fn written(dir: &TempDir) {
    let local = sqs_local::start_with(Config::default().data_dir(&dir.0))
        .await
        .unwrap();
    let c = client(local.endpoint());
    let url = create(&c, "q", &[]).await;
    for i in 0..200 {
        c.send_message()
            .queue_url(&url)
            .message_body(format!("{i:0>500}"))
            .send()
            .await
            .unwrap();
    }
    local.shutdown().await;
}

async fn refused(dir: &TempDir) -> String {
    let e = sqs_local::start_with(Config::default().data_dir(&dir.0))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidData, "{e}");
    e.to_string()
}

/// Rewrites 4 bytes of the database file at `offset` (big-endian, as SQLite's header is).
fn patch(dir: &TempDir, offset: usize, value: u32) {
    let file = dir.0.join("sqs-local.db");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[offset..offset + 4].copy_from_slice(&value.to_be_bytes());
    std::fs::write(&file, bytes).unwrap();
}

/// A directory that holds something else, a file that is not a database, one written by
/// another program, a damaged one, and one written by a newer version: each refused at start
/// with the file and the reason, nothing reset.
#[tokio::test]
async fn directories_that_are_not_ours_or_are_damaged_are_refused_with_the_reason() {
    let foreign = TempDir::new("foreign");
    std::fs::create_dir_all(&foreign.0).unwrap();
    std::fs::write(foreign.0.join("notes.txt"), "mine").unwrap();
    let why = refused(&foreign).await;
    assert!(
        why.contains("notes.txt") && why.contains("not an sqs-local data directory"),
        "{why}"
    );
    assert_eq!(
        std::fs::read_to_string(foreign.0.join("notes.txt")).unwrap(),
        "mine"
    );

    let garbage = TempDir::new("garbage");
    std::fs::create_dir_all(&garbage.0).unwrap();
    let noise: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(garbage.0.join("sqs-local.db"), &noise).unwrap();
    let why = refused(&garbage).await;
    assert!(
        why.contains("sqs-local.db") && why.contains("damaged or was not written by sqs-local"),
        "{why}"
    );
    assert_eq!(
        std::fs::read(garbage.0.join("sqs-local.db")).unwrap(),
        noise,
        "left as it was"
    );

    // SQLite's header: the application id at byte 68, the user version (our format) at 60.
    let other = TempDir::new("other-app");
    written(&other).await;
    patch(&other, 68, 0x1234_5678);
    let why = refused(&other).await;
    assert!(
        why.contains("not written by sqs-local") && why.contains("0x12345678"),
        "{why}"
    );

    let newer = TempDir::new("newer");
    written(&newer).await;
    patch(&newer, 60, 2);
    let why = refused(&newer).await;
    assert!(
        why.contains("newer sqs-local (format 2; this one reads format 1"),
        "{why}"
    );

    let damaged = TempDir::new("damaged");
    written(&damaged).await;
    let file = damaged.0.join("sqs-local.db");
    let mut bytes = std::fs::read(&file).unwrap();
    assert!(bytes.len() > 8 * 4096, "the messages fill several pages");
    bytes[4 * 4096..5 * 4096].fill(0xA5);
    std::fs::write(&file, bytes).unwrap();
    let why = refused(&damaged).await;
    assert!(
        why.contains("sqs-local.db") && why.contains("damaged"),
        "{why}"
    );
}

/// One directory, one process: a second service on it is refused while the first runs (in the
/// same process or another), and can start once the first has stopped.
#[tokio::test]
async fn a_directory_in_use_is_refused() {
    let dir = TempDir::new("locked");
    let first = sqs_local::start_with(Config::default().data_dir(&dir.0))
        .await
        .unwrap();
    let why = refused(&dir).await;
    assert!(why.contains("in use by another sqs-local process"), "{why}");
    let (status, stderr) = run_to_exit(&["--data-dir", dir.path()]);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("in use by another sqs-local process"),
        "{stderr}"
    );
    first.shutdown().await;
    let second = sqs_local::start_with(Config::default().data_dir(&dir.0))
        .await
        .unwrap();
    second.shutdown().await;
}

/// A full disk (here a file-size limit on the server): the send whose write fails gets a
/// 500-class error, so does every durable request after it (refused before it changes
/// anything), reads go on, and every send acknowledged before is there after a restart.
#[tokio::test]
async fn a_full_disk_refuses_sends_and_loses_no_acknowledged_one() {
    let dir = TempDir::new("full");
    let limit = "--fsize=262144";
    let server = Server::start_under(&["prlimit", limit, "--"], &["--data-dir", dir.path()]);
    let c = client(&server.endpoint());
    let url = create(&c, "q", &[]).await;
    let body = "x".repeat(4096);
    let mut acknowledged = Vec::new();
    let mut failure = None;
    for _ in 0..1000 {
        match c
            .send_message()
            .queue_url(&url)
            .message_body(&body)
            .send()
            .await
        {
            Ok(sent) => acknowledged.push(sent.message_id.unwrap()),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let failure = failure.expect("the limit is reached within 1,000 sends of 4 KiB");
    assert_eq!(failure.http_status(), Some(500), "{failure}");
    assert!(failure.message().contains("cannot be written"), "{failure}");
    assert!(failure.is_retryable(), "clients retry it");
    let refused = c
        .send_message()
        .queue_url(&url)
        .message_body("more")
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.http_status(), Some(500), "{refused}");
    attributes(&c, &url).await;
    server.kill();

    let server = Server::start(&["--data-dir", dir.path()]);
    let c = client(&server.endpoint());
    let mut stored = std::collections::HashSet::new();
    for _ in 0..200 {
        let got = receive(&c, &url, 600).await;
        if got.is_empty() {
            break;
        }
        stored.extend(got.into_iter().filter_map(|m| m.message_id));
    }
    let lost = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .count();
    println!(
        "{} sends acknowledged before the disk was full, {} stored after the restart, {lost} lost",
        acknowledged.len(),
        stored.len()
    );
    assert_eq!(lost, 0);
    assert!(
        stored.len() <= acknowledged.len() + 1,
        "at most the failed send more"
    );
}

/// Bytes in the files of a data directory.
fn dir_bytes(dir: &TempDir) -> u64 {
    std::fs::read_dir(&dir.0)
        .unwrap()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// Space freed by deletes goes back to the file system once the service is quiet, and what is
/// left is intact.
#[tokio::test]
async fn space_freed_by_deletes_is_given_back() {
    let dir = TempDir::new("compact");
    let config = Config::default()
        .data_dir(&dir.0)
        .lazy_sync(Duration::from_millis(50));
    let local = sqs_local::start_with(config).await.unwrap();
    let c = client(local.endpoint());
    let url = create(&c, "q", &[]).await;
    let body = "x".repeat(8000);
    for _ in 0..250 {
        let entries = (0..10)
            .map(|i| {
                sqs_client::types::SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(&body)
                    .build()
                    .unwrap()
            })
            .collect();
        c.send_message_batch()
            .queue_url(&url)
            .set_entries(Some(entries))
            .send()
            .await
            .unwrap();
    }
    let full = dir_bytes(&dir);
    assert!(full > 20_000_000, "{full} bytes for 20 MB of bodies");
    c.purge_queue().queue_url(&url).send().await.unwrap();
    c.send_message()
        .queue_url(&url)
        .message_body("kept")
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while dir_bytes(&dir) > full / 4 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = dir_bytes(&dir);
    println!("{full} bytes with 2,500 messages of 8 kB, {after} once they were purged");
    assert!(after <= full / 4, "{after} of {full} bytes left");
    local.shutdown().await;
    let local = sqs_local::start_with(Config::default().data_dir(&dir.0))
        .await
        .unwrap();
    let c = client(local.endpoint());
    let left: Vec<_> = receive(&c, &url, 30)
        .await
        .into_iter()
        .map(|m| m.body.unwrap())
        .collect();
    assert_eq!(left, ["kept"]);
    local.shutdown().await;
}
