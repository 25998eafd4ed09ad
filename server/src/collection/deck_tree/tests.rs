use std::path::Path;

use serde::Deserialize;

use super::*;
use crate::collection::test_fixtures::open_fixture;
use crate::collection::time::DayRules;

#[derive(Deserialize)]
struct Vector {
    case: String,
    file: String,
    now_from: i64,
    now_to: i64,
    days_elapsed: u32,
    decks: Vec<OracleDeck>,
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
struct OracleDeck {
    id: i64,
    name: String,
    level: u32,
    collapsed: bool,
    filtered: bool,
    new: u32,
    learn: u32,
    review: u32,
}

impl From<&DeckListEntry> for OracleDeck {
    fn from(e: &DeckListEntry) -> Self {
        OracleDeck {
            id: e.id,
            name: e.name.clone(),
            level: e.level,
            collapsed: e.collapsed,
            filtered: e.filtered,
            new: e.new,
            learn: e.learn,
            review: e.review,
        }
    }
}

/// Every collection Anki built and counted (tests/oracle/deck_tree_vectors.py): the same
/// decks in the same order, with the same flags and the same new / learning / review
/// counts as `col.sched.deck_due_tree()`. The committed vectors, and the ones `test.sh`
/// has the installed `anki` build afresh for this run (`FF_DECK_TREE_VECTORS`).
#[test]
fn the_deck_list_is_what_anki_shows_for_every_collection() {
    for path in crate::collection::test_fixtures::vector_sets("deck_tree", "FF_DECK_TREE_VECTORS") {
        let text = std::fs::read_to_string(&path).expect("the vectors file");
        let vectors: Vec<Vector> = serde_json::from_str(&text).expect("vectors parse");
        assert!(vectors.len() >= 5, "{}", path.display());
        let dir = path.parent().expect("vectors live in a directory");
        for vector in &vectors {
            check_vector(dir, vector);
        }
    }
}

fn check_vector(dir: &Path, v: &Vector) {
    let (_tmp, conn) = open_fixture(dir, &v.file);
    let rules = DayRules::read(&conn).expect("day rules");
    // Anki looked at the clock somewhere between these two seconds.
    let mut last = None;
    for now in v.now_from..=v.now_to {
        let today = rules.today(now);
        assert_eq!(today.days_elapsed, v.days_elapsed, "{}: today", v.case);
        let ours: Vec<OracleDeck> = deck_list(&conn, &today, rules.learn_ahead_secs)
            .expect("deck list")
            .iter()
            .map(OracleDeck::from)
            .collect();
        if ours == v.decks {
            return;
        }
        last = Some(ours);
    }
    assert_eq!(last.unwrap_or_default(), v.decks, "{}", v.case);
}
