//! The web's error answers: a styled, translated page with a way back for the page routes,
//! `{"error": "..."}` for the API routes. A handler that knows why it refuses renders
//! [`error_page`] with its own reason; the two layers here give every other error answer
//! (axum's empty 404 and 405, its plain-text 413 and 415 rejections, a bare status from a
//! handler) the same shape, keeping its status and headers (`Allow`, `Retry-After`).

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::api_json;
use super::frame::{Frame, Section};
use super::i18n::Texts;
use super::pages::{json_error, render, texts};
use super::session;
use crate::state::WebState;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: Texts,
    frame: Frame,
    code: String,
    title: &'static str,
    message: &'static str,
}

/// Why a page refuses; `Status` says only what the status code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Status,
    /// The CSRF token or the origin check failed (SECURITY.md T9).
    FormExpired,
    AdminsOnly,
    /// The status's own title, with the text of this key (a refusal a handler explains).
    Message(&'static str),
}

/// The styled error page for `status`, in the request's language, in the signed-out
/// frame (for a request whose session is not known; the layers here look it up).
pub fn error_page(t: Texts, status: StatusCode, reason: Reason) -> Response {
    error_page_framed(t, Frame::signed_out(), status, reason)
}

/// [`error_page`] in the frame of a signed-in user.
pub fn error_page_framed(t: Texts, frame: Frame, status: StatusCode, reason: Reason) -> Response {
    let (title, message) = page_text_keys(status, reason);
    let page = ErrorPage {
        t,
        frame,
        code: status.as_u16().to_string(),
        title: t.get(title),
        message: t.get(message),
    };
    render(&page, status, vec![])
}

/// The title and text keys of an error page.
fn page_text_keys(status: StatusCode, reason: Reason) -> (&'static str, &'static str) {
    match reason {
        Reason::FormExpired => ("common.formExpired.title", "common.formExpired.text"),
        Reason::AdminsOnly => ("auth.admin.adminsOnly.title", "auth.admin.adminsOnly.text"),
        Reason::Message(key) => (page_text_keys(status, Reason::Status).0, key),
        Reason::Status => match status {
            StatusCode::FORBIDDEN => ("common.forbidden.title", "common.forbidden.text"),
            StatusCode::NOT_FOUND => ("common.notFound.title", "common.notFound.text"),
            StatusCode::CONFLICT => ("common.conflict.title", "common.badRequest.text"),
            StatusCode::METHOD_NOT_ALLOWED => (
                "common.methodNotAllowed.title",
                "common.methodNotAllowed.text",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => ("common.tooLarge.title", "common.tooLarge.text"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "common.unsupportedType.title",
                "common.unsupportedType.text",
            ),
            StatusCode::TOO_MANY_REQUESTS => ("common.tooMany.title", "common.tooMany"),
            StatusCode::SERVICE_UNAVAILABLE => {
                ("common.unavailable.title", "common.unavailable.text")
            }
            s if s.is_server_error() => ("common.serverError.title", "common.error"),
            _ => ("common.badRequest.title", "common.badRequest.text"),
        },
    }
}

/// The API's sentence for an error answer to `method` that came without one. (axum adds
/// `Allow` to a 405 outside our layers, so the sentence names the method refused.)
fn api_message(status: StatusCode, method: &Method) -> String {
    match status {
        StatusCode::NOT_FOUND => "There is no such API endpoint.".into(),
        StatusCode::METHOD_NOT_ALLOWED => {
            format!("This endpoint does not accept the {method} method.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => api_json::too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "Send the body as JSON, with the header Content-Type: application/json.".into()
        }
        StatusCode::UNAUTHORIZED => "Sign in first.".into(),
        StatusCode::FORBIDDEN => "This request is not allowed.".into(),
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts. Please wait and try again.".into(),
        StatusCode::SERVICE_UNAVAILABLE => {
            "The server is busy. Please try again in a moment.".into()
        }
        s if s.is_server_error() => "Something went wrong on the server. Please try again.".into(),
        _ => "The request could not be understood.".into(),
    }
}

/// Layer of the page routes: an error answer that is not already a page becomes one, in
/// the frame of the user signed in (if any), so the header still shows their sections
/// and Sign out.
pub async fn html_errors(State(state): State<WebState>, request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let response = next.run(request).await;
    if !is_bare_error(&response, "text/html") {
        return response;
    }
    let (parts, _) = response.into_parts();
    let page = framed_error_page(&state, &headers, parts.status).await;
    keep_headers(&parts.headers, page)
}

/// The error page for `status` in the frame of the request's session.
async fn framed_error_page(state: &WebState, headers: &HeaderMap, status: StatusCode) -> Response {
    let frame = match session::current(state, headers).await {
        Some(signed_in) => Frame::signed_in(&signed_in, Section::None),
        None => Frame::signed_out(),
    };
    error_page_framed(texts(headers), frame, status, Reason::Status)
}

/// Layer of the API routes: an error answer that is not already JSON becomes
/// `{"error": "..."}`.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    if !is_bare_error(&response, "application/json") {
        return response;
    }
    let (parts, _) = response.into_parts();
    let answer = json_error(parts.status, &api_message(parts.status, &method));
    keep_headers(&parts.headers, answer)
}

/// Every path no route matches. The sync protocol's paths keep the bare 404 the Anki
/// client has always had; `/api/` paths answer JSON; every other path the styled page.
pub async fn not_found(State(state): State<WebState>, request: Request) -> Response {
    let path = request.uri().path();
    if crate::http::is_sync_path(path) {
        return StatusCode::NOT_FOUND.into_response();
    }
    if path == "/api" || path.starts_with("/api/") {
        return json_error(
            StatusCode::NOT_FOUND,
            &api_message(StatusCode::NOT_FOUND, request.method()),
        );
    }
    framed_error_page(&state, request.headers(), StatusCode::NOT_FOUND).await
}

/// A 4xx or 5xx whose body is not of the `wanted` type (axum's own answers are empty or
/// `text/plain`).
fn is_bare_error(response: &Response, wanted: &str) -> bool {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    !response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(wanted))
}

/// `replacement` with the headers of the answer it replaces, except the body's own.
fn keep_headers(original: &HeaderMap, mut replacement: Response) -> Response {
    for (name, value) in original {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement.headers_mut().append(name, value.clone());
        }
    }
    replacement
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_reason_has_texts_in_both_languages() {
        let statuses = [400, 401, 403, 404, 405, 413, 415, 422, 429, 500, 502, 503];
        let reasons = [Reason::Status, Reason::FormExpired, Reason::AdminsOnly];
        for code in statuses {
            let status = StatusCode::from_u16(code).expect("status");
            for reason in reasons {
                let (title, text) = page_text_keys(status, reason);
                for lang in [super::super::i18n::Lang::En, super::super::i18n::Lang::De] {
                    let t = Texts { lang };
                    assert_ne!(t.get(title), "??", "{title}");
                    assert_ne!(t.get(text), "??", "{text}");
                }
            }
        }
    }
}
