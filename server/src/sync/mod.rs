//! The Anki sync endpoints (`/sync/*`), as `anki-sync-protocol.md` describes them.
//!
//! One file per protocol step; [`transport`] owns the wire format and [`error`] the
//! status codes.

mod auth;
mod compressed_stream;
mod download;
mod error;
mod host_key_cache;
pub mod leftovers;
mod login;
pub mod media;
mod meta;
pub mod normal;
mod transport;
mod upload;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::state::SyncState;

pub use error::{OrStatus, SyncError};
pub use host_key_cache::HostKeyCache;
pub use transport::{decompress_one_frame, SyncHeader, ORIGINAL_SIZE_HEADER, SYNC_HEADER};
pub use upload::{UPLOAD_CORRUPT, UPLOAD_OK, UPLOAD_TOO_LARGE};

/// `POST /sync/{method}`: dispatches on the method name.
pub async fn collection_method(
    State(state): State<SyncState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = match method.as_str() {
        "hostKey" => {
            let address =
                crate::http::client_address(&state.config.trusted_proxies, &peer, &headers);
            login::host_key(&state, address, &headers, body).await
        }
        "meta" => meta::meta(&state, &headers, body).await,
        "upload" => upload::upload(&state, &headers, body).await,
        "download" => download::download(&state, &headers, body).await,
        "start" | "applyGraves" | "applyChanges" | "chunk" | "applyChunk" | "sanityCheck2"
        | "finish" | "abort" => normal::handle(&state, &method, &headers, body).await,
        _ => Err(SyncError::bad_request(format!(
            "Invalid URL: unknown sync method {method:?}"
        ))),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}
