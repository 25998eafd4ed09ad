//! The control socket's snapshot requests: taking one now and restoring one, done by the
//! running server under the user's lock, so no request of the user's runs meanwhile.

use flashcard_flow_proto::{ErrorKind, Response};

use crate::collection::snapshots::{self, Reason, RestoreError};
use crate::state::AppState;

use super::listener::Peer;

fn refused(kind: ErrorKind, message: String) -> Response {
    Response::Error { kind, message }
}

async fn user_exists(state: &AppState, user_id: i64) -> Result<(), Response> {
    match state.with_store(move |s| s.user_by_id(user_id)).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(refused(
            ErrorKind::UnknownUser,
            format!("no user {user_id}"),
        )),
        Err(e) => Err(refused(ErrorKind::Internal, e.to_string())),
    }
}

pub async fn take_now(user_id: i64, peer: Peer, state: &AppState) -> Response {
    if let Err(response) = user_exists(state, user_id).await {
        return response;
    }
    let serialised = state.user_locks.lock(user_id).await;
    let data_dir = state.config.data_dir.clone();
    let now = state.clock.now();
    let policy = state.config.backups.unwrap_or_default();
    let taken = tokio::task::spawn_blocking(move || {
        let _serialised = serialised;
        let taken = snapshots::take(&data_dir, user_id, Reason::Manual, now)?;
        snapshots::prune(&data_dir, user_id, &policy)?;
        Ok::<_, snapshots::SnapshotError>(taken)
    })
    .await;
    match taken {
        Ok(Ok(taken)) => {
            let snapshot_id = taken.map(|s| s.id).unwrap_or_default();
            tracing::info!(uid = peer.uid, pid = peer.pid, user_id, snapshot = %snapshot_id,
                "control: snapshot taken");
            Response::SnapshotTaken {
                user_id,
                snapshot_id,
            }
        }
        Ok(Err(e)) => refused(ErrorKind::Internal, e.to_string()),
        Err(e) => refused(ErrorKind::Internal, e.to_string()),
    }
}

pub async fn restore_now(
    user_id: i64,
    snapshot_id: &str,
    peer: Peer,
    state: &AppState,
) -> Response {
    if let Err(response) = user_exists(state, user_id).await {
        return response;
    }
    let serialised = state.user_locks.lock(user_id).await;
    if state.sync.normal_syncs.is_open(user_id) {
        return refused(
            ErrorKind::Refused,
            "a normal sync of this user is open; try again once it has finished".into(),
        );
    }
    // The kept connection has the file open that is about to be replaced.
    let kept = state.collections.remove(user_id);
    let data_dir = state.config.data_dir.clone();
    let now = state.clock.now();
    let id = snapshot_id.to_string();
    let core = std::sync::Arc::clone(&state.core);
    let restored = tokio::task::spawn_blocking(move || {
        let _serialised = serialised;
        drop(kept);
        let restored = snapshots::restore(&data_dir, user_id, &id, now, || {})?;
        // The media the restored notes use, back from the trash (a failure here leaves
        // the restore done: the files stay in the trash for the operator).
        let media_db = core.media_dbs.get(
            user_id,
            &crate::sync::media::media_db_path(&data_dir, user_id),
        );
        let back = media_db.and_then(|db| {
            let mut db = db.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
        Ok(Ok(restored)) => {
            let kept_as = restored.kept_as.unwrap_or_default();
            tracing::info!(uid = peer.uid, pid = peer.pid, user_id, snapshot = snapshot_id,
                kept_as = %kept_as, "control: snapshot restored");
            Response::SnapshotRestored { user_id, kept_as }
        }
        Ok(Err(e @ RestoreError::NoSuchSnapshot(_))) => refused(ErrorKind::Refused, e.to_string()),
        Ok(Err(e)) => refused(ErrorKind::Internal, e.to_string()),
        Err(e) => refused(ErrorKind::Internal, e.to_string()),
    }
}
