//! Logging setup: `tracing` to stderr, filtered by the configured directive, which SIGHUP
//! can change while the server runs.

use std::sync::OnceLock;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

static FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

fn parse(filter: &str) -> (EnvFilter, Option<String>) {
    match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new("info"), Some(e.to_string())),
    }
}

/// Installs the global subscriber; a bad filter falls back to `info` with a warning.
pub fn init(filter: &str) {
    let (filter, bad) = parse(filter);
    let (filter, handle) = reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    tracing_subscriber::registry().with(filter).with(fmt).init();
    let _ = FILTER.set(handle);
    if let Some(e) = bad {
        tracing::warn!(error = %e, "invalid log filter; using info");
    }
}

/// Replaces the log filter (SIGHUP). A bad filter keeps the current one.
pub fn set_filter(filter: &str) {
    let Some(handle) = FILTER.get() else {
        return;
    };
    match EnvFilter::try_new(filter) {
        Ok(new) => match handle.reload(new) {
            Ok(()) => tracing::info!(filter, "log filter reloaded"),
            Err(e) => tracing::warn!(error = %e, "cannot reload the log filter"),
        },
        Err(e) => tracing::warn!(error = %e, filter, "invalid log filter; keeping the current one"),
    }
}
