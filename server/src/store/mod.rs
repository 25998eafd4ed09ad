//! The account database behind one interface, [`Store`], so callers never know the engine.
//!
//! Every method is blocking and atomic on its own: the server calls them from
//! `spawn_blocking`, adminctl calls them directly. Multi-statement changes (a password
//! change touches four tables) are one transaction inside the implementation, so no caller
//! can leave the database half-written.

mod schema;
mod sqlite;
mod types;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use flashcard_flow_proto::DatabaseIdentity;
pub use schema::SCHEMA_VERSION;
pub(crate) use sqlite::new_id;
pub use sqlite::SqliteStore;
pub use types::{AuditEntry, CredentialUpdate, NewSyncKey, NewUser, SyncKeyOwner, User};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("no such user")]
    UnknownUser,
    #[error("the database schema is version {found}, newer than this build knows ({known}); upgrade flashcard-flow")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("unsupported database URL {0:?}: use sqlite:///path/to/file.sqlite3")]
    UnsupportedUrl(String),
    #[error("{0}")]
    EngineUnavailable(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("could not get a database connection: {0}")]
    Pool(String),
    #[error("cannot open the database at {path}: {reason}")]
    Open { path: PathBuf, reason: String },
}

/// Blocking access to accounts, host keys, sessions, tokens, settings and the audit log.
pub trait Store: Send + Sync + 'static {
    /// Which database this is; compared across processes before adminctl writes.
    fn identity(&self) -> &DatabaseIdentity;

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

    /// Stores a new host key; past `max_per_user` keys the least recently used ones are
    /// deleted in the same transaction, and their digests returned so caches can drop them.
    fn insert_sync_key(
        &self,
        key: &NewSyncKey,
        max_per_user: u32,
    ) -> Result<Vec<String>, StoreError>;
    /// Looks a key up by digest, for an enabled user only, and records its use.
    fn use_sync_key(&self, digest: &str, now: i64) -> Result<Option<SyncKeyOwner>, StoreError>;
    /// Every key of every enabled user: fills the in-memory map at start.
    fn all_sync_keys(&self) -> Result<Vec<SyncKeyOwner>, StoreError>;

    fn append_audit(&self, audit: &AuditEntry) -> Result<(), StoreError>;
    /// The newest audit rows, newest first.
    fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError>;
}

/// Opens (creating if needed) the database a URL names, with `data_dir` as the home of the
/// embedded SQLite default, and applies `schema.sql`.
pub fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn Store>, StoreError> {
    match database_location(database_url, data_dir)? {
        DatabaseLocation::Sqlite(path) => Ok(Arc::new(SqliteStore::open(&path)?)),
        DatabaseLocation::Postgres => Err(StoreError::EngineUnavailable(
            "PostgreSQL is not supported by this build yet; use the embedded SQLite database"
                .into(),
        )),
    }
}

/// Where a database URL points, decided without opening anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres,
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
        return Ok(DatabaseLocation::Postgres);
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
