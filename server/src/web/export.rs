//! `GET /account/export` and `GET /account/backups/{id}/download`: the signed-in user's
//! collection (or one of its snapshots) and media as a `.colpkg` file their own Anki
//! opens ([`crate::collection::export`]). The package is built under the user's lock, so
//! a sync waits for it and never lands half in it; it is streamed from a scratch file that
//! is gone as soon as the answer starts.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::collection::export::{write_package, ExportError, Source};
use crate::state::WebState;

use super::devices::when;
use super::errors::{error_page_framed, Reason};
use super::frame::{Frame, Section};
use super::pages::texts;
use super::session::{self, SignedIn};

pub async fn download(State(state): State<WebState>, uri: Uri, headers: HeaderMap) -> Response {
    let signed_in = match session::require(&state, &headers, &uri).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let day = when(state.clock.now());
    let name = format!("collection-{}.colpkg", &day[..10]);
    send_package(&state, &headers, &signed_in, Source::Current, &name).await
}

/// The package of `source` as a download named `file_name`, or the error page that says
/// why there is none.
pub async fn send_package(
    state: &WebState,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    source: Source<'_>,
    file_name: &str,
) -> Response {
    let user_id = signed_in.user.id;
    let refused = |status, key| {
        let frame = Frame::signed_in(signed_in, Section::Account);
        error_page_framed(texts(headers), frame, status, Reason::Message(key))
    };
    let missing = match source {
        Source::Current => "study.noCollection",
        Source::Snapshot(_) => "backups.noSuchSnapshot",
    };
    let data_dir = state.config.data_dir.clone();
    let owned_id = match source {
        Source::Current => None,
        Source::Snapshot(id) => Some(id.to_string()),
    };
    let lock = state.user_locks.lock(user_id).await;
    let written = tokio::task::spawn_blocking(move || {
        let source = owned_id
            .as_deref()
            .map_or(Source::Current, Source::Snapshot);
        // Opened before the package is dropped (which removes the scratch file), so the
        // answer streams from the open file.
        let package = write_package(&data_dir, user_id, source)?;
        package
            .map(|p| std::fs::File::open(&p.path).map(|file| (file, p.bytes, p.media_files)))
            .transpose()
            .map_err(|source| ExportError::Io {
                path: data_dir.clone(),
                source,
            })
    })
    .await;
    drop(lock);
    let (file, bytes, media_files) = match written {
        Ok(Ok(Some(opened))) => opened,
        Ok(Ok(None)) => return refused(StatusCode::NOT_FOUND, missing),
        Ok(Err(e)) => {
            tracing::error!(user_id, error = %e, "export failed");
            return refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "auth.account.exportFailed",
            );
        }
        Err(e) => {
            tracing::error!(user_id, error = %e, "export task failed");
            return refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "auth.account.exportFailed",
            );
        }
    };
    tracing::info!(user_id, bytes, media_files, "collection exported");
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
