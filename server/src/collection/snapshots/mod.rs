//! Snapshots of a user's collection (DESIGN §12): consistent, compressed, atomically
//! written and checked copies under `users/<id>/backups/`, taken before a full upload
//! replaces the collection and once a day, and pruned by a retention policy like Anki's
//! own backups.
//!
//! A snapshot is two files: `<id>.anki2.zst` (the collection as `VACUUM INTO` wrote it,
//! zstd-compressed with a checksum) and `<id>.json` (what it is). Both are written under
//! temporary names and renamed into place, the data file first: a crash leaves at most
//! a data file without its description or a temporary file, which [`sweep`] removes, and
//! never a listed snapshot that is half written. The caller holds the user's lock.

mod restore;
mod retention;

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use r2d2_sqlite::rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};

use super::file::{self as collection_file, collection_path, user_dir};

pub use restore::{restore, RestoreError, Restored};
pub use retention::{prune, Retention};

const DATA_SUFFIX: &str = ".anki2.zst";
const META_SUFFIX: &str = ".json";
const TEMP_PREFIX: &str = ".snapshot-";
/// zstd level of snapshots: fast, and a collection is mostly text and empty pages.
const LEVEL: i32 = 3;

/// Why a snapshot was taken; the retention policy keeps each kind by its own rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The collection a full upload replaced.
    Replaced,
    /// The first snapshot of a day on which the collection changed.
    Daily,
    /// Asked for by an operator.
    Manual,
    /// The collection a restore replaced (kept like a replaced one).
    BeforeRestore,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Replaced => "replaced",
            Reason::Daily => "daily",
            Reason::Manual => "manual",
            Reason::BeforeRestore => "before-restore",
        }
    }
}

