use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::*;
use crate::collection::scheduler::read_card;
use crate::collection::test_fixtures::open_fixture;

#[derive(Deserialize)]
struct Vectors {
    queues: Vec<QueueVector>,
    buried: Vec<BuryVector>,
}

#[derive(Deserialize)]
struct QueueVector {
    case: String,
    file: String,
    deck_id: i64,
    now_from: i64,
    now_to: i64,
    cards: Vec<(i64, String)>,
    counts: OracleCounts,
}

#[derive(Deserialize, Debug, PartialEq, Eq)]
struct OracleCounts {
    new: u32,
    learn: u32,
    review: u32,
}

#[derive(Deserialize)]
struct BuryVector {
    case: String,
    file: String,
    card_id: i64,
    buried: Vec<i64>,
}

/// The committed vectors, and the ones `test.sh` has the installed `anki` build afresh
/// for this run (`FF_QUEUE_VECTORS`).
fn vector_sets() -> Vec<PathBuf> {
    crate::collection::test_fixtures::vector_sets("queue", "FF_QUEUE_VECTORS")
}

fn read_vectors(path: &Path) -> Vectors {
    let text = std::fs::read_to_string(path).expect("the vectors file");
    serde_json::from_str(&text).expect("vectors parse")
}

fn kind_name(kind: QueueKind) -> &'static str {
    match kind {
        QueueKind::New => "new",
        QueueKind::Learning => "learning",
        QueueKind::Review => "review",
    }
}

/// Every queue Anki built (tests/oracle/queue_vectors.py), before and after answers: the
/// same cards in the same order from the same queues, and the same counts, as
/// `get_queued_cards(fetch_limit=50)` gave for the selected deck at the second Anki looked.
#[test]
fn the_queue_is_what_anki_shows_for_every_deck_and_answer() {
    for path in vector_sets() {
        let vectors = read_vectors(&path);
        assert!(vectors.queues.len() >= 20, "{}", path.display());
        let dir = path.parent().expect("vectors live in a directory");
        let mut failures = Vec::new();
        for v in &vectors.queues {
            if let Err(message) = check_queue(dir, v) {
                failures.push(message);
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} queues differ:\n{}",
            failures.len(),
            vectors.queues.len(),
            failures.join("\n")
        );
    }
}

fn check_queue(dir: &Path, v: &QueueVector) -> Result<(), String> {
    let (_tmp, conn) = open_fixture(dir, &v.file);
    let mut last = String::new();
    // Anki looked at the clock somewhere between these two seconds.
    for now in v.now_from..=v.now_to {
        let queue = build(&conn, v.deck_id, now, 50).map_err(|e| format!("{}: {e}", v.case))?;
        let cards: Vec<(i64, String)> = queue
            .cards
            .iter()
            .map(|c| (c.card_id, kind_name(c.kind).to_owned()))
            .collect();
        let counts = OracleCounts {
            new: queue.counts.new,
            learn: queue.counts.learn,
            review: queue.counts.review,
        };
        if cards == v.cards && counts == v.counts {
            return Ok(());
        }
        last = format!(
            "{} {} deck {}:\n  ours   {:?} {:?}\n  anki's {:?} {:?}",
            v.case, v.file, v.deck_id, counts, cards, v.counts, v.cards
        );
    }
    Err(last)
}

/// Every answer the oracle gave buried exactly the siblings `siblings_to_bury` names, under
/// the bury options of the answered card's deck.
#[test]
fn answering_buries_the_siblings_anki_buries() {
    for path in vector_sets() {
        let vectors = read_vectors(&path);
        assert!(vectors.buried.len() >= 5, "{}", path.display());
        assert!(vectors.buried.iter().any(|v| !v.buried.is_empty()));
        let dir = path.parent().expect("vectors live in a directory");
        for v in &vectors.buried {
            let (_tmp, conn) = open_fixture(dir, &v.file);
            let card = read_card(&conn, v.card_id).expect("the answered card");
            let home = if card.original_deck_id != 0 {
                card.original_deck_id
            } else {
                card.deck_id
            };
            let options = bury_options_of_deck(&conn, home).expect("bury options");
            let ours = siblings_to_bury(&conn, &card, &options).expect("siblings");
            assert_eq!(ours, v.buried, "{} {} card {}", v.case, v.file, v.card_id);
        }
    }
}

#[test]
fn interspersing_spreads_the_shorter_list_evenly() {
    assert_eq!(
        mix::intersperse(vec![1, 2, 3], vec![11, 22]),
        [1, 11, 2, 22, 3]
    );
    assert_eq!(
        mix::intersperse(vec![1, 2, 3], vec![11, 22, 33, 44, 55, 66]),
        [11, 1, 22, 33, 2, 44, 55, 3, 66]
    );
    assert_eq!(mix::intersperse(Vec::new(), vec![7]), [7]);
}

#[test]
fn a_missing_deck_is_an_error_not_a_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/queue");
    let vectors = read_vectors(&dir.join("vectors.json"));
    let (_tmp, conn) = open_fixture(&dir, &vectors.queues[0].file);
    assert!(matches!(
        build(&conn, 42, 0, 50),
        Err(QueueError::DeckNotFound(42))
    ));
}
