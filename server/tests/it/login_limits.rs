//! The login limits on every path (SECURITY.md T18): `/sync/hostKey`, web sign-in,
//! `/api/login` and the account page's current-password check share one policy. Serial
//! and parallel guessing are limited alike, counts are exact, the owner on another
//! address and other accounts are never locked out, and passwords are one Unicode form.

use std::time::{Duration, Instant};

use flashcard_flow_server::accounts::LoginPolicy;
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{spawn_app_with, sync_header, zstd_json, TestApp};

const ATTACKER: &str = "203.0.113.7";
const OWNER: &str = "198.51.100.20";
const ALICE_PASSWORD: &str = "alice-password-1";

/// A server behind a trusted proxy on loopback (so tests choose the client address with
/// `X-Forwarded-For`), with alice and bob, and the given policy.
async fn app_with(policy: LoginPolicy) -> TestApp {
    let app = spawn_app_with(move |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
        c.login_policy = policy;
        c.hashing_concurrency = 2;
    })
    .await;
    app.add_user("alice", ALICE_PASSWORD).await;
    app.add_user("bob", "bob-password-12345").await;
    app
}

/// The default numbers scaled down so serial runs are quick.
fn quick_policy() -> LoginPolicy {
    LoginPolicy {
        first_delay: Duration::from_millis(40),
        max_delay: Duration::from_millis(320),
        ..LoginPolicy::default()
    }
}

struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: String,
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body = response.text().await.unwrap_or_default();
    Answer {
        status,
        retry_after,
        body,
    }
}

async fn host_key_from(app: &TestApp, from: &str, login: &str, password: &str) -> Answer {
    answer(
        app.http
            .post(app.url("/sync/hostKey"))
            .header("anki-sync", sync_header(""))
            .header("x-forwarded-for", from)
            .body(zstd_json(&json!({"u": login, "p": password}))),
    )
    .await
}

async fn api_login_from(app: &TestApp, from: &str, login: &str, password: &str) -> Answer {
    answer(
        app.http
            .post(app.url("/api/login"))
            .header("x-forwarded-for", from)
            .json(&json!({"login": login, "password": password})),
    )
    .await
}

fn count(answers: &[Answer], status: u16) -> usize {
    answers.iter().filter(|a| a.status == status).count()
}

/// The wait before the `n`-th (0-based) of a serial run of failures under `policy`.
fn expected_wait(policy: &LoginPolicy, n: u32) -> Duration {
    if n <= policy.free_failures_per_account {
        return Duration::ZERO;
    }
    let doublings = n - policy.free_failures_per_account - 1;
    (policy.first_delay * (1 << doublings.min(16))).min(policy.max_delay)
}

