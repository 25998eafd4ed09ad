//! The client side of the control socket, used by adminctl.

use std::io;
use std::path::Path;

use flashcard_flow_proto::{
    decode, encode, frame_codec, DatabaseIdentity, ErrorKind, Request, Response, StatusReport,
    PROTOCOL_VERSION,
};
use futures_util::{SinkExt, StreamExt};
use tokio::net::UnixStream;
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use super::READ_TIMEOUT;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect to the control socket {path}: {source}")]
    Connect { path: String, source: io::Error },
    #[error("the server did not answer within {}s", READ_TIMEOUT.as_secs())]
    Timeout,
    #[error("the server closed the connection (is this user allowed on the control socket?)")]
    Closed,
    #[error("control socket I/O failed: {0}")]
    Io(#[from] io::Error),
    #[error("cannot encode or decode a control message: {0}")]
    Codec(#[from] flashcard_flow_proto::CodecError),
    #[error("the server refused the request ({kind:?}): {message}")]
    Refused { kind: ErrorKind, message: String },
    #[error("unexpected answer from the server: {0}")]
    Unexpected(String),
}

/// A server that answered the handshake.
pub struct ControlClient {
    framed: Framed<UnixStream, LengthDelimitedCodec>,
    pub database: DatabaseIdentity,
    pub server_version: String,
}

/// Whether a server is there at all.
pub enum Connection {
    /// No socket file, or nothing listening on it: no server is running.
    NoServer,
    Connected(Box<ControlClient>),
}

/// Connects and performs the `Hello` handshake.
pub async fn connect(path: &Path, client_name: &str) -> Result<Connection, ClientError> {
    let stream = match UnixStream::connect(path).await {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(Connection::NoServer)
        }
        Err(source) => {
            return Err(ClientError::Connect {
                path: path.display().to_string(),
                source,
            })
        }
    };
    let mut client = ControlClient {
        framed: Framed::new(stream, frame_codec()),
        database: DatabaseIdentity {
            engine: String::new(),
            location: String::new(),
            instance_id: String::new(),
        },
        server_version: String::new(),
    };
    let hello = Request::Hello {
        protocol_version: PROTOCOL_VERSION,
        client_name: client_name.to_string(),
    };
    match client.request(&hello).await? {
        Response::Hello {
            server_version,
            database,
            ..
        } => {
            client.database = database;
            client.server_version = server_version;
            Ok(Connection::Connected(Box::new(client)))
        }
        other => Err(ClientError::Unexpected(format!("{other:?}"))),
    }
}

impl ControlClient {
    /// Sends one request and waits for its answer; an `Error` answer becomes `Refused`.
    pub async fn request(&mut self, request: &Request) -> Result<Response, ClientError> {
        self.framed
            .send(bytes::Bytes::from(encode(request)?))
            .await?;
        let frame = tokio::time::timeout(READ_TIMEOUT, self.framed.next())
            .await
            .map_err(|_| ClientError::Timeout)?
            .ok_or(ClientError::Closed)??;
        match decode::<Response>(&frame)? {
            Response::Error { kind, message } => Err(ClientError::Refused { kind, message }),
            response => Ok(response),
        }
    }

    pub async fn ping(&mut self) -> Result<(), ClientError> {
        match self.request(&Request::Ping).await? {
            Response::Pong => Ok(()),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    pub async fn status(&mut self) -> Result<StatusReport, ClientError> {
        match self.request(&Request::Status).await? {
            Response::Status(report) => Ok(report),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Tells the server a user's credentials changed; returns the evicted key count.
    pub async fn refresh_user(
        &mut self,
        user_id: i64,
        credential_generation: i64,
    ) -> Result<u32, ClientError> {
        let request = Request::RefreshUser {
            user_id,
            credential_generation,
        };
        match self.request(&request).await? {
            Response::UserRefreshed {
                evicted_host_keys, ..
            } => Ok(evicted_host_keys),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Has the server snapshot the user's collection; returns the snapshot's id (empty
    /// when the user has no collection).
    pub async fn take_snapshot(&mut self, user_id: i64) -> Result<String, ClientError> {
        match self.request(&Request::TakeSnapshot { user_id }).await? {
            Response::SnapshotTaken { snapshot_id, .. } => Ok(snapshot_id),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Has the server restore snapshot `snapshot_id`; returns the id the replaced
    /// collection was kept as (empty: there was none).
    pub async fn restore_snapshot(
        &mut self,
        user_id: i64,
        snapshot_id: &str,
    ) -> Result<String, ClientError> {
        let request = Request::RestoreSnapshot {
            user_id,
            snapshot_id: snapshot_id.to_string(),
        };
        match self.request(&request).await? {
            Response::SnapshotRestored { kept_as, .. } => Ok(kept_as),
            other => Err(ClientError::Unexpected(format!("{other:?}"))),
        }
    }
}
