//! Media sync against the real server: uploads, downloads, and hostile input. Nothing a
//! client sends may land outside the user's media folder.

use std::io::{Cursor, Read, Write};

use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use zip::write::SimpleFileOptions;
use zip::{ZipArchive, ZipWriter};

use crate::helpers::{spawn_app, sync_header, SyncReply, TestApp};

pub fn upload_zip(meta: Value, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        zip.start_file(*name, SimpleFileOptions::default())
            .expect("start");
        zip.write_all(data).expect("write");
    }
    zip.start_file("_meta", SimpleFileOptions::default())
        .expect("meta");
    zip.write_all(meta.to_string().as_bytes()).expect("write");
    zip.finish().expect("finish").into_inner()
}

pub async fn media(app: &TestApp, key: &str, method: &str, body: Vec<u8>) -> SyncReply {
    app.post_raw(
        &format!("/msync/{method}"),
        Some(sync_header(key)),
        zstd::bulk::compress(&body, 3).expect("zstd"),
    )
    .await
}

async fn media_json(app: &TestApp, key: &str, method: &str, body: Value) -> SyncReply {
    media(app, key, method, body.to_string().into_bytes()).await
}

async fn alice(app: &TestApp) -> (i64, String) {
    let user = app.add_user("alice", "alice-password-1").await;
    (user.id, app.login("alice", "alice-password-1").await)
}

fn sha1_hex(data: &[u8]) -> String {
    hex::encode(Sha1::digest(data))
}

