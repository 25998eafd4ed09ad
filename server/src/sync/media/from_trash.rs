//! After a restore: the media files the restored collection's notes use that are no longer
//! in the media folder come back from the user's media trash, recorded as new in the media
//! database, so every device's next media sync downloads them.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::LazyLock;

use r2d2_sqlite::rusqlite::OpenFlags;
use regex::Regex;
use sha1::{Digest, Sha1};

use super::db::MediaDb;
use super::names;
use crate::collection::file::{self as collection_file, collection_path, media_folder, user_dir};
use crate::collection::media_trash;

/// `src` of an image, sound or video element, quoted either way or bare.
static SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)<(?:img|audio|video|source)\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#,
    )
    .expect("a valid pattern")
});
static SOUND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[sound:([^\]]+)\]").expect("a valid pattern"));

/// The local media files the notes of the collection refer to.
fn referenced(fields: &[String]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for text in fields {
        let sources = SOURCE
            .captures_iter(text)
            .filter_map(|c| c.get(1).or(c.get(2)).or(c.get(3)));
        let sounds = SOUND.captures_iter(text).filter_map(|c| c.get(1));
        for m in sources.chain(sounds) {
            let name = m.as_str().trim().replace("&amp;", "&");
            let remote = name.contains("://") || name.starts_with("data:");
            if !remote && names::validate(&name).is_ok() {
                names.insert(name);
            }
        }
    }
    names
}

/// Brings back from the trash every file the user's collection refers to that the media
/// folder lacks; returns their names. The caller holds the user's lock. Blocking.
pub fn bring_back(data_dir: &Path, user_id: i64, db: &mut MediaDb) -> Result<Vec<String>, String> {
    let collection = collection_path(data_dir, user_id);
    let conn = collection_file::open(&collection, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("opening the collection: {e}"))?;
    let fields: Vec<String> = conn
        .prepare("SELECT flds FROM notes")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .map_err(|e| format!("reading the notes: {e}"))?;
    drop(conn);
    let folder = media_folder(data_dir, user_id);
    let missing: Vec<(String, std::path::PathBuf)> = referenced(&fields)
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

#[cfg(test)]
mod tests {
    use super::referenced;

    #[test]
    fn images_sounds_and_videos_of_the_fields_are_found() {
        let fields = vec![
            "<img src=\"a b.png\"> and <IMG class=x SRC='c&amp;d.jpg'>\u{1f}[sound:e.mp3]"
                .to_string(),
            "<img src=bare.gif alt=y><video src=\"v.mp4\"></video>".to_string(),
            "<img src=\"https://example.com/x.png\"><img src=\"data:image/png;base64,AA\">"
                .to_string(),
            "<img src=\"../escape.png\">".to_string(),
        ];
        let found: Vec<String> = referenced(&fields).into_iter().collect();
        assert_eq!(found, ["a b.png", "bare.gif", "c&d.jpg", "e.mp3", "v.mp4"]);
    }
}
