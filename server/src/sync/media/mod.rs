//! Media sync, `/msync/*` (protocol §4): the user's media folder and its database,
//! `users/<id>/media/` and `users/<id>/media.db`. Results are wrapped as
//! `{"data": ..., "err": ""}`; `downloadFiles` answers a raw zip.

mod archive;
mod db;
mod from_trash;
mod open_dbs;

use std::path::{Path, PathBuf};
use std::sync::PoisonError;

use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use tokio::sync::OwnedMutexGuard;

use crate::collection::media_names as names;
use crate::collection::media_trash;
use crate::state::SyncState;
use crate::store::SyncKeyOwner;

use super::auth::authenticate;
use super::error::{OrStatus, SyncError};
use super::leftovers;
use super::transport::{bytes_response, json_response, BodyLimits, SyncRequest, SMALL_BODY};
use crate::collection::file::user_dir;

pub use db::MediaDb;
pub use from_trash::bring_back as media_back_from_trash;
pub use open_dbs::OpenMediaDbs;

/// An upload zip: one file of up to 100 MiB plus the rest of a batch, compressed or not.
const UPLOAD_BODY: BodyLimits = BodyLimits {
    compressed: 110 * 1024 * 1024,
    decompressed: 110 * 1024 * 1024,
};

pub fn media_db_path(data_dir: &Path, user_id: i64) -> PathBuf {
    user_dir(data_dir, user_id).join("media.db")
}

/// The folder in a user's directory where an upload writes each file before renaming it
/// into `media/`. Everything in it is scratch: a file there after a crash is one that was
/// never placed, and the client still has it (its usn was never committed).
pub const SCRATCH_FOLDER: &str = "media-incoming";

