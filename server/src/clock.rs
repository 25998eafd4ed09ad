//! Wall-clock time in the units the database stores.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds now; a clock before 1970 reads as 0 rather than panicking.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Unix milliseconds now.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The clock the web flows read (token and session expiry, study times). Tests move it
/// forward instead of sleeping, or stop it at an instant; in production it is the system
/// clock.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: std::sync::atomic::AtomicI64,
    /// When non-zero, the clock stands at this instant (milliseconds; tests).
    frozen_millis: std::sync::atomic::AtomicI64,
}

impl Clock {
    pub fn now(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }

    /// [`Clock::now`] in milliseconds.
    pub fn now_millis(&self) -> i64 {
        use std::sync::atomic::Ordering::Relaxed;
        let frozen = self.frozen_millis.load(Relaxed);
        if frozen != 0 {
            return frozen;
        }
        let offset = self.offset_secs.load(Relaxed);
        now_millis().saturating_add(offset.saturating_mul(1000))
    }

    /// Moves this clock forward (tests).
    pub fn advance(&self, secs: i64) {
        use std::sync::atomic::Ordering::Relaxed;
        let frozen = self.frozen_millis.load(Relaxed);
        if frozen != 0 {
            self.frozen_millis
                .store(frozen.saturating_add(secs.saturating_mul(1000)), Relaxed);
        } else {
            self.offset_secs.fetch_add(secs, Relaxed);
        }
    }

    /// Stops this clock at `millis` (tests that replay what happened at known instants).
    pub fn stop_at_millis(&self, millis: i64) {
        self.frozen_millis
            .store(millis.max(1), std::sync::atomic::Ordering::Relaxed);
    }
}
