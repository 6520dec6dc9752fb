//! The data directory's one database: opening it (with every check that keeps a wrong directory
//! from being used), reading it back, and writing a snapshot of changes in one transaction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, Transaction, params};

use crate::queue::{Changes, DedupChange, MessageChange, StoredMessage};
use crate::service::MoveTask;

use super::Snapshot;
use super::load::{Loaded, load};

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
pub(super) const KEY_BITS: u32 = 40;
const MAX_QUEUE_ID: u64 = (1 << (63 - KEY_BITS)) - 1;

/// The lock file: held (`flock`) while a process uses the directory.
const LOCK: &str = "sqs-local.lock";

/// Names every file sqs-local keeps in a data directory; anything else makes it foreign.
const OURS: [&str; 5] = [
    FILE,
    LOCK,
    "sqs-local.db-wal",
    "sqs-local.db-shm",
    "sqs-local.db-journal",
];

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

/// The open database, held by the writer thread, and with it the directory's lock.
#[derive(Debug)]
pub(crate) struct Db {
    conn: Connection,
    pub(crate) path: PathBuf,
    _lock: std::fs::File,
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
    let lock = lock(dir)?;
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
    // No `PRAGMA quick_check`: reading every row back goes through every page of the tables,
    // and SQLite reports a damaged one there; the check would read the file a second time
    // (1.1 s of a 6 s start-up with a million messages).
    let loaded = load(&conn, &path).map_err(|e| {
        OpenError(format!(
            "{file} cannot be read back ({e}): it is damaged or was not written by sqs-local"
        ))
    })?;
    let db = Db {
        conn,
        path,
        _lock: lock,
    };
    Ok((db, loaded))
}

/// Takes the directory's lock file, or says who holds it.
fn lock(dir: &Path) -> Result<std::fs::File, OpenError> {
    let path = dir.join(LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| OpenError(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(OpenError(format!(
            "{} is in use by another sqs-local process (one directory serves one process at a time)",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(OpenError(format!("cannot lock {}: {e}", path.display())))
        }
    }
}

fn create(conn: &Connection) -> rusqlite::Result<()> {
    // Set before the first table: pages freed by deletes can be given back (see `compact`).
    conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", FORMAT)?;
    tx.commit()
}

/// Every commit is synced (`synchronous=FULL` in WAL mode: the log is synced before a commit
/// returns); the log is checkpointed into the database as it grows and cut back to 64 MiB;
/// pages freed by deletes are reused, and given back by `compact` when many are free.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    Ok(())
}

/// Pages given back to the file system per step of [`Db::compact`] (64 MiB of 4 KiB pages).
const COMPACT_PAGES: i64 = 16_384;

impl Db {
    /// When more than a quarter of the file (and at least 4 MiB) is free pages, as after a
    /// queue that held a million messages is drained, gives up to 64 MiB of them back to the
    /// file system; called by the writer when it has nothing else to do.
    pub(crate) fn compact(&mut self) -> Result<(), String> {
        let count = |pragma: &str| -> Result<i64, String> {
            self.conn
                .pragma_query_value(None, pragma, |r| r.get(0))
                .map_err(|e| e.to_string())
        };
        let (free, pages) = (count("freelist_count")?, count("page_count")?);
        if free < 1024 || free * 4 < pages {
            return Ok(());
        }
        let sql = |e: rusqlite::Error| e.to_string();
        // The pragma frees a page per step of its statement: stepped to the end.
        let mut vacuum = self
            .conn
            .prepare(&format!("PRAGMA incremental_vacuum({COMPACT_PAGES})"))
            .map_err(sql)?;
        let mut steps = vacuum.query([]).map_err(sql)?;
        while steps.next().map_err(sql)?.is_some() {}
        // The database file is cut at the next checkpoint: done at once.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(sql)
    }

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
