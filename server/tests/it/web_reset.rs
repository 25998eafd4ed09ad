//! The self-service reset and the web login over HTTP, against a real SMTP sink:
//! enumeration, tokens (single use, newest only, expiry by the injectable clock, revoked by
//! an operator's reset), links from the public URL only, and the CSRF defences.

use std::sync::Arc;

use flashcard_flow_server::accounts::{self, Actor, ChangeReason, PasswordPolicy};
use flashcard_flow_server::config::{SmtpSecurity, SmtpSettings};
use flashcard_flow_server::lang::Lang;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, TestApp};
use crate::smtp_sink::{token_in, SmtpSink};

const PUBLIC_URL: &str = "https://flashcards.example";
const NEW_PASSWORD: &str = "a brand new password 2";

async fn app_with_mail() -> (TestApp, SmtpSink) {
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("info")
        .try_init();
    let sink = SmtpSink::start().await;
    let app = app_with_smtp_on(sink.port).await;
    (app, sink)
}

/// A server mailing through SMTP on `port` (nothing need listen there yet), with alice.
async fn app_with_smtp_on(port: u16) -> TestApp {
    let app = spawn_app_with(move |c| {
        c.public_url = PUBLIC_URL.into();
        c.smtp = Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "flashcard-flow <noreply@flashcards.example>".into(),
        });
    })
    .await;
    app.add_user("alice", "alice-password-1").await;
    app
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str() != "date")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = response.text().await.expect("body");
    Reply {
        status,
        headers,
        body,
    }
}

async fn request_reset(app: &TestApp, email: &str) -> Reply {
    send(
        app.http
            .post(app.url("/password-reset/request"))
            .json(&json!({ "email": email })),
    )
    .await
}

