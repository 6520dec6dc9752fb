//! Unit tests of the batcher's parts.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::Client;

use super::batcher::*;
use super::buffer::*;
use super::config::*;
use super::entry::*;
use super::planner::*;
use super::sender::*;

/// A batcher whose client sends to a port nothing listens on, in one attempt.
fn batcher_to_nowhere(config: BatchConfig) -> Batcher {
    let client = Client::builder()
        .endpoint_url("http://127.0.0.1:1")
        .region("us-east-1")
        .credentials_provider(crate::Credentials::new("k", "s"))
        .retry_config(crate::RetryConfig::default().max_attempts(1))
        .build()
        .unwrap();
    Batcher::with_config(client, config)
}

fn delete(queue_url: &str) -> Entry {
    let (tx, _rx) = oneshot::channel();
    let now = Instant::now();
    Entry {
        payload: Payload::Delete(Box::new(Receipt {
            queue_url: queue_url.to_owned(),
            receipt_handle: "rh".to_owned(),
        })),
        reply: Reply::Unit(tx),
        bytes: 0,
        attempts: 0,
        not_before: now,
        queued: now,
        last_error: None,
        spent: 0,
    }
}

#[tokio::test]
async fn a_fifo_lane_is_released_when_its_batch_task_panics() {
    let b = batcher_to_nowhere(BatchConfig::default().linger(Duration::from_secs(600)));
    let fifo = "http://127.0.0.1:1/000000000000/q.fifo";
    // A batch of the FIFO queue in flight, and an entry held back behind it.
    let n = {
        let mut state = b.shared.lock();
        let (n, _) = state.lanes.push_back(delete(fifo));
        state.buffered = 1;
        state.running = 1;
        state.lanes.get_mut(n).unwrap().in_flight = 1;
        n
    };
    let shared = Arc::clone(&b.shared);
    let task = tokio::spawn(async move {
        let (next, _handed) = oneshot::channel();
        let _end = BatchEnd {
            shared,
            lane: n,
            op: "DeleteMessageBatch",
            retry: Vec::new(),
            next: Some(next),
        };
        panic!("a batch task failing (expected by this test)");
    });
    assert!(task.await.unwrap_err().is_panic());
    let mut state = b.shared.lock();
    assert_eq!(state.running, 0);
    let lane = state.lanes.get_mut(n).unwrap();
    assert!(!lane.held(), "the lane takes batches again");
    assert_eq!(
        lane.entries.len(),
        1,
        "the held entry waits for its linger time"
    );
    assert!(state.armed.is_some(), "and the timer is set for it");
}

#[tokio::test]
async fn a_lane_is_due_as_soon_as_its_bytes_or_entries_fill_a_batch() {
    let b = batcher_to_nowhere(
        BatchConfig::default()
            .max_bytes(1_000)
            .max_entries(3)
            .linger(Duration::from_secs(600)),
    );
    let queue = "http://127.0.0.1:1/000000000000/q";
    let sized = |bytes| Entry {
        bytes,
        ..delete(queue)
    };
    let shared = &b.shared;
    let mut state = shared.lock();
    let push = |state: &mut State, e: Entry| {
        state.buffered += 1;
        state.lanes.push_back(e).0
    };
    // 800 bytes in two entries: not full, not lingered.
    push(&mut state, sized(400));
    let n = push(&mut state, sized(400));
    let take = |state: &mut State| shared.take_due(state, Some(n), Instant::now());
    assert!(take(&mut state).is_none());
    // A third entry of 400 would pass 1,000 bytes: the first two go now.
    push(&mut state, sized(400));
    let due = take(&mut state).expect("full by bytes");
    assert_eq!((due.batch.len(), due.bytes, due.reason), (2, 800, "size"));
    let lane = state.lanes.get_mut(n).unwrap();
    assert_eq!((lane.entries.len(), lane.bytes), (1, 400));
    // Three small entries fill a batch by count.
    push(&mut state, sized(10));
    assert!(take(&mut state).is_none());
    push(&mut state, sized(10));
    let due = take(&mut state).expect("full by count");
    assert_eq!((due.batch.len(), due.bytes, due.reason), (3, 420, "size"));
    assert_eq!(state.lanes.get_mut(n).unwrap().bytes, 0);
}

#[tokio::test]
async fn idle_senders_are_kept_up_to_a_bound_and_let_go_when_closing_ends() {
    let b = batcher_to_nowhere(BatchConfig::default());
    // Senders whose batches ended offer to take the next one.
    let mut waiting: Vec<_> = (0..=MAX_IDLE_SENDERS)
        .map(|_| {
            let (next, handed) = oneshot::channel();
            b.shared
                .finished(0, "DeleteMessageBatch", Vec::new(), Some(next));
            handed
        })
        .collect();
    let mut over = waiting.pop().unwrap();
    assert!(
        matches!(over.try_recv(), Err(oneshot::error::TryRecvError::Closed)),
        "the sender over the bound ends"
    );
    assert_eq!(b.shared.lock().idle_senders.len(), MAX_IDLE_SENDERS);
    assert!(b.close().await.is_empty());
    for mut handed in waiting {
        assert!(
            matches!(handed.try_recv(), Err(oneshot::error::TryRecvError::Closed)),
            "an idle sender ends when closing is over"
        );
    }
}

