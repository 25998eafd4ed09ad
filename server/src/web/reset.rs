//! Self-service password reset (DESIGN §7, SECURITY.md T1–T7): the two-step page at
//! `/password-reset` (alias `/reset-password`), and its JSON API.
//!
//! A request answers the same bytes, in the same time, whether or not the email belongs to
//! an account: the handler only checks the limits and hands the address to a background
//! task, which looks it up, issues the token and queues the mail. Links are built from the
//! configured public URL, never from the request.

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::accounts::{self, Actor, ResetError};
use crate::lang::Lang;
use crate::mail::compose;
use crate::state::WebState;

use super::api_json::ApiJson;
use super::flash::{self, Notice};
use super::frame::Frame;
use super::i18n::Texts;
use super::limits::hashed;
use super::pages::{
    cross_origin_refused, forbidden_form, json_error, render, texts, Banner, FieldErrors,
};
use super::password_text;
use super::session::{self, CSRF_COOKIE};

/// The one answer to every reset request.
pub const REQUEST_ANSWER: &str =
    "If an account exists for that email address, a password reset link has been sent to it.";
pub const INVALID_TOKEN: &str = "Invalid or expired reset token";

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    t: Texts,
    frame: Frame,
    csrf: String,
    banner: Option<Banner>,
    errors: FieldErrors,
    /// "request", "reset" or "invalid".
    step: &'static str,
    token: String,
    /// The address as typed, kept when it is refused.
    email: String,
    /// The policy's minimum, for the hint under the new-password field.
    min_chars: String,
}

impl ResetPage {
    fn new(t: Texts, csrf: String, state: &WebState, step: &'static str) -> ResetPage {
        ResetPage {
            t,
            frame: Frame::signed_out(),
            csrf,
            banner: None,
            errors: FieldErrors::default(),
            step,
            token: String::new(),
            email: String::new(),
            min_chars: min_chars(state),
        }
    }
}

/// Longest address accepted (RFC 5321's path limit).
const MAX_EMAIL_LEN: usize = 254;

