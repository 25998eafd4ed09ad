//! The v3 scheduler's study queue, read-only (DESIGN §11): for a selected deck (with its
//! subdecks) and an instant, the cards Anki would show next, in order, with the kind of
//! queue each comes from, and the new / learning / review counts it reports. The oracle is
//! `col.sched.get_queued_cards()` after `col.decks.select()` (tests/oracle/queue_vectors.py;
//! vectors in server/tests/fixtures/queue/).
//!
//! The order: intraday learning cards already due, then the main queue (reviews with
//! interday learning mixed in, then new cards mixed in, by the preset's options), then
//! intraday learning cards due within the learn-ahead limit. The daily limits are the deck
//! list's (`deck_tree::limits`), taken down card by card as the queue is gathered, and
//! siblings are buried as it is gathered ([`gather`]); [`siblings_to_bury`] gives the
//! cards an answer buries. Orders that need FSRS memory states are refused.

mod bury;
mod cards;
mod gather;
mod limits;
mod mix;
mod options;
mod order;

use std::collections::HashMap;

use r2d2_sqlite::rusqlite::{self, Connection};

pub use bury::{bury_options_of_deck, siblings_to_bury};
pub use options::{BuryOptions, Mix, NewGather, NewSort, ReviewOrder, SortOptions};

use super::config::config_value;
use super::deck_tree::limits::{read_decks, read_presets, CollectionOptions, DeckRow, Remaining};
use super::deck_tree::DeckTreeError;
use super::time::DayRules;
use gather::{Gatherer, NewGatherPlan};
use order::NewGatherOrder;

/// The queue a card is shown from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueKind {
    New,
    /// Intraday or interday learning (and relearning).
    Learning,
    Review,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct QueuedCard {
    pub card_id: i64,
    pub kind: QueueKind,
}

/// What the study screen shows as left for today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Counts {
    pub new: u32,
    /// Intraday learning due within the learn-ahead limit, and interday learning.
    pub learn: u32,
    pub review: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Queue {
    /// The next cards, at most the fetch limit.
    pub cards: Vec<QueuedCard>,
    pub counts: Counts,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("not supported by the server's scheduler: {0}")]
    Unsupported(&'static str),
    #[error("no deck {0}")]
    DeckNotFound(i64),
    #[error("reading the collection: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Decks(#[from] DeckTreeError),
}

