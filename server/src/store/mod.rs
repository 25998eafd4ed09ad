//! The account database behind one interface, [`Store`], so callers never know the engine.
//!
//! Every method is blocking and atomic on its own: the server calls them from
//! `spawn_blocking`, adminctl calls them directly. Multi-statement changes (a password
//! change touches four tables) are one transaction inside the implementation, so no caller
//! can leave the database half-written.

pub mod backup;
mod postgres;
mod schema;
mod sql;
mod sqlite;
mod types;

use std::path::{Path, PathBuf};

use std::sync::Arc;

pub use flashcard_flow_proto::DatabaseIdentity;
pub use postgres::PostgresStore;
pub use schema::SCHEMA_VERSION;
pub use sqlite::SqliteStore;
pub use types::{
    AuditEntry, AuditRow, CredentialUpdate, Dump, NewSyncKey, NewUser, OutboxMail, ResetTokenRow,
    SettingRow, SyncKeyOwner, SyncKeyRow, User, WebSessionRow,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("no such user")]
    UnknownUser,
    #[error("the database schema is version {found}, newer than this build knows ({known}); upgrade flashcard-flow")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("unsupported database URL {0:?}: use sqlite:///path/to/file.sqlite3 or postgres://user@host/db")]
    UnsupportedUrl(String),
    #[error("unsupported database URL: {0}")]
    InvalidUrl(String),
    #[error("database error: {0}")]
    Database(String),
    /// The database did not answer (down, restarting, unreachable): worth retrying.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("cannot open the database at {location}: {reason}")]
    Open { location: String, reason: String },
    #[error("the target database is not empty ({0} rows); refusing to copy into it")]
    NotEmpty(i64),
}

impl StoreError {
    /// Maps a unique-constraint message (either engine's wording) to a readable conflict.
    fn conflict_from(message: &str) -> StoreError {
        if message.contains("email") {
            StoreError::Conflict("a user with that email".into())
        } else if message.contains("username") {
            StoreError::Conflict("a user with that username".into())
        } else {
            StoreError::Conflict(message.to_string())
        }
    }

    /// True when waiting and trying again may succeed (the server's start-up retries).
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Blocking access to accounts, host keys, sessions, tokens, settings and the audit log.
pub trait Store: Send + Sync + 'static {
    /// Which database this is; compared across processes before adminctl writes.
    fn identity(&self) -> &DatabaseIdentity;
    /// Answers once the database does (health checks).
    fn ping(&self) -> Result<(), StoreError>;

