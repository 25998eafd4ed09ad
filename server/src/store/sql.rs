//! The SQL both engines run, written once with `?N` placeholders. SQLite takes them as they
//! are; PostgreSQL gets them through [`numbered_dollars`]. Keep to the portable subset.

pub const USER_COLUMNS: &str = "id, username, email, password_hash, pbkdf2_hash, \
     credential_generation, is_admin, disabled, created_at, updated_at";

pub const INSERT_USER: &str = "INSERT INTO users (id, username, email, password_hash, \
     pbkdf2_hash, credential_generation, is_admin, disabled, created_at, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// Username (exact) or email (lower-cased); a username match wins over an email match.
pub const FIND_USER_WHERE: &str =
    "WHERE username = ?1 OR email = ?2 ORDER BY (username = ?1) DESC LIMIT 1";

pub const SET_DISABLED: &str = "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1";
pub const DELETE_USER: &str = "DELETE FROM users WHERE id = ?1";

pub const UPDATE_CREDENTIALS: &str = "UPDATE users SET password_hash = ?2, pbkdf2_hash = ?3, \
     credential_generation = credential_generation + 1, updated_at = ?4 WHERE id = ?1";
/// What a password change revokes, in the same transaction.
pub const REVOKE_ALL: [&str; 3] = [
    "DELETE FROM sync_keys WHERE user_id = ?1",
    "DELETE FROM web_sessions WHERE user_id = ?1",
    "DELETE FROM password_reset_tokens WHERE user_id = ?1",
];
/// Replaces an imported PBKDF2 web hash by an Argon2id one, if it is still the same.
pub const UPGRADE_WEB_HASH: &str = "UPDATE users SET password_hash = ?3, updated_at = ?4 \
     WHERE id = ?1 AND password_hash = ?2";
pub const SELECT_GENERATION: &str = "SELECT credential_generation FROM users WHERE id = ?1";

pub const INSERT_SYNC_KEY: &str = "INSERT INTO sync_keys (digest, user_id, created_at, \
     last_used_at, client_version, legacy) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
/// A user's keys in the order eviction keeps them, the first `max_host_keys_per_user`
/// kept and the rest deleted: the new key (`?2`) first; then keys that have synced
/// (`last_used_at >= created_at`), most recently used first; last, keys a login minted
/// that never synced, newest first. So a burst of logins drops its own unused keys and
/// never a device that syncs.
pub const USER_KEYS_IN_KEEPING_ORDER: &str = "SELECT digest FROM sync_keys WHERE user_id = ?1 \
     ORDER BY (digest = ?2) DESC, (last_used_at >= created_at) DESC, last_used_at DESC, \
     created_at DESC";
pub const DELETE_SYNC_KEY: &str = "DELETE FROM sync_keys WHERE digest = ?1";
/// How stale a key's recorded use may get before `meta` writes it again: `meta` runs on
/// every sync, and a write per sync would cost more than the lookup itself. Eviction among
/// keys that have synced is least recently used to within this.
const KEY_USE_RECORDED_EVERY_SECONDS: i64 = 60;

/// Whether `meta` writes a key's use now: always at the key's first sync (a minted key's
/// `last_used_at` is below its `created_at` until then), so eviction can tell a device
/// that synced from a login that never did; after that at most once a minute.
pub fn key_use_needs_recording(created_at: i64, last_used_at: i64, now: i64) -> bool {
    last_used_at < created_at || last_used_at < now - KEY_USE_RECORDED_EVERY_SECONDS
}

/// Records a use at `?2`, never before the key's creation (a clock behind the one that
/// minted it), so the first sync always marks the key as synced.
pub const TOUCH_SYNC_KEY: &str = "UPDATE sync_keys SET last_used_at = \
     CASE WHEN created_at > ?2 THEN created_at ELSE ?2 END WHERE digest = ?1";

/// Live keys with their owners: the five columns `owner_from_row` reads, then the key's
/// `created_at` and `last_used_at`. A macro, so the single-key form below is built at
/// compile time.
macro_rules! owner_select {
    () => {
        "SELECT k.digest, u.id, u.username, u.credential_generation, u.created_at, \
         k.created_at, k.last_used_at FROM sync_keys k JOIN users u ON u.id = k.user_id \
         WHERE u.disabled = 0"
    };
}
pub const OWNER_SELECT: &str = owner_select!();
/// One key's owner, and when the key was created (column 5) and last used (column 6).
pub const SYNC_KEY_USE: &str = concat!(owner_select!(), " AND k.digest = ?1");

pub const INSERT_AUDIT: &str = "INSERT INTO audit_log (id, at, actor, action, user_id, detail) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
pub const RECENT_AUDIT: &str = "SELECT id, at, actor, action, user_id, detail FROM audit_log \
     ORDER BY id DESC LIMIT ?1";

pub const SELECT_INSTANCE: &str = "SELECT id, schema_version FROM instance";
pub const INSERT_INSTANCE: &str =
    "INSERT INTO instance (id, schema_version, created_at) VALUES (?1, ?2, ?3)";

// Whole-table reads and writes for `adminctl db copy`.
pub const ALL_USERS: &str = "SELECT id, username, email, password_hash, pbkdf2_hash, \
     credential_generation, is_admin, disabled, created_at, updated_at FROM users ORDER BY id";
