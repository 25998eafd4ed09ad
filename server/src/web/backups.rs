//! `/account/backups`: the snapshots this server keeps of the signed-in user's collection
//! (DESIGN §12), each to download as a `.colpkg` or to restore after a confirmation that
//! says what the devices do then. The restore is the one adminctl asks the running server
//! for ([`crate::backups::restore_now`]), so it takes the same lock and refusals.

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use crate::backups::{self, BackupActionError};
use crate::collection::export::Source;
use crate::collection::snapshots::{self, Reason as SnapshotReason, Snapshot};
use crate::state::{AppState, WebState};

use super::devices::when;
use super::errors::{error_page_framed, Reason};
use super::export::send_package;
use super::flash::{self, Notice};
use super::frame::{Frame, Section};
use super::i18n::Texts;
use super::pages::{forbidden_form, render, texts, Banner};
use super::session::{self, SignedIn};

/// One snapshot as the page shows it.
pub struct Item {
    pub id: String,
    pub taken: String,
    pub reason: &'static str,
    pub contents: String,
    pub size: String,
}

impl Item {
    fn new(t: Texts, s: &Snapshot) -> Item {
        Item {
            id: s.id.clone(),
            taken: when(s.taken_at),
            reason: t.get(reason_key(s.reason)),
            contents: [
                counted(t, "backups.notes", s.notes),
                counted(t, "backups.cards", s.cards),
                counted(t, "backups.reviews", s.reviews),
            ]
            .join(", "),
            size: size_text(s.bytes),
        }
    }
}

/// "1 note", "5 notes": English and German both have one singular.
fn counted(t: Texts, key: &str, n: i64) -> String {
    let form = if n == 1 { "one" } else { "other" };
    t.get(&format!("{key}.{form}"))
        .replace("{n}", &n.to_string())
}

fn reason_key(reason: SnapshotReason) -> &'static str {
    match reason {
        SnapshotReason::Replaced => "backups.reason.replaced",
        SnapshotReason::Daily => "backups.reason.daily",
        SnapshotReason::Manual => "backups.reason.manual",
        SnapshotReason::BeforeRestore => "backups.reason.beforeRestore",
    }
}

/// `820 KB`, `12.4 MB`: decimal units, as file managers show them.
fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

#[derive(Template)]
#[template(path = "backups.html")]
struct BackupsPage {
    t: Texts,
    frame: Frame,
    banner: Option<Banner>,
    items: Vec<Item>,
}

#[derive(Template)]
#[template(path = "backup_restore.html")]
struct ConfirmPage {
    t: Texts,
    frame: Frame,
    csrf: String,
    id: String,
    title: String,
    what: String,
}

fn backups_uri() -> Uri {
    Uri::from_static("/account/backups")
}

fn refused(
    headers: &HeaderMap,
    signed_in: &SignedIn,
    status: StatusCode,
    key: &'static str,
) -> Response {
    let frame = Frame::signed_in(signed_in, Section::Account);
    error_page_framed(texts(headers), frame, status, Reason::Message(key))
}

