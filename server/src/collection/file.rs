//! A user's collection on disk: `<data-dir>/users/<id>/collection.anki2`, an SQLite file in
//! Anki's schema 18, exactly as the client uploads it.
//!
//! Replacing it is the delicate part. A collection in WAL mode has `-wal` and `-shm`
//! companions; a WAL left behind from the old file would be replayed into the new one. So a
//! replace checkpoints the old file, removes its companions, and only then renames the
//! verified upload over it. At every instant the path holds a complete collection.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use r2d2_sqlite::rusqlite::{self, Connection, OpenFlags};
use unicase::UniCase;

const COLLECTION: &str = "collection.anki2";

/// Where a user's files live under the data dir (DESIGN §6).
pub fn user_dir(data_dir: &Path, user_id: i64) -> PathBuf {
    data_dir.join("users").join(user_id.to_string())
}

/// The user's media files, as Anki's media folder holds them (flat, by file name).
pub fn media_folder(data_dir: &Path, user_id: i64) -> PathBuf {
    user_dir(data_dir, user_id).join("media")
}

pub fn collection_path(data_dir: &Path, user_id: i64) -> PathBuf {
    user_dir(data_dir, user_id).join(COLLECTION)
}

fn companion(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Opens a collection with the `unicase` collation Anki's schema declares (without it even
/// an integrity check fails), comparing the way Anki does.
pub fn open(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.create_collation("unicase", |a, b| UniCase::new(a).cmp(&UniCase::new(b)))?;
    Ok(conn)
}

/// A consistent copy of the collection at `source` into the new file `copy`: `VACUUM INTO`
/// reads it in one read transaction, so a writer meanwhile is wholly in it or not at all.
pub fn consistent_copy(source: &Path, copy: &Path) -> rusqlite::Result<()> {
    let conn = open(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.execute("VACUUM INTO ?1", [copy.to_string_lossy().as_ref()])?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CollectionMeta {
    pub modified_ms: i64,
    pub schema_ms: i64,
    pub usn: i32,
    pub empty: bool,
}

/// Reads `mod`, `scm`, `usn` and whether any card exists; `None` when the user has no
/// collection yet.
pub fn read_meta(path: &Path) -> Result<Option<CollectionMeta>, String> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = open(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open collection: {e}"))?;
    let (modified_ms, schema_ms, usn) = conn
        .query_row("SELECT mod, scm, usn FROM col", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(|e| format!("cannot read col row: {e}"))?;
    let empty = conn
        .query_row("SELECT NOT EXISTS (SELECT 1 FROM cards)", [], |r| r.get(0))
        .map_err(|e| format!("cannot count cards: {e}"))?;
    Ok(Some(CollectionMeta {
        modified_ms,
        schema_ms,
        usn,
        empty,
    }))
}

/// Why an uploaded file was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadRejected {
    #[error("collection exceeds size limit")]
    TooLarge,
    #[error("upload is not a valid collection: {0}")]
    Corrupt(String),
    #[error("cannot store upload: {0}")]
    Io(#[from] io::Error),
}

/// Decompresses one zstd frame read from `compressed` into `dest`, streaming, and stopping
/// past `limit` bytes: memory stays small whatever the upload's size. Returns the written
/// file, not yet synced: the caller makes it durable (while it checks it) before use.
pub fn write_decompressed(
    compressed: impl Read,
    dest: &Path,
    limit: u64,
) -> Result<File, UploadRejected> {
    let source = io::BufReader::with_capacity(64 * 1024, compressed);
    let mut decoder = zstd::stream::read::Decoder::with_buffer(source)
        .map_err(|e| UploadRejected::Corrupt(format!("not zstd: {e}")))?
        .single_frame();
    decoder
        .window_log_max(27)
        .map_err(|e| UploadRejected::Corrupt(e.to_string()))?;
    let mut file = File::create(dest)?;
    let copied = io::copy(&mut (&mut decoder).take(limit.saturating_add(1)), &mut file)
        .map_err(|e| UploadRejected::Corrupt(format!("bad zstd frame: {e}")))?;
    if copied > limit {
        return Err(UploadRejected::TooLarge);
    }
    file.flush()?;
    Ok(file)
}

/// Accepts a file only if SQLite's integrity check passes and it is a collection of a
/// schema the clients read (11 to 18, not 12 or 13), as the official server does.
pub fn validate(path: &Path) -> Result<(), UploadRejected> {
    let corrupt = |e: rusqlite::Error| UploadRejected::Corrupt(e.to_string());
    let conn = open(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(corrupt)?;
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(corrupt)?;
    if check != "ok" {
        return Err(UploadRejected::Corrupt(format!("integrity check: {check}")));
    }
    let version: i64 = conn
        .query_row("SELECT ver FROM col", [], |r| r.get(0))
        .map_err(corrupt)?;
    if !(11..=18).contains(&version) || version == 12 || version == 13 {
        return Err(UploadRejected::Corrupt(format!("schema version {version}")));
    }
    // Fold any WAL the file carried into it, so the rename moves one complete file.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(corrupt)?;
    drop(conn);
    for suffix in ["-wal", "-shm"] {
        remove_if_present(&companion(path, suffix))?;
    }
    Ok(())
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Puts a validated (and synced) file in place of the user's collection, atomically.
///
/// The old file is not freed here: it keeps a second name, which is returned, so the
/// rename does not wait while the file system releases its blocks (about 13 ms for a
/// 9 MB collection on ext4). The caller deletes it once the client has its answer. Its
/// name starts with [`LEFTOVER_PREFIX`], so a crash before that leaves nothing that the
/// next start or upload does not clear (see `crate::sync::leftovers`).
pub fn replace(collection: &Path, verified: &Path) -> io::Result<Option<PathBuf>> {
    let mut retired = None;
    if collection.exists() {
        // Fold the old WAL in first: deleting it then loses nothing, and no stale WAL can
        // ever be replayed into the new file.
        if let Ok(conn) = open(collection, OpenFlags::SQLITE_OPEN_READ_WRITE) {
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        for suffix in ["-wal", "-shm"] {
            remove_if_present(&companion(collection, suffix))?;
        }
        let aside = leftover_path(collection, "retired");
        std::fs::hard_link(collection, &aside)?;
        retired = Some(aside);
    }
    std::fs::rename(verified, collection)?;
    if let Some(dir) = collection.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(retired)
}

/// Names of files a full upload leaves beside the collection only while it runs (or after
/// a crash): the incoming file and the replaced one.
pub const LEFTOVER_PREFIX: &str = "upload-";

/// The files SQLite keeps beside a database while it is open: checking the incoming file
/// opens it, so a crash during the check leaves these too.
const SQLITE_SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Whether a file name beside the collection is scratch of a full upload (what
/// [`leftover_path`] makes, or an SQLite side file of it), never the collection itself
/// or its own `-wal` and `-shm`.
pub fn is_upload_leftover(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(LEFTOVER_PREFIX) else {
        return false;
    };
    let rest = SQLITE_SIDE_FILES
        .iter()
        .find_map(|suffix| rest.strip_suffix(suffix))
        .unwrap_or(rest);
    rest.ends_with(".tmp")
}

/// A fresh name beside `collection` for an upload's temporary file of the given kind.
pub fn leftover_path(collection: &Path, kind: &str) -> PathBuf {
    let nonce = hex::encode(rand::random::<[u8; 8]>());
    collection.with_file_name(format!("{LEFTOVER_PREFIX}{kind}-{nonce}.anki2.tmp"))
}

/// Prepares a download (protocol §3.12): bumps the server collection's `usn` and `mod` as
/// the official server does, folds the WAL into the file and returns the file's bytes.
/// Consistent because every write to a collection happens under its user's lock, which
/// the caller holds. `conn` is a connection to the file at `collection`.
pub fn snapshot_for_download(conn: &Connection, collection: &Path) -> Result<Vec<u8>, String> {
    conn.execute(
        "UPDATE col SET usn = usn + 1, mod = ?1",
        [crate::clock::now_millis()],
    )
    .map_err(|e| format!("cannot bump usn: {e}"))?;
    let (busy, _, _): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(|e| format!("cannot checkpoint collection: {e}"))?;
    if busy != 0 {
        return Err("collection busy: checkpoint incomplete".into());
    }
    let mut bytes = Vec::new();
    File::open(collection)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read collection: {e}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replace_swaps_the_file_and_hands_back_the_old_one_under_a_leftover_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let collection = dir.path().join("collection.anki2");
        std::fs::write(&collection, b"old").expect("old");
        let incoming = leftover_path(&collection, "incoming");
        std::fs::write(&incoming, b"new").expect("new");

        let retired = replace(&collection, &incoming)
            .expect("replace")
            .expect("an old file to retire");
        assert_eq!(std::fs::read(&collection).expect("read"), b"new");
        assert_eq!(std::fs::read(&retired).expect("read"), b"old");
        assert!(!incoming.exists());
        let name = retired.file_name().expect("name").to_string_lossy();
        assert!(
            name.starts_with(LEFTOVER_PREFIX) && name.ends_with(".tmp"),
            "{name}"
        );
    }

    #[test]
    fn a_first_upload_has_nothing_to_retire() {
        let dir = tempfile::tempdir().expect("tempdir");
        let collection = dir.path().join("collection.anki2");
        let incoming = leftover_path(&collection, "incoming");
        std::fs::write(&incoming, b"first").expect("write");
        assert!(replace(&collection, &incoming).expect("replace").is_none());
        assert_eq!(std::fs::read(&collection).expect("read"), b"first");
    }
}
