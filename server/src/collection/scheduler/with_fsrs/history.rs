//! A memory state for a card that has none (reviewed before FSRS was turned on, or moved
//! into an FSRS preset since): from its reviews in the revlog when they reach back to its
//! first learning answer, else from the revlog's earliest usable review as SM-2 left it,
//! else from the card's own ease and interval, as Anki derives it.

use fsrs::{FSRSItem, FSRSReview, MemoryState, FSRS};
use r2d2_sqlite::rusqlite::Connection;

use super::super::card::{CardRow, TYPE_NEW};
use super::super::preset::FsrsOptions;
use super::super::SchedError;
use crate::collection::time::Today;

/// `revlog.type`.
const KIND_LEARNING: i64 = 0;
const KIND_FILTERED: i64 = 3;
const KIND_MANUAL: i64 = 4;
const DAY: i64 = 86_400;

/// The columns of one revlog row this needs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Review {
    id_millis: i64,
    ease: i64,
    interval: i64,
    factor: i64,
    kind: i64,
}

impl Review {
    /// A review in a filtered deck that did not reschedule the card.
    fn is_cramming(&self) -> bool {
        self.kind == KIND_FILTERED && self.factor == 0
    }

    /// A "forget" or "reset" of the card.
    fn is_reset(&self) -> bool {
        self.kind == KIND_MANUAL && self.factor == 0
    }

    fn is_graded(&self) -> bool {
        (1..=4).contains(&self.ease)
    }

    /// It left the card waiting a day or more.
    fn is_interday(&self) -> bool {
        self.interval >= 1 || self.interval <= -DAY
    }
}

/// The card's revlog, oldest first.
pub(super) fn read_reviews(conn: &Connection, card_id: i64) -> Result<Vec<Review>, SchedError> {
    let mut stmt =
        conn.prepare("SELECT id, ease, ivl, factor, type FROM revlog WHERE cid = ?1 ORDER BY id")?;
    let rows = stmt.query_map([card_id], |r| {
        Ok(Review {
            id_millis: r.get(0)?,
            ease: r.get(1)?,
            interval: r.get(2)?,
            factor: r.get(3)?,
            kind: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// When the card was last answered (seconds), for a card whose data does not say.
pub(super) fn last_review_secs(reviews: &[Review]) -> Option<i64> {
    reviews
        .iter()
        .rev()
        .find(|r| r.is_graded() && !r.is_cramming())
        .map(|r| r.id_millis.div_euclid(1000))
}

/// The memory state of a reviewed card without one; `None` for a card that has never
/// left learning. Err is a reason the card cannot be scheduled.
pub(super) fn derive_memory_state(
    model: &FSRS,
    card: &CardRow,
    reviews: &[Review],
    options: &FsrsOptions,
    today: &Today,
) -> Result<Option<MemoryState>, String> {
    let bad = |what: &str| format!("{what} (FSRS cannot derive a memory state from it)");
    if let Some((item, starting)) = item_for_memory_state(model, reviews, options, today)? {
        return model
            .memory_state(item, starting)
            .map(Some)
            .map_err(|_| bad("review history"));
    }
    if card.card_type == TYPE_NEW || card.interval == 0 {
        return Ok(None);
    }
    model
        .memory_state_from_sm2(
            card.factor as f32 / 1000.0,
            card.interval as f32,
            options.historical_retention,
        )
        .map(Some)
        .map_err(|_| bad("ease and interval"))
}

/// The reviews FSRS replays, and the state they start from when they do not reach back
/// to the card's first learning answer (`None` when they do).
fn item_for_memory_state(
    model: &FSRS,
    reviews: &[Review],
    options: &FsrsOptions,
    today: &Today,
) -> Result<Option<(FSRSItem, Option<MemoryState>)>, String> {
    let ignore_before = options.ignore_reviews_before_millis;
    let Some((kept, complete)) = reviews_since_start(reviews, ignore_before) else {
        return Ok(None);
    };
    let kept: Vec<&Review> = kept
        .iter()
        .filter(|r| r.ease > 0 && !r.is_cramming())
        .collect();
    let Some(first) = kept.first() else {
        return Ok(None);
    };
    let day_of = |r: &Review| (today.next_day_at - r.id_millis.div_euclid(1000)).max(0) / DAY;
    let mut items: Vec<FSRSReview> = Vec::with_capacity(kept.len());
    for (i, review) in kept.iter().enumerate() {
        let delta_t = match i {
            0 => 0,
            _ => (day_of(kept[i - 1]) - day_of(review)).clamp(0, i64::from(u32::MAX)) as u32,
        };
        items.push(FSRSReview {
            rating: review.ease.clamp(0, 4) as u32,
            delta_t,
        });
    }
    if complete {
        return Ok(Some((FSRSItem { reviews: items }, None)));
    }
    // The history starts part-way: the first review's SM-2 ease and interval stand in for
    // what came before it (a factor of at most 1.1 is a difficulty FSRS wrote there).
    let ease = if first.factor == 0 {
        2.5
    } else {
        first.factor as f32 / 1000.0
    };
    let mut starting = model
        .memory_state_from_sm2(
            ease,
            first.interval.max(1) as f32,
            options.historical_retention,
        )
        .map_err(|_| "review history (FSRS cannot derive a memory state from it)".to_owned())?;
    if ease <= 1.1 {
        starting.difficulty = (ease - 0.1) * 9.0 + 1.0;
    }
    items.remove(0);
    Ok(Some((FSRSItem { reviews: items }, Some(starting))))
}

/// The reviews since the card last started from new (its latest run of learning answers,
/// or its last reset), and whether they reach back to that start; `None` when there is
/// nothing to replay.
fn reviews_since_start(reviews: &[Review], ignore_before: i64) -> Option<(&[Review], bool)> {
    let mut first_usable = None;
    let mut learning_start = None;
    let mut complete = false;
    for (index, review) in reviews.iter().enumerate().rev() {
        if review.is_cramming() {
            continue;
        }
        if review.ease > 0 && review.id_millis > ignore_before && review.is_interday() {
            first_usable = Some(index);
        }
        if review.kind == KIND_LEARNING && review.is_graded() {
            learning_start = Some(index);
            complete = true;
        } else if review.is_reset() {
            if learning_start.is_some() {
                complete = true;
                break;
            } else if first_usable.is_some() {
                complete = false;
                break;
            } else {
                return None;
            }
        } else if learning_start.is_some() {
            break;
        }
    }
    if let Some(start) = learning_start {
        if reviews[start].id_millis < ignore_before && start != reviews.len() - 1 {
            complete = false;
            learning_start = None;
        }
    }
    let start = learning_start.or(first_usable)?;
    Some((&reviews[start..], complete))
}
