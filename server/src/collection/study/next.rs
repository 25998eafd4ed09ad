//! What the study screen shows: the counts left for today and the next card, rendered,
//! with the intervals its four buttons lead to.

use super::answer::{card_stamp, CardStamp};
use super::unbury::unbury_if_day_rolled_over;
use super::StudyError;
use crate::collection::queue::{self, Counts, QueueKind};
use crate::collection::render::{load_and_render, RenderedCard};
use crate::collection::scheduler::{self, labels, load_for_answer, SchedError};

/// The next card of a deck, as the study screen shows it.
#[derive(Debug, Clone)]
pub struct ShownCard {
    pub card_id: i64,
    pub kind: QueueKind,
    /// The card's state when shown; the answer must come back with it.
    pub stamp: CardStamp,
    pub rendered: RenderedCard,
    /// Again, hard, good, easy: Anki's English interval strings ("<10m", "4d").
    pub labels: [String; 4],
}

#[derive(Debug, Clone)]
pub struct StudyView {
    pub counts: Counts,
    /// `None`: nothing left to study in the deck today.
    pub card: Option<ShownCard>,
}

/// The study screen of deck `deck_id` (and its subdecks) at `now_millis`. On the first
/// look at a new day it undoes the earlier day's burials first, as Anki does on its
/// first look (skipped while a sync holds the collection: the next look does it).
pub fn next(
    conn: &rusqlite::Connection,
    deck_id: i64,
    now_millis: i64,
) -> Result<StudyView, StudyError> {
    match unbury_if_day_rolled_over(conn, now_millis) {
        Ok(_) | Err(StudyError::SyncInProgress) => {}
        Err(e) => return Err(e),
    }
    let now = now_millis.div_euclid(1000);
    let queue = queue::build(conn, deck_id, now, 1)?;
    let Some(first) = queue.cards.first() else {
        return Ok(StudyView {
            counts: queue.counts,
            card: None,
        });
    };
    let for_answer = load_for_answer(conn, first.card_id, now)?;
    let states = scheduler::next_states(&for_answer.card, &for_answer.preset, &for_answer.context)?;
    let today = for_answer.context.today;
    let stamp = card_stamp(conn, first.card_id)?
        .ok_or(StudyError::Sched(SchedError::CardNotFound(first.card_id)))?;
    Ok(StudyView {
        counts: queue.counts,
        card: Some(ShownCard {
            card_id: first.card_id,
            kind: first.kind,
            stamp,
            rendered: load_and_render(conn, first.card_id)?,
            labels: labels(
                &states,
                today.now,
                today.next_day_at,
                for_answer.context.learn_ahead_secs,
            ),
        }),
    })
}
