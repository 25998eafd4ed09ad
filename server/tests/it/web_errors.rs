//! The web's error answers: `{"error"}` with a readable sentence on every JSON route and
//! status, styled and translated pages for the page routes, the sync protocol's bare
//! answers left as they were, and the security headers on all of them.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, sync_header, zstd_json, TestApp};

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `error` sentence of a JSON error answer, failing the test on any other shape.
    fn json_error(&self) -> String {
        assert!(
            self.header("content-type")
                .is_some_and(|v| v.starts_with("application/json")),
            "JSON answer: {:?} {}",
            self.header("content-type"),
            self.body
        );
        let value: Value = serde_json::from_str(&self.body).expect("a JSON body");
        let message = value["error"]
            .as_str()
            .expect("an error sentence")
            .to_string();
        for internal in [
            "struct",
            "expected",
            "ApiLogin",
            "RequestBody",
            "ResetBody",
            "SecretString",
            "Failed to",
            "line 1",
        ] {
            assert!(!message.contains(internal), "{internal:?} in {message:?}");
        }
        assert!(message.ends_with('.'), "a sentence: {message:?}");
        message
    }

    fn is_page(&self) -> bool {
        self.header("content-type")
            .is_some_and(|v| v.starts_with("text/html"))
            && self.body.contains("/static/app.css")
            && self.body.contains("<a href=\"/\">")
    }
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request sent");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

/// The JSON routes that take a body, each with a complete valid body.
const BODY_ROUTES: [(&str, &str, &str); 3] = [
    ("/api/login", "login", "password"),
    ("/password-reset/request", "email", ""),
    ("/password-reset/reset", "token", "password"),
];

fn post_json(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: String,
) -> reqwest::RequestBuilder {
    app.http
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
}

#[tokio::test]
async fn every_json_route_answers_a_bad_body_with_a_readable_json_error() {
    let app = spawn_app().await;
    for (path, first, second) in BODY_ROUTES {
        let not_json = send(post_json(&app, path, "application/json", "{\"x\":".into())).await;
        assert_eq!(not_json.status, 400, "{path}");
        assert_eq!(not_json.json_error(), "The body is not valid JSON.");

        let valid = json!({ first: "a value", second: "another value" }).to_string();
        let wrong_type = send(post_json(&app, path, "text/plain", valid)).await;
        assert_eq!(wrong_type.status, 415, "{path}");
        assert!(wrong_type
            .json_error()
            .contains("Content-Type: application/json"));

        let missing = send(post_json(&app, path, "application/json", "{}".into())).await;
        assert_eq!(missing.status, 400, "{path}");
        assert_eq!(
            missing.json_error(),
            format!("The field \"{first}\" is missing.")
        );

        let typed = json!({ first: 5, second: "another value" }).to_string();
        let wrong = send(post_json(&app, path, "application/json", typed)).await;
        assert_eq!(wrong.status, 400, "{path}");
        assert_eq!(
            wrong.json_error(),
            format!("The field \"{first}\" must be a string.")
        );

        let array = send(post_json(
            &app,
            path,
            "application/json",
            "[\"a\",\"b\"]".into(),
        ))
        .await;
        assert_eq!(array.status, 400, "{path}");
        assert_eq!(array.json_error(), "The body must be a JSON object.");

        let big = json!({ first: "x".repeat(20 * 1024), second: "y" }).to_string();
        let too_large = send(post_json(&app, path, "application/json", big)).await;
        assert_eq!(too_large.status, 413, "{path}");
        assert!(too_large.json_error().contains("16 KiB"));
    }
    app.shutdown().await;
}

