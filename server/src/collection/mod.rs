//! A user's collection as its own domain (DESIGN §11): where it lives on disk and how it
//! is replaced, the per-user lock, the connection kept open between requests, and the
//! facts `meta` reports about a user's files. Sync is one client of this domain and the
//! web pages will be another; `collection/` imports neither.

mod config;
pub mod deck_tree;
pub mod export;
pub mod file;
mod files_meta;
mod kept_per_user;
pub mod media_names;
pub mod media_refs;
pub mod media_trash;
mod open;
pub mod queue;
pub mod render;
pub mod scheduler;
pub mod snapshots;
pub mod study;
#[cfg(test)]
mod test_fixtures;
pub mod time;
mod user_locks;

pub use files_meta::{MetaCache, UserFilesMeta};
pub(crate) use kept_per_user::KeptPerUser;
pub use open::{CollectionConnection, OpenCollections};
pub use user_locks::UserLocks;

/// A user's deck list with Anki's counts at `now` (seconds): read from the stored
/// collection without changing it; empty for a user who has never synced. Blocking.
pub fn user_deck_list(
    data_dir: &std::path::Path,
    user_id: i64,
    now: i64,
) -> Result<Vec<deck_tree::DeckListEntry>, deck_tree::DeckTreeError> {
    let path = file::collection_path(data_dir, user_id);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let conn = file::open(
        &path,
        r2d2_sqlite::rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let rules = time::DayRules::read(&conn)?;
    deck_tree::deck_list(&conn, &rules.today(now), rules.learn_ahead_secs)
}
