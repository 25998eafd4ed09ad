//! The cards of the active decks that may enter the queue today, each in the queue it is
//! in now. Burials from an earlier day count as burials: `get_queued_cards` gathers before
//! it undoes them (unlike the deck list, which undoes them first), so a queue built on a
//! stale day leaves them out.

use r2d2_sqlite::rusqlite::{self, named_params, Connection};

use crate::collection::scheduler::{QUEUE_DAY_LEARN, QUEUE_LEARN, QUEUE_NEW, QUEUE_REVIEW};

/// `cards.queue` of a card in a filtered deck's preview.
pub const QUEUE_PREVIEW: i64 = 4;

/// What building the queue needs of one card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub note_id: i64,
    pub deck_id: i64,
    /// The home deck of a card in a filtered deck, else 0.
    pub original_deck_id: i64,
    pub template: i64,
    /// `cards.mod`, in seconds: part of the random orders' hash.
    pub mtime: i64,
    pub queue: i64,
    pub due: i64,
    pub interval: i64,
    pub factor: i64,
}

impl Candidate {
    /// The deck whose preset the card follows.
    pub fn home_deck_id(&self) -> i64 {
        if self.original_deck_id != 0 {
            self.original_deck_id
        } else {
            self.deck_id
        }
    }
}

/// The cards by the queue they may enter.
#[derive(Debug, Default)]
pub struct Candidates {
    /// Intraday learning (and preview) cards due before the next day starts.
    pub intraday_learning: Vec<Candidate>,
    /// Interday learning cards due today or earlier.
    pub interday_learning: Vec<Candidate>,
    /// Review cards due today or earlier.
    pub review: Vec<Candidate>,
    pub new: Vec<Candidate>,
}

/// The candidates in `decks` (ids) at `today` (days elapsed), in card id order.
/// `next_day_at` bounds intraday learning.
pub fn read(
    conn: &Connection,
    decks: &[i64],
    today: u32,
    next_day_at: i64,
) -> rusqlite::Result<Candidates> {
    let sql = "
        SELECT id, nid, did, odid, ord, CAST(mod AS integer), due, ivl, factor, queue
        FROM cards WHERE did = :deck AND queue >= 0 ORDER BY id";
    let mut stmt = conn.prepare(sql)?;
    let mut candidates = Candidates::default();
    for &deck in decks {
        let rows = stmt.query_map(named_params! { ":deck": deck }, |r| {
            Ok(Candidate {
                id: r.get(0)?,
                note_id: r.get(1)?,
                deck_id: r.get(2)?,
                original_deck_id: r.get(3)?,
                template: r.get(4)?,
                mtime: r.get(5)?,
                due: r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                interval: r.get(7)?,
                factor: r.get(8)?,
                queue: r.get(9)?,
            })
        })?;
        for card in rows {
            let card = card?;
            let today = i64::from(today);
            match card.queue {
                QUEUE_LEARN | QUEUE_PREVIEW if card.due <= next_day_at => {
                    candidates.intraday_learning.push(card)
                }
                QUEUE_DAY_LEARN if card.due <= today => candidates.interday_learning.push(card),
                QUEUE_REVIEW if card.due <= today => candidates.review.push(card),
                QUEUE_NEW => candidates.new.push(card),
                _ => {}
            }
        }
    }
    for list in [
        &mut candidates.intraday_learning,
        &mut candidates.interday_learning,
        &mut candidates.review,
        &mut candidates.new,
    ] {
        list.sort_by_key(|c| c.id);
    }
    Ok(candidates)
}
