//! Open media databases, one per user, kept between requests. Closing a WAL database's
//! last connection checkpoints and syncs it, which made every media request pay for a
//! flush; the official server keeps them open too. Each handle is used only under its
//! user's lock. The map is bounded: past the bound an arbitrary handle is closed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use super::db::MediaDb;

const MAX_OPEN: usize = 256;

#[derive(Default)]
pub struct OpenMediaDbs {
    open: Mutex<HashMap<i64, Arc<Mutex<MediaDb>>>>,
}

impl OpenMediaDbs {
    /// The user's media database, opened (and created) on first use.
    pub fn get(&self, user_id: i64, path: &Path) -> rusqlite::Result<Arc<Mutex<MediaDb>>> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = open.get(&user_id) {
            return Ok(Arc::clone(db));
        }
        if open.len() >= MAX_OPEN {
            if let Some(victim) = open.keys().next().copied() {
                open.remove(&victim);
            }
        }
        let db = Arc::new(Mutex::new(MediaDb::open(path)?));
        open.insert(user_id, Arc::clone(&db));
        Ok(db)
    }

    /// Takes a user's handle out (the user was deleted, or their files changed elsewhere);
    /// dropping the last reference closes it.
    pub fn remove(&self, user_id: i64) -> Option<Arc<Mutex<MediaDb>>> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.remove(&user_id)
    }
}
