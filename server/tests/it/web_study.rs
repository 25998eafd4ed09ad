//! Studying in the browser through the real server: the JSON API replays the session Anki
//! ran (server/tests/fixtures/study/, from tests/oracle/study_vectors.py) on the server's
//! clock set to each answer's second, and must show the same cards and write the same
//! rows; then bad input, undo, an answer during a normal sync, the page without
//! JavaScript, and `/media`.

use std::path::{Path, PathBuf};

use flashcard_flow_server::collection::file as collection_file;
use rusqlite::Connection;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/study")
}

fn vectors() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("vectors.json")).expect("read"))
        .expect("vectors parse")
}

struct Studying {
    app: TestApp,
    cookie: String,
    user_id: i64,
    v: Value,
}

impl Studying {
    /// A server with alice, whose collection is the session's starting one, on a clock
    /// at the session's first answer.
    async fn start() -> Studying {
        let app = spawn_app().await;
        let alice = app.add_user("alice", "alice-password-1").await;
        let v = vectors();
        let dir = collection_file::user_dir(app.dir.path(), alice.id);
        std::fs::create_dir_all(&dir).expect("user dir");
        let compressed =
            std::fs::read(fixtures().join(v["file"].as_str().expect("file"))).expect("fixture");
        let collection = zstd::decode_all(compressed.as_slice()).expect("zstd");
        std::fs::write(
            collection_file::collection_path(app.dir.path(), alice.id),
            collection,
        )
        .expect("write collection");
        let cookie = app.api_sign_in("alice", "alice-password-1").await;
        let s = Studying {
            app,
            cookie,
            user_id: alice.id,
            v,
        };
        s.at_answer(0);
        s
    }

    fn deck_id(&self) -> i64 {
        self.v["deck_id"].as_i64().expect("deck id")
    }

    fn answers(&self) -> &Vec<Value> {
        self.v["answers"].as_array().expect("answers")
    }

    /// Stops the server's clock at the instant answer `n` was given.
    fn at_answer(&self, n: usize) {
        let millis = self.answers()[n]["answered_at_millis"]
            .as_i64()
            .expect("time");
        self.app.state.clock.stop_at_millis(millis);
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .app
            .http
            .post(self.app.url(path))
            .header("cookie", &self.cookie)
            .json(&body)
            .send()
            .await
            .expect("post");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }

    async fn next(&self) -> Value {
        let (status, body) = self
            .post("/api/study/next", json!({"deck_id": self.deck_id()}))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    fn db(&self) -> Connection {
        let path = collection_file::collection_path(self.app.dir.path(), self.user_id);
        collection_file::open(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE).expect("open")
    }

    fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).expect("count")
    }
}

fn queue_name(kind: &str) -> &str {
    match kind {
        "learning" => "learn",
        other => other,
    }
}

const CARD_COLUMNS: &str = "id, nid, did, type, queue, due, ivl, factor, reps, lapses, left, data";

