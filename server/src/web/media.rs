//! `GET /media/{name}`: a file of the signed-in user's media folder, for the cards the
//! study screen shows; nobody else's, and nothing outside the folder. Served under
//! `Content-Security-Policy: sandbox`, so a file opened on its own (an SVG or HTML file
//! from a shared deck) runs no script in this site's origin.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::collection::file::media_folder;
use crate::state::WebState;

use super::errors::{error_page, Reason};
use super::pages::texts;
use super::session;

/// A media file name as Anki stores them: one path component, no control characters.
fn acceptable(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

fn content_type(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "bmp" => "image/bmp",
        "ico" => "image/x-icon",
        "mp3" => "audio/mpeg",
        "ogg" | "oga" => "audio/ogg",
        "opus" => "audio/opus",
        "wav" => "audio/wav",
        "m4a" => "audio/mp4",
        "flac" => "audio/flac",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "css" => "text/css; charset=utf-8",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        _ => "application/octet-stream",
    }
}

pub async fn serve(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let not_found = || error_page(texts(&headers), StatusCode::NOT_FOUND, Reason::Status);
    // Signed out, or another user's: the same 404, so names cannot be probed.
    let Some(signed_in) = session::current(&state, &headers).await else {
        return not_found();
    };
    if !acceptable(&name) {
        return not_found();
    }
    let path = media_folder(&state.config.data_dir, signed_in.user.id).join(&name);
    let file = match tokio::fs::File::open(&path).await {
        Ok(file) => file,
        Err(_) => return not_found(),
    };
    match file.metadata().await {
        Ok(meta) if meta.is_file() => {}
        _ => return not_found(),
    }
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::new(file)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&name)),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_single_file_name_is_accepted() {
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "../collection.anki2",
            "a\\b",
            "a\u{0}b",
            "a\nb",
        ] {
            assert!(!super::acceptable(bad), "{bad:?}");
        }
        for good in ["cat.jpg", "Übung 1.mp3", "a#b?.png", ".hidden.png"] {
            assert!(super::acceptable(good), "{good:?}");
        }
    }
}
