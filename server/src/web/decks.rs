//! `GET /api/decks`: the signed-in user's deck list with the new / learning / review
//! counts Anki's deck list shows, in its order (the empty Default deck left out as Anki
//! leaves it out). A collection never synced gives `{"decks": []}`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::collection;
use crate::state::AppState;

use super::pages::json_error;
use super::session;

pub async fn api(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let Some(signed_in) = session::current(&state, &headers).await else {
        return json_error(StatusCode::UNAUTHORIZED, "Sign in first.");
    };
    let user_id = signed_in.user.id;
    // Under the user's lock, so the list never mixes a collection with its replacement.
    let _serialised = state.user_locks.lock(user_id).await;
    let data_dir = state.config.data_dir.clone();
    let now = state.clock.now();
    let listed =
        tokio::task::spawn_blocking(move || collection::user_deck_list(&data_dir, user_id, now))
            .await;
    match listed {
        Ok(Ok(decks)) => Json(serde_json::json!({ "decks": decks })).into_response(),
        Ok(Err(e)) => {
            tracing::error!(user_id, error = %e, "cannot read the deck list");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Your collection could not be read. Sync it again from Anki, or ask the server's operator.",
            )
        }
        Err(e) => {
            tracing::error!(user_id, error = %e, "deck list task failed");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong. Please try again.",
            )
        }
    }
}
