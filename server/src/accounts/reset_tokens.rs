//! Password-reset tokens (SECURITY.md T3–T6): 32 random bytes from the OS, base64url in the
//! link, only their SHA-256 stored; time-limited, single use, only the newest of a user
//! valid, and all of them revoked by any password change (`change_password` deletes them).

use base64::Engine;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::lang::Lang;
use crate::store::{ResetTokenRow, Store, StoreError};

use super::{
    change_password, digest, AccountError, Actor, ChangeReason, PasswordChanged, PasswordPolicy,
};

/// A new token for the user, replacing any older one. Returns the token for the link.
pub fn issue_reset_token(
    store: &dyn Store,
    user_id: i64,
    now: i64,
    ttl_secs: i64,
) -> Result<SecretString, StoreError> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    store.create_reset_token(&ResetTokenRow {
        digest: digest(&token),
        user_id,
        created_at: now,
        expires_at: now.saturating_add(ttl_secs),
        used_at: None,
    })?;
    Ok(SecretString::from(token))
}

/// Whether a token would be accepted now. Does not use it up (mail scanners open links).
pub fn reset_token_is_valid(store: &dyn Store, token: &str, now: i64) -> Result<bool, StoreError> {
    if !plausible(token) {
        return Ok(false);
    }
    Ok(store.reset_token_user(&digest(token), now)?.is_some())
}

/// Tokens are 43 base64url characters; anything else is refused without a lookup.
fn plausible(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    #[error("Invalid or expired reset token")]
    InvalidToken,
    #[error(transparent)]
    Account(#[from] AccountError),
}

/// Sets a new password with a token: the policy is checked first (a refused password
/// leaves the token usable), then the token is used up, then the password changes through
/// the one `change_password`, which also revokes every key, session and other token. The
/// notice of the change is written in `lang`, the language of the reset's request.
pub fn reset_password_with_token(
    store: &dyn Store,
    policy: &PasswordPolicy,
    token: &SecretString,
    new_password: &SecretString,
    now: i64,
    actor: &Actor,
    lang: Lang,
) -> Result<PasswordChanged, ResetError> {
    policy.check(new_password).map_err(AccountError::from)?;
    let token = token.expose_secret();
    if !plausible(token) {
        return Err(ResetError::InvalidToken);
    }
    let user_id = store
        .use_reset_token(&digest(token), now)
        .map_err(AccountError::from)?
        .ok_or(ResetError::InvalidToken)?;
    Ok(change_password(
        store,
        policy,
        user_id,
        new_password,
        actor,
        ChangeReason::EmailedLink,
        lang,
    )?)
}
