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
    self, params, Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior,
};
use r2d2_sqlite::SqliteConnectionManager;

use super::schema::{SCHEMA_SQL, SCHEMA_VERSION};
use super::sql;
use super::types::{
    AuditEntry, AuditRow, CredentialUpdate, Dump, NewSyncKey, NewUser, OutboxMail, ResetTokenRow,
    SettingRow, SyncKeyOwner, SyncKeyRow, User, WebSessionRow,
};
use super::{keys_past_bound, new_audit_id, new_instance_id, DatabaseIdentity, Store, StoreError};

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
            Some(ErrorCode::ConstraintViolation) => StoreError::conflict_from(&e.to_string()),
            _ => StoreError::Database(e.to_string()),
        }
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

impl SqliteStore {
    /// Opens or creates the file, applies the schema and reads the instance id.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let open_error = |reason: String| StoreError::Open {
            location: path.display().to_string(),
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
        f: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Prepares a new connection, retrying while the file is busy. SQLite may answer BUSY
/// without waiting in its busy handler (while another process recovers or checkpoints the
/// WAL, or where waiting could deadlock), so a connection opened during a burst of adminctl
/// writes retries here instead of failing.
fn configure_connection(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match try_configure_connection(conn) {
            Err(e)
                if e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

fn try_configure_connection(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL is a property of the file: set once, then only read. Setting it needs a lock
    // that a concurrent writer (adminctl) may hold, and fails at once instead of waiting.
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
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
        .query_row(sql::SELECT_INSTANCE, [], |r| Ok((r.get(0)?, r.get(1)?)))
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
            let id = new_instance_id();
            tx.execute(
                sql::INSERT_INSTANCE,
                params![id, SCHEMA_VERSION, crate::clock::now()],
            )?;
            id
        }
    };
    tx.commit()?;
    Ok(id)
}

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

fn audit_from_row(r: &Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        id: r.get(0)?,
        entry: AuditEntry {
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            user_id: r.get(4)?,
            detail: r.get(5)?,
        },
    })
}

fn insert_audit(conn: &Connection, id: i64, audit: &AuditEntry) -> Result<(), StoreError> {
    conn.execute(
        sql::INSERT_AUDIT,
        params![
            id,
            audit.at,
            audit.actor,
            audit.action,
            audit.user_id,
            audit.detail
        ],
    )?;
    Ok(())
}

fn insert_user(conn: &Connection, u: &User) -> Result<(), StoreError> {
    conn.execute(
        sql::INSERT_USER,
        params![
            u.id,
            u.username,
            u.email,
            u.password_hash,
            u.pbkdf2_hash,
            u.credential_generation,
            i64::from(u.is_admin),
            i64::from(u.disabled),
            u.created_at,
            u.updated_at
        ],
    )?;
    Ok(())
}

fn insert_sync_key(conn: &Connection, k: &SyncKeyRow) -> Result<(), StoreError> {
    conn.execute(
        sql::INSERT_SYNC_KEY,
        params![
            k.digest,
            k.user_id,
            k.created_at,
            k.last_used_at,
            k.client_version,
            i64::from(k.legacy)
        ],
    )?;
    Ok(())
}

fn sync_key_from_row(r: &Row<'_>) -> rusqlite::Result<SyncKeyRow> {
    Ok(SyncKeyRow {
        digest: r.get(0)?,
        user_id: r.get(1)?,
        created_at: r.get(2)?,
        last_used_at: r.get(3)?,
        client_version: r.get(4)?,
        legacy: r.get::<_, i64>(5)? != 0,
    })
}

fn web_session_from_row(r: &Row<'_>) -> rusqlite::Result<WebSessionRow> {
    Ok(WebSessionRow {
        digest: r.get(0)?,
        user_id: r.get(1)?,
        created_at: r.get(2)?,
        last_seen_at: r.get(3)?,
        expires_at: r.get(4)?,
        user_agent: r.get(5)?,
    })
}

