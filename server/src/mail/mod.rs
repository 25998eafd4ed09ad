//! Email: password-reset links and notices, sent over SMTP (lettre) by one background
//! worker, so no request's answer or timing ever depends on the mail server.
//!
//! Two queues feed the worker. Reset links wait in memory only: the token in them never
//! rests on disk in plain text (a restart loses them; the user asks again). Everything else
//! (notices after a password change, whatever made it: adminctl writes them too) waits in
//! the `mail_outbox` table. Both are retried with growing delays and bounded attempts.
//!
//! A mail is written once, as plain text in the reader's language (`compose`); the outbox
//! keeps that text, and the HTML part and the headers are made from it at sending time
//! (`message`), so a queued notice needs nothing but its recipient, subject and text.

pub mod compose;
mod html;
mod message;
mod settings;
mod smtp;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

pub use crate::outbox::{enqueue, Mail};
pub use settings::{effective_smtp, save_smtp, SMTP_SETTING_NAMES};
pub use smtp::send;

const MEMORY_ATTEMPTS: u32 = 5;
const OUTBOX_ATTEMPTS: i32 = 8;
const OUTBOX_BATCH: i64 = 20;
const POLL: Duration = Duration::from_secs(5);

/// The sending side, kept in [`AppState`].
pub struct Mailer {
    memory: mpsc::Sender<Mail>,
    receiver: std::sync::Mutex<Option<mpsc::Receiver<Mail>>>,
    wake: Notify,
    /// When expired web sessions were last swept (the worker does it hourly).
    last_session_sweep: std::sync::atomic::AtomicI64,
}

impl Default for Mailer {
    fn default() -> Self {
        let (memory, receiver) = mpsc::channel(1024);
        Mailer {
            memory,
            receiver: std::sync::Mutex::new(Some(receiver)),
            wake: Notify::new(),
            last_session_sweep: std::sync::atomic::AtomicI64::new(0),
        }
    }
}

impl Mailer {
    /// Queues a mail that holds a secret (a reset link) in memory; never blocks.
    pub fn send_secret(&self, mail: Mail) {
        if self.memory.try_send(mail).is_err() {
            tracing::warn!("mail queue full; a reset mail was dropped");
        }
    }

    /// Wakes the worker after something was written to the outbox table.
    pub fn outbox_changed(&self) {
        self.wake.notify_one();
    }
}

/// Runs until `stop`: sends memory-queued mail as it comes and the outbox on a poll.
pub async fn run_worker(state: Arc<AppState>, stop: CancellationToken) {
    let Some(mut memory) = state
        .mail
        .mailer
        .receiver
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
    else {
        return;
    };
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            Some(mail) = memory.recv() => {
                let state = Arc::clone(&state);
                tokio::spawn(async move { deliver_with_retries(&state, mail).await });
            }
            () = state.mail.mailer.wake.notified() => drain_outbox(&state).await,
            () = tokio::time::sleep(POLL) => {
                drain_outbox(&state).await;
                forget_dead_sessions(&state).await;
            }
        }
    }
}

/// Deletes web sessions past their absolute or idle expiry, at most once an hour, so the
/// table holds only live ones even for browsers that never come back.
async fn forget_dead_sessions(state: &AppState) {
    use std::sync::atomic::Ordering;
    let now = state.clock.now();
    let last = &state.mail.mailer.last_session_sweep;
    if now - last.load(Ordering::Relaxed) < 3600 {
        return;
    }
    last.store(now, Ordering::Relaxed);
    let idle_before = now - crate::web::session::IDLE_SECS;
    match state
        .with_store(move |s| s.delete_expired_web_sessions(now, idle_before))
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "expired web sessions removed"),
        Err(e) => tracing::warn!(error = %e, "cannot remove expired web sessions"),
    }
}

async fn deliver_with_retries(state: &AppState, mail: Mail) {
    let mut delay = Duration::from_secs(2);
    for attempt in 1..=MEMORY_ATTEMPTS {
        let Some(settings) = effective_smtp(state, &state.mail).await else {
            tracing::warn!(subject = %mail.subject, "SMTP is not configured; mail not sent");
            return;
        };
        match send(&settings, &mail).await {
            Ok(()) => {
                tracing::info!(subject = %mail.subject, "mail sent");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, subject = %mail.subject, "mail not sent; will retry");
                tokio::time::sleep(delay).await;
                delay *= 3;
            }
        }
    }
    tracing::error!(subject = %mail.subject, "mail dropped after {MEMORY_ATTEMPTS} attempts");
}

async fn drain_outbox(state: &Arc<AppState>) {
    let now = crate::clock::now();
    let due = match state
        .with_store(move |s| s.due_mail(now, OUTBOX_BATCH))
        .await
    {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the mail outbox");
            return;
        }
    };
    if due.is_empty() {
        return;
    }
    let settings = effective_smtp(state, &state.mail).await;
    for row in due {
        let id = row.id;
        let outcome = match &settings {
            None => {
                tracing::warn!(subject = %row.subject, "SMTP is not configured; queued notice dropped");
                None
            }
            Some(settings) => {
                let mail = Mail {
                    to: row.recipient.clone(),
                    subject: row.subject.clone(),
                    body: row.body.clone(),
                };
                match send(settings, &mail).await {
                    Ok(()) => {
                        tracing::info!(subject = %row.subject, "mail sent");
                        None
                    }
                    Err(e) if row.attempts + 1 < OUTBOX_ATTEMPTS => {
                        tracing::warn!(error = %e, attempt = row.attempts + 1, "mail not sent; will retry");
                        Some(row.attempts + 1)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, subject = %row.subject, "mail dropped after {OUTBOX_ATTEMPTS} attempts");
                        None
                    }
                }
            }
        };
        let result = match outcome {
            None => state.with_store(move |s| s.delete_mail(id)).await,
            Some(attempts) => {
                let next = crate::clock::now() + 30 * i64::from(1 << attempts.min(10));
                state
                    .with_store(move |s| s.retry_mail(id, attempts, next))
                    .await
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot update the mail outbox");
        }
    }
}
