//! Plain rows moved in and out of the store. None of them holds a plaintext secret; the
//! hashes they carry are still kept out of `Debug`.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub pbkdf2_hash: String,
    pub credential_generation: i64,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("credential_generation", &self.credential_generation)
            .field("is_admin", &self.is_admin)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

pub struct NewUser {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub pbkdf2_hash: String,
    pub is_admin: bool,
    pub now: i64,
}

impl NewUser {
    /// The row as stored: generation 1, enabled.
    pub fn to_row(&self) -> User {
        User {
            id: self.id,
            username: self.username.clone(),
            email: self.email.clone(),
            password_hash: self.password_hash.clone(),
            pbkdf2_hash: self.pbkdf2_hash.clone(),
            credential_generation: 1,
            is_admin: self.is_admin,
            disabled: false,
            created_at: self.now,
            updated_at: self.now,
        }
    }
}

pub struct CredentialUpdate {
    pub user_id: i64,
    pub password_hash: String,
    pub pbkdf2_hash: String,
    pub now: i64,
}

pub struct NewSyncKey {
    /// SHA-256 hex digest of the key; the key itself never reaches the store.
    pub digest: String,
    pub user_id: i64,
    pub client_version: String,
    pub legacy: bool,
    pub now: i64,
}

impl NewSyncKey {
    /// The row as stored. A key a login mints has not synced yet, and its row says so with
    /// a `last_used_at` one second before `created_at`, which eviction reads (see
    /// [`Store::insert_sync_key`](super::Store::insert_sync_key)) and the key's first sync
    /// overwrites. An imported legacy key is one its device already syncs with, so it
    /// starts as used at the import.
    pub fn to_row(&self) -> SyncKeyRow {
        SyncKeyRow {
            digest: self.digest.clone(),
            user_id: self.user_id,
            created_at: self.now,
            last_used_at: if self.legacy {
                self.now
            } else {
                self.now.saturating_sub(1)
            },
            client_version: self.client_version.clone(),
            legacy: self.legacy,
        }
    }
}

/// A host key's owner, as the sync endpoints need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncKeyOwner {
    pub digest: String,
    pub user_id: i64,
    pub username: String,
    pub credential_generation: i64,
    pub user_created_at: i64,
}

/// One audit row. `actor` and `detail` must never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub user_id: Option<i64>,
    pub detail: String,
}

/// One stored host key, whole, as `adminctl db copy` moves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncKeyRow {
    pub digest: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_used_at: i64,
    pub client_version: String,
    pub legacy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSessionRow {
    pub digest: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The browser's User-Agent at sign-in (at most 512 bytes); empty when unknown.
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetTokenRow {
    pub digest: String,
    pub user_id: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A setting's value may be a secret (the SMTP password): kept out of `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SettingRow {
    pub name: String,
    pub value: String,
    pub updated_at: i64,
}

impl fmt::Debug for SettingRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettingRow")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub entry: AuditEntry,
}

/// Every row of every table but `instance`: one consistent snapshot of a database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dump {
    pub users: Vec<User>,
    pub sync_keys: Vec<SyncKeyRow>,
    pub web_sessions: Vec<WebSessionRow>,
    pub reset_tokens: Vec<ResetTokenRow>,
    pub settings: Vec<SettingRow>,
    pub audit: Vec<AuditRow>,
}

impl Dump {
    pub fn row_count(&self) -> u64 {
        let n = self.users.len()
            + self.sync_keys.len()
            + self.web_sessions.len()
            + self.reset_tokens.len()
            + self.settings.len()
            + self.audit.len();
        u64::try_from(n).unwrap_or(u64::MAX)
    }
}

/// One queued mail. Its body is the plain-text part, already in the reader's language; the
/// HTML part and the headers are made from it when it is sent (`mail::message`). It is
/// never a secret (see `mail_outbox` in schema.sql), but it is kept out of `Debug` anyway:
/// it is the user's business.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub next_attempt_at: i64,
    pub attempts: i32,
}

impl fmt::Debug for OutboxMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboxMail")
            .field("id", &self.id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}
