//! Collection connections kept open between normal syncs, one per user, as the official
//! server keeps its collections open. Opening per sync threw away SQLite's page cache each
//! time, so every sync re-read the b-trees it touched from the file; a kept connection
//! answers from memory.
//!
//! A connection is checked out for a sync (its transaction lives in the `ActiveSync`) and
//! checked back in after `finish`; a sync that fails or is aborted drops it, which rolls
//! back. Each entry remembers which file it opened (device and inode): if the path now
//! names another file, because an upload, an import or anything outside this process put a
//! new collection there, the old connection is closed and the new file opened. Every call
//! here may touch the disk, so callers are on the blocking pool.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use r2d2_sqlite::rusqlite::{Connection, OpenFlags};

use super::file as collection_file;
use super::kept_per_user::KeptPerUser;

/// Connections kept at most; past it an arbitrary one is closed. Each holds up to
/// `PAGE_CACHE_KIB` of cache, so this bounds the memory the cache can take.
const MAX_OPEN: usize = 32;
/// SQLite's page cache per kept connection (it grows only as pages are read).
const PAGE_CACHE_KIB: i64 = 16 * 1024;

/// Which file a connection has open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    device: u64,
    inode: u64,
}

impl FileIdentity {
    fn of(path: &Path) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        Ok(FileIdentity {
            device: meta.dev(),
            inode: meta.ino(),
        })
    }
}

/// A collection connection and the file it has open.
pub struct CollectionConnection {
    conn: Connection,
    file: FileIdentity,
}

impl std::ops::Deref for CollectionConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

pub struct OpenCollections {
    open: KeptPerUser<CollectionConnection>,
}

impl Default for OpenCollections {
    fn default() -> Self {
        OpenCollections {
            open: KeptPerUser::new(MAX_OPEN),
        }
    }
}

impl OpenCollections {
    /// The user's collection at `path`: the kept connection if it still has that file
    /// open, otherwise a new one. The caller holds the user's lock.
    pub fn check_out(&self, user_id: i64, path: &Path) -> Result<CollectionConnection, String> {
        let current = FileIdentity::of(path).map_err(|e| format!("cannot stat collection: {e}"))?;
        if let Some(kept) = self.open.remove(user_id) {
            if kept.file == current {
                return Ok(kept);
            }
            // Replaced behind our back: this one reads an unlinked file; close it.
        }
        open_for_sync(path, current)
    }

    /// Keeps a connection (with no transaction open) for the user's next sync. Whatever it
    /// pushes out is closed here, outside the map's lock.
    pub fn check_in(&self, user_id: i64, connection: CollectionConnection) {
        drop(self.open.insert(user_id, connection));
    }

    /// Runs `work` (no transaction left open) on the user's kept connection, opening it if
    /// need be, and keeps it for what comes next: a download reuses the connection and page
    /// cache the following syncs will use instead of opening the file a second time.
    pub fn use_kept<R>(
        &self,
        user_id: i64,
        path: &Path,
        work: impl FnOnce(&Connection) -> R,
    ) -> Result<R, String> {
        let connection = self.check_out(user_id, path)?;
        let result = work(&connection);
        self.check_in(user_id, connection);
        Ok(result)
    }

    /// Takes the user's kept connection out, if any: before the file is replaced or
    /// removed. Dropping it closes it.
    pub fn remove(&self, user_id: i64) -> Option<CollectionConnection> {
        self.open.remove(user_id)
    }
}

/// Opens a collection for syncing: WAL, so a sync's commit appends to the log instead of
/// rewriting pages through a rollback journal (the official server does the same), and a
/// page cache that outlives the sync.
fn open_for_sync(path: &Path, file: FileIdentity) -> Result<CollectionConnection, String> {
    let conn = collection_file::open(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .map_err(|e| format!("cannot open collection: {e}"))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| format!("cannot configure collection: {e}"))?;
    conn.pragma_update(None, "journal_mode", "wal")
        .and_then(|()| conn.pragma_update(None, "cache_size", -PAGE_CACHE_KIB))
        .map_err(|e| format!("cannot configure collection: {e}"))?;
    Ok(CollectionConnection { conn, file })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection_at(path: &Path, marker: i64) {
        let conn = Connection::open(path).expect("create");
        conn.execute_batch(&format!(
            "CREATE TABLE col (ver INTEGER, usn INTEGER); INSERT INTO col VALUES (18, {marker});"
        ))
        .expect("schema");
    }

    fn marker(c: &CollectionConnection) -> i64 {
        c.conn
            .query_row("SELECT usn FROM col", [], |r| r.get(0))
            .expect("read")
    }

    #[test]
    fn a_kept_connection_is_reused_until_the_file_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("collection.anki2");
        collection_at(&path, 1);
        let open = OpenCollections::default();

        let first = open.check_out(7, &path).expect("open");
        assert_eq!(marker(&first), 1);
        first
            .conn
            .execute_batch("PRAGMA user_version = 42")
            .expect("mark connection");
        open.check_in(7, first);
        let again = open.check_out(7, &path).expect("reuse");
        let version: i64 = again
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("read");
        assert_eq!(version, 42);
        open.check_in(7, again);

        // Another file renamed over the path, as an upload or an import does.
        let replacement = dir.path().join("replacement.anki2");
        collection_at(&replacement, 2);
        std::fs::rename(&replacement, &path).expect("rename");
        let fresh = open.check_out(7, &path).expect("reopen");
        assert_eq!(marker(&fresh), 2, "the replaced file must not be read");
    }

    #[test]
    fn the_number_of_kept_connections_is_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let open = OpenCollections::default();
        for user in 0..(MAX_OPEN as i64 + 5) {
            let path = dir.path().join(format!("{user}.anki2"));
            collection_at(&path, user);
            let c = open.check_out(user, &path).expect("open");
            open.check_in(user, c);
        }
        assert_eq!(open.open.len(), MAX_OPEN);
    }
}
