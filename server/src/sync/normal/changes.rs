//! `applyChanges` (protocol §3.6, schema-bridge §6): notetypes, decks, deck configs, tags
//! and (from the newer side) the config map and `crt`, both ways in one call. The server's
//! own changes are collected before the client's are applied, so nothing is echoed back.

use r2d2_sqlite::rusqlite::{params, OptionalExtension, Params, Row};
use serde_json::{Map, Value};

use crate::clock;
use crate::schema_bridge::{
    self as bridge, json_array, DeckConfigRow, DeckRow, FieldRow, NotetypeRow, TemplateRow,
};

use super::super::error::{OrStatus, SyncError};
use super::session::{ActiveSync, OpResult};

impl ActiveSync {
    /// Collects the server's side, applies the client's, and returns the server's side as
    /// JSON text.
    pub fn apply_changes(&mut self, changes: Value) -> OpResult<String> {
        let Value::Object(mut changes) = changes else {
            return Err(SyncError::bad_request(
                "applyChanges: `changes` must be an object",
            ));
        };
        let reply = self.local_changes()?;
        self.shapes.clear();

        for model in take_list(&mut changes, "models")? {
            self.merge_notetype(bridge::notetype_from_json(model).or_bad_request("notetype")?)?;
        }
        let mut decks = take_list(&mut changes, "decks")?.into_iter();
        let (deck_list, config_list) = (decks.next(), decks.next());
        for deck in as_list(deck_list)? {
            self.merge_deck(bridge::deck_from_json(deck).or_bad_request("deck")?)?;
        }
        for config in as_list(config_list)? {
            self.merge_deck_config(
                bridge::deck_config_from_json(config).or_bad_request("deck config")?,
            )?;
        }
        for tag in take_list(&mut changes, "tags")? {
            let tag = tag.as_str().or_bad_request("tags must be strings")?;
            self.conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO tags (tag, usn, collapsed, config) VALUES (?1, ?2, 1, NULL)",
                )
                .and_then(|mut s| s.execute(params![tag, self.server_usn]))
                .or_bad_request("cannot add tag")?;
        }
        if let Some(crt) = changes.remove("crt").filter(|v| !v.is_null()) {
            let crt = crt.as_i64().or_bad_request("crt must be an integer")?;
            self.conn
                .execute("UPDATE col SET crt = ?1", [crt])
                .or_bad_request("cannot set crt")?;
        }
        if let Some(conf) = changes.remove("conf").filter(|v| !v.is_null()) {
            let Value::Object(conf) = conf else {
                return Err(SyncError::bad_request("conf must be an object"));
            };
            self.replace_config(conf)?;
        }
        Ok(reply)
    }

    fn local_changes(&self) -> OpResult<String> {
        let since = self.client_usn;
        let mut models = Vec::new();
        for notetype in self.notetypes_since(since)? {
            models.push(bridge::notetype_to_json(&notetype).or_bad_request("stored notetype")?);
        }
        let decks = self
            .rows(
                "SELECT id, name, mtime_secs, usn, common, kind FROM decks WHERE usn >= ?1",
                [since],
                |r| {
                    Ok(DeckRow {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        mtime_secs: r.get(2)?,
                        usn: r.get(3)?,
                        common: r.get(4)?,
                        kind: r.get(5)?,
                    })
                },
            )?
            .iter()
            .map(|d| bridge::deck_to_json(d).or_bad_request("stored deck"))
            .collect::<OpResult<Vec<_>>>()?;
        let configs = self
            .rows(
                "SELECT id, name, mtime_secs, usn, config FROM deck_config WHERE usn >= ?1",
                [since],
                deck_config_row,
            )?
            .iter()
            .map(|c| bridge::deck_config_to_json(c).or_bad_request("stored deck config"))
            .collect::<OpResult<Vec<_>>>()?;
        let tags: Vec<String> =
            self.rows("SELECT tag FROM tags WHERE usn >= ?1", [since], |r| {
                r.get(0)
            })?;

        let mut out = format!(
            "{{\"models\":{},\"decks\":[{},{}],\"tags\":{}",
            json_array(&models),
            json_array(&decks),
            json_array(&configs),
            serde_json::to_string(&tags).or_internal("tags")?
        );
        if !self.client_is_newer {
            let entries: Vec<(String, Vec<u8>)> =
                self.rows("SELECT KEY, val FROM config", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
            let mut conf = Map::new();
            for (key, val) in entries {
                let value = serde_json::from_slice(&val).unwrap_or(Value::Null);
                conf.insert(key, value);
            }
            let crt: i64 = self
                .conn
                .query_row("SELECT crt FROM col", [], |r| r.get(0))
                .or_bad_request("cannot read crt")?;
            out.push_str(&format!(
                ",\"conf\":{},\"crt\":{crt}",
                serde_json::to_string(&conf).or_internal("conf")?
            ));
        }
        out.push('}');
        Ok(out)
    }

    fn rows<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        map: impl FnMut(&Row<'_>) -> r2d2_sqlite::rusqlite::Result<T>,
    ) -> OpResult<Vec<T>> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .or_bad_request("cannot read changes")?;
        let rows = stmt
            .query_map(params, map)
            .or_bad_request("cannot read changes")?
            .collect::<Result<Vec<T>, _>>()
            .or_bad_request("cannot read changes")?;
        Ok(rows)
    }

    fn notetypes_since(&self, since: i32) -> OpResult<Vec<NotetypeRow>> {
        let mut notetypes = self.rows(
            "SELECT id, name, mtime_secs, usn, config FROM notetypes WHERE usn >= ?1",
            [since],
            |r| {
                Ok(NotetypeRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    mtime_secs: r.get(2)?,
                    usn: r.get(3)?,
                    config: r.get(4)?,
                    fields: Vec::new(),
                    templates: Vec::new(),
                })
            },
        )?;
        for nt in &mut notetypes {
            let mut fields = self
                .conn
                .prepare_cached("SELECT ord, name, config FROM fields WHERE ntid = ?1 ORDER BY ord")
                .or_bad_request("cannot read fields")?;
            nt.fields = fields
                .query_map([nt.id], |r| {
                    Ok(FieldRow {
                        ord: r.get(0)?,
                        name: r.get(1)?,
                        config: r.get(2)?,
                    })
                })
                .and_then(|rows| rows.collect())
                .or_bad_request("cannot read fields")?;
            let mut templates = self
                .conn
                .prepare_cached(
                    "SELECT ord, name, mtime_secs, usn, config FROM templates WHERE ntid = ?1 ORDER BY ord",
                )
                .or_bad_request("cannot read templates")?;
            nt.templates = templates
                .query_map([nt.id], |r| {
                    Ok(TemplateRow {
                        ord: r.get(0)?,
                        name: r.get(1)?,
                        mtime_secs: r.get(2)?,
                        usn: r.get(3)?,
                        config: r.get(4)?,
                    })
                })
                .and_then(|rows| rows.collect())
                .or_bad_request("cannot read templates")?;
        }
        Ok(notetypes)
    }

    /// The stored `mtime_secs` of a row, if it exists.
    fn existing_mtime(&self, table: &str, id: i64) -> OpResult<Option<i64>> {
        self.conn
            .query_row(
                &format!("SELECT mtime_secs FROM {table} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )
            .optional()
            .or_bad_request("cannot read existing object")
    }

    /// While another row owns the name (compared case-insensitively by the `unicase`
    /// collation), append `+` and mark the object modified, as Anki does. Without this,
    /// `INSERT OR REPLACE` would silently delete the other row through the unique index.
    fn unique_name(
        &self,
        table: &str,
        id: i64,
        name: &mut String,
        mtime: &mut i64,
        usn: &mut i32,
    ) -> OpResult<()> {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE name = ?1 AND id != ?2)");
        loop {
            let taken: bool = self
                .conn
                .query_row(&sql, params![name.as_str(), id], |r| r.get(0))
                .or_bad_request("cannot check name")?;
            if !taken {
                return Ok(());
            }
            name.push('+');
            *mtime = clock::now();
            *usn = self.server_usn;
        }
    }

    fn merge_notetype(&mut self, mut incoming: NotetypeRow) -> OpResult<()> {
        if let Some(mtime) = self.existing_mtime("notetypes", incoming.id)? {
            if mtime > incoming.mtime_secs {
                return Ok(());
            }
            let (fields, templates): (i64, i64) = self
                .conn
                .query_row(
                    "SELECT (SELECT count() FROM fields WHERE ntid = ?1), (SELECT count() FROM templates WHERE ntid = ?1)",
                    [incoming.id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .or_bad_request("cannot read notetype")?;
            if fields != incoming.fields.len() as i64
                || templates != incoming.templates.len() as i64
            {
                return Err(SyncError::bad_request(
                    "notetype schema changed: a full sync is required",
                ));
            }
        }
        let NotetypeRow {
            id,
            ref mut name,
            ref mut mtime_secs,
            ref mut usn,
            ..
        } = incoming;
        self.unique_name("notetypes", id, name, mtime_secs, usn)?;
        let write = || -> r2d2_sqlite::rusqlite::Result<()> {
            self.conn.execute(
                "INSERT OR REPLACE INTO notetypes (id, name, mtime_secs, usn, config) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![incoming.id, incoming.name, incoming.mtime_secs, incoming.usn, incoming.config],
            )?;
            self.conn
                .execute("DELETE FROM fields WHERE ntid = ?1", [incoming.id])?;
            self.conn
                .execute("DELETE FROM templates WHERE ntid = ?1", [incoming.id])?;
            for f in &incoming.fields {
                self.conn.execute(
                    "INSERT INTO fields (ntid, ord, name, config) VALUES (?1, ?2, ?3, ?4)",
                    params![incoming.id, f.ord, f.name, f.config],
                )?;
            }
            for t in &incoming.templates {
                self.conn.execute(
                    "INSERT INTO templates (ntid, ord, name, mtime_secs, usn, config) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![incoming.id, t.ord, t.name, t.mtime_secs, t.usn, t.config],
                )?;
            }
            Ok(())
        };
        write().or_bad_request("cannot store notetype")
    }

    fn merge_deck(&mut self, mut incoming: DeckRow) -> OpResult<()> {
        if matches!(self.existing_mtime("decks", incoming.id)?, Some(m) if m > incoming.mtime_secs)
        {
            return Ok(());
        }
        let DeckRow {
            id,
            ref mut name,
            ref mut mtime_secs,
            ref mut usn,
            ..
        } = incoming;
        self.unique_name("decks", id, name, mtime_secs, usn)?;
        self.conn
            .execute(
                "INSERT OR REPLACE INTO decks (id, name, mtime_secs, usn, common, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![incoming.id, incoming.name, incoming.mtime_secs, incoming.usn, incoming.common, incoming.kind],
            )
            .map(drop)
            .or_bad_request("cannot store deck")
    }

    fn merge_deck_config(&mut self, incoming: DeckConfigRow) -> OpResult<()> {
        if matches!(self.existing_mtime("deck_config", incoming.id)?, Some(m) if m > incoming.mtime_secs)
        {
            return Ok(());
        }
        self.conn
            .execute(
                "INSERT OR REPLACE INTO deck_config (id, name, mtime_secs, usn, config) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![incoming.id, incoming.name, incoming.mtime_secs, incoming.usn, incoming.config],
            )
            .map(drop)
            .or_bad_request("cannot store deck config")
    }

    /// The newer side's config map replaces the whole table.
    fn replace_config(&mut self, conf: Map<String, Value>) -> OpResult<()> {
        let now = clock::now();
        self.conn
            .execute("DELETE FROM config", [])
            .or_bad_request("cannot replace config")?;
        let mut insert = self
            .conn
            .prepare_cached(
                "INSERT INTO config (KEY, usn, mtime_secs, val) VALUES (?1, ?2, ?3, ?4)",
            )
            .or_bad_request("cannot replace config")?;
        for (key, value) in conf {
            let bytes = serde_json::to_vec(&value).or_internal("config value")?;
            insert
                .execute(params![key, self.server_usn, now, bytes])
                .or_bad_request("cannot replace config")?;
        }
        Ok(())
    }
}

fn deck_config_row(r: &Row<'_>) -> r2d2_sqlite::rusqlite::Result<DeckConfigRow> {
    Ok(DeckConfigRow {
        id: r.get(0)?,
        name: r.get(1)?,
        mtime_secs: r.get(2)?,
        usn: r.get(3)?,
        config: r.get(4)?,
    })
}

fn take_list(changes: &mut Map<String, Value>, key: &str) -> OpResult<Vec<Value>> {
    as_list(changes.remove(key))
}

fn as_list(value: Option<Value>) -> OpResult<Vec<Value>> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(SyncError::bad_request("applyChanges: expected a list")),
    }
}
