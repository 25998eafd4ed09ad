//! Media files a sync deleted or replaced, kept per user in
//! `users/<id>/media-trash/<YYYYMMDD>/<name>` (the UTC day they left the media folder)
//! for as long as the snapshots they may belong to are kept, so the media of an older
//! collection can still be found. Of the versions of a name that leave on one day, the
//! first is kept: it is the one the day's earlier snapshots saw.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::file::user_dir;
use super::snapshots::Retention;

const TRASH: &str = "media-trash";
const DAY: i64 = 86_400;

pub fn trash_dir(data_dir: &Path, user_id: i64) -> PathBuf {
    user_dir(data_dir, user_id).join(TRASH)
}

/// `YYYYMMDD` of the UTC day of `unix`.
fn day_name(unix: i64) -> String {
    let (y, m, d) = crate::clock::civil_date(unix.div_euclid(DAY));
    format!("{y:04}{m:02}{d:02}")
}

/// How many days the trash keeps a file: as long as the oldest snapshot the retention
/// keeps can be (a day per daily one, a week per weekly one, a month per monthly one).
pub fn keep_days(policy: &Retention) -> i64 {
    policy.daily as i64 + 7 * policy.weekly as i64 + 31 * policy.monthly as i64
}

/// Moves `file` (of the media folder, named `name`) into today's trash; when that day
/// already holds a file of the name, the earlier one stays and `file` is removed.
/// Blocking.
pub fn keep(data_dir: &Path, user_id: i64, name: &str, file: &Path, now: i64) -> io::Result<()> {
    let day = trash_dir(data_dir, user_id).join(day_name(now));
    fs::create_dir_all(&day)?;
    let kept = day.join(name);
    if kept.exists() {
        return fs::remove_file(file);
    }
    fs::rename(file, kept)
}

/// Removes the days older than `keep_days` before `now`; returns how many went. Blocking.
pub fn prune(data_dir: &Path, user_id: i64, keep_days: i64, now: i64) -> io::Result<u32> {
    let oldest_kept = day_name(now - keep_days * DAY);
    let entries = match fs::read_dir(trash_dir(data_dir, user_id)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_day = name.len() == 8 && name.bytes().all(|b| b.is_ascii_digit());
        if is_day && name < oldest_kept {
            fs::remove_dir_all(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The newest kept version of `name`, if the trash has one.
pub fn find(data_dir: &Path, user_id: i64, name: &str) -> Option<PathBuf> {
    let mut days: Vec<PathBuf> = fs::read_dir(trash_dir(data_dir, user_id))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    days.sort();
    days.into_iter()
        .rev()
        .map(|day| day.join(name))
        .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000; // 2026-11-30

    fn media_file(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
        let folder = dir.join("media");
        fs::create_dir_all(&folder).expect("media folder");
        let path = folder.join(name);
        fs::write(&path, data).expect("write");
        path
    }

    #[test]
    fn the_first_version_of_a_day_is_kept_and_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path();
        let user = user_dir(data_dir, 3);
        keep(
            data_dir,
            3,
            "a.png",
            &media_file(&user, "a.png", b"v1"),
            NOW,
        )
        .expect("keep");
        keep(
            data_dir,
            3,
            "a.png",
            &media_file(&user, "a.png", b"v2"),
            NOW + 60,
        )
        .expect("keep");
        let found = find(data_dir, 3, "a.png").expect("kept");
        assert_eq!(fs::read(&found).expect("read"), b"v1");
        assert!(
            !user.join("media/a.png").exists(),
            "moved out of the media folder"
        );
        // A later day's version is the newest.
        keep(
            data_dir,
            3,
            "a.png",
            &media_file(&user, "a.png", b"v3"),
            NOW + DAY,
        )
        .expect("keep");
        assert_eq!(
            fs::read(find(data_dir, 3, "a.png").expect("kept")).expect("read"),
            b"v3"
        );
        assert!(find(data_dir, 3, "b.png").is_none());
    }

    #[test]
    fn days_past_the_retention_window_are_pruned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path();
        let user = user_dir(data_dir, 3);
        keep(
            data_dir,
            3,
            "old.png",
            &media_file(&user, "old.png", b"o"),
            NOW - 10 * DAY,
        )
        .expect("keep");
        keep(
            data_dir,
            3,
            "new.png",
            &media_file(&user, "new.png", b"n"),
            NOW - DAY,
        )
        .expect("keep");
        assert_eq!(prune(data_dir, 3, 7, NOW).expect("prune"), 1);
        assert!(find(data_dir, 3, "old.png").is_none());
        assert!(find(data_dir, 3, "new.png").is_some());
        assert_eq!(keep_days(&Retention::default()), 7 + 28 + 186);
    }
}
