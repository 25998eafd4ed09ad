//! What `meta` reports about a user's files (the collection's counters and the media usn),
//! kept in memory so the first call of every sync opens no file. Every write to those files
//! happens in this process under the user's lock and forgets the entry, as does
//! `RefreshUser`, so an entry is never stale.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::file::CollectionMeta;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserFilesMeta {
    /// `None`: the user has no collection yet.
    pub collection: Option<CollectionMeta>,
    pub media_usn: i32,
}

#[derive(Default)]
pub struct MetaCache {
    entries: Mutex<HashMap<i64, UserFilesMeta>>,
}

impl MetaCache {
    pub fn get(&self, user_id: i64) -> Option<UserFilesMeta> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(&user_id).copied()
    }

    pub fn put(&self, user_id: i64, meta: UserFilesMeta) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.insert(user_id, meta);
    }

    /// Called after any change to the user's collection or media.
    pub fn forget(&self, user_id: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(&user_id);
    }
}
