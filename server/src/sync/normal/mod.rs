//! Normal (incremental) sync: `start` … `finish` as one state machine per user, keyed by
//! the session key `s` of the `anki-sync` header (protocol §3.10).
//!
//! Every step runs under the user's lock, on the blocking pool, with the [`ActiveSync`]
//! moved out of the registry and back. Any error drops it, which rolls the transaction
//! back, and answers 400; a wrong or missing session answers 409.

mod changes;
mod chunks;
mod note_fields;
mod session;

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::Value;

use crate::state::SyncState;

use super::auth::authenticate;
use super::error::{OrStatus, SyncError};
use super::transport::{bytes_response, json_response, BodyLimits, SyncRequest};
use crate::collection::file as collection_file;
use crate::collection::CollectionConnection;
use session::{comparable_client_counts, ActiveSync, StartRequest};

pub use note_fields::{field_checksum, strip_html_preserving_media_filenames};

/// Normal syncs in progress, one per user at most.
#[derive(Default)]
pub struct NormalSyncs {
    active: Mutex<HashMap<i64, ActiveSync>>,
}

impl NormalSyncs {
    fn take(&self, user_id: i64) -> Option<ActiveSync> {
        self.lock().remove(&user_id)
    }

    fn put(&self, user_id: i64, sync: ActiveSync) {
        self.lock().insert(user_id, sync);
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the user has a normal sync open (between `start` and `finish`).
    pub fn is_open(&self, user_id: i64) -> bool {
        self.lock().contains_key(&user_id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, ActiveSync>> {
        self.active.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Rolls back every sync in progress (at shutdown); returns how many there were.
    pub async fn abort_all(&self) -> usize {
        let all: Vec<ActiveSync> = self.lock().drain().map(|(_, sync)| sync).collect();
        let count = all.len();
        let _ = tokio::task::spawn_blocking(move || drop(all)).await;
        count
    }

    /// Rolls back the user's sync in progress, if any. The caller holds the user's lock.
    pub async fn abort(&self, user_id: i64) {
        if let Some(sync) = self.take(user_id) {
            discard(sync).await;
        }
    }
}

/// Closing the connection rolls its transaction back: file work, so off the async workers.
async fn discard(sync: ActiveSync) {
    let _ = tokio::task::spawn_blocking(move || drop(sync)).await;
}

/// Chunks and changes can carry large notes; the collection size cap bounds them.
fn body_limits(state: &SyncState) -> BodyLimits {
    let cap = usize::try_from(state.config.max_collection_bytes).unwrap_or(usize::MAX);
    BodyLimits {
        compressed: cap,
        decompressed: cap,
    }
}

#[derive(Deserialize)]
struct ChangesRequest {
    changes: Value,
}

#[derive(Deserialize)]
struct ChunkRequest {
    chunk: Value,
}

#[derive(Deserialize)]
struct SanityRequest {
    client: Value,
}

/// What one step hands back: the reply, and the sync if it goes on.
type Step = (Response, Option<ActiveSync>);

pub async fn handle(
    state: &SyncState,
    method: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, SyncError> {
    let request = SyncRequest::read(headers, body, body_limits(state)).await?;
    let owner = authenticate(state, &request.header.host_key).await?;
    let user_id = owner.user_id;
    let _serialised = state.user_locks.lock(user_id).await;
    let session_key = request.header.session_key.clone();

    match method {
        "abort" => {
            state.sync.normal_syncs.abort(user_id).await;
            return json_response(&Value::Null);
        }
        "start" => {
            // A new start silently aborts the one in progress.
            state.sync.normal_syncs.abort(user_id).await;
            if session_key.is_empty() {
                return Err(SyncError::bad_request("missing skey"));
            }
            let start: StartRequest = request.json()?;
            let path = collection_file::collection_path(&state.config.data_dir, user_id);
            if !path.exists() {
                return Err(SyncError::bad_request(
                    "no collection: a full sync is needed",
                ));
            }
            let blocking_state = state.clone();
            let (response, sync) =
                tokio::task::spawn_blocking(move || -> Result<Step, SyncError> {
                    let conn = blocking_state
                        .collections
                        .check_out(user_id, &path)
                        .map_err(SyncError::internal)?;
                    let mut sync = ActiveSync::begin(conn, session_key, &start)?;
                    let graves = sync.start(start.graves)?;
                    Ok((json_response(&graves)?, Some(sync)))
                })
                .await
                .or_internal("sync task failed")??;
            if let Some(sync) = sync {
                state.sync.normal_syncs.put(user_id, sync);
            }
            tracing::debug!(user = %owner.username, "normal sync started");
            return Ok(response);
        }
        _ => {}
    }

    if session_key.is_empty() {
        return Err(SyncError::bad_request("missing skey"));
    }
    let Some(sync) = state.sync.normal_syncs.take(user_id) else {
        return Err(SyncError::conflict("no active sync"));
    };
    if sync.session_key != session_key {
        state.sync.normal_syncs.put(user_id, sync);
        return Err(SyncError::conflict("active sync with different key"));
    }

    let method_name = method.to_owned();
    let blocking_state = state.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        step(sync, &method_name, &request.body, |finished| {
            blocking_state.collections.check_in(user_id, finished)
        })
    })
    .await
    .or_internal("sync task failed")?;
    match outcome {
        Ok((response, Some(sync))) => {
            state.sync.normal_syncs.put(user_id, sync);
            Ok(response)
        }
        Ok((response, None)) => {
            if method == "finish" {
                state.files_meta.forget(user_id);
                tracing::info!(user = %owner.username, "normal sync finished");
                state.core.daily_snapshot_after_change(user_id);
            }
            Ok(response)
        }
        // The ActiveSync was dropped inside the step, rolling the transaction back.
        Err(e) => Err(e),
    }
}

/// Runs one stateful step on the blocking pool. On error the sync is dropped here; after
/// `finish` its connection goes to `keep`.
fn step(
    mut sync: ActiveSync,
    method: &str,
    body: &[u8],
    keep: impl FnOnce(CollectionConnection),
) -> Result<Step, SyncError> {
    let json =
        |bytes: &[u8]| serde_json::from_slice::<Value>(bytes).or_bad_request("invalid JSON body");
    match method {
        "applyGraves" => {
            let ChunkRequest { chunk } =
                serde_json::from_value(json(body)?).or_bad_request("applyGraves body")?;
            sync.apply_graves(&chunk)?;
            Ok((json_response(&Value::Null)?, Some(sync)))
        }
        "applyChanges" => {
            let ChangesRequest { changes } =
                serde_json::from_value(json(body)?).or_bad_request("applyChanges body")?;
            let reply = sync.apply_changes(changes)?;
            Ok((bytes_response(reply.into_bytes())?, Some(sync)))
        }
        "chunk" => {
            let reply = sync.chunk()?;
            Ok((bytes_response(reply.into_bytes())?, Some(sync)))
        }
        "applyChunk" => {
            let ChunkRequest { chunk } =
                serde_json::from_value(json(body)?).or_bad_request("applyChunk body")?;
            sync.apply_chunk(&chunk)?;
            Ok((json_response(&Value::Null)?, Some(sync)))
        }
        "sanityCheck2" => {
            let SanityRequest { client } =
                serde_json::from_value(json(body)?).or_bad_request("sanityCheck2 body")?;
            let client = comparable_client_counts(&client)?;
            let server = sync.sanity_counts()?;
            let ok = server.as_ref() == Some(&client);
            let reply = serde_json::json!({
                "status": if ok { "ok" } else { "bad" },
                "c": client,
                "s": server,
            });
            if !ok {
                tracing::warn!(client = %reply["c"], server = %reply["s"], "sanity check failed; sync rolled back");
            }
            // On "bad" the sync is over: dropping it rolls everything back.
            Ok((json_response(&reply)?, ok.then_some(sync)))
        }
        "finish" => {
            let (now, conn) = sync.finish()?;
            keep(conn);
            Ok((json_response(&now)?, None))
        }
        other => Err(SyncError::bad_request(format!(
            "Invalid URL: unknown sync method {other:?}"
        ))),
    }
}
