//! One normal sync in progress (protocol §3.4–3.10): the collection connection with its
//! open transaction, and the counters `start` fixed. Dropping it rolls everything back,
//! which is what `abort`, an error, or a new `meta`/`start`/`upload`/`download` want.

use std::collections::HashMap;

use r2d2_sqlite::rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock;
use crate::schema_bridge::sort_field_index;

use super::super::error::{OrStatus, SyncError};
use crate::collection::CollectionConnection;

pub type OpResult<T> = Result<T, SyncError>;

/// The rows `chunk` still has to send, snapshotted on its first call.
#[derive(Default)]
pub struct PendingIds {
    pub revlog: Vec<i64>,
    pub notes: Vec<i64>,
    pub cards: Vec<i64>,
}

/// A notetype's shape, as storing a note needs it.
#[derive(Clone, Copy)]
pub struct NoteShape {
    pub field_count: usize,
    pub sort_index: usize,
}

pub struct ActiveSync {
    pub session_key: String,
    pub conn: CollectionConnection,
    /// The server's `col.usn` at `start`: every object stored in this sync gets it.
    pub server_usn: i32,
    /// The client's `minUsn`: the server sends what changed at or after it.
    pub client_usn: i32,
    pub client_is_newer: bool,
    pub unsent: Option<PendingIds>,
    pub shapes: HashMap<i64, NoteShape>,
}

#[derive(Deserialize)]
pub struct StartRequest {
    #[serde(rename = "minUsn")]
    pub min_usn: i32,
    #[serde(rename = "lnewer")]
    pub client_is_newer: bool,
    /// Legacy clients (AnkiDroid, old AnkiMobile) send their graves here.
    #[serde(default)]
    pub graves: Option<Value>,
}

#[derive(Serialize, Default)]
pub struct Graves {
    pub cards: Vec<i64>,
    pub decks: Vec<i64>,
    pub notes: Vec<i64>,
}

const GRAVE_CARD: i64 = 0;
const GRAVE_NOTE: i64 = 1;
const GRAVE_DECK: i64 = 2;

impl ActiveSync {
    /// Starts the sync's transaction on the user's collection; it stays open until
    /// `finish` or a drop.
    pub fn begin(
        conn: CollectionConnection,
        session_key: String,
        request: &StartRequest,
    ) -> OpResult<Self> {
        let (version, server_usn): (i64, i32) = conn
            .query_row("SELECT ver, usn FROM col", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .or_bad_request("cannot read col row")?;
        if version != 18 {
            // Only v11 clients sync normally, and they always upload schema 18.
            return Err(SyncError::bad_request(format!(
                "collection is schema {version}; a full sync is needed"
            )));
        }
        conn.execute_batch("BEGIN IMMEDIATE")
            .or_internal("cannot begin sync transaction")?;
        Ok(ActiveSync {
            session_key,
            conn,
            server_usn,
            client_usn: request.min_usn,
            client_is_newer: request.client_is_newer,
            unsent: None,
            shapes: HashMap::new(),
        })
    }

    /// `start`: applies legacy graves, then returns the server's graves the client lacks.
    pub fn start(&mut self, legacy_graves: Option<Value>) -> OpResult<Graves> {
        if let Some(graves) = legacy_graves.filter(|g| !g.is_null()) {
            self.apply_graves(&graves)?;
        }
        let mut stmt = self
            .conn
            .prepare("SELECT oid, type FROM graves WHERE usn >= ?1")
            .or_bad_request("cannot read graves")?;
        let rows = stmt
            .query_map([self.client_usn], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
            })
            .or_bad_request("cannot read graves")?;
        let mut graves = Graves::default();
        for row in rows {
            let (oid, kind) = row.or_bad_request("cannot read graves")?;
            match kind {
                GRAVE_CARD => graves.cards.push(oid),
                GRAVE_NOTE => graves.notes.push(oid),
                GRAVE_DECK => graves.decks.push(oid),
                _ => {}
            }
        }
        Ok(graves)
    }

