//! Full upload and download against the real server: the good path, and every way an
//! upload can go wrong, each of which must leave the stored collection byte-for-byte intact.

use std::path::{Path, PathBuf};

use flashcard_flow_server::collection::file as collection_file;
use flashcard_flow_server::sync::{UPLOAD_CORRUPT, UPLOAD_OK, UPLOAD_TOO_LARGE};
use r2d2_sqlite::rusqlite::{Connection, OpenFlags};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::helpers::{spawn_app, spawn_app_with, sync_header, zstd_json, TestApp};

/// A minimal schema-18-shaped collection: what the server itself reads (`col`, `cards`).
/// Real collections from the real client are exercised by the Python acceptance suite.
pub fn collection_bytes(dir: &Path, modified: i64, cards: usize, ver: i64) -> Vec<u8> {
    let path = dir.join(format!("made-{modified}-{ver}.anki2"));
    // Opened the way the server opens collections: with Anki's `unicase` collation, which
    // the table below uses as Anki's own `tags` table does.
    let conn = collection_file::open(&path, OpenFlags::default()).expect("create");
    conn.execute_batch(
        "CREATE TABLE col (id INTEGER PRIMARY KEY, crt INTEGER, mod INTEGER, scm INTEGER, \
         ver INTEGER, dty INTEGER, usn INTEGER, ls INTEGER, conf TEXT, models TEXT, decks TEXT, \
         dconf TEXT, tags TEXT);
         CREATE TABLE cards (id INTEGER PRIMARY KEY, nid INTEGER);
         CREATE TABLE tags (tag TEXT NOT NULL PRIMARY KEY COLLATE unicase) WITHOUT ROWID;
         INSERT INTO tags VALUES ('Ärger'), ('zebra'), ('apple');",
    )
    .expect("schema");
    conn.execute(
        "INSERT INTO col VALUES (1, 0, ?1, ?1, ?2, 0, 1, ?1, '', '', '', '', '')",
        [modified, ver],
    )
    .expect("col");
    for i in 0..cards {
        conn.execute("INSERT INTO cards VALUES (?1, ?1)", [i as i64 + 1])
            .expect("card");
    }
    drop(conn);
    std::fs::read(&path).expect("read")
}

