//! Operator actions shared by `adminctl` and the server binary's `reset-password`: one
//! code path, so the runbook's `flashcard-flow-server reset-password` and
//! `adminctl reset-password` cannot drift apart.
//!
//! The order of every change is fixed: find the running server and check it uses this
//! database (exit 4 and write nothing if not), write the change, then tell the server
//! (`RefreshUser`). A change that could not be announced still stands (exit 3).

pub mod import_official;
mod password_input;
mod privileges;
mod reset;

use std::sync::Arc;

use flashcard_flow_proto::DatabaseIdentity;

use crate::accounts::Actor;
use crate::config::{Config, GlobalOptions, ServerOptions};
use crate::control::{self, ControlClient};
use crate::store::{self, Store, User};

pub use password_input::{read_password, NewPassword, PasswordSource};
pub use privileges::{act_as_database_owner, act_as_owner_of, SwitchedTo};
pub use reset::{reset_password, run_reset_password, ResetOutcome, ResetPasswordArgs};

/// adminctl's documented exit codes.
pub mod exit {
    pub const OK: u8 = 0;
    pub const BAD_INPUT: u8 = 1;
    pub const INTERNAL: u8 = 2;
    pub const SERVER_NOT_TOLD: u8 = 3;
    pub const DIFFERENT_DATABASE: u8 = 4;
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    Internal(String),
    #[error(
        "the running server uses a different database; nothing was written.\n  \
         server:   {} {} (instance {})\n  adminctl: {} {} (instance {})\n\
         Point adminctl at the server's database (--config, --data-dir or --database-url).",
        server.engine, server.location, server.instance_id,
        local.engine, local.location, local.instance_id
    )]
    DifferentDatabase {
        server: Box<DatabaseIdentity>,
        local: Box<DatabaseIdentity>,
    },
}

impl AdminError {
    pub fn exit_code(&self) -> u8 {
        match self {
            AdminError::BadInput(_) => exit::BAD_INPUT,
            AdminError::Internal(_) => exit::INTERNAL,
            AdminError::DifferentDatabase { .. } => exit::DIFFERENT_DATABASE,
        }
    }
}

impl From<crate::accounts::AccountError> for AdminError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as E;
        match e {
            E::PasswordRejected(_)
            | E::InvalidUsername(_)
            | E::InvalidEmail
            | E::UnknownUser
            | E::InvalidImportedHash => AdminError::BadInput(e.to_string()),
            E::Store(store::StoreError::Conflict(_)) => AdminError::BadInput(e.to_string()),
            E::Store(_) | E::Hashing(_) => AdminError::Internal(e.to_string()),
        }
    }
}

impl From<store::StoreError> for AdminError {
    fn from(e: store::StoreError) -> Self {
        AdminError::Internal(e.to_string())
    }
}

/// The running server, as far as adminctl can tell.
pub enum ServerLink {
    /// No socket, or nothing listening: changes apply when the server starts.
    NotRunning,
    /// A server on this same database answered the handshake.
    Connected(Box<ControlClient>),
    /// Something is there but did not answer properly (permissions, timeout, protocol).
    Unreachable(String),
}

/// What happened when the server was told about a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerNotice {
    Refreshed { evicted_host_keys: u32 },
    NotRunning,
    Failed(String),
}

/// An operator's session: resolved config, the open database, the link to the server.
pub struct AdminSession {
    pub config: Config,
    pub store: Arc<dyn Store>,
    pub actor: Actor,
    runtime: tokio::runtime::Runtime,
    link: ServerLink,
}

