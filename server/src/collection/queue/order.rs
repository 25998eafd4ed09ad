//! The orders cards are gathered and sorted in: reviews by the preset's review order, new
//! cards by its gather priority and then its sort order. Anki's random orders are not
//! random: they sort by a 64-bit FNV-1a hash of a card's (or note's) id and a salt, so a
//! rebuilt queue comes back in the same order; the same hash, over the same bytes, is
//! computed here.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::cards::Candidate;
use super::options::{NewSort, ReviewOrder};
use super::QueueError;

/// FNV-1a (64 bits) over the little-endian bytes of each value.
pub fn fnv_hash(values: &[i64]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for value in values {
        for byte in value.to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// The hash as the database's `fnvhash()` returns it: a signed integer, so orders built
/// on it in SQL sort it as one.
fn sql_hash(values: &[i64]) -> i64 {
    fnv_hash(values) as i64
}

/// One order between two cards.
type Comparator<'a> = Box<dyn Fn(&Candidate, &Candidate) -> Ordering + 'a>;

/// Sorts reviews or interday learning cards (due on `today`) in `order`, with ties broken
/// by the card hash. `deck_rank` is each active deck's place in name order. Orders that
/// need FSRS memory states are refused, and so are those FSRS changes the meaning of.
pub fn sort_due(
    cards: &mut [Candidate],
    order: ReviewOrder,
    today: u32,
    deck_rank: &HashMap<i64, usize>,
    fsrs: bool,
) -> Result<(), QueueError> {
    let today = today as f64;
    let rank = |c: &Candidate| deck_rank.get(&c.deck_id).copied().unwrap_or(usize::MAX);
    // -(1 + elapsed / interval): how far past its interval a card is, most first. A
    // zero interval makes the SQL expression NULL, which sorts first.
    let overdueness = |c: &Candidate| {
        (c.interval != 0).then(|| -(1.0 + (today - c.due as f64 + 0.001) / c.interval as f64))
    };
    let primary: Comparator = match order {
        ReviewOrder::Day => Box::new(|a, b| a.due.cmp(&b.due)),
        ReviewOrder::DayThenDeck => Box::new(move |a, b| (a.due, rank(a)).cmp(&(b.due, rank(b)))),
        ReviewOrder::DeckThenDay => Box::new(move |a, b| (rank(a), a.due).cmp(&(rank(b), b.due))),
        ReviewOrder::IntervalsAscending => Box::new(|a, b| a.interval.cmp(&b.interval)),
        ReviewOrder::IntervalsDescending => Box::new(|a, b| b.interval.cmp(&a.interval)),
        ReviewOrder::EaseAscending | ReviewOrder::EaseDescending if fsrs => {
            return Err(QueueError::Unsupported("sorting by difficulty (FSRS)"))
        }
        ReviewOrder::EaseAscending => Box::new(|a, b| a.factor.cmp(&b.factor)),
        ReviewOrder::EaseDescending => Box::new(|a, b| b.factor.cmp(&a.factor)),
        ReviewOrder::RetrievabilityAscending | ReviewOrder::RetrievabilityDescending => {
            return Err(QueueError::Unsupported("sorting by retrievability"))
        }
        ReviewOrder::RelativeOverdueness if fsrs => {
            return Err(QueueError::Unsupported("relative overdueness under FSRS"))
        }
        ReviewOrder::RelativeOverdueness => {
            Box::new(move |a, b| match (overdueness(a), overdueness(b)) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => x.total_cmp(&y),
            })
        }
        ReviewOrder::Random => Box::new(|_, _| Ordering::Equal),
        ReviewOrder::Added => {
            Box::new(|a, b| (a.note_id, a.template).cmp(&(b.note_id, b.template)))
        }
        ReviewOrder::ReverseAdded => {
            Box::new(|a, b| b.note_id.cmp(&a.note_id).then(a.template.cmp(&b.template)))
        }
    };
    cards.sort_by(|a, b| {
        primary(a, b).then_with(|| sql_hash(&[a.id, a.mtime]).cmp(&sql_hash(&[b.id, b.mtime])))
    });
    Ok(())
}

/// The order new cards are gathered in, within one deck or across all active ones.
#[derive(Debug, Clone, Copy)]
pub enum NewGatherOrder {
    LowestPosition,
    HighestPosition,
    /// Notes in hash order, siblings together by template.
    RandomNotes,
    RandomCards,
}

/// Sorts new cards for gathering on day `today`.
pub fn sort_new_for_gathering(cards: &mut [Candidate], order: NewGatherOrder, today: u32) {
    // Anki spreads the small day number over 32 bits before using it as the salt.
    let salt = i64::from(today.wrapping_mul(2_654_435_761));
    match order {
        NewGatherOrder::LowestPosition => {
            cards.sort_by_key(|c| (c.due, c.template, c.id));
        }
        NewGatherOrder::HighestPosition => {
            cards.sort_by(|a, b| {
                b.due
                    .cmp(&a.due)
                    .then(a.template.cmp(&b.template))
                    .then(a.id.cmp(&b.id))
            });
        }
        NewGatherOrder::RandomNotes => {
            cards.sort_by_key(|c| (sql_hash(&[c.note_id, salt]), c.template, c.id));
        }
        NewGatherOrder::RandomCards => {
            cards.sort_by_key(|c| (sql_hash(&[c.id, salt]), c.id));
        }
    }
}

/// Sorts the gathered new cards by the preset's sort order; the random ones hash with the
/// day number as the salt.
pub fn sort_gathered_new(cards: &mut [Candidate], sort: NewSort, today: u32) {
    let salt = i64::from(today);
    match sort {
        NewSort::None => {}
        NewSort::Template => cards.sort_by_key(|c| c.template),
        NewSort::TemplateThenRandom => {
            cards.sort_by_key(|c| (c.template, fnv_hash(&[c.id, salt])));
        }
        NewSort::RandomNoteThenTemplate => {
            cards.sort_by_key(|c| (fnv_hash(&[c.note_id, salt]), c.template));
        }
        NewSort::RandomCard => cards.sort_by_key(|c| fnv_hash(&[c.id, salt])),
    }
}
