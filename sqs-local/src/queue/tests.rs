//! Unit tests of `queue`.

use super::*;

fn message(body: &str, group: Option<&str>) -> NewMessage {
    NewMessage {
        body: body.into(),
        attributes: HashMap::new(),
        trace_header: None,
        delay: None,
        group: group.map(str::to_owned),
        dedup_id: Some(body.into()),
        sender_id: "s".into(),
    }
}

#[test]
fn a_fifo_group_waits_while_one_of_its_messages_is_in_flight() {
    let mut q = Queue::new(
        1,
        "q.fifo".into(),
        "u".into(),
        "a".into(),
        Settings::new(true),
        0,
    );
    for (body, group) in [("a1", "a"), ("b1", "b"), ("a2", "a")] {
        q.send(message(body, Some(group)), 0);
    }
    let first = q.receivable(1, 0);
    q.mark_received(first[0], 30, 0);
    // a1 is in flight: a2 must wait, b1 may go.
    let next: Vec<_> = q
        .receivable(10, 1)
        .iter()
        .map(|k| q.messages[k].body.clone())
        .collect();
    assert_eq!(next, ["b1"]);
    // After a1's visibility ends, a1 comes back before a2.
    let later: Vec<_> = q
        .receivable(10, 31_000)
        .iter()
        .map(|k| q.messages[k].body.clone())
        .collect();
    assert_eq!(later, ["a1", "b1", "a2"]);
}

#[test]
fn a_fifo_duplicate_within_five_minutes_is_dropped() {
    let mut q = Queue::new(
        1,
        "q.fifo".into(),
        "u".into(),
        "a".into(),
        Settings::new(true),
        0,
    );
    let first = q.send(message("x", Some("g")), 0);
    let again = q.send(message("x", Some("g")), 1_000);
    assert_eq!(first.message_id, again.message_id);
    assert_eq!(q.messages.len(), 1);
    q.expire(DEDUP_WINDOW_MS + 1);
    let later = q.send(message("x", Some("g")), DEDUP_WINDOW_MS + 1);
    assert_ne!(later.message_id, first.message_id);
    assert!(later.sequence > first.sequence);
}

#[test]
fn handles_name_their_queue_and_stale_ones_do_not_delete() {
    let mut q = Queue::new(
        1,
        "q".into(),
        "u".into(),
        "a".into(),
        Settings::new(false),
        0,
    );
    q.send(message("x", None), 0);
    let key = q.receivable(1, 0)[0];
    let old = q.mark_received(key, 0, 0).unwrap().receipt.clone().unwrap();
    let new = q
        .mark_received(key, 30, 1)
        .unwrap()
        .receipt
        .clone()
        .unwrap();
    assert_ne!(old, new);
    q.delete(&old).unwrap();
    assert_eq!(q.messages.len(), 1, "a stale handle deletes nothing");
    let other = Queue::new(
        1,
        "other".into(),
        "u".into(),
        "a".into(),
        Settings::new(false),
        0,
    );
    assert!(other.clone_handle_check(&new).is_err());
    assert!(q.delete("garbage").is_err());
    q.delete(&new).unwrap();
    assert!(q.messages.is_empty());
}

impl Queue {
    fn clone_handle_check(&self, handle: &str) -> Result<(), ApiError> {
        check_handle(&self.name, handle).map(drop)
    }
}

#[test]
fn retention_drops_old_messages() {
    let mut s = Settings::new(false);
    s.retention = 60;
    let mut q = Queue::new(1, "q".into(), "u".into(), "a".into(), s, 0);
    q.send(message("old", None), 0);
    q.send(message("new", None), 50_000);
    q.expire(61_000);
    assert_eq!(q.messages.len(), 1);
    assert_eq!(q.messages.values().next().unwrap().body, "new");
}

/// Receipt handles come from the network: a bounded fuzz run of the reader with mutations of a
/// real handle. Only a well-formed handle of this queue passes; nothing panics; the error echoes
/// at most 128 characters of what was sent.
#[test]
fn receipt_handles_from_the_network_are_read_safely() {
    let good = receipt_handle("jobs", 7);
    assert!(check_handle("jobs", &good).is_ok());
    assert!(check_handle("other", &good).is_err());
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let pieces = [
        ".",
        "..",
        "\0",
        "é",
        "😀",
        "-1",
        "18446744073709551616",
        "%",
        "\u{FFFF}",
    ];
    for _ in 0..20_000 {
        let mut handle: Vec<char> = good.chars().collect();
        for _ in 0..rng.usize(1..6) {
            match rng.u8(0..4) {
                0 if !handle.is_empty() => {
                    let at = rng.usize(..handle.len());
                    handle.remove(at);
                }
                1 => {
                    let at = rng.usize(..=handle.len());
                    let piece = pieces[rng.usize(..pieces.len())];
                    handle.splice(at..at, piece.chars());
                }
                2 => handle.truncate(rng.usize(..=handle.len())),
                _ => {
                    let run = handle.clone();
                    handle.extend(run.iter().take(rng.usize(..200)));
                }
            }
        }
        let handle: String = handle.into_iter().collect();
        match check_handle("jobs", &handle) {
            Ok(_) => {
                let parts: Vec<&str> = handle.split('.').collect();
                assert_eq!(parts.len(), 3, "seed {seed}: {handle:?}");
                assert_eq!(parts[2].len(), 32, "seed {seed}: {handle:?}");
            }
            Err(e) => assert!(e.message.len() < 128 * 4 + 80, "seed {seed}"),
        }
    }
}
