//! Taking the last answer back: every row the answer changed is put back as it was, the
//! revlog entry removed. Only while nothing came after it: no sync has finished since
//! (`col.usn` moved: a device may have pulled the answer) and the card is as the answer
//! left it.

use rusqlite::{params, OptionalExtension};

use super::answer::{card_stamp, CardStamp};
use super::deck_stats::DeckBefore;
use super::write::ServerWrite;
use super::StudyError;

/// A card row as it was before a study write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardBefore {
    pub id: i64,
    pub deck_id: i64,
    card_type: i64,
    queue: i64,
    due: i64,
    interval: i64,
    factor: i64,
    reps: i64,
    lapses: i64,
    left: i64,
    data: String,
    mod_secs: i64,
    usn: i64,
}

impl CardBefore {
    pub(super) fn read(tx: &rusqlite::Connection, id: i64) -> rusqlite::Result<CardBefore> {
        tx.query_row(
            "SELECT id, did, type, queue, due, ivl, factor, reps, lapses, left, data, mod, usn
             FROM cards WHERE id = ?1",
            [id],
            |r| {
                Ok(CardBefore {
                    id: r.get(0)?,
                    deck_id: r.get(1)?,
                    card_type: r.get(2)?,
                    queue: r.get(3)?,
                    due: r.get(4)?,
                    interval: r.get(5)?,
                    factor: r.get(6)?,
                    reps: r.get(7)?,
                    lapses: r.get(8)?,
                    left: r.get(9)?,
                    data: r.get(10)?,
                    mod_secs: r.get(11)?,
                    usn: r.get(12)?,
                })
            },
        )
    }

    fn restore(&self, tx: &rusqlite::Connection) -> rusqlite::Result<()> {
        tx.execute(
            "UPDATE cards SET type = ?1, queue = ?2, due = ?3, ivl = ?4, factor = ?5, reps = ?6,
               lapses = ?7, left = ?8, data = ?9, mod = ?10, usn = ?11
             WHERE id = ?12",
            params![
                self.card_type,
                self.queue,
                self.due,
                self.interval,
                self.factor,
                self.reps,
                self.lapses,
                self.left,
                self.data,
                self.mod_secs,
                self.usn,
                self.id
            ],
        )?;
        Ok(())
    }
}

/// A note's tags as they were before the answer tagged it a leech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteBefore {
    pub id: i64,
    pub tags: String,
    mod_secs: i64,
    usn: i64,
}

impl NoteBefore {
    pub(super) fn read(tx: &rusqlite::Connection, id: i64) -> rusqlite::Result<Option<Self>> {
        tx.query_row(
            "SELECT id, tags, mod, usn FROM notes WHERE id = ?1",
            [id],
            |r| {
                Ok(NoteBefore {
                    id: r.get(0)?,
                    tags: r.get(1)?,
                    mod_secs: r.get(2)?,
                    usn: r.get(3)?,
                })
            },
        )
        .optional()
    }
}

/// What an answer changed, as it was before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoRecord {
    /// `col.usn` when the answer was written; undo is refused once it has moved.
    pub col_usn: i64,
    pub card: CardBefore,
    /// The answered card's stamp right after the answer.
    pub card_after: CardStamp,
    pub revlog_id: i64,
    pub buried: Vec<CardBefore>,
    pub decks: Vec<DeckBefore>,
    pub note: Option<NoteBefore>,
    /// The answer registered the `leech` tag in the collection.
    pub tag_added: bool,
}

/// What undo put back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Undone {
    pub card_id: i64,
    pub deck_id: i64,
}

/// Takes the answer in `record` back at `now_millis`. Blocking; the caller holds the
/// user's lock.
pub fn undo(
    conn: &rusqlite::Connection,
    record: &UndoRecord,
    now_millis: i64,
) -> Result<Undone, StudyError> {
    let write = ServerWrite::begin(conn, now_millis)?;
    let tx = &write.tx;
    if write.usn != record.col_usn {
        return Err(StudyError::UndoStale("the collection was synced since"));
    }
    if card_stamp(tx, record.card.id)? != Some(record.card_after) {
        return Err(StudyError::UndoStale("the card changed since"));
    }
    let revlog_gone = tx.execute("DELETE FROM revlog WHERE id = ?1", [record.revlog_id])? == 0;
    if revlog_gone {
        return Err(StudyError::UndoStale("the review is no longer recorded"));
    }
    record.card.restore(tx)?;
    for sibling in &record.buried {
        sibling.restore(tx)?;
    }
    for deck in &record.decks {
        tx.execute(
            "UPDATE decks SET common = ?1, mtime_secs = ?2, usn = ?3 WHERE id = ?4",
            params![deck.common, deck.mtime_secs, deck.usn, deck.id],
        )?;
    }
    if let Some(note) = &record.note {
        tx.execute(
            "UPDATE notes SET tags = ?1, mod = ?2, usn = ?3 WHERE id = ?4",
            params![note.tags, note.mod_secs, note.usn, note.id],
        )?;
    }
    if record.tag_added {
        tx.execute("DELETE FROM tags WHERE tag = 'leech'", [])?;
    }
    let undone = Undone {
        card_id: record.card.id,
        deck_id: record.card.deck_id,
    };
    write.commit()?;
    Ok(undone)
}
