//! The options of a deck's preset (`deck_config.config`) the answer depends on.

use crate::schema_bridge::deck_config_clamped;
use crate::schema_bridge::pb::DeckConfigConfig;

/// `LeechAction::Suspend` in the protobuf; anything else only tags the note.
const LEECH_ACTION_SUSPEND: i32 = 0;

/// One preset, as the scheduler uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub id: i64,
    /// Minutes.
    pub learn_steps: Vec<f32>,
    /// Minutes.
    pub relearn_steps: Vec<f32>,
    pub graduating_interval_good: u32,
    pub graduating_interval_easy: u32,
    /// Starting ease (2.5 = 250%).
    pub initial_ease: f32,
    /// Easy bonus.
    pub easy_multiplier: f32,
    /// Hard interval.
    pub hard_multiplier: f32,
    /// New interval after a lapse.
    pub lapse_multiplier: f32,
    /// Interval modifier.
    pub interval_multiplier: f32,
    pub maximum_review_interval: u32,
    /// Minimum interval after a lapse.
    pub minimum_lapse_interval: u32,
    /// 0 turns leech detection off.
    pub leech_threshold: u32,
    pub leech_suspends: bool,
    /// Maximum answer time counted, in seconds.
    pub cap_answer_time_to_secs: u32,
    /// With it, the load balancer keeps a card off days its siblings are due.
    pub bury_reviews: bool,
    /// Easy days, Monday first: 1.0 normal, 0.0 minimum, anything else reduced; empty
    /// means every day is normal.
    pub easy_days_percentages: Vec<f32>,
    /// What FSRS schedules with, when the collection has it on.
    pub fsrs: FsrsOptions,
}

/// A preset's FSRS options.
#[derive(Debug, Clone, PartialEq)]
pub struct FsrsOptions {
    /// FSRS-6 parameters if the preset has them, else FSRS-5, else FSRS-4.5; empty means
    /// the crate's defaults.
    pub params: Vec<f32>,
    pub desired_retention: f32,
    /// The retention SM-2 reviews are assumed to have had, for a memory state derived
    /// from an ease and interval.
    pub historical_retention: f32,
    /// Reviews before this time (ms) do not count towards a derived memory state.
    pub ignore_reviews_before_millis: i64,
}

impl Preset {
    /// The preset as Anki schedules with it: a stored value outside the range the options
    /// screen allows is replaced by its default every time Anki loads the config (the
    /// bridge's one table, [`deck_config_clamped`]), so a hard interval of 1.5 stored by
    /// another client schedules as 1.2.
    pub fn from_config(id: i64, config: &DeckConfigConfig) -> Preset {
        let config = deck_config_clamped(config.clone());
        let fsrs = FsrsOptions::from_config(&config);
        Preset {
            id,
            learn_steps: config.learn_steps,
            relearn_steps: config.relearn_steps,
            graduating_interval_good: config.graduating_interval_good,
            graduating_interval_easy: config.graduating_interval_easy,
            initial_ease: config.initial_ease,
            easy_multiplier: config.easy_multiplier,
            hard_multiplier: config.hard_multiplier,
            lapse_multiplier: config.lapse_multiplier,
            interval_multiplier: config.interval_multiplier,
            maximum_review_interval: config.maximum_review_interval,
            minimum_lapse_interval: config.minimum_lapse_interval,
            leech_threshold: config.leech_threshold,
            leech_suspends: config.leech_action == LEECH_ACTION_SUSPEND,
            cap_answer_time_to_secs: config.cap_answer_time_to_secs,
            bury_reviews: config.bury_reviews,
            fsrs,
            easy_days_percentages: config.easy_days_percentages,
        }
    }

    /// The review interval bounds: the maximum is at least a day, the minimum at least a
    /// day and at most the maximum.
    pub(super) fn interval_bounds(&self, minimum: u32) -> (u32, u32) {
        let maximum = self.maximum_review_interval.max(1);
        (minimum.clamp(1, maximum), maximum)
    }
}

impl FsrsOptions {
    fn from_config(config: &DeckConfigConfig) -> FsrsOptions {
        let params = [
            &config.fsrs_params_6,
            &config.fsrs_params_5,
            &config.fsrs_params_4,
        ]
        .into_iter()
        .find(|params| !params.is_empty())
        .cloned()
        .unwrap_or_default();
        FsrsOptions {
            params,
            desired_retention: retention_or_default(config.desired_retention),
            historical_retention: retention_or_default(config.historical_retention),
            ignore_reviews_before_millis: midnight_utc_millis(&config.ignore_revlogs_before_date)
                .unwrap_or(0),
        }
    }
}

/// A retention Anki's options screen allows, else its default of 90%.
fn retention_or_default(value: f32) -> f32 {
    if value > 0.0 && value < 1.0 {
        value
    } else {
        0.9
    }
}

/// `YYYY-MM-DD` as the milliseconds of that midnight in UTC.
fn midnight_utc_millis(date: &str) -> Option<i64> {
    let mut parts = date.trim().splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (parts.next()??, parts.next()??, parts.next()??);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    // Days from 1970-01-01 to the date (the civil-from-days algorithm, run backwards).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::midnight_utc_millis;

    #[test]
    fn ignore_before_dates_are_utc_midnights() {
        assert_eq!(midnight_utc_millis("1970-01-01"), Some(0));
        assert_eq!(midnight_utc_millis("2024-03-01"), Some(1_709_251_200_000));
        assert_eq!(midnight_utc_millis("2000-02-29"), Some(951_782_400_000));
        assert_eq!(midnight_utc_millis(""), None);
        assert_eq!(midnight_utc_millis("2024-13-01"), None);
    }
}
