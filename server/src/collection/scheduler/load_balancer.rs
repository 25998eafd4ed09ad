//! The load balancer (on unless the collection's `loadBalancerEnabled` is false): instead
//! of a plain fuzz, a review interval of at most 90 days is drawn from its fuzz range with
//! each day weighted by how few reviews of the same preset are due on it, `(1 / due)^2.15 ×
//! (1 / interval)³` (an empty day weighs 1), and easy days lowering the weight of their
//! weekday. When the preset buries review siblings, the card's note keeps its cards apart:
//! a busy day with a card of the note due on it weighs a thousandth, and one a day or more
//! from such a day `min(distance, 5) / 5` for each of them (the card itself, when it is due
//! today, counts). The draw uses the card's fuzz generator.
//!
//! The spacing is not in any Anki source we could read; the installed `anki` shows it
//! (tests/oracle/sched_vectors.py, cases `siblings_buried` and `siblings_spaced`), measured
//! by bracketing its weighted draw over many seeds: with the card due today, busy
//! days 3, 4 and 5 are picked as if weighted 3 : 4 : 5 on top of their loads, and not at
//! all when the card is overdue (due before today, outside the counted days) or the
//! preset does not bury reviews; with two cards of the note the factors multiply; five
//! days or more away a card changes nothing, and an empty day keeps its weight of 1.
//!
//! "Due on a day" is what Anki's snapshot counts when it builds the study queues: every
//! card whose `due` is that day number, whatever its queue, in a normal deck with the
//! same preset.

use std::collections::{HashMap, HashSet};

use r2d2_sqlite::rusqlite::Connection;
use rand::distributions::{Distribution, WeightedIndex};

use super::fuzz;
use super::preset::Preset;
use super::SchedError;

const MAX_BALANCED_INTERVAL: u32 = 90;
/// Days Anki keeps counts for: 10% past the longest balanced interval.
const DAYS_COUNTED: u32 = 99;
const SIBLING_PENALTY: f32 = 0.001;
/// From this many days away a card of the note no longer lowers a day's weight.
const SIBLING_SPACING_DAYS: u32 = 5;
/// The powers of a day's due count and of its interval in the day's weight, as Anki has
/// had them since it tuned them by simulation (ankitects/anki#3864; before, a square and
/// a plain inverse). The oracle tells both apart: with a square of the due count 8 of its
/// vectors differ, with a plain inverse of the interval 60.
const DUE_POWER: f32 = 2.15;
const INTERVAL_POWER: i32 = 3;
const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EasyDay {
    Minimum,
    Reduced,
    Normal,
}

impl EasyDay {
    fn from_percentage(percentage: f32) -> EasyDay {
        if percentage == 1.0 {
            EasyDay::Normal
        } else if percentage == 0.0 {
            EasyDay::Minimum
        } else {
            EasyDay::Reduced
        }
    }

