//! `POST /sync/upload` (protocol §3.11): the client's whole collection as one zstd frame.
//! The answer is text: `OK`, or a message the client shows. Nothing replaces the stored
//! collection until the upload is complete, decompressed within the cap, and has passed
//! the integrity and schema checks; a failed or interrupted upload leaves it untouched.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use bytes::{Buf, Bytes};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::state::SyncState;

use super::auth::authenticate;
use super::error::{OrStatus, SyncError};
use super::leftovers;
use super::transport::{bytes_response, parse_sync_header};
use crate::collection::file::{self as collection_file, UploadRejected};
use crate::collection::snapshots;

/// The official server's exact texts; the client shows them to the user.
pub const UPLOAD_OK: &str = "OK";
pub const UPLOAD_TOO_LARGE: &str = "collection exceeds size limit";
pub const UPLOAD_CORRUPT: &str =
    "Your upload was corrupt. Please use Check Database, or restore from backup.";

pub async fn upload(
    state: &SyncState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, SyncError> {
    let header = parse_sync_header(headers)?;
    let owner = authenticate(state, &header.host_key).await?;
    let serialised = state.user_locks.lock(owner.user_id).await;
    // Like the official server, any of these silently aborts a normal sync in progress.
    state.sync.normal_syncs.abort(owner.user_id).await;

    let dir = collection_file::user_dir(&state.config.data_dir, owner.user_id);
    let target = collection_file::collection_path(&state.config.data_dir, owner.user_id);
    let collection_path = collection_file::leftover_path(&target, "incoming");
    let limit = state.config.max_collection_bytes;

    // The body streams through a short queue into one blocking task that decompresses as
    // it arrives: no compressed copy on disk, and no thread hand-off per chunk.
    let (chunks, queued) = mpsc::channel(RECEIVE_QUEUE_CHUNKS);
    let candidate = collection_path.clone();
    // The user's lock moves into each blocking task and comes back out of it: a request
    // dropped early (the client hung up) leaves the task running, and the task must keep
    // holding the lock, or the next request's leftover sweep could remove its files.
    let decompressing = tokio::task::spawn_blocking(move || {
        let written = swept_and_written(&dir, ChunkReader::new(queued), &candidate, limit);
        (serialised, written)
    });
    let received = receive(body, chunks, limit).await;
    let (serialised, decompressed) = decompressing.await.or_internal("upload task failed")?;
    let verdict = received.and(decompressed);
    let blocking_state = state.clone();
    let user_id = owner.user_id;
    let outcome = tokio::task::spawn_blocking(move || {
        let _serialised = serialised;
        let stored = verdict.and_then(|written| {
            synced_and_valid(written, &collection_path)?;
            keep_replaced(&blocking_state, user_id)?;
            // The kept connection must not outlive the file it has open.
            drop(blocking_state.collections.remove(user_id));
            Ok(collection_file::replace(&target, &collection_path)?)
        });
        // What is left of a refused upload (after a replace, nothing is).
        let _ = std::fs::remove_file(&collection_path);
        stored
    })
    .await
    .or_internal("upload task failed")?;
    state.files_meta.forget(owner.user_id);
    // The shown card and the undo record were of the replaced collection.
    state.studying.forget(owner.user_id);
    let reply = match outcome {
        Ok(retired) => {
            if let Some(old) = retired {
                // Freeing the old file's blocks takes a while; the client need not wait.
                // This runs outside the user's lock; a sweep racing it is harmless (see
                // `leftovers`).
                tokio::task::spawn_blocking(move || std::fs::remove_file(old));
            }
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

/// Snapshots the collection the upload is about to replace (DESIGN §12), and prunes the
/// user's snapshots. An upload whose predecessor cannot be kept is refused: replacing
/// years of reviews without a copy is what snapshots are for.
fn keep_replaced(state: &SyncState, user_id: i64) -> Result<(), UploadRejected> {
    let Some(policy) = &state.config.backups else {
        return Ok(());
    };
    let data_dir = &state.config.data_dir;
    let now = state.clock.now();
    match snapshots::take(data_dir, user_id, snapshots::Reason::Replaced, now) {
        Ok(Some(snapshot)) => {
            tracing::info!(user_id, snapshot = %snapshot.id, bytes = snapshot.bytes,
                "kept the collection a full upload replaces");
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(user_id, error = %e,
                "cannot snapshot the collection a full upload would replace; upload refused");
            return Err(UploadRejected::Io(std::io::Error::other(e.to_string())));
        }
    }
    if let Err(e) = snapshots::prune(data_dir, user_id, policy) {
        tracing::warn!(user_id, error = %e, "cannot prune snapshots");
    }
    Ok(())
}

/// Clears what earlier, interrupted uploads left (the caller holds the user's lock), then
/// decompresses the body into `candidate`.
fn swept_and_written(
    dir: &Path,
    compressed: ChunkReader,
    candidate: &Path,
    limit: u64,
) -> Result<File, UploadRejected> {
    std::fs::create_dir_all(dir)?;
    leftovers::sweep_user(dir);
    collection_file::write_decompressed(compressed, candidate, limit)
}

/// Makes the written upload durable and runs the integrity and schema checks at the same
/// time: the sync waits on the disk, the check reads the page cache.
fn synced_and_valid(written: File, path: &Path) -> Result<(), UploadRejected> {
    std::thread::scope(|scope| {
        let durable = scope.spawn(move || written.sync_all());
        let checked = collection_file::validate(path);
        let synced = durable
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the sync thread panicked")));
        checked?;
        Ok(synced?)
    })
}

/// Request body chunks queued for the decompressing thread.
const RECEIVE_QUEUE_CHUNKS: usize = 16;

/// Forwards the (chunked) request body to the decompressing thread, at most `limit` bytes.
///
/// Past the limit, or once the decompressor has stopped (a corrupt or oversized frame), the
/// rest is read and discarded, up to twice the limit, so the client can read the answer and
/// show it instead of a network error; a body larger still is cut off.
async fn receive(
    body: Body,
    chunks: mpsc::Sender<Bytes>,
    limit: u64,
) -> Result<(), UploadRejected> {
    let mut forward = Some(chunks);
    let mut stream = body.into_data_stream();
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| UploadRejected::Corrupt(format!("body interrupted: {e}")))?;
        total = total.saturating_add(chunk.len() as u64);
        if total > limit.saturating_mul(2) {
            return Err(UploadRejected::TooLarge);
        }
        if total > limit {
            forward = None; // the decompressor sees the end, and its result is not used
        }
        if let Some(sender) = &forward {
            if sender.send(chunk).await.is_err() {
                forward = None; // it stopped early; its own error says why
            }
        }
    }
    if total > limit {
        return Err(UploadRejected::TooLarge);
    }
    Ok(())
}

/// The queued body as a `Read` for the blocking decompressor: it waits for each chunk, and
/// the end of the queue is the end of the body.
struct ChunkReader {
    queued: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl ChunkReader {
    fn new(queued: mpsc::Receiver<Bytes>) -> Self {
        ChunkReader {
            queued,
            current: Bytes::new(),
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.queued.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}
