//! In-memory rate limits (SECURITY.md defaults): sliding windows keyed by client address
//! or by a hash of the account named, never by a raw email. One process; limits reset at
//! restart, which is acceptable for throttles that only slow attackers down.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};

const MAX_KEYS: usize = 50_000;

#[derive(Default)]
pub struct RateLimits {
    hits: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl RateLimits {
    /// Records a hit and says whether it is within `max` per `window_secs`.
    pub fn allow(&self, key: &str, max: usize, window_secs: i64, now: i64) -> bool {
        let mut hits = self.hits.lock().unwrap_or_else(PoisonError::into_inner);
        if hits.len() > MAX_KEYS {
            // Memory stays bounded under a flood of distinct keys: forget idle windows.
            hits.retain(|_, times| times.back().is_some_and(|t| now - t < 3600));
        }
        let times = hits.entry(key.to_string()).or_default();
        while times.front().is_some_and(|t| now - t >= window_secs) {
            times.pop_front();
        }
        if times.len() >= max {
            return false;
        }
        times.push_back(now);
        true
    }

    /// How many hits `key` has in the window, without recording one.
    pub fn count(&self, key: &str, window_secs: i64, now: i64) -> usize {
        let hits = self.hits.lock().unwrap_or_else(PoisonError::into_inner);
        hits.get(key).map_or(0, |times| {
            times.iter().filter(|t| now - **t < window_secs).count()
        })
    }

    pub fn clear(&self, key: &str) {
        self.hits
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }
}

/// A key for a login or an email that does not keep the value itself.
pub fn hashed(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(value.trim().to_lowercase().as_bytes());
    format!("{kind}:{}", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_max_then_refuses_until_it_slides() {
        let limits = RateLimits::default();
        for _ in 0..3 {
            assert!(limits.allow("k", 3, 60, 1000));
        }
        assert!(!limits.allow("k", 3, 60, 1010));
        assert!(limits.allow("k", 3, 60, 1061));
    }
}
