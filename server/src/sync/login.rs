//! `POST /sync/hostKey` (protocol §2.1): username or email and password in, a freshly
//! minted host key out; 403 for any failure, after the same amount of hashing work.

use std::sync::Arc;

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::accounts;
use crate::state::AppState;

use super::error::{OrStatus, SyncError};
use super::transport::{json_response, SyncRequest, SMALL_BODY};

/// Longest login name looked up (a username is at most 64 characters, an email 254).
const MAX_LOGIN_LEN: usize = 320;

#[derive(Deserialize)]
struct HostKeyRequest {
    #[serde(rename = "u")]
    username: String,
    #[serde(rename = "p")]
    password: SecretString,
}

#[derive(Serialize)]
struct HostKeyResponse<'a> {
    key: &'a str,
}

pub async fn host_key(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, SyncError> {
    let request = SyncRequest::read(headers, body, SMALL_BODY).await?;
    let HostKeyRequest { username, password } = request.json()?;
    use secrecy::ExposeSecret;
    if username.len() > MAX_LOGIN_LEN || accounts::exceeds_max_length(password.expose_secret()) {
        // Refused before any hashing (SECURITY.md T10); says nothing about the account.
        return Err(SyncError::forbidden(
            "login or password over the length limit",
        ));
    }

    let store = Arc::clone(&state.store);
    let login = username.clone();
    let user = state
        .hashing
        .run(move || accounts::verify_anki_login(&*store, &login, &password))
        .await
        .or_internal("password verification task failed")?
        .or_internal("user lookup failed")?
        .ok_or_else(|| SyncError::forbidden("bad username or password"))?;

    let client_version = request.header.client_version.clone();
    let max_keys = state.config.max_host_keys_per_user;
    let minted_user = user.clone();
    let minted = state
        .with_store(move |s| accounts::mint_host_key(s, &minted_user, &client_version, max_keys))
        .await
        .or_internal("cannot store host key")?;
    for digest in &minted.evicted_digests {
        state.host_keys.remove(digest);
    }
    state.host_keys.insert(minted.owner.clone());
    tracing::info!(user = %user.username, user_id = user.id, "anki login");
    json_response(&HostKeyResponse {
        key: minted.key.expose(),
    })
}
