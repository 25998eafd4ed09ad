//! Moving over from the official sync server: its `SYNC_USERn` accounts (plain or
//! `PASSWORDS_HASHED`) and its data directory (`SYNC_BASE/<username>/collection.anki2`,
//! `media/`, `media.db`, protocol §2.5) become flashcard-flow users with the same
//! collections and media, optionally keeping their Anki devices logged in (DESIGN §3).
//!
//! Each user's files are copied into a staging folder named after the new user's id
//! first; the account is created after that (one transaction), and only then is the folder
//! renamed into place. After a crash the next import finishes the job: a staging folder
//! whose account exists is moved into place, any other is removed.

use std::path::{Path, PathBuf};

use r2d2_sqlite::rusqlite::OpenFlags;
use secrecy::{ExposeSecret, SecretString};

use crate::accounts::{self, ImportedAccount, ImportedPassword};
use crate::collection::file as collection_file;

use super::{AdminError, AdminSession};

/// One `SYNC_USERn` entry: `username:password` or `username:<PHC string>`.
pub struct OfficialUser {
    pub username: String,
    pub secret: SecretString,
    /// The whole value, from which the official server derived its host key.
    pub value: SecretString,
}

/// Everything the official server's configuration says about its users.
pub struct OfficialUsers {
    pub users: Vec<OfficialUser>,
    pub passwords_hashed: bool,
}

fn parse_value(name: &str, value: &str) -> Result<OfficialUser, AdminError> {
    let (username, secret) = value
        .split_once(':')
        .ok_or_else(|| AdminError::BadInput(format!("{name}: expected username:password")))?;
    Ok(OfficialUser {
        username: username.to_string(),
        secret: SecretString::from(secret.to_string()),
        value: SecretString::from(value.to_string()),
    })
}

/// `SYNC_USER1`, `SYNC_USER2`, ... from the environment, up to the first gap, as the
/// official server reads them.
pub fn users_from_env() -> Result<OfficialUsers, AdminError> {
    let mut users = Vec::new();
    for n in 1.. {
        let name = format!("SYNC_USER{n}");
        let Ok(value) = std::env::var(&name) else {
            break;
        };
        users.push(parse_value(&name, &value)?);
    }
    Ok(OfficialUsers {
        users,
        passwords_hashed: std::env::var_os("PASSWORDS_HASHED").is_some(),
    })
}

/// The same from a file of `SYNC_USERn=...` lines (an env file or a systemd
/// `Environment=` list pasted into a file); `#` comments, `export ` and quotes are allowed.
pub fn users_from_file(path: &Path) -> Result<OfficialUsers, AdminError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AdminError::BadInput(format!("cannot read {}: {e}", path.display())))?;
    let mut numbered = Vec::new();
    let mut passwords_hashed = false;
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        let key = key.trim();
        if key == "PASSWORDS_HASHED" {
            passwords_hashed = true;
        } else if let Some(n) = key
            .strip_prefix("SYNC_USER")
            .and_then(|n| n.parse::<u32>().ok())
        {
            numbered.push((n, parse_value(key, value)?));
        }
    }
    numbered.sort_by_key(|(n, _)| *n);
    Ok(OfficialUsers {
        users: numbered.into_iter().map(|(_, u)| u).collect(),
        passwords_hashed,
    })
}

/// What the import will do for one user.
pub struct PlannedUser {
    pub username: String,
    pub email: String,
    pub source: PathBuf,
    pub has_collection: bool,
    pub media_files: usize,
    pub has_media_db: bool,
}

pub fn plan_user(base: &Path, username: &str, email: String) -> Result<PlannedUser, AdminError> {
    accounts::validate_username(username)?;
    let source = base.join(username);
    let media_files = match std::fs::read_dir(source.join("media")) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .count(),
        Err(_) => 0,
    };
    Ok(PlannedUser {
        username: username.to_string(),
        email: accounts::normalise_email(&email)?,
        has_collection: source.join("collection.anki2").is_file(),
        has_media_db: source.join("media.db").is_file(),
        media_files,
        source,
    })
}