#[tokio::test]
async fn a_batch_handed_to_a_sender_task_that_is_gone_is_sent_by_a_new_one() {
    let b = batcher_to_nowhere(BatchConfig::default().linger(Duration::from_secs(600)));
    // A sender task that ended (its runtime shut down, or it panicked) while waiting.
    let (gone, handed) = oneshot::channel();
    drop(handed);
    b.shared.lock().idle_senders.push(gone);
    let call = b.delete_message("http://127.0.0.1:1/000000000000/q", "rh");
    let flush = async {
        tokio::task::yield_now().await;
        b.flush().await;
    };
    let (result, ()) =
        tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(call, flush) })
            .await
            .expect("the batch was sent and answered, not left with the sender that is gone");
    // Nothing listens on port 1: the one attempt fails to connect.
    let err = result.unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Transport, "{err}");
    let state = b.shared.lock();
    assert!(
        state.idle() && state.idle_senders.len() == 1,
        "the new sender waits"
    );
}

#[tokio::test]
async fn a_caller_whose_batch_ends_without_an_answer_learns_it_may_have_been_sent() {
    let (tx, rx) = oneshot::channel::<Answer<()>>();
    drop(tx);
    let err = outcome(rx, "DeleteMessage").await.unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Closed);
    assert!(
        err.message().contains("may or may not have been sent"),
        "{err}"
    );
}

#[test]
fn lanes_of_queues_no_longer_used_are_given_up_and_their_slots_reused() {
    let mut lanes = Lanes::default();
    let hot = "http://127.0.0.1:1/000000000000/hot";
    // A batch of the hot queue stays in flight the whole time.
    lanes.push_back(delete(hot));
    let h = lanes.find(Kind::Delete, hot);
    let lane = lanes.get_mut(h).unwrap();
    lane.entries.clear();
    lane.in_flight = 1;
    for i in 0..100 {
        let url = format!("http://127.0.0.1:1/000000000000/short-lived-{i}");
        lanes.push_back(delete(&url));
        let n = lanes.find(Kind::Delete, &url);
        // Not given up while it has entries queued, nor while its batch is in flight.
        lanes.release_if_idle(n);
        let lane = lanes.get_mut(n).unwrap();
        assert_eq!(&*lane.key.queue_url, url);
        lane.entries.clear();
        lane.in_flight = 1;
        lanes.release_if_idle(n);
        assert!(lanes.get_mut(n).is_some());
        lanes.get_mut(n).unwrap().in_flight = 0;
        lanes.release_if_idle(n);
        assert!(lanes.get_mut(n).is_none());
    }
    // One slot for the hot queue and one reused by the hundred others, in turn.
    assert_eq!(lanes.lanes.len(), 2);
    assert_eq!(lanes.by_url.len(), 1);
    assert_eq!(lanes.find(Kind::Delete, hot), h);
    assert_eq!(lanes.get_mut(h).unwrap().in_flight, 1);
    // A queue seen before gets a lane of its own again.
    let again = "http://127.0.0.1:1/000000000000/short-lived-7";
    lanes.push_back(delete(again));
    let n = lanes.find(Kind::Delete, again);
    assert_ne!(n, h);
    assert_eq!(lanes.get_mut(n).unwrap().entries.len(), 1);
    assert_eq!(&*lanes.get_mut(n).unwrap().key.queue_url, again);
}

#[tokio::test]
async fn a_busy_lane_keeps_to_its_share_of_the_batches_in_flight() {
    let b = batcher_to_nowhere(
        BatchConfig::default()
            .max_in_flight(8)
            .max_entries(1)
            .linger(Duration::from_secs(600)),
    );
    let (busy, other) = (
        "http://127.0.0.1:1/000000000000/busy",
        "http://127.0.0.1:1/000000000000/other",
    );
    let shared = &b.shared;
    let mut state = shared.lock();
    let start_all = |state: &mut State, url: &str, entries: usize| {
        let mut started = 0;
        for _ in 0..entries {
            state.buffered += 1;
            state.lanes.push_back(delete(url));
        }
        while shared.take_due(state, None, Instant::now()).is_some() {
            started += 1;
        }
        started
    };
    // Alone, the busy queue may use the whole total.
    assert_eq!(start_all(&mut state, busy, 20), 8);
    assert_eq!(state.running, 8);
    // A second queue with work: the busy one is over its share (4 of 8) and starts nothing more;
    // each batch of it that ends makes room for the other queue, up to its share.
    assert_eq!(start_all(&mut state, other, 20), 0, "the total is in use");
    let n_busy = state.lanes.find(Kind::Delete, busy);
    let n_other = state.lanes.find(Kind::Delete, other);
    let now = Instant::now();
    for ended in 1..=4 {
        state.running -= 1;
        state.lanes.get_mut(n_busy).unwrap().in_flight -= 1;
        let due = shared
            .take_due(&mut state, None, now)
            .expect("room for one");
        assert_eq!(
            due.lane, n_other,
            "batch {ended} that ended goes to the other queue"
        );
    }
    assert_eq!(state.lanes.get_mut(n_other).unwrap().in_flight, 4);
    state.running -= 1;
    state.lanes.get_mut(n_busy).unwrap().in_flight -= 1;
    assert_eq!(
        shared.take_due(&mut state, None, now).map(|d| d.lane),
        Some(n_busy),
        "at its share, the other queue leaves the room to the busy one"
    );
}

#[test]
fn a_batch_is_due_at_its_linger_time_less_the_timer_resolution_never_later() {
    let config = BatchConfig::default().linger(Duration::from_millis(5));
    let queued = Instant::now();
    assert_eq!(
        config.lingered_at(queued),
        queued + Duration::from_millis(4)
    );
    let none = BatchConfig::default().linger(Duration::ZERO);
    assert_eq!(none.lingered_at(queued), queued);
}
