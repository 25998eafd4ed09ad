//! `/decks` and `GET /api/decks`: the signed-in user's deck list with the new / learning /
//! review counts Anki's deck list shows, in its order (the empty Default deck left out as
//! Anki leaves it out). A collection never synced gives `{"decks": []}`, and on the page
//! the steps that bring it here.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::collection::{self, deck_tree::DeckListEntry};
use crate::state::WebState;

use super::errors::{error_page_framed, Reason};
use super::flash;
use super::frame::{Frame, Section};
use super::i18n::Texts;
use super::pages::{json_error, render, texts, Banner};
use super::session;

/// One row of the deck table.
pub struct DeckRow {
    pub id: i64,
    /// The last component of the name (the row's indent shows the rest).
    pub short_name: String,
    /// The parents' part of the name with its `::`, for screen readers ("" at the top).
    pub parent: String,
    /// 0 for a top-level deck.
    pub depth: u32,
    pub new: u32,
    pub learn: u32,
    pub review: u32,
}

impl DeckRow {
    fn of(entry: DeckListEntry) -> DeckRow {
        let (parent, short_name) = match entry.name.rsplit_once("::") {
            Some((parent, short)) => (format!("{parent}::"), short.to_string()),
            None => (String::new(), entry.name.clone()),
        };
        DeckRow {
            id: entry.id,
            short_name,
            parent,
            depth: entry.level.saturating_sub(1).min(8),
            new: entry.new,
            learn: entry.learn,
            review: entry.review,
        }
    }
}

#[derive(Template)]
#[template(path = "decks.html")]
struct DecksPage {
    t: Texts,
    frame: Frame,
    banner: Option<Banner>,
    decks: Vec<DeckRow>,
    /// The collection could not be read: no empty-state steps, the banner says why.
    unreadable: bool,
    /// The address to enter in Anki's preferences, for the empty state.
    sync_url: String,
}

/// Why the deck list could not be read.
#[derive(Debug, thiserror::Error)]
enum ListFailed {
    #[error("the collection could not be read")]
    Unreadable,
    #[error("the deck list task failed")]
    Task,
}

/// The user's deck list, read under the user's lock so it never mixes a collection with
/// its replacement. Failures are logged here.
async fn deck_list(state: &WebState, user_id: i64) -> Result<Vec<DeckListEntry>, ListFailed> {
    let _serialised = state.user_locks.lock(user_id).await;
    let data_dir = state.config.data_dir.clone();
    let now = state.clock.now();
    let listed =
        tokio::task::spawn_blocking(move || collection::user_deck_list(&data_dir, user_id, now))
            .await;
    match listed {
        Ok(Ok(decks)) => Ok(decks),
        Ok(Err(e)) => {
            tracing::error!(user_id, error = %e, "cannot read the deck list");
            Err(ListFailed::Unreadable)
        }
        Err(e) => {
            tracing::error!(user_id, error = %e, "deck list task failed");
            Err(ListFailed::Task)
        }
    }
}

/// `GET /decks`.
pub async fn page(State(state): State<WebState>, uri: Uri, headers: HeaderMap) -> Response {
    let signed_in = match session::require(&state, &headers, &uri).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let t = texts(&headers);
    let frame = Frame::signed_in(&signed_in, Section::Decks);
    let (notice, cookies) = flash::take(&state, &headers);
    let (banner, decks) = match deck_list(&state, signed_in.user.id).await {
        Ok(decks) => (notice.and_then(|n| n.banner(t)), decks),
        Err(ListFailed::Unreadable) => (Banner::error(t.get("decks.unreadable")), Vec::new()),
        Err(ListFailed::Task) => {
            return error_page_framed(t, frame, StatusCode::INTERNAL_SERVER_ERROR, Reason::Status)
        }
    };
    let unreadable = banner.as_ref().is_some_and(|b| b.kind == "error");
    let page = DecksPage {
        t,
        frame,
        banner,
        unreadable,
        decks: decks.into_iter().map(DeckRow::of).collect(),
        sync_url: format!("{}/", state.config.public_url.trim_end_matches('/')),
    };
    render(&page, StatusCode::OK, cookies)
}

/// `GET /api/decks`: `{"decks": [...]}`.
pub async fn api(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let Some(signed_in) = session::current(&state, &headers).await else {
        return json_error(StatusCode::UNAUTHORIZED, "Sign in first.");
    };
    match deck_list(&state, signed_in.user.id).await {
        Ok(decks) => Json(serde_json::json!({ "decks": decks })).into_response(),
        Err(ListFailed::Unreadable) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Your collection could not be read. Sync it again from Anki, or ask the server's operator.",
        ),
        Err(ListFailed::Task) => json_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong. Please try again.",
        ),
    }
}