#[tokio::test]
async fn json_routes_answer_wrong_methods_bad_queries_and_unknown_paths_in_json() {
    let app = spawn_app().await;
    for path in [
        "/api/login",
        "/password-reset/request",
        "/password-reset/reset",
    ] {
        let get = send(app.http.get(app.url(path))).await;
        assert_eq!(get.status, 405, "{path}");
        assert_eq!(get.header("allow"), Some("POST"));
        assert_eq!(
            get.json_error(),
            "This endpoint does not accept the GET method."
        );
    }
    let post = send(app.http.post(app.url("/password-reset/verify"))).await;
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET,HEAD"));
    assert_eq!(
        post.json_error(),
        "This endpoint does not accept the POST method."
    );
    let twice = send(
        app.http
            .get(app.url("/password-reset/verify?token=a&token=b")),
    )
    .await;
    assert_eq!(twice.status, 400);
    assert_eq!(twice.json_error(), "The request could not be understood.");
    let unknown = send(app.http.get(app.url("/api/no-such-thing"))).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json_error(), "There is no such API endpoint.");
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_pages_and_wrong_methods_render_a_translated_page_with_a_way_back() {
    let app = spawn_app().await;
    let missing = send(app.http.get(app.url("/no-such-page"))).await;
    assert_eq!(missing.status, 404);
    assert!(missing.is_page(), "{}", missing.body);
    assert!(missing.body.contains("Page not found"));
    assert!(missing.body.contains("Go to the start page"));

    let german = send(
        app.http
            .get(app.url("/no-such-page"))
            .header("accept-language", "de-DE,de;q=0.9,en;q=0.5"),
    )
    .await;
    assert_eq!(german.status, 404);
    assert!(german.is_page());
    assert!(german.body.contains("<html lang=\"de\">"));
    assert!(german.body.contains("Seite nicht gefunden"));
    assert!(german.body.contains("Zur Startseite"));

    let asset = send(app.http.get(app.url("/static/no-such.css"))).await;
    assert_eq!(asset.status, 404);
    assert!(asset.is_page());

    let method = send(
        app.http
            .put(app.url("/login"))
            .header("accept-language", "de"),
    )
    .await;
    assert_eq!(method.status, 405);
    assert!(method.is_page(), "{}", method.body);
    assert!(method.body.contains("Diese Aktion ist hier nicht möglich"));
    assert_eq!(method.header("allow"), Some("GET,HEAD,POST"));
    app.shutdown().await;
}

