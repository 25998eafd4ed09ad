//! `chunk` and `applyChunk` (protocol §3.7): revlog, cards and notes in batches of at
//! most 250 rows, sent and received as positional arrays.

use r2d2_sqlite::rusqlite::types::{Value as SqlValue, ValueRef};
use r2d2_sqlite::rusqlite::{params_from_iter, OptionalExtension};
use serde_json::{Map, Value};

use super::super::error::{OrStatus, SyncError};
use super::note_fields::{field_checksum, strip_html_preserving_media_filenames};
use super::session::{ActiveSync, OpResult, PendingIds};

const CHUNK_SIZE: usize = 250;

const REVLOG_COLUMNS: &str = "id, cid, usn, ease, ivl, lastIvl, factor, time, type";
const CARD_COLUMNS: &str = "id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, \
                            lapses, left, odue, odid, flags, data";
const NOTE_COLUMNS: &str = "id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data";

/// How a wire position is stored.
#[derive(Clone, Copy)]
enum Column {
    Int,
    Text,
}
use Column::{Int, Text};

const REVLOG_SHAPE: [Column; 9] = [Int; 9];
const CARD_SHAPE: [Column; 18] = [
    Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Int, Text,
];
/// sfld and csum (positions 7 and 8) are recomputed; clients send `""`.
const NOTE_SHAPE: [Column; 11] = [Int, Text, Int, Int, Int, Text, Text, Text, Text, Int, Text];

impl ActiveSync {
    /// `chunk`: the next batch of the server's changed rows.
    pub fn chunk(&mut self) -> OpResult<String> {
        if self.unsent.is_none() {
            let since = self.client_usn;
            let ids = |table: &str| -> OpResult<Vec<i64>> {
                let mut stmt = self
                    .conn
                    .prepare(&format!("SELECT id FROM {table} WHERE usn >= ?1"))
                    .or_bad_request("cannot list changes")?;
                let ids = stmt
                    .query_map([since], |r| r.get(0))
                    .and_then(|rows| rows.collect())
                    .or_bad_request("cannot list changes");
                ids
            };
            self.unsent = Some(PendingIds {
                revlog: ids("revlog")?,
                notes: ids("notes")?,
                cards: ids("cards")?,
            });
        }
        let unsent = self.unsent.as_mut().or_internal("chunk ids")?;
        // One revlog entry, one note and one card in turn, as the official server does.
        let (mut revlog, mut notes, mut cards) = (Vec::new(), Vec::new(), Vec::new());
        let mut taken = 0;
        while taken < CHUNK_SIZE {
            let before = taken;
            for (source, dest) in [
                (&mut unsent.revlog, &mut revlog),
                (&mut unsent.notes, &mut notes),
                (&mut unsent.cards, &mut cards),
            ] {
                if taken < CHUNK_SIZE {
                    if let Some(id) = source.pop() {
                        dest.push(id);
                        taken += 1;
                    }
                }
            }
            if taken == before {
                break;
            }
        }
        let done = taken < CHUNK_SIZE;

        let mut out = Map::new();
        out.insert("done".into(), done.into());
        if !revlog.is_empty() {
            out.insert(
                "revlog".into(),
                self.rows_by_id("revlog", REVLOG_COLUMNS, &revlog)?,
            );
        }
        if !cards.is_empty() {
            out.insert(
                "cards".into(),
                self.rows_by_id("cards", CARD_COLUMNS, &cards)?,
            );
        }
        if !notes.is_empty() {
            let mut rows = self.rows_by_id("notes", NOTE_COLUMNS, &notes)?;
            // sfld and csum go out as empty strings, flags as 0 and data as "" (§3.7).
            for row in rows.as_array_mut().into_iter().flatten() {
                if let Some(items) = row.as_array_mut() {
                    items[7] = "".into();
                    items[8] = "".into();
                    items[9] = 0.into();
                    items[10] = "".into();
                }
            }
            out.insert("notes".into(), rows);
        }
        // Fixed key order: done, revlog, cards, notes.
        let mut text = String::from("{");
        for key in ["done", "revlog", "cards", "notes"] {
            if let Some(value) = out.get(key) {
                if text.len() > 1 {
                    text.push(',');
                }
                text.push_str(&format!("\"{key}\":{value}"));
            }
        }
        text.push('}');
        Ok(text)
    }