/// `POST /msync/{method}`.
pub async fn media_method(
    State(state): State<SyncState>,
    UrlPath(method): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let limits = if method == "uploadChanges" {
        UPLOAD_BODY
    } else {
        SMALL_BODY
    };
    let result = async {
        let request = SyncRequest::read(&headers, body, limits).await?;
        let owner = authenticate(&state, &request.header.host_key).await?;
        let serialised = state.user_locks.lock(owner.user_id).await;
        let data_dir = state.config.data_dir.clone();
        let host_key = request.header.host_key.clone();
        let user_id = owner.user_id;
        // Uploads and downloads (which may forget a vanished file) change the media usn.
        if matches!(method.as_str(), "uploadChanges" | "downloadFiles") {
            state.files_meta.forget(owner.user_id);
        }
        match method.as_str() {
            "begin" => {
                blocking(&state, serialised, user_id, move |db| {
                    begin(db, &request.json()?, host_key)
                })
                .await
            }
            "mediaChanges" => {
                blocking(&state, serialised, user_id, move |db| {
                    changes(db, &request.json()?)
                })
                .await
            }
            "uploadChanges" => {
                let trash = state.config.backups.map(|policy| Trash {
                    keep_days: media_trash::keep_days(&policy),
                    now: state.clock.now(),
                });
                blocking(&state, serialised, user_id, move |db| {
                    upload(db, &data_dir, &owner, &request.body, trash)
                })
                .await
            }
            "downloadFiles" => {
                blocking(&state, serialised, user_id, move |db| {
                    download(db, &data_dir, &owner, &request.json()?)
                })
                .await
            }
            "mediaSanity" => {
                blocking(&state, serialised, user_id, move |db| {
                    sanity(db, &request.json()?)
                })
                .await
            }
            _ => Err(SyncError::bad_request(format!(
                "Invalid URL: unknown media method {method:?}"
            ))),
        }
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Runs a media operation on the blocking pool with the user's media database, opened
/// there too when it is not kept open already, since opening touches the disk.
///
/// The user's lock moves into the task and is released when the work ends, not when the
/// request does: a request dropped early (the client hung up) leaves its blocking task
/// running, and that task must still keep the user's other requests, and their leftover
/// sweeps, out.
async fn blocking<F>(
    state: &SyncState,
    serialised: OwnedMutexGuard<()>,
    user_id: i64,
    work: F,
) -> Result<Response, SyncError>
where
    F: FnOnce(&mut MediaDb) -> Result<Response, SyncError> + Send + 'static,
{
    let state = state.clone();
    tokio::task::spawn_blocking(move || {
        let _serialised = serialised;
        let db = state
            .media_dbs
            .get(user_id, &media_db_path(&state.config.data_dir, user_id))
            .or_internal("cannot open media db")?;
        // Uncontended: the caller holds the user's lock.
        let mut db = db.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut db)
    })
    .await
    .or_internal("media task failed")?
}

fn wrapped(data: Value) -> Result<Response, SyncError> {
    json_response(&json!({"data": data, "err": ""}))
}

#[derive(Deserialize)]
struct BeginRequest {
    #[serde(rename = "v", default)]
    client_version: String,
}

fn begin(
    db: &mut MediaDb,
    request: &BeginRequest,
    host_key: String,
) -> Result<Response, SyncError> {
    if request.client_version.is_empty() {
        return Err(SyncError::bad_request(
            "media begin without a client version",
        ));
    }
    let usn = db.last_usn().or_internal("media usn")?;
    // `sk` was a media session key once; clients now ignore it.
    wrapped(json!({"usn": usn, "sk": host_key}))
}

#[derive(Deserialize)]
struct ChangesRequest {
    #[serde(rename = "lastUsn")]
    last_usn: i32,
}

fn changes(db: &mut MediaDb, request: &ChangesRequest) -> Result<Response, SyncError> {
    let rows = db
        .changes_since(request.last_usn)
        .or_internal("media changes")?;
    wrapped(json!(rows))
}

/// Where an upload puts the files it deletes or replaces (with backups on).
#[derive(Debug, Clone, Copy)]
struct Trash {
    keep_days: i64,
    now: i64,
}

fn upload(
    db: &mut MediaDb,
    data_dir: &Path,
    owner: &SyncKeyOwner,
    zip: &[u8],
    trash: Option<Trash>,
) -> Result<Response, SyncError> {
    let changes = archive::read_upload(zip).map_err(|e| SyncError::bad_request(e.to_string()))?;
    let folder = crate::collection::file::media_folder(data_dir, owner.user_id);
    let dir = user_dir(data_dir, owner.user_id);
    let scratch = dir.join(SCRATCH_FOLDER);
    // Under the user's lock (held by `blocking`), so nothing else is writing scratch now.
    leftovers::sweep_user(&dir);
    std::fs::create_dir_all(&folder).or_internal("cannot create media folder")?;
    std::fs::create_dir_all(&scratch).or_internal("cannot create media scratch folder")?;
    let mut batch = db.changes().or_internal("media transaction")?;
    let mut removed = Vec::new();
    for change in &changes {
        match &change.data {
            Some(data) => {
                let sum = Sha1::digest(data);
                let size = i64::try_from(data.len()).unwrap_or(i64::MAX);
                if batch
                    .record(&change.fname, Some((sum.as_slice(), size)))
                    .or_internal("media record")?
                {
                    // Written aside, then renamed into place: a file is whole or absent.
                    let incoming = scratch.join(hex::encode(rand::random::<[u8; 8]>()));
                    std::fs::write(&incoming, data).or_internal("cannot write media file")?;
                    let target = folder.join(&change.fname);
                    if let (Some(trash), true) = (trash, target.is_file()) {
                        media_trash::keep(
                            data_dir,
                            owner.user_id,
                            &change.fname,
                            &target,
                            trash.now,
                        )
                        .or_internal("cannot keep the replaced media file")?;
                    }
                    std::fs::rename(&incoming, &target).or_internal("cannot place media file")?;
                }
            }
            None => {
                if batch
                    .record(&change.fname, None)
                    .or_internal("media record")?
                {
                    removed.push(&change.fname);
                }
            }
        }
    }
    batch.commit().or_internal("media commit")?;
    for name in removed {
        let path = folder.join(name);
        match trash {
            Some(trash) => {
                if let Err(e) = media_trash::keep(data_dir, owner.user_id, name, &path, trash.now) {
                    tracing::warn!(user_id = owner.user_id, error = %e, "deleted media file not kept");
                    let _ = std::fs::remove_file(&path);
                }
            }
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    if let Some(trash) = trash {
        if let Err(e) = media_trash::prune(data_dir, owner.user_id, trash.keep_days, trash.now) {
            tracing::warn!(user_id = owner.user_id, error = %e, "media trash not pruned");
        }
    }
    let usn = db.last_usn().or_internal("media usn")?;
    wrapped(json!([changes.len(), usn]))
}

#[derive(Deserialize)]
struct DownloadRequest {
    files: Vec<String>,
}

fn download(
    db: &mut MediaDb,
    data_dir: &Path,
    owner: &SyncKeyOwner,
    request: &DownloadRequest,
) -> Result<Response, SyncError> {
    if request.files.len() > archive::MAX_FILES {
        return Err(SyncError::bad_request(format!(
            "{} files requested, at most {}",
            request.files.len(),
            archive::MAX_FILES
        )));
    }
    let folder = crate::collection::file::media_folder(data_dir, owner.user_id);
    let mut files = Vec::new();
    let mut total = 0usize;
    for fname in &request.files {
        names::validate(fname).map_err(SyncError::bad_request)?;
        if db.entry(fname).or_internal("media entry")?.is_none() {
            return Err(conflict(format!("{fname:?} is not on the server")));
        }
        let data = match std::fs::read(folder.join(fname)) {
            Ok(data) => data,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                db.forget(fname).or_internal("media forget")?;
                return Err(conflict(format!("{fname:?} vanished from disk; forgotten")));
            }
            Err(e) => return Err(SyncError::internal(format!("cannot read media: {e}"))),
        };
        total += data.len();
        files.push((fname.clone(), data));
        // The client takes the first k names as delivered and asks again for the rest.
        if total > archive::DOWNLOAD_BATCH_BYTES {
            break;
        }
    }
    let zip = archive::write_download(&files).map_err(|e| SyncError::internal(e.to_string()))?;
    bytes_response(zip)
}

fn conflict(reason: String) -> SyncError {
    SyncError::conflict(reason)
}

#[derive(Deserialize)]
struct SanityRequest {
    local: i64,
}

fn sanity(db: &mut MediaDb, request: &SanityRequest) -> Result<Response, SyncError> {
    let count = db.live_file_count().or_internal("media count")?;
    wrapped(json!(if count == request.local {
        "OK"
    } else {
        "mediaSanity"
    }))
}
