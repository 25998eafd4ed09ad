//! The bound on password hashing in the server: at most N hashes at once (about the number
//! of CPUs), each on the blocking pool, so a login flood queues instead of exhausting
//! memory (19 MiB per Argon2 hash) or starving the async workers that serve syncs.

use std::sync::Arc;

use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct HashingLimiter {
    permits: Arc<Semaphore>,
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing task failed")]
pub struct HashingTaskFailed;

impl HashingLimiter {
    pub fn new(concurrency: usize) -> Self {
        HashingLimiter {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Runs `work` on the blocking pool once a permit is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, HashingTaskFailed>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashingTaskFailed)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| HashingTaskFailed)
    }
}

impl Default for HashingLimiter {
    fn default() -> Self {
        HashingLimiter::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}
