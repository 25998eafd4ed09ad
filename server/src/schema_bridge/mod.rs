//! The schema bridge: decks, deck configs and notetypes converted between the protobuf rows
//! a schema-18 collection stores and the schema-11 JSON that `/sync/applyChanges`
//! exchanges, in both directions, keeping unknown keys (`../shared/schema-bridge.md`).
//!
//! Each direction mirrors Anki's own code closely enough to be byte-exact: JSON is read with
//! Anki's leniency (required keys fail the request, some invalid values become defaults)
//! and written in Anki's key order with `f32` floats; blobs are written in tag order.

mod deck;
mod deck_config;
mod json_in;
mod json_out;
mod notetype;
mod other;
pub mod pb;

pub use deck::{deck_from_json, deck_to_json, native_deck_name, DeckRow};
pub use deck_config::{
    clamped as deck_config_clamped, deck_config_from_json, deck_config_to_json, DeckConfigRow,
};
pub use json_in::id as json_id;
pub use json_out::array as json_array;
pub use notetype::{
    notetype_from_json, notetype_to_json, sort_field_index, FieldRow, NotetypeRow, TemplateRow,
};

/// JSON that Anki itself would refuse: a required key missing or of the wrong type. The
/// sync answers it with 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BridgeError(pub String);

impl From<prost::DecodeError> for BridgeError {
    fn from(e: prost::DecodeError) -> Self {
        BridgeError(format!("stored protobuf is invalid: {e}"))
    }
}

#[cfg(test)]
mod tests;
