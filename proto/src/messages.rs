//! The message types. Append variants and fields only at the end: the golden-bytes tests
//! fail on any change to the bytes of an existing message.

use bincode::{Decode, Encode};

/// Bumped when a change is not purely additive; the server refuses other versions.
pub const PROTOCOL_VERSION: u32 = 1;

/// What adminctl (or any operator tool) asks of the running server.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum Request {
    /// The first frame of every connection.
    Hello {
        protocol_version: u32,
        client_name: String,
    },
    Ping,
    /// Uptime, cache and sync counters.
    Status,
    /// A user's credentials changed in the database: evict every cached host key and web
    /// session minted before `credential_generation`, and reload the user's row.
    RefreshUser {
        user_id: i64,
        credential_generation: i64,
    },
    /// Take a snapshot of the user's collection now, under the user's lock.
    TakeSnapshot {
        user_id: i64,
    },
    /// Put snapshot `snapshot_id` back as the user's collection, under the user's lock
    /// (the replaced collection is kept as a snapshot first).
    RestoreSnapshot {
        user_id: i64,
        snapshot_id: String,
    },
}

/// The server's answers, one per request.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum Response {
    Hello {
        protocol_version: u32,
        server_version: String,
        database: DatabaseIdentity,
    },
    Pong,
    Status(StatusReport),
    UserRefreshed {
        user_id: i64,
        evicted_host_keys: u32,
    },
    Error {
        kind: ErrorKind,
        message: String,
    },
    /// `snapshot_id` is empty when the user has no collection to copy.
    SnapshotTaken {
        user_id: i64,
        snapshot_id: String,
    },
    /// `kept_as` names the snapshot of the replaced collection (empty: there was none).
    SnapshotRestored {
        user_id: i64,
        kept_as: String,
    },
}

/// Which database a process uses, without secrets: adminctl compares it with its own
/// before writing, so a reset can never land in a database the server does not read.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct DatabaseIdentity {
    /// `sqlite` or `postgresql`.
    pub engine: String,
    /// A file path, or host/port/database name; never a password.
    pub location: String,
    /// The random id stored in the database's `instance` table.
    pub instance_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct StatusReport {
    pub server_version: String,
    pub pid: u32,
    pub uptime_secs: u64,
    pub cached_users: u32,
    pub cached_host_keys: u32,
    pub active_syncs: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub enum ErrorKind {
    /// The first frame was not `Hello`.
    HandshakeRequired,
    UnsupportedVersion,
    /// The frame did not decode as a request this server knows.
    UnknownRequest,
    /// The request was understood but failed on the server.
    Internal,
    /// The user named by the request does not exist.
    UnknownUser,
    /// The request cannot be done now or as asked (a sync is open, no such snapshot).
    Refused,
}
