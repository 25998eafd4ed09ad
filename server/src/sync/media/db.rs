//! The server's media database, `media.db` in the user's folder, in the official server's
//! layout (protocol §4.6), so a data directory moves between the two unchanged.
//!
//! Every change that takes effect gets exactly one new usn; a deletion keeps its row with
//! size 0, so clients that synced before learn about it.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS media (
    fname TEXT NOT NULL PRIMARY KEY,
    csum BLOB NOT NULL,
    size INT NOT NULL,
    usn INT NOT NULL,
    mtime INT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_usn ON media (usn);
CREATE TABLE IF NOT EXISTS meta (
    last_usn INT NOT NULL,
    total_bytes INT NOT NULL,
    total_nonempty_files INT NOT NULL
);
INSERT INTO meta SELECT 0, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM meta);
PRAGMA user_version = 4;
";

/// The most `mediaChanges` returns at once.
pub const MAX_CHANGES: u32 = 1000;

pub struct MediaDb {
    conn: Connection,
}

/// A live file's checksum and size; `None` from [`MediaDb::entry`] for unknown or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEntry {
    pub sha1: Vec<u8>,
    pub size: i64,
}

impl MediaDb {
    /// Opens (creating on first use) a user's media database. The schema is applied only
    /// to a new file, so opening an existing one only reads.
    pub fn open(path: &Path) -> rusqlite::Result<MediaDb> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // WAL with NORMAL sync: a crash can lose the last batch but never corrupts; the
        // client then simply sends that batch again.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version != 4 {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.execute_batch(SCHEMA)?;
        }
        Ok(MediaDb { conn })
    }

    /// The media usn reported by `meta` (0 when there is no media.db yet), read-only.
    pub fn last_usn_at(path: &Path) -> rusqlite::Result<i32> {
        if !path.exists() {
            return Ok(0);
        }
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.query_row("SELECT last_usn FROM meta", [], |r| r.get(0))
    }

    pub fn last_usn(&self) -> rusqlite::Result<i32> {
        self.conn
            .query_row("SELECT last_usn FROM meta", [], |r| r.get(0))
    }

    /// `[fname, usn, sha1hex or ""]` with usn above `after`, oldest first.
    pub fn changes_since(&self, after: i32) -> rusqlite::Result<Vec<(String, i32, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT fname, usn, csum, size FROM media WHERE usn > ?1 ORDER BY usn LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![after, MAX_CHANGES], |r| {
                let size: i64 = r.get(3)?;
                let csum: Vec<u8> = r.get(2)?;
                let sha1 = if size > 0 {
                    hex::encode(csum)
                } else {
                    String::new()
                };
                Ok((r.get(0)?, r.get(1)?, sha1))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn entry(&self, fname: &str) -> rusqlite::Result<Option<LiveEntry>> {
        self.conn
            .query_row(
                "SELECT csum, size FROM media WHERE fname = ?1 AND size > 0",
                [fname],
                |r| {
                    Ok(LiveEntry {
                        sha1: r.get(0)?,
                        size: r.get(1)?,
                    })
                },
            )
            .optional()
    }

    pub fn live_file_count(&self) -> rusqlite::Result<i64> {
        self.conn
            .query_row("SELECT total_nonempty_files FROM meta", [], |r| r.get(0))
    }

    /// A file found missing on disk: marked deleted with a new usn, so clients that have
    /// it keep it and clients without it stop asking.
    pub fn forget(&mut self, fname: &str) -> rusqlite::Result<()> {
        let mut changes = self.changes()?;
        changes.record(fname, None)?;
        changes.commit()
    }

    /// Starts a batch of changes, applied in one transaction.
    pub fn changes(&mut self) -> rusqlite::Result<MediaChanges<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(MediaChanges { tx })
    }
}

pub struct MediaChanges<'a> {
    tx: Transaction<'a>,
}

impl MediaChanges<'_> {
    /// Records a file's new state (`None`: deleted). Returns whether anything changed;
    /// each change that does takes exactly one new usn.
    pub fn record(&mut self, fname: &str, new: Option<(&[u8], i64)>) -> rusqlite::Result<bool> {
        let existing: Option<(Vec<u8>, i64)> = self
            .tx
            .prepare_cached("SELECT csum, size FROM media WHERE fname = ?1")?
            .query_row([fname], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let live = existing.filter(|(_, size)| *size > 0);
        let unchanged = match (&live, new) {
            (None, None) => true,
            (Some((old_sum, _)), Some((sum, _))) => old_sum.as_slice() == sum,
            _ => false,
        };
        if unchanged {
            return Ok(false);
        }
        // Cached statements: an upload records up to 25 files, a sync many batches.
        let usn: i32 = self
            .tx
            .prepare_cached("UPDATE meta SET last_usn = last_usn + 1 RETURNING last_usn")?
            .query_row([], |r| r.get(0))?;
        let (sum, size) = new.unwrap_or((&[], 0));
        self.tx
            .prepare_cached(
                "INSERT INTO media (fname, csum, size, usn, mtime) VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (fname) DO UPDATE SET csum = ?2, size = ?3, usn = ?4, mtime = ?5",
            )?
            .execute(params![fname, sum, size, usn, crate::clock::now()])?;
        let old_size = live.map_or(0, |(_, s)| s);
        self.tx
            .prepare_cached(
                "UPDATE meta SET total_bytes = total_bytes + ?1, \
                 total_nonempty_files = total_nonempty_files + ?2",
            )?
            .execute(params![
                size - old_size,
                i64::from(size > 0) - i64::from(old_size > 0)
            ])?;
        Ok(true)
    }

    pub fn commit(self) -> rusqlite::Result<()> {
        self.tx.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_effective_change_takes_one_usn_and_deletions_are_remembered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = MediaDb::open(&dir.path().join("media.db")).expect("open");
        let mut changes = db.changes().expect("tx");
        assert!(changes.record("a.jpg", Some((b"sum-a", 10))).expect("add"));
        assert!(!changes.record("a.jpg", Some((b"sum-a", 10))).expect("same"));
        assert!(changes.record("b.jpg", Some((b"sum-b", 5))).expect("add"));
        assert!(!changes.record("never.jpg", None).expect("delete absent"));
        changes.commit().expect("commit");
        assert_eq!(db.last_usn().expect("usn"), 2);
        assert_eq!(db.live_file_count().expect("count"), 2);

        let mut changes = db.changes().expect("tx");
        assert!(changes.record("a.jpg", None).expect("delete"));
        assert!(changes
            .record("b.jpg", Some((b"sum-b2", 7)))
            .expect("replace"));
        changes.commit().expect("commit");
        assert_eq!(db.last_usn().expect("usn"), 4);
        assert_eq!(db.live_file_count().expect("count"), 1);
        assert_eq!(
            db.changes_since(2).expect("changes"),
            vec![
                ("a.jpg".to_string(), 3, String::new()),
                ("b.jpg".to_string(), 4, hex::encode(b"sum-b2")),
            ]
        );
        assert!(db.entry("a.jpg").expect("entry").is_none());
    }
}
