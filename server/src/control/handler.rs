//! One control connection: the `Hello` handshake, then request/response pairs.

use std::sync::Arc;

use flashcard_flow_proto::{
    decode, encode, frame_codec, ErrorKind, Request, Response, StatusReport, PROTOCOL_VERSION,
};
use futures_util::{SinkExt, StreamExt};
use tokio::net::UnixStream;
use tokio_util::codec::Framed;

use super::listener::Peer;
use super::READ_TIMEOUT;
use crate::clock;
use crate::state::AppState;
use crate::store::AuditEntry;

pub async fn handle_connection(stream: UnixStream, peer: Peer, state: Arc<AppState>) {
    let mut framed = Framed::new(stream, frame_codec());
    let mut greeted = false;
    loop {
        let frame = match tokio::time::timeout(READ_TIMEOUT, framed.next()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(e))) => {
                tracing::info!(uid = peer.uid, pid = peer.pid, error = %e, "control: bad frame; closing");
                return;
            }
            // Closed by the peer, or idle past the read timeout.
            Ok(None) | Err(_) => return,
        };
        let response = match decode::<Request>(&frame) {
            Err(e) => error(ErrorKind::UnknownRequest, format!("cannot decode request: {e}")),
            Ok(Request::Hello {
                protocol_version, ..
            }) if protocol_version != PROTOCOL_VERSION => error(
                ErrorKind::UnsupportedVersion,
                format!("protocol {protocol_version} unsupported; this server speaks {PROTOCOL_VERSION}"),
            ),
            Ok(Request::Hello { client_name, .. }) => {
                greeted = true;
                tracing::debug!(uid = peer.uid, pid = peer.pid, client = %client_name, "control: hello");
                Response::Hello {
                    protocol_version: PROTOCOL_VERSION,
                    server_version: env!("CARGO_PKG_VERSION").into(),
                    database: state.store.identity().clone(),
                }
            }
            Ok(_) if !greeted => error(ErrorKind::HandshakeRequired, "send Hello first".into()),
            Ok(request) => answer(request, peer, &state).await,
        };
        let close = matches!(
            response,
            Response::Error {
                kind: ErrorKind::HandshakeRequired | ErrorKind::UnsupportedVersion,
                ..
            }
        );
        let bytes = match encode(&response) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!(error = %e, "control: cannot encode response");
                return;
            }
        };
        if framed.send(bytes::Bytes::from(bytes)).await.is_err() || close {
            return;
        }
    }
}

fn error(kind: ErrorKind, message: String) -> Response {
    Response::Error { kind, message }
}

async fn answer(request: Request, peer: Peer, state: &AppState) -> Response {
    match request {
        Request::Hello { .. } => error(ErrorKind::UnknownRequest, "already greeted".into()),
        Request::Ping => Response::Pong,
        Request::Status => {
            let (cached_users, cached_host_keys) = state.host_keys.counts();
            Response::Status(StatusReport {
                server_version: env!("CARGO_PKG_VERSION").into(),
                pid: std::process::id(),
                uptime_secs: state.started.elapsed().as_secs(),
                cached_users,
                cached_host_keys,
                active_syncs: u32::try_from(state.sync.normal_syncs.len()).unwrap_or(u32::MAX),
            })
        }
        Request::RefreshUser {
            user_id,
            credential_generation,
        } => refresh_user(user_id, credential_generation, peer, state).await,
        Request::TakeSnapshot { user_id } => super::snapshots::take_now(user_id, peer, state).await,
        Request::RestoreSnapshot {
            user_id,
            snapshot_id,
        } => super::snapshots::restore_now(user_id, &snapshot_id, peer, state).await,
    }
}

async fn refresh_user(
    user_id: i64,
    credential_generation: i64,
    peer: Peer,
    state: &AppState,
) -> Response {
    let evicted = match state.refresh_user(user_id, credential_generation).await {
        Ok(n) => n,
        Err(e) => return error(ErrorKind::Internal, format!("refresh failed: {e}")),
    };
    tracing::info!(
        uid = peer.uid,
        pid = peer.pid,
        user_id,
        credential_generation,
        evicted,
        "control: user refreshed"
    );
    let audit = AuditEntry {
        at: clock::now(),
        actor: format!("admin uid={} pid={} via control socket", peer.uid, peer.pid),
        action: "control.refresh_user".into(),
        user_id: Some(user_id),
        detail: format!("generation={credential_generation} evicted_keys={evicted}"),
    };
    if let Err(e) = state.with_store(move |s| s.append_audit(&audit)).await {
        tracing::warn!(error = %e, "control: cannot write audit row");
    }
    Response::UserRefreshed {
        user_id,
        evicted_host_keys: evicted,
    }
}
