//! One write the server makes to a collection: a transaction that takes the write lock
//! at once, and the stamps every changed row gets.

use std::time::Duration;

use rusqlite::{Connection, ErrorCode, Transaction, TransactionBehavior};

use super::StudyError;

/// How long a study write waits for the collection's write lock. A normal sync holds it
/// from `start` to `finish`, across requests, so waiting longer would only make the
/// person wait for a refusal; a commit of another writer is over well within this.
const WRITE_LOCK_WAIT: Duration = Duration::from_millis(250);
/// What the collection's connections wait otherwise (as the sync's connections do).
const USUAL_BUSY_WAIT: Duration = Duration::from_secs(30);

/// A write transaction and the stamps of the changes made in it.
pub(super) struct ServerWrite<'c> {
    pub tx: Transaction<'c>,
    /// The server's current `col.usn`: rows changed on the server carry it, so the next
    /// sync of every device pulls them.
    pub usn: i64,
    /// Seconds: `mod` of cards and notes, `mtime` of decks.
    pub now_secs: i64,
    /// Milliseconds: `col.mod`.
    pub now_millis: i64,
}

impl<'c> ServerWrite<'c> {
    /// Begins the write at `now_millis`; refused with [`StudyError::SyncInProgress`] when
    /// another connection (a sync) holds the write lock.
    pub fn begin(conn: &'c Connection, now_millis: i64) -> Result<ServerWrite<'c>, StudyError> {
        conn.busy_timeout(WRITE_LOCK_WAIT)?;
        let begun = Transaction::new_unchecked(conn, TransactionBehavior::Immediate);
        conn.busy_timeout(USUAL_BUSY_WAIT)?;
        let tx = begun.map_err(|e| match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StudyError::SyncInProgress,
            _ => StudyError::Sqlite(e),
        })?;
        let usn = tx.query_row("SELECT usn FROM col", [], |r| r.get(0))?;
        Ok(ServerWrite {
            tx,
            usn,
            now_secs: now_millis.div_euclid(1000),
            now_millis,
        })
    }

    /// Bumps `col.mod` (so `meta` reports a change) and commits.
    pub fn commit(self) -> Result<(), StudyError> {
        self.tx
            .execute("UPDATE col SET mod = ?1", [self.now_millis])?;
        self.tx.commit()?;
        Ok(())
    }

    /// Sets a key of the collection's config table, as a change devices pull.
    pub fn set_config(&self, key: &str, json: &str) -> Result<(), StudyError> {
        self.tx.execute(
            "INSERT INTO config (key, usn, mtime_secs, val) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (key) DO UPDATE SET usn = excluded.usn,
               mtime_secs = excluded.mtime_secs, val = excluded.val",
            rusqlite::params![key, self.usn, self.now_secs, json.as_bytes()],
        )?;
        Ok(())
    }
}
