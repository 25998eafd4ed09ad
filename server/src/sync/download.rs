//! `POST /sync/download` (protocol §3.12): the whole server collection, as one consistent
//! SQLite file in one zstd frame.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::state::SyncState;

use super::auth::authenticate;
use super::error::{OrStatus, SyncError};
use super::transport::{bytes_response, SyncRequest, SMALL_BODY};
use crate::collection::file as collection_file;

pub async fn download(
    state: &SyncState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, SyncError> {
    let request = SyncRequest::read(headers, body, SMALL_BODY).await?;
    let owner = authenticate(state, &request.header.host_key).await?;
    let _serialised = state.user_locks.lock(owner.user_id).await;
    // Like the official server, any of these silently aborts a normal sync in progress.
    state.sync.normal_syncs.abort(owner.user_id).await;

    let collection = collection_file::collection_path(&state.config.data_dir, owner.user_id);
    if !collection.exists() {
        return Err(SyncError::bad_request("no collection to download"));
    }
    // The download bumps the collection's usn and mod.
    state.files_meta.forget(owner.user_id);
    let blocking_state = state.clone();
    let user_id = owner.user_id;
    let response = tokio::task::spawn_blocking(move || {
        let bytes = blocking_state
            .collections
            .use_kept(user_id, &collection, |conn| {
                collection_file::snapshot_for_download(conn, &collection)
            })
            .flatten()
            .map_err(SyncError::internal)?;
        bytes_response(bytes)
    })
    .await
    .or_internal("download task failed")??;
    tracing::info!(user = %owner.username, "full download served");
    Ok(response)
}
