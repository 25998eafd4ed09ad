//! `POST /sync/hostKey` (protocol §2.1): username or email and password in, a freshly
//! minted host key out; 403 for any failure, after the same amount of hashing work, and
//! under the same login limits as web sign-in (SECURITY.md T18).

use std::net::IpAddr;

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::accounts;
use crate::login_gate::{self, LoginCheck, LoginPath};
use crate::state::SyncState;

use super::error::{OrStatus, SyncError};
use super::transport::{json_response, SyncRequest, SMALL_BODY};

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
    state: &SyncState,
    address: IpAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, SyncError> {
    let request = SyncRequest::read(headers, body, SMALL_BODY).await?;
    let HostKeyRequest { username, password } = request.json()?;
    let user = match login_gate::check(state, LoginPath::Anki, address, &username, password).await {
        LoginCheck::Verified(user) => user,
        // Anki hears nothing about a disabled account (LoginCheck::Disabled is the web's).
        LoginCheck::Refused | LoginCheck::Disabled => {
            return Err(SyncError::forbidden("bad username or password"))
        }
        // The client only knows 403 for a login it should not retry at once; the header
        // says when a retry is worth it.
        LoginCheck::Limited { retry_after } => {
            return Err(SyncError::forbidden("over the login limit")
                .with_retry_after(accounts::retry_after_secs(retry_after)))
        }
        LoginCheck::Busy => {
            return Err(SyncError::unavailable("password hashing queue full").with_retry_after(1))
        }
        LoginCheck::Failed => return Err(SyncError::internal("password verification failed")),
    };

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
    tracing::info!(user = %user.username, user_id = user.id, %address, "anki login");
    json_response(&HostKeyResponse {
        key: minted.key.expose(),
    })
}
