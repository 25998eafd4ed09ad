//! Accounts against a real SQLite file in a temp dir.

use std::sync::Arc;

use super::*;
use crate::lang::Lang;
use crate::store::{self, Store};

/// A fresh, empty store: SQLite in a temp dir, or a new PostgreSQL database when the
/// tests run against one (`FF_TEST_POSTGRES_URL`).
fn fresh_store() -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = crate::test_support::fresh_database_url();
    let store = store::open(url.as_deref(), dir.path()).expect("open store");
    (dir, store)
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s)
}

fn admin() -> Actor {
    Actor::Admin {
        uid: 0,
        pid: 1,
        tool: "test".into(),
    }
}

fn add_alice(store: &dyn Store) -> User {
    create_user(
        store,
        &PasswordPolicy::default(),
        NewAccount {
            username: "alice".into(),
            email: "Alice@Example.com".into(),
            is_admin: false,
            password: secret("alice-password-1"),
        },
        &admin(),
    )
    .expect("create alice")
}

#[test]
fn created_user_logs_in_by_username_or_email() {
    let (_dir, store) = fresh_store();
    let alice = add_alice(&*store);
    assert_eq!(alice.email, "alice@example.com");
    let pw = secret("alice-password-1");
    for login in ["alice", "alice@example.com", "ALICE@example.com"] {
        let found = verify_anki_login(&*store, login, &pw).expect("verify");
        assert_eq!(found.map(|u| u.id), Some(alice.id), "login as {login}");
    }
    assert!(
        verify_anki_login(&*store, "alice", &secret("wrong-password-1"))
            .expect("verify")
            .is_none()
    );
    assert!(verify_anki_login(&*store, "nobody", &pw)
        .expect("verify")
        .is_none());
}

#[test]
fn duplicate_usernames_and_emails_are_refused() {
    let (_dir, store) = fresh_store();
    add_alice(&*store);
    let again = create_user(
        &*store,
        &PasswordPolicy::default(),
        NewAccount {
            username: "alice2".into(),
            email: "ALICE@example.com".into(),
            is_admin: false,
            password: secret("alice-password-1"),
        },
        &admin(),
    );
    assert!(matches!(
        again,
        Err(AccountError::Store(StoreError::Conflict(_)))
    ));
}

#[test]
fn change_password_rewrites_both_hashes_and_revokes_keys() {
    let (_dir, store) = fresh_store();
    let alice = add_alice(&*store);
    let minted = mint_host_key(&*store, &alice, "test", 20).expect("mint");
    assert!(store
        .use_sync_key(&minted.key.digest(), 1)
        .expect("lookup")
        .is_some());

    let changed = change_password(
        &*store,
        &PasswordPolicy::default(),
        alice.id,
        &secret("alice-password-2"),
        &admin(),
        ChangeReason::Operator,
        Lang::En,
    )
    .expect("change");
    assert_eq!(
        changed.credential_generation,
        alice.credential_generation + 1
    );

    assert!(store
        .use_sync_key(&minted.key.digest(), 2)
        .expect("lookup")
        .is_none());
    let after = store.user_by_id(alice.id).expect("load").expect("exists");
    assert!(verify_web_password(
        Some(&after.password_hash),
        &secret("alice-password-2")
    ));
    assert!(
        verify_anki_login(&*store, "alice", &secret("alice-password-1"))
            .expect("verify")
            .is_none()
    );
    assert!(
        verify_anki_login(&*store, "alice", &secret("alice-password-2"))
            .expect("verify")
            .is_some()
    );
    let audit = store.recent_audit(1).expect("audit");
    assert_eq!(audit[0].action, "password.change");
    assert!(!audit[0].detail.contains("alice-password-2"));
}

