//! Answering a card: the rows `scheduler::apply_answer` computes, written with the
//! revlog entry, the deck's studied-today counters, the leech tag and the siblings the
//! answer buries, in one server write (see the module above). What it changed is kept in
//! an [`UndoRecord`].

use rusqlite::{params, OptionalExtension};

use super::deck_stats::{add_studied, StudiedDelta};
use super::undo::{CardBefore, NoteBefore, UndoRecord};
use super::write::ServerWrite;
use super::StudyError;
use crate::collection::queue::{bury_options_of_deck, siblings_to_bury};
use crate::collection::scheduler::{
    self, apply_answer, load_for_answer, Answer, CardRow, RevlogRow, QUEUE_DAY_LEARN, QUEUE_LEARN,
    QUEUE_NEW, QUEUE_REVIEW,
};

/// Which state of a card the study screen showed: the answer is refused if the card has
/// changed since (a device synced a change to it, or another tab answered it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CardStamp {
    pub mod_secs: i64,
    pub reps: i64,
}

/// One answer from the study screen.
#[derive(Debug, Clone, Copy)]
pub struct AnswerInput {
    pub card_id: i64,
    /// 1 again, 2 hard, 3 good, 4 easy.
    pub rating: u8,
    pub shown: CardStamp,
    /// Time the person spent on the card (capped by the preset's maximum answer time).
    pub milliseconds_taken: u32,
}

const BURIED_BY_SCHEDULER: i64 = -2;
const LEECH: &str = "leech";

/// Answers a card at `now_millis`. Blocking; the caller holds the user's lock.
pub fn answer(
    conn: &rusqlite::Connection,
    input: AnswerInput,
    now_millis: i64,
) -> Result<UndoRecord, StudyError> {
    if !(1..=4).contains(&input.rating) {
        return Err(StudyError::Sched(scheduler::SchedError::InvalidRating(
            input.rating,
        )));
    }
    let write = ServerWrite::begin(conn, now_millis)?;
    let tx = &write.tx;
    let for_answer = load_for_answer(tx, input.card_id, write.now_secs)?;
    let card = &for_answer.card;
    let stamp = card_stamp(tx, card.id)?.ok_or(scheduler::SchedError::CardNotFound(card.id))?;
    if stamp != input.shown {
        return Err(StudyError::CardChanged(card.id));
    }
    if ![QUEUE_NEW, QUEUE_LEARN, QUEUE_REVIEW, QUEUE_DAY_LEARN].contains(&card.queue) {
        return Err(StudyError::NotStudyable(card.id));
    }
    let states = scheduler::next_states(card, &for_answer.preset, &for_answer.context)?;
    let answered = apply_answer(
        card,
        &for_answer.preset,
        &states,
        &Answer {
            rating: input.rating,
            answered_at_millis: now_millis,
            milliseconds_taken: input.milliseconds_taken,
        },
        &for_answer.context,
    )?;
    let card_before = CardBefore::read(tx, card.id)?;

    let revlog_id = insert_revlog(&write, &answered.revlog)?;
    let delta = StudiedDelta {
        new: i32::from(card.queue == QUEUE_NEW),
        review: i32::from(card.queue == QUEUE_REVIEW || card.queue == QUEUE_DAY_LEARN),
        millis: i32::try_from(answered.revlog.taken_millis).unwrap_or(i32::MAX),
    };
    let decks = add_studied(
        &write,
        card.deck_id,
        for_answer.context.today.days_elapsed,
        delta,
    )?;
    let buried = bury_siblings(&write, card)?;
    update_card(&write, &answered.card)?;
    let (note, tag_added) = if answered.leech {
        add_leech_tag(&write, card.note_id)?
    } else {
        (None, false)
    };
    let record = UndoRecord {
        col_usn: write.usn,
        card: card_before,
        card_after: CardStamp {
            mod_secs: write.now_secs,
            reps: answered.card.reps,
        },
        revlog_id,
        buried,
        decks,
        note,
        tag_added,
    };
    write.commit()?;
    Ok(record)
}

/// The card's stamp as stored now.
pub(super) fn card_stamp(
    tx: &rusqlite::Connection,
    card_id: i64,
) -> rusqlite::Result<Option<CardStamp>> {
    tx.query_row(
        "SELECT mod, reps FROM cards WHERE id = ?1",
        [card_id],
        |r| {
            Ok(CardStamp {
                mod_secs: r.get(0)?,
                reps: r.get(1)?,
            })
        },
    )
    .optional()
}

fn update_card(write: &ServerWrite, card: &CardRow) -> Result<(), StudyError> {
    write.tx.execute(
        "UPDATE cards SET type = ?1, queue = ?2, due = ?3, ivl = ?4, factor = ?5, reps = ?6,
           lapses = ?7, left = ?8, data = ?9, mod = ?10, usn = ?11
         WHERE id = ?12",
        params![
            card.card_type,
            card.queue,
            card.due,
            card.interval,
            card.factor,
            card.reps,
            card.lapses,
            card.left,
            card.data,
            write.now_secs,
            write.usn,
            card.id
        ],
    )?;
    Ok(())
}

/// Inserts the revlog row; as in Anki, an id already taken (two answers in the same
/// millisecond) moves on to the next free one. Returns the id used.
fn insert_revlog(write: &ServerWrite, revlog: &RevlogRow) -> Result<i64, StudyError> {
    let mut id = revlog.id;
    while write.tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM revlog WHERE id = ?1)",
        [id],
        |r| r.get::<_, bool>(0),
    )? {
        id += 1;
    }
    write.tx.execute(
        "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id,
            revlog.card_id,
            write.usn,
            revlog.ease,
            revlog.interval,
            revlog.last_interval,
            revlog.factor,
            revlog.taken_millis,
            revlog.kind
        ],
    )?;
    Ok(id)
}

/// Buries the siblings the answer buries; returns them as they were.
fn bury_siblings(write: &ServerWrite, card: &CardRow) -> Result<Vec<CardBefore>, StudyError> {
    let options = bury_options_of_deck(&write.tx, card.deck_id)?;
    let mut before = Vec::new();
    for id in siblings_to_bury(&write.tx, card, &options)? {
        before.push(CardBefore::read(&write.tx, id)?);
        write.tx.execute(
            "UPDATE cards SET queue = ?1, mod = ?2, usn = ?3 WHERE id = ?4",
            params![BURIED_BY_SCHEDULER, write.now_secs, write.usn, id],
        )?;
    }
    Ok(before)
}

/// Tags the note `leech` (and registers the tag) unless it has it; returns the note as it
/// was and whether the tag was new to the collection.
fn add_leech_tag(
    write: &ServerWrite,
    note_id: i64,
) -> Result<(Option<NoteBefore>, bool), StudyError> {
    let note = NoteBefore::read(&write.tx, note_id)?;
    let Some(note) = note else {
        return Ok((None, false));
    };
    let mut tags: Vec<&str> = note.tags.split_whitespace().collect();
    if tags.iter().any(|t| t.eq_ignore_ascii_case(LEECH)) {
        return Ok((None, false));
    }
    tags.push(LEECH);
    let stored = format!(" {} ", tags.join(" "));
    write.tx.execute(
        "UPDATE notes SET tags = ?1, mod = ?2, usn = ?3 WHERE id = ?4",
        params![stored, write.now_secs, write.usn, note_id],
    )?;
    let tag_added = write.tx.execute(
        "INSERT OR IGNORE INTO tags (tag, usn, collapsed, config) VALUES (?1, ?2, 0, NULL)",
        params![LEECH, write.usn],
    )? == 1;
    Ok((Some(note), tag_added))
}
