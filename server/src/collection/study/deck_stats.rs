//! The "studied today" counters in a deck's `common`, which the daily limits count
//! against: an answer adds to those of the card's deck and of every deck above it, as
//! Anki's answer does, after starting them afresh on a new day.

use prost::Message;
use rusqlite::{params, OptionalExtension};

use super::write::ServerWrite;
use super::StudyError;
use crate::schema_bridge::pb::DeckCommon;

/// What one answer adds.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct StudiedDelta {
    pub new: i32,
    pub review: i32,
    pub millis: i32,
}

/// A deck row as it was before a study write changed it, for undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeckBefore {
    pub id: i64,
    pub common: Vec<u8>,
    pub mtime_secs: i64,
    pub usn: i64,
}

/// Adds `delta` to deck `deck_id` and its parents for day `today`; returns the rows as
/// they were.
pub(super) fn add_studied(
    write: &ServerWrite,
    deck_id: i64,
    today: u32,
    delta: StudiedDelta,
) -> Result<Vec<DeckBefore>, StudyError> {
    let name: Option<String> = write
        .tx
        .query_row("SELECT name FROM decks WHERE id = ?1", [deck_id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(name) = name else {
        return Ok(Vec::new());
    };
    // The deck and its ancestors: every prefix of its native name (parts joined by U+001F).
    let mut names = vec![name.clone()];
    names.extend(
        name.match_indices('\u{1f}')
            .map(|(at, _)| name[..at].to_owned()),
    );
    let mut before = Vec::new();
    for deck_name in names {
        let row = write
            .tx
            .query_row(
                "SELECT id, common, mtime_secs, usn FROM decks WHERE name = ?1",
                [&deck_name],
                |r| {
                    Ok(DeckBefore {
                        id: r.get(0)?,
                        common: r.get(1)?,
                        mtime_secs: r.get(2)?,
                        usn: r.get(3)?,
                    })
                },
            )
            .optional()?;
        let Some(row) = row else { continue };
        let mut common = DeckCommon::decode(row.common.as_slice())
            .map_err(|source| StudyError::Protobuf { id: row.id, source })?;
        if common.last_day_studied != today {
            common.new_studied = 0;
            common.learning_studied = 0;
            common.review_studied = 0;
            common.milliseconds_studied = 0;
            common.last_day_studied = today;
        }
        common.new_studied = common.new_studied.saturating_add(delta.new);
        common.review_studied = common.review_studied.saturating_add(delta.review);
        common.milliseconds_studied = common.milliseconds_studied.saturating_add(delta.millis);
        write.tx.execute(
            "UPDATE decks SET common = ?1, mtime_secs = ?2, usn = ?3 WHERE id = ?4",
            params![common.encode_to_vec(), write.now_secs, write.usn, row.id],
        )?;
        before.push(row);
    }
    Ok(before)
}
