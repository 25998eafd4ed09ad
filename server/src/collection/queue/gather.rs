//! Gathering: intraday learning first, then interday learning, reviews and new cards, each
//! in its gather order and within the daily limits, with siblings buried as the queue is
//! built. A note remembers the bury options of every card of it seen so far (the options
//! of that card's home deck); a later card of the note is left out when those options
//! bury its kind. The card that brings the options is never buried by them itself.

use std::collections::HashMap;

use super::cards::{Candidate, Candidates};
use super::limits::{LimitKind, LimitTree};
use super::options::BuryOptions;
use super::order::{sort_new_for_gathering, NewGatherOrder};

/// The cards gathered, each list in gather order.
#[derive(Debug, Default)]
pub struct Gathered {
    pub intraday_learning: Vec<Candidate>,
    pub interday_learning: Vec<Candidate>,
    pub review: Vec<Candidate>,
    pub new: Vec<Candidate>,
}

/// How new cards are gathered.
pub enum NewGatherPlan<'a> {
    /// Deck by deck (`decks`: active deck ids in name order), each in `order`.
    ByDeck {
        decks: &'a [i64],
        order: NewGatherOrder,
    },
    /// All active decks at once, in `order`.
    Sorted(NewGatherOrder),
}

pub struct Gatherer<'a> {
    limits: LimitTree,
    /// The bury options of every card's home deck.
    bury_of_deck: &'a dyn Fn(i64) -> BuryOptions,
    seen_notes: HashMap<i64, BuryOptions>,
    gathered: Gathered,
}

#[derive(Clone, Copy)]
enum DueKind {
    InterdayLearning,
    Review,
}

impl<'a> Gatherer<'a> {
    pub fn new(limits: LimitTree, bury_of_deck: &'a dyn Fn(i64) -> BuryOptions) -> Self {
        Gatherer {
            limits,
            bury_of_deck,
            seen_notes: HashMap::new(),
            gathered: Gathered::default(),
        }
    }

    /// Gathers from `candidates`, whose interday learning and reviews are already in the
    /// review order. `today` salts the random new orders.
    pub fn gather(mut self, candidates: Candidates, new: NewGatherPlan, today: u32) -> Gathered {
        for card in candidates.intraday_learning {
            self.note_seen(&card);
            self.gathered.intraday_learning.push(card);
        }
        self.gather_due(candidates.interday_learning, DueKind::InterdayLearning);
        self.gather_due(candidates.review, DueKind::Review);
        self.gather_new(candidates.new, new, today);
        self.gathered
    }

    /// Records that a card of the note was seen; returns the options its earlier cards
    /// brought, if any were seen.
    fn note_seen(&mut self, card: &Candidate) -> Option<BuryOptions> {
        let options = (self.bury_of_deck)(card.home_deck_id());
        match self.seen_notes.get_mut(&card.note_id) {
            Some(entry) => {
                let before = *entry;
                *entry = entry.union(options);
                Some(before)
            }
            None => {
                self.seen_notes.insert(card.note_id, options);
                None
            }
        }
    }

    fn gather_due(&mut self, cards: Vec<Candidate>, kind: DueKind) {
        for card in cards {
            if self.limits.root_limit_reached(LimitKind::Review) {
                return;
            }
            if self.limits.limit_reached(card.deck_id, LimitKind::Review) {
                continue;
            }
            let buried = self.note_seen(&card).is_some_and(|earlier| match kind {
                DueKind::InterdayLearning => earlier.interday_learning,
                DueKind::Review => earlier.reviews,
            });
            if buried {
                continue;
            }
            self.limits.take(card.deck_id, LimitKind::Review);
            match kind {
                DueKind::InterdayLearning => self.gathered.interday_learning.push(card),
                DueKind::Review => self.gathered.review.push(card),
            }
        }
    }

    fn gather_new(&mut self, mut cards: Vec<Candidate>, plan: NewGatherPlan, today: u32) {
        match plan {
            NewGatherPlan::Sorted(order) => {
                sort_new_for_gathering(&mut cards, order, today);
                for card in cards {
                    if self.limits.root_limit_reached(LimitKind::New) {
                        return;
                    }
                    if !self.limits.limit_reached(card.deck_id, LimitKind::New) {
                        self.take_new(card, card.deck_id);
                    }
                }
            }
            NewGatherPlan::ByDeck { decks, order } => {
                for &deck in decks {
                    if self.limits.root_limit_reached(LimitKind::New) {
                        return;
                    }
                    let mut in_deck: Vec<Candidate> = cards
                        .iter()
                        .filter(|c| c.deck_id == deck)
                        .copied()
                        .collect();
                    sort_new_for_gathering(&mut in_deck, order, today);
                    for card in in_deck {
                        if self.limits.limit_reached(deck, LimitKind::New) {
                            break;
                        }
                        self.take_new(card, deck);
                    }
                }
            }
        }
    }

    fn take_new(&mut self, card: Candidate, deck: i64) {
        let buried = self.note_seen(&card).is_some_and(|earlier| earlier.new);
        if !buried {
            self.gathered.new.push(card);
            self.limits.take(deck, LimitKind::New);
        }
    }
}
