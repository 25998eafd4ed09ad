//! `GET /api/decks`: the signed-in user's deck list with Anki's counts, checked against the
//! deck lists Anki computed for real collections (server/tests/fixtures/deck_tree/), on
//! the server's clock set to the moment Anki counted.

use std::path::Path;

use flashcard_flow_server::collection::file as collection_file;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

async fn decks(app: &TestApp, cookie: &str) -> (u16, Value) {
    let response = app
        .http
        .get(app.url("/api/decks"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("decks");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

/// Each deck's id, name and the three counts, the part both sides must agree on.
fn counts(decks: &Value) -> Vec<Value> {
    decks
        .as_array()
        .expect("decks")
        .iter()
        .map(|d| {
            json!({"id": d["id"], "name": d["name"], "new": d["new"],
                   "learn": d["learn"], "review": d["review"]})
        })
        .collect()
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deck_tree")
}

#[tokio::test]
async fn a_user_who_never_synced_has_no_decks_and_a_stranger_gets_a_json_401() {
    let app = spawn_app().await;
    app.add_user("alice", "alice-password-1").await;
    let cookie = app.api_sign_in("alice", "alice-password-1").await;
    assert_eq!(decks(&app, &cookie).await, (200, json!({"decks": []})));
    let (status, body) = decks(&app, "").await;
    assert_eq!(status, 401);
    assert!(body["error"].is_string(), "{body}");
    app.shutdown().await;
}

#[tokio::test]
async fn the_deck_list_has_the_counts_anki_shows_for_every_collection() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", "alice-password-1").await;
    let cookie = app.api_sign_in("alice", "alice-password-1").await;
    let vectors: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("vectors.json")).expect("vectors"),
    )
    .expect("vectors parse");
    let dir = collection_file::user_dir(app.dir.path(), alice.id);
    std::fs::create_dir_all(&dir).expect("user dir");
    for vector in &vectors {
        let compressed = std::fs::read(fixtures().join(vector["file"].as_str().expect("file")))
            .expect("fixture");
        let collection = zstd::decode_all(compressed.as_slice()).expect("zstd");
        let path = collection_file::collection_path(app.dir.path(), alice.id);
        std::fs::write(&path, collection).expect("write collection");
        let expected = counts(&vector["decks"]);
        // Anki counted somewhere between these two seconds: set the server's clock there.
        let (from, to) = (vector["now_from"].as_i64(), vector["now_to"].as_i64());
        let (from, to) = (from.expect("now_from"), to.expect("now_to"));
        let mut seen = Vec::new();
        for now in from..=to {
            app.state.clock.advance(now - app.state.clock.now());
            let (status, body) = decks(&app, &cookie).await;
            assert_eq!(status, 200, "{body}");
            let got = counts(&body["decks"]);
            if got == expected {
                seen.clear();
                break;
            }
            seen.push(got);
        }
        assert!(
            seen.is_empty(),
            "{}: ours {seen:?}, Anki's {expected:?}",
            vector["case"]
        );
    }
    app.shutdown().await;
}
