//! Learning and relearning answers: through the steps, and out of them into review (the
//! graduating or easy interval for learning cards, the interval the lapse left for
//! relearning ones).

use super::intervals::Intervals;
use super::state::{CardState, LearnState, NextStates, ReviewState};
use super::steps::Steps;

impl LearnState {
    /// A new card is answered as one that failed on the first step.
    pub(super) fn for_new_card(ctx: &Intervals) -> LearnState {
        LearnState {
            remaining_steps: Steps::new(&ctx.preset.learn_steps).remaining_after_again(),
            scheduled_secs: 0,
            memory: None,
        }
    }

    pub(super) fn next_states(self, current: CardState, ctx: &Intervals) -> NextStates {
        let steps = Steps::new(&ctx.preset.learn_steps);
        let graduate = || {
            let (minimum, maximum) = ctx.preset.interval_bounds(1);
            let good = ctx.preset.graduating_interval_good as f32;
            graduated(ctx.with_fuzz(good.round().max(1.0), minimum, maximum), ctx)
        };
        let again = match steps.again_secs() {
            Some(secs) => CardState::Learning(LearnState {
                remaining_steps: steps.remaining_after_again(),
                scheduled_secs: secs,
                memory: None,
            }),
            None => graduate(),
        };
        let hard = match steps.hard_secs(self.remaining_steps) {
            Some(secs) => CardState::Learning(LearnState {
                scheduled_secs: secs,
                ..self
            }),
            None => graduate(),
        };
        let good = match steps.good_secs(self.remaining_steps) {
            Some(secs) => CardState::Learning(LearnState {
                remaining_steps: steps.remaining_after_good(self.remaining_steps),
                scheduled_secs: secs,
                memory: None,
            }),
            None => graduate(),
        };
        let (minimum, maximum) = ctx.preset.interval_bounds(1);
        let easy_days = ctx.preset.graduating_interval_easy as f32;
        let easy = graduated(ctx.with_fuzz(easy_days, minimum, maximum), ctx);
        NextStates {
            current,
            again,
            hard,
            good,
            easy,
        }
    }
}

fn graduated(scheduled_days: u32, ctx: &Intervals) -> CardState {
    CardState::Review(ReviewState {
        scheduled_days,
        elapsed_days: 0,
        ease_factor: ctx.preset.initial_ease,
        lapses: 0,
        leeched: false,
        memory: None,
    })
}

/// After a lapse: into relearning on the first step, or straight back to review when the
/// preset has no relearning steps.
pub(super) fn relearn_after_lapse(review: ReviewState, ctx: &Intervals) -> CardState {
    let steps = Steps::new(&ctx.preset.relearn_steps);
    match steps.again_secs() {
        Some(secs) => CardState::Relearning {
            learning: LearnState {
                remaining_steps: steps.remaining_after_again(),
                scheduled_secs: secs,
                memory: None,
            },
            review,
        },
        None => CardState::Review(review),
    }
}

/// The states of a relearning card: `learning` its step, `review` what it returns to.
pub(super) fn relearning_next_states(
    learning: LearnState,
    review: ReviewState,
    ctx: &Intervals,
) -> NextStates {
    let steps = Steps::new(&ctx.preset.relearn_steps);
    let back_to_review = CardState::Review(ReviewState {
        elapsed_days: 0,
        ..review
    });
    let on_step = |learning| CardState::Relearning {
        learning,
        review: ReviewState {
            elapsed_days: 0,
            ..review
        },
    };
    let again = match steps.again_secs() {
        Some(secs) => CardState::Relearning {
            learning: LearnState {
                remaining_steps: steps.remaining_after_again(),
                scheduled_secs: secs,
                memory: None,
            },
            review: ReviewState {
                scheduled_days: review.lapse_interval(ctx),
                elapsed_days: 0,
                ..review
            },
        },
        None => CardState::Review(review),
    };
    let hard = match steps.hard_secs(learning.remaining_steps) {
        Some(secs) => on_step(LearnState {
            scheduled_secs: secs,
            ..learning
        }),
        None => back_to_review,
    };
    let good = match steps.good_secs(learning.remaining_steps) {
        Some(secs) => on_step(LearnState {
            remaining_steps: steps.remaining_after_good(learning.remaining_steps),
            scheduled_secs: secs,
            memory: None,
        }),
        None => back_to_review,
    };
    let easy = CardState::Review(ReviewState {
        scheduled_days: review.scheduled_days + 1,
        elapsed_days: 0,
        ..review
    });
    NextStates {
        current: CardState::Relearning { learning, review },
        again,
        hard,
        good,
        easy,
    }
}
