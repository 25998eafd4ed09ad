//! What the study screen shows: the counts left for today and the next card, rendered,
//! with the intervals its four buttons lead to.

use super::answer::{card_stamp, CardStamp};
use super::unbury::unbury_if_day_rolled_over;
use super::StudyError;
use crate::collection::queue::{self, Counts, QueueKind};
use crate::collection::render::{load_and_render, RenderedCard};
use crate::collection::scheduler::{self, labels, load_for_answer, SchedError};

/// How far down the queue a preferred card is looked for.
const PREFER_FETCH: usize = 2000;

/// The next card of a deck, as the study screen shows it.
#[derive(Debug, Clone)]
pub struct ShownCard {
    pub card_id: i64,
    pub note_id: i64,
    pub kind: QueueKind,
    /// The card's state when shown; the answer must come back with it.
    pub stamp: CardStamp,
    pub rendered: RenderedCard,
    /// Again, hard, good, easy: Anki's English interval strings ("<10m", "4d").
    pub labels: [String; 4],
}

#[derive(Debug, Clone)]
pub struct StudyView {
    /// The deck's full name, parts joined by `::`.
    pub deck_name: String,
    pub counts: Counts,
    /// `None`: nothing left to study in the deck today.
    pub card: Option<ShownCard>,
}

/// The study screen of deck `deck_id` (and its subdecks) at `now_millis`. On the first
/// look at a new day it undoes the earlier day's burials first, as Anki does on its
/// first look (skipped while a sync holds the collection: the next look does it).
/// `prefer` is a card to show first if it is in the queue at all: the card an undo just
/// put back, which Anki shows again next.
pub fn next(
    conn: &rusqlite::Connection,
    deck_id: i64,
    now_millis: i64,
    prefer: Option<i64>,
) -> Result<StudyView, StudyError> {
    match unbury_if_day_rolled_over(conn, now_millis) {
        Ok(_) | Err(StudyError::SyncInProgress) => {}
        Err(e) => return Err(e),
    }
    let now = now_millis.div_euclid(1000);
    let fetch = if prefer.is_some() { PREFER_FETCH } else { 1 };
    let queue = queue::build(conn, deck_id, now, fetch)?;
    let deck_name = deck_name(conn, deck_id)?;
    let preferred = prefer.and_then(|id| queue.cards.iter().find(|c| c.card_id == id));
    let Some(first) = preferred.or(queue.cards.first()) else {
        return Ok(StudyView {
            deck_name,
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
        deck_name,
        counts: queue.counts,
        card: Some(ShownCard {
            card_id: first.card_id,
            note_id: for_answer.card.note_id,
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

fn deck_name(conn: &rusqlite::Connection, deck_id: i64) -> Result<String, StudyError> {
    use rusqlite::OptionalExtension;
    let name: Option<String> = conn
        .query_row("SELECT name FROM decks WHERE id = ?1", [deck_id], |r| {
            r.get(0)
        })
        .optional()?;
    name.map(|n| n.replace('\u{1f}', "::"))
        .ok_or(StudyError::DeckNotFound(deck_id))
}