#[tokio::test]
async fn oversized_and_mistyped_form_posts_render_a_styled_page() {
    let app = spawn_app().await;
    let big = format!("login=alice&password={}", "x".repeat(20 * 1024));
    let too_large = send(
        app.http
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big),
    )
    .await;
    assert_eq!(too_large.status, 413);
    assert!(too_large.is_page(), "{}", too_large.body);
    assert!(too_large.body.contains("Too much data"));

    let json_to_a_form = send(
        app.http
            .post(app.url("/password-reset"))
            .json(&json!({"email": "a@example.com"})),
    )
    .await;
    assert_eq!(json_to_a_form.status, 415);
    assert!(json_to_a_form.is_page(), "{}", json_to_a_form.body);
    assert!(json_to_a_form.body.contains("Unsupported format"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_form_without_its_token_gets_a_styled_expired_form_page() {
    let app = spawn_app().await;
    let refused = send(
        app.http
            .post(app.url("/login"))
            .header("accept-language", "de")
            .form(&[("login", "alice"), ("password", "alice-password-1")]),
    )
    .await;
    assert_eq!(refused.status, 403);
    assert!(refused.is_page(), "{}", refused.body);
    assert!(refused.body.contains("Dieses Formular ist abgelaufen"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_non_admin_on_the_admin_settings_gets_a_styled_403_page() {
    let app = spawn_app().await;
    app.add_user("bob", "bob-password-123").await;
    let login = send(
        app.http
            .post(app.url("/api/login"))
            .json(&json!({"login": "bob", "password": "bob-password-123"})),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.body);
    let cookie = login
        .header("set-cookie")
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_string();
    let english = send(
        app.http
            .get(app.url("/admin/settings"))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(english.status, 403);
    assert!(english.is_page(), "{}", english.body);
    assert!(english.body.contains("Admins only"));
    let german = send(
        app.http
            .get(app.url("/admin/settings"))
            .header("cookie", &cookie)
            .header("accept-language", "de"),
    )
    .await;
    assert_eq!(german.status, 403);
    assert!(german.body.contains("Nur für Administratoren"));
    app.shutdown().await;
}

#[tokio::test]
async fn sync_paths_keep_their_bare_status_answers() {
    let app = spawn_app().await;
    // `post_raw` asserts that an error body is the status number and nothing else.
    let unknown = app
        .post_raw(
            "/sync/unknown",
            Some(sync_header("")),
            zstd_json(&json!({})),
        )
        .await;
    assert_eq!(unknown.status, 400);
    let media = app
        .post_raw("/msync/x", Some(sync_header("")), zstd_json(&json!({})))
        .await;
    assert_eq!(media.status, 403);
    for (method, path) in [
        (reqwest::Method::GET, "/sync/meta"),
        (reqwest::Method::GET, "/msync/begin"),
        (reqwest::Method::POST, "/sync"),
        (reqwest::Method::POST, "/sync/a/b"),
        (reqwest::Method::POST, "/msync/"),
    ] {
        let reply = send(app.http.request(method.clone(), app.url(path))).await;
        let expected = if method == reqwest::Method::GET {
            405
        } else {
            404
        };
        assert_eq!(reply.status, expected, "{method} {path}");
        assert_eq!(reply.body, "", "{method} {path}");
        assert_eq!(reply.header("content-type"), None, "{method} {path}");
    }
    app.shutdown().await;
}

const WEB_HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()",
    ),
    ("cache-control", "no-store"),
];

async fn web_answers(app: &TestApp) -> Vec<(&'static str, Reply)> {
    vec![
        ("page", send(app.http.get(app.url("/login"))).await),
        ("404 page", send(app.http.get(app.url("/nowhere"))).await),
        ("405 page", send(app.http.delete(app.url("/account"))).await),
        (
            "403 page",
            send(app.http.post(app.url("/login")).form(&[("login", "a")])).await,
        ),
        (
            "API error",
            send(post_json(app, "/api/login", "application/json", "{".into())).await,
        ),
        ("API 404", send(app.http.get(app.url("/api/nowhere"))).await),
    ]
}

#[tokio::test]
async fn every_web_answer_carries_the_security_headers_and_no_hsts_over_http() {
    let app = spawn_app().await;
    for (what, reply) in web_answers(&app).await {
        for (name, value) in WEB_HEADERS {
            assert_eq!(reply.header(name), Some(value), "{name} on the {what}");
        }
        assert!(reply
            .header("content-security-policy")
            .is_some_and(
                |csp| csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'")
            ));
        assert_eq!(reply.header("strict-transport-security"), None, "{what}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn an_https_public_url_adds_hsts_for_a_year_without_subdomains_everywhere() {
    let app = spawn_app_with(|c| c.public_url = "https://flashcards.example".into()).await;
    let mut answers = web_answers(&app).await;
    answers.push(("health", send(app.http.get(app.url("/health"))).await));
    answers.push((
        "sync error",
        send(app.http.get(app.url("/sync/meta"))).await,
    ));
    for (what, reply) in answers {
        assert_eq!(
            reply.header("strict-transport-security"),
            Some("max-age=31536000"),
            "{what}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn while_no_account_exists_the_sign_in_page_says_how_to_create_the_first_admin() {
    let app = crate::helpers::spawn_app().await;
    let page = |lang: &'static str| {
        let request = app
            .http
            .get(app.url("/login"))
            .header("accept-language", lang);
        async move {
            request
                .send()
                .await
                .expect("login page")
                .text()
                .await
                .expect("body")
        }
    };
    let command = format!(
        "adminctl --data-dir {} user add --admin NAME EMAIL",
        app.dir.path().display()
    );
    let english = page("en").await;
    assert!(english.contains("No account exists yet"), "{english}");
    assert!(english.contains(&command), "{english}");
    assert!(page("de").await.contains("Es gibt noch kein Konto"));
    app.add_user("alice", "alice-password-1").await;
    let later = page("en").await;
    assert!(!later.contains("No account exists yet"));
    assert!(!later.contains("adminctl"));
    app.shutdown().await;
}
