//! `/admin/settings` (admins only): the SMTP settings, saved in the database so they take
//! effect without a restart, and a test mail to the admin's own address, sent with the
//! values in the form whether saved or not. A refused form keeps what the admin typed and
//! marks the fields it refuses.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use lettre::message::Mailbox;
use serde::Deserialize;

use crate::accounts::Actor;
use crate::config::{SmtpSecurity, SmtpSettings};
use crate::mail;
use crate::state::WebState;

use super::errors::{error_page_framed, Reason};
use super::flash::{self, Notice};
use super::frame::{Frame, Section};
use super::i18n::Texts;
use super::pages::{forbidden_form, render, texts, Banner, FieldErrors};
use super::session::{self, SignedIn};

const PAGE: &str = "/admin/settings";

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage {
    t: Texts,
    frame: Frame,
    csrf: String,
    banner: Option<Banner>,
    errors: FieldErrors,
    source: &'static str,
    values: FormValues,
}

/// What the form's fields show: the settings in effect, or what the admin sent.
#[derive(Default)]
struct FormValues {
    host: String,
    port: String,
    security: String,
    username: String,
    from_name: String,
    from_address: String,
}

impl FormValues {
    fn of(settings: Option<&SmtpSettings>) -> FormValues {
        let Some(s) = settings else {
            return FormValues {
                security: "starttls".into(),
                ..FormValues::default()
            };
        };
        let (from_name, from_address) = match s.from.parse::<Mailbox>() {
            Ok(mailbox) => (mailbox.name.unwrap_or_default(), mailbox.email.to_string()),
            Err(_) => (String::new(), s.from.clone()),
        };
        FormValues {
            host: s.host.clone(),
            port: s.port.to_string(),
            security: s.security.as_str().to_string(),
            username: s.username.clone().unwrap_or_default(),
            from_name,
            from_address,
        }
    }

    fn sent(form: &SettingsForm) -> FormValues {
        FormValues {
            host: form.host.clone(),
            port: form.port.clone(),
            security: form.security.clone(),
            username: form.username.clone(),
            from_name: form.from_name.clone(),
            from_address: form.from_address.clone(),
        }
    }
}

async fn admin(state: &WebState, headers: &HeaderMap) -> Result<SignedIn, Response> {
    let signed_in = session::require(state, headers, &Uri::from_static(PAGE)).await?;
    if signed_in.user.is_admin {
        return Ok(signed_in);
    }
    let frame = Frame::signed_in(&signed_in, Section::None);
    Err(error_page_framed(
        texts(headers),
        frame,
        StatusCode::FORBIDDEN,
        Reason::AdminsOnly,
    ))
}

/// The page, showing `values` (the settings in effect when `None`).
async fn render_page(
    state: &WebState,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    (banner, errors): (Option<Banner>, FieldErrors),
    values: Option<FormValues>,
    status: StatusCode,
) -> Response {
    let t = texts(headers);
    let saved = state.with_store(|s| s.settings()).await.unwrap_or_default();
    let on_page = saved.iter().any(|r| r.name == "smtp.host");
    let effective = mail::effective_smtp(state, &state.mail).await;
    let source = match (&effective, on_page) {
        (None, _) => t.get("auth.admin.sourceNone"),
        (Some(_), true) => t.get("auth.admin.sourcePage"),
        (Some(_), false) => t.get("auth.admin.sourceConfig"),
    };
    let (notice, cookies) = flash::take(state, headers);
    let page = SettingsPage {
        t,
        frame: Frame::signed_in(signed_in, Section::Admin),
        csrf: signed_in.csrf.clone(),
        banner: banner.or_else(|| notice.and_then(|n| n.banner(t))),
        errors,
        source,
        values: values.unwrap_or_else(|| FormValues::of(effective.as_ref())),
    };
    render(&page, status, cookies)
}

