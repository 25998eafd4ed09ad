//! For tests only: where the account-store tests find their database. With
//! `FF_TEST_POSTGRES_URL` set (a base URL such as `postgres://ff:pw@127.0.0.1:5432/`), every
//! call creates a fresh PostgreSQL database; otherwise tests use SQLite in their temp dir.

use postgres::NoTls;

/// A database URL for one test, or `None` for the embedded SQLite default. Safe to call
/// from async tests: the blocking client runs on a thread of its own.
pub fn fresh_database_url() -> Option<String> {
    let base = std::env::var("FF_TEST_POSTGRES_URL").ok()?;
    std::thread::spawn(move || create_database(&base))
        .join()
        .unwrap_or_else(|_| panic!("creating the test database panicked"))
        .into()
}

fn create_database(base: &str) -> String {
    let name = format!("ff_test_{}", hex::encode(rand::random::<[u8; 6]>()));
    let admin = format!("{}postgres", base.trim_end_matches('/').to_string() + "/");
    let mut client = postgres::Client::connect(&admin, NoTls)
        .unwrap_or_else(|e| panic!("FF_TEST_POSTGRES_URL does not answer: {e}"));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("cannot create test database: {e}"));
    format!("{}/{name}", base.trim_end_matches('/'))
}
