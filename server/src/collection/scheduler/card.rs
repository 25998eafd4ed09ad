//! A row of the `cards` table as the scheduler reads and writes it, and the part of its
//! `data` JSON the v3 scheduler maintains (`pos`, the position a new card had; `lrt`, the
//! time of the last review).

use serde::{Deserialize, Serialize};

/// `cards.type`.
pub const TYPE_NEW: i64 = 0;
pub const TYPE_LEARN: i64 = 1;
pub const TYPE_REVIEW: i64 = 2;
pub const TYPE_RELEARN: i64 = 3;

/// `cards.queue`.
pub const QUEUE_SUSPENDED: i64 = -1;
pub const QUEUE_NEW: i64 = 0;
pub const QUEUE_LEARN: i64 = 1;
pub const QUEUE_REVIEW: i64 = 2;
pub const QUEUE_DAY_LEARN: i64 = 3;

/// The scheduling columns of one card, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRow {
    pub id: i64,
    pub note_id: i64,
    pub deck_id: i64,
    pub card_type: i64,
    pub queue: i64,
    /// A position (new), a timestamp in seconds (intraday learning) or a day number.
    pub due: i64,
    pub interval: i64,
    /// Ease in permille (2500 = 250%).
    pub factor: i64,
    pub reps: i64,
    pub lapses: i64,
    /// Learning steps remaining (Anki keeps only `left % 1000` meaningful in v3).
    pub left: i64,
    pub original_due: i64,
    pub original_deck_id: i64,
    pub data: String,
}

/// The keys of `cards.data` the scheduler writes, in the order Anki writes them: the
/// position a new card had, FSRS's memory state (stability `s`, difficulty `d`), desired
/// retention and decay, the last review time and custom data. As Anki does under SM-2, an
/// answer drops the memory state and retention (`s`, `d`, `dr`) and keeps the decay and
/// the custom scheduling data (checked by tests/oracle/study_vectors.py).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct CardData {
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub pos: Option<u32>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub s: Option<f32>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub d: Option<f32>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub dr: Option<f32>,
    /// FSRS's decay, which Anki keeps when it answers a card under SM-2 (it drops the
    /// memory state, `s`, `d` and `dr`, that FSRS left).
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub decay: Option<f32>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "lenient"
    )]
    pub lrt: Option<i64>,
    /// Custom scheduling data (a JSON object in a string).
    #[serde(
        skip_serializing_if = "custom_data_is_empty",
        default,
        deserialize_with = "lenient"
    )]
    pub cd: Option<String>,
}

fn custom_data_is_empty(cd: &Option<String>) -> bool {
    matches!(cd.as_deref(), None | Some("") | Some("{}"))
}

/// A value of the wrong type reads as absent, as Anki reads it.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

impl CardData {
    /// Reads the column; anything unreadable is an empty object, as in Anki.
    pub fn parse(data: &str) -> CardData {
        serde_json::from_str(data).unwrap_or_default()
    }

    /// FSRS's memory state, when both halves are stored.
    pub fn memory_state(&self) -> Option<fsrs::MemoryState> {
        Some(fsrs::MemoryState {
            stability: self.s?,
            difficulty: self.d?,
        })
    }

    /// Stores FSRS's memory state, retention and decay rounded as Anki stores them (4
    /// places for stability, 3 for difficulty and decay, 2 for retention); `None` drops
    /// the memory state and retention, as an answer under SM-2 does.
    pub fn set_fsrs(&mut self, fsrs: Option<(Option<fsrs::MemoryState>, f32, f32)>) {
        match fsrs {
            Some((memory, desired_retention, decay)) => {
                self.s = memory.map(|m| round_to(m.stability, 4));
                self.d = memory.map(|m| round_to(m.difficulty, 3));
                self.dr = Some(round_to(desired_retention, 2));
                self.decay = Some(round_to(decay, 3));
            }
            None => {
                self.s = None;
                self.d = None;
                self.dr = None;
            }
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising a struct of options and strings cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// `value` rounded to `places` decimals, in f32 as Anki rounds it.
fn round_to(value: f32, places: i32) -> f32 {
    let scale = 10f32.powi(places);
    (value * scale).round() / scale
}
