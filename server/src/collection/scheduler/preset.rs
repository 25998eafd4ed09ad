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
}

impl Preset {
    /// The preset as Anki schedules with it: a stored value outside the range the options
    /// screen allows is replaced by its default every time Anki loads the config (the
    /// bridge's one table, [`deck_config_clamped`]), so a hard interval of 1.5 stored by
    /// another client schedules as 1.2.
    pub fn from_config(id: i64, config: &DeckConfigConfig) -> Preset {
        let config = deck_config_clamped(config.clone());
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
