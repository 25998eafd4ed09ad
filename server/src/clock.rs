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

/// The clock the web flows read (token and session expiry). Tests move it forward instead
/// of sleeping; in production the offset stays 0.
#[derive(Debug, Default)]
pub struct Clock {
    offset_secs: std::sync::atomic::AtomicI64,
}

impl Clock {
    pub fn now(&self) -> i64 {
        now().saturating_add(self.offset_secs.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Moves this clock forward (tests).
    pub fn advance(&self, secs: i64) {
        self.offset_secs
            .fetch_add(secs, std::sync::atomic::Ordering::Relaxed);
    }
}
