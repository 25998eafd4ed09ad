//! `POST /sync/upload` (protocol §3.11): the client's whole collection as one zstd frame.
//! The answer is text: `OK`, or a message the client shows. Nothing replaces the stored
//! collection until the upload is complete, decompressed within the cap, and has passed
//! the integrity and schema checks; a failed or interrupted upload leaves it untouched.

use std::sync::Arc;

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::state::AppState;

use super::auth::authenticate;
use super::collection_file::{self, UploadRejected};
use super::error::{OrStatus, SyncError};
use super::transport::{bytes_response, parse_sync_header};

/// The official server's exact texts; the client shows them to the user.
pub const UPLOAD_OK: &str = "OK";
pub const UPLOAD_TOO_LARGE: &str = "collection exceeds size limit";
pub const UPLOAD_CORRUPT: &str =
    "Your upload was corrupt. Please use Check Database, or restore from backup.";

pub async fn upload(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, SyncError> {
    let header = parse_sync_header(headers)?;
    let owner = authenticate(state, &header.host_key).await?;
    let _serialised = state.user_locks.lock(owner.user_id).await;
    // Like the official server, any of these silently aborts a normal sync in progress.
    state.normal_syncs.abort(owner.user_id).await;

    let dir = collection_file::user_dir(&state.config.data_dir, owner.user_id);
    tokio::fs::create_dir_all(&dir)
        .await
        .or_internal("cannot create user directory")?;
    remove_leftover_uploads(&dir).await;
    let nonce = hex::encode(rand::random::<[u8; 8]>());
    let compressed_path = dir.join(format!("upload-{nonce}.zst.tmp"));
    let collection_path = dir.join(format!("upload-{nonce}.anki2.tmp"));
    let limit = state.config.max_collection_bytes;

    let received = receive(body, &compressed_path, limit).await;
    let outcome = match received {
        Ok(()) => {
            let (compressed, candidate) = (compressed_path.clone(), collection_path.clone());
            let target = collection_file::collection_path(&state.config.data_dir, owner.user_id);
            tokio::task::spawn_blocking(move || {
                collection_file::write_decompressed(&compressed, &candidate, limit)?;
                collection_file::validate(&candidate)?;
                collection_file::replace(&target, &candidate)?;
                Ok::<_, UploadRejected>(())
            })
            .await
            .or_internal("upload task failed")?
        }
        Err(e) => Err(e),
    };
    state.files_meta.forget(owner.user_id);
    for leftover in [&compressed_path, &collection_path] {
        let _ = tokio::fs::remove_file(leftover).await;
    }
    let reply = match outcome {
        Ok(()) => {
            tracing::info!(user = %owner.username, "full upload stored");
            UPLOAD_OK
        }
        Err(UploadRejected::TooLarge) => {
            tracing::info!(user = %owner.username, limit, "full upload over the size limit");
            UPLOAD_TOO_LARGE
        }
        Err(UploadRejected::Corrupt(reason)) => {
            tracing::info!(user = %owner.username, %reason, "full upload refused");
            UPLOAD_CORRUPT
        }
        Err(UploadRejected::Io(e)) => return Err(SyncError::internal(format!("upload: {e}"))),
    };
    bytes_response(reply.as_bytes().to_vec())
}

/// Streams the (chunked) request body to a file, keeping at most `limit` bytes.
///
/// Past the limit the rest is read and discarded, up to twice the limit, so the client
/// can read the answer and show "collection exceeds size limit" instead of a network
/// error; a body larger still is cut off.
async fn receive(body: Body, path: &std::path::Path, limit: u64) -> Result<(), UploadRejected> {
    let mut file = tokio::fs::File::create(path).await?;
    let mut stream = body.into_data_stream();
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| UploadRejected::Corrupt(format!("body interrupted: {e}")))?;
        total = total.saturating_add(chunk.len() as u64);
        if total > limit.saturating_mul(2) {
            return Err(UploadRejected::TooLarge);
        }
        if total <= limit {
            file.write_all(&chunk).await?;
        }
    }
    if total > limit {
        return Err(UploadRejected::TooLarge);
    }
    file.flush().await?;
    Ok(())
}

/// Temp files of an upload cut short by a crash; safe to delete under the user's lock.
async fn remove_leftover_uploads(dir: &std::path::Path) {
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("upload-") && name.ends_with(".tmp") {
            let _ = tokio::fs::remove_file(entry.path()).await;
        }
    }
}