    fn rows_by_id(&self, table: &str, columns: &str, ids: &[i64]) -> OpResult<Value> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {columns} FROM {table} WHERE id = ?1"))
            .or_bad_request("cannot read rows")?;
        let mut rows = Vec::with_capacity(ids.len());
        for id in ids {
            let row = stmt
                .query_row([id], |r| {
                    let count = r.as_ref().column_count();
                    (0..count)
                        .map(|i| r.get_ref(i).map(sql_to_json))
                        .collect::<Result<Vec<_>, _>>()
                })
                .optional()
                .or_bad_request("cannot read rows")?;
            // A row deleted by applyGraves after the snapshot is simply not sent.
            if let Some(row) = row {
                rows.push(Value::Array(row));
            }
        }
        Ok(Value::Array(rows))
    }

    /// `applyChunk`: revlog first (insert-or-ignore), then cards, then notes, each kept
    /// unless the server's copy changed since the client's last sync and is newer.
    pub fn apply_chunk(&mut self, chunk: &Value) -> OpResult<()> {
        for entry in list(chunk, "revlog")? {
            let values = wire_row(entry, &REVLOG_SHAPE, "revlog")?;
            self.conn
                .prepare_cached(&format!(
                    "INSERT OR IGNORE INTO revlog ({REVLOG_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ))
                .and_then(|mut s| s.execute(params_from_iter(values)))
                .or_bad_request("cannot store revlog entry")?;
        }
        for entry in list(chunk, "cards")? {
            let values = wire_row(entry, &CARD_SHAPE, "card")?;
            if self.keep_incoming("cards", &values)? {
                self.conn
                    .prepare_cached(&format!(
                        "INSERT OR REPLACE INTO cards ({CARD_COLUMNS}) VALUES \
                         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
                    ))
                    .and_then(|mut s| s.execute(params_from_iter(values)))
                    .or_bad_request("cannot store card")?;
            }
        }
        for entry in list(chunk, "notes")? {
            let mut values = wire_row(entry, &NOTE_SHAPE, "note")?;
            if !self.keep_incoming("notes", &values)? {
                continue;
            }
            let (SqlValue::Integer(notetype), SqlValue::Text(fields)) = (&values[2], &values[6])
            else {
                return Err(SyncError::bad_request("note: bad notetype or fields"));
            };
            let (notetype, fields) = (*notetype, fields.clone());
            let shape = self.note_shape(notetype)?;
            let fields: Vec<&str> = fields.split('\u{1f}').collect();
            if fields.len() != shape.field_count {
                return Err(SyncError::bad_request(format!(
                    "note has {} fields, its notetype {}",
                    fields.len(),
                    shape.field_count
                )));
            }
            let sort_field = fields.get(shape.sort_index).copied().unwrap_or_default();
            values[7] = SqlValue::Text(strip_html_preserving_media_filenames(sort_field));
            values[8] = SqlValue::Integer(i64::from(field_checksum(fields[0])));
            self.conn
                .prepare_cached(&format!(
                    "INSERT OR REPLACE INTO notes ({NOTE_COLUMNS}) VALUES \
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                ))
                .and_then(|mut s| s.execute(params_from_iter(values)))
                .or_bad_request("cannot store note")?;
        }
        Ok(())
    }

    /// A card or note from the client replaces the server's unless the server's copy
    /// changed since the client last synced (usn >= minUsn) and is at least as new.
    fn keep_incoming(&self, table: &str, values: &[SqlValue]) -> OpResult<bool> {
        // Wire position of `mod`: cards [id, nid, did, ord, mod, ...], notes [id, guid, mid, mod, ...].
        let mod_position = if table == "cards" { 4 } else { 3 };
        let (SqlValue::Integer(id), SqlValue::Integer(incoming_mod)) =
            (&values[0], &values[mod_position])
        else {
            return Err(SyncError::bad_request("row without id or mod"));
        };
        let existing: Option<(i64, i32)> = self
            .conn
            .prepare_cached(&format!("SELECT mod, usn FROM {table} WHERE id = ?1"))
            .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .or_bad_request("cannot read existing row")?;
        Ok(match existing {
            None => true,
            Some((local_mod, local_usn)) => {
                local_usn < self.client_usn || local_mod < *incoming_mod
            }
        })
    }
}

fn sql_to_json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned().into(),
    }
}

fn list<'a>(chunk: &'a Value, key: &str) -> OpResult<&'a [Value]> {
    match chunk.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(SyncError::bad_request(format!(
            "chunk: `{key}` must be a list"
        ))),
    }
}

/// A positional wire row to column values. Integer columns accept floats (truncated), as
/// the client's own parser does.
fn wire_row(entry: &Value, shape: &[Column], what: &str) -> OpResult<Vec<SqlValue>> {
    let items = entry
        .as_array()
        .filter(|a| a.len() == shape.len())
        .ok_or_else(|| {
            SyncError::bad_request(format!("{what}: expected {} values", shape.len()))
        })?;
    items
        .iter()
        .zip(shape)
        .map(|(item, column)| match (column, item) {
            (Int, Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .map(SqlValue::Integer)
                .ok_or_else(|| SyncError::bad_request(format!("{what}: bad number"))),
            (Text, Value::String(s)) => Ok(SqlValue::Text(s.clone())),
            // sfld/csum may arrive as numbers from older clients; they are recomputed.
            (Text, Value::Number(n)) => Ok(SqlValue::Text(n.to_string())),
            _ => Err(SyncError::bad_request(format!(
                "{what}: unexpected value {item}"
            ))),
        })
        .collect()
}