/// One snapshot, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: String,
    pub reason: Reason,
    /// When it was taken (Unix seconds).
    pub taken_at: i64,
    /// The compressed size on disk.
    pub bytes: u64,
    pub notes: i64,
    pub cards: i64,
    pub reviews: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("snapshot I/O on {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("reading the collection for a snapshot: {0}")]
    Sqlite(#[from] r2d2_sqlite::rusqlite::Error),
    #[error("the copy of the collection failed its check: {0}")]
    CheckFailed(String),
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The folder of a user's directory that holds the snapshots.
pub const BACKUPS_FOLDER: &str = "backups";

/// Where a user's snapshots live.
pub fn backups_dir(data_dir: &Path, user_id: i64) -> PathBuf {
    user_dir(data_dir, user_id).join(BACKUPS_FOLDER)
}

/// The compressed collection of snapshot `id`, if `id` names one of the user's snapshots
/// (an id is only ever a name of the user's own folder, never a path).
pub fn data_file(data_dir: &Path, user_id: i64, id: &str) -> Option<PathBuf> {
    if !valid_id(id) {
        return None;
    }
    let dir = backups_dir(data_dir, user_id);
    let data = dir.join(format!("{id}{DATA_SUFFIX}"));
    let meta = dir.join(format!("{id}{META_SUFFIX}"));
    (data.is_file() && meta.is_file()).then_some(data)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `20261202-061500`, UTC.
fn stamp(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::clock::civil_date(days);
    format!(
        "{y:04}{m:02}{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Takes a snapshot of the user's collection at `now` (seconds); `None` when the user
/// has no collection. Blocking.
pub fn take(
    data_dir: &Path,
    user_id: i64,
    reason: Reason,
    now: i64,
) -> Result<Option<Snapshot>, SnapshotError> {
    let source = collection_path(data_dir, user_id);
    if !source.exists() {
        return Ok(None);
    }
    let dir = backups_dir(data_dir, user_id);
    fs::create_dir_all(&dir).map_err(io_at(&dir))?;
    let nonce = hex::encode(rand::random::<[u8; 6]>());
    let copy = dir.join(format!("{TEMP_PREFIX}{nonce}.anki2.tmp"));
    let result = write_snapshot(&source, &dir, &copy, &nonce, reason, now);
    // The uncompressed copy is scratch whatever happened; after a failure (a full disk,
    // say) so is every temporary of this snapshot, at once rather than at the next sweep.
    let _ = fs::remove_file(&copy);
    if result.is_err() {
        for suffix in [".zst.tmp", ".json.tmp"] {
            let _ = fs::remove_file(dir.join(format!("{TEMP_PREFIX}{nonce}{suffix}")));
        }
    }
    result.map(Some)
}

fn write_snapshot(
    source: &Path,
    dir: &Path,
    copy: &Path,
    nonce: &str,
    reason: Reason,
    now: i64,
) -> Result<Snapshot, SnapshotError> {
    collection_file::consistent_copy(source, copy)?;
    let (notes, cards, reviews) = check_copy(copy)?;

    let id = unused_id(dir, &format!("{}-{}", stamp(now), reason.as_str()));
    let data_tmp = dir.join(format!("{TEMP_PREFIX}{nonce}.zst.tmp"));
    compress(copy, &data_tmp)?;
    let data = dir.join(format!("{id}{DATA_SUFFIX}"));
    fs::rename(&data_tmp, &data).map_err(io_at(&data))?;
    let bytes = fs::metadata(&data).map_err(io_at(&data))?.len();
    let snapshot = Snapshot {
        id: id.clone(),
        reason,
        taken_at: now,
        bytes,
        notes,
        cards,
        reviews,
    };
    let described = describe(dir, nonce, &snapshot);
    if described.is_err() {
        // A snapshot that is not wholly written goes now, not at the next sweep.
        let _ = fs::remove_file(dir.join(format!("{id}{META_SUFFIX}")));
        let _ = fs::remove_file(&data);
    }
    described.map(|()| snapshot)
}

/// Writes the snapshot's description beside its data, which makes it listed.
fn describe(dir: &Path, nonce: &str, snapshot: &Snapshot) -> Result<(), SnapshotError> {
    let meta_tmp = dir.join(format!("{TEMP_PREFIX}{nonce}.json.tmp"));
    let meta = dir.join(format!("{}{META_SUFFIX}", snapshot.id));
    let json = serde_json::to_vec_pretty(snapshot).map_err(|e| SnapshotError::Io {
        path: meta.clone(),
        source: io::Error::other(e),
    })?;
    write_synced(&meta_tmp, &json)?;
    fs::rename(&meta_tmp, &meta).map_err(io_at(&meta))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at(dir))
}

/// The copy must pass SQLite's check and read as a collection; returns its counts.
fn check_copy(copy: &Path) -> Result<(i64, i64, i64), SnapshotError> {
    let conn = collection_file::open(copy, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(SnapshotError::CheckFailed(verdict));
    }
    // The counts describe the snapshot; a table the file lacks counts as empty (the copy
    // is still kept: it is what the server had).
    let count = |table: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap_or(0)
    };
    Ok((count("notes"), count("cards"), count("revlog")))
}

fn compress(from: &Path, to: &Path) -> Result<(), SnapshotError> {
    let input = File::open(from).map_err(io_at(from))?;
    let output = File::create(to).map_err(io_at(to))?;
    let mut encoder = zstd::Encoder::new(BufWriter::new(output), LEVEL).map_err(io_at(to))?;
    encoder.include_checksum(true).map_err(io_at(to))?;
    io::copy(&mut BufReader::new(input), &mut encoder).map_err(io_at(to))?;
    let writer = encoder.finish().map_err(io_at(to))?;
    let file = writer.into_inner().map_err(|e| SnapshotError::Io {
        path: to.to_owned(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(io_at(to))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    let mut file = File::create(path).map_err(io_at(path))?;
    file.write_all(bytes).map_err(io_at(path))?;
    file.sync_all().map_err(io_at(path))
}

fn unused_id(dir: &Path, base: &str) -> String {
    let mut id = base.to_owned();
    let mut n = 2;
    while dir.join(format!("{id}{DATA_SUFFIX}")).exists() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// The user's snapshots, newest first. Files that are not a complete snapshot are not
/// listed.
pub fn list(data_dir: &Path, user_id: i64) -> Result<Vec<Snapshot>, SnapshotError> {
    let dir = backups_dir(data_dir, user_id);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_at(&dir)(e)),
    };
    let mut snapshots = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io_at(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_suffix(META_SUFFIX) else {
            continue;
        };
        if !valid_id(id) || !dir.join(format!("{id}{DATA_SUFFIX}")).is_file() {
            continue;
        }
        let text = fs::read(entry.path()).map_err(io_at(&entry.path()))?;
        match serde_json::from_slice::<Snapshot>(&text) {
            Ok(snapshot) if snapshot.id == id => snapshots.push(snapshot),
            _ => tracing::warn!(user_id, file = %name, "unreadable snapshot description"),
        }
    }
    snapshots.sort_by(|a, b| b.taken_at.cmp(&a.taken_at).then(b.id.cmp(&a.id)));
    Ok(snapshots)
}

/// Removes snapshot `id` (both files, the description first so it is never listed
/// without its data).
pub fn remove(data_dir: &Path, user_id: i64, id: &str) -> Result<(), SnapshotError> {
    if !valid_id(id) {
        return Ok(());
    }
    let dir = backups_dir(data_dir, user_id);
    for suffix in [META_SUFFIX, DATA_SUFFIX] {
        let path = dir.join(format!("{id}{suffix}"));
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at(&path)(e)),
        }
    }
    Ok(())
}

/// Removes what a crash left in the user's snapshot folder: temporary files, and data
/// files whose description was never written. The caller holds the user's lock.
pub fn sweep(data_dir: &Path, user_id: i64) -> Result<u32, SnapshotError> {
    sweep_dir(&backups_dir(data_dir, user_id))
}

/// [`sweep`] of a snapshot folder.
pub fn sweep_dir(dir: &Path) -> Result<u32, SnapshotError> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let orphan = name
            .strip_suffix(DATA_SUFFIX)
            .is_some_and(|id| !dir.join(format!("{id}{META_SUFFIX}")).exists());
        if name.starts_with(TEMP_PREFIX) || orphan {
            fs::remove_file(entry.path()).map_err(io_at(&entry.path()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether a daily snapshot is due at `now`: none taken on this (UTC) day yet. Reads
/// only the folder's names (an id starts with its UTC date and names its reason), so it is
/// cheap enough to ask after every sync.
pub fn daily_due(data_dir: &Path, user_id: i64, now: i64) -> Result<bool, SnapshotError> {
    let dir = backups_dir(data_dir, user_id);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(io_at(&dir)(e)),
    };
    let today = &stamp(now)[..8];
    let daily = format!("-{}", Reason::Daily.as_str());
    let taken_today = entries.flatten().any(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        name.strip_suffix(META_SUFFIX).is_some_and(|id| {
            id.starts_with(today) && (id.ends_with(&daily) || id.contains(&format!("{daily}-")))
        })
    });
    Ok(!taken_today)
}

/// Decompresses snapshot data to `to` (for a restore or a download). Blocking.
pub fn decompress(data: &Path, to: &Path) -> Result<(), SnapshotError> {
    let input = File::open(data).map_err(io_at(data))?;
    let mut output = BufWriter::new(File::create(to).map_err(io_at(to))?);
    zstd::stream::copy_decode(BufReader::new(input), &mut output).map_err(io_at(data))?;
    output.flush().map_err(io_at(to))
}

/// Opens a decompressed snapshot read-only (tests and checks).
pub fn open_copy(path: &Path) -> Result<Connection, SnapshotError> {
    Ok(collection_file::open(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?)
}

#[cfg(test)]
mod tests;
