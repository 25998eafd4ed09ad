//! The one login-limit policy (SECURITY.md T18, T21): web sign-in, `POST /api/login`,
//! Anki's `/sync/hostKey`, the account page's current-password check and, later, second
//! factor codes all ask [`LoginLimits::admit`] before any hashing.
//!
//! Failures are counted per client address and per account name as given (so the answer
//! and its timing are the same whether the account exists). After a few free failures each
//! further attempt on a key waits a growing delay, doubling up to [`LoginPolicy::max_delay`].
//! An attempt reserves its slot when it is admitted and counts as a failure until it
//! succeeds, so a parallel burst is spaced exactly like a serial run; an attempt whose slot
//! lies more than `max_delay` ahead is refused at once (no hashing) with the real wait.
//!
//! Nobody is locked out: the wait is never longer than `max_delay`, and an address with no
//! failure of its own (the account's owner on another network) is not queued behind the
//! guesses made for the account elsewhere: it only waits the account's current delay, so
//! the right password still works while someone else guesses. A success clears the
//! account's count (but never the address's, or an attacker could reset their own address
//! by signing in to an account they hold). Counts are forgotten after
//! [`LoginPolicy::forget_after`] without a failure.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The numbers of the policy (SECURITY.md "login limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failures for one account (from anywhere) before its attempts are delayed.
    pub free_failures_per_account: u32,
    /// Failures from one address (for any account) before its attempts are delayed; higher,
    /// since a school or an office shares one address.
    pub free_failures_per_address: u32,
    /// The first delay; each further failure doubles it.
    pub first_delay: Duration,
    /// The longest wait anyone is asked for.
    pub max_delay: Duration,
    /// A key with no failure for this long starts again from zero.
    pub forget_after: Duration,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            free_failures_per_account: 5,
            free_failures_per_address: 10,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            forget_after: Duration::from_secs(15 * 60),
        }
    }
}

impl LoginPolicy {
    /// The gap after the `charged`-th attempt on a key with `free` free failures.
    fn spacing(&self, charged: u32, free: u32) -> Duration {
        if charged < free {
            return Duration::ZERO;
        }
        let doublings = (charged - free).min(16);
        self.first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

/// What a login path is checking: each has its own counts, so guessing the current
/// password on the account page and guessing at `/sync/hostKey` are both limited, and
/// neither can be used to reset the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginKind {
    /// Web sign-in, `/api/login` and `/sync/hostKey`: one password, one count.
    Password,
    /// The current password asked for by the account page before a change.
    CurrentPassword,
    /// A second-factor code.
    SecondFactor,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Address(LoginKind, IpAddr),
    /// A digest of the account name as given (trimmed, lower-cased), never the name.
    Account(LoginKind, [u8; 16]),
}

#[derive(Debug)]
struct Record {
    failures: u32,
    in_flight: u32,
    next_slot: Instant,
    last_activity: Instant,
}

impl Record {
    fn new(now: Instant) -> Self {
        Record {
            failures: 0,
            in_flight: 0,
            next_slot: now,
            last_activity: now,
        }
    }

    /// Attempts counted against the key: its failures, and those in flight as if they
    /// will fail, past `in_flight_allowance` of them.
    fn charged(&self, in_flight_allowance: u32) -> u32 {
        self.failures
            .saturating_add(self.in_flight.saturating_sub(in_flight_allowance))
    }

    fn is_clean(&self) -> bool {
        self.failures == 0 && self.in_flight == 0
    }
}

/// Attempts from one address that may be in flight at once before they count against it:
/// a class signing in together behind one NAT, or every client of a proxy without
/// `trusted_proxies`, is not refused; a parallel guesser gets this many once per
/// `forget_after` and is then spaced like a serial one. Attempts for one account always
/// count (no allowance), so a parallel burst at an account is spaced exactly like a
/// serial run.
pub const ADDRESS_IN_FLIGHT_ALLOWANCE: u32 = 32;

/// Keys kept at most; past it, keys that impose no delay are forgotten first.
const MAX_KEYS: usize = 100_000;

/// The decision for one attempt.
#[must_use]
pub enum Admission {
    /// Check the password after `wait`; report the outcome on the ticket.
    Proceed { wait: Duration, ticket: LoginTicket },
    /// Refused without checking; the client may try again after `retry_after`.
    Refused { retry_after: Duration },
}

/// The shared limiter; cheap to clone.
#[derive(Clone, Default)]
pub struct LoginLimits {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    policy: LoginPolicy,
    records: Mutex<HashMap<Key, Record>>,
}

impl LoginLimits {
    pub fn new(policy: LoginPolicy) -> Self {
        LoginLimits {
            inner: Arc::new(Inner {
                policy,
                records: Mutex::default(),
            }),
        }
    }

    pub fn policy(&self) -> LoginPolicy {
        self.inner.policy
    }