    /// Not zero, so a range of only minimum days still balances.
    fn weight(self) -> f32 {
        match self {
            EasyDay::Minimum => 0.0001,
            EasyDay::Reduced => 0.5,
            EasyDay::Normal => 1.0,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct DayCards {
    cards: usize,
    notes: HashSet<i64>,
}

/// The cards due on each of the next days in one preset, from today on (index 0).
#[derive(Debug, Clone)]
pub struct ReviewLoad {
    days: Vec<DayCards>,
    /// When tomorrow starts, and the offset (seconds east) its weekday is counted in.
    next_day_at: i64,
    utc_offset_secs: i64,
    easy_days: [EasyDay; 7],
}

impl ReviewLoad {
    /// The load of `preset` from day `days_elapsed` on; `None` when no card of the preset
    /// is due in that window (Anki then falls back to the plain fuzz). `deck_presets` maps
    /// each normal deck to its preset.
    pub fn read(
        conn: &Connection,
        days_elapsed: u32,
        next_day_at: i64,
        utc_offset_secs: i64,
        preset: &Preset,
        deck_presets: &HashMap<i64, i64>,
    ) -> Result<Option<ReviewLoad>, SchedError> {
        let easy_days = easy_days(preset)?;
        let mut days = vec![DayCards::default(); DAYS_COUNTED as usize];
        let mut any = false;
        let mut stmt =
            conn.prepare("SELECT nid, did, due FROM cards WHERE due >= ?1 AND due < ?2")?;
        let start = i64::from(days_elapsed);
        let rows = stmt.query_map([start, start + i64::from(DAYS_COUNTED)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (note_id, deck_id, due) = row?;
            if deck_presets.get(&deck_id) != Some(&preset.id) {
                continue;
            }
            if let Some(day) = usize::try_from(due - start)
                .ok()
                .and_then(|i| days.get_mut(i))
            {
                day.cards += 1;
                day.notes.insert(note_id);
                any = true;
            }
        }
        Ok(any.then_some(ReviewLoad {
            days,
            next_day_at,
            utc_offset_secs,
            easy_days,
        }))
    }

    /// The balanced interval, or `None` where Anki leaves it to the fuzz: intervals (or
    /// minimums) over 90 days.
    pub(super) fn find_interval(
        &self,
        interval: f32,
        minimum: u32,
        maximum: u32,
        seed: u64,
        sibling_of: Option<i64>,
    ) -> Option<u32> {
        if interval as u32 > MAX_BALANCED_INTERVAL || minimum > MAX_BALANCED_INTERVAL {
            return None;
        }
        let (lower, upper) = fuzz::bounds(interval, minimum, maximum);
        let window = self.days.get(lower as usize..=upper as usize)?;
        let counts: Vec<usize> = window.iter().map(|d| d.cards).collect();
        let weekdays: Vec<usize> = (lower..=upper).map(|days| self.weekday(days)).collect();
        let easy = self.easy_day_weights(&weekdays, &counts);
        let note_days = self.days_with(sibling_of);
        let weights: Vec<f32> = window
            .iter()
            .zip(lower..=upper)
            .zip(easy)
            .map(|((day, days), easy)| {
                if day.cards == 0 {
                    return 1.0;
                }
                let sibling = sibling_spacing(days, &note_days);
                (1.0 / day.cards as f32).powf(DUE_POWER)
                    * (1.0 / days as f32).powi(INTERVAL_POWER)
                    * sibling
                    * easy
            })
            .collect();
        let choice = WeightedIndex::new(&weights).ok()?;
        let index = choice.sample(&mut fuzz::rng(seed));
        Some(lower + index as u32)
    }

    /// The days (from today) on which a card of `note` is due; none when the preset lets
    /// siblings share days.
    fn days_with(&self, note: Option<i64>) -> Vec<u32> {
        let Some(note) = note else {
            return Vec::new();
        };
        (0..)
            .zip(&self.days)
            .filter(|(_, day)| day.notes.contains(&note))
            .map(|(days, _)| days)
            .collect()
    }

    /// The weekday (0 Monday) of the day `days` from today.
    fn weekday(&self, days: u32) -> usize {
        let at = self.next_day_at + (i64::from(days) - 1) * DAY + self.utc_offset_secs;
        // 1970-01-01 was a Thursday.
        (at.div_euclid(DAY) + 3).rem_euclid(7) as usize
    }

    /// Per day of the window: normal days count fully, minimum days hardly, and a reduced
    /// day fully unless its share (doubled) already passes the other days' average.
    fn easy_day_weights(&self, weekdays: &[usize], counts: &[usize]) -> Vec<f32> {
        let total: usize = counts.iter().sum();
        let total_share: f32 = weekdays.iter().map(|&w| self.easy_days[w].weight()).sum();
        weekdays
            .iter()
            .zip(counts)
            .map(|(&weekday, &count)| {
                let day = match self.easy_days[weekday] {
                    EasyDay::Reduced => {
                        let others = (total - count) as f32 / (total_share - 0.5);
                        if count as f32 / 0.5 > others {
                            EasyDay::Minimum
                        } else {
                            EasyDay::Normal
                        }
                    }
                    other => other,
                };
                day.weight()
            })
            .collect()
    }
}

/// The factor of day `days` for the days a card of the same note is due on: a thousandth
/// on such a day, and `min(distance, 5) / 5` for each such day nearby.
fn sibling_spacing(days: u32, note_days: &[u32]) -> f32 {
    note_days
        .iter()
        .map(|&note_day| match days.abs_diff(note_day) {
            0 => SIBLING_PENALTY,
            distance => distance.min(SIBLING_SPACING_DAYS) as f32 / SIBLING_SPACING_DAYS as f32,
        })
        .product()
}

fn easy_days(preset: &Preset) -> Result<[EasyDay; 7], SchedError> {
    if preset.easy_days_percentages.is_empty() {
        return Ok([EasyDay::Normal; 7]);
    }
    let days: [f32; 7] = preset
        .easy_days_percentages
        .as_slice()
        .try_into()
        .map_err(|_| SchedError::InvalidPreset {
            id: preset.id,
            reason: "easy days need one value per weekday".to_owned(),
        })?;
    Ok(days.map(EasyDay::from_percentage))
}
