//! `flashcard-flow-server`: serve, or run the runbook's `reset-password`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flashcard_flow_server::admin::{self, ResetPasswordArgs};
use flashcard_flow_server::config::{Config, GlobalOptions, ServerOptions};
use flashcard_flow_server::{shutdown, telemetry, Server};

/// Self-hosted Anki sync and account server.
///
/// With no arguments: SQLite in ./data, HTTP on 127.0.0.1:8080, control socket
/// ./data/control.sock.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    global: GlobalOptions,
    #[command(flatten)]
    server: ServerOptions,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Reset a user's password (the same code as `adminctl reset-password`)
    ResetPassword(ResetPasswordArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::ResetPassword(args)) => ExitCode::from(admin::run_reset_password(
            &cli.global,
            &args,
            false,
            "flashcard-flow-server",
        )),
        None => serve(&cli.global, &cli.server),
    }
}

fn serve(global: &GlobalOptions, options: &ServerOptions) -> ExitCode {
    let config = match Config::resolve(global, options) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.log_filter);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        // Start-up may wait for the database; a signal during that wait ends it.
        let bound = tokio::select! {
            bound = Server::bind(config) => bound,
            () = shutdown::signal() => return ExitCode::SUCCESS,
        };
        match bound {
            Ok(server) => {
                server.run(shutdown::signal()).await;
                ExitCode::SUCCESS
            }
            Err(e) => {
                tracing::error!("cannot start: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
