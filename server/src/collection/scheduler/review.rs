//! Review answers under SM-2: the hard, good and easy intervals (each at least a day past
//! the one before), ease changes, the interval after a lapse and the leech threshold.

use super::intervals::Intervals;
use super::learning::relearn_after_lapse;
use super::state::{CardState, NextStates, ReviewState, MINIMUM_EASE};

const AGAIN_EASE_DELTA: f32 = -0.2;
const HARD_EASE_DELTA: f32 = -0.15;
const EASY_EASE_DELTA: f32 = 0.15;

impl ReviewState {
    fn days_late(&self) -> i64 {
        i64::from(self.elapsed_days) - i64::from(self.scheduled_days)
    }

    pub(super) fn next_states(self, ctx: &Intervals) -> NextStates {
        let (hard, good, easy) = if self.days_late() < 0 {
            self.early_intervals(ctx)
        } else {
            self.intervals(ctx)
        };
        let passed = |scheduled_days, ease_factor| {
            CardState::Review(ReviewState {
                scheduled_days,
                elapsed_days: 0,
                ease_factor,
                ..self
            })
        };
        NextStates {
            current: CardState::Review(self),
            again: self.again(ctx),
            hard: passed(hard, (self.ease_factor + HARD_EASE_DELTA).max(MINIMUM_EASE)),
            good: passed(good, self.ease_factor),
            easy: passed(easy, self.ease_factor + EASY_EASE_DELTA),
        }
    }

    /// The interval a lapse leaves the card with (kept through relearning).
    /// The interval times the new-interval multiplier, at least the minimum, balanced or
    /// fuzzed like a passing interval (without the interval modifier).
    pub(super) fn lapse_interval(&self, ctx: &Intervals) -> u32 {
        let (minimum, maximum) = ctx
            .preset
            .interval_bounds(ctx.preset.minimum_lapse_interval);
        ctx.with_fuzz(
            self.scheduled_days as f32 * ctx.preset.lapse_multiplier,
            minimum,
            maximum,
        )
    }

    fn again(self, ctx: &Intervals) -> CardState {
        let lapses = self.lapses + 1;
        let review = ReviewState {
            scheduled_days: self.lapse_interval(ctx),
            elapsed_days: 0,
            ease_factor: (self.ease_factor + AGAIN_EASE_DELTA).max(MINIMUM_EASE),
            lapses,
            leeched: is_leech(lapses, ctx.preset.leech_threshold),
            memory: None,
        };
        relearn_after_lapse(review, ctx)
    }

    /// Due or overdue: hard the interval times the hard multiplier, good the interval plus
    /// half the days late times the ease, easy the interval plus all the days late times
    /// ease and easy bonus.
    fn intervals(self, ctx: &Intervals) -> (u32, u32, u32) {
        let current = self.scheduled_days as f32;
        let late = self.days_late().max(0) as f32;
        let hard_multiplier = ctx.preset.hard_multiplier;
        let (hard_minimum, good_minimum);
        if hard_multiplier <= 1.0 {
            hard_minimum = 0;
            good_minimum = Some(self.scheduled_days + 1);
        } else {
            hard_minimum = self.scheduled_days + 1;
            good_minimum = None;
        }
        let hard = ctx.passing(current * hard_multiplier, hard_minimum, true);
        let good = ctx.passing(
            (current + late / 2.0) * self.ease_factor,
            good_minimum.unwrap_or(hard + 1),
            true,
        );
        let easy = ctx.passing(
            (current + late) * self.ease_factor * ctx.preset.easy_multiplier,
            good + 1,
            true,
        );
        (hard, good, easy)
    }

    /// Answered before it was due (Anki's early-review rules, without fuzz).
    fn early_intervals(self, ctx: &Intervals) -> (u32, u32, u32) {
        let scheduled = self.scheduled_days as f32;
        let elapsed = scheduled + self.days_late() as f32;
        let hard_multiplier = ctx.preset.hard_multiplier;
        let hard = ctx.passing(
            (elapsed * hard_multiplier).max(scheduled * hard_multiplier / 2.0),
            0,
            false,
        );
        let good = ctx.passing((elapsed * self.ease_factor).max(scheduled), 0, false);
        let easy_multiplier = ctx.preset.easy_multiplier;
        let reduced_bonus = easy_multiplier - (easy_multiplier - 1.0) / 2.0;
        let easy = ctx.passing(
            (elapsed * self.ease_factor).max(scheduled) * reduced_bonus,
            0,
            false,
        );
        (hard, good, easy)
    }
}

/// A leech at the threshold, and again every half threshold (rounded up) after it.
pub(super) fn is_leech(lapses: u32, threshold: u32) -> bool {
    if threshold == 0 {
        return false;
    }
    let Some(past) = lapses.checked_sub(threshold) else {
        return false;
    };
    let half = (threshold as f32 / 2.0).ceil().max(1.0) as u32;
    // A whole number of half thresholds past it. Not `%`: clippy would ask for
    // `is_multiple_of`, which is newer (1.87) than the workspace's rust-version.
    past / half * half == past
}
