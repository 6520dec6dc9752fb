//! The data directory's one database: opening it (with every check that keeps a wrong directory
//! from being used), reading it back, and writing a snapshot of changes in one transaction.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, Transaction, params};
use sqs_model::types::QueueAttributeName as A;

use crate::queue::{
    Changes, DedupChange, DedupEntry, DedupKey, MessageChange, QueueRow, StoredMessage,
};
use crate::service::MoveTask;

use super::Snapshot;

/// The database's file name in the data directory.
pub(crate) const FILE: &str = "sqs-local.db";

/// The format this build writes and reads. A directory written by a newer format is refused;
/// an older one would be migrated here (there is none yet).
pub(crate) const FORMAT: i64 = 1;

/// Marks the file as ours in SQLite's header (`PRAGMA application_id`): "SQSL".
const APPLICATION_ID: i64 = 0x5351_534C;

/// Message rows are keyed by `queue id << KEY_BITS | message key`, so a queue's messages are one
/// range of row ids (a purge or a queue deletion is one range delete) and read back in order.
/// 2^40 keys is a trillion messages for one queue; 2^23 ids is 8 million queue creations.
const KEY_BITS: u32 = 40;
const MAX_QUEUE_ID: u64 = (1 << (63 - KEY_BITS)) - 1;

/// Names every file sqs-local keeps in a data directory; anything else makes it foreign.
const OURS: [&str; 3] = [FILE, "sqs-local.db-wal", "sqs-local.db-journal"];

const SCHEMA: &str = "
CREATE TABLE queues (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_s INTEGER NOT NULL,
    modified_s INTEGER NOT NULL,
    next_sequence TEXT NOT NULL,
    last_purge_ms INTEGER,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL
);
CREATE TABLE messages (
    row INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    body_md5 TEXT NOT NULL,
    attributes TEXT,
    trace_header TEXT,
    sent_ms INTEGER NOT NULL,
    visible_at_ms INTEGER NOT NULL,
    receive_count INTEGER NOT NULL,
    first_receive_ms INTEGER,
    receipt TEXT,
    group_id TEXT,
    dedup_id TEXT,
    sequence TEXT,
    sender_id TEXT NOT NULL,
    dead_letter_source TEXT
);
CREATE TABLE dedup (
    queue INTEGER NOT NULL,
    scope TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    sequence TEXT,
    PRIMARY KEY (queue, scope, dedup_id)
) WITHOUT ROWID;
CREATE TABLE move_tasks (
    handle TEXT PRIMARY KEY,
    source_arn TEXT NOT NULL,
    destination_arn TEXT,
    rate INTEGER,
    status TEXT NOT NULL,
    moved INTEGER NOT NULL,
    to_move INTEGER NOT NULL,
    started_ms INTEGER NOT NULL,
    failure TEXT
);
";

/// Why a data directory cannot be used; the text names the path and what is wrong.
#[derive(Debug)]
pub(crate) struct OpenError(pub(crate) String);

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

/// The open database, held by the writer thread (and with it the directory's lock).
#[derive(Debug)]
pub(crate) struct Db {
    conn: Connection,
    pub(crate) path: PathBuf,
}

/// Opens (or creates) the data directory: refuses a foreign directory, a file that is not ours or
/// is damaged, a newer format, and a directory another process holds; reads everything back.
pub(crate) fn open(dir: &Path) -> Result<(Db, Loaded), OpenError> {
    let shown = dir.display();
    std::fs::create_dir_all(dir)
        .map_err(|e| OpenError(format!("cannot create the data directory {shown}: {e}")))?;
    let entries = std::fs::read_dir(dir)
        .map_err(|e| OpenError(format!("cannot read the data directory {shown}: {e}")))?;
    for entry in entries {
        let entry =
            entry.map_err(|e| OpenError(format!("cannot read the data directory {shown}: {e}")))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // A fresh file system's root holds lost+found.
        if !OURS.contains(&name.as_ref()) && name != "lost+found" {
            return Err(OpenError(format!(
                "{shown} is not an sqs-local data directory: it holds {name:?}, which sqs-local does not write (give an empty or new directory)"
            )));
        }
    }
    let path = dir.join(FILE);
    let file = path.display().to_string();
    let damaged = |e: rusqlite::Error| {
        OpenError(format!(
            "{file} cannot be read as an sqs-local database ({e}): it is damaged or was not written by sqs-local"
        ))
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(&path, flags)
        .map_err(|e| OpenError(format!("cannot open {file}: {e}")))?;
    // Exclusive locking mode, set before WAL mode: the lock taken by the first transaction is
    // kept until the connection closes (a second process gets "database is locked"), and the WAL
    // index lives in memory rather than in a shared-memory file.
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
        .map_err(damaged)?;
    let lock = conn.execute_batch("BEGIN IMMEDIATE; COMMIT;");
    if let Err(e) = lock {
        return Err(match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                OpenError(format!(
                    "{file} is in use by another sqs-local process (one directory serves one process at a time)"
                ))
            }
            _ => damaged(e),
        });
    }
    let app: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(damaged)?;
    let format: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(damaged)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(damaged)?;
    if tables == 0 && app == 0 {
        create(&conn).map_err(|e| OpenError(format!("cannot initialise {file}: {e}")))?;
    } else if app != APPLICATION_ID {
        return Err(OpenError(format!(
            "{file} is an SQLite database not written by sqs-local (application id {app:#x})"
        )));
    } else if format > FORMAT {
        return Err(OpenError(format!(
            "{file} was written by a newer sqs-local (format {format}; this one reads format {FORMAT} and older)"
        )));
    } else if format < 1 {
        return Err(OpenError(format!(
            "{file} has no format version: it is damaged"
        )));
    }
    configure(&conn).map_err(damaged)?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(damaged)?;
    if check != "ok" {
        return Err(OpenError(format!("{file} is damaged: {check}")));
    }
    let loaded = load(&conn).map_err(|e| OpenError(format!("{file}: {e}")))?;
    Ok((Db { conn, path }, loaded))
}

