//! `reset-password`: the operator's tool from the original runbook, and its output.

use std::io::IsTerminal;

use secrecy::{ExposeSecret, SecretString};

use super::{
    exit, read_password, server_not_told_warning, AdminError, AdminSession, PasswordSource,
    ServerNotice,
};
use crate::accounts;
use crate::config::GlobalOptions;

#[derive(Debug, Clone, clap::Args)]
pub struct ResetPasswordArgs {
    /// The user's email address or username
    #[arg(value_name = "EMAIL-OR-USERNAME")]
    pub user: String,
    /// The new password (visible in `ps` and shell history: prefer the prompt,
    /// --password-stdin or --generate)
    #[arg(value_name = "NEW-PASSWORD", conflicts_with_all = ["password_stdin", "generate"])]
    pub new_password: Option<String>,
    /// Read the new password from standard input
    #[arg(long, conflicts_with = "generate")]
    pub password_stdin: bool,
    /// Generate a strong password and print it once
    #[arg(long)]
    pub generate: bool,
}

impl ResetPasswordArgs {
    fn source(&self) -> PasswordSource {
        match (&self.new_password, self.password_stdin, self.generate) {
            (Some(p), _, _) => PasswordSource::Argument(SecretString::from(p.clone())),
            (None, true, _) => PasswordSource::Stdin,
            (None, false, true) => PasswordSource::Generate,
            (None, false, false) => PasswordSource::Prompt,
        }
    }
}

pub struct ResetOutcome {
    pub username: String,
    pub email: String,
    pub user_id: i64,
    pub credential_generation: i64,
    pub generated_password: Option<SecretString>,
    pub server: ServerNotice,
}

/// Finds the user, takes the new password, changes it everywhere in one transaction,
/// then tells the running server.
pub fn reset_password(
    session: &mut AdminSession,
    login: &str,
    source: PasswordSource,
) -> Result<ResetOutcome, AdminError> {
    let user = session.find_user(login)?;
    let password = read_password(source)?;
    let changed = accounts::change_password(
        &*session.store,
        &session.config.password_policy,
        user.id,
        &password.secret,
        &session.actor,
        accounts::ChangeReason::Operator,
        crate::lang::Lang::En,
    )?;
    let server = session.notify_user_changed(user.id, changed.credential_generation);
    Ok(ResetOutcome {
        username: user.username,
        email: user.email,
        user_id: user.id,
        credential_generation: changed.credential_generation,
        generated_password: password.generated.then_some(password.secret),
        server,
    })
}

/// Runs the command end to end, prints its result, and returns the exit code.
pub fn run_reset_password(
    global: &GlobalOptions,
    args: &ResetPasswordArgs,
    json: bool,
    tool: &str,
) -> u8 {
    let outcome = AdminSession::open(global, tool)
        .and_then(|mut session| reset_password(&mut session, &args.user, args.source()));
    match outcome {
        Ok(outcome) => print_outcome(&outcome, json),
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn print_outcome(outcome: &ResetOutcome, json: bool) -> u8 {
    let code = match outcome.server {
        ServerNotice::Failed(_) => exit::SERVER_NOT_TOLD,
        _ => exit::OK,
    };
    if json {
        let server = match &outcome.server {
            ServerNotice::Refreshed { .. } => "refreshed",
            ServerNotice::NotRunning => "not_running",
            ServerNotice::Failed(_) => "not_told",
        };
        let mut value = serde_json::json!({
            "username": outcome.username,
            "email": outcome.email,
            "user_id": outcome.user_id,
            "credential_generation": outcome.credential_generation,
            "server": server,
        });
        if let Some(p) = &outcome.generated_password {
            value["generated_password"] = p.expose_secret().into();
        }
        println!("{value}");
    } else {
        println!(
            "Password reset for '{}' ({})",
            outcome.username, outcome.email
        );
        if let Some(p) = &outcome.generated_password {
            println!("New password: {}", p.expose_secret());
        }
        match &outcome.server {
            ServerNotice::Refreshed { .. } => {
                println!("In-memory credentials refreshed — Anki Desktop sync works immediately.")
            }
            ServerNotice::NotRunning => println!(
                "No running server found; the new password applies when the server starts."
            ),
            ServerNotice::Failed(_) => {}
        }
    }
    if let ServerNotice::Failed(reason) = &outcome.server {
        eprintln!("{}", server_not_told_warning(reason));
    }
    if outcome.generated_password.is_some() && !std::io::stdout().is_terminal() && !json {
        eprintln!("note: the generated password was printed once on standard output");
    }
    code
}
