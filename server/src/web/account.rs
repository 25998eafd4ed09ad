//! `/account`: change the password with the current one, and see and sign out devices
//! (Anki host keys) and browser sessions.

use std::sync::Arc;

use askama::Template;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use secrecy::SecretString;
use serde::Deserialize;

use crate::accounts::{self, Actor};
use crate::login_gate::{self, LoginCheck, LoginPath};
use crate::state::AppState;

use super::i18n::Texts;
use super::pages::{forbidden_form, render, texts, Banner};
use super::session::{self, SignedIn};

pub struct Device {
    pub id: String,
    pub label: String,
    pub last_used: String,
    pub legacy: bool,
}

pub struct SessionItem {
    pub id: String,
    pub label: String,
    pub last_used: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: Texts,
    csrf: String,
    banner: Option<Banner>,
    username: String,
    email: String,
    is_admin: bool,
    devices: Vec<Device>,
    sessions: Vec<SessionItem>,
}

/// A date for people: `2026-11-22 06:40 UTC`.
pub fn when(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

async fn render_page(
    state: &AppState,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    banner: Option<Banner>,
    status: StatusCode,
) -> Response {
    let user_id = signed_in.user.id;
    let lists = state
        .with_store(move |s| Ok((s.user_sync_keys(user_id)?, s.user_web_sessions(user_id)?)))
        .await;
    let Ok((keys, sessions)) = lists else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let page = AccountPage {
        t: texts(headers),
        csrf: signed_in.csrf.clone(),
        banner,
        username: signed_in.user.username.clone(),
        email: signed_in.user.email.clone(),
        is_admin: signed_in.user.is_admin,
        devices: keys
            .into_iter()
            .map(|k| Device {
                label: if k.client_version.is_empty() {
                    "Anki".into()
                } else {
                    k.client_version
                },
                last_used: when(k.last_used_at),
                legacy: k.legacy,
                id: k.digest,
            })
            .collect(),
        sessions: sessions
            .into_iter()
            .map(|w| SessionItem {
                current: w.digest == signed_in.session_digest,
                label: format!(
                    "{} {}",
                    texts(headers).get("auth.account.sessions"),
                    when(w.created_at)
                ),
                last_used: when(w.last_seen_at),
                id: w.digest,
            })
            .collect(),
    };
    render(&page, status, vec![])
}

pub async fn page(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match session::current(&state, &headers).await {
        Some(signed_in) => render_page(&state, &headers, &signed_in, None, StatusCode::OK).await,
        None => Redirect::to("/login").into_response(),
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Response {
    let Some(signed_in) = session::current(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    if !session::same_origin(&state, &headers)
        || !session::tokens_match(&form.csrf, &signed_in.csrf)
    {
        return forbidden_form(&headers);
    }
    let t = texts(&headers);
    if form.password != form.confirm {
        let banner = Banner::error(t.get("passwordReset.mismatch"));
        return render_page(
            &state,
            &headers,
            &signed_in,
            banner,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    // The current password is checked under the login limits, so a stolen session cannot
    // guess it at full speed.
    let address = crate::http::client_address(&state.config.trusted_proxies, &peer, &headers);
    let current = SecretString::from(form.current);
    let checked = login_gate::check(
        &state,
        LoginPath::CurrentPassword,
        address,
        &signed_in.user.username,
        current,
    )
    .await;
    let refused = match checked {
        LoginCheck::Verified(user) if user.id == signed_in.user.id => None,
        LoginCheck::Limited { retry_after } => {
            let secs = accounts::retry_after_secs(retry_after);
            let text = t
                .get("auth.login.limited")
                .replace("{seconds}", &secs.to_string());
            Some((StatusCode::TOO_MANY_REQUESTS, text, Some(secs)))
        }
        LoginCheck::Busy => Some((
            StatusCode::SERVICE_UNAVAILABLE,
            t.get("common.busy").to_string(),
            Some(1),
        )),
        _ => Some((
            StatusCode::BAD_REQUEST,
            t.get("auth.account.wrongCurrent").to_string(),
            None,
        )),
    };
    if let Some((status, text, retry_after)) = refused {
        let page = render_page(&state, &headers, &signed_in, Banner::error(text), status).await;
        return super::login::with_retry_after(page, retry_after);
    }
    let store = Arc::clone(&state.store);
    let policy = state.config.password_policy;
    let user_id = signed_in.user.id;
    let new_password = SecretString::from(form.password);
    let actor = Actor::Remote {
        ip: session::client_ip(&state, &peer, &headers),
    };
    let changed = state
        .hashing
        .run(move || {
            accounts::change_password(
                &*store,
                &policy,
                user_id,
                &new_password,
                &actor,
                accounts::ChangeReason::AccountPage,
                t.lang,
            )
        })
        .await;
    match changed {
        Ok(Ok(changed)) => {
            if let Err(e) = state
                .refresh_user(changed.user_id, changed.credential_generation)
                .await
            {
                tracing::warn!(error = %e, "cannot refresh the user's cached keys");
            }
            state.mailer.outbox_changed();
            // Every session ended with the change, this one too (SECURITY.md T9).
            session::redirect_signed_out(&state, "/login?changed")
        }
        Ok(Err(accounts::AccountError::PasswordRejected(reason))) => {
            render_page(
                &state,
                &headers,
                &signed_in,
                Banner::error(reason.to_string()),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        _ => {
            render_page(
                &state,
                &headers,
                &signed_in,
                Banner::error(t.get("common.error")),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    id: String,
}

pub async fn revoke(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Form(form): Form<RevokeForm>,
) -> Response {
    let Some(signed_in) = session::current(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    if !session::same_origin(&state, &headers)
        || !session::tokens_match(&form.csrf, &signed_in.csrf)
    {
        return forbidden_form(&headers);
    }
    let user_id = signed_in.user.id;
    let id = form.id.clone();
    let result = match form.kind.as_str() {
        "device" => {
            state
                .with_store(move |s| s.delete_user_sync_key(user_id, &id))
                .await
        }
        "session" => {
            state
                .with_store(move |s| s.delete_user_web_session(user_id, &id))
                .await
        }
        _ => Ok(false),
    };
    if form.kind == "device" && matches!(result, Ok(true)) {
        state.host_keys.remove(&form.id);
    }
    let t = texts(&headers);
    let banner = match result {
        Ok(true) => Banner::success(t.get("auth.account.revoked")),
        _ => Banner::error(t.get("common.error")),
    };
    render_page(&state, &headers, &signed_in, banner, StatusCode::OK).await
}