    fn create_user(&self, user: &NewUser, audit: &AuditEntry) -> Result<User, StoreError>;
    /// Finds a user by username (exact) or email (case-insensitive).
    fn find_user(&self, login: &str) -> Result<Option<User>, StoreError>;
    fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError>;
    fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Returns false when no such user exists.
    fn set_user_disabled(
        &self,
        id: i64,
        disabled: bool,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// Deletes the user with every key, session and token (the audit log keeps the id).
    fn delete_user(&self, id: i64, audit: &AuditEntry) -> Result<bool, StoreError>;

    /// In one transaction: writes both password hashes, deletes the user's host keys, web
    /// sessions and reset tokens, bumps `credential_generation` and appends the audit row.
    /// Returns the new generation.
    fn replace_credentials(
        &self,
        update: &CredentialUpdate,
        audit: &AuditEntry,
    ) -> Result<i64, StoreError>;

    /// Stores a new host key; past `max_per_user` keys others are deleted in the same
    /// transaction, and their digests returned so caches can drop them.
    ///
    /// The eviction rule: the new key is always kept; keys a login minted that have never
    /// synced go first, oldest first; only then keys that have synced, least recently used
    /// first (a use is recorded at a key's first sync, then at most once a minute). So a
    /// burst of logins, however long, drops only its own unused keys and never the key of
    /// a device that syncs, unless the user has `max_per_user` keys that all synced.
    fn insert_sync_key(
        &self,
        key: &NewSyncKey,
        max_per_user: u32,
    ) -> Result<Vec<String>, StoreError>;
    /// Looks a key up by digest, for an enabled user only, and records its use: always
    /// the first, then at most once a minute (best effort: a failed write does not fail it).
    fn use_sync_key(&self, digest: &str, now: i64) -> Result<Option<SyncKeyOwner>, StoreError>;
    /// Every key of every enabled user: fills the in-memory map at start.
    fn all_sync_keys(&self) -> Result<Vec<SyncKeyOwner>, StoreError>;

    fn append_audit(&self, audit: &AuditEntry) -> Result<(), StoreError>;

    // --- the web UI: sessions, devices, reset tokens, settings, mail ---------------------

    /// Swaps `old` for `new` as the web hash (an imported PBKDF2 hash upgraded to
    /// Argon2id at its first web login); false if the hash changed meanwhile.
    fn upgrade_web_hash(
        &self,
        user_id: i64,
        old: &str,
        new: &str,
        now: i64,
    ) -> Result<bool, StoreError>;

    fn create_web_session(&self, session: &WebSessionRow) -> Result<(), StoreError>;
    /// A session of an enabled user, whatever its age (the caller checks the expiry).
    fn web_session(&self, digest: &str) -> Result<Option<WebSessionRow>, StoreError>;
    fn touch_web_session(&self, digest: &str, now: i64) -> Result<(), StoreError>;
    fn delete_web_session(&self, digest: &str) -> Result<(), StoreError>;
    /// Deletes sessions past `expires_before` or idle since `idle_before`.
    fn delete_expired_web_sessions(
        &self,
        expires_before: i64,
        idle_before: i64,
    ) -> Result<u64, StoreError>;
    fn user_web_sessions(&self, user_id: i64) -> Result<Vec<WebSessionRow>, StoreError>;
    fn delete_user_web_session(&self, user_id: i64, digest: &str) -> Result<bool, StoreError>;
    fn user_sync_keys(&self, user_id: i64) -> Result<Vec<SyncKeyRow>, StoreError>;
    fn delete_user_sync_key(&self, user_id: i64, digest: &str) -> Result<bool, StoreError>;

    /// Stores a reset token and deletes the user's older ones, in one transaction.
    fn create_reset_token(&self, token: &ResetTokenRow) -> Result<(), StoreError>;
    /// The user a token belongs to, if it is unused, unexpired and the user enabled.
    fn reset_token_user(&self, digest: &str, now: i64) -> Result<Option<i64>, StoreError>;
    /// Marks a valid token used, once: `None` if it was not valid (or someone else won).
    fn use_reset_token(&self, digest: &str, now: i64) -> Result<Option<i64>, StoreError>;

    fn settings(&self) -> Result<Vec<SettingRow>, StoreError>;
    /// Writes (or with `None`, deletes) settings, audited, in one transaction.
    fn put_settings(
        &self,
        values: &[(String, Option<String>)],
        now: i64,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    fn enqueue_mail(&self, mail: &OutboxMail) -> Result<(), StoreError>;
    fn due_mail(&self, now: i64, limit: i64) -> Result<Vec<OutboxMail>, StoreError>;
    fn delete_mail(&self, id: i64) -> Result<(), StoreError>;
    fn retry_mail(&self, id: i64, attempts: i32, next_attempt_at: i64) -> Result<(), StoreError>;
    /// The newest audit rows, newest first.
    fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;

    /// Every row of every table, read in one transaction (a consistent snapshot).
    fn export(&self) -> Result<Dump, StoreError>;
    /// Writes a dump in one transaction, refusing with `NotEmpty` unless every table is
    /// empty; `progress` is called once per row written.
    fn import(&self, dump: &Dump, progress: &mut dyn FnMut(u64)) -> Result<(), StoreError>;
}

/// Application-generated ids: random, positive and below 2^53 so they survive JSON.
pub fn new_id() -> i64 {
    use rand::Rng;
    rand::thread_rng().gen_range(1..(1_i64 << 53))
}

/// Audit ids sort by time on every engine: milliseconds in the high bits, 20 random bits
/// below so two rows in the same millisecond do not collide.
fn new_audit_id() -> i64 {
    use rand::Rng;
    (crate::clock::now_millis() << 20) | rand::thread_rng().gen_range(0..(1_i64 << 20))
}

fn new_instance_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Given a user's keys most recently used first, the ones past the bound.
fn keys_past_bound(keys: Vec<String>, max_per_user: u32) -> Vec<String> {
    let keep = usize::try_from(max_per_user.max(1)).unwrap_or(usize::MAX);
    keys.into_iter().skip(keep).collect()
}

/// Opens (creating if needed) the database a URL names, with `data_dir` as the home of the
/// embedded SQLite default, and applies `schema.sql`.
pub fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    match database_location(database_url, data_dir)? {
        DatabaseLocation::Sqlite(path) => Ok(Arc::new(SqliteStore::open(&path)?)),
        DatabaseLocation::Postgres(url) => Ok(Arc::new(PostgresStore::open(&url)?)),
    }
}

/// Where a database URL points, decided without opening anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    /// The full URL (it may hold a password: never log it).
    Postgres(String),
}

/// The default is `<data-dir>/accounts.sqlite3`; `sqlite:PATH` and `sqlite://PATH` name a
/// file; `postgres://` and `postgresql://` select PostgreSQL.
pub fn database_location(
    database_url: Option<&str>,
    data_dir: &Path,
) -> Result<DatabaseLocation, StoreError> {
    let Some(url) = database_url.filter(|u| !u.is_empty()) else {
        return Ok(DatabaseLocation::Sqlite(data_dir.join("accounts.sqlite3")));
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DatabaseLocation::Postgres(url.to_string()));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .filter(|p| !p.is_empty())
        .ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))?;
    Ok(DatabaseLocation::Sqlite(PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_url_means_sqlite_in_the_data_dir() {
        let loc = database_location(None, Path::new("/srv/ff")).expect("default");
        assert_eq!(
            loc,
            DatabaseLocation::Sqlite("/srv/ff/accounts.sqlite3".into())
        );
    }

    #[test]
    fn sqlite_urls_name_a_file() {
        let d = Path::new("/d");
        let abs = database_location(Some("sqlite:///var/a.db"), d).expect("abs");
        assert_eq!(abs, DatabaseLocation::Sqlite("/var/a.db".into()));
        let rel = database_location(Some("sqlite:rel.db"), d).expect("rel");
        assert_eq!(rel, DatabaseLocation::Sqlite("rel.db".into()));
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(database_location(Some("mysql://x"), Path::new("/d")).is_err());
        assert!(database_location(Some("sqlite://"), Path::new("/d")).is_err());
    }
}
