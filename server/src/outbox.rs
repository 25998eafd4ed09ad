//! Mail as it is queued: a recipient, a subject and the plain text, and the outbox table
//! notices wait in. Store-level, so the account code (and adminctl) can queue a notice
//! without reaching the mail worker that sends it (`crate::mail`), as DESIGN §11 asks.

use crate::store::{OutboxMail, Store, StoreError};

/// A mail ready to go: recipient, subject, plain-text body. The body is the text part as
/// the reader sees it; the HTML part is derived from it (paragraphs split by a blank line,
/// a link alone on its line becomes a link).
#[derive(Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body may hold a reset link: never in a log.
        f.debug_struct("Mail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Queues a mail in the outbox table (no secrets). Used by the server and by adminctl.
pub fn enqueue(store: &dyn Store, mail: &Mail) -> Result<(), StoreError> {
    let now = crate::clock::now();
    store.enqueue_mail(&OutboxMail {
        id: crate::store::new_id(),
        recipient: mail.to.clone(),
        subject: mail.subject.clone(),
        body: mail.body.clone(),
        created_at: now,
        next_attempt_at: now,
        attempts: 0,
    })
}
