//! flashcard-flow: a self-hosted Anki sync and account server.
//!
//! [`Server::bind`] opens the account database and binds HTTP and the control socket;
//! [`Server::run`] serves until the shutdown future resolves. `main` passes the signal,
//! tests pass whatever they like. `accounts` and `store` do not depend on HTTP: adminctl
//! links them to write credentials with exactly the server's hashing and SQL.

pub mod accounts;
pub mod admin;
pub mod backups;
pub mod clock;
pub mod collection;
pub mod config;
pub mod control;
pub mod health;
pub mod http;
pub mod lang;
pub mod login_gate;
pub mod mail;
pub mod notify;
pub mod outbox;
pub mod schema_bridge;
pub mod shutdown;
pub mod state;
pub mod store;
pub mod sync;
pub mod telemetry;
#[doc(hidden)]
pub mod test_support;
pub mod web;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::serve::ListenerExt;
use tokio::net::{TcpListener, UnixListener};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    ControlSocket(#[from] control::BindError),
    #[error("startup task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Tls(#[from] http::tls::TlsError),
}

/// Opens the database and loads the host keys. While the database does not answer (a
/// PostgreSQL server still starting, say), retries with backoff for up to
/// `database_wait`, logging why; errors that waiting cannot fix end start-up at once.
async fn open_store_with_retries(
    config: &Config,
) -> Result<(Arc<dyn store::Store>, Vec<store::SyncKeyOwner>), StartError> {
    let started = std::time::Instant::now();
    let mut delay = std::time::Duration::from_millis(500);
    loop {
        let url = config.database_url().map(str::to_string);
        let data_dir = config.data_dir.clone();
        let attempt = tokio::task::spawn_blocking(move || {
            let store = store::open(url.as_deref(), &data_dir)?;
            let keys = store.all_sync_keys()?;
            Ok::<_, store::StoreError>((store, keys))
        })
        .await?;
        match attempt {
            Ok(opened) => return Ok(opened),
            Err(e) if e.is_transient() && started.elapsed() < config.database_wait => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "database not answering yet; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(10));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// While no account exists, says at start how to create the first admin: a newcomer who
/// ran the README's first command otherwise meets a sign-in page with nobody to sign in as.
async fn explain_first_run(state: &AppState) {
    if state.is_first_run().await {
        tracing::warn!(
            "no account exists yet: create the first admin with `{}` (it asks for the \
             password), then sign in at {}/login",
            state.first_admin_command(),
            state.config.public_url
        );
    }
}

/// A server with its database open and its sockets bound, ready to run.
pub struct Server {
    state: Arc<AppState>,
    http: TcpListener,
    control: UnixListener,
}

impl Server {
    /// Opens the database, fills the host-key cache and binds both sockets, so a caller
    /// knows the server can serve before it is spawned.
    pub async fn bind(config: Config) -> Result<Server, StartError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
        let (store, keys) = open_store_with_retries(&config).await?;
        let http = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: config.listen,
                source,
            })?;
        let control = control::bind(
            &config.control_socket,
            config.control_socket_group.as_deref(),
        )?;
        // Nothing is served yet, so no upload can be writing what the sweep matches. (Two
        // servers on one data dir are not supported; sharing the control socket too, the
        // second fails to bind it above, before it sweeps.)
        let data_dir = config.data_dir.clone();
        let removed =
            tokio::task::spawn_blocking(move || sync::leftovers::sweep_all_users(&data_dir))
                .await?;
        if removed > 0 {
            tracing::info!(
                removed,
                "removed leftovers of uploads interrupted by a crash"
            );
        }
        // A certificate that does not load stops the start: serving plain HTTP where
        // HTTPS was asked for would send passwords in the clear.
        let tls = config
            .tls
            .as_ref()
            .map(|files| http::tls::CertStore::open(&files.cert, &files.key))
            .transpose()?;
        let state = Arc::new(AppState::new(config, store));
        if let Some(tls) = tls {
            let _ = state.tls.set(tls);
        }
        state.host_keys.fill(keys);
        Ok(Server {
            state,
            http,
            control,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.http.local_addr()
    }

    pub fn state(&self) -> Arc<AppState> {
        Arc::clone(&self.state)
    }

    /// Serves HTTP and the control socket until `shutdown` resolves, then stops
    /// accepting, gives running requests up to the configured bound, and removes the
    /// control socket file.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let Server {
            state,
            http,
            control,
        } = self;
        let stop = CancellationToken::new();
        let control_task = tokio::spawn(control::serve(
            control,
            state.config.control_socket.clone(),
            Arc::clone(&state),
            stop.clone(),
        ));
        let identity = state.store.identity().clone();
        tracing::info!(
            listen = %http.local_addr().map_or_else(|e| e.to_string(), |a| a.to_string()),
            control_socket = %state.config.control_socket.display(),
            database = %identity.engine,
            location = %identity.location,
            "flashcard-flow-server ready"
        );
        explain_first_run(&state).await;
        // HTTP and the control socket are bound and the database answers: systemd may
        // start what depends on us.
        notify::notify_logged("READY=1");
        let grace = state.config.shutdown_timeout;
        let app = http::router(Arc::clone(&state));
        let mail_task = tokio::spawn(mail::run_worker(Arc::clone(&state), stop.clone()));
        let trigger = stop.clone();
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        let shutdown = async move {
            shutdown.await;
            notify::notify_logged("STOPPING=1");
            trigger.cancel();
        };
        type Serving = std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;
        let tls = state.tls.get().map(|store| {
            store.watch(stop.clone());
            store.server_config()
        });
        let serve: Serving = match tls {
            Some(Ok(config)) => match http::tls::TlsListener::new(http, config) {
                // (An empty tap: axum gives connection info to tapped listeners.)
                Ok(listener) => Box::pin(
                    axum::serve(listener.tap_io(|_| {}), app)
                        .with_graceful_shutdown(shutdown)
                        .into_future(),
                ),
                Err(e) => Box::pin(std::future::ready(Err(e))),
            },
            Some(Err(e)) => Box::pin(std::future::ready(Err(std::io::Error::other(e)))),
            None => {
                // Replies are streamed in chunks (full downloads, media batches): without
                // TCP_NODELAY each small write can wait ~40 ms for the client's delayed
                // ACK. (The TLS listener sets it on each connection itself.)
                let http = http.tap_io(|tcp| {
                    if let Err(e) = tcp.set_nodelay(true) {
                        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
                    }
                });
                Box::pin(
                    axum::serve(http, app)
                        .with_graceful_shutdown(shutdown)
                        .into_future(),
                )
            }
        };
        let stopped = stop.clone();
        tokio::select! {
            result = serve => {
                if let Err(e) = result {
                    tracing::error!(error = %e, "http server failed");
                }
            }
            () = async move {
                stopped.cancelled().await;
                tokio::time::sleep(grace).await;
            } => tracing::warn!(grace_secs = grace.as_secs(), "requests still running after the shutdown bound; exiting"),
        }
        stop.cancel();
        // A normal sync still open (a client that never sent `finish`) is rolled back,
        // not left to the next start.
        let abandoned = state.sync.normal_syncs.abort_all().await;
        if abandoned > 0 {
            tracing::info!(abandoned, "rolled back normal syncs left open");
        }
        let _ = mail_task.await;
        if let Err(e) = control_task.await {
            tracing::warn!(error = %e, "control socket task failed");
        }
        tracing::info!("stopped");
    }
}
