//! `flashcard-flow-server`: serve, or run the runbook's `reset-password`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flashcard_flow_server::admin::{self, ResetPasswordArgs};
use flashcard_flow_server::config::{Config, GlobalOptions, ServerOptions};
use flashcard_flow_server::{health, shutdown, telemetry, Server};

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
    /// Exit 0 if the server on the configured address answers /health with 200 (for
    /// container HEALTHCHECKs and monitoring), 1 otherwise
    Healthcheck,
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
        Some(Command::Healthcheck) => healthcheck(&cli.global, &cli.server),
        None => serve(&cli.global, &cli.server),
    }
}

fn healthcheck(global: &GlobalOptions, options: &ServerOptions) -> ExitCode {
    let config = match Config::resolve(global, options) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match health::check(config.listen, config.tls.is_some()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("unhealthy: {e}");
            ExitCode::FAILURE
        }
    }
}

/// SIGHUP re-reads the configuration and applies what can change while running: the
/// log filter, the SMTP settings and the TLS certificate files. (Everything else needs a restart, and the log says so.)
fn spawn_reload_on_sighup(
    global: GlobalOptions,
    options: ServerOptions,
    state: std::sync::Arc<flashcard_flow_server::state::AppState>,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP; reloading is unavailable");
        return;
    };
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match Config::resolve(&global, &options) {
                Ok(config) => {
                    telemetry::set_filter(&config.log_filter);
                    *state
                        .mail
                        .smtp_config
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = config.smtp;
                    tracing::info!("configuration reloaded (log filter, SMTP); other settings apply at the next start");
                    if let Some(tls) = state.tls.get() {
                        let tls = std::sync::Arc::clone(tls);
                        let _ =
                            tokio::task::spawn_blocking(move || tls.reload_logged("SIGHUP")).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "SIGHUP: configuration not reloaded"),
            }
        }
    });
}

/// Makes glibc hand large blocks (an Argon2 hash's 19 MiB) straight back to the system
/// when they are freed. By default glibc raises its mmap threshold after the first such
/// free and keeps later blocks in per-thread arenas, so a login flood's memory stayed
/// resident long after it ended. Setting the threshold fixes it at this value. The one
/// `unsafe` of the server: a libc call with no pointers.
#[allow(unsafe_code)]
fn return_large_blocks_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any thread
    // of ours starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 * 1024 * 1024);
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
    return_large_blocks_to_the_system();
    telemetry::init(&config.log_filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.async_threads)
        .enable_all()
        .build()
    {
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
                spawn_reload_on_sighup(global.clone(), options.clone(), server.state());
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
