use super::retention::to_remove;
use super::*;
use crate::collection::file::collection_path;

const DAY: i64 = 86_400;
/// Monday 2026-11-30, 10:00 UTC.
const MONDAY: i64 = 1_796_032_800;

fn collection_with(data_dir: &Path, user_id: i64, notes: i64) {
    let path = collection_path(data_dir, user_id);
    fs::create_dir_all(path.parent().expect("user dir")).expect("user dir");
    let conn = Connection::open(&path).expect("create");
    conn.execute_batch(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY); CREATE TABLE cards (id INTEGER PRIMARY KEY);
         CREATE TABLE revlog (id INTEGER PRIMARY KEY); PRAGMA journal_mode = wal;",
    )
    .expect("schema");
    for i in 0..notes {
        conn.execute("INSERT INTO notes VALUES (?1)", [i])
            .expect("note");
        conn.execute("INSERT INTO cards VALUES (?1)", [i])
            .expect("card");
    }
}

#[test]
fn a_snapshot_is_a_checked_copy_of_the_collection_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    collection_with(dir.path(), 7, 3);
    let taken = take(dir.path(), 7, Reason::Replaced, MONDAY)
        .expect("snapshot")
        .expect("a collection to copy");
    assert_eq!((taken.notes, taken.cards, taken.reviews), (3, 3, 0));
    assert_eq!(taken.id, "20261130-100000-replaced");
    // The collection changes afterwards; the snapshot keeps what it was.
    let live = Connection::open(collection_path(dir.path(), 7)).expect("open");
    live.execute("DELETE FROM notes", []).expect("delete");
    let data = data_file(dir.path(), 7, &taken.id).expect("listed data");
    let out = dir.path().join("restored.anki2");
    decompress(&data, &out).expect("decompress");
    let copy = open_copy(&out).expect("open copy");
    let notes: i64 = copy
        .query_row("SELECT count(*) FROM notes", [], |r| r.get(0))
        .expect("count");
    assert_eq!(notes, 3);
    assert_eq!(list(dir.path(), 7).expect("list"), vec![taken]);
    // Nothing but the two files of the snapshot is left in the folder.
    let names: Vec<String> = fs::read_dir(backups_dir(dir.path(), 7))
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_user_without_a_collection_has_nothing_to_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(
        take(dir.path(), 1, Reason::Daily, MONDAY).expect("take"),
        None
    );
    assert!(list(dir.path(), 1).expect("list").is_empty());
}

#[test]
fn two_snapshots_in_one_second_get_two_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    collection_with(dir.path(), 1, 1);
    let a = take(dir.path(), 1, Reason::Manual, MONDAY)
        .expect("a")
        .expect("a");
    let b = take(dir.path(), 1, Reason::Manual, MONDAY)
        .expect("b")
        .expect("b");
    assert_ne!(a.id, b.id);
    assert_eq!(list(dir.path(), 1).expect("list").len(), 2);
}

#[test]
fn what_a_crash_leaves_is_never_listed_and_is_swept() {
    let dir = tempfile::tempdir().expect("tempdir");
    collection_with(dir.path(), 1, 1);
    let kept = take(dir.path(), 1, Reason::Daily, MONDAY)
        .expect("take")
        .expect("some");
    let backups = backups_dir(dir.path(), 1);
    // A crash after the data file was renamed, before its description; and temporaries.
    fs::write(
        backups.join(format!("20261130-110000-daily{DATA_SUFFIX}")),
        b"x",
    )
    .expect("orphan");
    fs::write(backups.join(format!("{TEMP_PREFIX}abc.zst.tmp")), b"x").expect("temp");
    fs::write(backups.join(format!("{TEMP_PREFIX}abc.anki2.tmp")), b"x").expect("temp");
    assert_eq!(list(dir.path(), 1).expect("list"), vec![kept.clone()]);
    assert!(
        data_file(dir.path(), 1, "20261130-110000-daily").is_none(),
        "half written"
    );
    assert_eq!(sweep(dir.path(), 1).expect("sweep"), 3);
    assert_eq!(list(dir.path(), 1).expect("list"), vec![kept]);
    assert_eq!(fs::read_dir(&backups).expect("dir").count(), 2);
}

#[test]
fn ids_are_names_in_the_users_folder_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    collection_with(dir.path(), 1, 1);
    let taken = take(dir.path(), 1, Reason::Daily, MONDAY)
        .expect("take")
        .expect("some");
    assert!(data_file(dir.path(), 1, &taken.id).is_some());
    assert!(
        data_file(dir.path(), 2, &taken.id).is_none(),
        "another user's id"
    );
    for bad in ["../1/backups/x", "", "a/b", ".", "..", "x.json"] {
        assert!(data_file(dir.path(), 1, bad).is_none(), "{bad}");
    }
}

fn snap(id: &str, reason: Reason, taken_at: i64) -> Snapshot {
    Snapshot {
        id: id.into(),
        reason,
        taken_at,
        bytes: 1,
        notes: 0,
        cards: 0,
        reviews: 0,
    }
}

