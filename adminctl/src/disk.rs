//! What a user's files take on disk, for `status` and `backup list`.

use std::path::Path;

use flashcard_flow_server::collection::file::{collection_path, media_folder};
use flashcard_flow_server::collection::media_trash::trash_dir;
use flashcard_flow_server::collection::snapshots::backups_dir;

/// The parts of a user's files, in the order they are printed.
pub const PARTS: [&str; 4] = ["collection", "media", "snapshots", "media_trash"];

/// Bytes under `path` (a file, or a folder's files), 0 when it does not exist.
fn bytes_under(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta.len(),
        Ok(meta) if meta.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| bytes_under(&e.path())).sum())
            .unwrap_or(0),
        _ => 0,
    }
}

/// The bytes of each of [`PARTS`] for one user (the collection with its WAL).
pub fn user_disk_use(data_dir: &Path, user_id: i64) -> [u64; 4] {
    let collection = collection_path(data_dir, user_id);
    [
        bytes_under(&collection) + bytes_under(&collection.with_extension("anki2-wal")),
        bytes_under(&media_folder(data_dir, user_id)),
        bytes_under(&backups_dir(data_dir, user_id)),
        bytes_under(&trash_dir(data_dir, user_id)),
    ]
}

/// `{"collection": n, "media": n, "snapshots": n, "media_trash": n}`.
pub fn as_json(sizes: &[u64; 4]) -> serde_json::Value {
    PARTS
        .iter()
        .zip(sizes)
        .map(|(k, v)| ((*k).to_string(), serde_json::json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}
