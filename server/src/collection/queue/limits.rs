//! The daily limits while the queue is built: every active deck's remaining limits (from
//! the deck list's rules, `deck_tree::limits`), capped by its parent's, and taken down
//! as cards are gathered. A card taken in a deck counts against the deck and every deck
//! above it in the tree; when a deck's limit reaches zero, so do its subdecks'.

use std::collections::HashMap;

use crate::collection::deck_tree::limits::Remaining;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Review,
    New,
}

struct Node {
    parent: Option<usize>,
    children: Vec<usize>,
    remaining: Remaining,
}

/// The limits of the decks a queue is built from; the first deck given is the root.
pub struct LimitTree {
    nodes: Vec<Node>,
    by_deck: HashMap<i64, usize>,
}

const ROOT: usize = 0;

impl LimitTree {
    /// Builds the tree from `(deck id, native name, remaining limits)` in name order, the
    /// root first: each deck hangs under its closest listed ancestor (the root when none
    /// is listed) and starts capped by it.
    pub fn build(decks: &[(i64, &str, Remaining)]) -> LimitTree {
        let mut tree = LimitTree {
            nodes: Vec::with_capacity(decks.len()),
            by_deck: HashMap::new(),
        };
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for (index, &(id, name, remaining)) in decks.iter().enumerate() {
            let parent = (index != ROOT).then(|| {
                let mut ancestor = parent_name(name);
                loop {
                    match ancestor {
                        None => break ROOT,
                        Some(a) => match by_name.get(a) {
                            Some(&node) => break node,
                            None => ancestor = parent_name(a),
                        },
                    }
                }
            });
            let mut remaining = remaining;
            if let Some(parent) = parent {
                remaining.cap_to(&tree.nodes[parent].remaining);
                tree.nodes[parent].children.push(index);
            }
            tree.nodes.push(Node {
                parent,
                children: Vec::new(),
                remaining,
            });
            tree.by_deck.insert(id, index);
            by_name.insert(name, index);
        }
        tree
    }

    pub fn root_limit_reached(&self, kind: LimitKind) -> bool {
        self.nodes
            .first()
            .is_none_or(|root| get(&root.remaining, kind) == 0)
    }

    /// A deck outside the tree has no room.
    pub fn limit_reached(&self, deck_id: i64, kind: LimitKind) -> bool {
        self.by_deck
            .get(&deck_id)
            .is_none_or(|&node| get(&self.nodes[node].remaining, kind) == 0)
    }

    /// Counts one card of `kind` taken in `deck_id`.
    pub fn take(&mut self, deck_id: i64, kind: LimitKind) {
        let mut node = self.by_deck.get(&deck_id).copied();
        while let Some(index) = node {
            let remaining = &mut self.nodes[index].remaining;
            let before = *remaining;
            match kind {
                LimitKind::Review => {
                    remaining.review = remaining.review.saturating_sub(1);
                    if remaining.cap_new_to_review {
                        remaining.new = remaining.new.min(remaining.review);
                    }
                }
                LimitKind::New => remaining.new = remaining.new.saturating_sub(1),
            }
            let after = *remaining;
            if (before.review > 0 && after.review == 0) || (before.new > 0 && after.new == 0) {
                self.cap_descendants(index, after);
            }
            node = self.nodes[index].parent;
        }
    }

    fn cap_descendants(&mut self, index: usize, limits: Remaining) {
        let mut stack = self.nodes[index].children.clone();
        while let Some(child) = stack.pop() {
            self.nodes[child].remaining.cap_to(&limits);
            stack.extend(self.nodes[child].children.iter().copied());
        }
    }
}

fn get(remaining: &Remaining, kind: LimitKind) -> u32 {
    match kind {
        LimitKind::Review => remaining.review,
        LimitKind::New => remaining.new,
    }
}

/// The native name of a deck's parent (components are joined by U+001F).
fn parent_name(native_name: &str) -> Option<&str> {
    native_name.rsplit_once('\u{1f}').map(|(parent, _)| parent)
}
