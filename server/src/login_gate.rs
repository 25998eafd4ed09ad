//! The one door every password check passes through, for Anki's `/sync/hostKey`, web
//! sign-in, `POST /api/login` and the account page's current-password check: the login
//! limits first (before any hashing), then the hash on the bounded hashing pool, then one
//! log line for a refusal. Callers only turn the [`LoginCheck`] into their own status.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::accounts::{self, Admission, HashingPoolError, LoginKind, WebLogin};
use crate::state::Core;
use crate::store::User;

/// Which password is checked, and so which hash and which counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginPath {
    /// `/sync/hostKey`: the PBKDF2 hash.
    Anki,
    /// Web sign-in and `/api/login`: the Argon2id hash.
    Web,
    /// The account page's current password, for a user already signed in.
    CurrentPassword,
}

impl LoginPath {
    fn kind(self) -> LoginKind {
        match self {
            LoginPath::Anki | LoginPath::Web => LoginKind::Password,
            LoginPath::CurrentPassword => LoginKind::CurrentPassword,
        }
    }

    fn label(self) -> &'static str {
        match self {
            LoginPath::Anki => "anki login",
            LoginPath::Web => "web login",
            LoginPath::CurrentPassword => "current-password check",
        }
    }
}

/// What a password check came to.
#[derive(Debug)]
pub enum LoginCheck {
    Verified(User),
    /// Wrong password, unknown or disabled account: the same answer after the same work.
    Refused,
    /// Web sign-in only: the right password for a disabled account.
    Disabled,
    /// Over the login limit: nothing was checked; come back after this long.
    Limited {
        retry_after: Duration,
    },
    /// The hashing queue is full: nothing was checked or counted.
    Busy,
    /// The database or the hashing thread failed.
    Failed,
}

/// Longest login name looked up (a username is at most 64 characters, an email 254).
pub const MAX_LOGIN_LEN: usize = 320;

/// Checks `password` for the account named `login` (as given), from `address`.
pub async fn check(
    state: &Core,
    path: LoginPath,
    address: IpAddr,
    login: &str,
    password: SecretString,
) -> LoginCheck {
    use secrecy::ExposeSecret;
    let ticket = match admit(state, path, address, login).await {
        Ok(ticket) => ticket,
        Err(retry_after) => {
            tracing::info!(login = ?shown(login), %address, retry_after_ms = retry_after.as_millis() as u64,
                "{}: over the login limit", path.label());
            return LoginCheck::Limited { retry_after };
        }
    };
    // Over-long input is never hashed (SECURITY.md T10), but it counts as a failure.
    if login.len() > MAX_LOGIN_LEN || accounts::exceeds_max_length(password.expose_secret()) {
        ticket.failed();
        tracing::info!(login = ?shown(login), %address, "{} refused: over the length limit", path.label());
        return LoginCheck::Refused;
    }
    let store = std::sync::Arc::clone(&state.store);
    let lookup = login.to_string();
    let verified = state
        .hashing
        .run(move || match path {
            LoginPath::Anki => accounts::verify_anki_login(&*store, &lookup, &password)
                .map(|u| u.map_or(WebLogin::Refused, WebLogin::Verified)),
            LoginPath::Web => accounts::check_web_login(&*store, &lookup, &password),
            LoginPath::CurrentPassword => accounts::verify_web_login(&*store, &lookup, &password)
                .map(|u| u.map_or(WebLogin::Refused, WebLogin::Verified)),
        })
        .await;
    match verified {
        Ok(Ok(WebLogin::Verified(user))) => {
            ticket.succeeded();
            LoginCheck::Verified(user)
        }
        Ok(Ok(WebLogin::Disabled)) => {
            // Counted as a failure: a disabled account gains no attempts by being right.
            ticket.failed();
            tracing::info!(login = ?shown(login), %address, "{} refused: account disabled", path.label());
            LoginCheck::Disabled
        }
        Ok(Ok(WebLogin::Refused)) => {
            ticket.failed();
            tracing::info!(login = ?shown(login), %address, "{} refused", path.label());
            LoginCheck::Refused
        }
        Err(HashingPoolError::Busy) => {
            // Not checked, so not a failure of this login: the attempt is not counted.
            ticket.unchecked();
            tracing::warn!(%address, "{}: hashing queue full, shed", path.label());
            LoginCheck::Busy
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "{}: user lookup failed", path.label());
            LoginCheck::Failed
        }
        Err(HashingPoolError::Failed) => {
            tracing::error!("{}: hashing task failed", path.label());
            LoginCheck::Failed
        }
    }
}

/// Admits an attempt, waiting for its turn. An attempt queued past the longest wait is
/// asked once more after that wait: if the attempts ahead of it were someone's own devices
/// signing in together, they have succeeded by then and this one goes ahead; if they were
/// guesses, it is refused with the wait that is left.
async fn admit(
    state: &Core,
    path: LoginPath,
    address: IpAddr,
    login: &str,
) -> Result<accounts::LoginTicket, Duration> {
    let limits = &state.login_limits;
    let mut asked_again = false;
    loop {
        match limits.admit(path.kind(), address, login, Instant::now()) {
            Admission::Proceed { wait, ticket } => {
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
                return Ok(ticket);
            }
            Admission::Refused { retry_after } if asked_again => return Err(retry_after),
            Admission::Refused { retry_after } => {
                asked_again = true;
                tokio::time::sleep(retry_after.min(limits.policy().max_delay)).await;
            }
        }
    }
}

/// The login name as given, for the log: at most 64 characters, and logged with `?` so
/// control characters are escaped and cannot forge a log line.
fn shown(login: &str) -> String {
    login.chars().take(64).collect()
}
