//! `/admin/settings` (admins only): the SMTP settings, saved in the database so they take
//! effect without a restart, and a test mail to the admin's own address.

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::accounts::Actor;
use crate::config::{SmtpSecurity, SmtpSettings};
use crate::mail;
use crate::state::AppState;

use super::errors::{error_page, Reason};
use super::i18n::Texts;
use super::pages::{forbidden_form, render, texts, Banner};
use super::session::{self, SignedIn};

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage {
    t: Texts,
    csrf: String,
    banner: Option<Banner>,
    source: &'static str,
    host: String,
    port: String,
    security: String,
    username: String,
    from_name: String,
    from_address: String,
}

/// `Name <address>` split for the form.
fn split_mailbox(mailbox: &str) -> (String, String) {
    match (mailbox.find('<'), mailbox.rfind('>')) {
        (Some(open), Some(close)) if open < close => (
            mailbox[..open].trim().trim_matches('"').to_string(),
            mailbox[open + 1..close].trim().to_string(),
        ),
        _ => (String::new(), mailbox.trim().to_string()),
    }
}

async fn admin(state: &AppState, headers: &HeaderMap) -> Result<SignedIn, Response> {
    match session::current(state, headers).await {
        Some(signed_in) if signed_in.user.is_admin => Ok(signed_in),
        Some(_) => Err(error_page(
            texts(headers),
            StatusCode::FORBIDDEN,
            Reason::AdminsOnly,
        )),
        None => Err(Redirect::to("/login").into_response()),
    }
}

async fn render_page(
    state: &AppState,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    banner: Option<Banner>,
    status: StatusCode,
) -> Response {
    let t = texts(headers);
    let saved = state.with_store(|s| s.settings()).await.unwrap_or_default();
    let on_page = saved.iter().any(|r| r.name == "smtp.host");
    let effective = mail::effective_smtp(state).await;
    let source = match (&effective, on_page) {
        (None, _) => t.get("auth.admin.sourceNone"),
        (Some(_), true) => t.get("auth.admin.sourcePage"),
        (Some(_), false) => t.get("auth.admin.sourceConfig"),
    };
    let (from_name, from_address) = effective
        .as_ref()
        .map(|s| split_mailbox(&s.from))
        .unwrap_or_default();
    let page = SettingsPage {
        t,
        csrf: signed_in.csrf.clone(),
        banner,
        source,
        host: effective
            .as_ref()
            .map(|s| s.host.clone())
            .unwrap_or_default(),
        port: effective
            .as_ref()
            .map(|s| s.port.to_string())
            .unwrap_or_default(),
        security: effective
            .as_ref()
            .map_or("starttls", |s| s.security.as_str())
            .to_string(),
        username: effective
            .as_ref()
            .and_then(|s| s.username.clone())
            .unwrap_or_default(),
        from_name,
        from_address,
    };
    render(&page, status, vec![])
}

pub async fn page(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    match admin(&state, &headers).await {
        Ok(signed_in) => render_page(&state, &headers, &signed_in, None, StatusCode::OK).await,
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    port: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    from_name: String,
    #[serde(default)]
    from_address: String,
}

fn parse_form(form: &SettingsForm) -> Option<SmtpSettings> {
    let host = form.host.trim();
    let address = form.from_address.trim();
    if host.is_empty() || host.contains(char::is_whitespace) || !address.contains('@') {
        return None;
    }
    let security = SmtpSecurity::parse(&form.security)?;
    let port = match form.port.trim() {
        "" => security.default_port(),
        p => p.parse().ok().filter(|p| *p > 0)?,
    };
    let name = form
        .from_name
        .trim()
        .replace(['"', '<', '>', '\r', '\n'], "");
    let from = if name.is_empty() {
        address.to_string()
    } else {
        format!("{name} <{address}>")
    };
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return None;
    }
    Some(SmtpSettings {
        host: host.to_string(),
        port,
        security,
        username: Some(form.username.trim().to_string()).filter(|u| !u.is_empty()),
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        from,
    })
}

pub async fn submit(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SettingsForm>,
) -> Response {
    let signed_in = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    if !session::same_origin(&state, &headers)
        || !session::tokens_match(&form.csrf, &signed_in.csrf)
    {
        return forbidden_form(&headers);
    }
    let t = texts(&headers);
    let actor = Actor::Remote {
        ip: format!(
            "{} (admin {})",
            session::client_ip(&state, &peer, &headers),
            signed_in.user.username
        ),
    };
    match form.action.as_str() {
        "clear" => {
            let saved = state
                .with_store(move |s| mail::save_smtp(s, None, false, &actor))
                .await;
            let banner = if saved.is_ok() {
                Banner::success(t.get("auth.admin.saved"))
            } else {
                Banner::error(t.get("common.error"))
            };
            render_page(&state, &headers, &signed_in, banner, StatusCode::OK).await
        }
        "save" => {
            let Some(settings) = parse_form(&form) else {
                return render_page(
                    &state,
                    &headers,
                    &signed_in,
                    Banner::error(t.get("auth.admin.invalid")),
                    StatusCode::BAD_REQUEST,
                )
                .await;
            };
            let keep_password = settings.password.is_none();
            let saved = state
                .with_store(move |s| mail::save_smtp(s, Some(&settings), keep_password, &actor))
                .await;
            state.mailer.outbox_changed();
            let banner = if saved.is_ok() {
                Banner::success(t.get("auth.admin.saved"))
            } else {
                Banner::error(t.get("common.error"))
            };
            render_page(&state, &headers, &signed_in, banner, StatusCode::OK).await
        }
        "test" => {
            let Some(settings) = mail::effective_smtp(&state).await else {
                return render_page(
                    &state,
                    &headers,
                    &signed_in,
                    Banner::error(t.get("auth.admin.sourceNone")),
                    StatusCode::OK,
                )
                .await;
            };
            let to = signed_in.user.email.clone();
            let mail = mail::compose::test_mail(t.lang, &to, state.clock.now());
            let banner = match mail::send(&settings, &mail).await {
                Ok(()) => Banner::success(format!("{} {to}", t.get("auth.admin.testSent"))),
                Err(e) => Banner::error(format!("{} {e}", t.get("auth.admin.testFailed"))),
            };
            render_page(&state, &headers, &signed_in, banner, StatusCode::OK).await
        }
        _ => render_page(&state, &headers, &signed_in, None, StatusCode::BAD_REQUEST).await,
    }
}
