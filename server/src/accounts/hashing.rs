//! The server's password-hashing pool: a fixed number of threads (about the number of
//! CPUs) fed by a bounded queue. Under a login flood at most `threads` hashes run at once,
//! so memory stays within `threads` x 19 MiB of Argon2 blocks (SECURITY.md T10); what the
//! queue cannot hold is shed at once with [`HashingPoolError::Busy`] instead of piling up, and
//! the async workers that serve syncs are never the ones hashing.
//!
//! Its own threads rather than tokio's blocking pool: that pool grows to hundreds of
//! threads under load, and with glibc each thread that hashed keeps its own malloc arena
//! holding an Argon2 block, which is how a 500-login flood once left 560 MB resident.

use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Hashes waiting per hashing thread before new ones are shed: a class of 60 signing in
/// at once on two cores waits a few seconds instead of being turned away; a flood past
/// that is answered at once.
pub const QUEUED_PER_THREAD: usize = 32;

#[derive(Clone)]
pub struct HashingLimiter {
    queue: SyncSender<Job>,
    threads: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum HashingPoolError {
    /// Every hashing thread is busy and the queue is full: ask the client to come back.
    #[error("the server is busy checking other passwords")]
    Busy,
    #[error("password hashing task failed")]
    Failed,
}

impl HashingLimiter {
    /// Starts `threads` hashing threads; they end when the last clone is dropped.
    pub fn new(threads: usize) -> Self {
        let threads = threads.max(1);
        let (queue, jobs) = sync_channel::<Job>(threads * QUEUED_PER_THREAD);
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads {
            let jobs = Arc::clone(&jobs);
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{n}"))
                .spawn(move || loop {
                    // The lock is held only while taking a job, never while hashing.
                    let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        HashingLimiter { queue, threads }
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `work` on a hashing thread, or refuses at once when the queue is full.
    pub async fn run<T, F>(&self, work: F) -> Result<T, HashingPoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            // The requester may have gone away; then nobody needs the answer.
            let _ = reply.send(outcome);
        });
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(HashingPoolError::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(HashingPoolError::Failed),
        }
        match answer.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) | Err(_) => Err(HashingPoolError::Failed),
        }
    }
}

impl Default for HashingLimiter {
    fn default() -> Self {
        HashingLimiter::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[tokio::test]
    async fn work_runs_and_returns_its_value() {
        let pool = HashingLimiter::new(2);
        assert_eq!(pool.run(|| 6 * 7).await.ok(), Some(42));
    }

    #[tokio::test]
    async fn a_full_queue_sheds_new_work_at_once() {
        use futures_util::FutureExt;
        let pool = HashingLimiter::new(1);
        let (started, has_started) = oneshot::channel::<()>();
        let (release, released) = mpsc::channel::<()>();
        let holder = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = started.send(());
                    let _ = released.recv();
                })
                .await
            })
        };
        has_started
            .await
            .expect("the hashing thread took the first job");
        // The thread is busy: the queue takes its share, each waiting for its turn ...
        let (done, finished) = mpsc::channel::<()>();
        for _ in 0..QUEUED_PER_THREAD {
            let done = done.clone();
            let queued = pool.run(move || {
                let _ = done.send(());
            });
            assert!(queued.now_or_never().is_none());
        }
        // ... and the next one is refused without waiting.
        assert!(matches!(
            pool.run(|| ()).now_or_never(),
            Some(Err(HashingPoolError::Busy))
        ));
        release.send(()).expect("the first job is waiting");
        assert!(holder.await.expect("joined").is_ok());
        // The queued jobs still run, though nobody waits for them any more; once each has
        // been taken off the queue (it signals as it runs), there is room again.
        tokio::task::spawn_blocking(move || {
            for _ in 0..QUEUED_PER_THREAD {
                finished.recv().expect("a queued job ran");
            }
        })
        .await
        .expect("joined");
        assert_eq!(pool.run(|| 5).await.ok(), Some(5));
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_not_a_dead_pool() {
        let pool = HashingLimiter::new(1);
        assert!(matches!(
            pool.run(|| panic!("boom")).await,
            Err(HashingPoolError::Failed)
        ));
        assert_eq!(pool.run(|| 1).await.ok(), Some(1));
    }
}
