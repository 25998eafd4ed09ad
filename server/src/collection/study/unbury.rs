//! Undoing yesterday's burials. Anki does it the first time it looks at a later day (or
//! at a day far enough before the last one to mean the clock went back): every buried
//! card goes back to the queue its type gives it, and `lastUnburied` records the day.

use super::write::ServerWrite;
use super::StudyError;
use crate::collection::deck_tree::limits::CollectionOptions;
use crate::collection::time::DayRules;

/// Unburies the collection if `now_millis` is on a later day than its last unburying.
/// Returns whether it wrote anything; a collection already unburied today is only read.
pub fn unbury_if_day_rolled_over(
    conn: &rusqlite::Connection,
    now_millis: i64,
) -> Result<bool, StudyError> {
    let today = DayRules::read(conn)?.today(now_millis.div_euclid(1000));
    if !CollectionOptions::read(conn)?.unbury(&today) {
        return Ok(false);
    }
    let write = ServerWrite::begin(conn, now_millis)?;
    // Read again under the write lock: a sync may have changed it since.
    if !CollectionOptions::read(&write.tx)?.unbury(&today) {
        return Ok(false);
    }
    // The queue a buried card returns to: learning cards whose due is a timestamp go to
    // intraday learning, those whose due is a day number to interday learning. As in
    // Anki, the cards are not marked modified (their mtime and usn stay): every device
    // unburies on its own at its rollover, so the change is not synced. (The mtime
    // matters beyond sync: it salts the hash that breaks ties in the review order.)
    write.tx.execute(
        "UPDATE cards SET queue = CASE type
           WHEN 0 THEN 0
           WHEN 2 THEN 2
           ELSE CASE WHEN (CASE WHEN odue > 0 THEN odue ELSE due END) > 1000000000
             THEN 1 ELSE 3 END
         END
         WHERE queue IN (-2, -3)",
        [],
    )?;
    write.set_config("lastUnburied", &today.days_elapsed.to_string())?;
    write.commit()?;
    Ok(true)
}
