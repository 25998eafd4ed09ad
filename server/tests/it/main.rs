//! Integration tests: the real server on port 0 with a real SQLite file in a temp dir.
//! One test binary (declaring modules) keeps linking fast.

mod control_socket;
mod helpers;
mod leftovers;
mod login_limits;
mod smtp_sink;
mod sync_full;
mod sync_login;
mod sync_media;
mod tcp_options;
mod web_backups;
mod web_decks;
mod web_errors;
mod web_frame;
mod web_reset;
mod web_study;