/// Whether `email` could be an address at all: checked before a request is accepted, so
/// an empty or mistyped field is never answered with "a link was sent". (Syntax only: it
/// says nothing about whether an account has it.)
fn plausible_email(email: &str) -> bool {
    let email = email.trim();
    email.len() <= MAX_EMAIL_LEN
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && email.parse::<lettre::Address>().is_ok()
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn min_chars(state: &WebState) -> String {
    state.config.password_policy.min_chars.to_string()
}

fn csrf_and_cookies(
    state: &WebState,
    headers: &HeaderMap,
) -> (String, Vec<axum::http::HeaderValue>) {
    let (csrf, new) = session::anonymous_csrf(state, headers);
    let cookies = if new {
        vec![session::set_cookie(state, CSRF_COOKIE, &csrf, None)]
    } else {
        vec![]
    };
    (csrf, cookies)
}

async fn token_valid(state: &WebState, token: &str) -> bool {
    let now = state.clock.now();
    let token = token.to_string();
    state
        .with_store(move |s| accounts::reset_token_is_valid(s, &token, now))
        .await
        .unwrap_or(false)
}

/// GET: without a token the request step; with one, the token is checked (not used up)
/// before the new-password form is shown.
pub async fn page(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Response {
    let t = texts(&headers);
    let (csrf, mut cookies) = csrf_and_cookies(&state, &headers);
    let Some(token) = query.token.filter(|t| !t.is_empty()) else {
        let (notice, clear) = flash::take(&state, &headers);
        cookies.extend(clear);
        let mut page = ResetPage::new(t, csrf, &state, "request");
        page.banner = notice.and_then(|n| n.banner(t));
        return render(&page, StatusCode::OK, cookies);
    };
    if !verify_allowed(&state, &session::client_ip(&state, &peer, &headers)) {
        let mut page = ResetPage::new(t, csrf, &state, "invalid");
        page.banner = Banner::error(t.get("common.tooMany"));
        return render(&page, StatusCode::TOO_MANY_REQUESTS, cookies);
    }
    let page = if token_valid(&state, &token).await {
        let mut page = ResetPage::new(t, csrf, &state, "reset");
        page.banner = Banner::info(t.get("passwordReset.verified"));
        page.token = token;
        page
    } else {
        let mut page = ResetPage::new(t, csrf, &state, "invalid");
        page.banner = Banner::error(t.get("passwordReset.invalid"));
        page
    };
    render(&page, StatusCode::OK, cookies)
}

/// Checks the limits and, within them, queues the request for the background task.
/// Everything here is the same work for every address (SECURITY.md T1, T2).
/// The mail is written in `lang`, the language of the request.
fn accept_request(state: &WebState, ip: &str, email: &str, lang: Lang) {
    let now = state.clock.now();
    let within_ip = state
        .web
        .limits
        .allow(&format!("reset-request-ip:{ip}"), 5, 15 * 60, now);
    let within_email =
        state
            .web
            .limits
            .allow(&hashed("reset-request-email", email), 3, 60 * 60, now);
    if !(within_ip && within_email) {
        tracing::info!("password reset request over the rate limit; nothing sent");
        return;
    }
    let state = state.clone();
    let email = email.trim().to_lowercase();
    tokio::spawn(async move { process_request(&state, email, lang).await });
}

async fn process_request(state: &WebState, email: String, lang: Lang) {
    let now = state.clock.now();
    let ttl = state.config.reset_token_ttl_secs;
    let lookup = email.clone();
    let issued = state
        .with_store(move |s| {
            let Some(user) = s
                .find_user(&lookup)?
                .filter(|u| !u.disabled && u.email == lookup)
            else {
                return Ok(None);
            };
            let token = accounts::issue_reset_token(s, user.id, now, ttl)?;
            Ok(Some((user, token)))
        })
        .await;
    let (user, token) = match issued {
        Ok(Some(found)) => found,
        Ok(None) => {
            tracing::info!("password reset requested for an address with no account; nothing sent");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot issue a reset token");
            return;
        }
    };
    if crate::mail::effective_smtp(state, &state.mail)
        .await
        .is_none()
    {
        tracing::warn!(
            user_id = user.id,
            "password reset requested, but SMTP is not configured: no mail sent"
        );
        return;
    }
    let link = format!(
        "{}/password-reset?token={}",
        state.config.public_url,
        token.expose_secret()
    );
    state.mail.mailer.send_secret(compose::reset_link(
        lang,
        &user.email,
        &user.username,
        &link,
        ttl / 60,
        now.saturating_add(ttl),
    ));
    tracing::info!(user_id = user.id, "password reset mail queued");
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// POST of either step's form (no JavaScript needed).
pub async fn submit(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> Response {
    let expected = session::cookie(&state, &headers, CSRF_COOKIE).unwrap_or_default();
    if !session::same_origin(&state, &headers)
        || form.csrf.is_empty()
        || !session::tokens_match(&form.csrf, &expected)
    {
        return forbidden_form(&headers);
    }
    let t = texts(&headers);
    let page = |step| ResetPage::new(t, expected.clone(), &state, step);
    if let Some(email) = form.email {
        if !plausible_email(&email) {
            let text = t.get("passwordReset.emailInvalid");
            let mut refused = page("request");
            refused.banner = Banner::error(text);
            refused.errors = FieldErrors::one("email", text);
            refused.email = email;
            return render(&refused, StatusCode::BAD_REQUEST, vec![]);
        }
        accept_request(
            &state,
            &session::client_ip(&state, &peer, &headers),
            &email,
            t.lang,
        );
        return flash::redirect(&state, "/password-reset", Notice::ResetRequested, None);
    }
    let token = form.token.unwrap_or_default();
    if form.password != form.confirm {
        let text = t.get("passwordReset.mismatch");
        let mut refused = page("reset");
        refused.banner = Banner::error(text);
        refused.errors = FieldErrors::one("confirm", text);
        refused.token = token;
        return render(&refused, StatusCode::BAD_REQUEST, vec![]);
    }
    let ip = session::client_ip(&state, &peer, &headers);
    match reset(&state, &ip, &token, form.password, t.lang).await {
        Ok(()) => flash::redirect(&state, "/login", Notice::PasswordReset, None),
        Err(ResetRefusal::InvalidToken) => {
            let mut refused = page("invalid");
            refused.banner = Banner::error(t.get("passwordReset.invalid"));
            render(&refused, StatusCode::BAD_REQUEST, vec![])
        }
        Err(ResetRefusal::Password(reason)) => {
            let text = password_text::refusal(t, &reason);
            let mut refused = page("reset");
            refused.banner = Banner::error(text.clone());
            refused.errors = FieldErrors::one("password", text);
            refused.token = token;
            render(&refused, StatusCode::BAD_REQUEST, vec![])
        }
        Err(ResetRefusal::TooMany) => {
            let mut refused = page("reset");
            refused.banner = Banner::error(t.get("common.tooMany"));
            refused.token = token;
            render(&refused, StatusCode::TOO_MANY_REQUESTS, vec![])
        }
        Err(ResetRefusal::Failed) => {
            let mut refused = page("reset");
            refused.banner = Banner::error(t.get("common.error"));
            refused.token = token;
            render(&refused, StatusCode::INTERNAL_SERVER_ERROR, vec![])
        }
    }
}

/// Link checks allowed per client address: 10 a minute, for the page and the API alike.
fn verify_allowed(state: &WebState, ip: &str) -> bool {
    state
        .web
        .limits
        .allow(&format!("verify-ip:{ip}"), 10, 60, state.clock.now())
}

/// Uses the token and sets the password, then evicts the user's cached Anki keys here
/// in the process, exactly as `adminctl reset-password` does over the socket. The notice
/// of the change is written in `lang`.
async fn reset(
    state: &WebState,
    ip: &str,
    token: &str,
    password: String,
    lang: Lang,
) -> Result<(), ResetRefusal> {
    let now = state.clock.now();
    if !state
        .web
        .limits
        .allow(&format!("reset-ip:{ip}"), 10, 60, now)
    {
        return Err(ResetRefusal::TooMany);
    }
    let store = Arc::clone(&state.store);
    let policy = state.config.password_policy;
    let token = SecretString::from(token.to_string());
    let password = SecretString::from(password);
    let actor = Actor::Remote { ip: ip.to_string() };
    let result = state
        .hashing
        .run(move || {
            accounts::reset_password_with_token(
                &*store, &policy, &token, &password, now, &actor, lang,
            )
        })
        .await
        .map_err(|_| ResetRefusal::Failed)?;
    match result {
        Ok(changed) => {
            if let Err(e) = state
                .refresh_user(changed.user_id, changed.credential_generation)
                .await
            {
                tracing::warn!(error = %e, "cannot refresh the user's cached keys");
            }
            state.mail.mailer.outbox_changed();
            tracing::info!(user_id = changed.user_id, "password reset by emailed link");
            Ok(())
        }
        Err(ResetError::InvalidToken) => Err(ResetRefusal::InvalidToken),
        Err(ResetError::Account(accounts::AccountError::PasswordRejected(reason))) => {
            Err(ResetRefusal::Password(reason))
        }
        Err(e) => {
            tracing::error!(error = %e, "password reset failed");
            Err(ResetRefusal::Failed)
        }
    }
}

/// Why a reset did not happen.
enum ResetRefusal {
    TooMany,
    InvalidToken,
    Password(accounts::PasswordRejected),
    Failed,
}

impl ResetRefusal {
    /// The API's status and message (English, as the API has always answered).
    fn api_answer(&self) -> (StatusCode, String) {
        match self {
            ResetRefusal::TooMany => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts".into()),
            ResetRefusal::InvalidToken => (StatusCode::BAD_REQUEST, INVALID_TOKEN.into()),
            ResetRefusal::Password(reason) => (StatusCode::BAD_REQUEST, reason.to_string()),
            ResetRefusal::Failed => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error".to_string(),
            ),
        }
    }
}

#[derive(Deserialize)]
pub struct RequestBody {
    email: String,
}

/// `POST /password-reset/request {email}`: always the same answer.
pub async fn api_request(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RequestBody>,
) -> Response {
    if !session::same_origin(&state, &headers) {
        return cross_origin_refused();
    }
    accept_request(
        &state,
        &session::client_ip(&state, &peer, &headers),
        &body.email,
        Lang::negotiate(&headers),
    );
    Json(serde_json::json!({"success": true, "message": REQUEST_ANSWER})).into_response()
}

/// `GET /password-reset/verify?token=`: `{"valid": bool}`, without using the token up.
pub async fn api_verify(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Response {
    if !verify_allowed(&state, &session::client_ip(&state, &peer, &headers)) {
        return json_error(StatusCode::TOO_MANY_REQUESTS, "Too many attempts");
    }
    let valid = match query.token {
        Some(token) => token_valid(&state, &token).await,
        None => false,
    };
    Json(serde_json::json!({ "valid": valid })).into_response()
}

#[derive(Deserialize)]
pub struct ResetBody {
    token: String,
    password: String,
}

/// `POST /password-reset/reset {token, password}`.
pub async fn api_reset(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ResetBody>,
) -> Response {
    if !session::same_origin(&state, &headers) {
        return cross_origin_refused();
    }
    let ip = session::client_ip(&state, &peer, &headers);
    let lang = Lang::negotiate(&headers);
    match reset(&state, &ip, &body.token, body.password, lang).await {
        Ok(()) => Json(serde_json::json!({"success": true, "message": "Password has been reset"}))
            .into_response(),
        Err(refusal) => {
            let (status, message) = refusal.api_answer();
            (
                status,
                Json(serde_json::json!({"success": false, "error": message})),
            )
                .into_response()
        }
    }
}
