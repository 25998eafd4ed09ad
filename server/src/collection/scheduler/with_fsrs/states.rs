//! The next states under FSRS. Learning and relearning steps still come first; FSRS gives
//! the interval once no step is left (or, when the parameters allow short-term memory and
//! there are no steps, a delay under half a day instead of a day). Review intervals are
//! FSRS's, fuzzed or balanced as under SM-2, with neither the interval modifier nor the
//! hard, easy and lapse multipliers; the ease still moves as under SM-2.

use fsrs::ItemState;

use super::super::fuzz;
use super::super::intervals::Intervals;
use super::super::review::is_leech;
use super::super::state::{CardState, LearnState, NextStates, ReviewState, MINIMUM_EASE};
use super::super::steps::Steps;
use super::FsrsNext;

const HARD_EASE_DELTA: f32 = -0.15;
const EASY_EASE_DELTA: f32 = 0.15;
const AGAIN_EASE_DELTA: f32 = -0.2;
/// Under half a day, a short-term delay stands in for a missing step.
const SHORT_TERM_DAYS: f32 = 0.5;

/// FSRS's interval as whole days, at least one.
fn whole_days(state: &ItemState) -> f32 {
    state.interval.round().max(1.0)
}

/// A delay in seconds for a state FSRS gives less than half a day, when it may stand in
/// for a missing step.
fn short_term_secs(fsrs: &FsrsNext, steps_empty: bool, state: &ItemState) -> Option<u32> {
    let allowed = fsrs.allow_short_term && (fsrs.short_term_with_steps || steps_empty);
    (allowed && state.interval < SHORT_TERM_DAYS).then_some((state.interval * 86_400.0) as u32)
}

/// The fuzzed (or balanced) review interval for `days`, at least `minimum`.
fn fuzzed(ctx: &Intervals, days: f32, minimum: u32) -> u32 {
    let (minimum, maximum) = ctx.preset.interval_bounds(minimum);
    ctx.with_fuzz(days, minimum, maximum)
}

/// Easy out of (re)learning: FSRS's easy interval, past the fuzzed good one.
fn easy_graduation(ctx: &Intervals, fsrs: &FsrsNext) -> u32 {
    let good = fuzzed(ctx, fsrs.states.good.interval, 1);
    fuzzed(ctx, whole_days(&fsrs.states.easy), good.saturating_add(1))
}

fn graduated(days: u32, ctx: &Intervals, state: &ItemState) -> CardState {
    CardState::Review(ReviewState {
        scheduled_days: days,
        elapsed_days: 0,
        ease_factor: ctx.preset.initial_ease,
        lapses: 0,
        leeched: false,
        memory: Some(state.memory),
    })
}

/// A learning (or new) card's next states.
pub(in super::super) fn learning_next_states(
    learning: LearnState,
    current: CardState,
    ctx: &Intervals,
    fsrs: &FsrsNext,
) -> NextStates {
    let steps = Steps::new(&ctx.preset.learn_steps);
    let steps_empty = ctx.preset.learn_steps.is_empty();
    let next = &fsrs.states;
    // No step left for this button: a short-term delay, else graduation.
    let past_steps =
        |state: &ItemState, remaining_steps: u32| match short_term_secs(fsrs, steps_empty, state) {
            Some(secs) => CardState::Learning(LearnState {
                remaining_steps,
                scheduled_secs: secs,
                memory: Some(state.memory),
            }),
            None => graduated(fuzzed(ctx, whole_days(state), 1), ctx, state),
        };
    let on_step = |state: &ItemState, remaining_steps, secs| {
        CardState::Learning(LearnState {
            remaining_steps,
            scheduled_secs: secs,
            memory: Some(state.memory),
        })
    };
    let again = match steps.again_secs() {
        Some(secs) => on_step(&next.again, steps.remaining_after_again(), secs),
        None => past_steps(&next.again, steps.remaining_after_again()),
    };
    let hard = match steps.hard_secs(learning.remaining_steps) {
        Some(secs) => on_step(&next.hard, learning.remaining_steps, secs),
        None => past_steps(&next.hard, learning.remaining_steps),
    };
    let good = match steps.good_secs(learning.remaining_steps) {
        Some(secs) => on_step(
            &next.good,
            steps.remaining_after_good(learning.remaining_steps),
            secs,
        ),
        None => past_steps(&next.good, learning.remaining_steps),
    };
    let easy = graduated(easy_graduation(ctx, fsrs), ctx, &next.easy);
    NextStates {
        current,
        again,
        hard,
        good,
        easy,
    }
}

