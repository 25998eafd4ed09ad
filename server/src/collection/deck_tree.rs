//! The deck list as Anki's deck browser shows it: every deck in name order with its level,
//! collapsed and filtered flags, and the new / learning / review counts the v3 scheduler
//! reports (`col.sched.deck_due_tree()`, the oracle whose vectors
//! `server/tests/fixtures/deck_tree/` holds).
//!
//! The counts follow Anki's rules: cards due today are counted per deck (buried and
//! suspended cards left out, burials from an earlier day undone as Anki undoes them when
//! it first looks at a new day), then summed from the leaves up, each deck capping what it
//! passes on by its own remaining limits: its preset's new and review limits per day, or
//! the deck's own override (the "today only" one when it was set today), less what was
//! studied in it today. Interday learning comes out of the review limit first, then
//! reviews; new cards are capped by the new limit and, unless the collection's "new cards
//! ignore review limit" is on, by what is left of the review limit too. With "apply all
//! parent limits" a deck's limits are also capped by every ancestor's.

use std::collections::HashMap;

use r2d2_sqlite::rusqlite::{self, named_params, Connection};

use super::time::Today;

pub(crate) mod limits;

use limits::{read_decks, read_presets, CollectionOptions, DeckRow, Remaining};

/// What a deck without limits (a filtered deck, or one whose preset is missing) may show.
const UNLIMITED: u32 = 9999;
/// Anki caps the nesting it shows (protobuf refuses deeper messages).
const MAX_LEVEL: usize = 99;

/// One line of the deck list (serialised as is by `GET /api/decks`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeckListEntry {
    pub id: i64,
    /// The full name, components joined by `::`.
    pub name: String,
    /// 1 for a top-level deck.
    pub level: u32,
    pub collapsed: bool,
    pub filtered: bool,
    pub new: u32,
    pub learn: u32,
    pub review: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum DeckTreeError {
    #[error("reading the collection: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("deck {id} has an invalid stored protobuf: {source}")]
    Protobuf { id: i64, source: prost::DecodeError },
}

/// The deck list at `today`, in Anki's order (depth first, siblings by name), with the
/// counts Anki shows. `learn_ahead_secs` is the collection's learn-ahead limit
/// (`DayRules::learn_ahead_secs`). Reads only; a stale burial is counted as unburied
/// without being written back.
pub fn deck_list(
    conn: &Connection,
    today: &Today,
    learn_ahead_secs: i64,
) -> Result<Vec<DeckListEntry>, DeckTreeError> {
    let options = CollectionOptions::read(conn)?;
    let decks = read_decks(conn)?;
    let presets = read_presets(conn)?;
    let counts = due_counts(conn, today, learn_ahead_secs, options.unbury(today))?;

    let mut tree = Tree::build(&decks);
    if !deck_has_cards(conn, DEFAULT_DECK_ID)? {
        tree.hide_empty_default();
    }
    let limits: HashMap<i64, Remaining> = decks
        .iter()
        .map(|deck| {
            (
                deck.id,
                Remaining::for_deck(deck, &presets, today, &options),
            )
        })
        .collect();
    let parent_limits = options.apply_all_parent_limits.then(Remaining::unlimited);
    let mut capped = HashMap::new();
    tree.sum(ROOT, &counts, &limits, parent_limits, &mut capped);

    Ok(tree
        .pre_order()
        .into_iter()
        .map(|index| {
            let node = &tree.nodes[index];
            let deck = &decks[node.deck];
            let counts = capped.get(&index).cloned().unwrap_or_default();
            DeckListEntry {
                id: deck.id,
                name: deck.name.clone(),
                level: node.level as u32,
                collapsed: deck.collapsed,
                filtered: deck.filtered,
                new: counts.new,
                learn: counts.intraday_learning + counts.interday_learning,
                review: counts.review,
            }
        })
        .collect())
}

const DEFAULT_DECK_ID: i64 = 1;

fn deck_has_cards(conn: &Connection, deck_id: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM cards WHERE did = ?1)",
        [deck_id],
        |r| r.get(0),
    )
}

/// Cards due in one deck (the deck a card is in now, so a filtered deck counts the cards
/// it holds), before any limit.
#[derive(Debug, Clone, Default)]
struct Counts {
    new: u32,
    review: u32,
    interday_learning: u32,
    intraday_learning: u32,
}

impl std::ops::AddAssign<&Counts> for Counts {
    fn add_assign(&mut self, rhs: &Counts) {
        self.new += rhs.new;
        self.review += rhs.review;
        self.interday_learning += rhs.interday_learning;
        self.intraday_learning += rhs.intraday_learning;
    }
}