#[test]
fn change_password_refuses_weak_passwords_and_unknown_users_without_writing() {
    let (_dir, store) = fresh_store();
    let alice = add_alice(&*store);
    let weak = change_password(
        &*store,
        &PasswordPolicy::default(),
        alice.id,
        &secret("short"),
        &admin(),
        ChangeReason::Operator,
        Lang::En,
    );
    assert!(matches!(weak, Err(AccountError::PasswordRejected(_))));
    let unknown = change_password(
        &*store,
        &PasswordPolicy::default(),
        alice.id + 1,
        &secret("alice-password-2"),
        &admin(),
        ChangeReason::Operator,
        Lang::En,
    );
    assert!(matches!(unknown, Err(AccountError::UnknownUser)));
    let after = store.user_by_id(alice.id).expect("load").expect("exists");
    assert_eq!(after.credential_generation, alice.credential_generation);
}

#[test]
fn host_keys_per_user_are_bounded_by_least_recent_use() {
    let (_dir, store) = fresh_store();
    let alice = add_alice(&*store);
    let first = mint_host_key(&*store, &alice, "a", 2).expect("mint");
    let second = mint_host_key(&*store, &alice, "b", 2).expect("mint");
    // Use the first key later than the second was created: the second is now the LRU.
    store
        .use_sync_key(&first.key.digest(), i64::MAX / 2)
        .expect("use");
    let third = mint_host_key(&*store, &alice, "c", 2).expect("mint");
    assert_eq!(third.evicted_digests, vec![second.key.digest()]);
    assert!(store
        .use_sync_key(&second.key.digest(), 1)
        .expect("use")
        .is_none());
    assert!(store
        .use_sync_key(&first.key.digest(), 1)
        .expect("use")
        .is_some());
}

/// Stores a key as a login at `now` would mint it; returns its digest and the evicted.
fn login_at(store: &dyn Store, user: &User, now: i64, max_per_user: u32) -> (String, Vec<String>) {
    let digest = HostKey::mint().digest();
    let key = NewSyncKey {
        digest: digest.clone(),
        user_id: user.id,
        client_version: "test".into(),
        legacy: false,
        now,
    };
    let evicted = store
        .insert_sync_key(&key, max_per_user)
        .expect("insert key");
    (digest, evicted)
}

#[test]
fn a_burst_of_logins_within_a_minute_keeps_the_key_of_a_device_that_syncs_throughout() {
    let (_dir, store) = fresh_store();
    let alice = add_alice(&*store);
    let t = 1_000_000;
    let (device, _) = login_at(&*store, &alice, t, 20);
    // The device's first sync is in the second of its login.
    assert!(store.use_sync_key(&device, t).expect("use").is_some());
    let mut burst = Vec::new();
    for i in 1..=25 {
        let (key, evicted) = login_at(&*store, &alice, t + i, 20);
        assert!(!evicted.contains(&device), "login {i} evicted the device");
        assert!(!evicted.contains(&key), "login {i} evicted its own key");
        let synced = store.use_sync_key(&device, t + i).expect("use");
        assert!(synced.is_some(), "the device's sync after login {i}");
        burst.push(key);
    }
    let kept: Vec<String> = store
        .user_sync_keys(alice.id)
        .expect("keys")
        .into_iter()
        .map(|k| k.digest)
        .collect();
    assert_eq!(kept.len(), 20);
    assert!(kept.contains(&device));
    // The burst dropped its own oldest keys: its newest 19 remain.
    assert!(burst[..6].iter().all(|k| !kept.contains(k)));
    assert!(burst[6..].iter().all(|k| kept.contains(k)));
}

#[test]
fn keys_that_never_synced_are_evicted_before_synced_keys_and_those_by_least_recent_use() {
    let (_dir, store) = fresh_store();
    let alice = add_alice(&*store);
    let t = 1_000_000;
    let (a, _) = login_at(&*store, &alice, t, 3);
    let (b, _) = login_at(&*store, &alice, t + 1, 3);
    store.use_sync_key(&a, t + 2).expect("use");
    // On a clock behind the one that minted it, a first sync still counts as one.
    store.use_sync_key(&b, t).expect("use");
    let (unused, _) = login_at(&*store, &alice, t + 3, 3);
    let (d, evicted) = login_at(&*store, &alice, t + 4, 3);
    assert_eq!(
        evicted,
        vec![unused],
        "the newer key that never synced goes first"
    );
    store.use_sync_key(&d, t + 5).expect("use");
    let (_, evicted) = login_at(&*store, &alice, t + 6, 3);
    assert_eq!(evicted, vec![b], "then the least recently used synced key");
    assert!(store.use_sync_key(&a, t + 7).expect("use").is_some());
}

