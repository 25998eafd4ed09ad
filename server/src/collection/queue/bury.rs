//! The siblings answering a card buries, as `answer_card` buries them: by the bury options
//! of the card's preset, but only siblings in queues gathered after the card's own (new
//! cards always; reviews unless a new card was answered; interday learning only after an
//! intraday or interday learning card).

use r2d2_sqlite::rusqlite::{named_params, Connection};

use super::options::BuryOptions;
use super::QueueError;
use crate::collection::deck_tree::limits::read_presets;
use crate::collection::scheduler::{
    CardRow, QUEUE_DAY_LEARN, QUEUE_LEARN, QUEUE_NEW, QUEUE_REVIEW,
};

/// Where a queue comes in the order cards are gathered in; `None` for cards not gathered.
fn gather_rank(queue: i64) -> Option<u8> {
    match queue {
        QUEUE_LEARN | super::cards::QUEUE_PREVIEW => Some(0),
        QUEUE_DAY_LEARN => Some(1),
        QUEUE_REVIEW => Some(2),
        QUEUE_NEW => Some(3),
        _ => None,
    }
}

/// The ids of the cards answering `card` (its row before the answer) buries under
/// `options` (those of the card's home deck's preset, [`bury_options_of_deck`]), in id
/// order. Reads only.
pub fn siblings_to_bury(
    conn: &Connection,
    card: &CardRow,
    options: &BuryOptions,
) -> Result<Vec<i64>, QueueError> {
    if !options.any() {
        return Ok(Vec::new());
    }
    let rank = gather_rank(card.queue);
    let gathered_by = |queue: i64| rank.is_some_and(|r| gather_rank(queue).is_some_and(|q| r <= q));
    let mut stmt = conn.prepare(
        "SELECT id FROM cards WHERE nid = :note AND id != :card AND (
           (:new AND queue = 0) OR (:reviews AND queue = 2) OR (:learning AND queue = 3)
         ) ORDER BY id",
    )?;
    let ids = stmt
        .query_map(
            named_params! {
                ":note": card.note_id,
                ":card": card.id,
                ":new": options.new,
                ":reviews": options.reviews && gathered_by(QUEUE_REVIEW),
                ":learning": options.interday_learning && gathered_by(QUEUE_DAY_LEARN),
            },
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// The bury options of the preset of deck `deck_id`; none for a filtered deck or a deck
/// whose preset is missing.
pub fn bury_options_of_deck(conn: &Connection, deck_id: i64) -> Result<BuryOptions, QueueError> {
    let presets = read_presets(conn)?;
    let decks = crate::collection::deck_tree::limits::read_decks(conn)?;
    let Some(deck) = decks.iter().find(|d| d.id == deck_id) else {
        return Err(QueueError::DeckNotFound(deck_id));
    };
    Ok(deck
        .normal
        .as_ref()
        .and_then(|normal| presets.get(&normal.config_id))
        .map(BuryOptions::from_config)
        .unwrap_or_default())
}
