//! `/login`, `/logout` and `POST /api/login`. A login checks the Argon2id hash under the
//! hashing bound, starts a new session (a new id every time), and slows down repeated
//! failures per client and per account, without ever locking anyone out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::accounts;
use crate::state::AppState;
use crate::store::User;

use super::i18n::Texts;
use super::limits::hashed;
use super::pages::{cross_origin_refused, forbidden_form, json_error, render, texts, Banner};
use super::session::{self, CSRF_COOKIE, SESSION_COOKIE};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Texts,
    csrf: String,
    login: String,
    banner: Option<Banner>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

const FAILURE_WINDOW: i64 = 15 * 60;

pub async fn page(State(state): State<Arc<AppState>>, uri: Uri, headers: HeaderMap) -> Response {
    if session::current(&state, &headers).await.is_some() {
        return Redirect::to("/account").into_response();
    }
    let t = texts(&headers);
    let banner = if query_flag(&uri, "changed") {
        Banner::success(t.get("auth.login.passwordChanged"))
    } else if query_flag(&uri, "signed-out") {
        Banner::info(t.get("auth.login.signedOut"))
    } else {
        None
    };
    let (csrf, new) = session::anonymous_csrf(&headers);
    let cookies = if new {
        vec![session::set_cookie(&state, CSRF_COOKIE, &csrf, None)]
    } else {
        vec![]
    };
    render(
        &LoginPage {
            t,
            csrf,
            login: String::new(),
            banner,
        },
        StatusCode::OK,
        cookies,
    )
}

/// The page's own notices arrive as `?changed` or `?signed-out` (fixed words, no text
/// from the query reaches the page).
fn query_flag(uri: &Uri, flag: &str) -> bool {
    uri.query().is_some_and(|q| q.split('&').any(|p| p == flag))
}

enum Outcome {
    SignedIn(User, String),
    Refused,
    Throttled,
}

/// Checks a login with the growing delay, and starts the session on success.
async fn attempt(
    state: &Arc<AppState>,
    ip: &str,
    login: &str,
    password: SecretString,
) -> Result<Outcome, Response> {
    if login.len() > 320 || accounts::exceeds_max_length(password.expose_secret()) {
        return Ok(Outcome::Refused);
    }
    let now = state.clock.now();
    let by_ip = format!("login-ip:{ip}");
    let by_account = hashed("login-account", login);
    let failures = state
        .limits
        .count(&by_ip, FAILURE_WINDOW, now)
        .max(state.limits.count(&by_account, FAILURE_WINDOW, now));
    if failures >= 50 {
        return Ok(Outcome::Throttled);
    }
    if failures >= 5 {
        // Growing delay, never a lockout: 1 s, 2 s, 4 s ... up to 16 s.
        let secs = 1u64 << (failures - 5).min(4);
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
    let store = Arc::clone(&state.store);
    let lookup = login.to_string();
    let user = state
        .hashing
        .run(move || accounts::verify_web_login(&*store, &lookup, &password))
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())?
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    let Some(user) = user else {
        state.limits.allow(&by_ip, usize::MAX, FAILURE_WINDOW, now);
        state
            .limits
            .allow(&by_account, usize::MAX, FAILURE_WINDOW, now);
        tracing::info!(%ip, "web login refused");
        return Ok(Outcome::Refused);
    };
    state.limits.clear(&by_account);
    let secret = session::start(state, user.id)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    tracing::info!(user = %user.username, user_id = user.id, "web login");
    Ok(Outcome::SignedIn(user, secret))
}

pub async fn submit(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = session::cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    if !session::same_origin(&state, &headers)
        || form.csrf.is_empty()
        || !session::tokens_match(&form.csrf, &expected)
    {
        return forbidden_form();
    }
    let t = texts(&headers);
    let password = SecretString::from(form.password);
    match attempt(
        &state,
        &session::client_ip(&state, &peer, &headers),
        form.login.trim(),
        password,
    )
    .await
    {
        Err(response) => response,
        Ok(Outcome::SignedIn(_, secret)) => {
            let mut response = Redirect::to("/account").into_response();
            response.headers_mut().append(
                axum::http::header::SET_COOKIE,
                session::set_cookie(&state, SESSION_COOKIE, &secret, None),
            );
            response
        }
        Ok(outcome) => {
            let text = match outcome {
                Outcome::Throttled => t.get("common.tooMany"),
                _ => t.get("auth.login.failed"),
            };
            let page = LoginPage {
                t,
                csrf: expected,
                login: form.login,
                banner: Banner::error(text),
            };
            render(&page, StatusCode::UNAUTHORIZED, vec![])
        }
    }
}

#[derive(Deserialize)]
pub struct ApiLogin {
    login: String,
    password: SecretString,
}

/// `POST /api/login {"login", "password"}`: the same as the form, for scripts.
pub async fn api(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<ApiLogin>,
) -> Response {
    if !session::same_origin(&state, &headers) {
        return cross_origin_refused();
    }
    match attempt(
        &state,
        &session::client_ip(&state, &peer, &headers),
        body.login.trim(),
        body.password,
    )
    .await
    {
        Err(response) => response,
        Ok(Outcome::SignedIn(user, secret)) => {
            let mut response = Json(serde_json::json!({
                "success": true, "username": user.username, "email": user.email,
            }))
            .into_response();
            response.headers_mut().append(
                axum::http::header::SET_COOKIE,
                session::set_cookie(&state, SESSION_COOKIE, &secret, None),
            );
            response
        }
        Ok(Outcome::Throttled) => json_error(StatusCode::TOO_MANY_REQUESTS, "Too many attempts"),
        Ok(Outcome::Refused) => json_error(StatusCode::UNAUTHORIZED, "Invalid login or password"),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let Some(signed_in) = session::current(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    if !session::same_origin(&state, &headers)
        || !session::tokens_match(&form.csrf, &signed_in.csrf)
    {
        return forbidden_form();
    }
    let digest = signed_in.session_digest.clone();
    let _ = state
        .with_store(move |s| s.delete_web_session(&digest))
        .await;
    session::redirect_signed_out(&state, "/login?signed-out")
}
