//! After a restore: the media files the restored collection's notes use that are no longer
//! in the media folder come back from the user's media trash, recorded as new in the media
//! database, so every device's next media sync downloads them.

use std::path::Path;

use r2d2_sqlite::rusqlite::OpenFlags;
use sha1::{Digest, Sha1};

use super::db::MediaDb;
use crate::collection::file::{self as collection_file, collection_path, media_folder, user_dir};
use crate::collection::{media_refs, media_trash};

/// Brings back from the trash every file the user's collection refers to that the media
/// folder lacks; returns their names. The caller holds the user's lock. Blocking.
pub fn bring_back(data_dir: &Path, user_id: i64, db: &mut MediaDb) -> Result<Vec<String>, String> {
    let collection = collection_path(data_dir, user_id);
    let conn = collection_file::open(&collection, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("opening the collection: {e}"))?;
    let referenced =
        media_refs::referenced_by_notes(&conn).map_err(|e| format!("reading the notes: {e}"))?;
    drop(conn);
    let folder = media_folder(data_dir, user_id);
    let missing: Vec<(String, std::path::PathBuf)> = referenced
        .into_iter()
        .filter(|name| !folder.join(name).exists())
        .filter_map(|name| media_trash::find(data_dir, user_id, &name).map(|kept| (name, kept)))
        .collect();
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let scratch = user_dir(data_dir, user_id).join(super::SCRATCH_FOLDER);
    for dir in [&folder, &scratch] {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut batch = db
        .changes()
        .map_err(|e| format!("media transaction: {e}"))?;
    let mut back = Vec::new();
    for (name, kept) in missing {
        let data = std::fs::read(&kept).map_err(|e| format!("{}: {e}", kept.display()))?;
        // Written aside, then renamed into place: a file is whole or absent.
        let incoming = scratch.join(hex::encode(rand::random::<[u8; 8]>()));
        std::fs::write(&incoming, &data).map_err(|e| format!("{}: {e}", incoming.display()))?;
        std::fs::rename(&incoming, folder.join(&name))
            .map_err(|e| format!("placing {name}: {e}"))?;
        let size = i64::try_from(data.len()).unwrap_or(i64::MAX);
        batch
            .record(&name, Some((Sha1::digest(&data).as_slice(), size)))
            .map_err(|e| format!("media record: {e}"))?;
        back.push(name);
    }
    batch.commit().map_err(|e| format!("media commit: {e}"))?;
    Ok(back)
}
