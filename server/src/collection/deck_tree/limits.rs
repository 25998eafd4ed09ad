//! What the deck list and the study queue share: the collection-wide options that change
//! the daily limits, the decks and presets as stored, and how many more new and review
//! cards each deck may show today (its preset's limits or the deck's own overrides, less
//! what was studied in it today).

use std::collections::HashMap;

use prost::Message;
use r2d2_sqlite::rusqlite::{self, Connection};

use super::{DeckTreeError, MAX_LEVEL, UNLIMITED};
use crate::collection::config::config_value;
use crate::collection::time::Today;
use crate::schema_bridge::pb::{
    DayLimit, DeckCommon, DeckConfigConfig, DeckKind, DeckKindContainer, NormalDeck,
};

/// Collection-wide options that change the counts.
pub(crate) struct CollectionOptions {
    pub new_cards_ignore_review_limit: bool,
    pub apply_all_parent_limits: bool,
    /// The day Anki last undid the burials of an earlier day.
    pub last_unburied: i64,
}

impl CollectionOptions {
    pub fn read(conn: &Connection) -> rusqlite::Result<Self> {
        let bool_key = |key| -> rusqlite::Result<bool> {
            Ok(config_value(conn, key)?.is_some_and(|v| v.as_bool() == Some(true)))
        };
        Ok(CollectionOptions {
            new_cards_ignore_review_limit: bool_key("newCardsIgnoreReviewLimit")?,
            apply_all_parent_limits: bool_key("applyAllParentLimits")?,
            last_unburied: config_value(conn, "lastUnburied")?
                .and_then(|v| v.as_f64())
                .map_or(0, |v| v as i64),
        })
    }

    /// Anki unburies everything the first time it looks at a later day (or at a day far
    /// enough before the last one to mean the clock went back).
    pub fn unbury(&self, today: &Today) -> bool {
        let day = i64::from(today.days_elapsed);
        self.last_unburied < day || day + 7 < self.last_unburied
    }
}

/// What the deck list and the study queue need of one `decks` row.
pub(crate) struct DeckRow {
    pub id: i64,
    /// The full name, components joined by `::`.
    pub name: String,
    /// The name as stored, components joined by U+001F.
    pub native_name: String,
    pub level: usize,
    pub collapsed: bool,
    pub filtered: bool,
    pub common: DeckCommon,
    pub normal: Option<NormalDeck>,
}

/// Every deck, ordered by native name under the `unicase` collation as Anki orders them:
/// with components joined by U+001F, each parent comes right before its children.
pub(crate) fn read_decks(conn: &Connection) -> Result<Vec<DeckRow>, DeckTreeError> {
    let mut stmt = conn.prepare("SELECT id, name, common, kind FROM decks ORDER BY name")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, Vec<u8>>(3)?,
        ))
    })?;
    let mut decks = Vec::new();
    for row in rows {
        let (id, native_name, common, kind) = row?;
        let invalid = |source| DeckTreeError::Protobuf { id, source };
        let common = DeckCommon::decode(common.as_slice()).map_err(invalid)?;
        let kind = DeckKindContainer::decode(kind.as_slice()).map_err(invalid)?;
        let (filtered, normal) = match kind.kind {
            Some(DeckKind::Normal(normal)) => (false, Some(normal)),
            Some(DeckKind::Filtered(_)) => (true, None),
            None => (false, None),
        };
        decks.push(DeckRow {
            id,
            level: native_name.split('\u{1f}').count().min(MAX_LEVEL),
            name: native_name.replace('\u{1f}', "::"),
            native_name,
            collapsed: common.study_collapsed,
            filtered,
            common,
            normal,
        });
    }
    Ok(decks)
}

/// Every preset, by id.
pub(crate) fn read_presets(
    conn: &Connection,
) -> Result<HashMap<i64, DeckConfigConfig>, DeckTreeError> {
    let mut stmt = conn.prepare("SELECT id, config FROM deck_config")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    let mut presets = HashMap::new();
    for row in rows {
        let (id, blob) = row?;
        let config = DeckConfigConfig::decode(blob.as_slice())
            .map_err(|source| DeckTreeError::Protobuf { id, source })?;
        presets.insert(id, config);
    }
    Ok(presets)
}

/// How many more cards a deck may show today.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Remaining {
    pub review: u32,
    pub new: u32,
    /// New cards also come out of what the review limit leaves.
    pub cap_new_to_review: bool,
}

impl Remaining {
    pub fn unlimited() -> Self {
        Remaining {
            review: UNLIMITED,
            new: UNLIMITED,
            cap_new_to_review: false,
        }
    }

    pub fn for_deck(
        deck: &DeckRow,
        presets: &HashMap<i64, DeckConfigConfig>,
        today: &Today,
        options: &CollectionOptions,
    ) -> Self {
        let Some(normal) = &deck.normal else {
            return Remaining::unlimited();
        };
        let Some(preset) = presets.get(&normal.config_id) else {
            return Remaining::unlimited();
        };
        let day = today.days_elapsed;
        let set_today =
            |limit: &Option<DayLimit>| limit.as_ref().filter(|l| l.today == day).map(|l| l.limit);
        let review_limit = set_today(&normal.review_limit_today)
            .or(normal.review_limit)
            .unwrap_or(preset.reviews_per_day);
        let new_limit = set_today(&normal.new_limit_today)
            .or(normal.new_limit)
            .unwrap_or(preset.new_per_day);
        // The studied-today counters count only on the day they were written.
        let (new_studied, review_studied) = if deck.common.last_day_studied == day {
            (
                i64::from(deck.common.new_studied),
                i64::from(deck.common.review_studied),
            )
        } else {
            (0, 0)
        };
        let mut review = i64::from(review_limit) - review_studied;
        let mut new = i64::from(new_limit) - new_studied;
        let cap_new_to_review = !options.new_cards_ignore_review_limit;
        if cap_new_to_review {
            review -= new_studied;
            new = new.min(review);
        }
        Remaining {
            review: review.clamp(0, i64::from(u32::MAX)) as u32,
            new: new.clamp(0, i64::from(u32::MAX)) as u32,
            cap_new_to_review,
        }
    }

    pub fn cap_to(&mut self, parent: &Remaining) {
        self.review = self.review.min(parent.review);
        self.new = self.new.min(parent.new);
    }
}
