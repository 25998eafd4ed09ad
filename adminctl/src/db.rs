//! `adminctl db copy`: moves a whole account database to another engine (SQLite to
//! PostgreSQL or back), so users keep their passwords, Anki devices and web sessions.
//! `adminctl db backup`: a consistent copy of the account database while the server runs.

use std::io::IsTerminal;
use std::path::Path;

use clap::Subcommand;
use flashcard_flow_server::admin::{act_as_owner_of, exit, AdminError};
use flashcard_flow_server::config::{redact_url, Config, GlobalOptions, ServerOptions};
use flashcard_flow_server::store::{self, DatabaseLocation, Store, StoreError};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Subcommand)]
pub enum DbCommand {
    /// Copy every user, host key, web session, reset token, setting and audit row into an
    /// empty database. Stop the server first: changes made during the copy are not moved.
    Copy {
        /// The database to read: sqlite:///path/accounts.sqlite3 or postgres://...
        #[arg(long, value_name = "URL")]
        from: String,
        /// The empty database to fill (created and initialised if needed)
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Write a consistent copy of the account database to a new file while the server
    /// runs: SQLite with VACUUM INTO (checked, mode 0600); PostgreSQL with pg_dump
    /// --format=custom (restore with pg_restore)
    Backup {
        /// The new file (never overwritten)
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
}

pub fn run(global: &GlobalOptions, command: &DbCommand, json: bool) -> Result<u8, AdminError> {
    match command {
        DbCommand::Copy { from, to } => copy(global, from, to, json),
        DbCommand::Backup { to } => backup(global, to, json),
    }
}

fn location(url: &str, data_dir: &Path) -> Result<DatabaseLocation, AdminError> {
    store::database_location(Some(url), data_dir).map_err(|e| AdminError::BadInput(e.to_string()))
}

fn open(url: &str, data_dir: &Path, role: &str) -> Result<std::sync::Arc<dyn Store>, AdminError> {
    store::open(Some(url), data_dir).map_err(|e| match e {
        StoreError::InvalidUrl(_) | StoreError::UnsupportedUrl(_) => {
            AdminError::BadInput(format!("{role}: {e}"))
        }
        other => AdminError::Internal(format!("{role}: {other}")),
    })
}

fn copy(global: &GlobalOptions, from: &str, to: &str, json: bool) -> Result<u8, AdminError> {
    let config = Config::resolve(global, &ServerOptions::default())
        .map_err(|e| AdminError::BadInput(e.to_string()))?;
    let (source_loc, target_loc) = (
        location(from, &config.data_dir)?,
        location(to, &config.data_dir)?,
    );
    if let DatabaseLocation::Sqlite(path) = &source_loc {
        if !path.exists() {
            return Err(AdminError::BadInput(format!(
                "no database at {}",
                path.display()
            )));
        }
    }
    // As root, act as the owner of the SQLite side, so no root-owned files are left behind.
    let sqlite_side = [&target_loc, &source_loc]
        .into_iter()
        .find_map(|l| match l {
            DatabaseLocation::Sqlite(path) => Some(path.clone()),
            DatabaseLocation::Postgres(_) => None,
        });
    if let Some(path) = sqlite_side {
        act_as_owner_of(&path).map_err(|e| AdminError::Internal(e.to_string()))?;
    }

    let source = open(from, &config.data_dir, "source")?;
    let target = open(to, &config.data_dir, "target")?;
    let (s, t) = (source.identity().clone(), target.identity().clone());
    if s.instance_id == t.instance_id {
        return Err(AdminError::BadInput(
            "the source and the target are the same database".into(),
        ));
    }
    let dump = source.export()?;
    let bar = if std::io::stderr().is_terminal() && !json {
        ProgressBar::new(dump.row_count())
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} rows ({eta} left)") {
        bar.set_style(style);
    }
    let imported = target.import(&dump, &mut |n| bar.inc(n));
    bar.finish_and_clear();
    imported.map_err(|e| match e {
        StoreError::NotEmpty(_) => {
            AdminError::BadInput(format!("{e} ({} {})", t.engine, t.location))
        }
        other => AdminError::Internal(other.to_string()),
    })?;

    if json {
        println!(
            "{}",
            serde_json::json!({
                "from": {"engine": s.engine, "location": s.location},
                "to": {"engine": t.engine, "location": t.location, "instance_id": t.instance_id},
                "users": dump.users.len(), "sync_keys": dump.sync_keys.len(),
                "web_sessions": dump.web_sessions.len(), "reset_tokens": dump.reset_tokens.len(),
                "settings": dump.settings.len(), "audit_rows": dump.audit.len(),
            })
        );
    } else {
        println!(
            "Copied {} users, {} Anki host keys, {} web sessions, {} reset tokens, {} settings \
             and {} audit rows",
            dump.users.len(),
            dump.sync_keys.len(),
            dump.web_sessions.len(),
            dump.reset_tokens.len(),
            dump.settings.len(),
            dump.audit.len()
        );
        println!("  from {} {}", s.engine, redact_url(&s.location));
        println!("  to   {} {}", t.engine, redact_url(&t.location));
        println!(
            "Point the server at the new database (DATABASE_URL or --database-url) and restart it."
        );
    }
    Ok(exit::OK)
}

fn backup(global: &GlobalOptions, to: &Path, json: bool) -> Result<u8, AdminError> {
    use flashcard_flow_server::store::backup::{backup_database, DbBackupError};
    let config = Config::resolve(global, &ServerOptions::default())
        .map_err(|e| AdminError::BadInput(e.to_string()))?;
    let location = store::database_location(config.database_url(), &config.data_dir)
        .map_err(|e| AdminError::BadInput(e.to_string()))?;
    let made = backup_database(&location, to).map_err(|e| match e {
        DbBackupError::Exists(_)
        | DbBackupError::NoDatabase(_)
        | DbBackupError::BadUrl(_)
        | DbBackupError::NoPgDump { .. } => AdminError::BadInput(e.to_string()),
        other => AdminError::Internal(other.to_string()),
    })?;
    if json {
        let out = serde_json::json!({
            "file": made.path.display().to_string(),
            "engine": made.engine,
            "bytes": made.bytes,
            "users": made.users,
            "tables": made.tables,
        });
        println!("{out}");
        return Ok(exit::OK);
    }
    match made.engine {
        "sqlite" => println!(
            "Copied the account database ({} users, {} bytes) to {}. It passed SQLite's \
             integrity check; it is a complete database: point --database-url at it \
             (sqlite://{}) to use it.",
            made.users.unwrap_or(0),
            made.bytes,
            made.path.display(),
            made.path.display()
        ),
        _ => println!(
            "Dumped the account database ({} tables, {} bytes) to {} with pg_dump. \
             Restore it into an empty database with: pg_restore --no-owner --dbname <URL> {}",
            made.tables.unwrap_or(0),
            made.bytes,
            made.path.display(),
            made.path.display()
        ),
    }
    Ok(exit::OK)
}
