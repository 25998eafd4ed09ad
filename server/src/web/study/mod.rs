//! Studying in the browser (DESIGN §11): the `/study/{deck}` page and the `/api/study/*`
//! routes, two ways into `collection::study`. Both run the collection's work on the
//! blocking pool under the user's lock, on the connection kept for the user's syncs.

pub mod api;
mod card_frame;
pub mod page;

use axum::http::StatusCode;
use r2d2_sqlite::rusqlite::Connection;

use crate::collection::file::collection_path;
use crate::collection::scheduler::SchedError;
use crate::collection::study::StudyError;
use crate::state::WebState;

use super::i18n::Texts;

/// The refusals the study page shows as a notice over the next card rather than as an
/// error page; the API answers them with 409.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    SyncBusy,
    /// The shown card changed since (a sync, another tab): it is shown again as it is.
    CardChanged,
    /// The answer was to a card other than the one shown.
    NotShown,
    UndoStale,
    NothingToUndo,
}

impl Notice {
    /// The page's `?notice=` value; `NotShown` reads as a changed card to a person.
    pub fn query(self) -> &'static str {
        match self {
            Notice::SyncBusy => "sync-busy",
            Notice::CardChanged | Notice::NotShown => "card-changed",
            Notice::UndoStale => "undo-stale",
            Notice::NothingToUndo => "nothing-to-undo",
        }
    }
}

/// Why a study request could not be done, as a status and a sentence for a person.
pub struct Refusal {
    pub status: StatusCode,
    pub key: &'static str,
    /// Set for the cases the study page turns into a notice instead of an error page.
    pub notice: Option<Notice>,
}

impl Refusal {
    fn new(status: StatusCode, key: &'static str) -> Refusal {
        Refusal {
            status,
            key,
            notice: None,
        }
    }

    fn notice(status: StatusCode, key: &'static str, notice: Notice) -> Refusal {
        Refusal {
            status,
            key,
            notice: Some(notice),
        }
    }

    pub fn text(&self, t: Texts) -> &'static str {
        t.get(self.key)
    }

    pub fn from_study(user_id: i64, e: StudyError) -> Refusal {
        match e {
            StudyError::SyncInProgress => Refusal::notice(
                StatusCode::CONFLICT,
                "study.syncInProgress",
                Notice::SyncBusy,
            ),
            StudyError::CardChanged(_) => Refusal::notice(
                StatusCode::CONFLICT,
                "study.cardChanged",
                Notice::CardChanged,
            ),
            StudyError::NotStudyable(_) => {
                Refusal::notice(StatusCode::CONFLICT, "study.notShown", Notice::NotShown)
            }
            StudyError::UndoStale(_) => {
                Refusal::notice(StatusCode::CONFLICT, "study.undoStale", Notice::UndoStale)
            }
            StudyError::DeckNotFound(_) => Refusal::new(StatusCode::NOT_FOUND, "study.noDeck"),
            StudyError::Sched(SchedError::CardNotFound(_)) => {
                Refusal::new(StatusCode::NOT_FOUND, "study.noCard")
            }
            StudyError::Sched(SchedError::InvalidRating(_)) => {
                Refusal::new(StatusCode::BAD_REQUEST, "study.badRating")
            }
            StudyError::Unsupported(what) => {
                tracing::info!(user_id, what, "study refused: not supported");
                Refusal::new(StatusCode::UNPROCESSABLE_ENTITY, unsupported_key(what))
            }
            other => {
                tracing::error!(user_id, error = %other, "study failed");
                Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "study.unreadable")
            }
        }
    }
}

fn unsupported_key(what: &str) -> &'static str {
    if what.contains("FSRS") {
        "study.unsupportedFsrs"
    } else if what.contains("filtered") {
        "study.unsupportedFiltered"
    } else {
        "study.unsupported"
    }
}

/// Runs `work` on the user's collection under their lock, on the blocking pool. A user
/// who has never synced has no collection: 404.
pub async fn on_collection<R: Send + 'static>(
    state: &WebState,
    user_id: i64,
    work: impl FnOnce(&Connection) -> Result<R, StudyError> + Send + 'static,
) -> Result<R, Refusal> {
    let guard = state.user_locks.lock(user_id).await;
    let worker = state.clone();
    let done = tokio::task::spawn_blocking(move || {
        // The lock moves into the task: a request dropped early cannot release it while
        // the work still runs.
        let _serialised = guard;
        let path = collection_path(&worker.config.data_dir, user_id);
        if !path.exists() {
            return Err(Refusal::new(StatusCode::NOT_FOUND, "study.noCollection"));
        }
        match worker.collections.use_kept(user_id, &path, work) {
            Ok(result) => result.map_err(|e| Refusal::from_study(user_id, e)),
            Err(e) => {
                tracing::error!(user_id, error = %e, "cannot open the collection to study");
                Err(Refusal::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "study.unreadable",
                ))
            }
        }
    })
    .await;
    match done {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(user_id, error = %e, "study task failed");
            Err(Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "common.error",
            ))
        }
    }
}
