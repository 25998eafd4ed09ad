//! `/account`: change the password with the current one, see and sign out devices (Anki
//! host keys) and browser sessions, one at a time or all but this browser, and the sync
//! address to put into Anki.

use std::sync::Arc;

use askama::Template;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Form;
use secrecy::SecretString;
use serde::Deserialize;

use crate::accounts::{self, Actor};
use crate::login_gate::{self, LoginCheck, LoginPath};
use crate::state::WebState;

use super::devices::{browser_label, device_label, when};
use super::flash::{self, Notice};
use super::frame::{Frame, Section};
use super::i18n::Texts;
use super::pages::{forbidden_form, render, texts, Banner, FieldErrors};
use super::password_text;
use super::session::{self, SignedIn};

pub struct Device {
    pub id: String,
    pub label: String,
    pub first_seen: String,
    pub last_synced: String,
    pub legacy: bool,
}

pub struct SessionItem {
    pub id: String,
    /// "Firefox on Linux".
    pub browser: String,
    pub signed_in_at: String,
    pub last_active: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: Texts,
    frame: Frame,
    csrf: String,
    banner: Option<Banner>,
    errors: FieldErrors,
    username: String,
    email: String,
    devices: Vec<Device>,
    sessions: Vec<SessionItem>,
    /// The address to enter in Anki's preferences.
    sync_url: String,
    min_chars: String,
}

/// The address Anki's "self-hosted sync server" preference takes.
fn sync_url(state: &WebState) -> String {
    format!("{}/", state.config.public_url.trim_end_matches('/'))
}

async fn render_page(
    state: &WebState,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    (banner, errors): (Option<Banner>, FieldErrors),
    status: StatusCode,
    cookies: Vec<HeaderValue>,
) -> Response {
    let t = texts(headers);
    let user_id = signed_in.user.id;
    let lists = state
        .with_store(move |s| Ok((s.user_sync_keys(user_id)?, s.user_web_sessions(user_id)?)))
        .await;
    let Ok((keys, sessions)) = lists else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let page = AccountPage {
        t,
        frame: Frame::signed_in(signed_in, Section::Account),
        csrf: signed_in.csrf.clone(),
        banner,
        errors,
        username: signed_in.user.username.clone(),
        email: signed_in.user.email.clone(),
        devices: keys
            .into_iter()
            .map(|k| Device {
                label: device_label(t, &k.client_version),
                first_seen: when(k.created_at),
                last_synced: when(k.last_used_at),
                legacy: k.legacy,
                id: k.digest,
            })
            .collect(),
        sessions: sessions
            .into_iter()
            .map(|w| SessionItem {
                current: w.digest == signed_in.session_digest,
                browser: browser_label(t, &w.user_agent),
                signed_in_at: when(w.created_at),
                last_active: when(w.last_seen_at),
                id: w.digest,
            })
            .collect(),
        sync_url: sync_url(state),
        min_chars: state.config.password_policy.min_chars.to_string(),
    };
    render(&page, status, cookies)
}

/// The account page's own address, where its forms' posts send a lost session back to.
fn account_uri() -> Uri {
    Uri::from_static("/account")
}

pub async fn page(State(state): State<WebState>, uri: Uri, headers: HeaderMap) -> Response {
    let signed_in = match session::require(&state, &headers, &uri).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let (notice, cookies) = flash::take(&state, &headers);
    let banner = notice.and_then(|n| n.banner(texts(&headers)));
    render_page(
        &state,
        &headers,
        &signed_in,
        (banner, FieldErrors::default()),
        StatusCode::OK,
        cookies,
    )
    .await
}

