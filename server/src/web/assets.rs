//! The pages' own CSS, script and icons, compiled into the binary: nothing from other hosts.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/app.js"),
    ),
    (
        "study.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/study.js"),
    ),
    (
        "card.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/card.css"),
    ),
    (
        "icons/mail.svg",
        "image/svg+xml",
        include_str!("../../assets/icons/mail.svg"),
    ),
    (
        "icons/key.svg",
        "image/svg+xml",
        include_str!("../../assets/icons/key.svg"),
    ),
    (
        "icons/user.svg",
        "image/svg+xml",
        include_str!("../../assets/icons/user.svg"),
    ),
    (
        "icons/moon.svg",
        "image/svg+xml",
        include_str!("../../assets/icons/moon.svg"),
    ),
    (
        "icons/sun.svg",
        "image/svg+xml",
        include_str!("../../assets/icons/sun.svg"),
    ),
];

pub async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