/// A relearning card's next states: `review` is what it returns to. Ease and lapses stay.
pub(in super::super) fn relearning_next_states(
    learning: LearnState,
    review: ReviewState,
    ctx: &Intervals,
    fsrs: &FsrsNext,
) -> NextStates {
    let steps = Steps::new(&ctx.preset.relearn_steps);
    let steps_empty = ctx.preset.relearn_steps.is_empty();
    let next = &fsrs.states;
    let back_to_review = |state: &ItemState, days| {
        CardState::Review(ReviewState {
            scheduled_days: days,
            elapsed_days: 0,
            memory: Some(state.memory),
            ..review
        })
    };
    let on_step =
        |state: &ItemState, remaining_steps, secs, scheduled_days| CardState::Relearning {
            learning: LearnState {
                remaining_steps,
                scheduled_secs: secs,
                memory: Some(state.memory),
            },
            review: ReviewState {
                scheduled_days,
                elapsed_days: 0,
                memory: Some(state.memory),
                ..review
            },
        };
    // No step left for this button: a short-term delay, else back to review.
    let past_steps = |state: &ItemState, remaining_steps| {
        let days = fuzzed(ctx, whole_days(state), 1);
        match short_term_secs(fsrs, steps_empty, state) {
            Some(secs) => on_step(state, remaining_steps, secs, days),
            None => back_to_review(state, days),
        }
    };
    let again = match steps.again_secs() {
        Some(secs) => on_step(
            &next.again,
            steps.remaining_after_again(),
            secs,
            lapse_days(&next.again),
        ),
        None => past_steps(&next.again, steps.remaining_after_again()),
    };
    let hard = match steps.hard_secs(learning.remaining_steps) {
        Some(secs) => on_step(
            &next.hard,
            learning.remaining_steps,
            secs,
            review.scheduled_days,
        ),
        None => past_steps(&next.hard, learning.remaining_steps),
    };
    let good = match steps.good_secs(learning.remaining_steps) {
        Some(secs) => on_step(
            &next.good,
            steps.remaining_after_good(learning.remaining_steps),
            secs,
            review.scheduled_days,
        ),
        None => past_steps(
            &next.good,
            steps.remaining_after_good(learning.remaining_steps),
        ),
    };
    let easy = back_to_review(&next.easy, easy_graduation(ctx, fsrs));
    NextStates {
        current: CardState::Relearning { learning, review },
        again,
        hard,
        good,
        easy,
    }
}

/// The interval a lapse leaves: FSRS's again interval in whole days, neither fuzzed nor
/// held to the maximum interval (the oracle's `fsrs_own_parameters` case has a lapse of
/// 1,251 days under a maximum of 200).
fn lapse_days(again: &ItemState) -> u32 {
    whole_days(again) as u32
}

/// A review card's next states.
pub(in super::super) fn review_next_states(
    review: ReviewState,
    ctx: &Intervals,
    fsrs: &FsrsNext,
) -> NextStates {
    let next = &fsrs.states;
    let maximum = ctx.preset.interval_bounds(1).1;
    let previous = review.scheduled_days;
    // Past the previous interval when FSRS's is longer; not below it while it is still
    // within the fuzz range.
    let minimum_for = |state: &ItemState| {
        if state.interval.round() > previous as f32 {
            previous.saturating_add(1)
        } else if previous <= fuzz::bounds(state.interval, 1, maximum).1 {
            previous
        } else {
            0
        }
    };
    let hard = fuzzed(ctx, next.hard.interval, minimum_for(&next.hard).max(1));
    let good = fuzzed(
        ctx,
        next.good.interval,
        minimum_for(&next.good).max(hard.saturating_add(1)),
    );
    let easy = fuzzed(
        ctx,
        next.easy.interval,
        minimum_for(&next.easy).max(good.saturating_add(1)),
    );
    let passed = |scheduled_days, ease_factor, state: &ItemState| {
        CardState::Review(ReviewState {
            scheduled_days,
            elapsed_days: 0,
            ease_factor,
            memory: Some(state.memory),
            ..review
        })
    };
    NextStates {
        current: CardState::Review(review),
        again: review_again(review, ctx, fsrs),
        hard: passed(
            hard,
            (review.ease_factor + HARD_EASE_DELTA).max(MINIMUM_EASE),
            &next.hard,
        ),
        good: passed(good, review.ease_factor, &next.good),
        easy: passed(easy, review.ease_factor + EASY_EASE_DELTA, &next.easy),
    }
}

/// A lapse: into relearning on its first step; without relearning steps, a short-term
/// delay or straight back to review with FSRS's again interval.
fn review_again(review: ReviewState, ctx: &Intervals, fsrs: &FsrsNext) -> CardState {
    let again = &fsrs.states.again;
    let lapses = review.lapses + 1;
    let lapsed = ReviewState {
        scheduled_days: lapse_days(again),
        elapsed_days: 0,
        ease_factor: (review.ease_factor + AGAIN_EASE_DELTA).max(MINIMUM_EASE),
        lapses,
        leeched: is_leech(lapses, ctx.preset.leech_threshold),
        memory: Some(again.memory),
    };
    let steps = Steps::new(&ctx.preset.relearn_steps);
    let relearning = |remaining_steps, secs| CardState::Relearning {
        learning: LearnState {
            remaining_steps,
            scheduled_secs: secs,
            memory: Some(again.memory),
        },
        review: lapsed,
    };
    match steps.again_secs() {
        Some(secs) => relearning(steps.remaining_after_again(), secs),
        None => match short_term_secs(fsrs, true, again) {
            Some(secs) => relearning(0, secs),
            None => CardState::Review(lapsed),
        },
    }
}
