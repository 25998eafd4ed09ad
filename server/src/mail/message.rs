//! A [`Mail`] as an Internet message: `From`, `To`, `Subject`, `Date`, a `Message-ID` in
//! the sender's domain, `MIME-Version`, and a `multipart/alternative` body with the plain
//! text and the HTML derived from it.
//!
//! Both parts are base64. Lettre would pick quoted-printable for a body with a line past 76
//! characters (every reset link is one), and quoted-printable breaks such a line with soft
//! `=` breaks and writes the link's `token=` as `token=3D`: clients that decode it are fine,
//! but anyone pasting from the raw source or a naive viewer gets a broken link. Base64 is
//! safe over any relay (no 8BITMIME needed) and decodes to the lines exactly as written.

use base64::Engine;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use rand::RngCore;

use super::html::html_part;
use super::smtp::SendError;
use super::Mail;

/// Builds the message from `from` (a mailbox, `Name <address>` or a bare address).
pub fn build(from: &str, mail: &Mail) -> Result<Message, SendError> {
    let from: Mailbox = from
        .parse()
        .map_err(|_| SendError::Address(from.to_string()))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|_| SendError::Address(mail.to.clone()))?;
    let message_id = new_message_id(from.email.domain());
    let html = html_part(&mail.subject, &mail.body);
    let alternative = MultiPart::alternative()
        .singlepart(part(ContentType::TEXT_PLAIN, mail.body.clone()))
        .singlepart(part(ContentType::TEXT_HTML, html));
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(message_id))
        .date_now()
        .multipart(alternative)
        .map_err(|e| SendError::Build(e.to_string()))
}

fn part(content_type: ContentType, text: String) -> SinglePart {
    // Base64 accepts any input: lettre's `Err` is only for 7bit/8bit on unfit text.
    let body =
        Body::new_with_encoding(text, ContentTransferEncoding::Base64).unwrap_or_else(Body::new);
    SinglePart::builder().header(content_type).body(body)
}

/// `<random@domain>`: 128 random bits, so ids never repeat, in the sender's own domain as
/// RFC 5322 §3.6.4 advises (not this host's name, which says nothing to the recipient).
fn new_message_id(domain: &str) -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    format!("<{id}@{domain}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Mail {
        Mail {
            to: "alice@example.com".into(),
            subject: "Grüße".into(),
            body: "Hallo <alice>,\n\n\
                   https://flashcards.example/password-reset?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
                .into(),
        }
    }

    #[test]
    fn every_message_has_the_standard_headers_and_two_base64_parts() {
        let message =
            build("flashcard-flow <noreply@flashcards.example>", &sample()).expect("message");
        let raw = String::from_utf8(message.formatted()).expect("ascii");
        let (head, body) = raw.split_once("\r\n\r\n").expect("header and body");
        for header in [
            "MIME-Version: 1.0\r\n",
            "Date: ",
            "From: ",
            "To: ",
            "Subject: ",
        ] {
            assert!(head.contains(header), "{header} in {head}");
        }
        let id = head
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .expect("a Message-ID");
        assert!(
            id.starts_with('<') && id.ends_with("@flashcards.example>"),
            "{id}"
        );
        assert!(
            head.contains("Content-Type: multipart/alternative"),
            "{head}"
        );
        assert!(body.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(body.contains("Content-Type: text/html; charset=utf-8"));
        assert_eq!(body.matches("Content-Transfer-Encoding: base64").count(), 2);
        assert!(raw.is_ascii(), "everything 7-bit safe");
    }

    #[test]
    fn message_ids_never_repeat() {
        let a = build("noreply@flashcards.example", &sample()).expect("message");
        let b = build("noreply@flashcards.example", &sample()).expect("message");
        let id = |m: &Message| {
            String::from_utf8(m.formatted())
                .expect("ascii")
                .lines()
                .find_map(|l| l.strip_prefix("Message-ID: ").map(str::to_string))
        };
        assert_ne!(id(&a), id(&b));
    }
}
