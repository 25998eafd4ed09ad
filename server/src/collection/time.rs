//! "Today" as the user's devices see it (DESIGN §11): the number of days since the
//! collection was created and when the next day starts, from the collection's creation
//! time, its rollover hour and the UTC offsets the clients store in its config. The
//! server's own time zone plays no part: like Anki's server side, the current offset is
//! the one the last device wrote (`localOffset`), UTC when there is none.
//!
//! The rules are Anki's (the `anki` package is the oracle: `col.sched.today` and
//! `col.sched.day_cutoff`, whose vectors `server/tests/fixtures/day_timing_vectors.json`
//! holds): with a creation offset, days are counted as calendar days between the
//! creation and now, each in its own offset, less one before today's rollover; without one
//! (collections from older clients), from the creation time moved to the rollover hour;
//! without a rollover hour (the v1 scheduler), in whole days since creation.

use r2d2_sqlite::rusqlite::{self, Connection};

use super::config::config_value;

const DAY: i64 = 86_400;

/// What a collection says about its days, read from its `col` row and config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRules {
    /// `col.crt`: the creation time, in seconds.
    pub creation_secs: i64,
    /// `creationOffset`: minutes west of UTC when the collection was created.
    pub creation_minutes_west: Option<i32>,
    /// `localOffset`: minutes west of UTC where the user's device last was.
    pub local_minutes_west: Option<i32>,
    /// `rollover`: the hour the day starts; `None` under the v1 scheduler.
    pub rollover_hour: Option<u8>,
    /// `collapseTime`: how far ahead a learning card counts as due, in seconds.
    pub learn_ahead_secs: i64,
}

/// Today, for one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Today {
    pub now: i64,
    /// Days since the collection was created: review cards' `due` is on this scale.
    pub days_elapsed: u32,
    /// When the next day starts (seconds).
    pub next_day_at: i64,
}

/// Anki's default learn-ahead limit, 20 minutes.
pub const DEFAULT_LEARN_AHEAD_SECS: i64 = 20 * 60;

impl DayRules {
    /// Reads the rules from an open collection.
    pub fn read(conn: &Connection) -> rusqlite::Result<DayRules> {
        let creation_secs = conn.query_row("SELECT crt FROM col", [], |r| r.get(0))?;
        let sched_version = config_i64(conn, "schedVer")?.unwrap_or(2);
        let rollover_hour = if sched_version == 1 {
            None
        } else {
            // Anki treats a missing rollover as 4 am (and writes it).
            Some(config_i64(conn, "rollover")?.map_or(4, |h| h.clamp(0, 23) as u8))
        };
        Ok(DayRules {
            creation_secs,
            creation_minutes_west: config_i64(conn, "creationOffset")?.and_then(offset_minutes),
            local_minutes_west: config_i64(conn, "localOffset")?.and_then(offset_minutes),
            rollover_hour,
            learn_ahead_secs: config_i64(conn, "collapseTime")?.unwrap_or(DEFAULT_LEARN_AHEAD_SECS),
        })
    }

    /// Today at `now` (seconds).
    pub fn today(&self, now: i64) -> Today {
        let local_offset = -i64::from(self.local_minutes_west.unwrap_or(0)) * 60;
        let (days_elapsed, next_day_at) = match (self.rollover_hour, self.creation_minutes_west) {
            (None, _) => {
                let days = (now - self.creation_secs) / DAY;
                (days, self.creation_secs + (days + 1) * DAY)
            }
            (Some(rollover), None) => {
                let crt_at_rollover = at_hour(self.creation_secs, local_offset, rollover);
                let mut next = at_hour(now, local_offset, rollover);
                if next < now {
                    next += DAY;
                }
                ((now - crt_at_rollover) / DAY, next)
            }
            (Some(rollover), Some(creation_west)) => {
                let creation_offset = -i64::from(creation_west) * 60;
                let rollover_today = at_hour(now, local_offset, rollover);
                let passed = rollover_today <= now;
                let calendar_days =
                    local_day(now, local_offset) - local_day(self.creation_secs, creation_offset);
                let days = if passed {
                    calendar_days
                } else {
                    calendar_days - 1
                };
                let next = if passed {
                    rollover_today + DAY
                } else {
                    rollover_today
                };
                (days, next)
            }
        };
        Today {
            now,
            days_elapsed: u32::try_from(days_elapsed.max(0)).unwrap_or(u32::MAX),
            next_day_at,
        }
    }
}

/// The calendar day number of an instant at a UTC offset (seconds east).
fn local_day(secs: i64, offset: i64) -> i64 {
    (secs + offset).div_euclid(DAY)
}

/// The instant of `hour`:00 on the calendar day of `secs` at `offset`.
fn at_hour(secs: i64, offset: i64, hour: u8) -> i64 {
    local_day(secs, offset) * DAY - offset + i64::from(hour % 24) * 3600
}

/// An offset Anki accepts (less than a day either way), in minutes west.
fn offset_minutes(minutes_west: i64) -> Option<i32> {
    i32::try_from(minutes_west)
        .ok()
        .filter(|m| m.abs() < 24 * 60)
}

/// A number stored in the collection's config table.
fn config_i64(conn: &Connection, key: &str) -> rusqlite::Result<Option<i64>> {
    Ok(config_value(conn, key)?
        .and_then(|v| v.as_f64())
        .map(|v| v as i64))
}

#[cfg(test)]
mod tests;