async fn upload_raw(app: &TestApp, key: &str, body: Vec<u8>) -> (u16, String) {
    let reply = app
        .http
        .post(app.url("/sync/upload"))
        .header("anki-sync", sync_header(key))
        .body(body)
        .send()
        .await
        .expect("send");
    let status = reply.status().as_u16();
    let bytes = reply.bytes().await.expect("body");
    let text = if status == 200 {
        String::from_utf8(zstd::stream::decode_all(&bytes[..]).expect("zstd")).expect("utf8")
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (status, text)
}

/// Uploads a collection the real client made (a normal sync needs all of Anki's tables):
/// the study fixture's starting one.
pub async fn upload_client_collection(app: &TestApp, key: &str) {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/study/session.anki2.zst");
    let collection =
        zstd::decode_all(std::fs::read(fixture).expect("fixture").as_slice()).expect("zstd");
    assert_eq!(upload(app, key, &collection).await.0, 200);
}

pub async fn upload(app: &TestApp, key: &str, collection: &[u8]) -> (u16, String) {
    upload_raw(app, key, zstd::bulk::compress(collection, 3).expect("zstd")).await
}

fn stored(app: &TestApp, user_id: i64) -> PathBuf {
    collection_file::collection_path(app.dir.path(), user_id)
}

async fn alice(app: &TestApp) -> (i64, String) {
    let user = app.add_user("alice", "alice-password-1").await;
    (user.id, app.login("alice", "alice-password-1").await)
}

#[tokio::test]
async fn an_upload_is_stored_reported_by_meta_and_downloaded_with_a_bumped_usn() {
    let app = spawn_app().await;
    let (id, key) = alice(&app).await;
    let made = collection_bytes(app.dir.path(), 1_700_000_000_123, 3, 18);
    assert_eq!(
        upload(&app, &key, &made).await,
        (200, UPLOAD_OK.to_string())
    );

    let meta = app.meta(&key).await.json.expect("meta");
    assert_eq!(meta["mod"], 1_700_000_000_123_i64);
    assert_eq!(meta["scm"], 1_700_000_000_123_i64);
    assert_eq!(meta["usn"], 1);
    assert_eq!(meta["empty"], false);

    let reply = app
        .post_raw(
            "/sync/download",
            Some(sync_header(&key)),
            zstd_json(&json!({"_pad": null})),
        )
        .await;
    assert_eq!(reply.status, 200);
    let file = app.dir.path().join("downloaded.anki2");
    std::fs::write(&file, reply.raw.expect("bytes")).expect("write");
    let conn = Connection::open(&file).expect("open download");
    let (usn, cards): (i64, i64) = conn
        .query_row(
            "SELECT usn, (SELECT count(*) FROM cards) FROM col",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("read");
    assert_eq!((usn, cards), (2, 3));
    assert_eq!(app.meta(&key).await.json.expect("meta")["usn"], 2);
    assert!(stored(&app, id).exists());
    app.shutdown().await;
}

/// Uploads a good collection, then `bad`, and checks the reply and that nothing changed.
async fn assert_refused_and_intact(
    app: &TestApp,
    id: i64,
    key: &str,
    bad: Vec<u8>,
    expected: &str,
) {
    let before = std::fs::read(stored(app, id)).expect("stored collection");
    let (status, text) = upload_raw(app, key, bad).await;
    assert_eq!((status, text.as_str()), (200, expected));
    assert_eq!(std::fs::read(stored(app, id)).expect("still there"), before);
    let leftovers: Vec<_> = std::fs::read_dir(stored(app, id).parent().expect("dir"))
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| collection_file::is_upload_leftover(&e.file_name().to_string_lossy()))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[tokio::test]
async fn corrupt_and_wrong_schema_uploads_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let (id, key) = alice(&app).await;
    let good = collection_bytes(app.dir.path(), 1, 1, 18);
    assert_eq!(upload(&app, &key, &good).await.1, UPLOAD_OK);

    let garbage = zstd::bulk::compress(b"SQLite format 3\0 but not really", 3).expect("zstd");
    assert_refused_and_intact(&app, id, &key, garbage, UPLOAD_CORRUPT).await;
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let truncated = zstd::bulk::compress(&truncated, 3).expect("zstd");
    assert_refused_and_intact(&app, id, &key, truncated, UPLOAD_CORRUPT).await;
    let schema_12 =
        zstd::bulk::compress(&collection_bytes(app.dir.path(), 2, 1, 12), 3).expect("zstd");
    assert_refused_and_intact(&app, id, &key, schema_12, UPLOAD_CORRUPT).await;
    assert_refused_and_intact(&app, id, &key, good.clone(), UPLOAD_CORRUPT).await; // not zstd
    assert_refused_and_intact(&app, id, &key, Vec::new(), UPLOAD_CORRUPT).await;
    app.shutdown().await;
}

#[tokio::test]
async fn uploads_over_the_cap_and_zstd_bombs_are_refused_and_change_nothing() {
    let app = spawn_app_with(|config| config.max_collection_bytes = 1 << 20).await;
    let (id, key) = alice(&app).await;
    assert_eq!(
        upload(&app, &key, &collection_bytes(app.dir.path(), 1, 1, 18))
            .await
            .1,
        UPLOAD_OK
    );
    // 64 MiB of zeros in a few KiB: stops at the 1 MiB cap.
    let bomb = zstd::bulk::compress(&vec![0u8; 64 << 20], 19).expect("zstd");
    assert!(bomb.len() < 64 * 1024);
    assert_refused_and_intact(&app, id, &key, bomb, UPLOAD_TOO_LARGE).await;
    // More compressed bytes than the cap.
    let noise: Vec<u8> = (0..(2u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_refused_and_intact(&app, id, &key, noise, UPLOAD_TOO_LARGE).await;
    app.shutdown().await;
}

#[tokio::test]
async fn an_upload_cut_off_mid_body_changes_nothing() {
    let app = spawn_app().await;
    let (id, key) = alice(&app).await;
    let good = collection_bytes(app.dir.path(), 1, 1, 18);
    assert_eq!(upload(&app, &key, &good).await.1, UPLOAD_OK);
    let before = std::fs::read(stored(&app, id)).expect("stored");

    // A client killed mid-upload: chunked body, some bytes, then the connection drops.
    let next = zstd::bulk::compress(&collection_bytes(app.dir.path(), 5, 9, 18), 3).expect("zstd");
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /sync/upload HTTP/1.1\r\nhost: x\r\nanki-sync: {}\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n",
        sync_header(&key),
        next.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream
        .write_all(&next[..next.len() / 2])
        .await
        .expect("half");
    drop(stream);

    // The next request of this user waits for the cut-off upload to be cleaned up.
    assert_eq!(app.meta(&key).await.status, 200);
    assert_eq!(std::fs::read(stored(&app, id)).expect("intact"), before);
    let meta = app.meta(&key).await.json.expect("meta");
    assert_eq!(meta["mod"], 1);
    app.shutdown().await;
}

#[tokio::test]
async fn uploads_and_downloads_need_a_valid_key() {
    let app = spawn_app().await;
    let (_, key) = alice(&app).await;
    let good = collection_bytes(app.dir.path(), 1, 1, 18);
    assert_eq!(upload(&app, "not-a-key", &good).await.0, 403);
    let reply = app
        .post_raw(
            "/sync/download",
            Some(sync_header("nope")),
            zstd_json(&json!({})),
        )
        .await;
    assert_eq!(reply.status, 403);
    // A download before any upload: nothing to send.
    let reply = app
        .post_raw(
            "/sync/download",
            Some(sync_header(&key)),
            zstd_json(&json!({})),
        )
        .await;
    assert_eq!(reply.status, 400);
    app.shutdown().await;
}