#[tokio::test]
async fn files_go_up_come_down_and_each_change_takes_one_usn() {
    let app = spawn_app().await;
    let (id, key) = alice(&app).await;
    let begin = media_json(&app, &key, "begin", json!({"v": "anki,26.09.3 (x),linux"})).await;
    assert_eq!(begin.json.expect("json")["data"]["usn"], 0);

    let zip = upload_zip(
        json!([["a.jpg", "0"], ["b c.txt", "1"], ["never.png", null]]),
        &[("0", b"jpeg bytes"), ("1", b"text bytes")],
    );
    let up = media(&app, &key, "uploadChanges", zip).await;
    assert_eq!(up.json.expect("json"), json!({"data": [3, 2], "err": ""}));

    let changes = media_json(&app, &key, "mediaChanges", json!({"lastUsn": 0})).await;
    assert_eq!(
        changes.json.expect("json")["data"],
        json!([
            ["a.jpg", 1, sha1_hex(b"jpeg bytes")],
            ["b c.txt", 2, sha1_hex(b"text bytes")]
        ])
    );
    assert_eq!(app.meta(&key).await.json.expect("meta")["media_usn"], 2);

    let down = media_json(
        &app,
        &key,
        "downloadFiles",
        json!({"files": ["b c.txt", "a.jpg"]}),
    )
    .await;
    let mut archive = ZipArchive::new(Cursor::new(down.raw.expect("zip"))).expect("zip");
    let mut meta = String::new();
    archive
        .by_name("_meta")
        .expect("_meta")
        .read_to_string(&mut meta)
        .expect("read");
    assert_eq!(meta, r#"{"0":"b c.txt","1":"a.jpg"}"#);
    let mut first = Vec::new();
    archive
        .by_name("0")
        .expect("0")
        .read_to_end(&mut first)
        .expect("read");
    assert_eq!(first, b"text bytes");

    // Delete one, re-send the other unchanged: one usn for the deletion only.
    let zip = upload_zip(
        json!([["a.jpg", null], ["b c.txt", "0"]]),
        &[("0", b"text bytes")],
    );
    let up = media(&app, &key, "uploadChanges", zip).await;
    assert_eq!(up.json.expect("json")["data"], json!([2, 3]));
    let folder = app
        .dir
        .path()
        .join("users")
        .join(id.to_string())
        .join("media");
    assert!(!folder.join("a.jpg").exists());
    assert_eq!(
        std::fs::read(folder.join("b c.txt")).expect("kept"),
        b"text bytes"
    );
    let changes = media_json(&app, &key, "mediaChanges", json!({"lastUsn": 2})).await;
    assert_eq!(
        changes.json.expect("json")["data"],
        json!([["a.jpg", 3, ""]])
    );

    let sanity = media_json(&app, &key, "mediaSanity", json!({"local": 1})).await;
    assert_eq!(sanity.json.expect("json")["data"], "OK");
    let sanity = media_json(&app, &key, "mediaSanity", json!({"local": 2})).await;
    assert_eq!(sanity.json.expect("json")["data"], "mediaSanity");
    app.shutdown().await;
}

#[tokio::test]
async fn traversal_names_bombs_and_oversized_requests_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let (id, key) = alice(&app).await;
    let user_dir = app.dir.path().join("users").join(id.to_string());
    for name in [
        "../escape.txt",
        "/tmp/ff-absolute.txt",
        "a/b.txt",
        "..",
        "n\u{303}.txt",
    ] {
        let zip = upload_zip(json!([[name, "0"]]), &[("0", b"evil")]);
        assert_eq!(
            media(&app, &key, "uploadChanges", zip).await.status,
            400,
            "{name:?}"
        );
    }
    assert!(!user_dir.join("escape.txt").exists());
    assert!(!std::path::Path::new("/tmp/ff-absolute.txt").exists());
    let bomb = upload_zip(json!([["big.bin", "0"]]), &[("0", &vec![0u8; 101 << 20])]);
    assert!(bomb.len() < 1 << 20);
    assert_eq!(media(&app, &key, "uploadChanges", bomb).await.status, 400);
    assert_eq!(
        media(&app, &key, "uploadChanges", b"not a zip".to_vec())
            .await
            .status,
        400
    );
    let empty = upload_zip(json!([["empty.txt", "0"]]), &[("0", b"")]);
    assert_eq!(media(&app, &key, "uploadChanges", empty).await.status, 400);
    // Nothing was recorded.
    let begin = media_json(&app, &key, "begin", json!({"v": "anki,x"})).await;
    assert_eq!(begin.json.expect("json")["data"]["usn"], 0);

    // Downloads: a name that would leave the folder is refused before any read.
    let down = media_json(
        &app,
        &key,
        "downloadFiles",
        json!({"files": ["../../accounts.sqlite3"]}),
    );
    assert_eq!(down.await.status, 400);
    let unknown = media_json(&app, &key, "downloadFiles", json!({"files": ["nope.jpg"]})).await;
    assert_eq!(unknown.status, 409);
    let names: Vec<String> = (0..26).map(|i| format!("f{i}.jpg")).collect();
    let many = media_json(&app, &key, "downloadFiles", json!({"files": names})).await;
    assert_eq!(many.status, 400);
    let no_version = media_json(&app, &key, "begin", json!({"v": ""})).await;
    assert_eq!(no_version.status, 400);
    assert_eq!(
        media_json(&app, "bad-key", "begin", json!({"v": "x"}))
            .await
            .status,
        403
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_file_missing_on_disk_is_forgotten_with_a_409() {
    let app = spawn_app().await;
    let (id, key) = alice(&app).await;
    let zip = upload_zip(json!([["a.jpg", "0"]]), &[("0", b"data")]);
    assert_eq!(media(&app, &key, "uploadChanges", zip).await.status, 200);
    let file = app
        .dir
        .path()
        .join("users")
        .join(id.to_string())
        .join("media")
        .join("a.jpg");
    std::fs::remove_file(file).expect("remove");
    let down = media_json(&app, &key, "downloadFiles", json!({"files": ["a.jpg"]})).await;
    assert_eq!(down.status, 409);
    let changes = media_json(&app, &key, "mediaChanges", json!({"lastUsn": 1})).await;
    assert_eq!(
        changes.json.expect("json")["data"],
        json!([["a.jpg", 2, ""]])
    );
    app.shutdown().await;
}
