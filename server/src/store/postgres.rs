//! PostgreSQL, selected by a `postgres://` or `postgresql://` URL. The same schema file and
//! the same SQL as SQLite (placeholders renumbered); only accounts, keys, sessions, tokens,
//! settings and the audit log live here, collections stay in the data directory.
//!
//! Connections come from an r2d2 pool that checks each one before use, so after a database
//! restart the stale connections are replaced and requests fail only while it is down.

use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Transaction};
use r2d2::Pool;
use r2d2_postgres::PostgresConnectionManager;

use super::schema::{SCHEMA_SQL, SCHEMA_VERSION};
use super::sql::{self, numbered_dollars as pg};
use super::types::{
    AuditEntry, AuditRow, CredentialUpdate, Dump, NewSyncKey, NewUser, OutboxMail, ResetTokenRow,
    SettingRow, SyncKeyOwner, SyncKeyRow, User, WebSessionRow,
};
use super::{keys_past_bound, new_audit_id, new_instance_id, DatabaseIdentity, Store, StoreError};

const POOL_SIZE: u32 = 8;
/// How long a request waits for a connection before failing: short, so an outage costs
/// quick failures rather than piled-up requests.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);
const PING_TIMEOUT: Duration = Duration::from_secs(1);
/// Serialises schema application between processes starting at the same time.
const SCHEMA_LOCK_KEY: i64 = 0x0f1a_5c0d;

type Manager = PostgresConnectionManager<NoTls>;
type Param<'a> = &'a (dyn ToSql + Sync);

pub struct PostgresStore {
    /// Always `Some` until dropped (see `Drop`).
    pool: Option<Pool<Manager>>,
    identity: DatabaseIdentity,
}

/// The sync client closes its connections with a `block_on`, which panics on a tokio
/// worker thread; the server drops its state at the end of `run` on one. So the pool is
/// dropped on a plain thread of its own whenever a runtime is current.
impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::spawn(move || drop(pool)).join();
            }
        }
    }
}

/// The server's own words where there are any: `postgres::Error`'s `Display` alone says
/// only "db error". (PostgreSQL never puts a password in a message.)
fn describe_error(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        match e.code() {
            Some(code) if *code == SqlState::UNIQUE_VIOLATION => {
                let constraint = e
                    .as_db_error()
                    .and_then(|d| d.constraint())
                    .unwrap_or_default()
                    .to_string();
                StoreError::conflict_from(&constraint)
            }
            Some(_) => StoreError::Database(describe_error(&e)),
            // No SQLSTATE: an I/O or connection-level failure.
            None => StoreError::Unavailable(describe_error(&e)),
        }
    }
}

impl PostgresStore {
    /// Connects, applies the schema and reads the instance id. A database that does not
    /// answer is `Unavailable` (transient); a bad URL, password or name is not.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e| StoreError::InvalidUrl(format!("{e}")))?;
        if config.get_ssl_mode() == SslMode::Require {
            return Err(StoreError::InvalidUrl(
                "sslmode=require: this build connects without TLS; use a local or \
                 tunnelled connection with sslmode=disable or prefer"
                    .into(),
            ));
        }
        config.connect_timeout(CONNECTION_TIMEOUT);
        let location = describe(&config);
        // Errors with an SQLSTATE (wrong password, unknown database) are final; those
        // without (refused, timed out) mean the database is not answering yet.
        let open_error = |e: postgres::Error| {
            let reason = describe_error(&e);
            match StoreError::from(e) {
                StoreError::Unavailable(_) => {
                    StoreError::Unavailable(format!("{location}: {reason}"))
                }
                _ => StoreError::Open {
                    location: location.clone(),
                    reason,
                },
            }
        };
        let mut client = config.connect(NoTls).map_err(open_error)?;
        let instance_id = apply_schema(&mut client)?;
        drop(client);
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(0))
            .connection_timeout(CONNECTION_TIMEOUT)
            .build_unchecked(PostgresConnectionManager::new(config, NoTls));
        Ok(PostgresStore {
            pool: Some(pool),
            identity: DatabaseIdentity {
                engine: "postgresql".into(),
                location,
                instance_id,
            },
        })
    }

    fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        self.pool
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the store is closing".into()))?
            .get()
            .map_err(|e| StoreError::Unavailable(e.to_string()))
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }

    fn query_opt<T>(
        &self,
        statement: &str,
        params: &[Param<'_>],
        map: fn(&Row) -> Result<T, postgres::Error>,
    ) -> Result<Option<T>, StoreError> {
        let row = self.conn()?.query_opt(&pg(statement), params)?;
        Ok(row.as_ref().map(map).transpose()?)
    }
}

