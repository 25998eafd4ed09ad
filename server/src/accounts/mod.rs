//! Accounts and their credentials: the only code that writes a password.
//!
//! A user's credentials live in three stores: the Argon2id hash (web), the PBKDF2 hash
//! (Anki), and the host keys Anki clients hold. [`change_password`] is the one function
//! that changes a password, for adminctl, the account page and the emailed reset alike;
//! it rewrites all three in one transaction. Everything here is blocking and independent
//! of HTTP, so adminctl links it directly and the server calls it off the async workers.

mod hashing;
mod host_keys;
mod import;
mod login_limits;
mod notice;
mod password;
mod pbkdf2_sha256;
mod reset_tokens;

use std::fmt;

use secrecy::SecretString;

use crate::clock;
use crate::lang::Lang;
use crate::store::{
    AuditEntry, CredentialUpdate, NewSyncKey, NewUser, Store, StoreError, SyncKeyOwner, User,
};

pub use hashing::{HashingLimiter, HashingPoolError};
pub use host_keys::{digest, HostKey};
pub use import::{import_user, official_host_key, ImportedAccount, ImportedPassword};
pub use login_limits::{
    retry_after_secs, Admission, LoginKind, LoginLimits, LoginPolicy, LoginTicket,
};
pub use password::{
    exceeds_max_length, hash_anki_password, hash_web_password, verify_anki_password,
    verify_web_password, HashingError, PasswordPolicy, PasswordRejected,
    DEFAULT_MIN_PASSWORD_CHARS, LOWEST_MIN_PASSWORD_CHARS, MAX_PASSWORD_BYTES, MAX_PASSWORD_CHARS,
};
pub use reset_tokens::{
    issue_reset_token, reset_password_with_token, reset_token_is_valid, ResetError,
};

/// How many host keys (devices) one user keeps; a login past it drops a key that never
/// synced, or failing that the least recently used one (`Store::insert_sync_key`).
pub const DEFAULT_MAX_HOST_KEYS_PER_USER: u32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    PasswordRejected(#[from] PasswordRejected),
    #[error("invalid username: {0}")]
    InvalidUsername(&'static str),
    #[error("invalid email address")]
    InvalidEmail,
    #[error("no such user")]
    UnknownUser,
    #[error("not a PBKDF2 PHC string ($pbkdf2-sha256$... or $pbkdf2-sha512$...)")]
    InvalidImportedHash,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hashing(#[from] HashingError),
}

/// Who made a change, as written to the audit log. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An operator process: adminctl, or the server binary's `reset-password`.
    Admin { uid: u32, pid: u32, tool: String },
    /// A request from the network.
    Remote { ip: String },
    /// The server itself.
    Server,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Admin { uid, pid, tool } => write!(f, "admin uid={uid} pid={pid} via {tool}"),
            Actor::Remote { ip } => write!(f, "ip={ip}"),
            Actor::Server => f.write_str("server"),
        }
    }
}

fn audit(actor: &Actor, action: &str, user_id: Option<i64>, detail: String) -> AuditEntry {
    AuditEntry {
        at: clock::now(),
        actor: actor.to_string(),
        action: action.into(),
        user_id,
        detail,
    }
}

/// A new account as an operator or an import describes it.
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub is_admin: bool,
    pub password: SecretString,
}

/// Validates and creates a user with both password hashes.
pub fn create_user(
    store: &dyn Store,
    policy: &PasswordPolicy,
    account: NewAccount,
    actor: &Actor,
) -> Result<User, AccountError> {
    let username = validate_username(&account.username)?;
    let email = normalise_email(&account.email)?;
    policy.check(&account.password)?;
    let new_user = NewUser {
        id: crate::store::new_id(),
        username: username.to_string(),
        email: email.clone(),
        password_hash: hash_web_password(&account.password)?,
        pbkdf2_hash: hash_anki_password(&account.password)?,
        is_admin: account.is_admin,
        now: clock::now(),
    };
    let entry = audit(
        actor,
        "user.create",
        Some(new_user.id),
        format!(
            "username={username} email={email} admin={}",
            account.is_admin
        ),
    );
    Ok(store.create_user(&new_user, &entry)?)
}

