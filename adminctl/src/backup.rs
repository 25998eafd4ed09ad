//! `adminctl backup list USER`: a user's collection snapshots (newest first) and the disk
//! space the user's files take. Reads the files only; it needs no running server.

use clap::Subcommand;
use flashcard_flow_server::admin::{exit, AdminError, AdminSession};
use flashcard_flow_server::collection::snapshots;
use flashcard_flow_server::config::GlobalOptions;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// List a user's snapshots and the space their files take
    List {
        /// Username or email
        user: String,
    },
    /// Take a snapshot of a user's collection now (of every user's with --all)
    Create {
        /// Username or email
        #[arg(required_unless_present = "all")]
        user: Option<String>,
        #[arg(long, conflicts_with = "user")]
        all: bool,
    },
    /// Put a snapshot back as the user's collection. The collection it replaces is kept as
    /// a snapshot first; every device is then asked to choose a full sync, and should
    /// choose Download.
    Restore {
        /// Username or email
        user: String,
        /// The snapshot's id, as `backup list` shows it
        snapshot: String,
    },
}

pub fn run(global: &GlobalOptions, command: &BackupCommand, json: bool) -> Result<u8, AdminError> {
    let mut session = AdminSession::open(global, "adminctl")?;
    match command {
        BackupCommand::List { user } => list(&session, user, json),
        BackupCommand::Create { user, all } => create(&mut session, user.as_deref(), *all, json),
        BackupCommand::Restore { user, snapshot } => restore(&mut session, user, snapshot, json),
    }
}

fn list(session: &AdminSession, login: &str, json: bool) -> Result<u8, AdminError> {
    let user = session.find_user(login)?;
    let data_dir = &session.config.data_dir;
    let listed =
        snapshots::list(data_dir, user.id).map_err(|e| AdminError::Internal(e.to_string()))?;
    let sizes = crate::disk::user_disk_use(data_dir, user.id);
    if json {
        let disk = crate::disk::as_json(&sizes);
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
    for (what, bytes) in crate::disk::PARTS.iter().zip(sizes) {
        println!("  {what:<11} {bytes} bytes");
    }
    Ok(exit::OK)
}

fn create(
    session: &mut AdminSession,
    user: Option<&str>,
    all: bool,
    json: bool,
) -> Result<u8, AdminError> {
    let users = match (user, all) {
        (Some(login), _) => vec![session.find_user(login)?],
        (None, true) => session.store.list_users()?,
        (None, false) => return Err(AdminError::BadInput("name a user, or give --all".into())),
    };
    let mut taken = Vec::new();
    for user in users {
        let id = session.take_snapshot(user.id)?;
        if !json {
            match &id {
                Some(id) => println!("{}: snapshot {id}", user.username),
                None => println!("{}: no collection yet, nothing to copy", user.username),
            }
        }
        taken.push(serde_json::json!({"user": user.username, "snapshot": id}));
    }
    if json {
        println!("{}", serde_json::json!({ "taken": taken }));
    }
    Ok(exit::OK)
}

fn restore(
    session: &mut AdminSession,
    login: &str,
    snapshot: &str,
    json: bool,
) -> Result<u8, AdminError> {
    let user = session.find_user(login)?;
    let kept_as = session.restore_snapshot(user.id, snapshot)?;
    if json {
        println!(
            "{}",
            serde_json::json!({"user": user.username, "restored": snapshot, "kept_as": kept_as})
        );
    } else {
        println!("Restored {snapshot} for {}.", user.username);
        if let Some(kept) = kept_as {
            println!(
                "The collection it replaced is kept as snapshot {kept} (restore that to undo)."
            );
        }
        println!(
            "Each of the user's devices will ask to choose between upload and download at its \
             next sync: choose Download to get the restored collection."
        );
    }
    Ok(exit::OK)
}
