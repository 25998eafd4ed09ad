//! What every page shares: the texts, the message banner, and turning a template into a
//! response.

use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use super::errors::{error_page, Reason};
use super::i18n::{Lang, Texts};

/// The message at the top of a form; it stays until the next action.
pub struct Banner {
    pub kind: &'static str,
    pub text: String,
}

impl Banner {
    pub fn error(text: impl Into<String>) -> Option<Banner> {
        Some(Banner {
            kind: "error",
            text: text.into(),
        })
    }
    pub fn success(text: impl Into<String>) -> Option<Banner> {
        Some(Banner {
            kind: "success",
            text: text.into(),
        })
    }
    pub fn info(text: impl Into<String>) -> Option<Banner> {
        Some(Banner {
            kind: "info",
            text: text.into(),
        })
    }
}

/// The messages of the fields a refused form got wrong, for `aria-invalid` and the text
/// under each field (`aria-describedby`).
#[derive(Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn one(field: &'static str, message: impl Into<String>) -> FieldErrors {
        FieldErrors(vec![(field, message.into())])
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The message of `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub fn texts(headers: &HeaderMap) -> Texts {
    Texts {
        lang: Lang::negotiate(headers),
    }
}

/// Renders a page with a status and any cookies to set.
pub fn render(template: &impl Template, status: StatusCode, cookies: Vec<HeaderValue>) -> Response {
    match template.render() {
        Ok(html) => {
            let mut response = (status, Html(html)).into_response();
            for cookie in cookies {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The refusal of a form that failed the CSRF or origin check: a 403 page that says to
/// reload and try again.
pub fn forbidden_form(headers: &HeaderMap) -> Response {
    error_page(texts(headers), StatusCode::FORBIDDEN, Reason::FormExpired)
}

/// A JSON error answer for the API routes: `{"error": message}`.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// The API's answer to a request another origin made a browser send.
pub fn cross_origin_refused() -> Response {
    json_error(StatusCode::FORBIDDEN, "cross-origin request refused")
}
