//! Reading a data directory back. Queues, deduplication entries and move tasks are read on the
//! connection that will write; the messages, nearly all of the data, on two connections at
//! once, each a half of the row ids: the time goes to copying rows out and to the kernel
//! handing over fresh memory for them, which two cores do in about half the time of one.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use sqs_model::types::QueueAttributeName as A;

use crate::queue::{DedupEntry, DedupKey, QueueRow, StoredMessage};
use crate::service::MoveTask;

use super::db::KEY_BITS;

/// Everything a data directory holds, read back.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub(crate) queues: Vec<LoadedQueue>,
    pub(crate) tasks: Vec<MoveTask>,
}

/// One queue as stored.
#[derive(Debug)]
pub(crate) struct LoadedQueue {
    pub(crate) row: QueueRow,
    pub(crate) messages: BTreeMap<u64, StoredMessage>,
    pub(crate) dedup: HashMap<DedupKey, DedupEntry>,
}

fn sql(e: rusqlite::Error) -> String {
    e.to_string()
}

/// A text column that must hold a number (u128 does not fit SQLite's integers).
fn big(text: Option<String>, what: &str) -> Result<Option<u128>, String> {
    text.map(|t| {
        t.parse::<u128>()
            .map_err(|_| format!("{what} {t:?} is not a number"))
    })
    .transpose()
}

/// Reads everything back. Message rows of no queue cannot be written (a queue and its rows go
/// in one transaction); they would be ignored.
pub(crate) fn load(conn: &Connection, path: &Path) -> Result<Loaded, String> {
    let mut out = Loaded {
        queues: queues(conn)?,
        tasks: tasks(conn)?,
    };
    let index: HashMap<u64, usize> = out
        .queues
        .iter()
        .enumerate()
        .map(|(at, q)| (q.row.id, at))
        .collect();
    dedup(conn, &index, &mut out.queues)?;
    // Each queue's messages are one range of row ids; the ranges are cut in two halves of
    // about as many ids, one read here and one on a connection of its own.
    let mut ranges = Vec::new();
    for q in &out.queues {
        let first = q.row.id << KEY_BITS;
        let bounds: (Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT min(row), max(row) FROM messages WHERE row BETWEEN ?1 AND ?2",
                [first as i64, (first + ((1 << KEY_BITS) - 1)) as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sql)?;
        if let (Some(lo), Some(hi)) = bounds {
            ranges.push((lo, hi));
        }
    }
    let (low, high) = halves(&ranges);
    let (low, high) = std::thread::scope(|s| {
        let other = s.spawn(|| {
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let reader = Connection::open_with_flags(path, flags).map_err(sql)?;
            messages(&reader, &low)
        });
        let here = messages(conn, &high);
        let there = other
            .join()
            .unwrap_or_else(|_| Err("reading messages failed".into()));
        (there, here)
    });
    let mut by_queue: Vec<Vec<(u64, StoredMessage)>> = vec![Vec::new(); out.queues.len()];
    for (row, m) in low?.into_iter().chain(high?) {
        if let Some(&at) = index.get(&(row >> KEY_BITS)) {
            by_queue[at].push((row & ((1 << KEY_BITS) - 1), m));
        }
    }
    for (q, messages) in out.queues.iter_mut().zip(by_queue) {
        // In key order: the map is built in one pass, its nodes full.
        q.messages = messages.into_iter().collect();
    }
    Ok(out)
}

/// Row ids from the first to the last, both included.
type Ranges = Vec<(i64, i64)>;

/// Cuts ranges of row ids (in order) into two lists that hold about as many ids each.
fn halves(ranges: &[(i64, i64)]) -> (Ranges, Ranges) {
    let total: i64 = ranges.iter().map(|(lo, hi)| hi - lo + 1).sum();
    let mut left = total / 2;
    let (mut low, mut high) = (Vec::new(), Vec::new());
    for &(lo, hi) in ranges {
        let span = hi - lo + 1;
        if left >= span {
            low.push((lo, hi));
            left -= span;
        } else if left > 0 {
            low.push((lo, lo + left - 1));
            high.push((lo + left, hi));
            left = 0;
        } else {
            high.push((lo, hi));
        }
    }
    (low, high)
}

fn queues(conn: &Connection) -> Result<Vec<LoadedQueue>, String> {
    let mut out = Vec::new();
    let mut stmt = conn
        .prepare("SELECT id, name, created_s, modified_s, next_sequence, last_purge_ms, attributes, tags FROM queues ORDER BY id")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let id: u64 = r.get(0).map_err(sql)?;
        let name: String = r.get(1).map_err(sql)?;
        let what = |field: &str, e: &dyn std::fmt::Display| format!("queue {name}: {field}: {e}");
        let attributes: String = r.get(6).map_err(sql)?;
        let attributes: HashMap<String, String> =
            serde_json::from_str(&attributes).map_err(|e| what("attributes", &e))?;
        let tags: String = r.get(7).map_err(sql)?;
        let tags = serde_json::from_str(&tags).map_err(|e| what("tags", &e))?;
        let next_sequence = big(r.get(4).map_err(sql)?, "next_sequence")?.unwrap_or_default();
        out.push(LoadedQueue {
            row: QueueRow {
                id,
                created_s: r.get(2).map_err(sql)?,
                modified_s: r.get(3).map_err(sql)?,
                next_sequence,
                last_purge_ms: r.get(5).map_err(sql)?,
                attributes: attributes
                    .into_iter()
                    .map(|(k, v)| (A::from(k), v))
                    .collect(),
                tags,
                name,
            },
            messages: BTreeMap::new(),
            dedup: HashMap::new(),
        });
    }
    Ok(out)
}

