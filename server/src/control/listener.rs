//! Binding the control socket and accepting connections.
//!
//! SECURITY: the peer-credential check in `peer_allowed` is what keeps other local users
//! away from operator requests. The 0600 file mode is the first line; this check is the
//! second, and it runs before a single byte of the connection is read.

use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::sys::stat::{umask, Mode};
use nix::unistd::{Gid, Group, Uid};
use tokio::net::{UnixListener, UnixStream};
use tokio_util::sync::CancellationToken;

use super::handler::handle_connection;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("another server is already listening on the control socket {0}")]
    InUse(PathBuf),
    #[error("{0} exists and is not a socket; refusing to replace it")]
    NotASocket(PathBuf),
    #[error("control socket {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("control socket group {0:?} does not exist")]
    UnknownGroup(String),
}

/// Binds the socket at `path`: the directory is created 0750 if missing, a stale socket
/// file is removed only if nothing answers on it, and the socket is created 0600 (0660
/// and owned by `group` when one is configured).
pub fn bind(path: &Path, group: Option<&str>) -> Result<UnixListener, BindError> {
    let io_err = |source| BindError::Io {
        path: path.to_path_buf(),
        source,
    };
    let group = group
        .map(|name| match Group::from_name(name) {
            Ok(Some(g)) => Ok(g.gid),
            _ => Err(BindError::UnknownGroup(name.to_string())),
        })
        .transpose()?;
    if let Some(dir) = path.parent().filter(|d| !d.exists()) {
        std::fs::create_dir_all(dir).map_err(io_err)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o750)).map_err(io_err)?;
    }
    remove_stale_socket(path)?;
    // The umask makes the socket 0600 from its creation, with no window where it is wider.
    let old = umask(Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(path);
    umask(old);
    let listener = bound.map_err(io_err)?;
    if let Some(gid) = group {
        nix::unistd::chown(path, None, Some(gid)).map_err(|e| io_err(e.into()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660)).map_err(io_err)?;
    }
    Ok(listener)
}

fn remove_stale_socket(path: &Path) -> Result<(), BindError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(BindError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    if !meta.file_type().is_socket() {
        return Err(BindError::NotASocket(path.to_path_buf()));
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(BindError::InUse(path.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            tracing::info!(path = %path.display(), "removing stale control socket");
            std::fs::remove_file(path).map_err(|source| BindError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
        Err(source) => Err(BindError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Accepts connections until `shutdown`, then removes the socket file.
pub async fn serve(
    listener: UnixListener,
    path: PathBuf,
    state: Arc<AppState>,
    shutdown: CancellationToken,
) {
    let group = state
        .config
        .control_socket_group
        .as_deref()
        .and_then(|name| Group::from_name(name).ok().flatten());
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "control socket accept failed");
                    continue;
                }
            },
        };
        let Some(peer) = peer_allowed(&stream, group.as_ref()) else {
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(handle_connection(stream, peer, state));
    }
    if let Err(e) = std::fs::remove_file(&path) {
        tracing::warn!(error = %e, path = %path.display(), "cannot remove control socket");
    }
}

/// The connecting process, as the kernel reports it.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub uid: u32,
    pub pid: u32,
}

/// SECURITY: admits uid 0, the server's own uid, and members of the operator group;
/// anyone else is logged and dropped.
fn peer_allowed(stream: &UnixStream, group: Option<&Group>) -> Option<Peer> {
    let cred = match stream.peer_cred() {
        Ok(cred) => cred,
        Err(e) => {
            tracing::warn!(error = %e, "control socket: cannot read peer credentials; dropped");
            return None;
        }
    };
    let uid = cred.uid();
    let pid = cred.pid().and_then(|p| u32::try_from(p).ok()).unwrap_or(0);
    let in_group = group.is_some_and(|g| {
        g.gid == Gid::from_raw(cred.gid())
            || nix::unistd::User::from_uid(Uid::from_raw(uid))
                .ok()
                .flatten()
                .is_some_and(|u| g.mem.contains(&u.name))
    });
    if uid == 0 || uid == Uid::effective().as_raw() || in_group {
        Some(Peer { uid, pid })
    } else {
        tracing::warn!(
            uid,
            pid,
            "control socket: connection from unauthorised uid refused"
        );
        None
    }
}
