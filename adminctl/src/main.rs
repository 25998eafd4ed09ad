//! `adminctl`: the operator's tool. Accounts and password resets, against the same
//! database as the server, with the running server told at once over the control socket.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flashcard_flow_server::admin::{
    self, exit, read_password, server_not_told_warning, AdminError, AdminSession, PasswordSource,
    ResetPasswordArgs, ServerNotice,
};
use flashcard_flow_server::config::GlobalOptions;

mod backup;
mod db;
mod disk;
mod import;
mod users;

const EXIT_CODES: &str = "\
Exit codes:
  0  done (and the running server refreshed, or no server running)
  1  bad input: unknown user, password refused by policy, invalid arguments
  2  internal or database error
  3  the database was updated but the running server could not be told
  4  the running server uses a different database (nothing written)";

/// Manage flashcard-flow accounts and reset passwords.
///
/// Finds the database the way the server does (flags, environment, config file, data
/// dir). If a server is running, it is told about every change at once.
#[derive(Parser)]
#[command(name = "adminctl", version, about, after_help = EXIT_CODES)]
struct Cli {
    #[command(flatten)]
    global: GlobalOptions,
    /// Print machine-readable JSON on standard output
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, list, disable, enable and delete users
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// Set a new password: rewrites both password hashes, signs out every Anki device and
    /// web session, and refreshes the running server
    ResetPassword(ResetPasswordArgs),
    /// Show the database and the running server's state
    Status,
    /// Take over users, collections and media from the official Anki sync server
    ImportAnkiServer(import::ImportArgs),
    /// A user's collection snapshots
    Backup {
        #[command(subcommand)]
        command: backup::BackupCommand,
    },
    /// Move the account database between engines
    Db {
        #[command(subcommand)]
        command: db::DbCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::ResetPassword(args) => {
            admin::run_reset_password(&cli.global, args, cli.json, "adminctl")
        }
        Command::User { command } => report(users::run(&cli.global, command, cli.json)),
        Command::Status => report(status(&cli.global, cli.json)),
        Command::Db { command } => report(db::run(&cli.global, command, cli.json)),
        Command::Backup { command } => report(backup::run(&cli.global, command, cli.json)),
        Command::ImportAnkiServer(args) => report(import::run(&cli.global, args, cli.json)),
    };
    ExitCode::from(code)
}

fn report(result: Result<u8, AdminError>) -> u8 {
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        e.exit_code()
    })
}

/// Prints the outcome of telling the server, and returns the exit code it implies.
pub(crate) fn server_notice_code(notice: &ServerNotice, json: bool) -> u8 {
    match notice {
        ServerNotice::Refreshed { .. } => {
            if !json {
                println!("The running server was refreshed.");
            }
            exit::OK
        }
        ServerNotice::NotRunning => {
            if !json {
                println!("No running server found; the change applies when the server starts.");
            }
            exit::OK
        }
        ServerNotice::Failed(reason) => {
            eprintln!("{}", server_not_told_warning(reason));
            exit::SERVER_NOT_TOLD
        }
    }
}

pub(crate) fn password_source(stdin: bool, generate: bool) -> PasswordSource {
    if stdin {
        PasswordSource::Stdin
    } else if generate {
        PasswordSource::Generate
    } else {
        PasswordSource::Prompt
    }
}

fn status(global: &GlobalOptions, json: bool) -> Result<u8, AdminError> {
    let mut session = AdminSession::open(global, "adminctl")?;
    let identity = session.store.identity().clone();
    let listed = session.store.list_users()?;
    let users = listed.len();
    let disk: Vec<(String, [u64; 4])> = listed
        .iter()
        .map(|u| {
            (
                u.username.clone(),
                disk::user_disk_use(&session.config.data_dir, u.id),
            )
        })
        .collect();
    let mut totals = [0u64; 4];
    for (_, sizes) in &disk {
        for (total, part) in totals.iter_mut().zip(sizes) {
            *total += part;
        }
    }
    let server = session.server_status();
    if json {
        let server_json = match &server {
            None => serde_json::json!({"running": false}),
            Some(Ok(s)) => serde_json::json!({
                "running": true, "version": s.server_version, "pid": s.pid,
                "uptime_secs": s.uptime_secs, "cached_users": s.cached_users,
                "cached_host_keys": s.cached_host_keys, "active_syncs": s.active_syncs,
            }),
            Some(Err(e)) => serde_json::json!({"running": true, "error": e}),
        };
        println!(
            "{}",
            serde_json::json!({
                "database": {"engine": identity.engine, "location": identity.location,
                             "instance_id": identity.instance_id},
                "users": users,
                "disk_bytes": {
                    "total": disk::as_json(&totals),
                    "users": disk.iter()
                        .map(|(name, sizes)| (name.clone(), disk::as_json(sizes)))
                        .collect::<serde_json::Map<_, _>>(),
                },
                "control_socket": session.config.control_socket.display().to_string(),
                "server": server_json,
            })
        );
    } else {
        println!(
            "Database:       {} {} (instance {})",
            identity.engine, identity.location, identity.instance_id
        );
        println!("Users:          {users}");
        let parts = |sizes: &[u64; 4]| {
            disk::PARTS
                .iter()
                .zip(sizes)
                .map(|(what, bytes)| format!("{what} {bytes}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!("Disk use:       {} (bytes)", parts(&totals));
        for (name, sizes) in &disk {
            println!("  {name:<20} {}", parts(sizes));
        }
        println!(
            "Control socket: {}",
            session.config.control_socket.display()
        );
        match &server {
            None => println!("Server:         not running"),
            Some(Ok(s)) => println!(
                "Server:         running, version {}, pid {}, up {}s, {} cached keys for {} users, {} active syncs",
                s.server_version, s.pid, s.uptime_secs, s.cached_host_keys, s.cached_users, s.active_syncs
            ),
            Some(Err(e)) => eprintln!("Server:         not reachable: {e}"),
        }
    }
    Ok(match server {
        Some(Err(_)) => exit::SERVER_NOT_TOLD,
        _ => exit::OK,
    })
}

// `read_password` is re-exported for the user commands.
pub(crate) use read_password as read_new_password;
