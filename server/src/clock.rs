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

/// Year, month (1-12) and day of a day count since 1970-01-01 in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`); exact for every `i64` day a clock gives.
pub fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // 0 = March
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
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