    /// Decides an attempt from `address` for the account named `login`, at `now`.
    pub fn admit(&self, kind: LoginKind, address: IpAddr, login: &str, now: Instant) -> Admission {
        let policy = self.inner.policy;
        let address_key = Key::Address(kind, address_bucket(address));
        let account_key = Key::Account(kind, account_digest(login));
        let mut records = self.lock();
        if records.len() >= MAX_KEYS {
            prune(&mut records, &policy, now);
        }
        for key in [&address_key, &account_key] {
            let record = records
                .entry(key.clone())
                .or_insert_with(|| Record::new(now));
            if now.duration_since(record.last_activity) >= policy.forget_after
                && record.in_flight == 0
            {
                *record = Record::new(now);
            }
        }
        let address = &records[&address_key];
        let account = &records[&account_key];
        // An address with nothing against it waits the account's delay but is not queued
        // behind the account's other attempts: the owner is never locked out by guesses
        // made elsewhere, and a guesser's own address stops being clean at its first miss.
        let account_queues = !address.is_clean();
        let mut slot = now.max(address.next_slot);
        if account_queues {
            slot = slot.max(account.next_slot);
        } else {
            slot = slot
                .max(now + policy.spacing(account.charged(0), policy.free_failures_per_account));
        }
        let wait = slot.saturating_duration_since(now);
        if wait > policy.max_delay {
            // Queued further ahead than anyone is made to wait: refuse now, unchecked and
            // uncounted, and say when the slot comes free.
            return Admission::Refused { retry_after: wait };
        }
        let mut keys = vec![address_key.clone()];
        if account_queues {
            keys.push(account_key.clone());
        }
        for key in [&address_key, &account_key] {
            let (free, allowance) = match key {
                Key::Address(..) => (
                    policy.free_failures_per_address,
                    ADDRESS_IN_FLIGHT_ALLOWANCE,
                ),
                Key::Account(..) => (policy.free_failures_per_account, 0),
            };
            if let Some(record) = records.get_mut(key) {
                record.in_flight += 1;
                record.last_activity = now;
                if keys.contains(key) {
                    record.next_slot = slot + policy.spacing(record.charged(allowance), free);
                }
            }
        }
        Admission::Proceed {
            wait,
            ticket: LoginTicket {
                limits: self.clone(),
                address_key,
                account_key,
                reported: false,
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Record>> {
        self.inner
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn finish(&self, ticket: &LoginTicket, outcome: Outcome) {
        let now = Instant::now();
        let mut records = self.lock();
        for key in [&ticket.address_key, &ticket.account_key] {
            if let Some(record) = records.get_mut(key) {
                record.in_flight = record.in_flight.saturating_sub(1);
                record.last_activity = now;
                if outcome == Outcome::Failed {
                    record.failures = record.failures.saturating_add(1);
                }
            }
        }
        if outcome == Outcome::Succeeded {
            if let Some(account) = records.get_mut(&ticket.account_key) {
                account.failures = 0;
                account.next_slot = now;
            }
        }
    }

    /// Keys currently held (for tests and `Status`).
    pub fn tracked_keys(&self) -> usize {
        self.lock().len()
    }
}

/// Forgets what no longer matters: stale keys, then (if still full) keys under their free
/// allowance, which impose no delay on anyone.
fn prune(records: &mut HashMap<Key, Record>, policy: &LoginPolicy, now: Instant) {
    records.retain(|_, r| {
        r.in_flight > 0 || now.duration_since(r.last_activity) < policy.forget_after
    });
    if records.len() >= MAX_KEYS {
        let lowest_free = policy
            .free_failures_per_account
            .min(policy.free_failures_per_address);
        records.retain(|_, r| r.in_flight > 0 || r.failures >= lowest_free);
    }
}

/// IPv6 clients get a /64 each, so an attacker cannot step through the addresses of one
/// network to reset their count.
fn address_bucket(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

fn account_digest(login: &str) -> [u8; 16] {
    let digest = Sha256::digest(login.trim().to_lowercase().as_bytes());
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// An admitted attempt. Report its outcome with [`LoginTicket::succeeded`] or
/// [`LoginTicket::failed`]; one dropped without a report (a client that went away, a
/// failed lookup) counts as a failure, so abandoning attempts cannot bypass the limit.
pub struct LoginTicket {
    limits: LoginLimits,
    address_key: Key,
    account_key: Key,
    reported: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Succeeded,
    Failed,
    Unchecked,
}

impl LoginTicket {
    /// The password was right: the account's count starts again.
    pub fn succeeded(self) {
        self.report(Outcome::Succeeded);
    }

    /// The password was wrong (or the account unknown): one more failure on each key.
    pub fn failed(self) {
        self.report(Outcome::Failed);
    }

    /// Nothing was checked (the hashing queue shed it): the slot is given back uncounted.
    pub fn unchecked(self) {
        self.report(Outcome::Unchecked);
    }

    fn report(mut self, outcome: Outcome) {
        self.reported = true;
        self.limits.finish(&self, outcome);
    }
}

impl Drop for LoginTicket {
    fn drop(&mut self) {
        if !self.reported {
            self.limits.finish(self, Outcome::Failed);
        }
    }
}

/// Whole seconds to put in `Retry-After` and in the message (at least 1).
pub fn retry_after_secs(retry_after: Duration) -> u64 {
    (retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests;