fn create(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", FORMAT)?;
    tx.commit()
}

/// Every commit is synced (`synchronous=FULL` in WAL mode: the log is synced before a commit
/// returns); the log is checkpointed into the database as it grows and cut back to 64 MiB, and
/// pages freed by deletes are reused.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    Ok(())
}

/// A text column that must hold a number (u128 does not fit SQLite's integers).
fn big(text: Option<String>, what: &str) -> Result<Option<u128>, String> {
    text.map(|t| {
        t.parse::<u128>()
            .map_err(|_| format!("{what} {t:?} is not a number"))
    })
    .transpose()
}

fn load(conn: &Connection) -> Result<Loaded, String> {
    let sql = |e: rusqlite::Error| e.to_string();
    let mut out = Loaded::default();
    let mut index = HashMap::new();
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
        index.insert(id, out.queues.len());
        out.queues.push(LoadedQueue {
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
    let mut stmt = conn
        .prepare("SELECT row, id, body, body_md5, attributes, trace_header, sent_ms, visible_at_ms, receive_count, first_receive_ms, receipt, group_id, dedup_id, sequence, sender_id, dead_letter_source FROM messages ORDER BY row")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let row: u64 = r.get(0).map_err(sql)?;
        let (queue, key) = (row >> KEY_BITS, row & ((1 << KEY_BITS) - 1));
        let Some(&at) = index.get(&queue) else {
            return Err(format!(
                "message row {row} belongs to no queue (id {queue})"
            ));
        };
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
        out.queues[at].messages.insert(key, m);
    }
    let mut stmt = conn
        .prepare("SELECT queue, scope, dedup_id, expires_ms, message_id, sequence FROM dedup")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    while let Some(r) = rows.next().map_err(sql)? {
        let queue: u64 = r.get(0).map_err(sql)?;
        let Some(&at) = index.get(&queue) else {
            return Err(format!(
                "a deduplication entry belongs to no queue (id {queue})"
            ));
        };
        let scope: String = r.get(1).map_err(sql)?;
        let key = ((!scope.is_empty()).then_some(scope), r.get(2).map_err(sql)?);
        let entry = (
            r.get(3).map_err(sql)?,
            r.get(4).map_err(sql)?,
            big(r.get(5).map_err(sql)?, "sequence")?,
        );
        out.queues[at].dedup.insert(key, entry);
    }
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
        out.tasks.push(MoveTask {
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

impl Db {
    /// Writes a snapshot in one transaction, synced before this returns.
    pub(crate) fn write(&mut self, s: &Snapshot) -> Result<(), String> {
        let tx = self.conn.transaction().map_err(|e| e.to_string())?;
        for id in &s.dropped {
            drop_queue(&tx, *id).map_err(|e| e.to_string())?;
        }
        for c in &s.queues {
            write_queue(&tx, c)?;
        }
        if let Some(tasks) = &s.tasks {
            write_tasks(&tx, tasks).map_err(|e| e.to_string())?;
        }
        tx.commit().map_err(|e| e.to_string())
    }
}

/// The row ids of a queue's messages.
fn range(queue: u64) -> (i64, i64) {
    let first = (queue << KEY_BITS) as i64;
    (first, first + ((1i64 << KEY_BITS) - 1))
}

fn drop_queue(tx: &Transaction<'_>, id: u64) -> rusqlite::Result<()> {
    let (first, last) = range(id);
    tx.prepare_cached("DELETE FROM queues WHERE id = ?1")?
        .execute([id as i64])?;
    tx.prepare_cached("DELETE FROM messages WHERE row BETWEEN ?1 AND ?2")?
        .execute([first, last])?;
    tx.prepare_cached("DELETE FROM dedup WHERE queue = ?1")?
        .execute([id as i64])?;
    Ok(())
}

fn write_queue(tx: &Transaction<'_>, c: &Changes) -> Result<(), String> {
    let sql = |e: rusqlite::Error| e.to_string();
    if c.queue > MAX_QUEUE_ID {
        return Err(format!(
            "queue id {} is past the data directory's {MAX_QUEUE_ID}",
            c.queue
        ));
    }
    if let Some(row) = &c.row {
        let attributes: HashMap<&str, &str> = row
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let attributes = serde_json::to_string(&attributes).map_err(|e| e.to_string())?;
        let tags = serde_json::to_string(&row.tags).map_err(|e| e.to_string())?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO queues (id, name, created_s, modified_s, next_sequence, last_purge_ms, attributes, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .and_then(|mut s| {
            s.execute(params![
                row.id as i64,
                row.name,
                row.created_s as i64,
                row.modified_s as i64,
                row.next_sequence.to_string(),
                row.last_purge_ms.map(|t| t as i64),
                attributes,
                tags
            ])
        })
        .map_err(sql)?;
    }
    let (first, last) = range(c.queue);
    if c.purged {
        tx.prepare_cached("DELETE FROM messages WHERE row BETWEEN ?1 AND ?2")
            .and_then(|mut s| s.execute([first, last]))
            .map_err(sql)?;
    }
    for m in &c.messages {
        match m {
            MessageChange::Put(key, m) => put_message(tx, first, *key, m)?,
            MessageChange::Gone(key) => {
                tx.prepare_cached("DELETE FROM messages WHERE row = ?1")
                    .and_then(|mut s| s.execute([first + *key as i64]))
                    .map_err(sql)?;
            }
        }
    }
    for d in &c.dedup {
        match d {
            DedupChange::Put((scope, id), (expires, message_id, sequence)) => tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO dedup (queue, scope, dedup_id, expires_ms, message_id, sequence) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        c.queue as i64,
                        scope.as_deref().unwrap_or_default(),
                        id,
                        *expires as i64,
                        message_id,
                        sequence.map(|n| n.to_string())
                    ])
                }),
            DedupChange::Gone((scope, id)) => tx
                .prepare_cached("DELETE FROM dedup WHERE queue = ?1 AND scope = ?2 AND dedup_id = ?3")
                .and_then(|mut s| {
                    s.execute(params![c.queue as i64, scope.as_deref().unwrap_or_default(), id])
                }),
        }
        .map_err(sql)?;
    }
    Ok(())
}

fn put_message(
    tx: &Transaction<'_>,
    first: i64,
    key: u64,
    m: &StoredMessage,
) -> Result<(), String> {
    if key >= 1 << KEY_BITS {
        return Err(format!(
            "message key {key} is past the data directory's 2^{KEY_BITS} per queue"
        ));
    }
    let attributes = if m.attributes.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&m.attributes).map_err(|e| e.to_string())?)
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO messages (row, id, body, body_md5, attributes, trace_header, sent_ms, visible_at_ms, receive_count, first_receive_ms, receipt, group_id, dedup_id, sequence, sender_id, dead_letter_source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )
    .and_then(|mut s| {
        s.execute(params![
            first + key as i64,
            m.id,
            m.body,
            m.body_md5,
            attributes,
            m.trace_header,
            m.sent_ms as i64,
            m.visible_at_ms as i64,
            m.receive_count,
            m.first_receive_ms.map(|t| t as i64),
            m.receipt,
            m.group,
            m.dedup_id,
            m.sequence.map(|n| n.to_string()),
            m.sender_id,
            m.dead_letter_source
        ])
    })
    .map(drop)
    .map_err(|e| e.to_string())
}

fn write_tasks(tx: &Transaction<'_>, tasks: &[MoveTask]) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM move_tasks", [])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO move_tasks (handle, source_arn, destination_arn, rate, status, moved, to_move, started_ms, failure) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for t in tasks {
        insert.execute(params![
            t.handle,
            t.source_arn,
            t.destination_arn,
            t.rate,
            t.status,
            t.moved,
            t.to_move,
            t.started_ms as i64,
            t.failure
        ])?;
    }
    Ok(())
}
