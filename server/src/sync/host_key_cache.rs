//! The in-memory map from host-key digest to owner, so a sync request is authenticated
//! without a database round trip. It is only a cache: the database is the authority.
//! A miss falls back to the database, `meta` always re-checks there, and `RefreshUser`
//! evicts a user's keys the moment a password changes.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use crate::store::SyncKeyOwner;

#[derive(Default)]
pub struct HostKeyCache {
    // A std lock, not tokio's: it is never held across an await, only for a map operation.
    keys: RwLock<HashMap<String, SyncKeyOwner>>,
}

impl HostKeyCache {
    pub fn get(&self, digest: &str) -> Option<SyncKeyOwner> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        keys.get(digest).cloned()
    }

    pub fn insert(&self, owner: SyncKeyOwner) {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        keys.insert(owner.digest.clone(), owner);
    }

    pub fn remove(&self, digest: &str) {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        keys.remove(digest);
    }

    /// Replaces the whole map (at start).
    pub fn fill(&self, owners: Vec<SyncKeyOwner>) {
        let map = owners.into_iter().map(|o| (o.digest.clone(), o)).collect();
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = map;
    }

    /// Drops a user's keys that were cached under a credential generation older than
    /// `before_generation` (all of them when `None`). Keys minted after the change, with
    /// the new password, survive. Returns how many were dropped.
    pub fn evict_user(&self, user_id: i64, before_generation: Option<i64>) -> u32 {
        let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
        let before = keys.len();
        keys.retain(|_, o| {
            o.user_id != user_id || before_generation.is_some_and(|g| o.credential_generation >= g)
        });
        u32::try_from(before - keys.len()).unwrap_or(u32::MAX)
    }

    /// (distinct users, keys) currently cached.
    pub fn counts(&self) -> (u32, u32) {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        let users: std::collections::HashSet<i64> = keys.values().map(|o| o.user_id).collect();
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        (n(users.len()), n(keys.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(digest: &str, user_id: i64, generation: i64) -> SyncKeyOwner {
        SyncKeyOwner {
            digest: digest.into(),
            user_id,
            username: format!("u{user_id}"),
            credential_generation: generation,
            user_created_at: 0,
        }
    }

    #[test]
    fn evicting_a_user_keeps_keys_minted_after_the_change_and_other_users() {
        let cache = HostKeyCache::default();
        cache.insert(owner("old", 1, 1));
        cache.insert(owner("new", 1, 2));
        cache.insert(owner("bob", 2, 1));
        assert_eq!(cache.evict_user(1, Some(2)), 1);
        assert!(cache.get("old").is_none());
        assert!(cache.get("new").is_some());
        assert!(cache.get("bob").is_some());
        assert_eq!(cache.evict_user(1, None), 1);
        assert_eq!(cache.counts(), (1, 1));
    }
}
