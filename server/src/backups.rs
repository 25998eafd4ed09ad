//! Snapshot actions of the running server, for the control socket (adminctl) and the
//! account's backups page alike: taking one now and restoring one, under the user's lock
//! so no request of the user's runs meanwhile. A restore reaches past the collection
//! domain (it refuses while a normal sync is open, and brings media back into the media
//! database), so it lives here, above both sync and the web, and neither imports the
//! other to do it.

use std::sync::{Arc, PoisonError};

use crate::collection::snapshots::{self, Reason, RestoreError, Snapshot, SnapshotError};
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum BackupActionError {
    #[error("no user {0}")]
    UnknownUser(i64),
    #[error("the user has no snapshot {0:?}")]
    NoSuchSnapshot(String),
    #[error("a normal sync of this user is open; try again once it has finished")]
    SyncOpen,
    #[error("{0}")]
    Failed(String),
}

async fn user_exists(state: &AppState, user_id: i64) -> Result<(), BackupActionError> {
    match state.with_store(move |s| s.user_by_id(user_id)).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(BackupActionError::UnknownUser(user_id)),
        Err(e) => Err(BackupActionError::Failed(e.to_string())),
    }
}

/// Takes a snapshot of the user's collection now and prunes by the retention policy;
/// `None` when the user has no collection.
pub async fn take_now(
    state: &AppState,
    user_id: i64,
    reason: Reason,
) -> Result<Option<Snapshot>, BackupActionError> {
    user_exists(state, user_id).await?;
    let serialised = state.user_locks.lock(user_id).await;
    let data_dir = state.config.data_dir.clone();
    let now = state.clock.now();
    let policy = state.config.backups.unwrap_or_default();
    tokio::task::spawn_blocking(move || {
        let _serialised = serialised;
        let taken = snapshots::take(&data_dir, user_id, reason, now)?;
        snapshots::prune(&data_dir, user_id, &policy)?;
        Ok::<_, SnapshotError>(taken)
    })
    .await
    .map_err(|e| BackupActionError::Failed(e.to_string()))?
    .map_err(|e| BackupActionError::Failed(e.to_string()))
}

/// Restores snapshot `id` of the user while the server runs; returns the id the replaced
/// collection was kept as (`None`: there was no collection). Refused while a normal sync
/// of the user is open. Afterwards the media the restored notes use is back from the
/// trash, and every cache of the user's files is forgotten.
pub async fn restore_now(
    state: &AppState,
    user_id: i64,
    id: &str,
) -> Result<Option<String>, BackupActionError> {
    user_exists(state, user_id).await?;
    let serialised = state.user_locks.lock(user_id).await;
    if state.sync.normal_syncs.is_open(user_id) {
        return Err(BackupActionError::SyncOpen);
    }
    // The kept connection has the file open that is about to be replaced.
    let kept = state.collections.remove(user_id);
    let data_dir = state.config.data_dir.clone();
    let now = state.clock.now();
    let id = id.to_string();
    let core = Arc::clone(&state.core);
    let restored = tokio::task::spawn_blocking(move || {
        let _serialised = serialised;
        drop(kept);
        let restored = snapshots::restore(&data_dir, user_id, &id, now, || {})?;
        // A failure here leaves the restore done: the files stay in the trash for the
        // operator.
        let media_db = core.media_dbs.get(
            user_id,
            &crate::sync::media::media_db_path(&data_dir, user_id),
        );
        let back = media_db.and_then(|db| {
            let mut db = db.lock().unwrap_or_else(PoisonError::into_inner);
            crate::sync::media::media_back_from_trash(&data_dir, user_id, &mut db)
        });
        match back {
            Ok(names) if !names.is_empty() => {
                tracing::info!(user_id, files = names.len(), "media back from the trash")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(user_id, error = %e, "media not brought back"),
        }
        Ok::<_, RestoreError>(restored)
    })
    .await;
    state.files_meta.forget(user_id);
    state.studying.forget(user_id);
    match restored {
        Ok(Ok(restored)) => Ok(restored.kept_as),
        Ok(Err(RestoreError::NoSuchSnapshot(id))) => Err(BackupActionError::NoSuchSnapshot(id)),
        Ok(Err(e)) => Err(BackupActionError::Failed(e.to_string())),
        Err(e) => Err(BackupActionError::Failed(e.to_string())),
    }
}
