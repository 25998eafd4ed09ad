//! The options of a deck's preset (`deck_config.config`) the answer depends on.

use std::ops::RangeInclusive;

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
}

impl Preset {
    /// The preset as Anki schedules with it: a stored value outside the range the options
    /// screen allows is replaced by its default every time Anki loads the config (the
    /// same rule as `schema_bridge::deck_config`), so a hard interval of 1.5 stored by
    /// another client schedules as 1.2.
    pub fn from_config(id: i64, config: &DeckConfigConfig) -> Preset {
        Preset {
            id,
            learn_steps: config.learn_steps.clone(),
            relearn_steps: config.relearn_steps.clone(),
            graduating_interval_good: or_default(config.graduating_interval_good, 1..=36500, 1),
            graduating_interval_easy: or_default(config.graduating_interval_easy, 1..=36500, 4),
            initial_ease: or_default(config.initial_ease, 1.31..=5.0, 2.5),
            easy_multiplier: or_default(config.easy_multiplier, 1.0..=5.0, 1.3),
            hard_multiplier: or_default(config.hard_multiplier, 0.5..=1.3, 1.2),
            lapse_multiplier: or_default(config.lapse_multiplier, 0.0..=1.0, 0.0),
            interval_multiplier: or_default(config.interval_multiplier, 0.5..=2.0, 1.0),
            maximum_review_interval: or_default(config.maximum_review_interval, 1..=36500, 36500),
            minimum_lapse_interval: or_default(config.minimum_lapse_interval, 1..=36500, 1),
            leech_threshold: or_default(config.leech_threshold, 1..=9999, 8),
            leech_suspends: config.leech_action == LEECH_ACTION_SUSPEND,
            cap_answer_time_to_secs: or_default(config.cap_answer_time_to_secs, 1..=9999, 60),
            bury_reviews: config.bury_reviews,
            easy_days_percentages: config.easy_days_percentages.clone(),
        }
    }

    /// The review interval bounds: the maximum is at least a day, the minimum at least a
    /// day and at most the maximum.
    pub(super) fn interval_bounds(&self, minimum: u32) -> (u32, u32) {
        let maximum = self.maximum_review_interval.max(1);
        (minimum.clamp(1, maximum), maximum)
    }
}

/// `value` when `allowed` holds it, else `default`.
fn or_default<T: PartialOrd>(value: T, allowed: RangeInclusive<T>, default: T) -> T {
    if allowed.contains(&value) {
        value
    } else {
        default
    }
}