#[tokio::test]
async fn serial_guessing_at_host_key_waits_longer_each_time_with_the_same_403_for_unknown_accounts()
{
    let policy = quick_policy();
    let app = app_with(policy).await;
    for (from, login) in [(ATTACKER, "alice"), ("203.0.113.99", "nobody-here")] {
        // An attempt's turn comes at least the delay after the previous one's turn, which
        // was no earlier than when the previous one was sent.
        let mut previous_sent = Instant::now();
        for n in 0..10 {
            let sent = Instant::now();
            let reply = host_key_from(&app, from, login, "wrong password 123").await;
            assert_eq!(reply.status, 403, "attempt {n} for {login}");
            assert_eq!(reply.retry_after, None, "a checked attempt is a plain 403");
            let since = previous_sent.elapsed();
            assert!(
                since >= expected_wait(&policy, n),
                "attempt {n} for {login} answered {since:?} after the previous was sent"
            );
            previous_sent = sent;
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_parallel_burst_at_api_login_is_spaced_like_a_serial_run_and_the_rest_refused() {
    let app = app_with(LoginPolicy::default()).await;
    let burst = (0..120).map(|_| api_login_from(&app, ATTACKER, "alice", "wrong password 123"));
    let answers = join_all(burst).await;
    // Five free, then slots 0.25, 0.75, 1.75 and 3.75 s ahead; the next (7.75 s) is past
    // the cap. The rest are asked again after the cap's 4 s: one fits in the 7.75 s slot,
    // the others are refused. Ten checks in 8 s, exactly as a serial run gets.
    assert_eq!(
        count(&answers, 401),
        10,
        "exactly as many checked as in a serial run"
    );
    assert_eq!(count(&answers, 429), 110);
    for refused in answers.iter().filter(|a| a.status == 429) {
        let secs = refused.retry_after.expect("Retry-After on every 429");
        assert!((1..=8).contains(&secs), "{secs}");
        let body: serde_json::Value = serde_json::from_str(&refused.body).expect("json");
        assert_eq!(body["retry_after"], secs);
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| e.contains(&format!("{secs} seconds"))),
            "the message states the real wait: {}",
            refused.body
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn host_key_failures_count_against_web_sign_in_and_the_reverse() {
    let app = app_with(LoginPolicy::default()).await;
    for _ in 0..5 {
        assert_eq!(
            host_key_from(&app, ATTACKER, "alice", "wrong password 1")
                .await
                .status,
            403
        );
    }
    let burst =
        join_all((0..40).map(|_| api_login_from(&app, ATTACKER, "alice", "wrong password 2")));
    let during = async {
        // While the burst holds every slot within the cap (and asked again after the
        // burst's own second asking has taken the last slot).
        tokio::time::sleep(Duration::from_millis(1000)).await;
        host_key_from(&app, ATTACKER, "alice", ALICE_PASSWORD).await
    };
    let (answers, over) = tokio::join!(burst, during);
    // The five Anki failures used the free ones: slots at 0, 0.5, 1.5 and 3.5 s, and one
    // more (7.5 s) for the second asking.
    assert_eq!(
        count(&answers, 401),
        5,
        "the five Anki failures used the free ones"
    );
    assert_eq!(over.status, 403, "over the limit, Anki gets its 403 ...");
    assert!(over.retry_after.is_some(), "... with Retry-After");
    app.shutdown().await;
}

#[tokio::test]
async fn the_owner_signs_in_from_another_address_while_the_guessing_goes_on_and_after() {
    let app = app_with(LoginPolicy::default()).await;
    let policy = LoginPolicy::default();
    let guessing =
        join_all((0..60).map(|_| host_key_from(&app, ATTACKER, "alice", "wrong password 123")));
    let owner = async {
        // Once the burst has filled the account's queue.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let web = api_login_from(&app, OWNER, "alice", ALICE_PASSWORD).await;
        let anki = host_key_from(&app, OWNER, "alice", ALICE_PASSWORD).await;
        (web, anki)
    };
    let (guesses, (web, anki)) = tokio::join!(guessing, owner);
    assert_eq!(count(&guesses, 403), 60);
    assert!(
        guesses.iter().any(|a| a.retry_after.is_some()),
        "the guessing was limited"
    );
    assert_eq!(web.status, 200, "{}", web.body);
    assert_eq!(anki.status, 200, "{}", anki.body);
    // After the guessing stops, the owner's right password works from anywhere.
    tokio::time::sleep(policy.max_delay).await;
    assert_eq!(
        host_key_from(&app, OWNER, "alice", ALICE_PASSWORD)
            .await
            .status,
        200
    );
    app.shutdown().await;
}

#[tokio::test]
async fn guessing_one_account_never_blocks_another_account() {
    let app = app_with(LoginPolicy::default()).await;
    let answers =
        join_all((0..60).map(|_| api_login_from(&app, ATTACKER, "alice", "wrong 1234567"))).await;
    assert!(count(&answers, 429) > 0);
    // From another address at once, and from the guesser's own (a shared NAT) too.
    assert_eq!(
        api_login_from(&app, OWNER, "bob", "bob-password-12345")
            .await
            .status,
        200
    );
    assert_eq!(
        host_key_from(&app, ATTACKER, "bob", "bob-password-12345")
            .await
            .status,
        200
    );
    app.shutdown().await;
}

#[tokio::test]
async fn composed_and_decomposed_passwords_work_on_both_paths() {
    let app = app_with(LoginPolicy::default()).await;
    let composed = "caf\u{e9} cr\u{e8}me br\u{fb}l\u{e9}e";
    let decomposed = "cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e";
    app.add_user("carol", composed).await;
    for typed in [composed, decomposed] {
        assert_eq!(
            host_key_from(&app, OWNER, "carol", typed).await.status,
            200,
            "{typed:?}"
        );
        assert_eq!(
            api_login_from(&app, OWNER, "carol", typed).await.status,
            200,
            "{typed:?}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_account_page_current_password_check_is_limited() {
    let app = app_with(quick_policy()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // The session cookie, then the page's CSRF token.
    let login = client
        .post(app.url("/api/login"))
        .header("x-forwarded-for", OWNER)
        .json(&json!({"login": "alice", "password": ALICE_PASSWORD}))
        .send()
        .await
        .expect("login");
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let page = client
        .get(app.url("/account"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("account page")
        .text()
        .await
        .expect("body");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token on the page")
        .to_string();
    let tries = (0..30).map(|_| {
        answer(
            client
                .post(app.url("/account/password"))
                .header("cookie", &cookie)
                .header("x-forwarded-for", ATTACKER)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("current", "not the password at all"),
                    ("password", "a new password that is long"),
                    ("confirm", "a new password that is long"),
                ]),
        )
    });
    let answers = join_all(tries).await;
    let checked = count(&answers, 400);
    assert!(checked > 0 && checked < 15, "checked {checked} of 30");
    assert_eq!(count(&answers, 429) + checked, 30);
    assert!(answers
        .iter()
        .filter(|a| a.status == 429)
        .all(|a| a.retry_after.is_some()));
    app.shutdown().await;
}
