//! The one error type at the sync edge. It carries the status code the Anki client
//! understands (protocol §1.6); the body is only the number, the reason goes to the log:
//! 5xx at error level, 4xx at info. Reasons never contain a key or a password.

use std::borrow::Cow;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct SyncError {
    pub status: StatusCode,
    pub reason: Cow<'static, str>,
    /// Seconds for a `Retry-After` header (a limited login, a shed request).
    pub retry_after: Option<u64>,
}

impl SyncError {
    fn new(status: StatusCode, reason: impl Into<Cow<'static, str>>) -> Self {
        SyncError {
            status,
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// Adds `Retry-After: secs` to the answer.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// 400: the client shows "please check the database" and aborts the sync.
    pub fn bad_request(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }

    /// 403: the client forgets its host key and asks the user to log in again.
    pub fn forbidden(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, reason)
    }

    /// 409: a stateful sync call without the matching `start` (protocol §3.10).
    pub fn conflict(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, reason)
    }

    /// 501: the client reports that it is too old.
    pub fn client_too_old(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, reason)
    }

    pub fn internal(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, reason)
    }

    /// 503: the client says the server has a problem and to try again later.
    pub fn unavailable(reason: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, reason)
    }
}

impl IntoResponse for SyncError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = self.status.as_u16(), reason = %self.reason, "sync request failed");
        } else {
            tracing::info!(status = self.status.as_u16(), reason = %self.reason, "sync request refused");
        }
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "text/plain")],
            self.status.as_u16().to_string(),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// Lets each fallible line say which status its failure maps to.
pub trait OrStatus<T> {
    fn or_bad_request(self, reason: &'static str) -> Result<T, SyncError>;
    fn or_forbidden(self, reason: &'static str) -> Result<T, SyncError>;
    fn or_internal(self, reason: &'static str) -> Result<T, SyncError>;
}

impl<T, E: std::fmt::Display> OrStatus<T> for Result<T, E> {
    fn or_bad_request(self, reason: &'static str) -> Result<T, SyncError> {
        self.map_err(|e| SyncError::bad_request(format!("{reason}: {e}")))
    }
    fn or_forbidden(self, reason: &'static str) -> Result<T, SyncError> {
        self.map_err(|e| SyncError::forbidden(format!("{reason}: {e}")))
    }
    fn or_internal(self, reason: &'static str) -> Result<T, SyncError> {
        self.map_err(|e| SyncError::internal(format!("{reason}: {e}")))
    }
}

impl<T> OrStatus<T> for Option<T> {
    fn or_bad_request(self, reason: &'static str) -> Result<T, SyncError> {
        self.ok_or_else(|| SyncError::bad_request(reason))
    }
    fn or_forbidden(self, reason: &'static str) -> Result<T, SyncError> {
        self.ok_or_else(|| SyncError::forbidden(reason))
    }
    fn or_internal(self, reason: &'static str) -> Result<T, SyncError> {
        self.ok_or_else(|| SyncError::internal(reason))
    }
}