/// A web session's row, and its browser's when known.
fn insert_web_session(tx: &Transaction<'_>, w: &WebSessionRow) -> Result<(), StoreError> {
    tx.execute(
        sql::INSERT_WEB_SESSION,
        params![
            w.digest,
            w.user_id,
            w.created_at,
            w.last_seen_at,
            w.expires_at
        ],
    )?;
    if !w.user_agent.is_empty() {
        tx.execute(
            sql::INSERT_WEB_SESSION_BROWSER,
            params![w.digest, w.user_agent],
        )?;
    }
    Ok(())
}

fn setting_from_row(r: &Row<'_>) -> rusqlite::Result<SettingRow> {
    Ok(SettingRow {
        name: r.get(0)?,
        value: r.get(1)?,
        updated_at: r.get(2)?,
    })
}

fn mail_from_row(r: &Row<'_>) -> rusqlite::Result<OutboxMail> {
    Ok(OutboxMail {
        id: r.get(0)?,
        recipient: r.get(1)?,
        subject: r.get(2)?,
        body: r.get(3)?,
        created_at: r.get(4)?,
        next_attempt_at: r.get(5)?,
        attempts: r.get(6)?,
    })
}

impl SqliteStore {
    fn execute(&self, statement: &str, params: impl rusqlite::Params) -> Result<usize, StoreError> {
        Ok(self.conn()?.execute(statement, params)?)
    }

