//! The embedded default: one SQLite file in WAL mode, shared by the server and adminctl.
//!
//! Two processes write the same file at once, so every connection sets a generous busy
//! timeout and every write transaction starts with `BEGIN IMMEDIATE`: it takes the write
//! lock up front and waits for it, instead of failing with SQLITE_BUSY when a read
//! transaction tries to upgrade.

use std::path::{Path, PathBuf};
use std::time::Duration;

use r2d2::Pool;
use r2d2_sqlite::rusqlite::{
    self, params, Connection, ErrorCode, OptionalExtension, Row, TransactionBehavior,
};
use r2d2_sqlite::SqliteConnectionManager;
use rand::Rng;

use super::schema::{SCHEMA_SQL, SCHEMA_VERSION};
use super::types::{AuditEntry, CredentialUpdate, NewSyncKey, NewUser, SyncKeyOwner, User};
use super::{DatabaseIdentity, Store, StoreError};

/// How long a writer waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
const POOL_SIZE: u32 = 8;

pub struct SqliteStore {
    pool: Pool<SqliteConnectionManager>,
    identity: DatabaseIdentity,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::ConstraintViolation) => {
                let what = e.to_string();
                if what.contains("users.email") {
                    StoreError::Conflict("a user with that email".into())
                } else if what.contains("users.username") {
                    StoreError::Conflict("a user with that username".into())
                } else {
                    StoreError::Conflict(what)
                }
            }
            _ => StoreError::Database(e.to_string()),
        }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::Pool(e.to_string())
    }
}

