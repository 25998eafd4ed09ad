use serde::Deserialize;

use super::*;

#[derive(Deserialize)]
struct Vector {
    tz: String,
    crt: i64,
    rollover: Option<i64>,
    creation_offset: Option<i64>,
    local_offset: Option<i64>,
    now_from: i64,
    now_to: i64,
    days_elapsed: u32,
    next_day_at: i64,
}

/// Every vector Anki computed (tests/oracle/day_timing_vectors.py): the same day count
/// and the same next rollover, in zones east and west of UTC, with and without a
/// creation offset, at rollover hours 0, 4, 12 and 23. The committed vectors, and the
/// ones `test.sh` has the installed `anki` compute afresh for this run
/// (`FF_DAY_TIMING_VECTORS`).
#[test]
fn today_is_what_anki_computes_for_every_vector() {
    let committed = include_str!("../../../tests/fixtures/day_timing_vectors.json").to_string();
    let mut sets = vec![("committed".to_string(), committed)];
    if let Ok(path) = std::env::var("FF_DAY_TIMING_VECTORS") {
        let fresh = std::fs::read_to_string(&path).expect("the fresh vectors test.sh wrote");
        sets.push((path, fresh));
    }
    for (name, text) in sets {
        let vectors: Vec<Vector> = serde_json::from_str(&text).expect("vectors parse");
        assert!(vectors.len() >= 100, "{name}");
        check_vectors(&vectors);
    }
}

fn check_vectors(vectors: &[Vector]) {
    for v in vectors {
        let rules = DayRules {
            creation_secs: v.crt,
            creation_minutes_west: v.creation_offset.and_then(offset_minutes),
            local_minutes_west: v.local_offset.and_then(offset_minutes),
            rollover_hour: v.rollover.map(|h| h as u8),
            learn_ahead_secs: DEFAULT_LEARN_AHEAD_SECS,
        };
        // Anki looked at the clock somewhere between these two seconds.
        let matches = (v.now_from..=v.now_to).any(|now| {
            let today = rules.today(now);
            today.days_elapsed == v.days_elapsed && today.next_day_at == v.next_day_at
        });
        assert!(
            matches,
            "{} crt={} rollover={:?} creation={:?}: ours {:?}, Anki's {} / {}",
            v.tz,
            v.crt,
            v.rollover,
            v.creation_offset,
            rules.today(v.now_from),
            v.days_elapsed,
            v.next_day_at
        );
    }
}

#[test]
fn the_day_turns_at_the_rollover_hour_in_the_devices_zone() {
    // Created at 03:00 UTC+10 on a day; rollover at 4 am local.
    let offset_east = 10 * 3600;
    let created = 1_000 * DAY - offset_east + 3 * 3600;
    let rules = DayRules {
        creation_secs: created,
        creation_minutes_west: Some(-600),
        local_minutes_west: Some(-600),
        rollover_hour: Some(4),
        learn_ahead_secs: DEFAULT_LEARN_AHEAD_SECS,
    };
    let next_day_4am = 1_001 * DAY - offset_east + 4 * 3600;
    assert_eq!(rules.today(next_day_4am - 1).days_elapsed, 0);
    assert_eq!(rules.today(next_day_4am).days_elapsed, 1);
    assert_eq!(rules.today(next_day_4am - 1).next_day_at, next_day_4am);
    assert_eq!(rules.today(next_day_4am).next_day_at, next_day_4am + DAY);
}

#[test]
fn the_v1_scheduler_counts_whole_days_since_creation() {
    let rules = DayRules {
        creation_secs: 1_000_000,
        creation_minutes_west: None,
        local_minutes_west: None,
        rollover_hour: None,
        learn_ahead_secs: DEFAULT_LEARN_AHEAD_SECS,
    };
    let today = rules.today(1_000_000 + 3 * DAY + 5);
    assert_eq!(today.days_elapsed, 3);
    assert_eq!(today.next_day_at, 1_000_000 + 4 * DAY);
}

#[test]
fn rules_are_read_from_the_collection_config() {
    let conn = Connection::open_in_memory().expect("db");
    conn.execute_batch(
        "CREATE TABLE col (crt integer); INSERT INTO col VALUES (1700000000);
         CREATE TABLE config (KEY text PRIMARY KEY, usn integer, mtime_secs integer, val blob);
         INSERT INTO config VALUES ('rollover', 0, 0, CAST('5' AS BLOB));
         INSERT INTO config VALUES ('creationOffset', 0, 0, CAST('-600' AS BLOB));
         INSERT INTO config VALUES ('localOffset', 0, 0, CAST('300' AS BLOB));
         INSERT INTO config VALUES ('collapseTime', 0, 0, CAST('600' AS BLOB));",
    )
    .expect("schema");
    let rules = DayRules::read(&conn).expect("read");
    assert_eq!(
        rules,
        DayRules {
            creation_secs: 1_700_000_000,
            creation_minutes_west: Some(-600),
            local_minutes_west: Some(300),
            rollover_hour: Some(5),
            learn_ahead_secs: 600,
        }
    );
}
