//! Open media databases, one per user, kept between requests. Closing a WAL database's
//! last connection checkpoints and syncs it, which made every media request pay for a
//! flush; the official server keeps them open too. Each handle is used only under its
//! user's lock.

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::db::MediaDb;
use crate::collection::KeptPerUser;

const MAX_OPEN: usize = 256;

pub type SharedMediaDb = Arc<Mutex<MediaDb>>;

pub struct OpenMediaDbs {
    open: KeptPerUser<SharedMediaDb>,
}

impl Default for OpenMediaDbs {
    fn default() -> Self {
        OpenMediaDbs {
            open: KeptPerUser::new(MAX_OPEN),
        }
    }
}

impl OpenMediaDbs {
    /// The user's media database, opened (and created) on first use. The caller holds the
    /// user's lock and is on the blocking pool: opening and closing touch the disk.
    pub fn get(&self, user_id: i64, path: &Path) -> Result<SharedMediaDb, String> {
        if let Some(db) = self.open.get(user_id) {
            return Ok(db);
        }
        // A user's first media request may come before anything else made their folder.
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let db = MediaDb::open(path).map_err(|e| e.to_string())?;
        let db = Arc::new(Mutex::new(db));
        drop(self.open.insert(user_id, Arc::clone(&db)));
        Ok(db)
    }

    /// Takes a user's handle out (the user was deleted, or their files changed elsewhere);
    /// dropping the last reference closes it.
    pub fn remove(&self, user_id: i64) -> Option<SharedMediaDb> {
        self.open.remove(user_id)
    }
}