impl SqliteStore {
    /// Opens or creates the file, applies the schema and reads the instance id.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_error = |reason: String| StoreError::Open {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_error(e.to_string()))?;
        }
        let manager = SqliteConnectionManager::file(path).with_init(configure_connection);
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(BUSY_TIMEOUT)
            .build(manager)
            .map_err(|e| open_error(e.to_string()))?;
        let mut conn = pool.get()?;
        let instance_id = apply_schema(&mut conn)?;
        let location = std::fs::canonicalize(path)
            .unwrap_or_else(|_| PathBuf::from(path))
            .display()
            .to_string();
        Ok(SqliteStore {
            pool,
            identity: DatabaseIdentity {
                engine: "sqlite".into(),
                location,
                instance_id,
            },
        })
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<SqliteConnectionManager>, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` in a write transaction that holds the lock from its first statement.
    fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn configure_connection(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Applies `schema.sql` (idempotent), creates the instance row on first use and refuses a
/// database written by a newer schema.
fn apply_schema(conn: &mut Connection) -> Result<String, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(SCHEMA_SQL)?;
    let existing: Option<(String, i64)> = tx
        .query_row("SELECT id, schema_version FROM instance", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let id = match existing {
        Some((_, found)) if found > SCHEMA_VERSION => {
            return Err(StoreError::SchemaTooNew {
                found,
                known: SCHEMA_VERSION,
            })
        }
        Some((id, _)) => id,
        None => {
            let id = hex::encode(rand::random::<[u8; 16]>());
            tx.execute(
                "INSERT INTO instance (id, schema_version, created_at) VALUES (?1, ?2, ?3)",
                params![id, SCHEMA_VERSION, crate::clock::now()],
            )?;
            id
        }
    };
    tx.commit()?;
    Ok(id)
}

/// Application-generated ids: random, positive and below 2^53 so they survive JSON.
pub(crate) fn new_id() -> i64 {
    rand::thread_rng().gen_range(1..(1_i64 << 53))
}

const USER_COLUMNS: &str = "id, username, email, password_hash, pbkdf2_hash, \
     credential_generation, is_admin, disabled, created_at, updated_at";

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        email: r.get(2)?,
        password_hash: r.get(3)?,
        pbkdf2_hash: r.get(4)?,
        credential_generation: r.get(5)?,
        is_admin: r.get::<_, i64>(6)? != 0,
        disabled: r.get::<_, i64>(7)? != 0,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

fn owner_from_row(r: &Row<'_>) -> rusqlite::Result<SyncKeyOwner> {
    Ok(SyncKeyOwner {
        digest: r.get(0)?,
        user_id: r.get(1)?,
        username: r.get(2)?,
        credential_generation: r.get(3)?,
        user_created_at: r.get(4)?,
    })
}

const OWNER_SELECT: &str = "SELECT k.digest, u.id, u.username, u.credential_generation, \
     u.created_at FROM sync_keys k JOIN users u ON u.id = k.user_id WHERE u.disabled = 0";

fn insert_audit(tx: &Connection, audit: &AuditEntry) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO audit_log (id, at, actor, action, user_id, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            new_id(),
            audit.at,
            audit.actor,
            audit.action,
            audit.user_id,
            audit.detail
        ],
    )?;
    Ok(())
}

impl Store for SqliteStore {
    fn identity(&self) -> &DatabaseIdentity {
        &self.identity
    }

    fn create_user(&self, user: &NewUser, audit: &AuditEntry) -> Result<User, StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO users (id, username, email, password_hash, pbkdf2_hash, \
                 credential_generation, is_admin, disabled, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, 0, ?7, ?7)",
                params![
                    user.id,
                    user.username,
                    user.email,
                    user.password_hash,
                    user.pbkdf2_hash,
                    i64::from(user.is_admin),
                    user.now
                ],
            )?;
            insert_audit(tx, audit)?;
            tx.query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
                [user.id],
                user_from_row,
            )
            .map_err(StoreError::from)
        })
    }

    fn find_user(&self, login: &str) -> Result<Option<User>, StoreError> {
        let conn = self.conn()?;
        let user = conn
            .query_row(
                &format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE username = ?1 OR email = ?2 \
                     ORDER BY username = ?1 DESC LIMIT 1"
                ),
                params![login, login.to_lowercase()],
                user_from_row,
            )
            .optional()?;
        Ok(user)
    }

    fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let conn = self.conn()?;
        let user = conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
                [id],
                user_from_row,
            )
            .optional()?;
        Ok(user)
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))?;
        let users = stmt
            .query_map([], user_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(users)
    }

    fn set_user_disabled(
        &self,
        id: i64,
        disabled: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, i64::from(disabled), audit.at],
            )?;
            if changed > 0 {
                insert_audit(tx, audit)?;
            }
            Ok(changed > 0)
        })
    }

    fn delete_user(&self, id: i64, audit: &AuditEntry) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute("DELETE FROM users WHERE id = ?1", [id])?;
            if changed > 0 {
                insert_audit(tx, audit)?;
            }
            Ok(changed > 0)
        })
    }

    fn replace_credentials(
        &self,
        update: &CredentialUpdate,
        audit: &AuditEntry,
    ) -> Result<i64, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE users SET password_hash = ?2, pbkdf2_hash = ?3, \
                 credential_generation = credential_generation + 1, updated_at = ?4 \
                 WHERE id = ?1",
                params![
                    update.user_id,
                    update.password_hash,
                    update.pbkdf2_hash,
                    update.now
                ],
            )?;
            if changed == 0 {
                return Err(StoreError::UnknownUser);
            }
            for table in ["sync_keys", "web_sessions", "password_reset_tokens"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE user_id = ?1"),
                    [update.user_id],
                )?;
            }
            insert_audit(tx, audit)?;
            let generation = tx.query_row(
                "SELECT credential_generation FROM users WHERE id = ?1",
                [update.user_id],
                |r| r.get(0),
            )?;
            Ok(generation)
        })
    }

    fn insert_sync_key(
        &self,
        key: &NewSyncKey,
        max_per_user: u32,
    ) -> Result<Vec<String>, StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sync_keys (digest, user_id, created_at, last_used_at, \
                 client_version, legacy) VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
                params![
                    key.digest,
                    key.user_id,
                    key.now,
                    key.client_version,
                    i64::from(key.legacy)
                ],
            )?;
            // Keep the newest `max_per_user` keys (by last use, then creation).
            let mut stmt = tx.prepare(
                "SELECT digest FROM sync_keys WHERE user_id = ?1 \
                 ORDER BY last_used_at DESC, created_at DESC, digest = ?2 DESC \
                 LIMIT -1 OFFSET ?3",
            )?;
            let evicted = stmt
                .query_map(params![key.user_id, key.digest, max_per_user.max(1)], |r| {
                    r.get::<_, String>(0)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for digest in &evicted {
                tx.execute("DELETE FROM sync_keys WHERE digest = ?1", [digest])?;
            }
            Ok(evicted)
        })
    }

    fn use_sync_key(&self, digest: &str, now: i64) -> Result<Option<SyncKeyOwner>, StoreError> {
        let conn = self.conn()?;
        let owner = conn
            .query_row(
                &format!("{OWNER_SELECT} AND k.digest = ?1"),
                [digest],
                owner_from_row,
            )
            .optional()?;
        if owner.is_some() {
            // Recording the use is best effort: a busy database must not fail a sync.
            let _ = conn.execute(
                "UPDATE sync_keys SET last_used_at = ?2 WHERE digest = ?1 AND last_used_at < ?2",
                params![digest, now],
            );
        }
        Ok(owner)
    }

    fn all_sync_keys(&self) -> Result<Vec<SyncKeyOwner>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(OWNER_SELECT)?;
        let keys = stmt
            .query_map([], owner_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(keys)
    }

    fn append_audit(&self, audit: &AuditEntry) -> Result<(), StoreError> {
        self.write(|tx| insert_audit(tx, audit))
    }

    fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT at, actor, action, user_id, detail FROM audit_log \
             ORDER BY at DESC, rowid DESC LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit], |r| {
                Ok(AuditEntry {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    action: r.get(2)?,
                    user_id: r.get(3)?,
                    detail: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
