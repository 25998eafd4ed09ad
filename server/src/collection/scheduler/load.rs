//! Read-only loaders: a card, its deck's preset and the context of an answer, from an
//! open collection.

use std::collections::HashMap;

use prost::Message;
use r2d2_sqlite::rusqlite::{Connection, OptionalExtension};

use super::card::CardRow;
use super::load_balancer::ReviewLoad;
use super::preset::Preset;
use super::{FsrsNext, SchedContext, SchedError};
use crate::collection::config::config_value;
use crate::collection::time::DayRules;
use crate::schema_bridge::pb::{DeckConfigConfig, DeckKind, DeckKindContainer};

/// Everything [`super::next_states`] and [`super::apply_answer`] need for one card.
#[derive(Debug, Clone)]
pub struct ForAnswer {
    pub card: CardRow,
    pub preset: Preset,
    pub context: SchedContext,
}

/// Reads card `card_id` with its preset and the context of answering it at `now`
/// (seconds), FSRS's memory state included when the collection has FSRS on. Refuses
/// filtered decks.
pub fn load_for_answer(conn: &Connection, card_id: i64, now: i64) -> Result<ForAnswer, SchedError> {
    let rules = DayRules::read(conn)?;
    let today = rules.today(now);
    let card = read_card(conn, card_id)?;
    let deck_presets = deck_presets(conn)?;
    let Some(&DeckPreset {
        preset: preset_id,
        desired_retention: deck_retention,
    }) = deck_presets.get(&card.deck_id)
    else {
        return Err(if deck_exists(conn, card.deck_id)? {
            SchedError::Unsupported("cards in filtered decks")
        } else {
            SchedError::DeckNotFound {
                card: card.id,
                deck: card.deck_id,
            }
        });
    };
    let preset = read_preset(conn, preset_id)?.ok_or(SchedError::PresetNotFound {
        deck: card.deck_id,
        preset: preset_id,
    })?;
    let load = if config_bool(conn, "loadBalancerEnabled")?.unwrap_or(true) {
        let utc_offset_secs = -i64::from(rules.local_minutes_west.unwrap_or(0)) * 60;
        ReviewLoad::read(
            conn,
            today.days_elapsed,
            today.next_day_at,
            utc_offset_secs,
            &preset,
            &deck_presets
                .iter()
                .map(|(&deck, to)| (deck, to.preset))
                .collect(),
        )?
    } else {
        None
    };
    let fsrs = if config_bool(conn, "fsrs")?.unwrap_or(false) {
        let short_term_with_steps =
            config_bool(conn, "fsrsShortTermWithStepsEnabled")?.unwrap_or(false);
        Some(FsrsNext::for_card(
            conn,
            &card,
            &preset,
            deck_retention,
            &today,
            short_term_with_steps,
        )?)
    } else {
        None
    };
    Ok(ForAnswer {
        card,
        preset,
        context: SchedContext {
            today,
            learn_ahead_secs: rules.learn_ahead_secs,
            load,
            fsrs,
        },
    })
}

/// The scheduling columns of card `card_id`.
pub(crate) fn read_card(conn: &Connection, card_id: i64) -> Result<CardRow, SchedError> {
    conn.query_row(
        "SELECT id, nid, did, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, data
         FROM cards WHERE id = ?1",
        [card_id],
        |r| {
            Ok(CardRow {
                id: r.get(0)?,
                note_id: r.get(1)?,
                deck_id: r.get(2)?,
                card_type: r.get(3)?,
                queue: r.get(4)?,
                due: r.get(5)?,
                interval: r.get(6)?,
                factor: r.get(7)?,
                reps: r.get(8)?,
                lapses: r.get(9)?,
                left: r.get(10)?,
                original_due: r.get(11)?,
                original_deck_id: r.get(12)?,
                data: r.get(13)?,
            })
        },
    )
    .optional()?
    .ok_or(SchedError::CardNotFound(card_id))
}

/// A normal deck's preset, and the desired retention it sets for FSRS instead of the
/// preset's.
#[derive(Debug, Clone, Copy)]
struct DeckPreset {
    preset: i64,
    desired_retention: Option<f32>,
}

/// The preset of every normal deck.
fn deck_presets(conn: &Connection) -> Result<HashMap<i64, DeckPreset>, SchedError> {
    let mut stmt = conn.prepare("SELECT id, kind FROM decks")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    let mut presets = HashMap::new();
    for row in rows {
        let (id, kind) = row?;
        let kind =
            DeckKindContainer::decode(kind.as_slice()).map_err(|source| SchedError::Protobuf {
                what: "deck",
                id,
                source,
            })?;
        if let Some(DeckKind::Normal(normal)) = kind.kind {
            presets.insert(
                id,
                DeckPreset {
                    preset: normal.config_id,
                    desired_retention: normal.desired_retention,
                },
            );
        }
    }
    Ok(presets)
}

fn deck_exists(conn: &Connection, deck_id: i64) -> Result<bool, SchedError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM decks WHERE id = ?1)",
        [deck_id],
        |r| r.get(0),
    )?)
}

pub(super) fn read_preset(conn: &Connection, id: i64) -> Result<Option<Preset>, SchedError> {
    let blob: Option<Vec<u8>> = conn
        .query_row("SELECT config FROM deck_config WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(blob) = blob else {
        return Ok(None);
    };
    let config =
        DeckConfigConfig::decode(blob.as_slice()).map_err(|source| SchedError::Protobuf {
            what: "preset",
            id,
            source,
        })?;
    Ok(Some(Preset::from_config(id, &config)))
}

/// A boolean of the collection's config table.
fn config_bool(conn: &Connection, key: &str) -> Result<Option<bool>, SchedError> {
    Ok(config_value(conn, key)?.and_then(|v| v.as_bool()))
}
