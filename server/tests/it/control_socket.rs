//! The control socket against the real server: handshake, requests, refusals, binding.

use std::os::unix::fs::{FileTypeExt, PermissionsExt};

use bytes::Bytes;
use flashcard_flow_proto::{decode, encode, frame_codec, ErrorKind, Request, Response};
use flashcard_flow_server::accounts;
use flashcard_flow_server::control::{self, BindError, Connection};
use futures_util::{SinkExt, StreamExt};
use tokio::net::UnixStream;
use tokio_util::codec::Framed;

use crate::helpers::spawn_app;

async fn raw(
    app: &crate::helpers::TestApp,
) -> Framed<UnixStream, tokio_util::codec::LengthDelimitedCodec> {
    let stream = UnixStream::connect(&app.state.config.control_socket)
        .await
        .expect("connect");
    Framed::new(stream, frame_codec())
}

async fn exchange(
    framed: &mut Framed<UnixStream, tokio_util::codec::LengthDelimitedCodec>,
    bytes: Vec<u8>,
) -> Option<Response> {
    framed.send(Bytes::from(bytes)).await.ok()?;
    let frame = framed.next().await?.ok()?;
    Some(decode::<Response>(&frame).expect("server sends valid responses"))
}

/// A control client connected to the app's server.
async fn connected(app: &crate::helpers::TestApp) -> Box<control::ControlClient> {
    match control::connect(&app.state.config.control_socket, "test")
        .await
        .expect("connect")
    {
        Connection::Connected(client) => client,
        _ => panic!("server not found"),
    }
}

#[tokio::test]
async fn the_handshake_reports_the_database_identity() {
    let app = spawn_app().await;
    let client = connected(&app).await;
    assert_eq!(&client.database, app.state.store.identity());
    assert_eq!(client.database.instance_id.len(), 32);
    if client.database.engine == "sqlite" {
        assert!(client.database.location.ends_with("accounts.sqlite3"));
    } else {
        assert_eq!(client.database.engine, "postgresql");
        // postgres://user:PASSWORD@host/...: the password must not travel in the identity.
        let url = app.state.config.database_url().unwrap_or_default();
        let password = url
            .split_once("://")
            .and_then(|(_, rest)| rest.split_once('@'))
            .and_then(|(userinfo, _)| userinfo.split_once(':'))
            .map(|(_, password)| password)
            .expect("the test URL carries a password");
        assert!(!client.database.location.contains(password));
    }
    app.shutdown().await;
}

