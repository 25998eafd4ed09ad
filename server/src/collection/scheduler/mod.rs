//! The v3 scheduler's answers under SM-2 and FSRS, as pure computation (DESIGN §11): from a
//! card's row, its deck's preset and today, the state each answer button leads to, the
//! labels the buttons show, and the card and revlog rows `col.sched.answer_card()` writes
//! (FSRS's memory state is read with the card, [`load_for_answer`]). The
//! `anki` package is the oracle (tests/oracle/sched_vectors.py; vectors in
//! server/tests/fixtures/sched/).
//!
//! Writing the rows (transaction, usn, the leech tag, burying siblings, the deck's
//! studied-today counters) is the caller's. Filtered decks are not handled: they are
//! refused with [`SchedError::Unsupported`].

mod answer;
mod card;
mod fuzz;
mod intervals;
mod labels;
mod learning;
mod load;
mod load_balancer;
mod preset;
mod review;
mod state;
mod steps;
mod with_fsrs;

pub use answer::{
    apply_answer, Answer, Answered, RevlogRow, REVLOG_FILTERED, REVLOG_LEARNING, REVLOG_RELEARNING,
    REVLOG_REVIEW,
};
pub use card::*;
pub use labels::labels;
#[cfg(test)]
pub(crate) use load::read_card;
pub use load::{load_for_answer, ForAnswer};
pub use load_balancer::ReviewLoad;
pub use preset::Preset;
pub use state::{CardState, LearnState, NextStates, ReviewState};
pub use with_fsrs::FsrsNext;

use super::time::Today;
use intervals::Intervals;

#[derive(Debug, thiserror::Error)]
pub enum SchedError {
    #[error("not supported by the server's scheduler: {0}")]
    Unsupported(&'static str),
    #[error("no card {0}")]
    CardNotFound(i64),
    #[error("card {card} is in deck {deck}, which does not exist")]
    DeckNotFound { card: i64, deck: i64 },
    #[error("deck {deck} uses preset {preset}, which does not exist")]
    PresetNotFound { deck: i64, preset: i64 },
    #[error("card {id} has an invalid {reason}")]
    InvalidCard { id: i64, reason: String },
    #[error("preset {id}: {reason}")]
    InvalidPreset { id: i64, reason: String },
    #[error("rating {0} is not 1 to 4")]
    InvalidRating(u8),
    #[error("reading the collection: {0}")]
    Sqlite(#[from] r2d2_sqlite::rusqlite::Error),
    #[error("{what} {id} has an invalid stored protobuf: {source}")]
    Protobuf {
        what: &'static str,
        id: i64,
        source: prost::DecodeError,
    },
}

/// What an answer depends on besides the card and its preset.
#[derive(Debug, Clone)]
pub struct SchedContext {
    pub today: Today,
    /// The collection's learn-ahead limit (seconds): shorter waits are labelled "<".
    pub learn_ahead_secs: i64,
    /// The load of the card's preset for the load balancer; `None` when it is off or has
    /// nothing to weigh.
    pub load: Option<ReviewLoad>,
    /// What FSRS gives the card, when the collection has FSRS on.
    pub fsrs: Option<FsrsNext>,
}

/// The state the card is in and those the four buttons lead to.
pub fn next_states(
    card: &CardRow,
    preset: &Preset,
    ctx: &SchedContext,
) -> Result<NextStates, SchedError> {
    if card.original_deck_id != 0 {
        return Err(SchedError::Unsupported("cards in filtered decks"));
    }
    let seed = fuzz::seed(card.id, card.reps);
    let intervals = Intervals {
        preset,
        seed,
        fuzz_factor: fuzz::factor(seed),
        load: ctx.load.as_ref(),
        sibling_of: preset.bury_reviews.then_some(card.note_id),
    };
    let current = CardState::of_card(card, preset, ctx.today.days_elapsed)?;
    if let Some(fsrs) = &ctx.fsrs {
        return Ok(match current {
            CardState::New { .. } => with_fsrs::learning_next_states(
                LearnState::for_new_card(&intervals),
                current,
                &intervals,
                fsrs,
            ),
            CardState::Learning(learning) => {
                with_fsrs::learning_next_states(learning, current, &intervals, fsrs)
            }
            CardState::Review(review) => with_fsrs::review_next_states(review, &intervals, fsrs),
            CardState::Relearning { learning, review } => {
                with_fsrs::relearning_next_states(learning, review, &intervals, fsrs)
            }
        });
    }
    Ok(match current {
        CardState::New { .. } => {
            LearnState::for_new_card(&intervals).next_states(current, &intervals)
        }
        CardState::Learning(learning) => learning.next_states(current, &intervals),
        CardState::Review(review) => review.next_states(&intervals),
        CardState::Relearning { learning, review } => {
            learning::relearning_next_states(learning, review, &intervals)
        }
    })
}

#[cfg(test)]
mod tests;
