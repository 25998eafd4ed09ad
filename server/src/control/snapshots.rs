//! The control socket's snapshot requests: taking one now and restoring one, done by the
//! running server ([`crate::backups`]).

use flashcard_flow_proto::{ErrorKind, Response};

use crate::backups::{self, BackupActionError};
use crate::collection::snapshots::Reason;
use crate::state::AppState;

use super::listener::Peer;

fn refused(e: BackupActionError) -> Response {
    let kind = match e {
        BackupActionError::UnknownUser(_) => ErrorKind::UnknownUser,
        BackupActionError::NoSuchSnapshot(_) | BackupActionError::SyncOpen => ErrorKind::Refused,
        BackupActionError::Failed(_) => ErrorKind::Internal,
    };
    Response::Error {
        kind,
        message: e.to_string(),
    }
}

pub async fn take_now(user_id: i64, peer: Peer, state: &AppState) -> Response {
    match backups::take_now(state, user_id, Reason::Manual).await {
        Ok(taken) => {
            let snapshot_id = taken.map(|s| s.id).unwrap_or_default();
            tracing::info!(uid = peer.uid, pid = peer.pid, user_id, snapshot = %snapshot_id,
                "control: snapshot taken");
            Response::SnapshotTaken {
                user_id,
                snapshot_id,
            }
        }
        Err(e) => refused(e),
    }
}

pub async fn restore_now(
    user_id: i64,
    snapshot_id: &str,
    peer: Peer,
    state: &AppState,
) -> Response {
    match backups::restore_now(state, user_id, snapshot_id).await {
        Ok(kept_as) => {
            let kept_as = kept_as.unwrap_or_default();
            tracing::info!(uid = peer.uid, pid = peer.pid, user_id, snapshot = snapshot_id,
                kept_as = %kept_as, "control: snapshot restored");
            Response::SnapshotRestored { user_id, kept_as }
        }
        Err(e) => refused(e),
    }
}