fn cards_of(conn: &Connection) -> Vec<Value> {
    let mut stmt = conn
        .prepare(&format!("SELECT {CARD_COLUMNS} FROM cards ORDER BY id"))
        .expect("prepare");
    let names: Vec<&str> = CARD_COLUMNS.split(", ").collect();
    stmt.query_map([], |r| {
        let mut row = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            let value: rusqlite::types::Value = r.get(i)?;
            row.insert(
                (*name).to_string(),
                match value {
                    rusqlite::types::Value::Integer(n) => json!(n),
                    rusqlite::types::Value::Text(t) => json!(t),
                    other => json!(format!("{other:?}")),
                },
            );
        }
        Ok(Value::Object(row))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("cards")
}

fn revlog_of(conn: &Connection) -> Vec<Value> {
    let mut stmt = conn
        .prepare("SELECT id, cid, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id")
        .expect("prepare");
    stmt.query_map([], |r| {
        Ok(
            json!({"id": r.get::<_, i64>(0)?, "cid": r.get::<_, i64>(1)?,
                  "ease": r.get::<_, i64>(2)?, "ivl": r.get::<_, i64>(3)?,
                  "lastIvl": r.get::<_, i64>(4)?, "factor": r.get::<_, i64>(5)?,
                  "time": r.get::<_, i64>(6)?, "type": r.get::<_, i64>(7)?}),
        )
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("revlog")
}

#[tokio::test]
async fn the_api_shows_the_cards_anki_shows_and_writes_what_anki_writes() {
    let s = Studying::start().await;
    let key = s.app.login("alice", "alice-password-1").await;
    let mod_before = s.app.meta(&key).await.json.expect("meta")["mod"].clone();
    for (n, a) in s.answers().iter().enumerate() {
        s.at_answer(n);
        let view = s.next().await;
        let card = &view["card"];
        assert_eq!(card["id"], a["card_id"], "step {n}: {view}");
        assert_eq!(
            card["queue"],
            queue_name(a["kind"].as_str().expect("kind")),
            "step {n}"
        );
        assert_eq!(view["counts"], a["counts"], "step {n}");
        let labels: Vec<Value> = card["buttons"]
            .as_array()
            .expect("buttons")
            .iter()
            .map(|b| b["label"].clone())
            .collect();
        assert_eq!(Value::from(labels), a["labels"], "step {n}");
        assert!(card["question"].as_str().is_some_and(|q| !q.is_empty()));
        // `next` without an answer shows the same card again.
        assert_eq!(
            s.next().await["card"]["id"],
            a["card_id"],
            "step {n}: idempotent"
        );
        let (status, body) = s
            .post(
                "/api/study/answer",
                json!({"card_id": a["card_id"], "rating": a["rating"],
                       "millis_taken": a["milliseconds_taken"]}),
            )
            .await;
        assert_eq!((status, &body), (200, &json!({"ok": true})), "step {n}");
    }
    // Every card and revlog row as Anki left them.
    let db = s.db();
    assert_eq!(
        &cards_of(&db),
        s.v["after"]["cards"].as_array().expect("cards")
    );
    assert_eq!(
        &revlog_of(&db),
        s.v["after"]["revlog"].as_array().expect("revlog")
    );
    // The next `meta` reports the change, so every device pulls it.
    let mod_after = s.app.meta(&key).await.json.expect("meta")["mod"].clone();
    assert_ne!(mod_before, mod_after, "meta must report the answers");
    s.app.shutdown().await;
}

#[tokio::test]
async fn bad_input_gets_a_json_error_with_the_right_status_and_writes_nothing() {
    let s = Studying::start().await;
    let card = s.next().await["card"]["id"].as_i64().expect("a card");
    let revlog = s.count("SELECT count(*) FROM revlog");
    let cases = [
        (
            json!({"card_id": card, "rating": "3", "millis_taken": 1000}),
            400,
        ),
        (
            json!({"card_id": card, "rating": 2.5, "millis_taken": 1000}),
            400,
        ),
        (
            json!({"card_id": card, "rating": 0, "millis_taken": 1000}),
            400,
        ),
        (
            json!({"card_id": card, "rating": 5, "millis_taken": 1000}),
            400,
        ),
        (json!({"card_id": card, "rating": 3}), 400),
        (
            json!({"card_id": card, "rating": 3, "millis_taken": -1}),
            400,
        ),
        (
            json!({"card_id": card, "rating": 3, "millis_taken": 3_600_001}),
            400,
        ),
        (
            json!({"card_id": 12345, "rating": 3, "millis_taken": 1000}),
            404,
        ),
    ];
    for (body, status) in cases {
        let (got, answer) = s.post("/api/study/answer", body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{answer}"
        );
        assert!(!answer["error"]
            .as_str()
            .unwrap_or("")
            .contains("AnswerBody"));
    }
    // Another card of the collection, not the one shown: 409.
    let other: i64 = s
        .db()
        .query_row("SELECT id FROM cards WHERE id != ?1 LIMIT 1", [card], |r| {
            r.get(0)
        })
        .expect("another card");
    let (status, body) = s
        .post(
            "/api/study/answer",
            json!({"card_id": other, "rating": 3, "millis_taken": 1}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = s.post("/api/study/next", json!({"deck_id": 999})).await;
    assert_eq!(status, 404);
    let (status, _) = s.post("/api/study/next", json!({"deck_id": "1"})).await;
    assert_eq!(status, 400);
    let (status, _) = s
        .post("/api/study/reveal", json!({"card_id": 12345, "typed": ""}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        s.count("SELECT count(*) FROM revlog"),
        revlog,
        "nothing written"
    );

    // Answering twice: the second is not to the card shown.
    let ok = json!({"card_id": card, "rating": 3, "millis_taken": 1000});
    assert_eq!(s.post("/api/study/answer", ok.clone()).await.0, 200);
    assert_eq!(s.post("/api/study/answer", ok.clone()).await.0, 409);
    assert_eq!(s.count("SELECT count(*) FROM revlog"), revlog + 1);

    // Signed out, and from another site.
    let response = s
        .app
        .http
        .post(s.app.url("/api/study/next"))
        .json(&json!({"deck_id": s.deck_id()}))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 401);
    let response = s
        .app
        .http
        .post(s.app.url("/api/study/undo"))
        .header("cookie", &s.cookie)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.expect("json");
    assert!(body["error"].is_string());
    assert_eq!(
        s.count("SELECT count(*) FROM revlog"),
        revlog + 1,
        "undo refused"
    );
    s.app.shutdown().await;
}

#[tokio::test]
async fn a_user_cannot_reach_another_users_cards() {
    let s = Studying::start().await;
    let card = s.next().await["card"]["id"].as_i64().expect("a card");
    s.app.add_user("bob", "bob-password-123").await;
    let bob = s.app.api_sign_in("bob", "bob-password-123").await;
    let response = s
        .app
        .http
        .post(s.app.url("/api/study/answer"))
        .header("cookie", &bob)
        .json(&json!({"card_id": card, "rating": 3, "millis_taken": 1000}))
        .send()
        .await
        .expect("post");
    // Bob has no collection at all; a foreign card id is never found.
    assert_eq!(response.status(), 404);
    s.app.shutdown().await;
}

#[tokio::test]
async fn undo_takes_the_last_answer_back_and_shows_its_card_until_a_sync() {
    let s = Studying::start().await;
    let before = cards_of(&s.db());
    let revlog = s.count("SELECT count(*) FROM revlog");
    let first = s.next().await["card"]["id"].as_i64().expect("a card");
    let answer = json!({"card_id": first, "rating": 1, "millis_taken": 5000});
    assert_eq!(s.post("/api/study/answer", answer.clone()).await.0, 200);
    assert_ne!(
        s.next().await["card"]["id"],
        json!(first),
        "another card is next"
    );
    let (status, body) = s.post("/api/study/undo", json!({})).await;
    assert_eq!((status, &body), (200, &json!({"ok": true})));
    assert_eq!(
        s.next().await["card"]["id"],
        json!(first),
        "the undone card again"
    );
    let mut after_undo = cards_of(&s.db());
    // The first look of the day unburied yesterday's cards; that stays.
    for (a, b) in after_undo.iter_mut().zip(&before) {
        a["queue"] = b["queue"].clone();
    }
    assert_eq!(after_undo, before);
    assert_eq!(s.count("SELECT count(*) FROM revlog"), revlog);
    assert_eq!(
        s.post("/api/study/undo", json!({})).await.0,
        409,
        "nothing left to undo"
    );

    // Answered again, then a sync finishes (the server's usn moves): undo is refused.
    assert_eq!(s.post("/api/study/answer", answer).await.0, 200);
    s.db()
        .execute("UPDATE col SET usn = usn + 1", [])
        .expect("a sync's finish");
    let (status, body) = s.post("/api/study/undo", json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(s.count("SELECT count(*) FROM revlog"), revlog + 1);
    s.app.shutdown().await;
}

#[tokio::test]
async fn an_answer_while_a_normal_sync_is_open_is_refused_and_neither_is_lost() {
    let s = Studying::start().await;
    let card = s.next().await["card"]["id"].as_i64().expect("a card");
    let key = s.app.login("alice", "alice-password-1").await;
    assert_eq!(s.app.meta(&key).await.status, 200);
    let start = s
        .app
        .sync_call("start", &key, json!({"minUsn": 0, "lnewer": false}))
        .await;
    assert_eq!(start.status, 200, "start");
    let answer = json!({"card_id": card, "rating": 3, "millis_taken": 1000});
    let (status, body) = s.post("/api/study/answer", answer.clone()).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("sync")),
        "{body}"
    );
    // The sync goes on to its end.
    let chunk = s
        .app
        .sync_call(
            "applyGraves",
            &key,
            json!({"chunk": {"cards": [], "notes": [], "decks": []}}),
        )
        .await;
    assert_eq!(chunk.status, 200, "the sync continues");
    let abort = s.app.sync_call("abort", &key, json!({})).await;
    assert_eq!(abort.status, 200);
    // The card is still the one shown; now the answer goes through.
    let (status, body) = s.post("/api/study/answer", answer).await;
    assert_eq!(status, 200, "{body}");
    // An undo during the next sync is refused too, and possible once it is over.
    assert_eq!(s.app.meta(&key).await.status, 200);
    let start = s
        .app
        .sync_call("start", &key, json!({"minUsn": 0, "lnewer": false}))
        .await;
    assert_eq!(start.status, 200, "second start");
    let (status, body) = s.post("/api/study/undo", json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(s.app.sync_call("abort", &key, json!({})).await.status, 200);
    let (status, body) = s.post("/api/study/undo", json!({})).await;
    assert_eq!(status, 200, "{body}");
    s.app.shutdown().await;
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().expect("value").to_string()
}

#[tokio::test]
async fn the_study_page_works_without_javascript() {
    let s = Studying::start().await;
    let http = no_redirects();
    let deck = s.deck_id();
    let get = |path: String| {
        http.get(s.app.url(&path))
            .header("cookie", &s.cookie)
            .send()
    };
    let page = get(format!("/study/{deck}")).await.expect("page");
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(
        csp.contains("style-src 'self' 'unsafe-inline'") && csp.contains("script-src 'self';"),
        "{csp}"
    );
    let html = page.text().await.expect("html");
    assert!(
        html.contains("sandbox=\"allow-same-origin\""),
        "the card is in a sandboxed frame"
    );
    assert!(!html.contains("allow-scripts"));
    let card = s.answers()[0]["card_id"].as_i64().expect("card");
    assert!(
        html.contains(&format!("name=\"answer\" value=\"{card}\"")),
        "show-answer form"
    );

    let answer_side = get(format!("/study/{deck}?answer={card}&shown_at=0"))
        .await
        .expect("answer side")
        .text()
        .await
        .expect("html");
    let shown_text = answer_side.replace("&#60;", "<").replace("&lt;", "<");
    for label in s.answers()[0]["labels"].as_array().expect("labels") {
        assert!(
            shown_text.contains(label.as_str().expect("label")),
            "{label}"
        );
    }
    assert!(answer_side.contains("name=\"rating\" value=\"4\""));
    let csrf = csrf_of(&answer_side);
    let posted = http
        .post(s.app.url(&format!("/study/{deck}/answer")))
        .header("cookie", &s.cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("card_id", &card.to_string()),
            ("rating", "3"),
            ("shown_at", "0"),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(posted.status(), 303);
    assert_eq!(
        posted.headers()["location"],
        format!("/study/{deck}").as_str()
    );
    assert_eq!(
        s.count("SELECT count(*) FROM revlog WHERE time = 20000"),
        1,
        "capped time"
    );

    // A form without the session's token is refused and writes nothing.
    let forged = http
        .post(s.app.url(&format!("/study/{deck}/undo")))
        .header("cookie", &s.cookie)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .expect("undo");
    assert_eq!(forged.status(), 403);
    let undo = http
        .post(s.app.url(&format!("/study/{deck}/undo")))
        .header("cookie", &s.cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("undo");
    assert_eq!(undo.status(), 303);
    assert_eq!(
        undo.headers()["location"],
        format!("/study/{deck}?notice=undone").as_str()
    );
    assert_eq!(s.count("SELECT count(*) FROM revlog WHERE time = 20000"), 0);

    // Signed out: sent to sign in, and back here after.
    let signed_out = http
        .get(s.app.url(&format!("/study/{deck}")))
        .send()
        .await
        .expect("page");
    assert_eq!(signed_out.status(), 303);
    let location = signed_out.headers()["location"].to_str().expect("location");
    assert!(
        location == format!("/login?next=/study/{deck}")
            || location == format!("/login?next=%2Fstudy%2F{deck}"),
        "{location}"
    );
    s.app.shutdown().await;
}

#[tokio::test]
async fn media_files_are_served_to_their_owner_only() {
    let s = Studying::start().await;
    let folder = collection_file::media_folder(s.app.dir.path(), s.user_id);
    std::fs::create_dir_all(&folder).expect("media folder");
    std::fs::write(folder.join("cat 1.png"), b"\x89PNG fake").expect("file");
    let get = |path: &str, cookie: Option<&str>| {
        let mut request = s.app.http.get(s.app.url(path));
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let ok = get("/media/cat%201.png", Some(&s.cookie))
        .await
        .expect("media");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "image/png");
    assert!(ok.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .contains("sandbox"));
    assert_eq!(ok.bytes().await.expect("body").as_ref(), b"\x89PNG fake");
    assert_eq!(
        get("/media/cat%201.png", None)
            .await
            .expect("media")
            .status(),
        404
    );
    s.app.add_user("bob", "bob-password-123").await;
    let bob = s.app.api_sign_in("bob", "bob-password-123").await;
    assert_eq!(
        get("/media/cat%201.png", Some(&bob))
            .await
            .expect("media")
            .status(),
        404
    );
    for escape in ["/media/..%2Fcollection.anki2", "/media/a%5Cb"] {
        let response = get(escape, Some(&s.cookie)).await.expect("media");
        assert_eq!(response.status(), 404, "{escape}");
    }
    s.app.shutdown().await;
}

#[tokio::test]
async fn a_day_studied_only_on_the_web_gets_its_daily_snapshot() {
    let s = Studying::start().await;
    let backups = collection_file::user_dir(s.app.dir.path(), s.user_id).join("backups");
    let daily = || {
        std::fs::read_dir(&backups)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with("-daily.json"))
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(daily(), 0);
    let a = &s.answers()[0];
    assert_eq!(s.next().await["card"]["id"], a["card_id"]);
    let (status, _) = s
        .post(
            "/api/study/answer",
            json!({"card_id": a["card_id"], "rating": a["rating"], "millis_taken": 1000}),
        )
        .await;
    assert_eq!(status, 200);
    // Taken off the request path: wait for it (bounded), then make sure it is one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while daily() == 0 {
        assert!(std::time::Instant::now() < deadline, "no daily snapshot");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    s.at_answer(1);
    let b = &s.answers()[1];
    assert_eq!(s.next().await["card"]["id"], b["card_id"]);
    let (status, _) = s
        .post(
            "/api/study/answer",
            json!({"card_id": b["card_id"], "rating": b["rating"], "millis_taken": 1000}),
        )
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(daily(), 1, "one daily snapshot a day");
    s.app.shutdown().await;
}
