//! Which snapshots to keep, as Anki keeps its own backups: the last few collections a
//! full upload or a restore replaced and those an operator asked for (never thinned out
//! by a daily one of the same day), and of the daily ones one per day for the last days,
//! then one per week, then one per month. Days, weeks and months are UTC.

use std::collections::HashSet;
use std::path::Path;

use super::{list, remove, Reason, Snapshot, SnapshotError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub replaced: usize,
    pub daily: usize,
    pub weekly: usize,
    pub monthly: usize,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            replaced: 10,
            daily: 7,
            weekly: 4,
            monthly: 6,
        }
    }
}

use crate::clock::civil_date;

/// The ids of `snapshots` (newest first) that `policy` does not keep.
pub(super) fn to_remove(snapshots: &[Snapshot], policy: &Retention) -> Vec<String> {
    let mut replaced = 0;
    // Each tier keeps the newest snapshot of a period no finer tier already covers.
    let (mut days, mut weeks, mut months) = (HashSet::new(), HashSet::new(), HashSet::new());
    let (mut daily, mut weekly, mut monthly) = (0, 0, 0);
    let mut gone = Vec::new();
    for s in snapshots {
        if matches!(
            s.reason,
            Reason::Replaced | Reason::BeforeRestore | Reason::Manual
        ) {
            replaced += 1;
            if replaced > policy.replaced {
                gone.push(s.id.clone());
            }
            continue;
        }
        let day = s.taken_at.div_euclid(86_400);
        // Weeks start on Monday: 1970-01-01 was a Thursday.
        let week = (day + 3).div_euclid(7);
        let (y, m, _) = civil_date(day);
        let month = y * 12 + m;
        let keep = if daily < policy.daily && !days.contains(&day) {
            daily += 1;
            true
        } else if days.contains(&day) {
            false
        } else if weekly < policy.weekly && !weeks.contains(&week) {
            weekly += 1;
            true
        } else if weeks.contains(&week) {
            false
        } else if monthly < policy.monthly && !months.contains(&month) {
            monthly += 1;
            true
        } else {
            false
        };
        if keep {
            days.insert(day);
            weeks.insert(week);
            months.insert(month);
        } else {
            gone.push(s.id.clone());
        }
    }
    gone
}

/// Removes the user's snapshots `policy` does not keep; returns their ids.
pub fn prune(
    data_dir: &Path,
    user_id: i64,
    policy: &Retention,
) -> Result<Vec<String>, SnapshotError> {
    let snapshots = list(data_dir, user_id)?;
    let gone = to_remove(&snapshots, policy);
    for id in &gone {
        remove(data_dir, user_id, id)?;
    }
    Ok(gone)
}
