//! SQLite against redb for sqs-local's data directory: synced commits of 1, 10 and 64 rows of
//! 1 KiB, deletes the same way, the file afterwards, and the time to open it again.

use std::path::Path;
use std::time::{Duration, Instant};

const BODY: usize = 1024;

/// What one engine did with one transaction size.
struct Figures {
    inserts_per_s: f64,
    deletes_per_s: f64,
    file_mb: f64,
    reopen: Duration,
}

fn file_mb(paths: &[&Path]) -> f64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len() as f64 / 1e6)
        .sum()
}

fn per_second(rows: u64, since: Instant) -> f64 {
    rows as f64 / since.elapsed().as_secs_f64()
}

fn sqlite(dir: &Path, rows: u64, group: u64) -> Figures {
    let path = dir.join(format!("sqlite-{group}.db"));
    let open = || {
        let c = rusqlite::Connection::open(&path).expect("open");
        c.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
            .expect("pragmas");
        c
    };
    let mut c = open();
    c.execute_batch("CREATE TABLE m (row INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .expect("schema");
    let body = vec![b'x'; BODY];
    let started = Instant::now();
    for g in 0..rows / group {
        let tx = c.transaction().expect("begin");
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO m (row, body) VALUES (?1, ?2)")
                .expect("prepare");
            for i in 0..group {
                insert
                    .execute(rusqlite::params![(g * group + i) as i64, body.as_slice()])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    let inserts_per_s = per_second(rows, started);
    let started = Instant::now();
    for g in 0..rows / group {
        let tx = c.transaction().expect("begin");
        {
            let mut delete = tx
                .prepare_cached("DELETE FROM m WHERE row = ?1")
                .expect("prepare");
            for i in 0..group {
                delete.execute([(g * group + i) as i64]).expect("delete");
            }
        }
        tx.commit().expect("commit");
    }
    let deletes_per_s = per_second(rows, started);
    drop(c);
    let wal = dir.join(format!("sqlite-{group}.db-wal"));
    let file_mb = file_mb(&[&path, &wal]);
    let started = Instant::now();
    let c = open();
    let left: i64 = c
        .query_row("SELECT count(*) FROM m", [], |r| r.get(0))
        .expect("count");
    assert_eq!(left, 0);
    Figures {
        inserts_per_s,
        deletes_per_s,
        file_mb,
        reopen: started.elapsed(),
    }
}

fn redb(dir: &Path, rows: u64, group: u64) -> Figures {
    use redb::{Database, ReadableDatabase, ReadableTableMetadata, TableDefinition};
    const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("m");
    let path = dir.join(format!("redb-{group}.db"));
    let db = Database::create(&path).expect("create");
    let body = vec![b'x'; BODY];
    let started = Instant::now();
    for g in 0..rows / group {
        let tx = db.begin_write().expect("begin");
        {
            let mut table = tx.open_table(TABLE).expect("table");
            for i in 0..group {
                table
                    .insert(g * group + i, body.as_slice())
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
    }
    let inserts_per_s = per_second(rows, started);
    let started = Instant::now();
    for g in 0..rows / group {
        let tx = db.begin_write().expect("begin");
        {
            let mut table = tx.open_table(TABLE).expect("table");
            for i in 0..group {
                table.remove(g * group + i).expect("remove");
            }
        }
        tx.commit().expect("commit");
    }
    let deletes_per_s = per_second(rows, started);
    drop(db);
    let file_mb = file_mb(&[&path]);
    let started = Instant::now();
    let db = Database::open(&path).expect("open");
    let read = db.begin_read().expect("read");
    assert_eq!(
        read.open_table(TABLE).expect("table").len().expect("len"),
        0
    );
    Figures {
        inserts_per_s,
        deletes_per_s,
        file_mb,
        reopen: started.elapsed(),
    }
}

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/engine-choice-data");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a data directory");
    println!("{rows} rows of {BODY} bytes per case, every commit synced");
    println!("engine  rows/commit  inserts/s  deletes/s  file after (MB)  reopen");
    for group in [1, 10, 64] {
        // Fewer rows for single-row commits: each is a sync.
        let rows = if group == 1 { rows / 10 } else { rows };
        for (name, f) in [
            ("sqlite", sqlite(&dir, rows, group)),
            ("redb", redb(&dir, rows, group)),
        ] {
            println!(
                "{name:<7} {group:>11} {:>10.0} {:>10.0} {:>16.1}  {:.2} ms",
                f.inserts_per_s,
                f.deletes_per_s,
                f.file_mb,
                f.reopen.as_secs_f64() * 1e3
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
