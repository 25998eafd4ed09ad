//! A user's collection as its own domain (DESIGN §11): where it lives on disk and how it
//! is replaced, the per-user lock, the connection kept open between requests, and the
//! facts `meta` reports about a user's files. Sync is one client of this domain and the
//! web pages will be another; `collection/` imports neither.

pub mod deck_tree;
pub mod file;
mod files_meta;
mod kept_per_user;
mod open;
pub mod time;
mod user_locks;

pub use files_meta::{MetaCache, UserFilesMeta};
pub(crate) use kept_per_user::KeptPerUser;
pub use open::{CollectionConnection, OpenCollections};
pub use user_locks::UserLocks;
