//! Unit tests of the service state.

use super::queues::*;
use super::state::*;

#[test]
fn pages_follow_on_from_their_token() {
    let names = || ["a", "b", "c"].into_iter().map(str::to_owned);
    let (first, token) = paginate(names(), Some(2), None).unwrap();
    assert_eq!(first, ["a", "b"]);
    let (second, none) = paginate(names(), Some(2), token.as_deref()).unwrap();
    assert_eq!(second, ["c"]);
    assert_eq!(none, None);
    let (all, none) = paginate(names(), None, None).unwrap();
    assert_eq!((all.len(), none), (3, None));
    assert!(paginate(names(), Some(0), None).is_err());
    assert!(paginate(names(), Some(1), Some("zz")).is_err());
}

#[test]
fn queue_urls_name_their_queue() {
    let s = Service::new(
        "http://127.0.0.1:1".into(),
        "us-east-1".into(),
        "000000000000".into(),
    );
    assert_eq!(
        s.name_from_url("http://localhost:9/000000000000/q1")
            .unwrap(),
        "q1"
    );
    assert_eq!(s.name_from_url("q2").unwrap(), "q2");
    assert!(s.name_from_url("http://h/111111111111/q").is_err());
    assert!(s.name_from_url("http://h/").is_err());
}

/// A message sent while a long poll is between looking at the queue and starting to wait wakes
/// it: many rounds, the send at a slightly different moment each time, and no receive waits out
/// its whole wait time. (The window is a few instructions wide: before the fix, one run of
/// 20,000 rounds missed a wake-up at round 6,373.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_is_woken_by_a_send_racing_its_start() {
    use sqs_model::operation::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let s = Arc::new(Service::new(
        "http://127.0.0.1:1".into(),
        "us-east-1".into(),
        "000000000000".into(),
    ));
    let url = s
        .create_queue(
            CreateQueueInput::builder()
                .queue_name("race")
                .build()
                .unwrap(),
        )
        .unwrap()
        .queue_url
        .unwrap();
    let mut slowest = Duration::ZERO;
    for round in 0..10_000u32 {
        let receiver = Arc::clone(&s);
        let receive_url = url.clone();
        let receive = tokio::spawn(async move {
            let start = Instant::now();
            let input = ReceiveMessageInput::builder()
                .queue_url(receive_url)
                .wait_time_seconds(2)
                .build()
                .unwrap();
            let got = receiver.receive_message(input).await.unwrap();
            (got.messages.map_or(0, |m| m.len()), start.elapsed())
        });
        // Spin a varying while, so the send lands at different points of the receive's start.
        for _ in 0..(round % 400) * 3 {
            std::hint::spin_loop();
        }
        let body = format!("m{round}");
        s.send_message(
            SendMessageInput::builder()
                .queue_url(&url)
                .message_body(body)
                .build()
                .unwrap(),
        )
        .unwrap();
        let (count, took) = tokio::time::timeout(Duration::from_secs(5), receive)
            .await
            .expect("the receive ends within its wait time")
            .unwrap();
        assert_eq!(count, 1, "round {round}");
        assert!(
            took < Duration::from_millis(1500),
            "round {round}: the receive waited {took:?} for a message already sent"
        );
        slowest = slowest.max(took);
    }
    println!("slowest receive over 10,000 rounds: {slowest:?}");
}