    fn rows<T>(
        &self,
        statement: &str,
        params: impl rusqlite::Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(statement)?;
        let rows = stmt
            .query_map(params, map)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

fn query_all<T>(
    conn: &Connection,
    statement: &str,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(statement)?;
    let rows = stmt.query_map([], map)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

impl Store for SqliteStore {
    fn identity(&self) -> &DatabaseIdentity {
        &self.identity
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.conn()?.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn create_user(&self, user: &NewUser, audit: &AuditEntry) -> Result<User, StoreError> {
        let row = user.to_row();
        self.write(|tx| {
            insert_user(tx, &row)?;
            insert_audit(tx, new_audit_id(), audit)?;
            Ok(row.clone())
        })
    }

    fn find_user(&self, login: &str) -> Result<Option<User>, StoreError> {
        let conn = self.conn()?;
        let statement = format!(
            "SELECT {} FROM users {}",
            sql::USER_COLUMNS,
            sql::FIND_USER_WHERE
        );
        let user = conn
            .query_row(
                &statement,
                params![login, login.to_lowercase()],
                user_from_row,
            )
            .optional()?;
        Ok(user)
    }

    fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let conn = self.conn()?;
        let statement = format!("SELECT {} FROM users WHERE id = ?1", sql::USER_COLUMNS);
        Ok(conn.query_row(&statement, [id], user_from_row).optional()?)
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let statement = format!("SELECT {} FROM users ORDER BY username", sql::USER_COLUMNS);
        query_all(&*self.conn()?, &statement, user_from_row)
    }

    fn set_user_disabled(
        &self,
        id: i64,
        disabled: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(
                sql::SET_DISABLED,
                params![id, i64::from(disabled), audit.at],
            )?;
            if changed > 0 {
                insert_audit(tx, new_audit_id(), audit)?;
            }
            Ok(changed > 0)
        })
    }

    fn delete_user(&self, id: i64, audit: &AuditEntry) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(sql::DELETE_USER, [id])?;
            if changed > 0 {
                insert_audit(tx, new_audit_id(), audit)?;
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
                sql::UPDATE_CREDENTIALS,
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
            for statement in sql::REVOKE_ALL {
                tx.execute(statement, [update.user_id])?;
            }
            insert_audit(tx, new_audit_id(), audit)?;
            Ok(tx.query_row(sql::SELECT_GENERATION, [update.user_id], |r| r.get(0))?)
        })
    }

    fn insert_sync_key(
        &self,
        key: &NewSyncKey,
        max_per_user: u32,
    ) -> Result<Vec<String>, StoreError> {
        self.write(|tx| {
            insert_sync_key(tx, &key.to_row())?;
            let mut stmt = tx.prepare(sql::USER_KEYS_IN_KEEPING_ORDER)?;
            let keys = stmt
                .query_map(params![key.user_id, key.digest], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            let evicted = keys_past_bound(keys, max_per_user);
            for digest in &evicted {
                tx.execute(sql::DELETE_SYNC_KEY, [digest])?;
            }
            Ok(evicted)
        })
    }

    fn use_sync_key(&self, digest: &str, now: i64) -> Result<Option<SyncKeyOwner>, StoreError> {
        let conn = self.conn()?;
        let found = conn
            .prepare_cached(sql::SYNC_KEY_USE)?
            .query_row([digest], |r| {
                Ok((owner_from_row(r)?, r.get::<_, i64>(5)?, r.get::<_, i64>(6)?))
            })
            .optional()?;
        let Some((owner, created_at, last_used_at)) = found else {
            return Ok(None);
        };
        if sql::key_use_needs_recording(created_at, last_used_at, now) {
            // Recording the use is best effort: a busy database must not fail a sync.
            let _ = conn.execute(sql::TOUCH_SYNC_KEY, params![digest, now]);
        }
        Ok(Some(owner))
    }

    fn all_sync_keys(&self) -> Result<Vec<SyncKeyOwner>, StoreError> {
        query_all(&*self.conn()?, sql::OWNER_SELECT, owner_from_row)
    }

    fn append_audit(&self, audit: &AuditEntry) -> Result<(), StoreError> {
        self.write(|tx| insert_audit(tx, new_audit_id(), audit))
    }

    fn upgrade_web_hash(
        &self,
        user_id: i64,
        old: &str,
        new: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.execute(sql::UPGRADE_WEB_HASH, params![user_id, old, new, now])? == 1)
    }

    fn create_web_session(&self, w: &WebSessionRow) -> Result<(), StoreError> {
        self.write(|tx| insert_web_session(tx, w))
    }

    fn web_session(&self, digest: &str) -> Result<Option<WebSessionRow>, StoreError> {
        Ok(self
            .rows(sql::SESSION_WITH_USER, [digest], web_session_from_row)?
            .pop())
    }

    fn touch_web_session(&self, digest: &str, now: i64) -> Result<(), StoreError> {
        self.execute(sql::TOUCH_WEB_SESSION, params![digest, now])?;
        Ok(())
    }

    fn delete_web_session(&self, digest: &str) -> Result<(), StoreError> {
        self.execute(sql::DELETE_WEB_SESSION, [digest])?;
        Ok(())
    }

    fn delete_expired_web_sessions(
        &self,
        expires_before: i64,
        idle_before: i64,
    ) -> Result<u64, StoreError> {
        let n = self.execute(
            sql::DELETE_EXPIRED_WEB_SESSIONS,
            params![expires_before, idle_before],
        )?;
        Ok(n as u64)
    }

    fn user_web_sessions(&self, user_id: i64) -> Result<Vec<WebSessionRow>, StoreError> {
        self.rows(sql::USER_WEB_SESSIONS, [user_id], web_session_from_row)
    }

    fn delete_user_web_session(&self, user_id: i64, digest: &str) -> Result<bool, StoreError> {
        Ok(self.execute(sql::DELETE_USER_WEB_SESSION, params![digest, user_id])? > 0)
    }

    fn user_sync_keys(&self, user_id: i64) -> Result<Vec<SyncKeyRow>, StoreError> {
        self.rows(sql::USER_SYNC_KEYS, [user_id], sync_key_from_row)
    }

    fn delete_user_sync_key(&self, user_id: i64, digest: &str) -> Result<bool, StoreError> {
        Ok(self.execute(sql::DELETE_USER_SYNC_KEY, params![digest, user_id])? > 0)
    }

    fn create_reset_token(&self, t: &ResetTokenRow) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(sql::DELETE_USER_RESET_TOKENS, [t.user_id])?;
            tx.execute(
                sql::INSERT_RESET_TOKEN,
                params![t.digest, t.user_id, t.created_at, t.expires_at, t.used_at],
            )?;
            Ok(())
        })
    }

    fn reset_token_user(&self, digest: &str, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .rows(sql::VALID_RESET_TOKEN, params![digest, now], |r| r.get(0))?
            .pop())
    }

    fn use_reset_token(&self, digest: &str, now: i64) -> Result<Option<i64>, StoreError> {
        self.write(|tx| {
            let user: Option<i64> = tx
                .query_row(sql::VALID_RESET_TOKEN, params![digest, now], |r| r.get(0))
                .optional()?;
            if user.is_some() && tx.execute(sql::USE_RESET_TOKEN, params![digest, now])? == 1 {
                return Ok(user);
            }
            Ok(None)
        })
    }

    fn settings(&self) -> Result<Vec<SettingRow>, StoreError> {
        self.rows(sql::ALL_SETTINGS, [], setting_from_row)
    }

    fn put_settings(
        &self,
        values: &[(String, Option<String>)],
        now: i64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            for (name, value) in values {
                tx.execute(sql::DELETE_SETTING, [name])?;
                if let Some(value) = value {
                    tx.execute(sql::INSERT_SETTING, params![name, value, now])?;
                }
            }
            insert_audit(tx, new_audit_id(), audit)
        })
    }

    fn enqueue_mail(&self, m: &OutboxMail) -> Result<(), StoreError> {
        self.execute(
            sql::INSERT_MAIL,
            params![
                m.id,
                m.recipient,
                m.subject,
                m.body,
                m.created_at,
                m.next_attempt_at,
                m.attempts
            ],
        )?;
        Ok(())
    }

    fn due_mail(&self, now: i64, limit: i64) -> Result<Vec<OutboxMail>, StoreError> {
        self.rows(sql::DUE_MAIL, params![now, limit], mail_from_row)
    }

    fn delete_mail(&self, id: i64) -> Result<(), StoreError> {
        self.execute(sql::DELETE_MAIL, [id])?;
        Ok(())
    }

    fn retry_mail(&self, id: i64, attempts: i32, next_attempt_at: i64) -> Result<(), StoreError> {
        self.execute(sql::RETRY_MAIL, params![id, attempts, next_attempt_at])?;
        Ok(())
    }

    fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(sql::RECENT_AUDIT)?;
        let rows = stmt
            .query_map([limit], audit_from_row)?
            .map(|r| r.map(|a| a.entry))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn export(&self) -> Result<Dump, StoreError> {
        let mut conn = self.conn()?;
        // One read transaction: a consistent snapshot even while the server writes.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let dump = Dump {
            users: query_all(&tx, sql::ALL_USERS, user_from_row)?,
            sync_keys: query_all(&tx, sql::ALL_SYNC_KEYS, sync_key_from_row)?,
            web_sessions: query_all(&tx, sql::ALL_WEB_SESSIONS, web_session_from_row)?,
            reset_tokens: query_all(&tx, sql::ALL_RESET_TOKENS, |r| {
                Ok(ResetTokenRow {
                    digest: r.get(0)?,
                    user_id: r.get(1)?,
                    created_at: r.get(2)?,
                    expires_at: r.get(3)?,
                    used_at: r.get(4)?,
                })
            })?,
            settings: query_all(&tx, sql::ALL_SETTINGS, setting_from_row)?,
            audit: query_all(&tx, sql::ALL_AUDIT, audit_from_row)?,
        };
        tx.commit()?;
        Ok(dump)
    }

    fn import(&self, dump: &Dump, progress: &mut dyn FnMut(u64)) -> Result<(), StoreError> {
        self.write(|tx| {
            let rows: i64 = tx.query_row(sql::COUNT_ROWS, [], |r| r.get(0))?;
            if rows > 0 {
                return Err(StoreError::NotEmpty(rows));
            }
            for u in &dump.users {
                insert_user(tx, u)?;
                progress(1);
            }
            for k in &dump.sync_keys {
                insert_sync_key(tx, k)?;
                progress(1);
            }
            for s in &dump.web_sessions {
                insert_web_session(tx, s)?;
                progress(1);
            }
            for t in &dump.reset_tokens {
                tx.execute(
                    sql::INSERT_RESET_TOKEN,
                    params![t.digest, t.user_id, t.created_at, t.expires_at, t.used_at],
                )?;
                progress(1);
            }
            for s in &dump.settings {
                tx.execute(sql::INSERT_SETTING, params![s.name, s.value, s.updated_at])?;
                progress(1);
            }
            for a in &dump.audit {
                insert_audit(tx, a.id, &a.entry)?;
                progress(1);
            }
            Ok(())
        })
    }
}
