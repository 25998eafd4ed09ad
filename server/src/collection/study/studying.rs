//! What the server remembers of each user's study between requests: the card it showed
//! last (an answer must be to that card, in the state it was shown in) and the last
//! answer, which undo takes back. Kept in memory: a restart forgets them, and the next
//! look shows the same card again (a fresh queue is built every time).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::answer::CardStamp;
use super::undo::UndoRecord;

/// The card on a user's study screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub deck_id: i64,
    pub card_id: i64,
    pub stamp: CardStamp,
}

#[derive(Default)]
struct UserStudy {
    shown: Option<Shown>,
    last_answer: Option<UndoRecord>,
    /// The card an undo put back: shown next, as Anki does.
    undone: Option<i64>,
}

#[derive(Default)]
pub struct Studying {
    users: Mutex<HashMap<i64, UserStudy>>,
}

impl Studying {
    fn with<R>(&self, user_id: i64, f: impl FnOnce(&mut UserStudy) -> R) -> R {
        let mut users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        f(users.entry(user_id).or_default())
    }

    pub fn show(&self, user_id: i64, shown: Option<Shown>) {
        self.with(user_id, |u| u.shown = shown);
    }

    pub fn shown(&self, user_id: i64) -> Option<Shown> {
        self.with(user_id, |u| u.shown)
    }

    /// Records an answer: the card is no longer shown, and the answer can be undone.
    pub fn answered(&self, user_id: i64, record: UndoRecord) {
        self.with(user_id, |u| {
            u.shown = None;
            u.undone = None;
            u.last_answer = Some(record);
        });
    }

    /// An undo put `card_id` back.
    pub fn undone(&self, user_id: i64, card_id: i64) {
        self.with(user_id, |u| {
            u.shown = None;
            u.undone = Some(card_id);
        });
    }

    /// The card to show first, if an undo put one back.
    pub fn prefer(&self, user_id: i64) -> Option<i64> {
        self.with(user_id, |u| u.undone)
    }

    /// Takes the last answer out, for undo.
    pub fn take_last_answer(&self, user_id: i64) -> Option<UndoRecord> {
        self.with(user_id, |u| u.last_answer.take())
    }

    /// Puts an answer back whose undo could not run now (a sync held the collection).
    pub fn restore_last_answer(&self, user_id: i64, record: UndoRecord) {
        self.with(user_id, |u| {
            u.last_answer.get_or_insert(record);
        });
    }

    pub fn has_last_answer(&self, user_id: i64) -> bool {
        self.with(user_id, |u| u.last_answer.is_some())
    }

    /// Forgets everything of a user whose collection was replaced (a full upload): the
    /// shown card and the undo record belong to the old file.
    pub fn forget(&self, user_id: i64) {
        let mut users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        users.remove(&user_id);
    }
}
