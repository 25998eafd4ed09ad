//! `adminctl user ...`: account management.

use clap::Subcommand;
use flashcard_flow_server::accounts::{self, NewAccount};
use flashcard_flow_server::admin::{exit, AdminError, AdminSession};
use flashcard_flow_server::config::GlobalOptions;
use secrecy::ExposeSecret;

use crate::{password_source, read_new_password, server_notice_code};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user (prompts for the password on a terminal)
    Add {
        /// The Anki login name
        username: String,
        email: String,
        /// May use the admin pages
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input
        #[arg(long, conflicts_with = "generate")]
        password_stdin: bool,
        /// Generate a strong password and print it once
        #[arg(long)]
        generate: bool,
    },
    /// List users
    List,
    /// Stop a user from logging in or syncing (their devices stay registered)
    Disable {
        #[arg(value_name = "EMAIL-OR-USERNAME")]
        user: String,
    },
    /// Let a disabled user log in and sync again
    Enable {
        #[arg(value_name = "EMAIL-OR-USERNAME")]
        user: String,
    },
    /// Delete a user, their devices and sessions, and their collection and media
    Delete {
        #[arg(value_name = "EMAIL-OR-USERNAME")]
        user: String,
    },
}

pub fn run(global: &GlobalOptions, command: &UserCommand, json: bool) -> Result<u8, AdminError> {
    let mut session = AdminSession::open(global, "adminctl")?;
    match command {
        UserCommand::Add {
            username,
            email,
            admin,
            password_stdin,
            generate,
        } => add(
            &session,
            username,
            email,
            *admin,
            password_source(*password_stdin, *generate),
            json,
        ),
        UserCommand::List => list(&session, json),
        UserCommand::Disable { user } => set_disabled(&mut session, user, true, json),
        UserCommand::Enable { user } => set_disabled(&mut session, user, false, json),
        UserCommand::Delete { user } => delete(&mut session, user, json),
    }
}

fn add(
    session: &AdminSession,
    username: &str,
    email: &str,
    is_admin: bool,
    source: flashcard_flow_server::admin::PasswordSource,
    json: bool,
) -> Result<u8, AdminError> {
    // Validate the cheap parts before asking for a password.
    accounts::validate_username(username)?;
    accounts::normalise_email(email)?;
    let password = read_new_password(source)?;
    let user = accounts::create_user(
        &*session.store,
        &session.config.password_policy,
        NewAccount {
            username: username.to_string(),
            email: email.to_string(),
            is_admin,
            password: password.secret.clone(),
        },
        &session.actor,
    )?;
    let generated = password
        .generated
        .then(|| password.secret.expose_secret().to_string());
    if json {
        let mut value = serde_json::json!({
            "id": user.id, "username": user.username, "email": user.email, "admin": user.is_admin,
        });
        if let Some(p) = generated {
            value["generated_password"] = p.into();
        }
        println!("{value}");
    } else {
        println!("Created user '{}' ({})", user.username, user.email);
        if let Some(p) = generated {
            println!("Password: {p}");
        }
    }
    Ok(exit::OK)
}

fn list(session: &AdminSession, json: bool) -> Result<u8, AdminError> {
    let users = session.store.list_users()?;
    if json {
        let rows: Vec<_> = users
            .iter()
            .map(|u| {
                serde_json::json!({
                    "id": u.id, "username": u.username, "email": u.email,
                    "admin": u.is_admin, "disabled": u.disabled, "created_at": u.created_at,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(exit::OK);
    }
    println!(
        "{:<24} {:<32} {:<6} {:<9}",
        "USERNAME", "EMAIL", "ADMIN", "DISABLED"
    );
    for u in &users {
        println!(
            "{:<24} {:<32} {:<6} {:<9}",
            u.username,
            u.email,
            if u.is_admin { "yes" } else { "no" },
            if u.disabled { "yes" } else { "no" }
        );
    }
    Ok(exit::OK)
}

fn audit(
    session: &AdminSession,
    action: &str,
    user_id: i64,
) -> flashcard_flow_server::store::AuditEntry {
    flashcard_flow_server::store::AuditEntry {
        at: flashcard_flow_server::clock::now(),
        actor: session.actor.to_string(),
        action: action.into(),
        user_id: Some(user_id),
        detail: String::new(),
    }
}

fn set_disabled(
    session: &mut AdminSession,
    login: &str,
    disabled: bool,
    json: bool,
) -> Result<u8, AdminError> {
    let user = session.find_user(login)?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    session
        .store
        .set_user_disabled(user.id, disabled, &audit(session, action, user.id))?;
    if json {
        println!(
            "{}",
            serde_json::json!({"username": user.username, "disabled": disabled})
        );
    } else {
        let verb = if disabled { "Disabled" } else { "Enabled" };
        println!("{verb} user '{}' ({})", user.username, user.email);
    }
    let notice = session.notify_user_changed(user.id, user.credential_generation);
    Ok(server_notice_code(&notice, json))
}

fn delete(session: &mut AdminSession, login: &str, json: bool) -> Result<u8, AdminError> {
    let user = session.find_user(login)?;
    session
        .store
        .delete_user(user.id, &audit(session, "user.delete", user.id))?;
    let user_dir = session
        .config
        .data_dir
        .join("users")
        .join(user.id.to_string());
    let data_note = match std::fs::remove_dir_all(&user_dir) {
        Ok(()) => "their collection and media were removed".to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "they had no collection".to_string(),
        Err(e) => {
            eprintln!("warning: cannot remove {}: {e}", user_dir.display());
            format!("remove {} by hand", user_dir.display())
        }
    };
    if json {
        println!(
            "{}",
            serde_json::json!({"username": user.username, "deleted": true})
        );
    } else {
        println!(
            "Deleted user '{}' ({}); {data_note}",
            user.username, user.email
        );
    }
    let notice = session.notify_user_changed(user.id, user.credential_generation);
    Ok(server_notice_code(&notice, json))
}