async fn verify(app: &TestApp, token: &str) -> bool {
    let reply = send(
        app.http
            .get(app.url(&format!("/password-reset/verify?token={token}"))),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body: Value = serde_json::from_str(&reply.body).expect("json");
    body["valid"].as_bool().expect("valid is a bool")
}

async fn reset(app: &TestApp, token: &str, password: &str) -> Reply {
    send(
        app.http
            .post(app.url("/password-reset/reset"))
            .json(&json!({"token": token, "password": password})),
    )
    .await
}

#[tokio::test]
async fn the_request_answer_is_byte_identical_for_known_and_unknown_emails() {
    let (app, sink) = app_with_mail().await;
    let known = request_reset(&app, "alice@example.com").await;
    let unknown = request_reset(&app, "nobody@example.com").await;
    let repeated = request_reset(&app, "alice@example.com").await;
    for other in [&unknown, &repeated] {
        assert_eq!(
            (known.status, &known.headers, &known.body),
            (other.status, &other.headers, &other.body)
        );
    }
    assert_eq!(known.status, 200);
    // Only the known address gets mail (twice: the second request replaced the first token).
    let mails = sink.wait_for(2).await;
    assert!(mails.iter().all(|m| m.contains("To: alice@example.com")));
    app.shutdown().await;
}

#[tokio::test]
async fn the_mailed_link_uses_the_public_url_whatever_the_host_header_says() {
    let (app, sink) = app_with_mail().await;
    let reply = send(
        app.http
            .post(app.url("/password-reset/request"))
            .header("host", "evil.test")
            .json(&json!({"email": "alice@example.com"})),
    )
    .await;
    assert_eq!(reply.status, 200);
    let mail = sink.wait_for(1).await.remove(0);
    assert!(
        mail.contains(&format!("{PUBLIC_URL}/password-reset?token=")),
        "{mail}"
    );
    assert!(!mail.contains("evil.test"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_token_verifies_without_being_used_up_and_then_works_exactly_once() {
    let (app, sink) = app_with_mail().await;
    request_reset(&app, "alice@example.com").await;
    let token = token_in(&sink.wait_for(1).await[0]);
    assert!(verify(&app, &token).await);
    assert!(verify(&app, &token).await, "verify does not consume");
    let done = reset(&app, &token, NEW_PASSWORD).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let again = reset(&app, &token, "yet another password 3").await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("Invalid or expired reset token"));
    assert!(!verify(&app, &token).await);
    // The new password works for Anki at once; the old one does not.
    assert_eq!(app.host_key("alice", NEW_PASSWORD).await.status, 200);
    assert_eq!(app.host_key("alice", "alice-password-1").await.status, 403);
    app.shutdown().await;
}

#[tokio::test]
async fn a_reset_mail_asked_for_in_german_is_a_complete_message_with_the_link_intact() {
    let (app, sink) = app_with_mail().await;
    let reply = send(
        app.http
            .post(app.url("/password-reset/request"))
            .header("accept-language", "de-DE,de;q=0.9,en;q=0.5")
            .json(&json!({"email": "alice@example.com"})),
    )
    .await;
    assert_eq!(reply.status, 200);
    let mail = sink.wait_for(1).await.remove(0);
    let raw = sink.raw_messages().remove(0);
    let head = raw.split("\n\n").next().expect("headers");
    assert!(head.contains("MIME-Version: 1.0"), "{head}");
    assert!(
        head.contains("Content-Type: multipart/alternative"),
        "{head}"
    );
    let id = head
        .lines()
        .find_map(|l| l.strip_prefix("Message-ID: "))
        .expect("a Message-ID");
    assert!(
        id.starts_with('<') && id.ends_with("@flashcards.example>"),
        "{id}"
    );
    // Base64, not quoted-printable: no soft line breaks or `=3D` cut the link apart.
    assert_eq!(raw.matches("Content-Transfer-Encoding: base64").count(), 2);
    assert!(!raw.contains("quoted-printable"), "{raw}");
    // German, a readable expiry, and the link alone on its line and as the HTML link.
    assert!(
        mail.contains("Hallo alice,") && !mail.contains("Hello"),
        "{mail}"
    );
    assert!(mail.contains(" UTC)") && !mail.contains("Unix"), "{mail}");
    let link = format!("{PUBLIC_URL}/password-reset?token={}", token_in(&mail));
    assert!(mail.lines().any(|l| l == link), "{mail}");
    assert!(
        mail.contains(&format!("<a href=\"{link}\">{link}</a>")),
        "{mail}"
    );
    assert!(verify(&app, &token_in(&mail)).await);
    app.shutdown().await;
}

#[tokio::test]
async fn a_second_request_invalidates_the_first_token() {
    let (app, sink) = app_with_mail().await;
    request_reset(&app, "alice@example.com").await;
    let first = token_in(&sink.wait_for(1).await[0]);
    request_reset(&app, "alice@example.com").await;
    let second = token_in(&sink.wait_for(2).await[1]);
    assert_ne!(first, second);
    assert!(!verify(&app, &first).await);
    assert!(verify(&app, &second).await);
    app.shutdown().await;
}

#[tokio::test]
async fn tokens_expire_on_the_clock() {
    let (app, sink) = app_with_mail().await;
    request_reset(&app, "alice@example.com").await;
    let token = token_in(&sink.wait_for(1).await[0]);
    app.state.clock.advance(29 * 60);
    assert!(verify(&app, &token).await, "valid for 30 minutes");
    app.state.clock.advance(2 * 60);
    assert!(!verify(&app, &token).await);
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status, 400);
    app.shutdown().await;
}

#[tokio::test]
async fn an_operator_reset_kills_a_pending_token_and_mails_a_notice() {
    let (app, sink) = app_with_mail().await;
    request_reset(&app, "alice@example.com").await;
    let token = token_in(&sink.wait_for(1).await[0]);
    let store = Arc::clone(&app.state.store);
    // The store is synchronous (and PostgreSQL's client must stay off the async workers).
    tokio::task::spawn_blocking(move || {
        let user = store.find_user("alice").expect("lookup").expect("alice");
        accounts::change_password(
            &*store,
            &PasswordPolicy::default(),
            user.id,
            &SecretString::from("the operator's choice 9"),
            &Actor::Server,
            ChangeReason::Operator,
            Lang::En,
        )
    })
    .await
    .expect("join")
    .expect("changed");
    assert!(!verify(&app, &token).await);
    app.state.mail.mailer.outbox_changed();
    let mails = sink.wait_for(2).await;
    assert!(mails[1].contains("password was changed"), "{}", mails[1]);
    app.shutdown().await;
}

#[tokio::test]
async fn a_refused_password_leaves_the_token_usable() {
    let (app, sink) = app_with_mail().await;
    request_reset(&app, "alice@example.com").await;
    let token = token_in(&sink.wait_for(1).await[0]);
    let short = reset(&app, &token, "short").await;
    assert_eq!(short.status, 400);
    assert!(verify(&app, &token).await);
    assert_eq!(reset(&app, &token, NEW_PASSWORD).await.status, 200);
    app.shutdown().await;
}

#[tokio::test]
async fn cross_origin_posts_and_forms_without_their_token_are_refused() {
    let (app, _sink) = app_with_mail().await;
    let cross = send(
        app.http
            .post(app.url("/login"))
            .header("origin", "https://evil.test")
            .form(&[
                ("login", "alice"),
                ("password", "alice-password-1"),
                ("csrf", "x"),
            ]),
    )
    .await;
    assert_eq!(cross.status, 403);
    let no_token = send(
        app.http
            .post(app.url("/login"))
            .form(&[("login", "alice"), ("password", "alice-password-1")]),
    )
    .await;
    assert_eq!(no_token.status, 403);
    let api = send(
        app.http
            .post(app.url("/password-reset/request"))
            .header("origin", "https://evil.test")
            .json(&json!({"email": "alice@example.com"})),
    )
    .await;
    assert_eq!(api.status, 403);
    // The same form from our own origin, with the double-submit token, signs in. Under
    // https the cookies carry the `__Host-` prefix; one without it is not read.
    let unprefixed = send(
        no_redirects()
            .post(app.url("/login"))
            .header("origin", PUBLIC_URL)
            .header("cookie", "ff_csrf=tok123")
            .form(&[
                ("login", "alice"),
                ("password", "alice-password-1"),
                ("csrf", "tok123"),
            ]),
    )
    .await;
    assert_eq!(unprefixed.status, 403, "{}", unprefixed.body);
    let ok = send(
        no_redirects()
            .post(app.url("/login"))
            .header("origin", PUBLIC_URL)
            .header("cookie", "__Host-ff_csrf=tok123")
            .form(&[
                ("login", "alice"),
                ("password", "alice-password-1"),
                ("csrf", "tok123"),
            ]),
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(ok.headers.iter().any(|(n, v)| n == "set-cookie"
        && v.starts_with("__Host-ff_session=")
        && v.contains("HttpOnly")
        && v.contains("SameSite=Lax")
        && v.contains("Secure")));
    app.shutdown().await;
}

#[tokio::test]
async fn api_login_starts_a_session_that_the_account_page_accepts() {
    let (app, _sink) = app_with_mail().await;
    let bad = send(
        app.http
            .post(app.url("/api/login"))
            .json(&json!({"login": "alice", "password": "wrong password here"})),
    )
    .await;
    assert_eq!(bad.status, 401);
    let good = send(
        app.http
            .post(app.url("/api/login"))
            .json(&json!({"login": "alice@example.com", "password": "alice-password-1"})),
    )
    .await;
    assert_eq!(good.status, 200, "{}", good.body);
    let cookie = good
        .headers
        .iter()
        .find(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap_or("").to_string())
        .expect("a session cookie");
    let account = send(
        no_redirects()
            .get(app.url("/account"))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains("alice@example.com"));
    // Idle for 31 minutes: the session is over, and sign-in returns to the account page.
    app.state.clock.advance(31 * 60);
    let later = send(
        no_redirects()
            .get(app.url("/account"))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(later.status, 303);
    assert!(later
        .headers
        .iter()
        .any(|(n, v)| n == "location" && v == "/login?next=/account"));
    app.shutdown().await;
}

#[tokio::test]
async fn with_the_mail_server_down_the_answer_is_the_same_and_the_mail_follows_later() {
    // A port with nothing listening yet: the first attempts fail.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("probe")
        .local_addr()
        .expect("addr")
        .port();
    let app = app_with_smtp_on(port).await;
    let down = request_reset(&app, "alice@example.com").await;
    let unknown = request_reset(&app, "nobody@example.com").await;
    assert_eq!((down.status, &down.body), (unknown.status, &unknown.body));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // The mail server comes up; the worker's retry delivers the link.
    let sink = SmtpSink::start_on(port).await;
    let mail = sink.wait_for(1).await.remove(0);
    assert!(mail.contains("password-reset?token="));
    app.shutdown().await;
}

async fn verify_from(app: &TestApp, forwarded_for: &str) -> u16 {
    send(
        app.http
            .get(app.url("/password-reset/verify?token=x"))
            .header("x-forwarded-for", forwarded_for),
    )
    .await
    .status
}

#[tokio::test]
async fn behind_a_trusted_proxy_limits_count_per_forwarded_client() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")]).await;
    for _ in 0..10 {
        assert_eq!(verify_from(&app, "203.0.113.7").await, 200);
    }
    assert_eq!(verify_from(&app, "203.0.113.7").await, 429);
    assert_eq!(
        verify_from(&app, "203.0.113.8").await,
        200,
        "another client is not throttled"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarded_for_is_ignored() {
    let app = spawn_app_with(|_| {}).await;
    for i in 0..10 {
        assert_eq!(verify_from(&app, &format!("203.0.113.{i}")).await, 200);
    }
    assert_eq!(
        verify_from(&app, "198.51.100.1").await,
        429,
        "a forged header changes nothing"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn sessions_past_their_expiry_are_swept_even_if_the_browser_never_returns() {
    let (app, _sink) = app_with_mail().await;
    let good = send(
        app.http
            .post(app.url("/api/login"))
            .json(&json!({"login": "alice", "password": "alice-password-1"})),
    )
    .await;
    assert_eq!(good.status, 200);
    let store = Arc::clone(&app.state.store);
    let sessions = move || {
        let store = Arc::clone(&store);
        async move {
            tokio::task::spawn_blocking(move || {
                let user = store.find_user("alice").expect("lookup").expect("alice");
                store.user_web_sessions(user.id).expect("sessions").len()
            })
            .await
            .expect("join")
        }
    };
    assert_eq!(sessions().await, 1);
    app.state.clock.advance(13 * 60 * 60);
    // The mail worker sweeps on its 5 s poll.
    for _ in 0..200 {
        if sessions().await == 0 {
            app.shutdown().await;
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the expired session was not swept");
}
