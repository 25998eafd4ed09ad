//! Applying an answer: the card row the chosen state leads to and the revlog row that
//! records it, as `col.sched.answer_card()` writes them (the transaction, usn and mtime
//! are the caller's).

use super::card::{
    CardData, CardRow, QUEUE_DAY_LEARN, QUEUE_LEARN, QUEUE_NEW, QUEUE_REVIEW, QUEUE_SUSPENDED,
    TYPE_LEARN, TYPE_NEW, TYPE_RELEARN, TYPE_REVIEW,
};
use super::fuzz;
use super::preset::Preset;
use super::state::{CardState, NextStates, Wait};
use super::{SchedContext, SchedError};

/// `revlog.type`.
pub const REVLOG_LEARNING: i64 = 0;
pub const REVLOG_REVIEW: i64 = 1;
pub const REVLOG_RELEARNING: i64 = 2;
pub const REVLOG_FILTERED: i64 = 3;

/// One answer.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    /// 1 again, 2 hard, 3 good, 4 easy.
    pub rating: u8,
    /// When the answer was given: the revlog id, and the card's last review time.
    pub answered_at_millis: i64,
    /// Time spent on the card; capped by the preset's maximum answer time.
    pub milliseconds_taken: u32,
}

/// A `revlog` row, less usn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevlogRow {
    pub id: i64,
    pub card_id: i64,
    pub ease: u8,
    /// Days, or seconds as a negative number.
    pub interval: i64,
    pub last_interval: i64,
    pub factor: i64,
    pub taken_millis: i64,
    pub kind: i64,
}

/// What answering writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub card: CardRow,
    pub revlog: RevlogRow,
    /// The answer made the card a leech: its note gets the `leech` tag.
    pub leech: bool,
}

/// The card and revlog rows after `answer`, for the states `next_states` gave at the same
/// `ctx` (whose `today.now` is the time the due times count from).
pub fn apply_answer(
    card: &CardRow,
    preset: &Preset,
    states: &NextStates,
    answer: &Answer,
    ctx: &SchedContext,
) -> Result<Answered, SchedError> {
    let next = states.for_rating(answer.rating)?;
    let current = states.current;
    let today = ctx.today;
    let until_rollover = (today.next_day_at - today.now).clamp(0, i64::from(u32::MAX)) as u32;
    let days_elapsed = i64::from(today.days_elapsed);

    let mut after = card.clone();
    after.reps += 1;
    let mut data = CardData::parse(&card.data);
    if let CardState::New { position } = current {
        data.pos = Some(position);
    }
    // Due for a state waiting in seconds: a timestamp with the learning fuzz today, a day
    // number once it reaches past the next day start.
    let seed = fuzz::seed(card.id, card.reps);
    let learning_due = |secs: u32| match Wait::Secs(secs).in_days_past_rollover(until_rollover) {
        Wait::Secs(secs) => (
            QUEUE_LEARN,
            today.now + i64::from(fuzz::learning_secs(seed, secs)),
        ),
        Wait::Days(days) => (QUEUE_DAY_LEARN, days_elapsed + i64::from(days)),
    };
    let permille = |ease: f32| (ease * 1000.0).round() as i64;
    let revlog_factor = match next {
        CardState::New { position } => {
            after.card_type = TYPE_NEW;
            after.queue = QUEUE_NEW;
            after.due = i64::from(position);
            data.pos = None;
            0
        }
        CardState::Learning(learning) => {
            after.left = i64::from(learning.remaining_steps);
            after.card_type = TYPE_LEARN;
            (after.queue, after.due) = learning_due(learning.scheduled_secs);
            0
        }
        CardState::Review(review) => {
            after.card_type = TYPE_REVIEW;
            after.queue = QUEUE_REVIEW;
            after.interval = i64::from(review.scheduled_days);
            after.due = days_elapsed + i64::from(review.scheduled_days);
            after.factor = permille(review.ease_factor);
            after.lapses = i64::from(review.lapses);
            after.left = 0;
            permille(review.ease_factor)
        }
        CardState::Relearning { learning, review } => {
            after.card_type = TYPE_RELEARN;
            after.interval = i64::from(review.scheduled_days);
            after.left = i64::from(learning.remaining_steps);
            after.lapses = i64::from(review.lapses);
            after.factor = permille(review.ease_factor);
            (after.queue, after.due) = learning_due(learning.scheduled_secs);
            permille(review.ease_factor)
        }
    };
    // Under FSRS the revlog's factor is the difficulty, shifted to 100..1000.
    let revlog_factor = match next.memory() {
        Some(memory) => (((memory.difficulty - 1.0) / 9.0 + 0.1) * 1000.0).round() as i64,
        None => revlog_factor,
    };
    data.set_fsrs(
        ctx.fsrs
            .as_ref()
            .map(|fsrs| (next.memory(), fsrs.desired_retention, fsrs.decay)),
    );
    let leech = next.leeched();
    if leech && preset.leech_suspends {
        after.queue = QUEUE_SUSPENDED;
    }
    data.lrt = Some(answer.answered_at_millis.div_euclid(1000));
    after.data = data.to_json();

    let cap_millis = preset.cap_answer_time_to_secs.saturating_mul(1000);
    let revlog = RevlogRow {
        id: answer.answered_at_millis,
        card_id: card.id,
        ease: answer.rating,
        interval: next
            .wait()
            .in_days_past_rollover(until_rollover)
            .as_revlog_interval(),
        last_interval: current
            .wait()
            .in_days_past_rollover(until_rollover)
            .as_revlog_interval(),
        factor: revlog_factor,
        taken_millis: i64::from(answer.milliseconds_taken.min(cap_millis)),
        kind: revlog_kind(current),
    };
    Ok(Answered {
        card: after,
        revlog,
        leech,
    })
}

/// The kind of review the state being left makes the answer.
fn revlog_kind(current: CardState) -> i64 {
    match current {
        CardState::New { .. } | CardState::Learning(_) => REVLOG_LEARNING,
        CardState::Review(review) if review.elapsed_days < review.scheduled_days => REVLOG_FILTERED,
        CardState::Review(_) => REVLOG_REVIEW,
        CardState::Relearning { .. } => REVLOG_RELEARNING,
    }
}
