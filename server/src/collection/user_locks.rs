//! One lock per user: a user's sync requests run one at a time (an upload never races a
//! download or a `meta` read), while different users never wait for each other. (The
//! official server holds one global mutex for every request of every user.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Default)]
pub struct UserLocks {
    // A std mutex guards only the map lookup; the per-user lock is tokio's because it is
    // held across the request's awaits.
    locks: Mutex<HashMap<i64, Arc<AsyncMutex<()>>>>,
}

impl UserLocks {
    pub async fn lock(&self, user_id: i64) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(locks.entry(user_id).or_default())
        };
        lock.lock_owned().await
    }
}
