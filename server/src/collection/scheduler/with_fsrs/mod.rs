//! FSRS (when the collection's `fsrs` config is on): the memory state a card has, the
//! states the fsrs crate gives each button from it, and how Anki turns those into the
//! card's next states. The crate is pinned to the version the installed `anki` is built
//! with; the rules around it were read in Anki's scheduler and checked against the
//! installed `anki` (tests/oracle/sched_vectors.py, the `fsrs_*` cases).

mod history;
mod states;

use fsrs::FSRS;
use r2d2_sqlite::rusqlite::Connection;

use super::card::{CardData, CardRow, TYPE_NEW};
use super::preset::Preset;
use super::SchedError;
use crate::collection::time::Today;
pub(super) use states::{learning_next_states, relearning_next_states, review_next_states};

/// The decay Anki records for a preset without parameters of its own (FSRS-6's default),
/// and for FSRS-4.5 and FSRS-5 parameters, which have a fixed one.
const DEFAULT_DECAY: f32 = 0.1542;
const FSRS5_DECAY: f32 = 0.5;

/// What FSRS says about the card being answered.
#[derive(Debug, Clone)]
pub struct FsrsNext {
    /// The crate's memory state and (unrounded) interval for each button.
    pub states: fsrs::NextStates,
    /// The parameters let a delay under half a day stand in for a missing (re)learning
    /// step.
    pub allow_short_term: bool,
    /// The collection lets FSRS's short delays replace a last learning step too.
    pub short_term_with_steps: bool,
    /// Written to the card (`dr`).
    pub desired_retention: f32,
    /// Written to the card (`decay`).
    pub decay: f32,
}

impl FsrsNext {
    /// FSRS's view of `card` at `today`: its memory state (stored, or derived from its
    /// reviews), the days since its last review and the crate's next states.
    /// `deck_retention` is the card's deck's own desired retention, if it sets one.
    pub fn for_card(
        conn: &Connection,
        card: &CardRow,
        preset: &Preset,
        deck_retention: Option<f32>,
        today: &Today,
        short_term_with_steps: bool,
    ) -> Result<FsrsNext, SchedError> {
        let options = &preset.fsrs;
        let invalid_params = |_| SchedError::InvalidPreset {
            id: preset.id,
            reason: "its FSRS parameters are not valid".to_owned(),
        };
        let filled = fsrs::check_and_fill_parameters(&options.params).map_err(invalid_params)?;
        let model = FSRS::new(&options.params).map_err(invalid_params)?;
        let desired_retention = deck_retention
            .filter(|r| *r > 0.0 && *r < 1.0)
            .unwrap_or(options.desired_retention);
        let data = CardData::parse(&card.data);
        // The revlog is read only when the card's data lacks what it would tell: most
        // answered cards carry both their memory state and their last review time.
        let derives_memory = data.memory_state().is_none() && card.card_type != TYPE_NEW;
        let reviews = if derives_memory || data.lrt.is_none() {
            history::read_reviews(conn, card.id)?
        } else {
            Vec::new()
        };
        let memory = match data.memory_state() {
            Some(memory) => Some(memory),
            None if card.card_type == TYPE_NEW => None,
            None => history::derive_memory_state(&model, card, &reviews, options, today).map_err(
                |reason| SchedError::InvalidCard {
                    id: card.id,
                    reason,
                },
            )?,
        };
        let last_review = data.lrt.or_else(|| history::last_review_secs(&reviews));
        let days_elapsed = last_review.map_or(0, |at| {
            ((today.next_day_at - at).max(0) / 86_400).clamp(0, i64::from(u32::MAX)) as u32
        });
        let states = model
            .next_states(memory, desired_retention, days_elapsed)
            .map_err(|_| SchedError::InvalidCard {
                id: card.id,
                reason: "memory state (FSRS cannot schedule from it)".to_owned(),
            })?;
        Ok(FsrsNext {
            states,
            allow_short_term: filled[17] > 0.0 && filled[18] > 0.0,
            short_term_with_steps,
            desired_retention,
            decay: decay_of(&options.params),
        })
    }
}

/// The decay Anki writes for a parameter list: the list's own for FSRS-6, else a fixed one.
fn decay_of(params: &[f32]) -> f32 {
    match params.len() {
        0 => DEFAULT_DECAY,
        len if len < 21 => FSRS5_DECAY,
        _ => params[20],
    }
}