#[tokio::test]
async fn ping_status_and_refresh_work_after_hello() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", "alice-password-1").await;
    let key = app.login("alice", "alice-password-1").await;
    let mut client = connected(&app).await;
    client.ping().await.expect("ping");
    let status = client.status().await.expect("status");
    assert_eq!(status.cached_host_keys, 1);
    assert_eq!(status.pid, std::process::id());
    // Refresh for a generation newer than the cached key's evicts it.
    let evicted = client
        .refresh_user(alice.id, alice.credential_generation + 1)
        .await
        .expect("refresh");
    assert_eq!(evicted, 1);
    assert!(app.state.host_keys.get(&accounts::digest(&key)).is_none());
    // The key is still valid in the database (nothing changed there): a miss reloads it.
    assert_eq!(app.meta(&key).await.status, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn requests_before_hello_are_refused_and_the_connection_closed() {
    let app = spawn_app().await;
    let mut framed = raw(&app).await;
    let reply = exchange(&mut framed, encode(&Request::Ping).expect("encode")).await;
    assert!(matches!(
        reply,
        Some(Response::Error {
            kind: ErrorKind::HandshakeRequired,
            ..
        })
    ));
    assert!(framed.next().await.is_none(), "connection closed");
    app.shutdown().await;
}

#[tokio::test]
async fn a_wrong_protocol_version_is_refused() {
    let app = spawn_app().await;
    let mut framed = raw(&app).await;
    let hello = Request::Hello {
        protocol_version: 99,
        client_name: "future".into(),
    };
    let reply = exchange(&mut framed, encode(&hello).expect("encode")).await;
    assert!(matches!(
        reply,
        Some(Response::Error {
            kind: ErrorKind::UnsupportedVersion,
            ..
        })
    ));
    app.shutdown().await;
}

#[tokio::test]
async fn garbage_and_unknown_requests_get_an_error_reply_not_a_dropped_connection() {
    let app = spawn_app().await;
    let mut framed = raw(&app).await;
    let hello = Request::Hello {
        protocol_version: 1,
        client_name: "t".into(),
    };
    assert!(matches!(
        exchange(&mut framed, encode(&hello).expect("encode")).await,
        Some(Response::Hello { .. })
    ));
    for garbage in [vec![0x7f], vec![], vec![0x03, 0xff]] {
        assert!(matches!(
            exchange(&mut framed, garbage).await,
            Some(Response::Error {
                kind: ErrorKind::UnknownRequest,
                ..
            })
        ));
    }
    assert_eq!(
        exchange(&mut framed, encode(&Request::Ping).expect("encode")).await,
        Some(Response::Pong)
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_oversized_frame_closes_the_connection() {
    let app = spawn_app().await;
    let stream = UnixStream::connect(&app.state.config.control_socket)
        .await
        .expect("connect");
    let (mut read, mut write) = stream.into_split();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Claims 1 GiB; the server must not allocate it, just hang up.
    write
        .write_all(&(1u32 << 30).to_be_bytes())
        .await
        .expect("write");
    let mut buf = [0u8; 16];
    let n = read.read(&mut buf).await.unwrap_or(0);
    assert_eq!(n, 0, "closed without a reply");
    app.shutdown().await;
}

#[tokio::test]
async fn the_socket_is_0600_and_removed_at_shutdown() {
    let app = spawn_app().await;
    let path = app.state.config.control_socket.clone();
    let meta = std::fs::metadata(&path).expect("socket exists");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    app.shutdown().await;
    assert!(!path.exists());
}

#[tokio::test]
async fn binding_replaces_a_stale_socket_but_not_a_live_one_or_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.sock");
    // Stale: a socket file nobody listens on.
    drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
    assert!(path.exists());
    let live = control::bind(&path, None).expect("stale socket replaced");
    // Live: refused.
    assert!(matches!(
        control::bind(&path, None),
        Err(BindError::InUse(_))
    ));
    drop(live);
    // Not a socket: refused, and left alone.
    let file = dir.path().join("plain");
    std::fs::write(&file, "keep me").expect("write");
    assert!(matches!(
        control::bind(&file, None),
        Err(BindError::NotASocket(_))
    ));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "keep me");
}

#[tokio::test]
async fn no_socket_means_no_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outcome = control::connect(&dir.path().join("none.sock"), "t")
        .await
        .expect("connect");
    assert!(matches!(outcome, Connection::NoServer));
}

#[tokio::test]
async fn a_restore_is_refused_while_a_normal_sync_is_open_and_done_after_it() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", "alice-password-1").await;
    let key = app.login("alice", "alice-password-1").await;
    crate::sync_full::upload_client_collection(&app, &key).await;
    let mut client = connected(&app).await;
    let id = client.take_snapshot(alice.id).await.expect("snapshot");
    assert!(id.ends_with("-manual"), "{id}");
    // Another user's snapshot id, and a path, are refused as unknown.
    let bob = app.add_user("bob", "bob-password-123").await;
    for (user, bad) in [(bob.id, id.as_str()), (alice.id, "../1/backups/x")] {
        match client.restore_snapshot(user, bad).await {
            Err(control::ClientError::Refused { kind, .. }) => assert_eq!(kind, ErrorKind::Refused),
            other => panic!("{other:?}"),
        }
    }

    assert_eq!(app.meta(&key).await.status, 200);
    let start = app
        .sync_call(
            "start",
            &key,
            serde_json::json!({"minUsn": 0, "lnewer": false}),
        )
        .await;
    assert_eq!(start.status, 200);
    match client.restore_snapshot(alice.id, &id).await {
        Err(control::ClientError::Refused { kind, message }) => {
            assert_eq!(kind, ErrorKind::Refused);
            assert!(message.contains("sync"), "{message}");
        }
        other => panic!("a restore during a sync: {other:?}"),
    }
    // The sync goes on, and aborts cleanly; then the restore is done.
    assert_eq!(
        app.sync_call("abort", &key, serde_json::json!({}))
            .await
            .status,
        200
    );
    let kept = client
        .restore_snapshot(alice.id, &id)
        .await
        .expect("restore");
    assert!(kept.ends_with("-before-restore"), "{kept}");
    // The next meta reports a new schema: the client must choose a full sync.
    let meta = app.meta(&key).await.json.expect("meta");
    assert!(
        meta["scm"].as_i64().expect("scm") > 1_000_000_000_000,
        "{meta}"
    );
    app.shutdown().await;
}
