//! `/login`, `/logout` and `POST /api/login`. A login passes the login limits and the
//! hashing pool ([`crate::login_gate`]), then starts a new session (a new id every time)
//! and returns to the page that sent the user here (a safe `next`), else to the decks.

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use secrecy::SecretString;
use serde::Deserialize;

use crate::accounts;
use crate::login_gate::{self, LoginCheck, LoginPath};
use crate::state::WebState;
use crate::store::User;

use super::api_json::ApiJson;
use super::flash::{self, Notice};
use super::frame::Frame;
use super::i18n::Texts;
use super::pages::{cross_origin_refused, forbidden_form, render, texts, Banner};
use super::return_to::safe_next;
use super::session::{self, CSRF_COOKIE, SESSION_COOKIE};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Texts,
    frame: Frame,
    csrf: String,
    /// Where to go after signing in (already checked by [`safe_next`]); empty for home.
    next: String,
    login: String,
    banner: Option<Banner>,
    /// While no account exists: the command that creates the first admin.
    first_run: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Where a sign-in goes: the safe `next`, else the decks.
fn destination(next: Option<&str>) -> String {
    next.and_then(safe_next)
        .unwrap_or_else(|| "/decks".to_string())
}

/// `/`: the decks when signed in, else the sign-in page.
pub async fn home(State(state): State<WebState>, headers: HeaderMap) -> Response {
    match session::lookup(&state, &headers).await {
        session::Lookup::SignedIn(_) => Redirect::to("/decks").into_response(),
        session::Lookup::Ended => session::session_ended(&state, "/"),
        session::Lookup::Anonymous => Redirect::to("/login").into_response(),
        session::Lookup::Unavailable => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

pub async fn page(
    State(state): State<WebState>,
    Query(query): Query<LoginQuery>,
    headers: HeaderMap,
) -> Response {
    if session::current(&state, &headers).await.is_some() {
        return Redirect::to(&destination(query.next.as_deref())).into_response();
    }
    let t = texts(&headers);
    let (notice, mut cookies) = flash::take(&state, &headers);
    let banner = notice.and_then(|n| n.banner(t));
    let (csrf, new) = session::anonymous_csrf(&state, &headers);
    if new {
        cookies.push(session::set_cookie(&state, CSRF_COOKIE, &csrf, None));
    }
    let first_run = if state.is_first_run().await {
        Some(state.first_admin_command())
    } else {
        None
    };
    render(
        &LoginPage {
            t,
            frame: Frame::signed_out(),
            csrf,
            next: query
                .next
                .as_deref()
                .and_then(safe_next)
                .unwrap_or_default(),
            login: String::new(),
            banner,
            first_run,
        },
        StatusCode::OK,
        cookies,
    )
}

pub(super) enum Outcome {
    SignedIn(User, String),
    Refused,
    Disabled,
    Limited { retry_after_secs: u64 },
    Busy,
}

/// Checks a login under the login limits, and starts the session on success.
async fn attempt(
    state: &WebState,
    address: IpAddr,
    login: &str,
    password: SecretString,
    user_agent: String,
) -> Result<Outcome, Response> {
    let user = match login_gate::check(state, LoginPath::Web, address, login, password).await {
        LoginCheck::Verified(user) => user,
        LoginCheck::Refused => return Ok(Outcome::Refused),
        LoginCheck::Disabled => return Ok(Outcome::Disabled),
        LoginCheck::Limited { retry_after } => {
            return Ok(Outcome::Limited {
                retry_after_secs: accounts::retry_after_secs(retry_after),
            })
        }
        LoginCheck::Busy => return Ok(Outcome::Busy),
        LoginCheck::Failed => return Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
    };
    let secret = session::start(state, user.id, user_agent)
        .await
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())?;
    tracing::info!(user = %user.username, user_id = user.id, %address, "web login");
    Ok(Outcome::SignedIn(user, secret))
}

/// The status, banner text and `Retry-After` of a refused sign-in, for pages and the API.
pub(super) fn refusal(t: Texts, outcome: &Outcome) -> (StatusCode, String, Option<u64>) {
    match outcome {
        Outcome::Limited { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            t.get("auth.login.limited")
                .replace("{seconds}", &retry_after_secs.to_string()),
            Some(*retry_after_secs),
        ),
        Outcome::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            t.get("common.busy").to_string(),
            Some(1),
        ),
        Outcome::Disabled => (
            StatusCode::FORBIDDEN,
            t.get("auth.login.disabled").to_string(),
            None,
        ),
        _ => (
            StatusCode::UNAUTHORIZED,
            t.get("auth.login.failed").to_string(),
            None,
        ),
    }
}

/// Adds `Retry-After` when the refusal has one.
pub(super) fn with_retry_after(mut response: Response, secs: Option<u64>) -> Response {
    if let Some(secs) = secs {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, secs.into());
    }
    response
}

pub async fn submit(
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = session::cookie(&state, &headers, CSRF_COOKIE).unwrap_or_default();
    if !session::same_origin(&state, &headers)
        || form.csrf.is_empty()
        || !session::tokens_match(&form.csrf, &expected)
    {
        return forbidden_form(&headers);
    }
    let t = texts(&headers);
    let password = SecretString::from(form.password);
    let address = crate::http::client_address(&state.config.trusted_proxies, &peer, &headers);
    let agent = session::user_agent(&headers);
    match attempt(&state, address, form.login.trim(), password, agent).await {
        Err(response) => response,
        Ok(Outcome::SignedIn(_, secret)) => {
            let mut response = Redirect::to(&destination(Some(&form.next))).into_response();
            response.headers_mut().append(
                axum::http::header::SET_COOKIE,
                session::set_cookie(&state, SESSION_COOKIE, &secret, None),
            );
            response
        }
        Ok(outcome) => {
            let (status, text, retry_after) = refusal(t, &outcome);
            let page = LoginPage {
                t,
                frame: Frame::signed_out(),
                csrf: expected,
                next: safe_next(&form.next).unwrap_or_default(),
                login: form.login,
                banner: Banner::error(text),
                first_run: None,
            };
            with_retry_after(render(&page, status, vec![]), retry_after)
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
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ApiLogin>,
) -> Response {
    if !session::same_origin(&state, &headers) {
        return cross_origin_refused();
    }
    let address = crate::http::client_address(&state.config.trusted_proxies, &peer, &headers);
    let agent = session::user_agent(&headers);
    match attempt(&state, address, body.login.trim(), body.password, agent).await {
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
        Ok(outcome) => {
            let (status, text, retry_after) = refusal(texts(&headers), &outcome);
            let body = match retry_after {
                Some(secs) => serde_json::json!({ "error": text, "retry_after": secs }),
                None => serde_json::json!({ "error": text }),
            };
            with_retry_after((status, Json(body)).into_response(), retry_after)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let Some(signed_in) = session::current(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    if !session::same_origin(&state, &headers)
        || !session::tokens_match(&form.csrf, &signed_in.csrf)
    {
        return forbidden_form(&headers);
    }
    let digest = signed_in.session_digest.clone();
    let _ = state
        .with_store(move |s| s.delete_web_session(&digest))
        .await;
    let mut response = session::redirect_signed_out(&state, "/login");
    response.headers_mut().append(
        axum::http::header::SET_COOKIE,
        flash::set(&state, Notice::SignedOut, None),
    );
    response
}
