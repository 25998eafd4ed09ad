//! Studying on the server (DESIGN §11): what the study screen shows next, answering a
//! card, and taking the last answer back. The reads come from `queue`, `render` and
//! `scheduler`; this module owns the writes. Every write is one transaction that takes the
//! collection's write lock at once (a normal sync holds it from `start` to `finish`, so a
//! study write during a sync is refused, never interleaved), stamps what it changes with
//! the server's current `col.usn` so every device pulls it at its next sync, and bumps
//! `col.mod`. The caller holds the user's lock and forgets the user's files-meta entry
//! after a write.

mod answer;
mod deck_stats;
mod next;
mod studying;
mod unbury;
mod undo;
mod write;

pub use answer::{answer, AnswerInput, CardStamp};
pub use next::{next, ShownCard, StudyView};
pub use studying::{Shown, Studying};
pub use unbury::unbury_if_day_rolled_over;
pub use undo::{undo, UndoRecord, Undone};

use super::deck_tree::DeckTreeError;
use super::queue::QueueError;
use super::render::RenderError;
use super::scheduler::SchedError;

#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// A normal sync holds the collection's write lock; try again once it has finished.
    #[error("a sync is in progress")]
    SyncInProgress,
    /// The card is not as the study screen showed it (a device synced a change, or it
    /// was answered in another tab).
    #[error("card {0} changed since it was shown")]
    CardChanged(i64),
    /// The card cannot be answered now (suspended, buried, or not in a study queue).
    #[error("card {0} is not waiting to be studied")]
    NotStudyable(i64),
    /// Undo is no longer possible: a sync or another change came after the answer.
    #[error("the answer can no longer be taken back: {0}")]
    UndoStale(&'static str),
    #[error("no deck {0}")]
    DeckNotFound(i64),
    #[error("not supported by the server's scheduler: {0}")]
    Unsupported(&'static str),
    #[error(transparent)]
    Sched(SchedError),
    #[error(transparent)]
    Queue(QueueError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("the collection: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("deck {id} has an invalid stored protobuf: {source}")]
    Protobuf { id: i64, source: prost::DecodeError },
}

impl From<SchedError> for StudyError {
    fn from(e: SchedError) -> Self {
        match e {
            SchedError::Unsupported(what) => StudyError::Unsupported(what),
            SchedError::Sqlite(e) => StudyError::Sqlite(e),
            other => StudyError::Sched(other),
        }
    }
}

impl From<QueueError> for StudyError {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::Unsupported(what) => StudyError::Unsupported(what),
            QueueError::DeckNotFound(id) => StudyError::DeckNotFound(id),
            QueueError::Sqlite(e) => StudyError::Sqlite(e),
            other => StudyError::Queue(other),
        }
    }
}

impl From<DeckTreeError> for StudyError {
    fn from(e: DeckTreeError) -> Self {
        StudyError::Queue(QueueError::Decks(e))
    }
}

#[cfg(test)]
mod tests;

/// Whether the collection has card `card_id` (to tell an unknown id from one that is not
/// the card being shown).
pub fn card_exists(conn: &rusqlite::Connection, card_id: i64) -> Result<bool, StudyError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM cards WHERE id = ?1)",
        [card_id],
        |r| r.get(0),
    )?)
}
