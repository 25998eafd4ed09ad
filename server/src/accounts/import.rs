//! Accounts taken over from the official sync server (`SYNC_USERn`, plain or
//! `PASSWORDS_HASHED`), and optionally the host keys its clients already hold.

use argon2::password_hash::PasswordHash;
use secrecy::{ExposeSecret, SecretString};

use crate::clock;
use crate::store::{NewSyncKey, NewUser, Store, User};

use super::{
    audit, digest, exceeds_max_length, hash_anki_password, hash_web_password, normalise_email,
    validate_username, AccountError, Actor, PasswordRejected, DEFAULT_MAX_HOST_KEYS_PER_USER,
};

/// What the official server knew about a password.
pub enum ImportedPassword {
    /// Plain mode: the password itself.
    Plain(SecretString),
    /// `PASSWORDS_HASHED`: a PBKDF2 PHC string, which Anki logins verify as they are.
    Hashed(SecretString),
}

pub struct ImportedAccount {
    /// Chosen by the caller, so files can be staged under it before the account exists.
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password: ImportedPassword,
    /// The official server's host key (`sha1("<SYNC_USERn value>")`) to keep accepting, so
    /// its clients go on syncing without logging in. A weaker key: opt-in, and it ends at
    /// the first password change like every other key.
    pub legacy_host_key: Option<SecretString>,
}

/// The official server's host key for one `SYNC_USERn` value (protocol §2.2).
pub fn official_host_key(sync_user_value: &SecretString) -> SecretString {
    use sha1::{Digest, Sha1};
    let hash = Sha1::digest(sync_user_value.expose_secret().as_bytes());
    SecretString::from(hex::encode(hash))
}

/// Creates the user with both hashes (plain) or the imported PBKDF2 hash (hashed), and the
/// legacy host key if asked. The length policy's minimum is not applied: these are the
/// passwords the users already have; the maximum still is.
pub fn import_user(
    store: &dyn Store,
    account: ImportedAccount,
    actor: &Actor,
) -> Result<User, AccountError> {
    let username = validate_username(&account.username)?.to_string();
    let email = normalise_email(&account.email)?;
    let (password_hash, pbkdf2_hash, kind) = match &account.password {
        ImportedPassword::Plain(password) => {
            if exceeds_max_length(password.expose_secret()) {
                return Err(PasswordRejected::TooLong.into());
            }
            (
                hash_web_password(password)?,
                hash_anki_password(password)?,
                "plain",
            )
        }
        ImportedPassword::Hashed(phc) => {
            let phc = phc.expose_secret();
            let valid = PasswordHash::new(phc)
                .map(|h| matches!(h.algorithm.as_str(), "pbkdf2-sha256" | "pbkdf2-sha512"))
                .unwrap_or(false);
            if !valid {
                return Err(AccountError::InvalidImportedHash);
            }
            // Only the PBKDF2 hash exists; the web login verifies it too until the user's
            // next password change writes an Argon2id hash.
            (phc.to_string(), phc.to_string(), "hashed")
        }
    };
    let now = clock::now();
    let new_user = NewUser {
        id: account.id,
        username: username.clone(),
        email: email.clone(),
        password_hash,
        pbkdf2_hash,
        is_admin: false,
        now,
    };
    let keep = account.legacy_host_key.is_some();
    let entry = audit(
        actor,
        "user.import",
        Some(new_user.id),
        format!("username={username} email={email} from=official-sync-server password={kind} keep_anki_logins={keep}"),
    );
    let user = store.create_user(&new_user, &entry)?;
    if let Some(key) = account.legacy_host_key {
        store.insert_sync_key(
            &NewSyncKey {
                digest: digest(key.expose_secret()),
                user_id: user.id,
                client_version: "official sync server (imported)".into(),
                legacy: true,
                now,
            },
            DEFAULT_MAX_HOST_KEYS_PER_USER,
        )?;
    }
    Ok(user)
}
