//! `/study/{deck}`: the study screen as a page that works without JavaScript. The
//! question is shown with a "Show answer" form (a GET back to this page with the card's
//! id, and what was typed); the answer side has the four rating buttons, a form posting
//! to `/study/{deck}/answer`, which redirects back here (Post/Redirect/Get). The page's
//! script adds the keyboard (space or enter to reveal, 1-4 to answer, u or Ctrl+Z to
//! undo), reads the type-in box out of the card's frame and opens hints.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::collection::queue::QueueKind;
use crate::state::WebState;

use super::super::errors::{error_page_framed, Reason};
use super::super::frame::{Frame, Section};
use super::super::i18n::Texts;
use super::super::pages::{forbidden_form, render, texts, Banner};
use super::super::session::{self, SignedIn};
use super::api::{answer_shown, show_next, undo_last, MAX_MILLIS_TAKEN};
use super::card_frame::{document, STUDY_CSP};
use super::Refusal;

#[derive(Deserialize, Default)]
pub struct StudyQuery {
    /// The card whose answer side to show.
    answer: Option<i64>,
    #[serde(default)]
    typed: String,
    /// When the question was shown (ms), carried to the answer form for the time taken.
    shown_at: Option<i64>,
    notice: Option<String>,
}

pub struct Button {
    pub rating: u8,
    pub name: &'static str,
    pub label: String,
    pub key: char,
}

#[derive(Template)]
#[template(path = "study.html")]
struct StudyPage {
    t: Texts,
    frame: Frame,
    csrf: String,
    banner: Option<Banner>,
    deck_id: i64,
    deck_name: String,
    new: u32,
    learn: u32,
    review: u32,
    /// Which count the shown card is from: "new", "learn" or "review".
    current: &'static str,
    card_id: i64,
    /// The card side's document, for the sandboxed frame's `srcdoc`.
    card_doc: String,
    answer_side: bool,
    buttons: Vec<Button>,
    shown_at: i64,
    finished: bool,
    can_undo: bool,
}

/// The fixed notices `?notice=` may name; anything else shows nothing.
fn notice_banner(t: Texts, notice: Option<&str>) -> Option<Banner> {
    match notice? {
        "sync-busy" => Banner::error(t.get("study.syncInProgress")),
        "card-changed" => Banner::info(t.get("study.cardChanged")),
        "undo-stale" => Banner::error(t.get("study.undoStale")),
        "nothing-to-undo" => Banner::info(t.get("study.nothingToUndo")),
        "undone" => Banner::success(t.get("study.undone")),
        _ => None,
    }
}

/// The page of a refusal, in the signed-in user's frame.
fn refusal_page(headers: &HeaderMap, signed_in: &SignedIn, refusal: Refusal) -> Response {
    let t = texts(headers);
    let reason = if refusal.status.is_server_error() {
        Reason::Status
    } else {
        Reason::Message(refusal.key)
    };
    let frame = Frame::signed_in(signed_in, Section::Decks);
    error_page_framed(t, frame, refusal.status, reason)
}

async fn signed_in_or_login(
    state: &WebState,
    headers: &HeaderMap,
    deck_id: i64,
) -> Result<SignedIn, Response> {
    // Back to the deck's study screen after signing in (also from a form post).
    let back: axum::http::Uri = format!("/study/{deck_id}")
        .parse()
        .map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
    session::require(state, headers, &back).await
}