pub const ALL_SYNC_KEYS: &str = "SELECT digest, user_id, created_at, last_used_at, \
     client_version, legacy FROM sync_keys ORDER BY digest";
pub const ALL_WEB_SESSIONS: &str = "SELECT s.digest, s.user_id, s.created_at, s.last_seen_at, \
     s.expires_at, COALESCE(b.user_agent, '') FROM web_sessions s \
     LEFT JOIN web_session_browsers b ON b.digest = s.digest ORDER BY s.digest";
pub const INSERT_WEB_SESSION: &str = "INSERT INTO web_sessions (digest, user_id, created_at, \
     last_seen_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)";
pub const INSERT_WEB_SESSION_BROWSER: &str =
    "INSERT INTO web_session_browsers (digest, user_agent) VALUES (?1, ?2)";
pub const ALL_RESET_TOKENS: &str = "SELECT digest, user_id, created_at, expires_at, used_at \
     FROM password_reset_tokens ORDER BY digest";
pub const INSERT_RESET_TOKEN: &str = "INSERT INTO password_reset_tokens (digest, user_id, \
     created_at, expires_at, used_at) VALUES (?1, ?2, ?3, ?4, ?5)";
pub const ALL_SETTINGS: &str = "SELECT name, value, updated_at FROM settings ORDER BY name";
pub const INSERT_SETTING: &str =
    "INSERT INTO settings (name, value, updated_at) VALUES (?1, ?2, ?3)";
pub const ALL_AUDIT: &str =
    "SELECT id, at, actor, action, user_id, detail FROM audit_log ORDER BY id";
/// Non-zero when any table but `instance` holds a row.
pub const COUNT_ROWS: &str = "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM \
     sync_keys) + (SELECT COUNT(*) FROM web_sessions) + (SELECT COUNT(*) FROM \
     password_reset_tokens) + (SELECT COUNT(*) FROM settings) + (SELECT COUNT(*) FROM audit_log)";

// Web sessions, devices, reset tokens, settings and the mail outbox (the web UI).
pub const SESSION_WITH_USER: &str = "SELECT s.digest, s.user_id, s.created_at, s.last_seen_at, \
     s.expires_at, COALESCE(b.user_agent, '') FROM web_sessions s JOIN users u ON u.id = s.user_id \
     LEFT JOIN web_session_browsers b ON b.digest = s.digest \
     WHERE s.digest = ?1 AND u.disabled = 0";
pub const TOUCH_WEB_SESSION: &str =
    "UPDATE web_sessions SET last_seen_at = ?2 WHERE digest = ?1 AND last_seen_at < ?2";
pub const DELETE_WEB_SESSION: &str = "DELETE FROM web_sessions WHERE digest = ?1";
pub const DELETE_USER_WEB_SESSION: &str =
    "DELETE FROM web_sessions WHERE digest = ?1 AND user_id = ?2";
pub const DELETE_EXPIRED_WEB_SESSIONS: &str =
    "DELETE FROM web_sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2";
pub const USER_WEB_SESSIONS: &str = "SELECT s.digest, s.user_id, s.created_at, \
     s.last_seen_at, s.expires_at, COALESCE(b.user_agent, '') FROM web_sessions s \
     LEFT JOIN web_session_browsers b ON b.digest = s.digest \
     WHERE s.user_id = ?1 ORDER BY s.last_seen_at DESC";
pub const USER_SYNC_KEYS: &str = "SELECT digest, user_id, created_at, last_used_at, \
     client_version, legacy FROM sync_keys WHERE user_id = ?1 ORDER BY last_used_at DESC";
pub const DELETE_USER_SYNC_KEY: &str = "DELETE FROM sync_keys WHERE digest = ?1 AND user_id = ?2";
/// Only the newest token of a user is valid: issuing one deletes the others.
pub const DELETE_USER_RESET_TOKENS: &str = "DELETE FROM password_reset_tokens WHERE user_id = ?1";
pub const VALID_RESET_TOKEN: &str = "SELECT t.user_id FROM password_reset_tokens t \
     JOIN users u ON u.id = t.user_id WHERE t.digest = ?1 AND t.used_at IS NULL \
     AND t.expires_at > ?2 AND u.disabled = 0";
pub const USE_RESET_TOKEN: &str = "UPDATE password_reset_tokens SET used_at = ?2 \
     WHERE digest = ?1 AND used_at IS NULL AND expires_at > ?2";
pub const DELETE_SETTING: &str = "DELETE FROM settings WHERE name = ?1";
pub const INSERT_MAIL: &str = "INSERT INTO mail_outbox (id, recipient, subject, body, \
     created_at, next_attempt_at, attempts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
pub const DUE_MAIL: &str = "SELECT id, recipient, subject, body, created_at, next_attempt_at, \
     attempts FROM mail_outbox WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at LIMIT ?2";
pub const DELETE_MAIL: &str = "DELETE FROM mail_outbox WHERE id = ?1";
pub const RETRY_MAIL: &str =
    "UPDATE mail_outbox SET attempts = ?2, next_attempt_at = ?3 WHERE id = ?1";

/// `?1` -> `$1`, for PostgreSQL. (No statement here has a `?` inside a string literal.)
pub fn numbered_dollars(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renumbered_for_postgres() {
        assert_eq!(
            numbered_dollars("WHERE a = ?1 OR b = ?12 AND c = '?'"),
            "WHERE a = $1 OR b = $12 AND c = '?'"
        );
    }
}
