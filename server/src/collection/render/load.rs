//! Reading what a card's rendering needs from a schema-18 collection: the card, its note,
//! the notetype with its fields and templates (protobuf configs), and the home deck's
//! name. Reads only.

use prost::Message;
use r2d2_sqlite::rusqlite::{self, Connection, OptionalExtension};

use super::{render_card, CardContext, NotetypeKind, RenderedCard};
use crate::schema_bridge::pb::{NotetypeConfig, TemplateConfig};

/// Why a card could not be read for rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("reading the collection: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("no card {0}")]
    NoSuchCard(i64),
    #[error("card {card}: no note {note}")]
    NoSuchNote { card: i64, note: i64 },
    #[error("note {note}: no notetype {notetype}")]
    NoSuchNotetype { note: i64, notetype: i64 },
    #[error("notetype {notetype}: no template {ord}")]
    MissingTemplate { notetype: i64, ord: i64 },
    #[error("card {card}: ordinal {ord} out of range")]
    BadOrdinal { card: i64, ord: i64 },
    #[error("notetype {notetype} has an invalid stored protobuf: {source}")]
    Protobuf {
        notetype: i64,
        source: prost::DecodeError,
    },
}

/// Renders the card `card_id` of the collection open on `conn`.
pub fn load_and_render(conn: &Connection, card_id: i64) -> Result<RenderedCard, RenderError> {
    Ok(render_card(&load_card(conn, card_id)?))
}

struct CardRow {
    note_id: i64,
    deck_id: i64,
    original_deck_id: i64,
    ord: i64,
    flags: i64,
}

/// Everything [`render_card`] needs for the card `card_id`.
pub fn load_card(conn: &Connection, card_id: i64) -> Result<CardContext, RenderError> {
    let card = conn
        .query_row(
            "SELECT nid, did, odid, ord, flags FROM cards WHERE id = ?1",
            [card_id],
            |r| {
                Ok(CardRow {
                    note_id: r.get(0)?,
                    deck_id: r.get(1)?,
                    original_deck_id: r.get(2)?,
                    ord: r.get(3)?,
                    flags: r.get(4)?,
                })
            },
        )
        .optional()?
        .ok_or(RenderError::NoSuchCard(card_id))?;
    let ord = u16::try_from(card.ord).map_err(|_| RenderError::BadOrdinal {
        card: card_id,
        ord: card.ord,
    })?;
    let (notetype_id, fields_blob, tags): (i64, String, String) = conn
        .query_row(
            "SELECT mid, flds, tags FROM notes WHERE id = ?1",
            [card.note_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or(RenderError::NoSuchNote {
            card: card_id,
            note: card.note_id,
        })?;

    let (notetype_name, config) = read_notetype(conn, notetype_id, card.note_id)?;
    let kind = if config.kind == 1 {
        NotetypeKind::Cloze
    } else {
        NotetypeKind::Normal
    };
    let template_ord = match kind {
        NotetypeKind::Normal => card.ord,
        NotetypeKind::Cloze => 0,
    };
    let (template_name, template) = read_template(conn, notetype_id, template_ord)?;

    let mut values = fields_blob.split('\x1f');
    let fields = read_field_names(conn, notetype_id)?
        .into_iter()
        .map(|name| (name, values.next().unwrap_or_default().to_owned()))
        .collect();
    let home_deck = if card.original_deck_id != 0 {
        card.original_deck_id
    } else {
        card.deck_id
    };

    Ok(CardContext {
        card_id,
        ord,
        flags: u8::try_from(card.flags).unwrap_or_default(),
        kind,
        notetype_name,
        css: config.css,
        template_name,
        question_format: template.q_format,
        answer_format: template.a_format,
        fields,
        tags: tags.split_whitespace().map(str::to_owned).collect(),
        deck_name: read_deck_name(conn, home_deck)?,
    })
}

fn read_notetype(
    conn: &Connection,
    notetype: i64,
    note: i64,
) -> Result<(String, NotetypeConfig), RenderError> {
    let (name, blob): (String, Vec<u8>) = conn
        .query_row(
            "SELECT name, config FROM notetypes WHERE id = ?1",
            [notetype],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(RenderError::NoSuchNotetype { note, notetype })?;
    let config = NotetypeConfig::decode(blob.as_slice())
        .map_err(|source| RenderError::Protobuf { notetype, source })?;
    Ok((name, config))
}

fn read_template(
    conn: &Connection,
    notetype: i64,
    ord: i64,
) -> Result<(String, TemplateConfig), RenderError> {
    let (name, blob): (String, Vec<u8>) = conn
        .query_row(
            "SELECT name, config FROM templates WHERE ntid = ?1 AND ord = ?2",
            [notetype, ord],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or(RenderError::MissingTemplate { notetype, ord })?;
    let config = TemplateConfig::decode(blob.as_slice())
        .map_err(|source| RenderError::Protobuf { notetype, source })?;
    Ok((name, config))
}

fn read_field_names(conn: &Connection, notetype: i64) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM fields WHERE ntid = ?1 ORDER BY ord")?;
    let names = stmt.query_map([notetype], |r| r.get(0))?;
    names.collect()
}

/// The deck's full name with `::` between its components; `(Deck)` for a missing deck,
/// as Anki shows it.
fn read_deck_name(conn: &Connection, deck: i64) -> rusqlite::Result<String> {
    let name: Option<String> = conn
        .query_row("SELECT name FROM decks WHERE id = ?1", [deck], |r| r.get(0))
        .optional()?;
    Ok(name.map_or_else(|| "(Deck)".to_owned(), |n| n.replace('\x1f', "::")))
}
