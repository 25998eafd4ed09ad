//! The `other` catch-all (field 255, `schema-bridge.md` §5.8): unknown JSON keys kept as a
//! compact JSON object, so add-on data survives the trip through protobuf.

use serde_json::{Map, Value};

/// Unknown keys to bytes: empty when there are none. Nested objects come out with sorted
/// keys, as Anki's serde_json (built without `preserve_order`) writes them.
pub fn encode(rest: &Map<String, Value>) -> Vec<u8> {
    if rest.is_empty() {
        return Vec::new();
    }
    serde_json::to_vec(rest).unwrap_or_default()
}

/// Stored bytes back to keys, dropping the keys the object itself writes (so none can
/// appear twice). Empty, invalid or non-object bytes count as no keys.
pub fn decode(bytes: &[u8], reserved: &[&str]) -> Map<String, Value> {
    let mut map = match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for key in reserved {
        map.remove(*key);
    }
    map
}
