//! A bounded map of per-user handles kept open between requests (collection connections,
//! media databases). Past the bound an arbitrary entry is pushed out.
//!
//! Nothing is opened or closed under the map's lock: closing a SQLite handle may
//! checkpoint its WAL, so [`KeptPerUser::insert`] hands the pushed-out entry back for the
//! caller to drop, and callers open new handles before inserting them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

pub struct KeptPerUser<T> {
    kept: Mutex<HashMap<i64, T>>,
    max: usize,
}

impl<T> KeptPerUser<T> {
    pub fn new(max: usize) -> Self {
        KeptPerUser {
            kept: Mutex::new(HashMap::new()),
            max: max.max(1),
        }
    }

    /// Takes the user's entry out; dropping it closes it.
    pub fn remove(&self, user_id: i64) -> Option<T> {
        self.lock().remove(&user_id)
    }

    /// Keeps `value` for the user. Returns what it displaced: the user's previous entry, or
    /// another user's when the map was full.
    #[must_use = "drop the displaced entry outside the lock, on the blocking pool"]
    pub fn insert(&self, user_id: i64, value: T) -> Option<T> {
        let mut kept = self.lock();
        let evicted = if kept.len() >= self.max && !kept.contains_key(&user_id) {
            let victim = kept.keys().next().copied();
            victim.and_then(|k| kept.remove(&k))
        } else {
            None
        };
        kept.insert(user_id, value).or(evicted)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, T>> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T: Clone> KeptPerUser<T> {
    /// A copy of the user's entry (a shared handle), leaving it kept.
    pub fn get(&self, user_id: i64) -> Option<T> {
        self.lock().get(&user_id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_pushes_one_entry_out_and_hands_it_back() {
        let kept = KeptPerUser::new(2);
        assert!(kept.insert(1, "a").is_none());
        assert!(kept.insert(2, "b").is_none());
        let out = kept.insert(3, "c").expect("one pushed out");
        assert!(out == "a" || out == "b");
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.get(3), Some("c"));
    }

    #[test]
    fn replacing_a_users_entry_hands_back_the_old_one() {
        let kept = KeptPerUser::new(2);
        assert!(kept.insert(1, "a").is_none());
        assert!(kept.insert(2, "b").is_none());
        assert_eq!(kept.insert(1, "a2"), Some("a"));
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.remove(1), Some("a2"));
        assert_eq!(kept.remove(1), None);
    }
}
