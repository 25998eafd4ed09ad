//! The frame of the web pages as a person meets it: the header's sections per role, `/`
//! and sign-in returning to where the user was going (only on this site), Post/Redirect/Get
//! with notices shown once, a session ended elsewhere named on `/login`, the deck list's
//! empty state, signing out everywhere else, and the refusals a person reads (a disabled
//! account, translated password rules, the admin form that keeps its input, the reset
//! request that checks its field).

use std::collections::BTreeMap;
use std::sync::Arc;

use flashcard_flow_server::accounts::{self, Actor, NewAccount, PasswordPolicy};
use flashcard_flow_server::config::{SmtpSecurity, SmtpSettings};
use flashcard_flow_server::store::AuditEntry;
use secrecy::SecretString;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use crate::smtp_sink::{token_in, SmtpSink};

const ALICE_PASSWORD: &str = "alice-password-1";
const ADMIN_PASSWORD: &str = "admin-password-12";

struct Reply {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

impl Reply {
    /// The `Set-Cookie` of `name`, whole.
    fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(String::as_str)
    }
}

/// A browser: keeps its cookies, follows no redirects (the tests look at each answer),
/// and sends `Accept-Language` when given one.
struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    lang: &'static str,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser::speaking(app, "en")
    }

    fn speaking(app: &'a TestApp, lang: &'static str) -> Browser<'a> {
        Browser::with_agent(app, lang, "flashcard-flow-tests")
    }

    /// A browser that sends `user_agent` as its User-Agent.
    fn with_agent(app: &'a TestApp, lang: &'static str, user_agent: &str) -> Browser<'a> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(user_agent)
            .build()
            .expect("client");
        Browser {
            app,
            http,
            cookies: BTreeMap::new(),
            lang,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Reply {
        let response = request
            .header("cookie", self.cookie_header())
            .header("accept-language", self.lang)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let set_cookies: Vec<String> = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect();
        for cookie in &set_cookies {
            let pair = cookie.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
        let body = response.text().await.expect("body");
        Reply {
            status,
            location,
            set_cookies,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Reply {
        let request = self.http.get(self.app.url(path));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.http.post(self.app.url(path)).form(form);
        self.send(request).await
    }

    /// Posts a form of a signed-in page, with the CSRF token read from `page`.
    async fn post_from(&mut self, page: &Reply, path: &str, fields: &[(&str, &str)]) -> Reply {
        let csrf = csrf_in(&page.body);
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(path, &form).await
    }

    /// Opens the sign-in page (for its CSRF cookie and token) and signs in, sending `next`.
    async fn sign_in_to(&mut self, login: &str, password: &str, next: &str) -> Reply {
        let page = self.get("/login").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = csrf_in(&page.body);
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("login", login),
            ("password", password),
        ];
        if !next.is_empty() {
            form.push(("next", next));
        }
        self.post("/login", &form).await
    }

    async fn sign_in(&mut self, login: &str, password: &str) {
        let reply = self.sign_in_to(login, password, "").await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        assert_eq!(reply.location.as_deref(), Some("/decks"));
    }
}

/// The value of the first `name="csrf"` field of a page.
fn csrf_in(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    body[at..].split('"').next().expect("value").to_string()
}

/// The text of the page's banner.
fn banner(body: &str) -> String {
    let at = body.find("id=\"banner\"").expect("a banner");
    let open = at + body[at..].find('>').expect("tag end") + 1;
    let close = open + body[open..].find("</div>").expect("banner end");
    body[open..close].to_string()
}

async fn add_admin(app: &TestApp) {
    let store = Arc::clone(&app.state.store);
    tokio::task::spawn_blocking(move || {
        accounts::create_user(
            &*store,
            &PasswordPolicy::default(),
            NewAccount {
                email: "admin@example.com".into(),
                username: "admin".into(),
                is_admin: true,
                password: SecretString::from(ADMIN_PASSWORD),
            },
            &Actor::Server,
        )
    })
    .await
    .expect("join")
    .expect("create admin");
}

async fn app_with_alice() -> TestApp {
    let app = spawn_app().await;
    app.add_user("alice", ALICE_PASSWORD).await;
    app
}

#[tokio::test]
async fn sign_in_returns_to_next_only_when_it_is_a_path_on_this_site() {
    let app = app_with_alice().await;
    for (next, expected) in [
        ("/account", "/account"),
        ("/decks?x=1", "/decks?x=1"),
        ("//evil.example", "/decks"),
        ("//evil.example/account", "/decks"),
        ("https://evil.example", "/decks"),
        ("/\\evil.example", "/decks"),
        ("javascript:alert(1)", "/decks"),
    ] {
        let mut browser = Browser::new(&app);
        let reply = browser.sign_in_to("alice", ALICE_PASSWORD, next).await;
        assert_eq!(reply.status, 303, "{next}");
        assert_eq!(reply.location.as_deref(), Some(expected), "{next}");
    }
    // The sign-in page carries only a safe `next` into its form.
    let mut browser = Browser::new(&app);
    let kept = browser.get("/login?next=%2Faccount").await;
    assert!(kept
        .body
        .contains("<input type=\"hidden\" name=\"next\" value=\"/account\">"));
    let dropped = browser.get("/login?next=%2F%2Fevil.example").await;
    assert!(!dropped.body.contains("name=\"next\""), "{}", dropped.body);
    assert!(!dropped.body.contains("evil.example"));
    app.shutdown().await;
}

#[tokio::test]
async fn pages_that_need_a_session_send_to_sign_in_and_the_start_page_redirects() {
    let app = app_with_alice().await;
    let mut browser = Browser::new(&app);
    let home = browser.get("/").await;
    assert_eq!(
        (home.status, home.location.as_deref()),
        (303, Some("/login"))
    );
    let decks = browser.get("/decks").await;
    assert_eq!(decks.location.as_deref(), Some("/login?next=/decks"));
    let admin = browser.get("/admin/settings").await;
    assert_eq!(
        admin.location.as_deref(),
        Some("/login?next=/admin/settings")
    );
    browser.sign_in("alice", ALICE_PASSWORD).await;
    let home = browser.get("/").await;
    assert_eq!(
        (home.status, home.location.as_deref()),
        (303, Some("/decks"))
    );
    let login = browser.get("/login?next=%2Faccount").await;
    assert_eq!(login.location.as_deref(), Some("/account"));
    app.shutdown().await;
}

#[tokio::test]
async fn the_header_shows_the_sections_of_each_role_the_name_and_sign_out() {
    let app = app_with_alice().await;
    add_admin(&app).await;
    let mut anonymous = Browser::new(&app);
    let login = anonymous.get("/login").await;
    assert!(login.body.contains("<a class=\"brand\" href=\"/\">"));
    assert!(!login.body.contains("<nav"), "signed out: the brand only");
    assert!(!login.body.contains("action=\"/logout\""));

    let mut alice = Browser::new(&app);
    alice.sign_in("alice", ALICE_PASSWORD).await;
    let decks = alice.get("/decks").await;
    assert_eq!(decks.status, 200, "{}", decks.body);
    let body = &decks.body;
    // The skip link is the first link of the page, before the brand.
    let skip = body
        .find("<a class=\"skip-link\" href=\"#main\"")
        .expect("skip link");
    assert!(skip < body.find("class=\"brand\"").expect("brand"));
    assert!(!body[..skip].contains("<a ") && !body[..skip].contains("<button"));
    assert!(body.contains("id=\"main\""));
    assert!(body.contains("<a href=\"/decks\" aria-current=\"page\">Decks</a>"));
    assert!(body.contains("<a href=\"/account\">Account</a>"));
    assert!(!body.contains("href=\"/admin/settings\""), "not an admin");
    assert!(body.contains("</span>alice</span>"));
    assert!(body.contains("action=\"/logout\""));
    let account = alice.get("/account").await;
    assert!(account
        .body
        .contains("<a href=\"/account\" aria-current=\"page\">Account</a>"));
    assert!(account.body.contains("<a href=\"/decks\">Decks</a>"));

    let mut admin = Browser::speaking(&app, "de");
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let settings = admin.get("/admin/settings").await;
    assert_eq!(settings.status, 200, "{}", settings.body);
    assert!(settings
        .body
        .contains("<a href=\"/admin/settings\" aria-current=\"page\">Verwaltung</a>"));
    assert!(settings.body.contains("<a href=\"/decks\">Stapel</a>"));
    assert!(settings.body.contains("Zum Inhalt springen"));
    assert!(settings.body.contains("</span>admin</span>"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_successful_post_answers_303_and_its_notice_shows_exactly_once() {
    let app = app_with_alice().await;
    // An Anki device signs in; the account page names it and its dates.
    app.login("alice", ALICE_PASSWORD).await;
    let mut browser = Browser::new(&app);
    browser.sign_in("alice", ALICE_PASSWORD).await;
    let account = browser.get("/account").await;
    assert!(account
        .body
        .contains("<strong>Anki 26.09.3 on Linux</strong>"));
    assert!(account.body.contains("first seen "));
    assert!(account.body.contains("last synced "));
    assert!(account.body.contains("Sign out this device"));
    assert!(account.body.contains("(this browser)"));
    let at = account
        .body
        .find("name=\"kind\" value=\"device\"")
        .expect("device form");
    let id_at = at + account.body[at..].find("name=\"id\" value=\"").expect("id") + 17;
    let id = account.body[id_at..]
        .split('"')
        .next()
        .expect("id")
        .to_string();

    let revoked = browser
        .post_from(
            &account,
            "/account/revoke",
            &[("kind", "device"), ("id", &id)],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(revoked.location.as_deref(), Some("/account"));
    let flash = revoked.set_cookie("ff_flash").expect("a flash cookie");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=60"] {
        assert!(flash.contains(part), "{part} in {flash}");
    }
    let shown = browser.get("/account").await;
    assert_eq!(
        banner(&shown.body),
        "Anki 26.09.3 on Linux is signed out. It has to sign in again to sync."
    );
    assert!(shown
        .set_cookie("ff_flash")
        .is_some_and(|c| c.contains("Max-Age=0")));
    assert!(
        !shown.body.contains("Sign out this device"),
        "the device is gone"
    );
    let again = browser.get("/account").await;
    assert_eq!(banner(&again.body), "", "shown once");

    // A notice code the server does not know shows nothing.
    browser.cookies.insert("ff_flash".into(), "you-won".into());
    assert_eq!(banner(&browser.get("/account").await.body), "");

    // Sign out: 303 to /login with its notice; Back to the account page asks to sign in.
    let account = browser.get("/account").await;
    let out = browser.post_from(&account, "/logout", &[]).await;
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/login")));
    assert_eq!(
        banner(&browser.get("/login").await.body),
        "You are signed out."
    );
    let back = browser.get("/account").await;
    assert_eq!(back.location.as_deref(), Some("/login?next=/account"));
    assert!(
        back.set_cookie("ff_flash").is_none(),
        "signed out, not ended"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_session_ended_elsewhere_says_so_on_the_sign_in_page() {
    let app = app_with_alice().await;
    let mut here = Browser::new(&app);
    here.sign_in("alice", ALICE_PASSWORD).await;
    let mut there = Browser::speaking(&app, "de");
    there.sign_in("alice", ALICE_PASSWORD).await;
    app.login("alice", ALICE_PASSWORD).await;
    let other_key = app.login("alice", ALICE_PASSWORD).await;
    let cached = || {
        app.state
            .host_keys
            .get(&accounts::digest(&other_key))
            .is_some()
    };
    assert!(cached(), "a new key is in the server's key cache");

    let account = here.get("/account").await;
    assert!(account.body.contains("Sign out everywhere else"));
    assert!(account.body.contains("Sign out this browser"));
    let done = here
        .post_from(&account, "/account/sign-out-others", &[])
        .await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some("/account"))
    );
    let shown = here.get("/account").await;
    assert_eq!(shown.status, 200, "this browser stays signed in");
    assert_eq!(
        banner(&shown.body),
        "Every other browser and Anki device is signed out. This browser stays signed in."
    );
    assert!(shown.body.contains("No Anki device is signed in."));
    assert!(
        !shown.body.contains("Sign out this browser"),
        "no other browser left"
    );
    assert!(!cached(), "and gone from the key cache at once");
    assert_eq!(
        app.meta(&other_key).await.status,
        403,
        "the device must sign in again"
    );

    let ended = there.get("/decks?page=2").await;
    assert_eq!(ended.status, 303);
    assert_eq!(
        ended.location.as_deref(),
        Some("/login?next=/decks%3Fpage%3D2")
    );
    let login = there.get("/login?next=%2Fdecks%3Fpage%3D2").await;
    assert_eq!(
        banner(&login.body),
        "Ihre Sitzung wurde beendet. Bitte melden Sie sich erneut an."
    );
    assert!(login.body.contains("name=\"next\" value=\"/decks?page=2\""));
    app.shutdown().await;
}

#[tokio::test]
async fn the_decks_page_of_a_user_who_never_synced_says_how_to_sync() {
    let app = spawn_app_with(|c| c.public_url = "https://cards.example".into()).await;
    app.add_user("alice", ALICE_PASSWORD).await;
    // The public URL is https, so the cookies are Secure: reqwest still sends them here.
    let mut english = Browser::new(&app);
    english.sign_in("alice", ALICE_PASSWORD).await;
    let page = english.get("/decks").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<h1>Your decks</h1>"));
    assert!(page.body.contains("No decks yet"));
    assert!(page
        .body
        .contains("<code class=\"sync-url\">https://cards.example/</code>"));
    assert!(!page.body.contains("<table"));
    let mut german = Browser::speaking(&app, "de-DE,de;q=0.9");
    german.sign_in("alice", ALICE_PASSWORD).await;
    let page = german.get("/decks").await;
    assert!(page.body.contains("Noch keine Stapel"));
    assert!(page.body.contains("https://cards.example/"));
    // The account page shows the same address to copy.
    let account = german.get("/account").await;
    assert!(account
        .body
        .contains("<code class=\"sync-url\" id=\"sync-url\">https://cards.example/</code>"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_disabled_account_with_the_right_password_is_told_so_on_the_web_only() {
    let app = app_with_alice().await;
    let store = Arc::clone(&app.state.store);
    tokio::task::spawn_blocking(move || {
        let alice = store.find_user("alice").expect("lookup").expect("alice");
        let entry = AuditEntry {
            at: 1,
            actor: "test".into(),
            action: "user.disable".into(),
            user_id: Some(alice.id),
            detail: String::new(),
        };
        store
            .set_user_disabled(alice.id, true, &entry)
            .expect("disable")
    })
    .await
    .expect("join");
    let mut browser = Browser::new(&app);
    let right = browser.sign_in_to("alice", ALICE_PASSWORD, "").await;
    assert_eq!(right.status, 403, "{}", right.body);
    assert_eq!(
        banner(&right.body),
        "This account is disabled. Ask the server&#39;s operator."
    );
    assert!(right.set_cookie("ff_session").is_none());
    let wrong = browser
        .sign_in_to("alice", "not alice's password", "")
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        banner(&wrong.body),
        "Incorrect username, email or password."
    );
    // Anki hears the same refusal for either password.
    assert_eq!(app.host_key("alice", ALICE_PASSWORD).await.status, 403);
    assert_eq!(
        app.host_key("alice", "not alice's password").await.status,
        403
    );
    app.shutdown().await;
}

#[tokio::test]
async fn password_refusals_are_translated_and_tied_to_their_field() {
    let app = app_with_alice().await;
    let min = app.state.config.password_policy.min_chars;
    let mut browser = Browser::speaking(&app, "de");
    browser.sign_in("alice", ALICE_PASSWORD).await;
    let account = browser.get("/account").await;
    assert!(account.body.contains(&format!(
        "<p class=\"hint\" id=\"password-hint\">Mindestens {min} Zeichen.</p>"
    )));
    let refused = browser
        .post_from(
            &account,
            "/account/password",
            &[
                ("current", ALICE_PASSWORD),
                ("password", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    let text = format!("Das Passwort ist zu kurz. Verwenden Sie mindestens {min} Zeichen.");
    assert_eq!(banner(&refused.body), text);
    assert!(refused
        .body
        .contains("aria-invalid=\"true\" aria-describedby=\"password-hint password-error\""));
    assert!(refused.body.contains(&format!(
        "<p class=\"field-error\" id=\"password-error\">{text}</p>"
    )));
    let wrong = browser
        .post_from(
            &account,
            "/account/password",
            &[
                ("current", "wrong one"),
                ("password", "x"),
                ("confirm", "x"),
            ],
        )
        .await;
    assert!(wrong
        .body
        .contains("id=\"current\" name=\"current\" type=\"password\" autocomplete=\"current-password\" required aria-invalid=\"true\" aria-describedby=\"current-error\""));
    // A change that works signs out with a notice on /login.
    let changed = browser
        .post_from(
            &account,
            "/account/password",
            &[
                ("current", ALICE_PASSWORD),
                ("password", "a long new password 7"),
                ("confirm", "a long new password 7"),
            ],
        )
        .await;
    assert_eq!(
        (changed.status, changed.location.as_deref()),
        (303, Some("/login"))
    );
    assert_eq!(
        banner(&browser.get("/login").await.body),
        "Ihr Passwort wurde geändert. Melden Sie sich mit dem neuen an."
    );
    app.shutdown().await;
}

async fn app_with_admin_and_sink() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let app = spawn_app_with(move |c| {
        c.smtp = Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from: "flashcard-flow <noreply@example.com>".into(),
        });
    })
    .await;
    app.add_user("alice", ALICE_PASSWORD).await;
    add_admin(&app).await;
    (app, sink)
}

#[tokio::test]
async fn the_admin_form_keeps_the_input_marks_the_fields_and_takes_the_name_as_typed() {
    let (app, sink) = app_with_admin_and_sink().await;
    let mut admin = Browser::new(&app);
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let page = admin.get("/admin/settings").await;
    let bad = admin
        .post_from(
            &page,
            "/admin/settings",
            &[
                ("action", "save"),
                ("host", "mail example"),
                ("port", "70000"),
                ("security", "none"),
                ("username", "typed-user"),
                ("from_name", "Team <Ops>"),
                ("from_address", "not-an-address"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(banner(&bad.body), "Check the marked fields.");
    for kept in [
        "value=\"mail example\"",
        "value=\"70000\"",
        "value=\"typed-user\"",
        "value=\"Team &#60;Ops&#62;\"",
        "value=\"not-an-address\"",
    ] {
        assert!(bad.body.contains(kept), "{kept} kept");
    }
    for (id, text) in [
        (
            "host",
            "Enter the mail server&#39;s host name, without spaces.",
        ),
        (
            "port",
            "Enter a port from 1 to 65535, or leave it empty for the default.",
        ),
        (
            "from-address",
            "Enter the sender&#39;s email address, such as noreply@example.com.",
        ),
    ] {
        assert!(
            bad.body.contains(&format!(
                "aria-invalid=\"true\" aria-describedby=\"{id}-error\""
            )),
            "{id} marked"
        );
        assert!(
            bad.body.contains(&format!(
                "<p class=\"field-error\" id=\"{id}-error\">{text}</p>"
            )),
            "{id}: {}",
            bad.body
        );
    }
    assert!(
        !bad.body.contains("from-name-error"),
        "the name is fine as typed"
    );

    // The test mail goes through the server in the form, never saved.
    let tested = admin
        .post_from(
            &page,
            "/admin/settings",
            &[
                ("action", "test"),
                ("host", "127.0.0.1"),
                ("port", &sink.port.to_string()),
                ("security", "none"),
                ("from_name", "Team <Ops>"),
                ("from_address", "ops@example.com"),
            ],
        )
        .await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    assert_eq!(banner(&tested.body), "Test email sent to admin@example.com");
    let raw = sink.wait_for(1).await;
    assert!(raw[0].contains("To: admin@example.com"), "{}", raw[0]);
    let raw = sink.raw_messages().remove(0);
    // The name is a header value: encoded as one (RFC 2047), not changed.
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode("Team <Ops>");
    assert!(
        raw.contains(&format!("From: =?utf-8?b?{encoded}?= <ops@example.com>")),
        "{raw}"
    );
    assert!(tested.body.contains("value=\"Team &#60;Ops&#62;\""));

    // Saved as typed, and shown again as typed.
    let saved = admin
        .post_from(
            &page,
            "/admin/settings",
            &[
                ("action", "save"),
                ("host", "127.0.0.1"),
                ("port", &sink.port.to_string()),
                ("security", "none"),
                ("from_name", "Team <Ops>"),
                ("from_address", "ops@example.com"),
            ],
        )
        .await;
    assert_eq!(
        (saved.status, saved.location.as_deref()),
        (303, Some("/admin/settings"))
    );
    let shown = admin.get("/admin/settings").await;
    assert_eq!(
        banner(&shown.body),
        "Mail settings saved. They apply from now on."
    );
    assert!(
        shown.body.contains("value=\"Team &#60;Ops&#62;\""),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("value=\"ops@example.com\""));

    let cleared = admin
        .post_from(&shown, "/admin/settings", &[("action", "clear")])
        .await;
    assert_eq!(cleared.status, 303);
    assert_eq!(
        banner(&admin.get("/admin/settings").await.body),
        "The settings saved on this page were removed. The settings from the configuration apply now."
    );
    app.shutdown().await;
}

#[tokio::test]
async fn the_reset_request_checks_its_field_and_a_reset_ends_on_sign_in_with_a_notice() {
    let (app, sink) = app_with_admin_and_sink().await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/password-reset").await;
    assert!(page.body.contains("<h1>Reset password</h1>"));
    assert!(page.body.contains(">Send reset link</button>"));
    assert!(page
        .body
        .contains("type=\"email\" autocomplete=\"email\" required autofocus"));
    let csrf = csrf_in(&page.body);
    for email in ["", "   ", "alice", "alice@", "@example.com"] {
        let refused = browser
            .post("/password-reset", &[("csrf", &csrf), ("email", email)])
            .await;
        assert_eq!(refused.status, 400, "{email:?}");
        let text = "Enter the email address of your account, such as name@example.com.";
        assert_eq!(banner(&refused.body), text, "{email:?}");
        assert!(refused
            .body
            .contains("aria-invalid=\"true\" aria-describedby=\"email-error\""));
        assert!(!refused.body.contains("we have sent"));
    }
    let sent = browser
        .post(
            "/password-reset",
            &[("csrf", &csrf), ("email", "alice@example.com")],
        )
        .await;
    assert_eq!(
        (sent.status, sent.location.as_deref()),
        (303, Some("/password-reset"))
    );
    let shown = browser.get("/password-reset").await;
    assert!(
        banner(&shown.body).contains("we have sent it a link"),
        "{}",
        shown.body
    );

    let token = token_in(&sink.wait_for(1).await[0]);
    let form = browser.get(&format!("/password-reset?token={token}")).await;
    let csrf = csrf_in(&form.body);
    let password = "a password from the link 5";
    let done = browser
        .post(
            "/password-reset",
            &[
                ("csrf", &csrf),
                ("token", &token),
                ("password", password),
                ("confirm", password),
            ],
        )
        .await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some("/login"))
    );
    assert_eq!(
        banner(&browser.get("/login").await.body),
        "Your password has been reset. Sign in with the new password."
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_test_mail_to_another_host_never_carries_the_stored_smtp_password() {
    let sink = SmtpSink::start().await;
    let port = sink.port;
    let app = spawn_app_with(move |c| {
        c.smtp = Some(SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            username: Some("mailer".into()),
            password: Some("the stored secret".into()),
            from: "flashcard-flow <noreply@example.com>".into(),
        });
    })
    .await;
    add_admin(&app).await;
    let mut admin = Browser::new(&app);
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let page = admin.get("/admin/settings").await;
    let form = |host: &'static str| {
        vec![
            ("action", "test"),
            ("host", host),
            ("security", "none"),
            ("username", "mailer"),
            ("from_address", "ops@example.com"),
        ]
    };
    let port = port.to_string();
    // The stored server with an empty password field: the stored password is used, and
    // the sink (which offers no AUTH) refuses it.
    let mut same = form("127.0.0.1");
    same.push(("port", &port));
    let stored = admin.post_from(&page, "/admin/settings", &same).await;
    assert!(
        banner(&stored.body).starts_with("The test email could not be sent:"),
        "{}",
        banner(&stored.body)
    );
    // Another host name for the same sink: sent without any password.
    let mut other = form("localhost");
    other.push(("port", &port));
    let sent = admin.post_from(&page, "/admin/settings", &other).await;
    assert_eq!(banner(&sent.body), "Test email sent to admin@example.com");
    assert_eq!(sink.wait_for(1).await.len(), 1);
    app.shutdown().await;
}

/// The saved settings rows (on the blocking pool: the PostgreSQL client blocks).
async fn saved_settings(app: &TestApp) -> Vec<flashcard_flow_server::store::SettingRow> {
    app.state
        .with_store(|s| s.settings())
        .await
        .expect("settings")
}

/// The stored SMTP password, as the settings table holds it.
async fn stored_smtp_password(app: &TestApp) -> Option<String> {
    saved_settings(app)
        .await
        .into_iter()
        .find(|row| row.name == "smtp.password")
        .map(|row| row.value)
}

#[tokio::test]
async fn an_empty_password_keeps_the_saved_one_only_for_the_same_server_and_username() {
    let (app, _sink) = app_with_admin_and_sink().await;
    let mut admin = Browser::new(&app);
    admin.sign_in("admin", ADMIN_PASSWORD).await;
    let page = admin.get("/admin/settings").await;
    let save = |host: &'static str, username: &'static str, password: &'static str| {
        [
            ("action", "save"),
            ("host", host),
            ("port", "2525"),
            ("security", "none"),
            ("username", username),
            ("password", password),
            ("from_name", "Ops"),
            ("from_address", "ops@example.com"),
        ]
    };
    let first = admin
        .post_from(
            &page,
            "/admin/settings",
            &save("mail.example.org", "ops", "s3cret"),
        )
        .await;
    assert_eq!(first.status, 303, "{}", first.body);
    assert_eq!(stored_smtp_password(&app).await.as_deref(), Some("s3cret"));

    // Same server and username: the empty field keeps it.
    let kept = admin
        .post_from(
            &page,
            "/admin/settings",
            &save("mail.example.org", "ops", ""),
        )
        .await;
    assert_eq!(kept.status, 303, "{}", kept.body);
    assert_eq!(stored_smtp_password(&app).await.as_deref(), Some("s3cret"));

    // Another host, or another username: refused, and nothing changes.
    for (host, username) in [
        ("mail.elsewhere.example", "ops"),
        ("mail.example.org", "other"),
    ] {
        let moved = admin
            .post_from(&page, "/admin/settings", &save(host, username, ""))
            .await;
        assert_eq!(moved.status, 400, "{}", moved.body);
        assert!(
            moved.body.contains(
                "<p class=\"field-error\" id=\"smtp-password-error\">Enter the password again"
            ),
            "{}",
            moved.body
        );
        let in_effect = saved_settings(&app).await;
        assert!(
            in_effect
                .iter()
                .any(|r| r.name == "smtp.host" && r.value == "mail.example.org"),
            "the saved host stays"
        );
        assert_eq!(stored_smtp_password(&app).await.as_deref(), Some("s3cret"));
    }

    // With the password typed again, the new server is saved.
    let moved = admin
        .post_from(
            &page,
            "/admin/settings",
            &save("mail.elsewhere.example", "ops", "other-secret"),
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert_eq!(
        stored_smtp_password(&app).await.as_deref(),
        Some("other-secret")
    );
}

#[tokio::test]
async fn error_pages_keep_the_signed_in_header() {
    let app = app_with_alice().await;
    let mut browser = Browser::new(&app);
    let anonymous = browser.get("/no-such-page").await;
    assert_eq!(anonymous.status, 404);
    assert!(
        !anonymous.body.contains("class=\"user-name\""),
        "signed out"
    );

    browser.sign_in("alice", ALICE_PASSWORD).await;
    let wrong_method = {
        let request = browser.http.delete(app.url("/account"));
        browser.send(request).await
    };
    for (what, page) in [
        ("unknown page", browser.get("/no-such-page").await),
        ("missing asset", browser.get("/static/no-such.css").await),
        ("wrong method", wrong_method),
        ("study refusal", browser.get("/study/4242").await),
    ] {
        assert!(page.status >= 400, "{what}: {}", page.status);
        assert!(
            page.body.contains("alice</span>") && page.body.contains("href=\"/decks\""),
            "{what}: the header is the signed-in one: {}",
            page.body
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn browser_sessions_are_named_by_the_browser_and_system_they_signed_in_with() {
    let app = app_with_alice().await;
    let mut laptop = Browser::with_agent(
        &app,
        "en",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    );
    let mut phone = Browser::with_agent(
        &app,
        "de",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/131.0.0.0 Mobile Safari/537.36",
    );
    laptop.sign_in("alice", ALICE_PASSWORD).await;
    phone.sign_in("alice", ALICE_PASSWORD).await;
    let page = laptop.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<strong>Firefox on Linux (this browser)</strong>"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<strong>Chrome on Android</strong>"),
        "{}",
        page.body
    );
    let german = phone.get("/account").await;
    assert!(
        german.body.contains("<strong>Chrome auf Android ("),
        "{}",
        german.body
    );
    assert!(
        german.body.contains("<strong>Firefox auf Linux</strong>"),
        "{}",
        german.body
    );
    app.shutdown().await;
}