/// `user@host:port/dbname`: where the database is, never the password.
fn describe(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("");
    let dbname = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{dbname}")
}

fn apply_schema(client: &mut Client) -> Result<String, StoreError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK_KEY])?;
    tx.batch_execute(SCHEMA_SQL)?;
    let existing = tx
        .query_opt(sql::SELECT_INSTANCE, &[])?
        .map(|r| Ok::<_, postgres::Error>((r.try_get::<_, String>(0)?, r.try_get::<_, i32>(1)?)))
        .transpose()?;
    let id = match existing {
        Some((_, found)) if i64::from(found) > SCHEMA_VERSION => {
            return Err(StoreError::SchemaTooNew {
                found: i64::from(found),
                known: SCHEMA_VERSION,
            })
        }
        Some((id, _)) => id,
        None => {
            let id = new_instance_id();
            let version = i32::try_from(SCHEMA_VERSION).unwrap_or(i32::MAX);
            tx.execute(
                &pg(sql::INSERT_INSTANCE),
                &[&id, &version, &crate::clock::now()],
            )?;
            id
        }
    };
    tx.commit()?;
    Ok(id)
}

fn flag(b: bool) -> i32 {
    i32::from(b)
}

fn user_from_row(r: &Row) -> Result<User, postgres::Error> {
    Ok(User {
        id: r.try_get(0)?,
        username: r.try_get(1)?,
        email: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        pbkdf2_hash: r.try_get(4)?,
        credential_generation: r.try_get(5)?,
        is_admin: r.try_get::<_, i32>(6)? != 0,
        disabled: r.try_get::<_, i32>(7)? != 0,
        created_at: r.try_get(8)?,
        updated_at: r.try_get(9)?,
    })
}

fn owner_from_row(r: &Row) -> Result<SyncKeyOwner, postgres::Error> {
    Ok(SyncKeyOwner {
        digest: r.try_get(0)?,
        user_id: r.try_get(1)?,
        username: r.try_get(2)?,
        credential_generation: r.try_get(3)?,
        user_created_at: r.try_get(4)?,
    })
}

fn audit_from_row(r: &Row) -> Result<AuditRow, postgres::Error> {
    Ok(AuditRow {
        id: r.try_get(0)?,
        entry: AuditEntry {
            at: r.try_get(1)?,
            actor: r.try_get(2)?,
            action: r.try_get(3)?,
            user_id: r.try_get(4)?,
            detail: r.try_get(5)?,
        },
    })
}

fn insert_audit(tx: &mut Transaction<'_>, id: i64, a: &AuditEntry) -> Result<(), StoreError> {
    tx.execute(
        &pg(sql::INSERT_AUDIT),
        &[&id, &a.at, &a.actor, &a.action, &a.user_id, &a.detail],
    )?;
    Ok(())
}

fn insert_user(tx: &mut Transaction<'_>, u: &User) -> Result<(), StoreError> {
    tx.execute(
        &pg(sql::INSERT_USER),
        &[
            &u.id,
            &u.username,
            &u.email,
            &u.password_hash,
            &u.pbkdf2_hash,
            &u.credential_generation,
            &flag(u.is_admin),
            &flag(u.disabled),
            &u.created_at,
            &u.updated_at,
        ],
    )?;
    Ok(())
}

fn insert_sync_key(tx: &mut Transaction<'_>, k: &SyncKeyRow) -> Result<(), StoreError> {
    tx.execute(
        &pg(sql::INSERT_SYNC_KEY),
        &[
            &k.digest,
            &k.user_id,
            &k.created_at,
            &k.last_used_at,
            &k.client_version,
            &flag(k.legacy),
        ],
    )?;
    Ok(())
}

fn sync_key_from_row(r: &Row) -> Result<SyncKeyRow, postgres::Error> {
    Ok(SyncKeyRow {
        digest: r.try_get(0)?,
        user_id: r.try_get(1)?,
        created_at: r.try_get(2)?,
        last_used_at: r.try_get(3)?,
        client_version: r.try_get(4)?,
        legacy: r.try_get::<_, i32>(5)? != 0,
    })
}

fn web_session_from_row(r: &Row) -> Result<WebSessionRow, postgres::Error> {
    Ok(WebSessionRow {
        digest: r.try_get(0)?,
        user_id: r.try_get(1)?,
        created_at: r.try_get(2)?,
        last_seen_at: r.try_get(3)?,
        expires_at: r.try_get(4)?,
        user_agent: r.try_get(5)?,
    })
}