#[test]
fn daily_snapshots_thin_out_to_weekly_and_monthly() {
    // A daily snapshot every day for a year, newest first.
    let newest = MONDAY + 365 * DAY;
    let snapshots: Vec<Snapshot> = (0..365)
        .map(|n| snap(&format!("d{n}"), Reason::Daily, newest - n * DAY))
        .collect();
    let gone = to_remove(&snapshots, &Retention::default());
    let kept: Vec<&Snapshot> = snapshots.iter().filter(|s| !gone.contains(&s.id)).collect();
    assert_eq!(
        kept.len(),
        7 + 4 + 6,
        "{:?}",
        kept.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
    // The last 7 days, each.
    for (n, s) in kept.iter().take(7).enumerate() {
        assert_eq!(s.taken_at, newest - n as i64 * DAY);
    }
    // Then one per week, each in a week of its own, older than the dailies.
    let week = |t: i64| (t.div_euclid(DAY) + 3).div_euclid(7);
    let weeks: Vec<i64> = kept[7..11].iter().map(|s| week(s.taken_at)).collect();
    let mut distinct = weeks.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 4);
    assert!(weeks.iter().all(|&w| w < week(kept[6].taken_at)));
    // Then one per month, reaching back about half a year further.
    let oldest = kept.last().expect("kept").taken_at;
    assert!(
        newest - oldest > 150 * DAY && newest - oldest < 230 * DAY,
        "{}",
        (newest - oldest) / DAY
    );
}

#[test]
fn the_last_ten_replaced_collections_are_kept_whatever_their_age() {
    let mut snapshots: Vec<Snapshot> = (0..14)
        .map(|n| snap(&format!("r{n}"), Reason::Replaced, MONDAY - n * 40 * DAY))
        .collect();
    snapshots.push(snap("d", Reason::Daily, MONDAY));
    snapshots.sort_by_key(|s| std::cmp::Reverse(s.taken_at));
    let gone = to_remove(&snapshots, &Retention::default());
    assert_eq!(gone, vec!["r10", "r11", "r12", "r13"]);
}

#[test]
fn pruning_removes_the_files_of_what_it_does_not_keep() {
    let dir = tempfile::tempdir().expect("tempdir");
    collection_with(dir.path(), 1, 1);
    // Weeks of simulated days: one daily snapshot each, pruned after each as the server does.
    for day in 0..60 {
        take(dir.path(), 1, Reason::Daily, MONDAY + day * DAY).expect("take");
        prune(dir.path(), 1, &Retention::default()).expect("prune");
    }
    let listed = list(dir.path(), 1).expect("list");
    assert!(listed.len() <= 7 + 4 + 6, "{}", listed.len());
    assert_eq!(listed[0].taken_at, MONDAY + 59 * DAY);
    let files = fs::read_dir(backups_dir(dir.path(), 1))
        .expect("dir")
        .count();
    assert_eq!(files, 2 * listed.len());
}

#[test]
fn a_restore_of_a_damaged_snapshot_changes_nothing_and_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    collection_with(dir.path(), 1, 4);
    let taken = take(dir.path(), 1, Reason::Daily, MONDAY)
        .expect("take")
        .expect("some");
    let data = data_file(dir.path(), 1, &taken.id).expect("data");
    fs::write(&data, b"not zstd at all").expect("damage");
    let before = fs::read(collection_path(dir.path(), 1)).expect("collection");
    let user_dir = collection_path(dir.path(), 1)
        .parent()
        .expect("dir")
        .to_owned();
    let files_before = fs::read_dir(&user_dir).expect("dir").count();
    let mut replaced = false;
    let refused = restore(dir.path(), 1, &taken.id, MONDAY + 60, || replaced = true);
    assert!(refused.is_err(), "{refused:?}");
    assert!(!replaced, "the collection was about to be replaced");
    assert_eq!(
        fs::read(collection_path(dir.path(), 1)).expect("collection"),
        before
    );
    assert_eq!(
        fs::read_dir(&user_dir).expect("dir").count(),
        files_before,
        "a leftover"
    );
    assert!(matches!(
        restore(dir.path(), 1, "no-such-id", MONDAY, || {}),
        Err(RestoreError::NoSuchSnapshot(_))
    ));
}

#[test]
fn a_daily_snapshot_is_due_once_per_utc_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    collection_with(dir.path(), 1, 1);
    assert!(
        daily_due(dir.path(), 1, MONDAY).expect("due"),
        "no folder yet"
    );
    take(dir.path(), 1, Reason::Manual, MONDAY).expect("take");
    assert!(
        daily_due(dir.path(), 1, MONDAY).expect("due"),
        "a manual one does not count"
    );
    take(dir.path(), 1, Reason::Daily, MONDAY).expect("take");
    take(dir.path(), 1, Reason::Daily, MONDAY).expect("take a second, -2");
    // Pruning keeps the day's newest, the one with the `-2`.
    prune(dir.path(), 1, &Retention::default()).expect("prune");
    let dailies: Vec<String> = list(dir.path(), 1)
        .expect("list")
        .into_iter()
        .filter(|s| s.reason == Reason::Daily)
        .map(|s| s.id)
        .collect();
    assert_eq!(dailies, vec!["20261130-100000-daily-2"]);
    assert!(!daily_due(dir.path(), 1, MONDAY + 3600).expect("due"));
    assert!(
        daily_due(dir.path(), 1, MONDAY + DAY).expect("due"),
        "the next day"
    );
    // Only a described snapshot counts: a data file a crash left alone does not.
    let backups = backups_dir(dir.path(), 1);
    fs::write(
        backups.join(format!("20261201-090000-daily{DATA_SUFFIX}")),
        b"x",
    )
    .expect("orphan");
    assert!(daily_due(dir.path(), 1, MONDAY + DAY).expect("due"));
}
