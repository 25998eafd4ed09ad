//! Running as root against a SQLite database owned by the service user, adminctl becomes
//! that user before touching anything, so it never leaves root-owned `-wal`/`-shm` files
//! that the server could then not open.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::unistd::{setgid, setgroups, setuid, Gid, Uid};

use crate::config::Config;
use crate::store::{database_location, DatabaseLocation};

/// The user adminctl switched to, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwitchedTo {
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot switch to the database owner (uid {uid}): {source}")]
pub struct SwitchError {
    uid: u32,
    source: nix::Error,
}

/// If root and the database is a SQLite file (or, before it exists, its directory) owned
/// by another user, permanently switches to that user and group.
pub fn act_as_database_owner(config: &Config) -> Result<Option<SwitchedTo>, SwitchError> {
    match database_location(config.database_url(), &config.data_dir) {
        Ok(DatabaseLocation::Sqlite(path)) => act_as_owner_of(&path),
        _ => Ok(None),
    }
}

/// If root and `path` (or its nearest existing ancestor) belongs to another user,
/// permanently switches to that user and group.
pub fn act_as_owner_of(path: &Path) -> Result<Option<SwitchedTo>, SwitchError> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    let Some(meta) = nearest_existing(path).and_then(|p| std::fs::metadata(p).ok()) else {
        return Ok(None);
    };
    let (uid, gid) = (meta.uid(), meta.gid());
    if uid == 0 {
        return Ok(None);
    }
    let fail = |source| SwitchError { uid, source };
    // Order matters: groups and gid while still root, the uid last.
    setgroups(&[Gid::from_raw(gid)]).map_err(fail)?;
    setgid(Gid::from_raw(gid)).map_err(fail)?;
    setuid(Uid::from_raw(uid)).map_err(fail)?;
    Ok(Some(SwitchedTo { uid, gid }))
}

/// The database file, or the closest existing directory that will hold it.
fn nearest_existing(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.exists())
        .map(Path::to_path_buf)
}