/// A web session's row, and its browser's when known.
fn insert_web_session(tx: &mut Transaction<'_>, w: &WebSessionRow) -> Result<(), StoreError> {
    tx.execute(
        &pg(sql::INSERT_WEB_SESSION),
        &[
            &w.digest,
            &w.user_id,
            &w.created_at,
            &w.last_seen_at,
            &w.expires_at,
        ],
    )?;
    if !w.user_agent.is_empty() {
        tx.execute(
            &pg(sql::INSERT_WEB_SESSION_BROWSER),
            &[&w.digest, &w.user_agent],
        )?;
    }
    Ok(())
}

fn setting_from_row(r: &Row) -> Result<SettingRow, postgres::Error> {
    Ok(SettingRow {
        name: r.try_get(0)?,
        value: r.try_get(1)?,
        updated_at: r.try_get(2)?,
    })
}

fn mail_from_row(r: &Row) -> Result<OutboxMail, postgres::Error> {
    Ok(OutboxMail {
        id: r.try_get(0)?,
        recipient: r.try_get(1)?,
        subject: r.try_get(2)?,
        body: r.try_get(3)?,
        created_at: r.try_get(4)?,
        next_attempt_at: r.try_get(5)?,
        attempts: r.try_get(6)?,
    })
}

impl PostgresStore {
    fn execute(&self, statement: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        Ok(self.conn()?.execute(&pg(statement), params)?)
    }

    fn rows<T>(
        &self,
        statement: &str,
        params: &[Param<'_>],
        map: fn(&Row) -> Result<T, postgres::Error>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = self.conn()?.query(&pg(statement), params)?;
        Ok(rows.iter().map(map).collect::<Result<Vec<_>, _>>()?)
    }
}

fn query_all<T>(
    tx: &mut Transaction<'_>,
    statement: &str,
    map: fn(&Row) -> Result<T, postgres::Error>,
) -> Result<Vec<T>, StoreError> {
    let rows = tx.query(&pg(statement), &[])?;
    Ok(rows.iter().map(map).collect::<Result<Vec<_>, _>>()?)
}

impl Store for PostgresStore {
    fn identity(&self) -> &DatabaseIdentity {
        &self.identity
    }

    fn ping(&self) -> Result<(), StoreError> {
        // A health check answers within a second, outage or not.
        let mut conn = self
            .pool
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the store is closing".into()))?
            .get_timeout(PING_TIMEOUT)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        conn.simple_query("SELECT 1")?;
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
        let statement = format!(
            "SELECT {} FROM users {}",
            sql::USER_COLUMNS,
            sql::FIND_USER_WHERE
        );
        self.query_opt(&statement, &[&login, &login.to_lowercase()], user_from_row)
    }

    fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let statement = format!("SELECT {} FROM users WHERE id = ?1", sql::USER_COLUMNS);
        self.query_opt(&statement, &[&id], user_from_row)
    }

    fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let statement = format!("SELECT {} FROM users ORDER BY username", sql::USER_COLUMNS);
        let rows = self.conn()?.query(&statement, &[])?;
        Ok(rows
            .iter()
            .map(user_from_row)
            .collect::<Result<Vec<_>, _>>()?)
    }

    fn set_user_disabled(
        &self,
        id: i64,
        disabled: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(&pg(sql::SET_DISABLED), &[&id, &flag(disabled), &audit.at])?;
            if changed > 0 {
                insert_audit(tx, new_audit_id(), audit)?;
            }
            Ok(changed > 0)
        })
    }

    fn delete_user(&self, id: i64, audit: &AuditEntry) -> Result<bool, StoreError> {
        self.write(|tx| {
            let changed = tx.execute(&pg(sql::DELETE_USER), &[&id])?;
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
                &pg(sql::UPDATE_CREDENTIALS),
                &[
                    &update.user_id,
                    &update.password_hash,
                    &update.pbkdf2_hash,
                    &update.now,
                ],
            )?;
            if changed == 0 {
                return Err(StoreError::UnknownUser);
            }
            for statement in sql::REVOKE_ALL {
                tx.execute(&pg(statement), &[&update.user_id])?;
            }
            insert_audit(tx, new_audit_id(), audit)?;
            let row = tx.query_one(&pg(sql::SELECT_GENERATION), &[&update.user_id])?;
            Ok(row.try_get(0)?)
        })
    }

    fn insert_sync_key(
        &self,
        key: &NewSyncKey,
        max_per_user: u32,
    ) -> Result<Vec<String>, StoreError> {
        self.write(|tx| {
            insert_sync_key(tx, &key.to_row())?;
            let keys = tx
                .query(
                    &pg(sql::USER_KEYS_IN_KEEPING_ORDER),
                    &[&key.user_id, &key.digest],
                )?
                .iter()
                .map(|r| r.try_get::<_, String>(0))
                .collect::<Result<Vec<_>, _>>()?;
            let evicted = keys_past_bound(keys, max_per_user);
            for digest in &evicted {
                tx.execute(&pg(sql::DELETE_SYNC_KEY), &[digest])?;
            }
            Ok(evicted)
        })
    }

    fn use_sync_key(&self, digest: &str, now: i64) -> Result<Option<SyncKeyOwner>, StoreError> {
        let found = self.query_opt(sql::SYNC_KEY_USE, &[&digest], |r| {
            Ok((
                owner_from_row(r)?,
                r.try_get::<_, i64>(5)?,
                r.try_get::<_, i64>(6)?,
            ))
        })?;
        let Some((owner, created_at, last_used_at)) = found else {
            return Ok(None);
        };
        if sql::key_use_needs_recording(created_at, last_used_at, now) {
            // Recording the use is best effort: it must not fail a sync.
            if let Ok(mut conn) = self.conn() {
                let _ = conn.execute(&pg(sql::TOUCH_SYNC_KEY), &[&digest, &now]);
            }
        }
        Ok(Some(owner))
    }

    fn all_sync_keys(&self) -> Result<Vec<SyncKeyOwner>, StoreError> {
        let rows = self.conn()?.query(sql::OWNER_SELECT, &[])?;
        Ok(rows
            .iter()
            .map(owner_from_row)
            .collect::<Result<Vec<_>, _>>()?)
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
        Ok(self.execute(sql::UPGRADE_WEB_HASH, &[&user_id, &old, &new, &now])? == 1)
    }

    fn create_web_session(&self, w: &WebSessionRow) -> Result<(), StoreError> {
        self.write(|tx| insert_web_session(tx, w))
    }

    fn web_session(&self, digest: &str) -> Result<Option<WebSessionRow>, StoreError> {
        Ok(self
            .rows(sql::SESSION_WITH_USER, &[&digest], web_session_from_row)?
            .pop())
    }

    fn touch_web_session(&self, digest: &str, now: i64) -> Result<(), StoreError> {
        self.execute(sql::TOUCH_WEB_SESSION, &[&digest, &now])?;
        Ok(())
    }

    fn delete_web_session(&self, digest: &str) -> Result<(), StoreError> {
        self.execute(sql::DELETE_WEB_SESSION, &[&digest])?;
        Ok(())
    }

    fn delete_expired_web_sessions(
        &self,
        expires_before: i64,
        idle_before: i64,
    ) -> Result<u64, StoreError> {
        self.execute(
            sql::DELETE_EXPIRED_WEB_SESSIONS,
            &[&expires_before, &idle_before],
        )
    }

    fn user_web_sessions(&self, user_id: i64) -> Result<Vec<WebSessionRow>, StoreError> {
        self.rows(sql::USER_WEB_SESSIONS, &[&user_id], web_session_from_row)
    }

    fn delete_user_web_session(&self, user_id: i64, digest: &str) -> Result<bool, StoreError> {
        Ok(self.execute(sql::DELETE_USER_WEB_SESSION, &[&digest, &user_id])? > 0)
    }

    fn user_sync_keys(&self, user_id: i64) -> Result<Vec<SyncKeyRow>, StoreError> {
        self.rows(sql::USER_SYNC_KEYS, &[&user_id], sync_key_from_row)
    }

    fn delete_user_sync_key(&self, user_id: i64, digest: &str) -> Result<bool, StoreError> {
        Ok(self.execute(sql::DELETE_USER_SYNC_KEY, &[&digest, &user_id])? > 0)
    }

    fn create_reset_token(&self, t: &ResetTokenRow) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(&pg(sql::DELETE_USER_RESET_TOKENS), &[&t.user_id])?;
            tx.execute(
                &pg(sql::INSERT_RESET_TOKEN),
                &[
                    &t.digest,
                    &t.user_id,
                    &t.created_at,
                    &t.expires_at,
                    &t.used_at,
                ],
            )?;
            Ok(())
        })
    }

    fn reset_token_user(&self, digest: &str, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .rows(sql::VALID_RESET_TOKEN, &[&digest, &now], |r| r.try_get(0))?
            .pop())
    }

    fn use_reset_token(&self, digest: &str, now: i64) -> Result<Option<i64>, StoreError> {
        self.write(|tx| {
            let user: Option<i64> = tx
                .query_opt(&pg(sql::VALID_RESET_TOKEN), &[&digest, &now])?
                .map(|r| r.try_get(0))
                .transpose()?;
            if user.is_some() && tx.execute(&pg(sql::USE_RESET_TOKEN), &[&digest, &now])? == 1 {
                return Ok(user);
            }
            Ok(None)
        })
    }

    fn settings(&self) -> Result<Vec<SettingRow>, StoreError> {
        self.rows(sql::ALL_SETTINGS, &[], setting_from_row)
    }

    fn put_settings(
        &self,
        values: &[(String, Option<String>)],
        now: i64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.write(|tx| {
            for (name, value) in values {
                tx.execute(&pg(sql::DELETE_SETTING), &[name])?;
                if let Some(value) = value {
                    tx.execute(&pg(sql::INSERT_SETTING), &[name, value, &now])?;
                }
            }
            insert_audit(tx, new_audit_id(), audit)
        })
    }

    fn enqueue_mail(&self, m: &OutboxMail) -> Result<(), StoreError> {
        self.execute(
            sql::INSERT_MAIL,
            &[
                &m.id,
                &m.recipient,
                &m.subject,
                &m.body,
                &m.created_at,
                &m.next_attempt_at,
                &m.attempts,
            ],
        )?;
        Ok(())
    }

    fn due_mail(&self, now: i64, limit: i64) -> Result<Vec<OutboxMail>, StoreError> {
        self.rows(sql::DUE_MAIL, &[&now, &limit], mail_from_row)
    }

    fn delete_mail(&self, id: i64) -> Result<(), StoreError> {
        self.execute(sql::DELETE_MAIL, &[&id])?;
        Ok(())
    }

    fn retry_mail(&self, id: i64, attempts: i32, next_attempt_at: i64) -> Result<(), StoreError> {
        self.execute(sql::RETRY_MAIL, &[&id, &attempts, &next_attempt_at])?;
        Ok(())
    }

    fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = self
            .conn()?
            .query(&pg(sql::RECENT_AUDIT), &[&i64::from(limit)])?;
        Ok(rows
            .iter()
            .map(|r| audit_from_row(r).map(|a| a.entry))
            .collect::<Result<Vec<_>, _>>()?)
    }

    fn export(&self) -> Result<Dump, StoreError> {
        let mut conn = self.conn()?;
        // Repeatable read: every table from the same snapshot.
        let mut tx = conn
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        let dump = Dump {
            users: query_all(&mut tx, sql::ALL_USERS, user_from_row)?,
            sync_keys: query_all(&mut tx, sql::ALL_SYNC_KEYS, sync_key_from_row)?,
            web_sessions: query_all(&mut tx, sql::ALL_WEB_SESSIONS, web_session_from_row)?,
            reset_tokens: query_all(&mut tx, sql::ALL_RESET_TOKENS, |r| {
                Ok(ResetTokenRow {
                    digest: r.try_get(0)?,
                    user_id: r.try_get(1)?,
                    created_at: r.try_get(2)?,
                    expires_at: r.try_get(3)?,
                    used_at: r.try_get(4)?,
                })
            })?,
            settings: query_all(&mut tx, sql::ALL_SETTINGS, setting_from_row)?,
            audit: query_all(&mut tx, sql::ALL_AUDIT, audit_from_row)?,
        };
        tx.commit()?;
        Ok(dump)
    }

    fn import(&self, dump: &Dump, progress: &mut dyn FnMut(u64)) -> Result<(), StoreError> {
        self.write(|tx| {
            // Lock out concurrent writers for the emptiness check and the copy.
            tx.batch_execute(
                "LOCK TABLE users, sync_keys, web_sessions, password_reset_tokens, settings, \
                 audit_log IN EXCLUSIVE MODE",
            )?;
            let rows: i64 = tx.query_one(sql::COUNT_ROWS, &[])?.try_get(0)?;
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
            let token_sql = pg(sql::INSERT_RESET_TOKEN);
            for t in &dump.reset_tokens {
                tx.execute(
                    &token_sql,
                    &[
                        &t.digest,
                        &t.user_id,
                        &t.created_at,
                        &t.expires_at,
                        &t.used_at,
                    ],
                )?;
                progress(1);
            }
            let setting_sql = pg(sql::INSERT_SETTING);
            for s in &dump.settings {
                tx.execute(&setting_sql, &[&s.name, &s.value, &s.updated_at])?;
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
