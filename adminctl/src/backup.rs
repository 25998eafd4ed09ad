//! `adminctl backup list USER`: a user's collection snapshots (newest first) and the disk
//! space the user's files take. Reads the files only; it needs no running server.

use std::path::Path;

use clap::Subcommand;
use flashcard_flow_server::admin::{exit, AdminError, AdminSession};
use flashcard_flow_server::collection::file::{collection_path, media_folder};
use flashcard_flow_server::collection::snapshots::{self, backups_dir};
use flashcard_flow_server::config::GlobalOptions;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// List a user's snapshots and the space their files take
    List {
        /// Username or email
        user: String,
    },
}

pub fn run(global: &GlobalOptions, command: &BackupCommand, json: bool) -> Result<u8, AdminError> {
    let session = AdminSession::open(global, "adminctl")?;
    match command {
        BackupCommand::List { user } => list(&session, user, json),
    }
}

/// Bytes under `path` (a file, or a folder's files), 0 when it does not exist.
fn disk_use(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta.len(),
        Ok(meta) if meta.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| disk_use(&e.path())).sum())
            .unwrap_or(0),
        _ => 0,
    }
}

fn list(session: &AdminSession, login: &str, json: bool) -> Result<u8, AdminError> {
    let user = session.find_user(login)?;
    let data_dir = &session.config.data_dir;
    let listed =
        snapshots::list(data_dir, user.id).map_err(|e| AdminError::Internal(e.to_string()))?;
    let collection = collection_path(data_dir, user.id);
    let sizes = [
        (
            "collection",
            disk_use(&collection) + disk_use(&collection.with_extension("anki2-wal")),
        ),
        ("media", disk_use(&media_folder(data_dir, user.id))),
        ("snapshots", disk_use(&backups_dir(data_dir, user.id))),
    ];
    if json {
        let disk: serde_json::Map<String, serde_json::Value> = sizes
            .iter()
            .map(|(k, v)| ((*k).to_string(), serde_json::json!(v)))
            .collect();
        let out = serde_json::json!({
            "user": user.username, "snapshots": listed, "disk_bytes": disk,
        });
        println!("{out}");
        return Ok(exit::OK);
    }
    println!("Snapshots of {} (newest first):", user.username);
    if listed.is_empty() {
        println!("  none yet");
    }
    for s in &listed {
        println!(
            "  {:<34} {:<9} {:>7} notes {:>7} cards {:>8} reviews {:>10} bytes",
            s.id,
            s.reason.as_str(),
            s.notes,
            s.cards,
            s.reviews,
            s.bytes
        );
    }
    println!("Disk use:");
    for (what, bytes) in sizes {
        println!("  {what:<11} {bytes} bytes");
    }
    Ok(exit::OK)
}
