//! The control socket: how adminctl reaches the running server. A Unix socket only, never
//! TCP; its security rests on the file mode and on the peer-credential check in
//! [`listener`]. Requests carry ids, never passwords.

mod client;
mod handler;
mod listener;
mod snapshots;

pub use client::{connect, ClientError, Connection, ControlClient};
pub use listener::{bind, serve, BindError};

/// How long either side waits for the next frame before dropping the connection.
pub const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
