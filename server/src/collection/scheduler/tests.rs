use std::collections::HashMap;

use r2d2_sqlite::rusqlite::Connection;
use serde::Deserialize;

use super::*;
use crate::collection::test_fixtures::open_fixture_in;

#[derive(Deserialize)]
struct Vector {
    case: String,
    file: String,
    card_id: i64,
    rating: u8,
    now_from: i64,
    now_to: i64,
    answered_at_millis: i64,
    milliseconds_taken: u32,
    labels: Vec<String>,
    before: OracleCard,
    after: OracleCard,
    revlog: OracleRevlog,
    leech_tagged: bool,
}

#[derive(Deserialize, Debug, PartialEq, Eq, Clone)]
struct OracleCard {
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
    odue: i64,
    odid: i64,
    data: String,
}

impl From<&CardRow> for OracleCard {
    fn from(c: &CardRow) -> Self {
        OracleCard {
            id: c.id,
            nid: c.note_id,
            did: c.deck_id,
            card_type: c.card_type,
            queue: c.queue,
            due: c.due,
            ivl: c.interval,
            factor: c.factor,
            reps: c.reps,
            lapses: c.lapses,
            left: c.left,
            odue: c.original_due,
            odid: c.original_deck_id,
            data: c.data.clone(),
        }
    }
}

#[derive(Deserialize, Debug, PartialEq, Eq, Clone)]
struct OracleRevlog {
    id: i64,
    cid: i64,
    ease: u8,
    ivl: i64,
    #[serde(rename = "lastIvl")]
    last_ivl: i64,
    factor: i64,
    time: i64,
    #[serde(rename = "type")]
    kind: i64,
}

impl From<&RevlogRow> for OracleRevlog {
    fn from(r: &RevlogRow) -> Self {
        OracleRevlog {
            id: r.id,
            cid: r.card_id,
            ease: r.ease,
            ivl: r.interval,
            last_ivl: r.last_interval,
            factor: r.factor,
            time: r.taken_millis,
            kind: r.kind,
        }
    }
}

/// What we compute for one vector at one instant, in the oracle's terms.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    before: OracleCard,
    labels: Vec<String>,
    after: OracleCard,
    revlog: OracleRevlog,
    leech_tagged: bool,
}

/// Every answer Anki gave (tests/oracle/sched_vectors.py): for each card state, preset
/// and rating, the same button labels, the same card row after the answer (type, queue,
/// due relative to the answer time, interval, ease, reps, lapses, steps left, data) and
/// the same revlog row as `col.sched.answer_card()`, load balancer and fuzz included.
/// The committed vectors, and the ones `test.sh` has the installed `anki` build afresh
/// for this run (`FF_SCHED_VECTORS`).
#[test]
fn every_answer_is_what_anki_writes() {
    for path in crate::collection::test_fixtures::vector_sets("sched", "FF_SCHED_VECTORS") {
        let text = std::fs::read_to_string(&path).expect("the vectors file");
        let vectors: Vec<Vector> = serde_json::from_str(&text).expect("vectors parse");
        assert!(vectors.len() >= 300, "{}", path.display());
        let dir = path.parent().expect("vectors live in a directory");
        let tmp = tempfile::tempdir().expect("tempdir");
        let mut collections: HashMap<String, Connection> = HashMap::new();
        let mut failures = Vec::new();
        for v in &vectors {
            let conn = collections
                .entry(v.file.clone())
                .or_insert_with(|| open_fixture_in(dir, &v.file, tmp.path()));
            if let Err(report) = check_vector(conn, v) {
                failures.push(report);
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} vectors in {} differ:\n{}",
            failures.len(),
            vectors.len(),
            path.display(),
            failures.join("\n")
        );
    }
}

/// The oracle's cards reach a leech threshold once each; the repeats every half threshold
/// (rounded up) after it are checked here.
#[test]
fn a_leech_repeats_every_half_threshold_after_the_first() {
    let leeches = |threshold| {
        (0..=13)
            .filter(|&lapses| review::is_leech(lapses, threshold))
            .collect::<Vec<u32>>()
    };
    assert_eq!(leeches(3), [3, 5, 7, 9, 11, 13]);
    assert_eq!(leeches(8), [8, 12]);
    assert_eq!(leeches(1), (1..=13).collect::<Vec<_>>());
    assert_eq!(leeches(0), Vec::<u32>::new());
}

/// Anki looked at the clock somewhere between `now_from` and `now_to`: one of those
/// seconds must give exactly the oracle's outcome.
fn check_vector(conn: &Connection, v: &Vector) -> Result<(), String> {
    let expected = Outcome {
        before: v.before.clone(),
        labels: v.labels.clone(),
        after: v.after.clone(),
        revlog: v.revlog.clone(),
        leech_tagged: v.leech_tagged,
    };
    let mut last = None;
    for now in v.now_from..=v.now_to {
        let ours = outcome(conn, v, now).map_err(|e| format!("{}: {e}", v.name()))?;
        if ours == expected {
            return Ok(());
        }
        last = Some(ours);
    }
    Err(format!(
        "{}:\n  ours   {:?}\n  anki's {:?}",
        v.name(),
        last,
        expected
    ))
}

fn outcome(conn: &Connection, v: &Vector, now: i64) -> Result<Outcome, SchedError> {
    let loaded = load_for_answer(conn, v.card_id, now)?;
    let ctx = &loaded.context;
    let states = next_states(&loaded.card, &loaded.preset, ctx)?;
    let labels = labels(&states, now, ctx.today.next_day_at, ctx.learn_ahead_secs);
    let answer = Answer {
        rating: v.rating,
        answered_at_millis: v.answered_at_millis,
        milliseconds_taken: v.milliseconds_taken,
    };
    let answered = apply_answer(&loaded.card, &loaded.preset, &states, &answer, ctx)?;
    Ok(Outcome {
        before: OracleCard::from(&loaded.card),
        labels: labels.to_vec(),
        after: OracleCard::from(&answered.card),
        revlog: OracleRevlog::from(&answered.revlog),
        leech_tagged: answered.leech,
    })
}

impl Vector {
    fn name(&self) -> String {
        format!(
            "{} card {} ({} ivl {} left {}) rating {}",
            self.case,
            self.card_id,
            ["new", "learn", "review", "relearn"]
                .get(self.before.card_type as usize)
                .unwrap_or(&"?"),
            self.before.ivl,
            self.before.left,
            self.rating
        )
    }
}