/// `GET /study/{deck}`.
pub async fn page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(deck_id): Path<i64>,
    Query(query): Query<StudyQuery>,
) -> Response {
    let signed_in = match signed_in_or_login(&state, &headers, deck_id).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let user_id = signed_in.user.id;
    let t = texts(&headers);
    let view = match show_next(&state, user_id, deck_id).await {
        Ok(view) => view,
        Err(refusal) => return refusal_page(&headers, &signed_in, refusal),
    };
    let mut banner = notice_banner(t, query.notice.as_deref());
    let now = state.clock.now_millis();
    let mut page = StudyPage {
        t,
        frame: Frame::signed_in(&signed_in, Section::Decks),
        csrf: signed_in.csrf.clone(),
        banner: None,
        deck_id,
        deck_name: view.deck_name.clone(),
        new: view.counts.new,
        learn: view.counts.learn,
        review: view.counts.review,
        current: "",
        card_id: 0,
        card_doc: String::new(),
        answer_side: false,
        buttons: Vec::new(),
        shown_at: query.shown_at.filter(|&at| at <= now).unwrap_or(now),
        finished: view.card.is_none(),
        can_undo: state.studying.has_last_answer(user_id),
    };
    if let Some(card) = &view.card {
        page.card_id = card.card_id;
        page.current = match card.kind {
            QueueKind::New => "new",
            QueueKind::Learning => "learn",
            QueueKind::Review => "review",
        };
        let wants_answer = query.answer == Some(card.card_id);
        if query.answer.is_some() && !wants_answer {
            // The card asked about is no longer the one to show (answered elsewhere).
            banner = banner.or(Banner::info(t.get("study.cardChanged")));
        }
        if wants_answer {
            // The card was just rendered for this look; its answer side needs no second
            // trip to the collection.
            let answer = card.rendered.answer_with_typed(&query.typed);
            page.answer_side = true;
            page.card_doc = document(&card.rendered.css, &answer);
            page.buttons = ["study.again", "study.hard", "study.good", "study.easy"]
                .iter()
                .zip(card.labels.iter())
                .zip(1u8..)
                .map(|((name, label), rating)| Button {
                    rating,
                    name: t.get(name),
                    label: label.clone(),
                    key: char::from(b'0' + rating),
                })
                .collect();
        } else {
            page.shown_at = now;
            page.card_doc = document(&card.rendered.css, &card.rendered.question);
        }
    }
    page.banner = banner;
    let mut response = render(&page, StatusCode::OK, Vec::new());
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(STUDY_CSP),
    );
    response
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    card_id: i64,
    rating: u8,
    shown_at: i64,
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn checked_form_user(
    state: &WebState,
    headers: &HeaderMap,
    deck_id: i64,
    csrf: &str,
) -> Result<SignedIn, Response> {
    let signed_in = signed_in_or_login(state, headers, deck_id).await?;
    if !session::same_origin(state, headers) || !session::tokens_match(csrf, &signed_in.csrf) {
        return Err(forbidden_form(headers));
    }
    Ok(signed_in)
}

fn back_to_deck(deck_id: i64, notice: Option<&str>) -> Response {
    match notice {
        Some(notice) => Redirect::to(&format!("/study/{deck_id}?notice={notice}")),
        None => Redirect::to(&format!("/study/{deck_id}")),
    }
    .into_response()
}

/// `POST /study/{deck}/answer`.
pub async fn answer(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(deck_id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Response {
    let signed_in = match checked_form_user(&state, &headers, deck_id, &form.csrf).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    let now = state.clock.now_millis();
    let taken = u32::try_from((now - form.shown_at).clamp(0, i64::from(MAX_MILLIS_TAKEN)))
        .unwrap_or(MAX_MILLIS_TAKEN);
    match answer_shown(&state, signed_in.user.id, form.card_id, form.rating, taken).await {
        Ok(_) => back_to_deck(deck_id, None),
        Err(refusal) => match refusal.notice {
            Some(notice) => back_to_deck(deck_id, Some(notice.query())),
            None => refusal_page(&headers, &signed_in, refusal),
        },
    }
}

/// `POST /study/{deck}/undo`.
pub async fn undo(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(deck_id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let signed_in = match checked_form_user(&state, &headers, deck_id, &form.csrf).await {
        Ok(s) => s,
        Err(response) => return response,
    };
    match undo_last(&state, signed_in.user.id).await {
        Ok(_) => back_to_deck(deck_id, Some("undone")),
        Err(refusal) => match refusal.notice {
            Some(notice) => back_to_deck(deck_id, Some(notice.query())),
            None => refusal_page(&headers, &signed_in, refusal),
        },
    }
}
