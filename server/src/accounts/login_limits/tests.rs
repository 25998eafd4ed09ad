use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use super::*;

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
const OWNER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20));

fn limits() -> LoginLimits {
    LoginLimits::new(LoginPolicy::default())
}

/// Admits one attempt and reports it failed at once; returns the wait it was given, or
/// `None` when it was refused.
fn fail_once(limits: &LoginLimits, ip: IpAddr, login: &str, now: Instant) -> Option<Duration> {
    match limits.admit(LoginKind::Password, ip, login, now) {
        Admission::Proceed { wait, ticket } => {
            ticket.failed();
            Some(wait)
        }
        Admission::Refused { .. } => None,
    }
}

#[test]
fn serial_failures_wait_longer_each_time_up_to_the_cap() {
    let limits = limits();
    let policy = limits.policy();
    let mut now = Instant::now();
    let mut waits = Vec::new();
    for _ in 0..12 {
        let wait =
            fail_once(&limits, ATTACKER, "alice", now).expect("serial attempts are admitted");
        waits.push(wait);
        // The next guess comes as soon as this one's answer is in.
        now += wait;
    }
    let free = policy.free_failures_per_account as usize;
    assert!(waits[..free].iter().all(Duration::is_zero), "{waits:?}");
    assert_eq!(waits[free], policy.first_delay, "{waits:?}");
    for pair in waits[free..].windows(2) {
        assert!(pair[1] >= pair[0], "the delay never shrinks: {waits:?}");
    }
    assert_eq!(waits[waits.len() - 1], policy.max_delay, "{waits:?}");
    assert!(waits.iter().all(|w| *w <= policy.max_delay));
}

#[test]
fn a_parallel_burst_is_spaced_like_a_serial_run_and_the_rest_refused_unchecked() {
    let limits = limits();
    let now = Instant::now();
    let mut tickets = Vec::new();
    let mut refused = 0;
    for _ in 0..500 {
        match limits.admit(LoginKind::Password, ATTACKER, "alice", now) {
            Admission::Proceed { wait, ticket } => tickets.push((wait, ticket)),
            Admission::Refused { retry_after } => {
                assert!(retry_after > limits.policy().max_delay);
                refused += 1;
            }
        }
    }
    // 5 free, then slots at 0.25, 0.75, 1.75 and 3.75 s; the next would be 7.75 s away.
    let waits: Vec<u128> = tickets.iter().map(|(w, _)| w.as_millis()).collect();
    assert_eq!(waits, [0, 0, 0, 0, 0, 250, 750, 1750, 3750]);
    assert_eq!(refused, 491);
    for (_, ticket) in tickets {
        ticket.failed();
    }
}

#[test]
fn the_owner_on_another_address_is_not_queued_behind_the_guesses() {
    let limits = limits();
    let policy = limits.policy();
    let mut now = Instant::now();
    // Guessing fills the account's queue as far as it goes.
    for _ in 0..40 {
        if let Some(wait) = fail_once(&limits, ATTACKER, "alice", now) {
            now += wait / 2;
        }
    }
    assert!(matches!(
        limits.admit(LoginKind::Password, ATTACKER, "alice", now),
        Admission::Refused { .. }
    ));
    match limits.admit(LoginKind::Password, OWNER, "Alice ", now) {
        Admission::Proceed { wait, ticket } => {
            assert!(wait <= policy.max_delay, "{wait:?}");
            now += wait;
            ticket.succeeded();
        }
        Admission::Refused { .. } => panic!("the owner is locked out"),
    }
    // Their success clears the account's count, not the guesser's address.
    match limits.admit(LoginKind::Password, OWNER, "alice", now) {
        Admission::Proceed { wait, ticket } => {
            assert_eq!(wait, Duration::ZERO);
            ticket.succeeded();
        }
        Admission::Refused { .. } => panic!("the owner is locked out"),
    }
    // The guesser's address keeps its count: a few more misses on other accounts and it
    // is delayed again.
    for login in ["bob", "carol", "dave"] {
        let _ = fail_once(&limits, ATTACKER, login, now);
    }
    assert!(!matches!(
        limits.admit(LoginKind::Password, ATTACKER, "erin", now),
        Admission::Proceed { wait, .. } if wait.is_zero()
    ));
}

#[test]
fn guessing_one_account_never_delays_another_account_from_another_address() {
    let limits = limits();
    let now = Instant::now();
    for _ in 0..30 {
        let _ = fail_once(&limits, ATTACKER, "alice", now);
    }
    match limits.admit(LoginKind::Password, OWNER, "bob", now) {
        Admission::Proceed { wait, ticket } => {
            assert_eq!(wait, Duration::ZERO);
            ticket.succeeded();
        }
        Admission::Refused { .. } => panic!("another account was blocked"),
    }
}

#[test]
fn the_same_address_for_another_account_waits_at_most_the_cap_once_guessing_stops() {
    let limits = limits();
    let policy = limits.policy();
    let mut now = Instant::now();
    for _ in 0..30 {
        if let Some(wait) = fail_once(&limits, ATTACKER, "alice", now) {
            now += wait;
        }
    }
    now += policy.max_delay;
    match limits.admit(LoginKind::Password, ATTACKER, "bob", now) {
        Admission::Proceed { wait, ticket } => {
            assert!(wait <= policy.max_delay);
            ticket.succeeded();
        }
        Admission::Refused { .. } => panic!("a shared address locked out another account"),
    }
}

#[test]
fn counts_are_forgotten_after_a_quiet_spell() {
    let limits = limits();
    let policy = limits.policy();
    let mut now = Instant::now();
    for _ in 0..20 {
        if let Some(wait) = fail_once(&limits, ATTACKER, "alice", now) {
            now += wait;
        }
    }
    now += policy.forget_after;
    assert_eq!(
        fail_once(&limits, ATTACKER, "alice", now),
        Some(Duration::ZERO)
    );
}

#[test]
fn an_abandoned_attempt_counts_as_a_failure() {
    let limits = limits();
    let now = Instant::now();
    for _ in 0..5 {
        match limits.admit(LoginKind::Password, ATTACKER, "alice", now) {
            Admission::Proceed { ticket, .. } => drop(ticket),
            Admission::Refused { .. } => panic!("refused too early"),
        }
    }
    let wait = fail_once(&limits, ATTACKER, "alice", now).expect("admitted");
    assert_eq!(wait, limits.policy().first_delay);
}

#[test]
fn each_login_kind_has_its_own_counts() {
    let limits = limits();
    let now = Instant::now();
    for _ in 0..30 {
        let _ = fail_once(&limits, ATTACKER, "alice", now);
    }
    assert!(matches!(
        limits.admit(LoginKind::CurrentPassword, ATTACKER, "alice", now),
        Admission::Proceed { wait, .. } if wait.is_zero()
    ));
}

#[test]
fn ipv6_addresses_of_one_network_share_a_count() {
    let limits = limits();
    let now = Instant::now();
    for host in 0..30u16 {
        let ip = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, host));
        let _ = fail_once(&limits, ip, &format!("user{host}"), now);
    }
    let next = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 9, 9, 9, 9));
    assert!(!matches!(
        limits.admit(LoginKind::Password, next, "someone", now),
        Admission::Proceed { wait, .. } if wait.is_zero()
    ));
}

#[test]
fn retry_after_rounds_up_to_whole_seconds() {
    assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
    assert_eq!(retry_after_secs(Duration::from_millis(4000)), 4);
    assert_eq!(retry_after_secs(Duration::from_millis(4001)), 5);
    assert_eq!(retry_after_secs(Duration::ZERO), 1);
}
