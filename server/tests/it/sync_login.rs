//! `/sync/hostKey` and `/sync/meta` against the real server.

use std::sync::Arc;

use flashcard_flow_server::accounts::{self, Actor, ChangeReason, PasswordPolicy};
use flashcard_flow_server::lang::Lang;
use secrecy::SecretString;
use serde_json::json;

use crate::helpers::{spawn_app, sync_header, zstd_json};

#[tokio::test]
async fn login_returns_a_fresh_random_key_each_time() {
    let app = spawn_app().await;
    app.add_user("alice", "alice-password-1").await;
    let first = app.login("alice", "alice-password-1").await;
    let second = app.login("alice@example.com", "alice-password-1").await;
    assert_eq!(first.len(), 64);
    assert_ne!(first, second);
    app.shutdown().await;
}

#[tokio::test]
async fn bad_passwords_unknown_users_and_huge_passwords_get_403() {
    let app = spawn_app().await;
    app.add_user("alice", "alice-password-1").await;
    assert_eq!(app.host_key("alice", "alice-password-2").await.status, 403);
    assert_eq!(app.host_key("nobody", "alice-password-1").await.status, 403);
    let huge = "x".repeat(60_000);
    assert_eq!(app.host_key("alice", &huge).await.status, 403);
    app.shutdown().await;
}

#[tokio::test]
async fn meta_for_a_user_without_a_collection_reports_an_empty_one() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", "alice-password-1").await;
    let key = app.login("alice", "alice-password-1").await;
    let reply = app.meta(&key).await;
    assert_eq!(reply.status, 200);
    let meta = reply.json.expect("json");
    assert_eq!(meta["mod"], 0);
    assert_eq!(meta["usn"], 0);
    assert_eq!(meta["scm"], alice.created_at * 1000);
    assert_eq!(meta["empty"], true);
    assert_eq!(meta["cont"], true);
    assert_eq!(meta["hostNum"], 0);
    assert_eq!(meta["media_usn"], 0);
    assert_eq!(meta["msg"], "");
    let now = flashcard_flow_server::clock::now();
    assert!((meta["ts"].as_i64().expect("ts") - now).abs() < 60);
    app.shutdown().await;
}

#[tokio::test]
async fn meta_with_an_unknown_key_is_403_and_an_old_client_is_501() {
    let app = spawn_app().await;
    app.add_user("alice", "alice-password-1").await;
    assert_eq!(app.meta("not-a-key").await.status, 403);
    assert_eq!(app.meta("").await.status, 403);
    let key = app.login("alice", "alice-password-1").await;
    let old = app
        .sync_call("meta", &key, json!({"v": 5, "cv": "anki,2.1.0"}))
        .await;
    assert_eq!(old.status, 501);
    app.shutdown().await;
}

#[tokio::test]
async fn a_key_revoked_in_the_database_fails_at_meta_even_if_still_cached() {
    // SECURITY.md T15: a lost RefreshUser must not keep a revoked key alive.
    let app = spawn_app().await;
    let alice = app.add_user("alice", "alice-password-1").await;
    let key = app.login("alice", "alice-password-1").await;
    assert!(app.state.host_keys.get(&accounts::digest(&key)).is_some());

    let store = Arc::clone(&app.state.store);
    tokio::task::spawn_blocking(move || {
        accounts::change_password(
            &*store,
            &PasswordPolicy::default(),
            alice.id,
            &SecretString::from("alice-password-2"),
            &Actor::Server,
            ChangeReason::Operator,
            Lang::En,
        )
    })
    .await
    .expect("join")
    .expect("change");
    // The cache was not told; meta checks the database anyway.
    assert_eq!(app.meta(&key).await.status, 403);
    assert!(app.state.host_keys.get(&accounts::digest(&key)).is_none());
    app.shutdown().await;
}

#[tokio::test]
async fn transport_errors_get_the_status_the_client_understands() {
    let app = spawn_app().await;
    app.add_user("alice", "alice-password-1").await;
    let login = json!({"u": "alice", "p": "alice-password-1"});
    // No anki-sync header.
    assert_eq!(
        app.post_raw("/sync/hostKey", None, zstd_json(&login))
            .await
            .status,
        400
    );
    // Uncompressed body.
    let plain = login.to_string().into_bytes();
    assert_eq!(
        app.post_raw("/sync/hostKey", Some(sync_header("")), plain)
            .await
            .status,
        400
    );
    // Garbage header, and an unsupported protocol version.
    assert_eq!(
        app.post_raw("/sync/hostKey", Some("{nope".into()), zstd_json(&login))
            .await
            .status,
        400
    );
    let v7 = json!({"v": 7, "k": "", "c": "", "s": ""}).to_string();
    assert_eq!(
        app.post_raw("/sync/hostKey", Some(v7), zstd_json(&login))
            .await
            .status,
        400
    );
    // Unknown method, and JSON that is not a login.
    assert_eq!(app.sync_call("frobnicate", "", json!({})).await.status, 400);
    assert_eq!(
        app.sync_call("hostKey", "", json!({"x": 1})).await.status,
        400
    );
    // A zstd bomb stops at the small-body limit.
    let bomb = zstd::bulk::compress(&vec![b' '; 8 << 20], 19).expect("compress");
    assert_eq!(
        app.post_raw("/sync/hostKey", Some(sync_header("")), bomb)
            .await
            .status,
        400
    );
    // GET on a POST route.
    let get = app
        .http
        .get(app.url("/sync/meta"))
        .send()
        .await
        .expect("get");
    assert_eq!(get.status().as_u16(), 405);
    app.shutdown().await;
}

#[tokio::test]
async fn chunked_request_bodies_are_accepted() {
    // The real client streams with Transfer-Encoding: chunked and no Content-Length.
    let app = spawn_app().await;
    app.add_user("alice", "alice-password-1").await;
    let body = zstd_json(&json!({"u": "alice", "p": "alice-password-1"}));
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(3).map(|c| Ok(c.to_vec())).collect();
    let response = app
        .http
        .post(app.url("/sync/hostKey"))
        .header("anki-sync", sync_header(""))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("send");
    let reply = crate::helpers::read_reply(response).await;
    assert_eq!(reply.status, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn health_answers_200_with_an_empty_body() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/health")).send().await.expect("get");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.bytes().await.expect("body").is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn keys_survive_a_restart() {
    let app = spawn_app().await;
    app.add_user("alice", "alice-password-1").await;
    let key = app.login("alice", "alice-password-1").await;
    let config = app.state.config.clone();
    let TestAppParts { dir } = take_dir(app).await;
    let server = flashcard_flow_server::Server::bind(config)
        .await
        .expect("rebind");
    assert!(server
        .state()
        .host_keys
        .get(&accounts::digest(&key))
        .is_some());
    drop(server);
    drop(dir);
}

struct TestAppParts {
    dir: tempfile::TempDir,
}

async fn take_dir(mut app: crate::helpers::TestApp) -> TestAppParts {
    let dir = std::mem::replace(&mut app.dir, tempfile::tempdir().expect("tempdir"));
    app.shutdown().await;
    TestAppParts { dir }
}
