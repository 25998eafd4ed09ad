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