/// The user's snapshots, newest first.
async fn list(state: &WebState, user_id: i64) -> Result<Vec<Snapshot>, String> {
    let data_dir = state.config.data_dir.clone();
    tokio::task::spawn_blocking(move || snapshots::list(&data_dir, user_id))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// The user's snapshot `id`, or the page that says there is none.
async fn find(
    state: &WebState,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    id: &str,
) -> Result<Snapshot, Response> {
    match list(state, signed_in.user.id).await {
        Ok(all) => all.into_iter().find(|s| s.id == id).ok_or_else(|| {
            refused(
                headers,
                signed_in,
                StatusCode::NOT_FOUND,
                "backups.noSuchSnapshot",
            )
        }),
        Err(e) => {
            tracing::error!(user_id = signed_in.user.id, error = %e, "cannot list snapshots");
            Err(refused(
                headers,
                signed_in,
                StatusCode::INTERNAL_SERVER_ERROR,
                "backups.listFailed",
            ))
        }
    }
}

pub async fn page(State(state): State<WebState>, uri: Uri, headers: HeaderMap) -> Response {
    let signed_in = match session::require(&state, &headers, &uri).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    let t = texts(&headers);
    let (notice, cookies) = flash::take(&state, &headers);
    let snapshots = match list(&state, signed_in.user.id).await {
        Ok(snapshots) => snapshots,
        Err(e) => {
            tracing::error!(user_id = signed_in.user.id, error = %e, "cannot list snapshots");
            return refused(
                &headers,
                &signed_in,
                StatusCode::INTERNAL_SERVER_ERROR,
                "backups.listFailed",
            );
        }
    };
    let page = BackupsPage {
        t,
        frame: Frame::signed_in(&signed_in, Section::Account),
        banner: notice.and_then(|n| n.banner(t)),
        items: snapshots.iter().map(|s| Item::new(t, s)).collect(),
    };
    render(&page, StatusCode::OK, cookies)
}

/// The signed-in user and their snapshot `id`, or the answer that refuses the request.
async fn signed_in_with(
    state: &WebState,
    headers: &HeaderMap,
    uri: &Uri,
    id: &str,
) -> Result<(SignedIn, Snapshot), Response> {
    let signed_in = session::require(state, headers, uri).await?;
    let snapshot = find(state, headers, &signed_in, id).await?;
    Ok((signed_in, snapshot))
}

/// `GET /account/backups/{id}/download`: the snapshot as a `.colpkg`.
pub async fn download(
    State(state): State<WebState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (signed_in, snapshot) = match signed_in_with(&state, &headers, &uri, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    // The id is letters, digits, `-` and `_` only (snapshots::list lists no other).
    let name = format!("collection-{}.colpkg", snapshot.id);
    send_package(
        &state,
        &headers,
        &signed_in,
        Source::Snapshot(&snapshot.id),
        &name,
    )
    .await
}

/// `GET /account/backups/{id}/restore`: what a restore does, and the button that does it.
pub async fn confirm(
    State(state): State<WebState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (signed_in, snapshot) = match signed_in_with(&state, &headers, &uri, &id).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let t = texts(&headers);
    let item = Item::new(t, &snapshot);
    let page = ConfirmPage {
        t,
        frame: Frame::signed_in(&signed_in, Section::Account),
        csrf: signed_in.csrf.clone(),
        title: t.get("backups.confirmTitle").replace("{date}", &item.taken),
        what: t
            .get("backups.confirmWhat")
            .replace("{date}", &item.taken)
            .replace("{reason}", item.reason)
            .replace("{contents}", &item.contents),
        id: item.id,
    };
    render(&page, StatusCode::OK, vec![])
}

#[derive(Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /account/backups/{id}/restore`. It takes the whole server's state, not only the
/// web's: a restore refuses while a normal sync is open and tells the media database
/// about the files it brings back ([`crate::backups`]).
pub async fn restore(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<RestoreForm>,
) -> Response {
    let state = WebState::from_ref(&app);
    let signed_in = match session::require(&state, &headers, &backups_uri()).await {
        Ok(signed_in) => signed_in,
        Err(response) => return response,
    };
    if !session::same_origin(&state, &headers)
        || !session::tokens_match(&form.csrf, &signed_in.csrf)
    {
        return forbidden_form(&headers);
    }
    let snapshot = match find(&state, &headers, &signed_in, &id).await {
        Ok(snapshot) => snapshot,
        Err(response) => return response,
    };
    let user_id = signed_in.user.id;
    match backups::restore_now(&app, user_id, &snapshot.id).await {
        Ok(kept_as) => {
            tracing::info!(user_id, snapshot = %snapshot.id,
                kept_as = kept_as.as_deref().unwrap_or(""), "web: snapshot restored");
            flash::redirect(
                &state,
                "/account/backups",
                Notice::Restored,
                Some(&when(snapshot.taken_at)),
            )
        }
        Err(BackupActionError::NoSuchSnapshot(_)) => refused(
            &headers,
            &signed_in,
            StatusCode::NOT_FOUND,
            "backups.noSuchSnapshot",
        ),
        Err(BackupActionError::SyncOpen) => refused(
            &headers,
            &signed_in,
            StatusCode::CONFLICT,
            "backups.syncOpen",
        ),
        Err(e) => {
            tracing::error!(user_id, snapshot = %snapshot.id, error = %e, "web restore failed");
            refused(
                &headers,
                &signed_in,
                StatusCode::INTERNAL_SERVER_ERROR,
                "backups.restoreFailed",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{counted, size_text};
    use crate::web::i18n::{Lang, Texts};

    #[test]
    fn counts_take_the_singular_for_one() {
        let (en, de) = (Texts { lang: Lang::En }, Texts { lang: Lang::De });
        assert_eq!(counted(en, "backups.reviews", 1), "1 review");
        assert_eq!(counted(en, "backups.reviews", 0), "0 reviews");
        assert_eq!(counted(de, "backups.notes", 1), "1 Notiz");
        assert_eq!(counted(de, "backups.cards", 12), "12 Karten");
    }

    #[test]
    fn sizes_read_as_file_managers_show_them() {
        assert_eq!(size_text(999), "999 B");
        assert_eq!(size_text(1_000), "1.0 KB");
        assert_eq!(size_text(820_000), "820 KB");
        assert_eq!(size_text(12_400_000), "12 MB");
        assert_eq!(size_text(3_260_000_000), "3.3 GB");
    }
}