impl AdminSession {
    /// Resolves the configuration as the server does, switches to the database owner when
    /// run as root, opens the database and connects to the running server, refusing with
    /// `DifferentDatabase` if that server uses another database.
    pub fn open(global: &GlobalOptions, tool: &str) -> Result<AdminSession, AdminError> {
        let config = Config::resolve(global, &ServerOptions::default())
            .map_err(|e| AdminError::BadInput(e.to_string()))?;
        let actor = Actor::Admin {
            uid: nix::unistd::getuid().as_raw(),
            pid: std::process::id(),
            tool: tool.to_string(),
        };
        act_as_database_owner(&config).map_err(|e| AdminError::Internal(e.to_string()))?;
        let store = store::open(config.database_url(), &config.data_dir)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| AdminError::Internal(format!("cannot start runtime: {e}")))?;
        let link = runtime.block_on(async {
            match control::connect(&config.control_socket, tool).await {
                Ok(control::Connection::NoServer) => ServerLink::NotRunning,
                Ok(control::Connection::Connected(client)) => ServerLink::Connected(client),
                Err(e) => ServerLink::Unreachable(e.to_string()),
            }
        });
        if let ServerLink::Connected(client) = &link {
            if client.database.instance_id != store.identity().instance_id {
                return Err(AdminError::DifferentDatabase {
                    server: Box::new(client.database.clone()),
                    local: Box::new(store.identity().clone()),
                });
            }
        }
        Ok(AdminSession {
            config,
            store,
            actor,
            runtime,
            link,
        })
    }

    pub fn link(&self) -> &ServerLink {
        &self.link
    }

    /// Finds a user by username or email, or says plainly that there is none.
    pub fn find_user(&self, login: &str) -> Result<User, AdminError> {
        self.store.find_user(login)?.ok_or_else(|| {
            AdminError::BadInput(format!("no user with username or email {login:?}"))
        })
    }

    /// Tells the running server that a user's credentials or status changed.
    pub fn notify_user_changed(
        &mut self,
        user_id: i64,
        credential_generation: i64,
    ) -> ServerNotice {
        match &mut self.link {
            ServerLink::NotRunning => ServerNotice::NotRunning,
            ServerLink::Unreachable(reason) => ServerNotice::Failed(reason.clone()),
            ServerLink::Connected(client) => {
                match self
                    .runtime
                    .block_on(client.refresh_user(user_id, credential_generation))
                {
                    Ok(evicted_host_keys) => ServerNotice::Refreshed { evicted_host_keys },
                    Err(e) => ServerNotice::Failed(e.to_string()),
                }
            }
        }
    }

    /// Takes a snapshot of the user's collection: by the running server under the user's
    /// lock, or here when no server runs. Returns its id (`None`: no collection).
    pub fn take_snapshot(&mut self, user_id: i64) -> Result<Option<String>, AdminError> {
        use crate::collection::snapshots;
        match &mut self.link {
            ServerLink::Connected(client) => self
                .runtime
                .block_on(client.take_snapshot(user_id))
                .map(|id| (!id.is_empty()).then_some(id))
                .map_err(control_error),
            ServerLink::Unreachable(reason) => Err(AdminError::Internal(format!(
                "a server seems to run but does not answer ({reason}); nothing done"
            ))),
            ServerLink::NotRunning => {
                let data_dir = &self.config.data_dir;
                let policy = self.config.backups.unwrap_or_default();
                let taken = snapshots::take(
                    data_dir,
                    user_id,
                    snapshots::Reason::Manual,
                    crate::clock::now(),
                )
                .map_err(|e| AdminError::Internal(e.to_string()))?;
                snapshots::prune(data_dir, user_id, &policy)
                    .map_err(|e| AdminError::Internal(e.to_string()))?;
                Ok(taken.map(|s| s.id))
            }
        }
    }

    /// Restores snapshot `id` of the user: by the running server under the user's lock,
    /// or here when no server runs. Returns the id the replaced collection was kept as.
    pub fn restore_snapshot(
        &mut self,
        user_id: i64,
        id: &str,
    ) -> Result<Option<String>, AdminError> {
        use crate::collection::snapshots::{self, RestoreError};
        match &mut self.link {
            ServerLink::Connected(client) => self
                .runtime
                .block_on(client.restore_snapshot(user_id, id))
                .map(|kept| (!kept.is_empty()).then_some(kept))
                .map_err(control_error),
            ServerLink::Unreachable(reason) => Err(AdminError::Internal(format!(
                "a server seems to run but does not answer ({reason}); nothing done"
            ))),
            ServerLink::NotRunning => {
                let data_dir = &self.config.data_dir;
                let restored =
                    snapshots::restore(data_dir, user_id, id, crate::clock::now(), || {}).map_err(
                        |e| match e {
                            RestoreError::NoSuchSnapshot(_) => AdminError::BadInput(e.to_string()),
                            other => AdminError::Internal(other.to_string()),
                        },
                    )?;
                // The media the restored notes use, back from the trash.
                let path = crate::sync::media::media_db_path(data_dir, user_id);
                crate::sync::media::MediaDb::open(&path)
                    .map_err(|e| e.to_string())
                    .and_then(|mut db| {
                        crate::sync::media::media_back_from_trash(data_dir, user_id, &mut db)
                    })
                    .map_err(AdminError::Internal)?;
                Ok(restored.kept_as)
            }
        }
    }

    /// The running server's status, if one is connected.
    pub fn server_status(&mut self) -> Option<Result<flashcard_flow_proto::StatusReport, String>> {
        match &mut self.link {
            ServerLink::Connected(client) => Some(
                self.runtime
                    .block_on(client.status())
                    .map_err(|e| e.to_string()),
            ),
            ServerLink::Unreachable(reason) => Some(Err(reason.clone())),
            ServerLink::NotRunning => None,
        }
    }
}

/// The loud message for exit code 3, shared by every command that changes a user.
pub fn server_not_told_warning(reason: &str) -> String {
    format!(
        "WARNING: the change is saved in the database, but the running server could not be \
         told: {reason}\nWARNING: it takes effect at each client's next sync check; restart \
         the server or fix the control socket to apply it at once."
    )
}

/// A refusal of the running server as the operator's error: a refused request (no such
/// snapshot, a sync open) is bad input; anything else is internal.
fn control_error(e: crate::control::ClientError) -> AdminError {
    match e {
        crate::control::ClientError::Refused {
            kind:
                flashcard_flow_proto::ErrorKind::Refused | flashcard_flow_proto::ErrorKind::UnknownUser,
            message,
        } => AdminError::BadInput(message),
        other => AdminError::Internal(other.to_string()),
    }
}
