//! Scratch files an interrupted upload leaves in a user's directory, and the sweep that
//! removes them.
//!
//! A full upload writes `upload-incoming-*.anki2.tmp` (plus SQLite's `-wal`, `-shm` or
//! `-journal` beside it while the integrity check has it open) and, once it has replaced
//! the collection, `upload-retired-*.anki2.tmp`; a media upload writes each file into
//! `media-incoming/` before renaming it into `media/`. Each removes its own scratch, but a
//! `kill -9` or a power cut does not let it. Full downloads and normal syncs write no
//! scratch: a download is read into memory, a normal sync works in the collection itself.
//!
//! The sweep runs at start for every user (before the server accepts a request) and before
//! each full or media upload, under the user's lock. That is what makes it safe: every
//! writer of scratch holds the same lock until its blocking work has ended (the guard
//! moves into the blocking task, so a request dropped early still holds it), so while the
//! sweep runs no request of this user is writing anything it could match. The one writer
//! outside the lock is the removal of a retired collection after the answer is sent, and
//! racing it is harmless: whichever unlink comes second finds nothing. It never touches
//! the collection, its `-wal` and `-shm`, `media.db` and its side files, or `media/`.

use std::io;
use std::path::Path;

use super::media::SCRATCH_FOLDER;
use crate::collection::file::{self as collection_file, is_upload_leftover};

/// Removes what interrupted uploads left in one user's directory; returns how many files
/// it removed. The caller holds the user's lock (or no request can run yet). A file that
/// cannot be removed is logged and skipped: the next sweep tries again.
pub fn sweep_user(dir: &Path) -> usize {
    let mut removed = 0;
    for entry in entries(dir) {
        let name = entry.file_name();
        if is_upload_leftover(&name.to_string_lossy()) && !is_dir(&entry) {
            removed += remove(&entry.path());
        }
    }
    // A snapshot a crash interrupted (its temporaries, a data file never described).
    let snapshots = dir.join(crate::collection::snapshots::BACKUPS_FOLDER);
    match crate::collection::snapshots::sweep_dir(&snapshots) {
        Ok(n) => removed += n as usize,
        Err(e) => tracing::warn!(error = %e, "cannot clear interrupted snapshots"),
    }
    // Everything in the scratch folder is scratch, whatever its name.
    for entry in entries(&dir.join(SCRATCH_FOLDER)) {
        if !is_dir(&entry) {
            removed += remove(&entry.path());
        }
    }
    if removed > 0 {
        tracing::info!(dir = %dir.display(), removed, "removed leftovers of interrupted uploads");
    }
    removed
}

/// Sweeps every user's directory under the data dir; returns how many files it removed.
/// Run at start, before the server accepts requests, so no upload can be in progress.
/// Only `users/<id>` folders are swept: an import's staging folder is adminctl's.
pub fn sweep_all_users(data_dir: &Path) -> usize {
    let users = data_dir.join("users");
    let mut removed = 0;
    for entry in entries(&users) {
        let name = entry.file_name();
        let Some(user_id) = name.to_str().and_then(|n| n.parse::<i64>().ok()) else {
            continue;
        };
        if is_dir(&entry) {
            removed += sweep_user(&collection_file::user_dir(data_dir, user_id));
        }
    }
    removed
}

fn entries(dir: &Path) -> impl Iterator<Item = std::fs::DirEntry> {
    match std::fs::read_dir(dir) {
        Ok(entries) => Some(entries.flatten()),
        Err(e) => {
            if e.kind() != io::ErrorKind::NotFound {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot list for leftovers");
            }
            None
        }
    }
    .into_iter()
    .flatten()
}

/// Not following symlinks: a link is removed as a file, never what it points to.
fn is_dir(entry: &std::fs::DirEntry) -> bool {
    entry.file_type().is_ok_and(|t| t.is_dir())
}

fn remove(path: &Path) -> usize {
    match std::fs::remove_file(path) {
        Ok(()) => 1,
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove leftover");
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

    /// A user's directory with everything a user keeps, none of which a sweep may touch.
    fn user_with_real_files(data_dir: &Path, user_id: i64) -> (PathBuf, Vec<PathBuf>) {
        let dir = collection_file::user_dir(data_dir, user_id);
        std::fs::create_dir_all(dir.join("media")).expect("media folder");
        std::fs::create_dir_all(dir.join(SCRATCH_FOLDER)).expect("scratch folder");
        let kept: Vec<PathBuf> = [
            "collection.anki2",
            "collection.anki2-wal",
            "collection.anki2-shm",
            "collection.anki2-journal",
            "media.db",
            "media.db-wal",
            "media.db-shm",
            "media/a.jpg",
            // A media file may be called anything, even like upload scratch.
            "media/upload-incoming-0011223344556677.anki2.tmp",
            "upload-notes.txt",
            "upload-incoming.anki2",
        ]
        .iter()
        .map(|name| dir.join(name))
        .collect();
        for path in &kept {
            std::fs::write(path, b"keep").expect("write");
        }
        (dir, kept)
    }

    fn crash_leftovers(dir: &Path) -> Vec<PathBuf> {
        let leftovers: Vec<PathBuf> = [
            "upload-incoming-0011223344556677.anki2.tmp",
            "upload-incoming-0011223344556677.anki2.tmp-wal",
            "upload-incoming-0011223344556677.anki2.tmp-shm",
            "upload-incoming-8899aabbccddeeff.anki2.tmp-journal",
            "upload-retired-0123456789abcdef.anki2.tmp",
            "media-incoming/0123456789abcdef",
            "media-incoming/fedcba9876543210",
        ]
        .iter()
        .map(|name| dir.join(name))
        .collect();
        for path in &leftovers {
            std::fs::write(path, b"").expect("write");
        }
        leftovers
    }

    #[test]
    fn a_sweep_removes_every_upload_leftover_and_nothing_a_user_keeps() {
        let data = tempfile::tempdir().expect("tempdir");
        let (dir, kept) = user_with_real_files(data.path(), 7);
        let leftovers = crash_leftovers(&dir);

        assert_eq!(sweep_user(&dir), leftovers.len());
        for path in &leftovers {
            assert!(!path.exists(), "{} left behind", path.display());
        }
        for path in &kept {
            assert!(path.exists(), "{} was removed", path.display());
        }
        assert!(dir.join(SCRATCH_FOLDER).is_dir(), "the folder itself stays");
        assert_eq!(sweep_user(&dir), 0, "a second sweep finds nothing");
    }

    #[test]
    fn the_start_up_sweep_covers_every_user_and_skips_import_staging() {
        let data = tempfile::tempdir().expect("tempdir");
        let (first, _) = user_with_real_files(data.path(), 1);
        let (second, _) = user_with_real_files(data.path(), 2);
        let swept = [crash_leftovers(&first), crash_leftovers(&second)].concat();
        let staging = data.path().join("users").join(".import-3");
        std::fs::create_dir_all(&staging).expect("staging");
        let staged = staging.join("upload-incoming-0011223344556677.anki2.tmp");
        std::fs::write(&staged, b"").expect("write");

        assert_eq!(sweep_all_users(data.path()), swept.len());
        assert!(swept.iter().all(|path| !path.exists()));
        assert!(
            staged.exists(),
            "an import's staging folder is not the server's"
        );
    }

    #[test]
    fn a_data_dir_without_users_sweeps_nothing() {
        let data = tempfile::tempdir().expect("tempdir");
        assert_eq!(sweep_all_users(data.path()), 0);
        assert_eq!(sweep_user(&data.path().join("users").join("9")), 0);
    }
}