#[test]
fn disabled_users_cannot_log_in_or_use_keys() {
    let (_dir, store) = fresh_store();
    let alice = add_alice(&*store);
    let minted = mint_host_key(&*store, &alice, "a", 20).expect("mint");
    let entry = AuditEntry {
        at: 1,
        actor: "test".into(),
        action: "user.disable".into(),
        user_id: Some(alice.id),
        detail: String::new(),
    };
    assert!(store
        .set_user_disabled(alice.id, true, &entry)
        .expect("disable"));
    assert!(
        verify_anki_login(&*store, "alice", &secret("alice-password-1"))
            .expect("verify")
            .is_none()
    );
    assert!(store
        .use_sync_key(&minted.key.digest(), 1)
        .expect("use")
        .is_none());
}

#[test]
fn usernames_and_emails_are_validated() {
    assert!(validate_username("alice").is_ok());
    for bad in ["", " alice", "al:ice", "al@ice", "a\u{7}"] {
        assert!(validate_username(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        normalise_email(" Bob@Example.ORG ").ok().as_deref(),
        Some("bob@example.org")
    );
    for bad in ["bob", "bob@", "@x.org", "bob@x", "b ob@x.org", "a@b@c.org"] {
        assert!(normalise_email(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn reopening_keeps_the_instance_id_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = crate::test_support::fresh_database_url();
    let first = store::open(url.as_deref(), dir.path()).expect("open");
    let second = store::open(url.as_deref(), dir.path()).expect("reopen");
    assert_eq!(first.identity(), second.identity());
    match &url {
        None => {
            let conn = r2d2_sqlite::rusqlite::Connection::open(dir.path().join("accounts.sqlite3"))
                .expect("raw open");
            conn.execute("UPDATE instance SET schema_version = 99", [])
                .expect("bump");
        }
        Some(url) => {
            let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
            client
                .batch_execute("UPDATE instance SET schema_version = 99")
                .expect("bump");
        }
    }
    assert!(matches!(
        store::open(url.as_deref(), dir.path()),
        Err(StoreError::SchemaTooNew { found: 99, .. })
    ));
}

#[test]
fn export_then_import_copies_every_row_and_refuses_a_non_empty_target() {
    let (_d1, source) = fresh_store();
    let alice = add_alice(&*source);
    mint_host_key(&*source, &alice, "a", 20).expect("mint");
    let dump = source.export().expect("export");
    assert_eq!(dump.users.len(), 1);
    assert_eq!(dump.sync_keys.len(), 1);
    assert_eq!(dump.audit.len(), 1);

    let (_d2, target) = fresh_store();
    let mut written = 0;
    target.import(&dump, &mut |n| written += n).expect("import");
    assert_eq!(written, dump.row_count());
    assert_eq!(target.export().expect("export"), dump);
    assert_ne!(target.identity().instance_id, source.identity().instance_id);

    let again = target.import(&dump, &mut |_| {});
    assert!(matches!(again, Err(StoreError::NotEmpty(_))));
}

#[test]
fn the_audit_log_lists_newest_first() {
    let (_dir, store) = fresh_store();
    for action in ["one", "two", "three"] {
        store
            .append_audit(&AuditEntry {
                at: 1,
                actor: "test".into(),
                action: action.into(),
                user_id: None,
                detail: String::new(),
            })
            .expect("append");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let actions: Vec<String> = store
        .recent_audit(3)
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, ["three", "two", "one"]);
}