/// The messages whose row ids fall in these ranges, in row order.
fn messages(conn: &Connection, ranges: &[(i64, i64)]) -> Result<Vec<(u64, StoredMessage)>, String> {
    let mut out = Vec::new();
    let mut stmt = conn
        .prepare("SELECT row, id, body, body_md5, attributes, trace_header, sent_ms, visible_at_ms, receive_count, first_receive_ms, receipt, group_id, dedup_id, sequence, sender_id, dead_letter_source FROM messages WHERE row BETWEEN ?1 AND ?2 ORDER BY row")
        .map_err(sql)?;
    for &(lo, hi) in ranges {
        let mut rows = stmt.query([lo, hi]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let row: u64 = r.get(0).map_err(sql)?;
            let attributes: Option<String> = r.get(4).map_err(sql)?;
            let attributes = match attributes {
                Some(a) => serde_json::from_str(&a)
                    .map_err(|e| format!("message row {row}: attributes: {e}"))?,
                None => HashMap::new(),
            };
            let m = StoredMessage {
                id: r.get(1).map_err(sql)?,
                body: r.get(2).map_err(sql)?,
                body_md5: r.get(3).map_err(sql)?,
                attributes,
                trace_header: r.get(5).map_err(sql)?,
                sent_ms: r.get(6).map_err(sql)?,
                visible_at_ms: r.get(7).map_err(sql)?,
                receive_count: r.get(8).map_err(sql)?,
                first_receive_ms: r.get(9).map_err(sql)?,
                receipt: r.get(10).map_err(sql)?,
                group: r.get(11).map_err(sql)?,
                dedup_id: r.get(12).map_err(sql)?,
                sequence: big(r.get(13).map_err(sql)?, "sequence")?,
                sender_id: r.get(14).map_err(sql)?,
                dead_letter_source: r.get(15).map_err(sql)?,
            };
            out.push((row, m));
        }
    }
    Ok(out)
}

fn dedup(
    conn: &Connection,
    index: &HashMap<u64, usize>,
    queues: &mut [LoadedQueue],
) -> Result<(), String> {
    let mut stmt = conn
        .prepare("SELECT queue, scope, dedup_id, expires_ms, message_id, sequence FROM dedup")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let queue: u64 = r.get(0).map_err(sql)?;
        let Some(&at) = index.get(&queue) else {
            continue;
        };
        let scope: String = r.get(1).map_err(sql)?;
        let key = ((!scope.is_empty()).then_some(scope), r.get(2).map_err(sql)?);
        let entry = (
            r.get(3).map_err(sql)?,
            r.get(4).map_err(sql)?,
            big(r.get(5).map_err(sql)?, "sequence")?,
        );
        queues[at].dedup.insert(key, entry);
    }
    Ok(())
}

fn tasks(conn: &Connection) -> Result<Vec<MoveTask>, String> {
    let mut out = Vec::new();
    let mut stmt = conn
        .prepare("SELECT handle, source_arn, destination_arn, rate, status, moved, to_move, started_ms, failure FROM move_tasks")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let status: String = r.get(4).map_err(sql)?;
        let status = ["RUNNING", "COMPLETED", "CANCELLED", "FAILED"]
            .into_iter()
            .find(|s| *s == status)
            .ok_or_else(|| format!("a move task has the unknown status {status:?}"))?;
        out.push(MoveTask {
            handle: r.get(0).map_err(sql)?,
            source_arn: r.get(1).map_err(sql)?,
            destination_arn: r.get(2).map_err(sql)?,
            rate: r.get(3).map_err(sql)?,
            status,
            moved: r.get(5).map_err(sql)?,
            to_move: r.get(6).map_err(sql)?,
            started_ms: r.get(7).map_err(sql)?,
            failure: r.get(8).map_err(sql)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::halves;

    #[test]
    fn halves_hold_about_as_many_ids_each() {
        let (low, high) = halves(&[(0, 9), (100, 109)]);
        assert_eq!((low, high), (vec![(0, 9)], vec![(100, 109)]));
        let (low, high) = halves(&[(0, 99), (1000, 1001)]);
        assert_eq!(low, [(0, 50)]);
        assert_eq!(high, [(51, 99), (1000, 1001)]);
        let (low, high) = halves(&[(5, 5)]);
        assert_eq!((low, high), (vec![], vec![(5, 5)]));
        assert_eq!(halves(&[]), (vec![], vec![]));
    }
}
