//! A study session replayed against Anki's (tests/oracle/study_vectors.py): the card
//! shown at each step with its counts and labels, and at the end every row the session
//! changed. Then what only the server does: usn stamps, undo, and refusing to write
//! while a sync holds the collection.

use std::path::{Path, PathBuf};

use r2d2_sqlite::rusqlite::{Connection, OpenFlags};
use serde::Deserialize;

use super::*;
use crate::collection::file;
use crate::collection::queue::QueueKind;
use crate::collection::test_fixtures::decompress_fixture;

#[derive(Deserialize)]
struct Vectors {
    file: String,
    deck_id: i64,
    answers: Vec<AnswerVector>,
    after: After,
}

#[derive(Deserialize)]
struct AnswerVector {
    card_id: i64,
    kind: String,
    rating: u8,
    counts: Counts,
    labels: [String; 4],
    answered_at_millis: i64,
    milliseconds_taken: u32,
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
struct Counts {
    new: u32,
    learn: u32,
    review: u32,
}

#[derive(Deserialize)]
struct After {
    cards: Vec<CardOut>,
    revlog: Vec<RevlogOut>,
    decks: Vec<DeckOut>,
    notes: Vec<NoteOut>,
    tags: Vec<String>,
    last_unburied: i64,
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
struct CardOut {
    id: i64,
    nid: i64,
    did: i64,
    #[serde(rename = "type")]
    card_type: i64,
    queue: i64,
    due: i64,
    ivl: i64,
    factor: i64,
    reps: i64,
    lapses: i64,
    left: i64,
    data: String,
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
struct RevlogOut {
    id: i64,
    cid: i64,
    ease: i64,
    ivl: i64,
    #[serde(rename = "lastIvl")]
    last_ivl: i64,
    factor: i64,
    time: i64,
    #[serde(rename = "type")]
    kind: i64,
}

/// A deck's studied-today counters as the legacy JSON shows them: `[day, count]`.
#[derive(Deserialize, Debug, PartialEq, Eq)]
struct DeckOut {
    id: i64,
    name: String,
    new: (u32, i32),
    review: (u32, i32),
    millis: (u32, i32),
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
struct NoteOut {
    id: i64,
    tags: String,
}

const SERVER_USN: i64 = 41;

fn vector_sets() -> Vec<PathBuf> {
    crate::collection::test_fixtures::vector_sets("study", "FF_STUDY_VECTORS")
}

fn read_vectors(path: &Path) -> Vectors {
    let text = std::fs::read_to_string(path).expect("the vectors file");
    serde_json::from_str(&text).expect("vectors parse")
}

/// The session's starting collection, writable, on a server whose `col.usn` is
/// [`SERVER_USN`].
fn open_session(set: &Path, v: &Vectors, tmp: &Path) -> Connection {
    let dir = set.parent().expect("vectors dir");
    let path = decompress_fixture(dir, &v.file, tmp);
    let conn = file::open(&path, OpenFlags::SQLITE_OPEN_READ_WRITE).expect("open");
    conn.execute("UPDATE col SET usn = ?1", [SERVER_USN])
        .expect("server usn");
    conn
}

fn kind_name(kind: QueueKind) -> &'static str {
    match kind {
        QueueKind::New => "new",
        QueueKind::Learning => "learning",
        QueueKind::Review => "review",
    }
}

/// Shows the top card at the vector's time, checks it is Anki's, and answers it.
fn look_and_answer(conn: &Connection, deck_id: i64, step: usize, a: &AnswerVector) -> UndoRecord {
    let view = next(conn, deck_id, a.answered_at_millis, None).expect("next card");
    let shown = view
        .card
        .unwrap_or_else(|| panic!("step {step}: no card, Anki showed one"));
    assert_eq!(shown.card_id, a.card_id, "step {step}: the card shown");
    assert_eq!(kind_name(shown.kind), a.kind, "step {step}: its queue");
    let counts = Counts {
        new: view.counts.new,
        learn: view.counts.learn,
        review: view.counts.review,
    };
    assert_eq!(counts, a.counts, "step {step}: the counts");
    assert_eq!(shown.labels, a.labels, "step {step}: the button labels");
    answer(
        conn,
        AnswerInput {
            card_id: a.card_id,
            rating: a.rating,
            shown: shown.stamp,
            milliseconds_taken: a.milliseconds_taken,
        },
        a.answered_at_millis,
    )
    .unwrap_or_else(|e| panic!("step {step}: answer: {e}"))
}

fn cards(conn: &Connection) -> Vec<CardOut> {
    let mut stmt = conn
        .prepare(
            "SELECT id, nid, did, type, queue, due, ivl, factor, reps, lapses, left, data
             FROM cards ORDER BY id",
        )
        .expect("prepare");
    stmt.query_map([], |r| {
        Ok(CardOut {
            id: r.get(0)?,
            nid: r.get(1)?,
            did: r.get(2)?,
            card_type: r.get(3)?,
            queue: r.get(4)?,
            due: r.get(5)?,
            ivl: r.get(6)?,
            factor: r.get(7)?,
            reps: r.get(8)?,
            lapses: r.get(9)?,
            left: r.get(10)?,
            data: r.get(11)?,
        })
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("cards")
}

fn revlog(conn: &Connection) -> Vec<RevlogOut> {
    let mut stmt = conn
        .prepare("SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id")
        .expect("prepare");
    stmt.query_map([], |r| {
        Ok(RevlogOut {
            id: r.get(0)?,
            cid: r.get(1)?,
            ease: r.get(2)?,
            ivl: r.get(3)?,
            last_ivl: r.get(4)?,
            factor: r.get(5)?,
            time: r.get(6)?,
            kind: r.get(7)?,
        })
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("revlog")
}

fn decks(conn: &Connection) -> Vec<DeckOut> {
    use prost::Message;
    let mut stmt = conn
        .prepare("SELECT id, name, common FROM decks")
        .expect("prepare");
    stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })
    .expect("query")
    .map(|row| {
        let (id, name, common) = row.expect("deck");
        let c = crate::schema_bridge::pb::DeckCommon::decode(common.as_slice()).expect("common");
        DeckOut {
            id,
            name: name.replace('\u{1f}', "::"),
            new: (c.last_day_studied, c.new_studied),
            review: (c.last_day_studied, c.review_studied),
            millis: (c.last_day_studied, c.milliseconds_studied),
        }
    })
    .collect()
}

fn notes(conn: &Connection) -> Vec<NoteOut> {
    let mut stmt = conn
        .prepare("SELECT id, tags FROM notes ORDER BY id")
        .expect("prepare");
    stmt.query_map([], |r| {
        Ok(NoteOut {
            id: r.get(0)?,
            tags: r.get(1)?,
        })
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("notes")
}

fn tags(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT tag FROM tags ORDER BY tag")
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("tags")
}

/// Every row an answer can change, usn and mod included; not `col`, whose `mod` moves.
fn dump(conn: &Connection) -> String {
    let mut out = String::new();
    for sql in [
        "SELECT * FROM cards ORDER BY id",
        "SELECT * FROM revlog ORDER BY id",
        "SELECT id, mtime_secs, usn, hex(common) FROM decks ORDER BY id",
        "SELECT id, tags, mod, usn FROM notes ORDER BY id",
        "SELECT tag, usn FROM tags ORDER BY tag",
        "SELECT KEY, usn, mtime_secs, hex(val) FROM config ORDER BY KEY",
    ] {
        let mut stmt = conn.prepare(sql).expect("prepare");
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).expect("query");
        while let Some(row) = rows.next().expect("row") {
            for i in 0..columns {
                let value: rusqlite::types::Value = row.get(i).expect("value");
                out.push_str(&format!("{value:?}|"));
            }
            out.push('\n');
        }
    }
    out
}

#[test]
fn a_session_writes_what_anki_writes() {
    for set in vector_sets() {
        let v = read_vectors(&set);
        assert!(
            v.answers.len() >= 20,
            "{}: the session is too short",
            set.display()
        );
        let tmp = tempfile::tempdir().expect("tempdir");
        let conn = open_session(&set, &v, tmp.path());
        let cards_before = cards(&conn);
        for (step, a) in v.answers.iter().enumerate() {
            look_and_answer(&conn, v.deck_id, step, a);
        }
        let after = &v.after;
        assert_eq!(cards(&conn), after.cards, "{}: cards", set.display());
        assert_eq!(revlog(&conn), after.revlog, "revlog");
        let mut ours = decks(&conn);
        ours.sort_by_key(|d| d.id);
        let mut theirs: Vec<&DeckOut> = after.decks.iter().collect();
        theirs.sort_by_key(|d| d.id);
        for (o, t) in ours.iter().zip(&theirs) {
            // A deck never studied has no day on either side; Anki's JSON shows 0.
            assert_eq!(o, *t, "the studied-today counters of {}", t.name);
        }
        assert_eq!(ours.len(), theirs.len());
        assert_eq!(notes(&conn), after.notes, "note tags");
        assert_eq!(tags(&conn), after.tags, "the tags table");
        let last_unburied: i64 = conn
            .query_row(
                "SELECT CAST(val AS TEXT) FROM config WHERE KEY = 'lastUnburied'",
                [],
                |r| r.get::<_, String>(0),
            )
            .expect("lastUnburied")
            .parse()
            .expect("a day");
        assert_eq!(last_unburied, after.last_unburied, "lastUnburied");

        // Every row the session changed carries the server's usn; the others kept theirs,
        // and so did those the day's unburying alone changed (Anki does not mark them
        // modified: each device unburies on its own).
        let usns: Vec<(i64, i64)> = conn
            .prepare("SELECT id, usn FROM cards ORDER BY id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("usns");
        for ((before, after), (id, usn)) in cards_before.iter().zip(&after.cards).zip(usns) {
            assert_eq!(before.id, id);
            let only_unburied = before.queue < -1
                && after.queue >= 0
                && CardOut {
                    queue: after.queue,
                    data: before.data.clone(),
                    ..*before
                } == CardOut {
                    data: before.data.clone(),
                    ..*after
                };
            if before != after && !only_unburied {
                assert_eq!(usn, SERVER_USN, "changed card {id}");
            } else {
                assert_ne!(usn, SERVER_USN, "unchanged card {id}");
            }
        }
        let revlog_usns: Vec<i64> = conn
            .prepare("SELECT DISTINCT usn FROM revlog")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("usns");
        assert_eq!(revlog_usns, vec![SERVER_USN]);
        let col_usn: i64 = conn
            .query_row("SELECT usn FROM col", [], |r| r.get(0))
            .expect("col");
        assert_eq!(col_usn, SERVER_USN, "a server write does not move col.usn");
    }
}

#[test]
fn every_answer_of_the_session_can_be_taken_back_exactly() {
    let set = &vector_sets()[0];
    let v = read_vectors(set);
    let tmp = tempfile::tempdir().expect("tempdir");
    let conn = open_session(set, &v, tmp.path());
    // The first look of the day unburies; undo takes back answers, not that.
    unbury_if_day_rolled_over(&conn, v.answers[0].answered_at_millis).expect("unbury");
    for (step, a) in v.answers.iter().enumerate() {
        let before = dump(&conn);
        let col_mod: i64 = conn
            .query_row("SELECT mod FROM col", [], |r| r.get(0))
            .expect("col");
        let record = look_and_answer(&conn, v.deck_id, step, a);
        assert_ne!(
            dump(&conn),
            before,
            "step {step}: the answer changed nothing"
        );
        let undone = undo(&conn, &record, a.answered_at_millis + 5).expect("undo");
        assert_eq!(undone.card_id, a.card_id);
        assert_eq!(dump(&conn), before, "step {step}: undo left a difference");
        let col_mod_after: i64 = conn
            .query_row("SELECT mod FROM col", [], |r| r.get(0))
            .expect("col");
        assert!(
            col_mod_after > col_mod,
            "step {step}: undo is a change to sync"
        );
        // Taken back twice: the second is refused.
        assert!(matches!(
            undo(&conn, &record, a.answered_at_millis + 6),
            Err(StudyError::UndoStale(_))
        ));
        look_and_answer(&conn, v.deck_id, step, a);
    }
}

#[test]
fn undo_is_refused_once_a_sync_has_moved_the_usn() {
    let set = &vector_sets()[0];
    let v = read_vectors(set);
    let tmp = tempfile::tempdir().expect("tempdir");
    let conn = open_session(set, &v, tmp.path());
    let record = look_and_answer(&conn, v.deck_id, 0, &v.answers[0]);
    conn.execute("UPDATE col SET usn = usn + 1", [])
        .expect("a sync's finish");
    let after_answer = dump(&conn);
    let refused = undo(&conn, &record, v.answers[0].answered_at_millis + 10);
    assert!(
        matches!(refused, Err(StudyError::UndoStale(_))),
        "{refused:?}"
    );
    assert_eq!(dump(&conn), after_answer, "a refused undo changes nothing");
}

#[test]
fn a_write_while_a_sync_holds_the_collection_is_refused_and_changes_nothing() {
    let set = &vector_sets()[0];
    let v = read_vectors(set);
    let tmp = tempfile::tempdir().expect("tempdir");
    let conn = open_session(set, &v, tmp.path());
    let a = &v.answers[0];
    let view = next(&conn, v.deck_id, a.answered_at_millis, None).expect("next");
    let shown = view.card.expect("a card");
    let before = dump(&conn);

    // A normal sync: its own connection, a write transaction from start to finish.
    let path: String = conn
        .query_row("PRAGMA database_list", [], |r| r.get(2))
        .expect("path");
    let sync = file::open(Path::new(&path), OpenFlags::SQLITE_OPEN_READ_WRITE).expect("open");
    sync.execute_batch("BEGIN IMMEDIATE").expect("sync begins");
    let input = AnswerInput {
        card_id: shown.card_id,
        rating: a.rating,
        shown: shown.stamp,
        milliseconds_taken: a.milliseconds_taken,
    };
    let refused = answer(&conn, input, a.answered_at_millis);
    assert!(
        matches!(refused, Err(StudyError::SyncInProgress)),
        "{refused:?}"
    );
    sync.execute_batch("COMMIT").expect("sync finishes");
    assert_eq!(dump(&conn), before);

    // Once the sync is over the same answer goes through.
    answer(&conn, input, a.answered_at_millis).expect("answer after the sync");
}

#[test]
fn an_answer_to_a_card_that_changed_since_it_was_shown_is_refused() {
    let set = &vector_sets()[0];
    let v = read_vectors(set);
    let tmp = tempfile::tempdir().expect("tempdir");
    let conn = open_session(set, &v, tmp.path());
    let a = &v.answers[0];
    let shown = next(&conn, v.deck_id, a.answered_at_millis, None)
        .expect("next")
        .card
        .expect("a card");
    // A device's sync changed the card in between.
    conn.execute(
        "UPDATE cards SET mod = mod + 1 WHERE id = ?1",
        [shown.card_id],
    )
    .expect("change");
    let before = dump(&conn);
    let input = AnswerInput {
        card_id: shown.card_id,
        rating: 3,
        shown: shown.stamp,
        milliseconds_taken: 1000,
    };
    let refused = answer(&conn, input, a.answered_at_millis);
    assert!(
        matches!(refused, Err(StudyError::CardChanged(_))),
        "{refused:?}"
    );
    assert_eq!(dump(&conn), before);
    let bad_rating = answer(
        &conn,
        AnswerInput { rating: 5, ..input },
        a.answered_at_millis,
    );
    assert!(bad_rating.is_err());
}
