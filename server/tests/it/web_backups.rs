//! The backups page's restore against the real server: refused with a page that says why
//! while a normal sync of the user is open (the collection untouched), done once it has
//! ended, and only with the form's token.

use flashcard_flow_server::collection::file as collection_file;
use flashcard_flow_server::collection::snapshots::{self, Reason};

use crate::helpers::spawn_app;

/// The CSRF token of a page's form.
fn csrf_of(page: &str) -> String {
    let start = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a token")
        + 19;
    let end = start + page[start..].find('"').expect("the token's end");
    page[start..end].to_string()
}

#[tokio::test]
async fn a_web_restore_waits_for_an_open_sync_and_needs_the_forms_token() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", "alice-password-1").await;
    let key = app.login("alice", "alice-password-1").await;
    crate::sync_full::upload_client_collection(&app, &key).await;
    let data_dir = app.dir.path().to_path_buf();
    let taken = snapshots::take(&data_dir, alice.id, Reason::Manual, 1_800_000_000)
        .expect("snapshot")
        .expect("a collection to snapshot");
    let cookie = app.api_sign_in("alice", "alice-password-1").await;
    let path = format!("/account/backups/{}/restore", taken.id);
    let page = app
        .http
        .get(app.url(&path))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("confirm page");
    assert_eq!(page.status(), 200);
    let token = csrf_of(&page.text().await.expect("body"));
    // A browser's form post, its 303 not followed.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let post = |csrf: String| {
        browser
            .post(app.url(&path))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf)])
            .send()
    };
    let live = collection_file::collection_path(&data_dir, alice.id);
    let before = std::fs::read(&live).expect("collection");

    assert_eq!(
        post("not-the-token".into()).await.expect("post").status(),
        403
    );

    let before_scm = app.meta(&key).await.json.expect("meta")["scm"]
        .as_i64()
        .expect("scm");
    let start = app
        .sync_call(
            "start",
            &key,
            serde_json::json!({"minUsn": 0, "lnewer": false}),
        )
        .await;
    assert_eq!(start.status, 200);
    let refused = post(token.clone()).await.expect("post");
    assert_eq!(refused.status(), 409);
    let text = refused.text().await.expect("body");
    assert!(
        text.contains("A device is syncing your collection"),
        "{text}"
    );
    assert_eq!(
        snapshots::list(&data_dir, alice.id).expect("list").len(),
        1,
        "nothing was kept: nothing was replaced"
    );
    assert_eq!(
        app.sync_call("abort", &key, serde_json::json!({}))
            .await
            .status,
        200
    );
    assert_eq!(std::fs::read(&live).expect("collection"), before);

    let done = post(token).await.expect("post");
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/account/backups");
    let reasons: Vec<Reason> = snapshots::list(&data_dir, alice.id)
        .expect("list")
        .into_iter()
        .map(|s| s.reason)
        .collect();
    assert!(reasons.contains(&Reason::BeforeRestore), "{reasons:?}");
    // The next meta reports a new schema: the client must choose a full sync.
    let meta = app.meta(&key).await.json.expect("meta");
    assert!(meta["scm"].as_i64().expect("scm") > before_scm, "{meta}");
    app.shutdown().await;
}
