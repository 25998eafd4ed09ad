//! The collection's config table (`config`: key, JSON value), as the collection's readers
//! use it.

use r2d2_sqlite::rusqlite::{self, Connection, OptionalExtension};

/// The value stored under `key`, if any and if it is JSON.
pub(crate) fn config_value(
    conn: &Connection,
    key: &str,
) -> rusqlite::Result<Option<serde_json::Value>> {
    let bytes: Option<Vec<u8>> = conn
        .query_row("SELECT val FROM config WHERE KEY = ?1", [key], |r| r.get(0))
        .optional()?;
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}
