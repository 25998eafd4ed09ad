//! A consistent copy of the account database, taken while the server runs (`adminctl db
//! backup`). SQLite: `VACUUM INTO` reads one snapshot of the database in a single read
//! transaction (writers go on meanwhile), the copy is checked and counted, made private
//! (it holds password hashes and token digests) and renamed into place. PostgreSQL:
//! `pg_dump --format=custom`, which is consistent by itself, given the connection in its
//! environment (never in its argv, where `ps` would show the password), then listed back
//! with `pg_restore --list` as the check.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use r2d2_sqlite::rusqlite::{Connection, OpenFlags};

use super::DatabaseLocation;
use crate::config::redact_url;

#[derive(Debug, thiserror::Error)]
pub enum DbBackupError {
    #[error("{0} exists already; choose a new file (a backup never overwrites one)")]
    Exists(PathBuf),
    #[error("there is no account database at {0}")]
    NoDatabase(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("copying the database: {0}")]
    Sqlite(#[from] r2d2_sqlite::rusqlite::Error),
    #[error("the copy failed its check: {0}")]
    CheckFailed(String),
    #[error("{0}")]
    BadUrl(String),
    #[error(
        "pg_dump was not found. Install the PostgreSQL client (Debian: apt install \
         postgresql-client), or run it yourself: pg_dump --format=custom --file {file} \
         '{url}' (the password from PGPASSWORD or ~/.pgpass)"
    )]
    NoPgDump { file: String, url: String },
    #[error("{tool} failed: {message}")]
    Tool { tool: &'static str, message: String },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> DbBackupError + '_ {
    move |source| DbBackupError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What the copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbBackup {
    pub path: PathBuf,
    pub bytes: u64,
    /// The engine's name: `sqlite` or `postgres`.
    pub engine: &'static str,
    /// Users in the copy (SQLite), or tables in the dump's listing (PostgreSQL).
    pub users: Option<i64>,
    pub tables: Option<usize>,
}

/// Copies the database at `location` to the new file `to`. Blocking.
pub fn backup_database(location: &DatabaseLocation, to: &Path) -> Result<DbBackup, DbBackupError> {
    if to.exists() {
        return Err(DbBackupError::Exists(to.to_owned()));
    }
    let dir = to
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The copy is made in a private folder beside its final name (it holds password
    // hashes, and VACUUM INTO creates its file with the umask's mode), then renamed out.
    let work = dir.join(format!(
        ".{name}.partial-{}",
        hex::encode(rand::random::<[u8; 6]>())
    ));
    fs::create_dir(&work).map_err(io_at(&work))?;
    fs::set_permissions(&work, fs::Permissions::from_mode(0o700)).map_err(io_at(&work))?;
    let partial = work.join("copy");
    let made = match location {
        DatabaseLocation::Sqlite(source) => sqlite_copy(source, &partial),
        DatabaseLocation::Postgres(url) => pg_dump(url, &partial, to),
    };
    let finished = made.and_then(|mut backup| {
        fs::set_permissions(&partial, fs::Permissions::from_mode(0o600))
            .map_err(io_at(&partial))?;
        File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(io_at(&partial))?;
        fs::rename(&partial, to).map_err(io_at(to))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_at(dir))?;
        backup.path = to.to_owned();
        Ok(backup)
    });
    let _ = fs::remove_dir_all(&work);
    finished
}

fn sqlite_copy(source: &Path, partial: &Path) -> Result<DbBackup, DbBackupError> {
    if !source.is_file() {
        return Err(DbBackupError::NoDatabase(source.to_owned()));
    }
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute("VACUUM INTO ?1", [partial.to_string_lossy().as_ref()])?;
    drop(conn);
    let copy = Connection::open_with_flags(partial, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let verdict: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if verdict != "ok" {
        return Err(DbBackupError::CheckFailed(verdict));
    }
    let users: i64 = copy.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    drop(copy);
    Ok(DbBackup {
        path: partial.to_owned(),
        bytes: fs::metadata(partial).map_err(io_at(partial))?.len(),
        engine: "sqlite",
        users: Some(users),
        tables: None,
    })
}

/// The libpq environment of a connection URL: host, port, user, database and password.
fn pg_environment(url: &str) -> Result<Vec<(&'static str, String)>, DbBackupError> {
    let config = postgres::Config::from_str(url)
        .map_err(|e| DbBackupError::BadUrl(format!("the database URL does not parse: {e}")))?;
    let mut env = Vec::new();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.to_string_lossy().into_owned(),
        })
        .collect();
    if !hosts.is_empty() {
        env.push(("PGHOST", hosts.join(",")));
    }
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    if !ports.is_empty() {
        env.push(("PGPORT", ports.join(",")));
    }
    if let Some(user) = config.get_user() {
        env.push(("PGUSER", user.to_string()));
    }
    if let Some(db) = config.get_dbname() {
        env.push(("PGDATABASE", db.to_string()));
    }
    if let Some(password) = config.get_password() {
        env.push(("PGPASSWORD", String::from_utf8_lossy(password).into_owned()));
    }
    Ok(env)
}

fn pg_dump(url: &str, partial: &Path, to: &Path) -> Result<DbBackup, DbBackupError> {
    let env = pg_environment(url)?;
    let dumped = Command::new("pg_dump")
        .args(["--format=custom", "--no-password", "--file"])
        .arg(partial)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output();
    let output = match dumped {
        Ok(output) => output,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(DbBackupError::NoPgDump {
                file: to.display().to_string(),
                url: redact_url(url),
            })
        }
        Err(e) => return Err(io_at(Path::new("pg_dump"))(e)),
    };
    if !output.status.success() {
        return Err(DbBackupError::Tool {
            tool: "pg_dump",
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    let listed = Command::new("pg_restore")
        .arg("--list")
        .arg(partial)
        .output()
        .map_err(io_at(Path::new("pg_restore")))?;
    if !listed.status.success() {
        return Err(DbBackupError::CheckFailed(
            String::from_utf8_lossy(&listed.stderr).trim().to_string(),
        ));
    }
    let listing = String::from_utf8_lossy(&listed.stdout);
    let tables = listing
        .lines()
        .filter(|l| l.contains(" TABLE DATA "))
        .count();
    if !listing.contains(" TABLE DATA public users ") {
        return Err(DbBackupError::CheckFailed(
            "the dump holds no users table: is this the account database?".into(),
        ));
    }
    Ok(DbBackup {
        path: partial.to_owned(),
        bytes: fs::metadata(partial).map_err(io_at(partial))?.len(),
        engine: "postgres",
        users: None,
        tables: Some(tables),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_goes_to_the_environment() {
        let env = pg_environment("postgres://ff:s3cret@db.example:5433/accounts").expect("url");
        assert_eq!(
            env,
            [
                ("PGHOST", "db.example".to_string()),
                ("PGPORT", "5433".to_string()),
                ("PGUSER", "ff".to_string()),
                ("PGDATABASE", "accounts".to_string()),
                ("PGPASSWORD", "s3cret".to_string()),
            ]
        );
    }

    #[test]
    fn a_sqlite_copy_is_checked_private_and_never_overwrites() {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = dir.path().join("accounts.sqlite3");
        let conn = Connection::open(&source).expect("open");
        conn.execute_batch("CREATE TABLE users (id INTEGER); INSERT INTO users VALUES (1), (2);")
            .expect("fill");
        let to = dir.path().join("copy.sqlite3");
        let location = DatabaseLocation::Sqlite(source.clone());
        let made = backup_database(&location, &to).expect("backup");
        assert_eq!(made.users, Some(2));
        let mode = fs::metadata(&to).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(matches!(
            backup_database(&location, &to),
            Err(DbBackupError::Exists(_))
        ));
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "no partial file is left: {names:?}");
    }
}
