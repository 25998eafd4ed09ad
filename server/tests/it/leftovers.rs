//! Leftovers of uploads cut short by a crash: the files a `kill -9` leaves in a user's
//! directory are gone after the next start and before the user's next upload, and the
//! sweep never touches the collection, media or the media database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use flashcard_flow_server::collection::file as collection_file;
use serde_json::json;

use crate::helpers::{spawn_app, TestApp};
use crate::sync_full::{collection_bytes, upload};
use crate::sync_media::{media, upload_zip};

/// The names a crash leaves, as the server writes them: the incoming upload with the side
/// files its integrity check opened, a retired collection, and unplaced media files.
const CRASH_LEFTOVERS: [&str; 7] = [
    "upload-incoming-0011223344556677.anki2.tmp",
    "upload-incoming-0011223344556677.anki2.tmp-wal",
    "upload-incoming-0011223344556677.anki2.tmp-shm",
    "upload-incoming-8899aabbccddeeff.anki2.tmp-journal",
    "upload-retired-0123456789abcdef.anki2.tmp",
    "media-incoming/0123456789abcdef",
    "media-incoming/fedcba9876543210",
];

fn user_dir(app: &TestApp, user_id: i64) -> PathBuf {
    collection_file::user_dir(app.dir.path(), user_id)
}

fn plant_leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir.join("media-incoming")).expect("scratch folder");
    CRASH_LEFTOVERS
        .iter()
        .map(|name| {
            let path = dir.join(name);
            std::fs::write(&path, b"partial").expect("plant");
            path
        })
        .collect()
}

fn remaining(leftovers: &[PathBuf]) -> Vec<&PathBuf> {
    leftovers.iter().filter(|path| path.exists()).collect()
}

/// Checks through the protocol that the user's collection (its `mod`), media database
/// (its file count) and media files are what they uploaded.
async fn assert_intact(app: &TestApp, key: &str, dir: &Path, modified: i64, media_files: &[&str]) {
    assert_eq!(app.meta(key).await.json.expect("meta")["mod"], modified);
    let local = media_files.len();
    let sanity = media(
        app,
        key,
        "mediaSanity",
        json!({ "local": local }).to_string().into_bytes(),
    )
    .await;
    assert_eq!(
        sanity.json.expect("json")["data"],
        "OK",
        "media.db lists {local} files"
    );
    for name in media_files {
        let bytes = std::fs::read(dir.join("media").join(name)).expect("media file");
        assert_eq!(bytes, format!("{name} bytes").into_bytes());
    }
}

/// Alice with a stored collection and one media file.
async fn alice_with_files(app: &TestApp) -> (i64, String) {
    let user = app.add_user("alice", "alice-password-1").await;
    let key = app.login("alice", "alice-password-1").await;
    let made = collection_bytes(app.dir.path(), 1, 2, 18);
    assert_eq!(upload(app, &key, &made).await.0, 200);
    upload_media(app, &key, "kept.jpg").await;
    (user.id, key)
}

/// Uploads one media file whose content is "<name> bytes".
async fn upload_media(app: &TestApp, key: &str, name: &str) {
    let data = format!("{name} bytes");
    let zip = upload_zip(json!([[name, "0"]]), &[("0", data.as_bytes())]);
    let reply = media(app, key, "uploadChanges", zip).await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn leftovers_of_a_crash_are_gone_once_the_server_has_started() {
    let app = spawn_app().await;
    let (id, key) = alice_with_files(&app).await;
    let dir = user_dir(&app, id);
    let leftovers = plant_leftovers(&dir);

    let app = app.restart().await;
    assert_eq!(remaining(&leftovers), Vec::<&PathBuf>::new());
    assert_intact(&app, &key, &dir, 1, &["kept.jpg"]).await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_full_upload_first_clears_what_earlier_uploads_left() {
    let app = spawn_app().await;
    let (id, key) = alice_with_files(&app).await;
    let dir = user_dir(&app, id);
    let leftovers = plant_leftovers(&dir);

    let next = collection_bytes(app.dir.path(), 2, 3, 18);
    assert_eq!(upload(&app, &key, &next).await.0, 200);
    assert_eq!(remaining(&leftovers), Vec::<&PathBuf>::new());
    assert_intact(&app, &key, &dir, 2, &["kept.jpg"]).await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_media_upload_first_clears_what_earlier_uploads_left() {
    let app = spawn_app().await;
    let (id, key) = alice_with_files(&app).await;
    let dir = user_dir(&app, id);
    let leftovers = plant_leftovers(&dir);

    upload_media(&app, &key, "new.jpg").await;
    assert_eq!(remaining(&leftovers), Vec::<&PathBuf>::new());
    assert_intact(&app, &key, &dir, 1, &["kept.jpg", "new.jpg"]).await;
    app.shutdown().await;
}

#[tokio::test]
async fn an_upload_sweeps_only_once_the_users_request_in_progress_has_ended() {
    let app = spawn_app().await;
    let (id, key) = alice_with_files(&app).await;
    let dir = user_dir(&app, id);

    // A request of alice's in progress, writing its scratch file under her lock.
    let in_progress = app.state.user_locks.lock(id).await;
    let leftovers = plant_leftovers(&dir);
    let zip = upload_zip(json!([["new.jpg", "0"]]), &[("0", b"new.jpg bytes")]);
    let mut waiting = Box::pin(media(&app, &key, "uploadChanges", zip));
    // Not a readiness wait: the upload must not get anywhere while the lock is held.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), waiting.as_mut())
            .await
            .is_err(),
        "the upload ran while another request of the user's held the lock"
    );
    assert_eq!(remaining(&leftovers).len(), leftovers.len());

    drop(in_progress);
    assert_eq!(waiting.await.status, 200);
    assert_eq!(remaining(&leftovers), Vec::<&PathBuf>::new());
    assert_intact(&app, &key, &dir, 1, &["kept.jpg", "new.jpg"]).await;
    app.shutdown().await;
}