/// The account page again, with a refusal in the banner and under `field`.
async fn refused(
    state: &WebState,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    field: &'static str,
    text: String,
    status: StatusCode,
) -> Response {
    let errors = FieldErrors::one(field, text.clone());
    render_page(
        state,
        headers,
        signed_in,
        (Banner::error(text), errors),
        status,
        vec![],
    )
    .await
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
    State(state): State<WebState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Response {
    let signed_in = match session::require(&state, &headers, &account_uri()).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if !session::same_origin(&state, &headers)
        || !session::tokens_match(&form.csrf, &signed_in.csrf)
    {
        return forbidden_form(&headers);
    }
    let t = texts(&headers);
    if form.password != form.confirm {
        let text = t.get("passwordReset.mismatch").to_string();
        return refused(
            &state,
            &headers,
            &signed_in,
            "confirm",
            text,
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
    let refusal = match checked {
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
    if let Some((status, text, retry_after)) = refusal {
        let page = refused(&state, &headers, &signed_in, "current", text, status).await;
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
            state.mail.mailer.outbox_changed();
            // Every session ended with the change, this one too (SECURITY.md T9).
            let mut response = session::redirect_signed_out(&state, "/login");
            response.headers_mut().append(
                axum::http::header::SET_COOKIE,
                flash::set(&state, Notice::PasswordChanged, None),
            );
            response
        }
        Ok(Err(accounts::AccountError::PasswordRejected(reason))) => {
            let text = password_text::refusal(t, &reason);
            refused(
                &state,
                &headers,
                &signed_in,
                "password",
                text,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        _ => {
            render_page(
                &state,
                &headers,
                &signed_in,
                (Banner::error(t.get("common.error")), FieldErrors::default()),
                StatusCode::INTERNAL_SERVER_ERROR,
                vec![],
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

/// What a revoke form signed out.
enum Revoked {
    /// A device, with its name for the banner.
    Device(String),
    Session,
    Nothing,
}

/// The signed-in user of an account form post, or the answer that refuses it.
async fn form_user(
    state: &WebState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<SignedIn, Response> {
    let signed_in = session::require(state, headers, &account_uri()).await?;
    if !session::same_origin(state, headers) || !session::tokens_match(csrf, &signed_in.csrf) {
        return Err(forbidden_form(headers));
    }
    Ok(signed_in)
}

pub async fn revoke(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<RevokeForm>,
) -> Response {
    let signed_in = match form_user(&state, &headers, &form.csrf).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let t = texts(&headers);
    let user_id = signed_in.user.id;
    let current = signed_in.session_digest.clone();
    let id = form.id.clone();
    let result = match form.kind.as_str() {
        "device" => {
            state
                .with_store(move |s| {
                    let Some(key) = s
                        .user_sync_keys(user_id)?
                        .into_iter()
                        .find(|k| k.digest == id)
                    else {
                        return Ok(Revoked::Nothing);
                    };
                    Ok(if s.delete_user_sync_key(user_id, &id)? {
                        Revoked::Device(key.client_version)
                    } else {
                        Revoked::Nothing
                    })
                })
                .await
        }
        // This browser signs out with the header's Sign out, not here.
        "session" if form.id != current => {
            state
                .with_store(move |s| {
                    Ok(if s.delete_user_web_session(user_id, &id)? {
                        Revoked::Session
                    } else {
                        Revoked::Nothing
                    })
                })
                .await
        }
        _ => Ok(Revoked::Nothing),
    };
    match result {
        Ok(Revoked::Device(version)) => {
            state.host_keys.remove(&form.id);
            let name = device_label(t, &version);
            flash::redirect(&state, "/account", Notice::DeviceSignedOut, Some(&name))
        }
        Ok(Revoked::Session) => flash::redirect(&state, "/account", Notice::SessionSignedOut, None),
        Ok(Revoked::Nothing) => {
            let banner = Banner::error(t.get("auth.account.notFound"));
            render_page(
                &state,
                &headers,
                &signed_in,
                (banner, FieldErrors::default()),
                StatusCode::NOT_FOUND,
                vec![],
            )
            .await
        }
        Err(_) => {
            let banner = Banner::error(t.get("common.error"));
            render_page(
                &state,
                &headers,
                &signed_in,
                (banner, FieldErrors::default()),
                StatusCode::SERVICE_UNAVAILABLE,
                vec![],
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /account/sign-out-others`: every other browser session and every Anki device of
/// the user signed out; this browser stays signed in.
pub async fn sign_out_others(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let signed_in = match form_user(&state, &headers, &form.csrf).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let user_id = signed_in.user.id;
    let keep = signed_in.session_digest.clone();
    let removed = state
        .with_store(move |s| {
            for session in s.user_web_sessions(user_id)? {
                if session.digest != keep {
                    s.delete_user_web_session(user_id, &session.digest)?;
                }
            }
            let mut keys = Vec::new();
            for key in s.user_sync_keys(user_id)? {
                if s.delete_user_sync_key(user_id, &key.digest)? {
                    keys.push(key.digest);
                }
            }
            Ok(keys)
        })
        .await;
    match removed {
        Ok(keys) => {
            for key in &keys {
                state.host_keys.remove(key);
            }
            tracing::info!(user_id, devices = keys.len(), "signed out everywhere else");
            flash::redirect(&state, "/account", Notice::OthersSignedOut, None)
        }
        Err(e) => {
            tracing::error!(user_id, error = %e, "cannot sign out everywhere else");
            let banner = Banner::error(texts(&headers).get("common.error"));
            render_page(
                &state,
                &headers,
                &signed_in,
                (banner, FieldErrors::default()),
                StatusCode::SERVICE_UNAVAILABLE,
                vec![],
            )
            .await
        }
    }
}