/// Per deck: new cards; reviews and interday learning due by today; intraday learning due
/// before the learn-ahead cutoff (previews up to it). With `unbury`, a buried card counts
/// in the queue its type puts it back in: learning cards whose due is a timestamp go back
/// to intraday learning, those whose due is a day to interday learning.
fn due_counts(
    conn: &Connection,
    today: &Today,
    learn_ahead_secs: i64,
    unbury: bool,
) -> rusqlite::Result<HashMap<i64, Counts>> {
    let sql = "
        WITH c AS (
          SELECT did, due, CASE
            WHEN :unbury AND queue IN (-2, -3) THEN CASE type
              WHEN 0 THEN 0
              WHEN 2 THEN 2
              ELSE CASE WHEN (CASE WHEN odue > 0 THEN odue ELSE due END) > 1000000000
                THEN 1 ELSE 3 END
            END
            ELSE queue
          END AS queue
          FROM cards
        )
        SELECT did,
          sum(queue = 0),
          sum(queue = 2 AND due <= :today),
          sum(queue = 3 AND due <= :today),
          sum((queue = 1 AND due < :learn_cutoff) OR (queue = 4 AND due <= :learn_cutoff))
        FROM c GROUP BY did";
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(
        named_params! {
            ":unbury": unbury,
            ":today": today.days_elapsed,
            ":learn_cutoff": today.now + learn_ahead_secs,
        },
        |r| {
            let count = |i| {
                r.get::<_, Option<i64>>(i)
                    .map(|n| n.unwrap_or(0).max(0) as u32)
            };
            Ok((
                r.get::<_, i64>(0)?,
                Counts {
                    new: count(1)?,
                    review: count(2)?,
                    interday_learning: count(3)?,
                    intraday_learning: count(4)?,
                },
            ))
        },
    )?;
    rows.collect()
}

impl Remaining {
    /// `counts` as this deck passes them on: interday learning out of the review limit
    /// first, then reviews, then new cards.
    fn cap(&self, counts: &Counts) -> Counts {
        let interday_learning = counts.interday_learning.min(self.review);
        let mut reviews_left = self.review - interday_learning;
        let review = counts.review.min(reviews_left);
        let mut new = counts.new.min(self.new);
        if self.cap_new_to_review {
            reviews_left -= review;
            new = new.min(reviews_left);
        }
        Counts {
            new,
            review,
            interday_learning,
            intraday_learning: counts.intraday_learning,
        }
    }
}

/// The deck hierarchy: an arena whose order is depth-first, index 0 the invisible root.
struct Tree {
    nodes: Vec<Node>,
}

struct Node {
    /// Index into the decks slice (unused for the root).
    deck: usize,
    deck_id: i64,
    level: usize,
    children: Vec<usize>,
}

const ROOT: usize = 0;

impl Tree {
    /// Builds the tree from decks in name order. A deck whose parent is missing is left
    /// out, as Anki leaves it out until a check of the database recreates the parent.
    fn build(decks: &[DeckRow]) -> Tree {
        let mut nodes = vec![Node {
            deck: usize::MAX,
            deck_id: 0,
            level: 0,
            children: Vec::new(),
        }];
        let mut path = vec![ROOT];
        for (index, deck) in decks.iter().enumerate() {
            while let Some(&top) = path.last() {
                if nodes[top].level >= deck.level {
                    path.pop();
                } else {
                    break;
                }
            }
            // The root (level 0) is never popped: every deck has level >= 1.
            let parent = path.last().copied().unwrap_or(ROOT);
            if nodes[parent].level + 1 != deck.level {
                continue;
            }
            let node = nodes.len();
            nodes.push(Node {
                deck: index,
                deck_id: deck.id,
                level: deck.level,
                children: Vec::new(),
            });
            nodes[parent].children.push(node);
            path.push(node);
        }
        Tree { nodes }
    }

    /// Leaves out the Default deck when it is a childless top-level deck and other
    /// top-level decks exist (the caller checked that it holds no cards).
    fn hide_empty_default(&mut self) {
        let top = &self.nodes[ROOT].children;
        let found = top.iter().position(|&i| {
            self.nodes[i].deck_id == DEFAULT_DECK_ID && self.nodes[i].children.is_empty()
        });
        if let Some(position) = found {
            if top.len() > 1 {
                self.nodes[ROOT].children.remove(position);
            }
        }
    }

    /// Sums the counts from the leaves up, capping each deck's total by its limits (and,
    /// with `parent_limits`, by those of its ancestors); records each deck's capped counts.
    fn sum(
        &self,
        index: usize,
        due: &HashMap<i64, Counts>,
        limits: &HashMap<i64, Remaining>,
        mut parent_limits: Option<Remaining>,
        capped: &mut HashMap<usize, Counts>,
    ) -> Counts {
        let node = &self.nodes[index];
        let mut remaining = limits
            .get(&node.deck_id)
            .copied()
            .filter(|_| index != ROOT)
            .unwrap_or_else(Remaining::unlimited);
        if let Some(parent) = &mut parent_limits {
            remaining.cap_to(parent);
            *parent = remaining;
        }
        let mut total = if index == ROOT {
            Counts::default()
        } else {
            due.get(&node.deck_id).cloned().unwrap_or_default()
        };
        for &child in &node.children {
            total += &self.sum(child, due, limits, parent_limits, capped);
        }
        let this = remaining.cap(&total);
        capped.insert(index, this.clone());
        this
    }

    /// Node indices, depth first, without the root.
    fn pre_order(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self.nodes[ROOT].children.iter().rev().copied().collect();
        while let Some(index) = stack.pop() {
            out.push(index);
            stack.extend(self.nodes[index].children.iter().rev());
        }
        out
    }
}

#[cfg(test)]
mod tests;
