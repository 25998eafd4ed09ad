//! Finding the user behind a host key.

use crate::accounts;
use crate::clock;
use crate::state::SyncState;
use crate::store::SyncKeyOwner;

use super::error::{OrStatus, SyncError};

/// Authenticates against the database, bypassing the cache, and refreshes the cache with
/// the answer. `meta` (the first call of every sync) uses this, so a lost `RefreshUser`
/// can never keep a revoked key alive past the next sync (SECURITY.md T15).
pub async fn authenticate_fresh(
    state: &SyncState,
    host_key: &str,
) -> Result<SyncKeyOwner, SyncError> {
    if host_key.is_empty() {
        return Err(SyncError::forbidden("missing host key"));
    }
    let digest = accounts::digest(host_key);
    let lookup = digest.clone();
    let owner = state
        .with_store(move |s| s.use_sync_key(&lookup, clock::now()))
        .await
        .or_internal("host key lookup failed")?;
    match owner {
        Some(owner) => {
            state.host_keys.insert(owner.clone());
            Ok(owner)
        }
        None => {
            state.host_keys.remove(&digest);
            Err(SyncError::forbidden("unknown or revoked host key"))
        }
    }
}

/// Authenticates from the in-memory map, falling back to the database on a miss (a key
/// minted by another instance, or evicted and still valid).
pub async fn authenticate(state: &SyncState, host_key: &str) -> Result<SyncKeyOwner, SyncError> {
    match state.host_keys.get(&accounts::digest(host_key)) {
        Some(owner) => Ok(owner),
        None => authenticate_fresh(state, host_key).await,
    }
}
