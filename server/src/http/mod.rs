//! The HTTP surface: routes, and the layers every request passes through.

pub mod tls;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use std::net::{IpAddr, SocketAddr};

use axum::http::{header, HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::state::AppState;
use crate::sync;

pub fn router(state: Arc<AppState>) -> Router {
    // HSTS only where the address is HTTPS (a reverse proxy's or ours), and not at all
    // with hsts_max_age_secs = 0.
    let https = state.config.public_url.starts_with("https://");
    let hsts = (https && state.config.hsts_max_age_secs > 0)
        .then(|| HeaderValue::from_str(&format!("max-age={}", state.config.hsts_max_age_secs)).ok())
        .flatten();
    Router::new()
        .route("/health", get(health))
        .route("/sync/{method}", post(sync::collection_method))
        .route("/msync/{method}", post(sync::media::media_method))
        .merge(crate::web::router(&state))
        .with_state(state)
        .layer(middleware::from_fn_with_state(
            hsts,
            strict_transport_security,
        ))
        .layer(
            TraceLayer::new_for_http()
                // One span per request with the method and the path only: query strings
                // and headers (host keys, reset tokens) never reach the log.
                .make_span_with(|request: &Request<Body>| {
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                    )
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

/// The paths of the Anki sync protocol. Unmatched ones keep the bare 404 the client has
/// always had (the web's fallback asks here), never a web page.
pub fn is_sync_path(path: &str) -> bool {
    ["/sync", "/msync"].iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// SECURITY: with an `https://` public URL, browsers are told to use nothing else for a
/// year. No `includeSubDomains`: a self-hoster's other subdomains may well be plain HTTP.
/// Sent on every answer, sync and health included; over plain HTTP browsers ignore it.
async fn strict_transport_security(
    State(hsts): State<Option<HeaderValue>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if let Some(value) = hsts {
        response
            .headers_mut()
            .insert(header::STRICT_TRANSPORT_SECURITY, value);
    }
    response
}

/// `GET /health`: 200 with an empty body while the server can serve (the official
/// server's contract, used by container health checks); 503 while the account database
/// does not answer.
async fn health(State(state): State<Arc<AppState>>) -> StatusCode {
    match state.with_store(|s| s.ping()).await {
        Ok(()) => StatusCode::OK,
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// The client's address for login limits, rate limits and the audit log: the peer, or,
/// when the peer is a configured trusted proxy, the nearest `X-Forwarded-For` entry that
/// is not one.
pub fn client_address(
    trusted_proxies: &[IpAddr],
    peer: &SocketAddr,
    headers: &HeaderMap,
) -> IpAddr {
    if !trusted_proxies.contains(&peer.ip()) {
        return peer.ip();
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| ip.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted_proxies.contains(ip))
        .unwrap_or(peer.ip())
}
