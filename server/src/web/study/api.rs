//! `/api/study/*`: the study screen as JSON, for the page's script and for scripts of
//! the user's own. Authenticated by the session cookie; a POST must come from this site
//! (its `Origin` or `Referer`) or carry the session's `X-CSRF-Token`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::collection::queue::{Counts, QueueKind};
use crate::collection::render::load_and_render;
use crate::collection::study::{self, AnswerInput, Shown, StudyError, StudyView};
use crate::state::WebState;

use super::super::api_json::ApiJson;
use super::super::pages::{json_error, texts};
use super::super::session::{self, SignedIn};
use super::{on_collection, Notice, Refusal};

/// The longest answer time accepted: an hour (the preset caps it further).
pub const MAX_MILLIS_TAKEN: u32 = 3_600_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextBody {
    deck_id: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    card_id: i64,
    #[serde(default)]
    typed: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    card_id: i64,
    rating: u8,
    millis_taken: u32,
}

/// The signed-in user of an API POST, or the JSON refusal.
async fn api_user(state: &WebState, headers: &HeaderMap) -> Result<SignedIn, Response> {
    let Some(signed_in) = session::current(state, headers).await else {
        return Err(json_error(
            StatusCode::UNAUTHORIZED,
            texts(headers).get("study.signIn"),
        ));
    };
    let token_ok = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|token| session::tokens_match(token, &signed_in.csrf));
    if !token_ok && !session::same_origin(state, headers) {
        return Err(super::super::pages::cross_origin_refused());
    }
    Ok(signed_in)
}

fn refused(headers: &HeaderMap, refusal: Refusal) -> Response {
    json_error(refusal.status, refusal.text(texts(headers)))
}

pub fn counts_json(counts: &Counts) -> Value {
    json!({ "new": counts.new, "learn": counts.learn, "review": counts.review })
}

fn queue_name(kind: QueueKind) -> &'static str {
    match kind {
        QueueKind::New => "new",
        QueueKind::Learning => "learn",
        QueueKind::Review => "review",
    }
}

fn view_json(view: &StudyView) -> Value {
    let card = view.card.as_ref().map(|c| {
        json!({
            "id": c.card_id,
            "note_id": c.note_id,
            "queue": queue_name(c.kind),
            "question": c.rendered.question,
            "answer": c.rendered.answer,
            "css": c.rendered.css,
            "buttons": c.labels.iter().enumerate().map(|(i, label)| {
                json!({ "rating": i + 1, "label": label })
            }).collect::<Vec<_>>(),
        })
    });
    json!({ "card": card, "counts": counts_json(&view.counts) })
}

/// Shows deck `deck_id`'s next card to the user at `now_millis` and remembers it as the
/// one an answer must be to.
pub async fn show_next(state: &WebState, user_id: i64, deck_id: i64) -> Result<StudyView, Refusal> {
    let now = state.clock.now_millis();
    let prefer = state.studying.prefer(user_id);
    let view = on_collection(state, user_id, move |conn| {
        study::next(conn, deck_id, now, prefer)
    })
    .await?;
    let shown = view.card.as_ref().map(|c| Shown {
        deck_id,
        card_id: c.card_id,
        stamp: c.stamp,
    });
    state.studying.show(user_id, shown);
    Ok(view)
}

/// Answers the shown card; the one check both the page and the API make.
pub async fn answer_shown(
    state: &WebState,
    user_id: i64,
    card_id: i64,
    rating: u8,
    millis_taken: u32,
) -> Result<i64, Refusal> {
    if !(1..=4).contains(&rating) {
        return Err(Refusal::from_study(
            user_id,
            StudyError::Sched(crate::collection::scheduler::SchedError::InvalidRating(
                rating,
            )),
        ));
    }
    let Some(shown) = state
        .studying
        .shown(user_id)
        .filter(|s| s.card_id == card_id)
    else {
        return Err(not_shown(state, user_id, card_id).await);
    };
    let now = state.clock.now_millis();
    let input = AnswerInput {
        card_id,
        rating,
        shown: shown.stamp,
        milliseconds_taken: millis_taken.min(MAX_MILLIS_TAKEN),
    };
    let answered = on_collection(state, user_id, move |conn| study::answer(conn, input, now)).await;
    state.files_meta.forget(user_id);
    match answered {
        Ok(record) => {
            state.studying.answered(user_id, record);
            // A day studied only on the web gets its daily snapshot too.
            state.core.daily_snapshot_after_change(user_id);
            Ok(shown.deck_id)
        }
        Err(refusal) => {
            // The card is no longer as shown, or no longer to be studied: the next look
            // decides what to show.
            if matches!(refusal.notice, Some(Notice::CardChanged | Notice::NotShown)) {
                state.studying.show(user_id, None);
            }
            Err(refusal)
        }
    }
}

