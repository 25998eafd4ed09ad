//! The card state model of the v3 scheduler: what a card is (new, learning, review,
//! relearning) with the numbers the next answer depends on, read from its row.

use fsrs::MemoryState;

use super::card::{CardRow, TYPE_LEARN, TYPE_NEW, TYPE_RELEARN, TYPE_REVIEW};
use super::preset::Preset;
use super::steps::Steps;
use super::SchedError;

pub const MINIMUM_EASE: f32 = 1.3;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CardState {
    New {
        position: u32,
    },
    Learning(LearnState),
    Review(ReviewState),
    Relearning {
        learning: LearnState,
        review: ReviewState,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearnState {
    pub remaining_steps: u32,
    pub scheduled_secs: u32,
    /// FSRS's memory state after the answer that leads here (FSRS only).
    pub memory: Option<MemoryState>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReviewState {
    pub scheduled_days: u32,
    pub elapsed_days: u32,
    pub ease_factor: f32,
    pub lapses: u32,
    /// Set on the state an answer leads to when that answer makes the card a leech.
    pub leeched: bool,
    /// FSRS's memory state after the answer that leads here (FSRS only).
    pub memory: Option<MemoryState>,
}

/// The state a card is in and the one each button leads to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NextStates {
    pub current: CardState,
    pub again: CardState,
    pub hard: CardState,
    pub good: CardState,
    pub easy: CardState,
}

impl NextStates {
    /// The state `rating` (1 again … 4 easy) leads to.
    pub fn for_rating(&self, rating: u8) -> Result<CardState, SchedError> {
        match rating {
            1 => Ok(self.again),
            2 => Ok(self.hard),
            3 => Ok(self.good),
            4 => Ok(self.easy),
            other => Err(SchedError::InvalidRating(other)),
        }
    }
}

/// How long a state waits: seconds for (re)learning, days for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wait {
    Secs(u32),
    Days(u32),
}

impl Wait {
    /// A wait in seconds that reaches the next day counts in days: 1 for tomorrow.
    pub fn in_days_past_rollover(self, secs_until_rollover: u32) -> Wait {
        match self {
            Wait::Secs(secs) if secs >= secs_until_rollover => {
                Wait::Days((secs - secs_until_rollover) / 86_400 + 1)
            }
            other => other,
        }
    }

    pub fn as_secs(self) -> u32 {
        match self {
            Wait::Secs(secs) => secs,
            Wait::Days(days) => days.saturating_mul(86_400),
        }
    }

    /// The revlog's `ivl`/`lastIvl`: days, or seconds as a negative number.
    pub fn as_revlog_interval(self) -> i64 {
        match self {
            Wait::Days(days) => i64::from(days),
            Wait::Secs(secs) => -i64::from(secs),
        }
    }
}

impl CardState {
    pub(super) fn wait(self) -> Wait {
        match self {
            CardState::New { .. } => Wait::Secs(0),
            CardState::Learning(learning) | CardState::Relearning { learning, .. } => {
                Wait::Secs(learning.scheduled_secs)
            }
            CardState::Review(review) => Wait::Days(review.scheduled_days),
        }
    }

    /// The memory state FSRS gave the state, if any.
    pub(super) fn memory(self) -> Option<MemoryState> {
        match self {
            CardState::New { .. } => None,
            CardState::Learning(learning) => learning.memory,
            CardState::Review(review) | CardState::Relearning { review, .. } => review.memory,
        }
    }

    pub(super) fn leeched(self) -> bool {
        match self {
            CardState::Review(review) | CardState::Relearning { review, .. } => review.leeched,
            _ => false,
        }
    }

    /// The card's state from its row (a card in a normal deck; `days_elapsed` is today).
    pub fn of_card(card: &CardRow, preset: &Preset, days_elapsed: u32) -> Result<Self, SchedError> {
        let invalid = |what: &str| SchedError::InvalidCard {
            id: card.id,
            reason: what.to_owned(),
        };
        let count = |value: i64, what: &str| u32::try_from(value).map_err(|_| invalid(what));
        let today = i64::from(days_elapsed);
        let remaining = count(card.left, "left")?;
        let ease_factor = card.factor as f32 / 1000.0;
        let interval = count(card.interval, "ivl")?;
        let lapses = count(card.lapses, "lapses")?;
        Ok(match card.card_type {
            TYPE_NEW => CardState::New {
                position: card.due.clamp(0, i64::from(u32::MAX)) as u32,
            },
            TYPE_LEARN => CardState::Learning(LearnState {
                remaining_steps: remaining,
                scheduled_secs: Steps::new(&preset.learn_steps).current_secs(remaining),
                memory: None,
            }),
            TYPE_REVIEW => {
                // A review answered before it is due counts as due today.
                let due = card.due.min(today);
                CardState::Review(ReviewState {
                    scheduled_days: interval,
                    elapsed_days: (i64::from(interval) - (due - today))
                        .clamp(0, i64::from(u32::MAX)) as u32,
                    ease_factor,
                    lapses,
                    leeched: false,
                    memory: None,
                })
            }
            TYPE_RELEARN => CardState::Relearning {
                learning: LearnState {
                    remaining_steps: remaining,
                    scheduled_secs: Steps::new(&preset.relearn_steps).current_secs(remaining),
                    memory: None,
                },
                review: ReviewState {
                    scheduled_days: interval,
                    elapsed_days: interval,
                    ease_factor,
                    lapses,
                    leeched: false,
                    memory: None,
                },
            },
            _ => return Err(invalid("type")),
        })
    }
}