/// The queue of deck `deck_id` (and its subdecks) at `now` (seconds): at most
/// `fetch_limit` cards in the order Anki shows them, and the counts. Reads only.
pub fn build(
    conn: &Connection,
    deck_id: i64,
    now: i64,
    fetch_limit: usize,
) -> Result<Queue, QueueError> {
    let rules = DayRules::read(conn)?;
    let today = rules.today(now);
    let options = CollectionOptions::read(conn)?;
    let fsrs = config_value(conn, "fsrs")?.is_some_and(|v| v.as_bool() == Some(true));
    let decks = read_decks(conn)?;
    let presets = read_presets(conn)?;
    let root = decks
        .iter()
        .find(|d| d.id == deck_id)
        .ok_or(QueueError::DeckNotFound(deck_id))?;

    let active: Vec<&DeckRow> = decks
        .iter()
        .filter(|d| d.id == root.id || is_descendant(&d.native_name, &root.native_name))
        .collect();
    let active_ids: Vec<i64> = active.iter().map(|d| d.id).collect();
    let deck_rank: HashMap<i64, usize> = active_ids
        .iter()
        .enumerate()
        .map(|(i, &id)| (id, i))
        .collect();

    let preset_of = |deck: &DeckRow| {
        deck.normal
            .as_ref()
            .and_then(|normal| presets.get(&normal.config_id))
    };
    let sort = match preset_of(root) {
        Some(config) => SortOptions::from_config(config),
        None => SortOptions::for_filtered_deck(),
    };
    let bury_by_deck: HashMap<i64, BuryOptions> = decks
        .iter()
        .map(|d| {
            (
                d.id,
                preset_of(d)
                    .map(BuryOptions::from_config)
                    .unwrap_or_default(),
            )
        })
        .collect();
    let bury_of_deck = |id: i64| bury_by_deck.get(&id).copied().unwrap_or_default();

    // With "apply all parent limits", the root's ancestors cap it too.
    let mut limited: Vec<&DeckRow> = if options.apply_all_parent_limits {
        decks
            .iter()
            .filter(|d| is_descendant(&root.native_name, &d.native_name))
            .collect()
    } else {
        Vec::new()
    };
    limited.extend(active.iter().copied());
    let limit_rows: Vec<(i64, &str, Remaining)> = limited
        .iter()
        .map(|d| {
            (
                d.id,
                d.native_name.as_str(),
                Remaining::for_deck(d, &presets, &today, &options),
            )
        })
        .collect();
    let limits = limits::LimitTree::build(&limit_rows);

    let mut candidates = cards::read(conn, &active_ids, today.days_elapsed, today.next_day_at)?;
    for due in [&mut candidates.interday_learning, &mut candidates.review] {
        order::sort_due(due, sort.review_order, today.days_elapsed, &deck_rank, fsrs)?;
    }
    let new_plan = match sort.new_gather {
        NewGather::Deck => NewGatherPlan::ByDeck {
            decks: &active_ids,
            order: NewGatherOrder::LowestPosition,
        },
        NewGather::DeckThenRandomNotes => NewGatherPlan::ByDeck {
            decks: &active_ids,
            order: NewGatherOrder::RandomNotes,
        },
        NewGather::LowestPosition => NewGatherPlan::Sorted(NewGatherOrder::LowestPosition),
        NewGather::HighestPosition => NewGatherPlan::Sorted(NewGatherOrder::HighestPosition),
        NewGather::RandomNotes => NewGatherPlan::Sorted(NewGatherOrder::RandomNotes),
        NewGather::RandomCards => NewGatherPlan::Sorted(NewGatherOrder::RandomCards),
    };
    let mut gathered =
        Gatherer::new(limits, &bury_of_deck).gather(candidates, new_plan, today.days_elapsed);
    order::sort_gathered_new(&mut gathered.new, sort.new_sort, today.days_elapsed);

    let mut learning = gathered.intraday_learning;
    learning.sort_by_key(|c| c.due);
    let ahead_cutoff = now + rules.learn_ahead_secs;
    let learn_count = learning.iter().filter(|c| c.due <= ahead_cutoff).count()
        + gathered.interday_learning.len();
    let counts = Counts {
        new: count(gathered.new.len()),
        learn: count(learn_count),
        review: count(gathered.review.len()),
    };

    let entry = |kind| {
        move |c: cards::Candidate| QueuedCard {
            card_id: c.id,
            kind,
        }
    };
    let reviews: Vec<QueuedCard> = gathered
        .review
        .into_iter()
        .map(entry(QueueKind::Review))
        .collect();
    let interday: Vec<QueuedCard> = gathered
        .interday_learning
        .into_iter()
        .map(entry(QueueKind::Learning))
        .collect();
    let new: Vec<QueuedCard> = gathered
        .new
        .into_iter()
        .map(entry(QueueKind::New))
        .collect();
    let main = mix::mix(
        mix::mix(reviews, interday, sort.interday_learning_mix),
        new,
        sort.new_mix,
    );
    let (due_now, ahead): (Vec<_>, Vec<_>) = learning
        .into_iter()
        .filter(|c| c.due <= ahead_cutoff)
        .partition(|c| c.due <= now);
    let cards = due_now
        .into_iter()
        .map(entry(QueueKind::Learning))
        .chain(main)
        .chain(ahead.into_iter().map(entry(QueueKind::Learning)))
        .take(fetch_limit)
        .collect();
    Ok(Queue { cards, counts })
}

/// `name` is a subdeck (at any depth) of `ancestor` (native names, compared without case
/// as Anki's `unicase` collation does).
fn is_descendant(name: &str, ancestor: &str) -> bool {
    let name = name.to_lowercase();
    let prefix = format!("{}\u{1f}", ancestor.to_lowercase());
    name.starts_with(&prefix)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests;