/// The refusal for a card that is not the one shown: 404 when the user's collection has
/// no such card (unknown, or another user's), 409 otherwise.
async fn not_shown(state: &WebState, user_id: i64, card_id: i64) -> Refusal {
    match on_collection(state, user_id, move |conn| {
        study::card_exists(conn, card_id)
    })
    .await
    {
        Ok(true) => Refusal::from_study(user_id, StudyError::NotStudyable(card_id)),
        Ok(false) => Refusal::from_study(
            user_id,
            StudyError::Sched(crate::collection::scheduler::SchedError::CardNotFound(
                card_id,
            )),
        ),
        Err(refusal) => refusal,
    }
}

/// Takes the user's last answer back.
pub async fn undo_last(state: &WebState, user_id: i64) -> Result<i64, Refusal> {
    let Some(record) = state.studying.take_last_answer(user_id) else {
        return Err(Refusal::notice(
            StatusCode::CONFLICT,
            "study.nothingToUndo",
            Notice::NothingToUndo,
        ));
    };
    let now = state.clock.now_millis();
    let kept = record.clone();
    let undone = on_collection(state, user_id, move |conn| study::undo(conn, &record, now)).await;
    state.files_meta.forget(user_id);
    match undone {
        Ok(undone) => {
            state.studying.undone(user_id, undone.card_id);
            Ok(undone.deck_id)
        }
        Err(refusal) => {
            if refusal.notice == Some(Notice::SyncBusy) {
                state.studying.restore_last_answer(user_id, kept);
            }
            Err(refusal)
        }
    }
}

/// `POST /api/study/next {"deck_id"}`.
pub async fn next(
    State(state): State<WebState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NextBody>,
) -> Response {
    let signed_in = match api_user(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    match show_next(&state, signed_in.user.id, body.deck_id).await {
        Ok(view) => Json(view_json(&view)).into_response(),
        Err(refusal) => refused(&headers, refusal),
    }
}

/// `POST /api/study/reveal {"card_id", "typed"}`: the answer side, with the typed answer
/// compared where the card asks for one.
pub async fn reveal(
    State(state): State<WebState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RevealBody>,
) -> Response {
    let signed_in = match api_user(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    match reveal_shown(&state, signed_in.user.id, body.card_id, body.typed).await {
        Ok(answer) => Json(json!({ "answer": answer })).into_response(),
        Err(refusal) => refused(&headers, refusal),
    }
}

/// The shown card's answer side with `typed` compared.
pub async fn reveal_shown(
    state: &WebState,
    user_id: i64,
    card_id: i64,
    typed: String,
) -> Result<String, Refusal> {
    if state
        .studying
        .shown(user_id)
        .filter(|s| s.card_id == card_id)
        .is_none()
    {
        return Err(not_shown(state, user_id, card_id).await);
    }
    on_collection(state, user_id, move |conn| {
        Ok(load_and_render(conn, card_id)?.answer_with_typed(&typed))
    })
    .await
}

/// `POST /api/study/answer {"card_id", "rating", "millis_taken"}`.
pub async fn answer(
    State(state): State<WebState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AnswerBody>,
) -> Response {
    let signed_in = match api_user(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    if body.millis_taken > MAX_MILLIS_TAKEN {
        return json_error(
            StatusCode::BAD_REQUEST,
            texts(&headers).get("study.badMillis"),
        );
    }
    match answer_shown(
        &state,
        signed_in.user.id,
        body.card_id,
        body.rating,
        body.millis_taken,
    )
    .await
    {
        Ok(_) => Json(json!({ "ok": true })).into_response(),
        Err(refusal) => refused(&headers, refusal),
    }
}

/// `POST /api/study/undo`: takes the last answer back; its card is what `next` shows.
pub async fn undo(State(state): State<WebState>, headers: HeaderMap) -> Response {
    let signed_in = match api_user(&state, &headers).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    match undo_last(&state, signed_in.user.id).await {
        Ok(_) => Json(json!({ "ok": true })).into_response(),
        Err(refusal) => refused(&headers, refusal),
    }
}
