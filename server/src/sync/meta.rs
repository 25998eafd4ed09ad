//! `POST /sync/meta` (protocol §3.3): the first call of every sync. It re-checks the host
//! key in the database and reports the server collection's counters.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::state::SyncState;

use super::auth::authenticate_fresh;
use super::error::{OrStatus, SyncError};
use super::transport::{
    json_response, SyncRequest, MAX_SYNC_VERSION, MIN_SYNC_VERSION, SMALL_BODY,
};
use crate::collection::file::{collection_path, read_meta, CollectionMeta};
use crate::collection::UserFilesMeta;

#[derive(Deserialize)]
struct MetaRequest {
    #[serde(rename = "v")]
    version: i64,
    #[serde(rename = "cv", default)]
    client_version: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
struct MetaResponse {
    #[serde(rename = "mod")]
    modified: i64,
    scm: i64,
    usn: i32,
    ts: i64,
    msg: String,
    cont: bool,
    #[serde(rename = "hostNum")]
    host_num: u32,
    empty: bool,
    media_usn: i32,
}

pub async fn meta(
    state: &SyncState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, SyncError> {
    let request = SyncRequest::read(headers, body, SMALL_BODY).await?;
    let owner = authenticate_fresh(state, &request.header.host_key).await?;
    let MetaRequest {
        version,
        client_version,
    } = request.json()?;
    if !(i64::from(MIN_SYNC_VERSION)..=i64::from(MAX_SYNC_VERSION)).contains(&version) {
        return Err(SyncError::client_too_old(format!(
            "client sync version {version} unsupported"
        )));
    }

    let _serialised = state.user_locks.lock(owner.user_id).await;
    // Like the official server, any of these silently aborts a normal sync in progress.
    state.sync.normal_syncs.abort(owner.user_id).await;
    let UserFilesMeta {
        collection,
        media_usn,
    } = match state.files_meta.get(owner.user_id) {
        Some(cached) => cached,
        None => {
            let path = collection_path(&state.config.data_dir, owner.user_id);
            let media_db = super::media::media_db_path(&state.config.data_dir, owner.user_id);
            let fresh = tokio::task::spawn_blocking(move || {
                let collection = read_meta(&path)?;
                let media_usn = super::media::MediaDb::last_usn_at(&media_db)
                    .map_err(|e| format!("cannot read media usn: {e}"))?;
                Ok::<_, String>(UserFilesMeta {
                    collection,
                    media_usn,
                })
            })
            .await
            .or_internal("collection read task failed")?
            .or_internal("cannot read collection")?;
            state.files_meta.put(owner.user_id, fresh);
            fresh
        }
    };
    // With no collection yet, report an empty one whose schema time is the account's
    // creation: stable across calls, so a fresh client (mod 0) sees NO_CHANGES and a
    // client with cards is offered a full upload.
    let CollectionMeta {
        modified_ms,
        schema_ms,
        usn,
        empty,
    } = collection.unwrap_or(CollectionMeta {
        modified_ms: 0,
        schema_ms: owner.user_created_at.saturating_mul(1000),
        usn: 0,
        empty: true,
    });
    tracing::debug!(user = %owner.username, client = %client_version, "sync meta");
    json_response(&MetaResponse {
        modified: modified_ms,
        scm: schema_ms,
        usn,
        ts: clock::now(),
        msg: String::new(),
        cont: true,
        host_num: 0,
        empty,
        media_usn,
    })
}