/// Why a password changed: a fixed line in the audit log, and told to the owner in the
/// notice in the owner's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeReason {
    /// `adminctl reset-password` (or the server binary's `reset-password`).
    Operator,
    /// The signed-in user, on the account page.
    AccountPage,
    /// The self-service reset, with the emailed link.
    EmailedLink,
}

impl ChangeReason {
    /// The audit log's words for it (unchanged from when they were free text).
    pub fn audit_text(self) -> &'static str {
        match self {
            ChangeReason::Operator => "operator reset",
            ChangeReason::AccountPage => "changed on the account page",
            ChangeReason::EmailedLink => "self-service reset by emailed link",
        }
    }
}

/// The outcome of a password change: what the running server needs to be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChanged {
    pub user_id: i64,
    pub credential_generation: i64,
}

/// Changes a user's password everywhere at once: in one transaction, both hashes are
/// rewritten, every host key, web session and reset token is deleted, the credential
/// generation is bumped and the change is audited. The caller then tells the running
/// server (control socket `RefreshUser`, or in-process) to drop its cached keys.
///
/// The owner's notice is written in `notice_lang`: the language of the request that made
/// the change, or English for an operator's (no per-user language is stored).
pub fn change_password(
    store: &dyn Store,
    policy: &PasswordPolicy,
    user_id: i64,
    new_password: &SecretString,
    actor: &Actor,
    reason: ChangeReason,
    notice_lang: Lang,
) -> Result<PasswordChanged, AccountError> {
    policy.check(new_password)?;
    let update = CredentialUpdate {
        user_id,
        password_hash: hash_web_password(new_password)?,
        pbkdf2_hash: hash_anki_password(new_password)?,
        now: clock::now(),
    };
    let entry = audit(
        actor,
        "password.change",
        Some(user_id),
        reason.audit_text().to_string(),
    );
    let generation = store
        .replace_credentials(&update, &entry)
        .map_err(|e| match e {
            StoreError::UnknownUser => AccountError::UnknownUser,
            other => AccountError::Store(other),
        })?;
    notify_password_changed(store, user_id, update.now, reason, notice_lang);
    Ok(PasswordChanged {
        user_id,
        credential_generation: generation,
    })
}

/// Queues the notice every password change sends the account's owner (SECURITY.md T14).
/// Best effort: the change has happened; a failure to queue is logged.
fn notify_password_changed(
    store: &dyn Store,
    user_id: i64,
    at: i64,
    reason: ChangeReason,
    lang: Lang,
) {
    let user = match store.user_by_id(user_id) {
        Ok(Some(user)) => user,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot queue the password-change notice");
            return;
        }
    };
    let mail = notice::password_changed(lang, &user.email, &user.username, at, reason);
    if let Err(e) = crate::outbox::enqueue(store, &mail) {
        tracing::warn!(error = %e, "cannot queue the password-change notice");
    }
}

