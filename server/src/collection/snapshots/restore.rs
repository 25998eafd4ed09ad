//! Putting a snapshot back as the user's collection. The collection it replaces becomes a
//! snapshot first, so a restore can itself be undone. The restored file gets a new schema
//! time: every device's next sync then sees a schema change and asks its user to choose a
//! full sync (Anki: "Upload to AnkiWeb" or "Download from AnkiWeb"); choosing Download
//! gives the device the restored collection. The caller holds the user's lock and has no
//! normal sync of the user open.

use std::path::Path;

use r2d2_sqlite::rusqlite::OpenFlags;

use super::{data_file, decompress, take, Reason, SnapshotError};
use crate::collection::file::{self as collection_file, collection_path, UploadRejected};

#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("the user has no snapshot {0:?}")]
    NoSuchSnapshot(String),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("snapshot {id:?} does not read as a collection: {reason}")]
    Unreadable { id: String, reason: String },
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The snapshot the replaced collection was kept as (`None`: there was none).
    pub kept_as: Option<String>,
}

/// Restores snapshot `id` of the user at `now` (seconds). `before_replace` runs just
/// before the file is swapped (the server closes its kept connection there). Blocking.
pub fn restore(
    data_dir: &Path,
    user_id: i64,
    id: &str,
    now: i64,
    before_replace: impl FnOnce(),
) -> Result<Restored, RestoreError> {
    let data =
        data_file(data_dir, user_id, id).ok_or_else(|| RestoreError::NoSuchSnapshot(id.into()))?;
    let target = collection_path(data_dir, user_id);
    let candidate = collection_file::leftover_path(&target, "restore");
    let result = restore_into(
        data_dir,
        user_id,
        id,
        now,
        &data,
        &target,
        &candidate,
        before_replace,
    );
    // What is left of a failed restore (after a replace, nothing is).
    let _ = std::fs::remove_file(&candidate);
    result
}

#[allow(clippy::too_many_arguments)]
fn restore_into(
    data_dir: &Path,
    user_id: i64,
    id: &str,
    now: i64,
    data: &Path,
    target: &Path,
    candidate: &Path,
    before_replace: impl FnOnce(),
) -> Result<Restored, RestoreError> {
    decompress(data, candidate)?;
    let unreadable = |reason: String| RestoreError::Unreadable {
        id: id.into(),
        reason,
    };
    collection_file::validate(candidate).map_err(|e| match e {
        UploadRejected::Corrupt(reason) => unreadable(reason),
        UploadRejected::TooLarge => unreadable("too large".into()),
        UploadRejected::Io(e) => unreadable(e.to_string()),
    })?;
    {
        let conn = collection_file::open(candidate, OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(|e| unreadable(e.to_string()))?;
        // A schema time no device has: later than the live collection's and the
        // snapshot's own, even for two restores within one second.
        let live_scm = collection_file::read_meta(target)
            .ok()
            .flatten()
            .map_or(0, |m| m.schema_ms);
        let restored_scm: i64 = conn
            .query_row("SELECT scm FROM col", [], |r| r.get(0))
            .map_err(|e| unreadable(e.to_string()))?;
        let scm = now
            .saturating_mul(1000)
            .max(live_scm.saturating_add(1))
            .max(restored_scm.saturating_add(1));
        conn.execute("UPDATE col SET scm = ?1, mod = ?1", [scm])
            .map_err(|e| unreadable(e.to_string()))?;
    }
    let kept = take(data_dir, user_id, Reason::BeforeRestore, now)?;
    before_replace();
    let retired =
        collection_file::replace(target, candidate).map_err(|source| SnapshotError::Io {
            path: target.to_owned(),
            source,
        })?;
    if let Some(old) = retired {
        let _ = std::fs::remove_file(old);
    }
    Ok(Restored {
        kept_as: kept.map(|s| s.id),
    })
}