/// A consistent copy of a SQLite file (WAL included) through `VACUUM INTO`. The
/// official server keeps its files open with exclusive locks: it must be stopped first.
fn copy_database(source: &Path, dest: &Path) -> Result<(), AdminError> {
    let busy = |e: r2d2_sqlite::rusqlite::Error| {
        AdminError::BadInput(format!(
            "cannot read {} ({e}); stop the official sync server first",
            source.display()
        ))
    };
    let conn = collection_file::open(source, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(busy)?;
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(busy)?;
    if check != "ok" {
        return Err(AdminError::BadInput(format!(
            "{} is damaged: {check}",
            source.display()
        )));
    }
    conn.execute("VACUUM INTO ?1", [dest.to_string_lossy()])
        .map_err(busy)?;
    Ok(())
}

fn copy_files(plan: &PlannedUser, staging: &Path) -> Result<(), AdminError> {
    let io = |what: &str, e: std::io::Error| AdminError::Internal(format!("{what}: {e}"));
    std::fs::create_dir_all(staging.join("media")).map_err(|e| io("create folder", e))?;
    if plan.has_collection {
        copy_database(
            &plan.source.join("collection.anki2"),
            &staging.join("collection.anki2"),
        )?;
    }
    if plan.has_media_db {
        copy_database(&plan.source.join("media.db"), &staging.join("media.db"))?;
    }
    if let Ok(entries) = std::fs::read_dir(plan.source.join("media")) {
        for entry in entries.filter_map(Result::ok) {
            if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                std::fs::copy(entry.path(), staging.join("media").join(entry.file_name()))
                    .map_err(|e| io("copy media file", e))?;
            }
        }
    }
    Ok(())
}

const STAGING_PREFIX: &str = ".import-";

/// Completes or discards what an interrupted import left behind.
fn recover_staging(session: &AdminSession, users_dir: &Path) -> Result<(), AdminError> {
    let Ok(entries) = std::fs::read_dir(users_dir) else {
        return Ok(());
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_prefix(STAGING_PREFIX) else {
            continue;
        };
        let account = id
            .parse::<i64>()
            .ok()
            .map(|id| session.store.user_by_id(id))
            .transpose()?;
        match (id.parse::<i64>(), account.flatten()) {
            (Ok(id), Some(_)) => {
                let target = collection_file::user_dir(&session.config.data_dir, id);
                std::fs::rename(entry.path(), &target).map_err(|e| {
                    AdminError::Internal(format!("cannot finish an interrupted import: {e}"))
                })?;
            }
            _ => {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    Ok(())
}

/// Imports one planned user: files to a staging folder, then the account (and the legacy
/// host key), then the folder into place. Returns the new user's id.
pub fn import_one(
    session: &AdminSession,
    plan: &PlannedUser,
    official: &OfficialUser,
    passwords_hashed: bool,
    keep_anki_logins: bool,
) -> Result<i64, AdminError> {
    let users_dir = session.config.data_dir.join("users");
    std::fs::create_dir_all(&users_dir)
        .map_err(|e| AdminError::Internal(format!("cannot create {}: {e}", users_dir.display())))?;
    recover_staging(session, &users_dir)?;
    for login in [&plan.username, &plan.email] {
        if session.store.find_user(login)?.is_some() {
            return Err(AdminError::BadInput(format!(
                "a user {login:?} already exists"
            )));
        }
    }
    let id = crate::store::new_id();
    let staging = users_dir.join(format!("{STAGING_PREFIX}{id}"));
    let copied = copy_files(plan, &staging);
    if let Err(e) = copied {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let secret = SecretString::from(official.secret.expose_secret().to_string());
    let account = ImportedAccount {
        id,
        username: plan.username.clone(),
        email: plan.email.clone(),
        password: if passwords_hashed {
            ImportedPassword::Hashed(secret)
        } else {
            ImportedPassword::Plain(secret)
        },
        legacy_host_key: keep_anki_logins.then(|| accounts::official_host_key(&official.value)),
    };
    let user = match accounts::import_user(&*session.store, account, &session.actor) {
        Ok(user) => user,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e.into());
        }
    };
    let target = collection_file::user_dir(&session.config.data_dir, user.id);
    std::fs::rename(&staging, &target).map_err(|e| {
        AdminError::Internal(format!(
            "account created but its files are still in {}: {e}",
            staging.display()
        ))
    })?;
    Ok(user.id)
}