/// Checks a web login (username or email, and password) against the Argon2id hash, or the
/// PBKDF2 hash of an account imported with `PASSWORDS_HASHED` that has no Argon2id one yet.
/// Unknown and disabled users are verified against a dummy hash.
pub fn verify_web_login(
    store: &dyn Store,
    login: &str,
    password: &SecretString,
) -> Result<Option<User>, StoreError> {
    let user = store.find_user(login)?.filter(|u| !u.disabled);
    let imported = user
        .as_ref()
        .is_some_and(|u| u.password_hash.starts_with("$pbkdf2"));
    let ok = match user.as_ref().map(|u| u.password_hash.as_str()) {
        Some(hash) if imported => verify_anki_password(Some(hash), password),
        hash => verify_web_password(hash, password),
    };
    if let (true, true, Some(u)) = (ok, imported, user.as_ref()) {
        // The first web login of an imported account writes its Argon2id hash.
        match hash_web_password(password) {
            Ok(argon) => {
                if let Err(e) = store.upgrade_web_hash(u.id, &u.password_hash, &argon, clock::now())
                {
                    tracing::warn!(error = %e, "cannot upgrade an imported web password hash");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot hash the web password"),
        }
    }
    Ok(ok.then_some(user).flatten())
}

/// What a web sign-in's password check found.
#[derive(Debug)]
pub enum WebLogin {
    Verified(User),
    /// The password is right but the account is disabled. Said only after the password
    /// verified, so it tells a guesser nothing.
    Disabled,
    Refused,
}

/// [`verify_web_login`], telling a disabled account with the right password apart (for
/// the web's sign-in page; Anki's login keeps its one refusal). A disabled account's
/// password is verified against its own hash, so every answer still costs one hash.
pub fn check_web_login(
    store: &dyn Store,
    login: &str,
    password: &SecretString,
) -> Result<WebLogin, StoreError> {
    if let Some(user) = store.find_user(login)?.filter(|u| u.disabled) {
        let hash = Some(user.password_hash.as_str());
        let ok = if user.password_hash.starts_with("$pbkdf2") {
            verify_anki_password(hash, password)
        } else {
            verify_web_password(hash, password)
        };
        return Ok(if ok {
            WebLogin::Disabled
        } else {
            WebLogin::Refused
        });
    }
    Ok(match verify_web_login(store, login, password)? {
        Some(user) => WebLogin::Verified(user),
        None => WebLogin::Refused,
    })
}

/// Checks an Anki login (username or email, and password). Unknown and disabled users are
/// verified against a dummy hash, so every failure costs the same.
pub fn verify_anki_login(
    store: &dyn Store,
    login: &str,
    password: &SecretString,
) -> Result<Option<User>, StoreError> {
    let user = store.find_user(login)?.filter(|u| !u.disabled);
    let hash = user.as_ref().map(|u| u.pbkdf2_hash.as_str());
    Ok(verify_anki_password(hash, password)
        .then_some(user)
        .flatten())
}

/// A key minted at login, with the keys it pushed out of the user's bound.
pub struct MintedHostKey {
    pub key: HostKey,
    pub owner: SyncKeyOwner,
    pub evicted_digests: Vec<String>,
}

/// Mints and stores a host key for a verified user. The key counts as not yet synced
/// until its first `meta`, so past `max_per_user` the keys of logins that never synced are
/// dropped before any key a device syncs with (the rule is on `Store::insert_sync_key`).
pub fn mint_host_key(
    store: &dyn Store,
    user: &User,
    client_version: &str,
    max_per_user: u32,
) -> Result<MintedHostKey, StoreError> {
    let key = HostKey::mint();
    let digest = key.digest();
    let evicted_digests = store.insert_sync_key(
        &NewSyncKey {
            digest: digest.clone(),
            user_id: user.id,
            client_version: client_version.chars().take(100).collect(),
            legacy: false,
            now: clock::now(),
        },
        max_per_user,
    )?;
    Ok(MintedHostKey {
        key,
        owner: SyncKeyOwner {
            digest,
            user_id: user.id,
            username: user.username.clone(),
            credential_generation: user.credential_generation,
            user_created_at: user.created_at,
        },
        evicted_digests,
    })
}

/// Usernames are Anki login names: 1 to 64 characters, no colon (the official server's
/// `SYNC_USERn=user:pass` splits on the first one), no control characters, no surrounding
/// white space, and not shaped like an email (emails find users too).
pub fn validate_username(username: &str) -> Result<&str, AccountError> {
    let invalid = AccountError::InvalidUsername;
    if username.is_empty() || username.chars().count() > 64 {
        return Err(invalid("it must be 1 to 64 characters"));
    }
    if username.trim() != username {
        return Err(invalid("it must not start or end with white space"));
    }
    if username.contains(':') || username.contains('@') {
        return Err(invalid("it must not contain ':' or '@'"));
    }
    if username.chars().any(char::is_control) {
        return Err(invalid("it must not contain control characters"));
    }
    Ok(username)
}

/// Lower-cases and sanity-checks an email address (one '@', something on each side, a dot
/// in the domain, no white space, at most 254 characters).
pub fn normalise_email(email: &str) -> Result<String, AccountError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.contains('@')
               && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid {
        Ok(email)
    } else {
        Err(AccountError::InvalidEmail)
    }
}

#[cfg(test)]
mod tests;