    /// `applyGraves`: deletions always win (no mtime check); each leaves a grave stamped
    /// with this sync's usn. Ids may arrive as strings from very old clients.
    pub fn apply_graves(&mut self, graves: &Value) -> OpResult<()> {
        let ids = |key: &str| -> OpResult<Vec<i64>> {
            match graves.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        crate::schema_bridge::json_id(v)
                            .or_bad_request("graves: ids must be numbers")
                    })
                    .collect(),
                Some(_) => Err(SyncError::bad_request("graves: expected lists of ids")),
            }
        };
        for (key, table, kind) in [
            ("cards", "cards", GRAVE_CARD),
            ("notes", "notes", GRAVE_NOTE),
            ("decks", "decks", GRAVE_DECK),
        ] {
            let ids = ids(key)?;
            let mut delete = self
                .conn
                .prepare_cached(&format!("DELETE FROM {table} WHERE id = ?1"))
                .or_bad_request("cannot delete")?;
            let mut grave = self
                .conn
                .prepare_cached("INSERT OR IGNORE INTO graves (oid, type, usn) VALUES (?1, ?2, ?3)")
                .or_bad_request("cannot add grave")?;
            for id in ids {
                delete.execute([id]).or_bad_request("cannot delete")?;
                grave
                    .execute(params![id, kind, self.server_usn])
                    .or_bad_request("cannot add grave")?;
            }
        }
        Ok(())
    }

    /// The field count and sort field of a notetype, read once per sync.
    pub fn note_shape(&mut self, notetype_id: i64) -> OpResult<NoteShape> {
        if let Some(shape) = self.shapes.get(&notetype_id) {
            return Ok(*shape);
        }
        let found: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT config FROM notetypes WHERE id = ?1",
                [notetype_id],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                r2d2_sqlite::rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .or_bad_request("cannot read notetype")?;
        let config = found.ok_or_else(|| {
            SyncError::bad_request(format!("note refers to missing notetype {notetype_id}"))
        })?;
        let field_count: i64 = self
            .conn
            .query_row(
                "SELECT count() FROM fields WHERE ntid = ?1",
                [notetype_id],
                |r| r.get(0),
            )
            .or_bad_request("cannot count fields")?;
        let shape = NoteShape {
            field_count: field_count as usize,
            sort_index: sort_field_index(&config).or_bad_request("notetype config")?,
        };
        self.shapes.insert(notetype_id, shape);
        Ok(shape)
    }

    /// `sanityCheck2`: the server's counts in the client's layout, or `None` if anything
    /// is still pending (usn -1), which can only mean a broken sync.
    pub fn sanity_counts(&self) -> OpResult<Option<Value>> {
        for table in [
            "cards",
            "notes",
            "revlog",
            "graves",
            "decks",
            "deck_config",
            "tags",
            "notetypes",
        ] {
            let pending: bool = self
                .conn
                .query_row(
                    &format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE usn = -1)"),
                    [],
                    |r| r.get(0),
                )
                .or_bad_request("sanity check")?;
            if pending {
                return Ok(None);
            }
        }
        let count = |table: &str| -> OpResult<i64> {
            self.conn
                .query_row(&format!("SELECT count() FROM {table}"), [], |r| r.get(0))
                .or_bad_request("sanity check")
        };
        Ok(Some(serde_json::json!([
            [0, 0, 0],
            count("cards")?,
            count("notes")?,
            count("revlog")?,
            0,
            count("notetypes")?,
            count("decks")?,
            count("deck_config")?
        ])))
    }

    /// `finish`: one more usn, `mod = ls = now`, commit. Returns the timestamp (ms).
    /// Commits; hands back the connection, to be kept for the user's next sync.
    pub fn finish(self) -> OpResult<(i64, CollectionConnection)> {
        let now = clock::now_millis();
        self.conn
            .execute("UPDATE col SET usn = usn + 1, ls = ?1, mod = ?1", [now])
            .or_bad_request("cannot finish")?;
        self.conn
            .execute_batch("COMMIT")
            .or_internal("cannot commit sync")?;
        Ok((now, self.conn))
    }
}

/// The client's counts as compared: due counts and graves zeroed, as the official server
/// does (older clients could send duplicate graves).
pub fn comparable_client_counts(client: &Value) -> OpResult<Value> {
    let items = client
        .as_array()
        .filter(|a| a.len() == 8)
        .or_bad_request("sanity check: `client` must hold 8 counts")?;
    let mut counts = items.clone();
    counts[0] = serde_json::json!([0, 0, 0]);
    counts[4] = 0.into();
    for n in &counts[1..] {
        if n.as_i64().is_none() {
            return Err(SyncError::bad_request(
                "sanity check: counts must be integers",
            ));
        }
    }
    Ok(Value::Array(counts))
}
