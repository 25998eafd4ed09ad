//! The web UI (DESIGN §7): server-rendered pages that work without JavaScript, the
//! password-reset JSON API, and the admin's mail settings. Security headers on every
//! response; small bodies only; CSRF and origin checks on every form post.

mod account;
mod admin;
mod api_json;
mod assets;
mod backups;
mod decks;
mod devices;
mod errors;
mod export;
mod flash;
mod frame;
pub mod i18n;
mod limits;
mod login;
mod media;
mod pages;
mod password_text;
mod reset;
mod return_to;
pub mod session;
mod study;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef, Request};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub use limits::RateLimits;

/// Forms and JSON here are tiny; a password is at most 512 bytes (SECURITY.md T10).
pub(crate) const WEB_BODY_LIMIT: usize = 16 * 1024;

/// The pages and the JSON API. Each group has the layer that gives its error answers its
/// shape (a styled page, or `{"error"}`); the fallback answers every unmatched path.
pub fn router(state: &Arc<crate::state::AppState>) -> Router<Arc<crate::state::AppState>> {
    let web = crate::state::WebState::from_ref(state);
    let pages = Router::new()
        .route("/", get(login::home))
        .route("/login", get(login::page).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/revoke", post(account::revoke))
        .route("/account/sign-out-others", post(account::sign_out_others))
        .route("/account/export", get(export::download))
        .route("/account/backups", get(backups::page))
        .route("/account/backups/{id}/download", get(backups::download))
        .route(
            "/account/backups/{id}/restore",
            get(backups::confirm).post(backups::restore),
        )
        .route("/decks", get(decks::page))
        .route("/password-reset", get(reset::page).post(reset::submit))
        .route("/reset-password", get(reset::page).post(reset::submit))
        .route("/admin/settings", get(admin::page).post(admin::submit))
        .route("/study/{deck_id}", get(study::page::page))
        .route("/study/{deck_id}/answer", post(study::page::answer))
        .route("/study/{deck_id}/undo", post(study::page::undo))
        .route("/media/{name}", get(media::serve))
        .route("/static/{*path}", get(assets::serve))
        .layer(middleware::from_fn_with_state(web, errors::html_errors));
    let api = Router::new()
        .route("/api/login", post(login::api))
        .route("/api/decks", get(decks::api))
        .route("/api/study/next", post(study::api::next))
        .route("/api/study/reveal", post(study::api::reveal))
        .route("/api/study/answer", post(study::api::answer))
        .route("/api/study/undo", post(study::api::undo))
        .route("/password-reset/request", post(reset::api_request))
        .route("/password-reset/verify", get(reset::api_verify))
        .route("/password-reset/reset", post(reset::api_reset))
        .layer(middleware::from_fn(errors::json_errors));
    pages
        .merge(api)
        .fallback(errors::not_found)
        .layer(DefaultBodyLimit::max(WEB_BODY_LIMIT))
        .layer(middleware::from_fn(security_headers))
}

/// SECURITY (T3, T16): no framing, no sniffing, no referrer (a reset link must not leak
/// through one), no caching of pages, a CSP that allows only our own files, no powerful
/// browser features, and no window of another origin sharing ours. Error pages included:
/// this layer wraps the fallback and the error layers too.
async fn security_headers(request: Request, next: Next) -> Response {
    let is_asset = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // A page with a policy of its own (the study screen, media files) keeps it.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            ),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()",
        ),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