pub async fn page(State(state): State<WebState>, headers: HeaderMap) -> Response {
    match admin(&state, &headers).await {
        Ok(signed_in) => {
            let none = (None, FieldErrors::default());
            render_page(&state, &headers, &signed_in, none, None, StatusCode::OK).await
        }
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

/// The settings the form describes, or the message of every field it gets wrong. The
/// sender name is kept as typed: it is a header value, and lettre's `Mailbox` quotes or
/// encodes it as such.
fn parse_form(t: Texts, form: &SettingsForm) -> Result<SmtpSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    let host = form.host.trim();
    if host.is_empty() || host.contains(char::is_whitespace) {
        errors.add("host", t.get("auth.admin.hostInvalid"));
    }
    let security = SmtpSecurity::parse(&form.security);
    if security.is_none() {
        errors.add("security", t.get("auth.admin.securityInvalid"));
    }
    let port = match form.port.trim() {
        "" => security.map(|s| s.default_port()),
        p => p.parse::<u16>().ok().filter(|p| *p > 0),
    };
    if port.is_none() && security.is_some() {
        errors.add("port", t.get("auth.admin.portInvalid"));
    }
    let address = form.from_address.trim().parse::<lettre::Address>().ok();
    if address.is_none() {
        errors.add("from_address", t.get("auth.admin.addressInvalid"));
    }
    let name = form.from_name.trim();
    if name.chars().any(char::is_control) {
        errors.add("from_name", t.get("auth.admin.nameInvalid"));
    }
    let (Some(security), Some(port), Some(address), true) =
        (security, port, address, errors.is_empty())
    else {
        return Err(errors);
    };
    let mailbox = Mailbox::new(Some(name.to_string()).filter(|n| !n.is_empty()), address);
    Ok(SmtpSettings {
        host: host.to_string(),
        port,
        security,
        username: Some(form.username.trim().to_string()).filter(|u| !u.is_empty()),
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        from: mailbox.to_string(),
    })
}

pub async fn submit(
    State(state): State<WebState>,
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
    let refused = |errors: FieldErrors| {
        let banner = Banner::error(t.get("auth.admin.invalid"));
        let values = Some(FormValues::sent(&form));
        let status = StatusCode::BAD_REQUEST;
        render_page(
            &state,
            &headers,
            &signed_in,
            (banner, errors),
            values,
            status,
        )
    };
    match form.action.as_str() {
        "clear" => {
            let saved = state
                .with_store(move |s| mail::save_smtp(s, None, false, &actor))
                .await;
            state.mail.mailer.outbox_changed();
            match saved {
                Ok(()) => flash::redirect(&state, PAGE, Notice::SettingsCleared, None),
                Err(_) => failed(&state, &headers, &signed_in, FormValues::sent(&form)).await,
            }
        }
        "save" => {
            let settings = match parse_form(t, &form) {
                Ok(settings) => settings,
                Err(errors) => return refused(errors).await,
            };
            let keep_password = settings.password.is_none();
            // SECURITY: an empty password keeps the saved one only for the server and
            // username it was saved for; a new host must not receive it.
            if keep_password {
                let moved = mail::effective_smtp(&state, &state.mail)
                    .await
                    .filter(|saved| saved.password.is_some())
                    .is_some_and(|saved| {
                        saved.host != settings.host || saved.username != settings.username
                    });
                if moved {
                    let mut errors = FieldErrors::default();
                    errors.add("password", t.get("auth.admin.passwordAgain"));
                    return refused(errors).await;
                }
            }
            let saved = state
                .with_store(move |s| mail::save_smtp(s, Some(&settings), keep_password, &actor))
                .await;
            state.mail.mailer.outbox_changed();
            match saved {
                Ok(()) => flash::redirect(&state, PAGE, Notice::SettingsSaved, None),
                Err(_) => failed(&state, &headers, &signed_in, FormValues::sent(&form)).await,
            }
        }
        "test" => {
            let mut settings = match parse_form(t, &form) {
                Ok(settings) => settings,
                Err(errors) => return refused(errors).await,
            };
            // An empty password field means "the saved one", as it does for Save. SECURITY:
            // only for the same server and username, so the test cannot carry the stored
            // password (which the page never shows) to a host typed into the form.
            if settings.password.is_none() {
                settings.password = mail::effective_smtp(&state, &state.mail)
                    .await
                    .filter(|s| s.host == settings.host && s.username == settings.username)
                    .and_then(|s| s.password);
            }
            let to = signed_in.user.email.clone();
            let mail = mail::compose::test_mail(t.lang, &to, state.clock.now());
            // Not a change: the page answers directly and keeps the form as it was sent.
            let banner = match mail::send(&settings, &mail).await {
                Ok(()) => Banner::success(format!("{} {to}", t.get("auth.admin.testSent"))),
                Err(e) => Banner::error(format!("{} {e}", t.get("auth.admin.testFailed"))),
            };
            let values = Some(FormValues::sent(&form));
            let none = FieldErrors::default();
            render_page(
                &state,
                &headers,
                &signed_in,
                (banner, none),
                values,
                StatusCode::OK,
            )
            .await
        }
        _ => {
            let none = (None, FieldErrors::default());
            render_page(
                &state,
                &headers,
                &signed_in,
                none,
                None,
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// The page after the store failed, with the admin's input kept.
async fn failed(
    state: &WebState,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    values: FormValues,
) -> Response {
    let banner = Banner::error(texts(headers).get("common.error"));
    let none = FieldErrors::default();
    let status = StatusCode::SERVICE_UNAVAILABLE;
    render_page(
        state,
        headers,
        signed_in,
        (banner, none),
        Some(values),
        status,
    )
    .await
}
