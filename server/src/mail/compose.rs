//! What each mail says, in English and German: the reset link and the admin's test mail
//! (the notice after a password change is the account code's: `accounts::notice`).
//!
//! Each is written once, as plain text; the HTML part is derived from that text when the
//! mail is sent (`html.rs`), so the two parts cannot say different things. The text keeps
//! to the shape `html.rs` reads: paragraphs split by a blank line, a link alone on its line.

use crate::lang::Lang;

use super::Mail;

/// The mail with a reset link. The link stands alone on its line with nothing glued to
/// it, so a click, a double-click selection and a copy-paste all take exactly the link.
pub fn reset_link(
    lang: Lang,
    to: &str,
    username: &str,
    link: &str,
    minutes: i64,
    expires_at: i64,
) -> Mail {
    let until = lang.readable_time(expires_at);
    let (subject, body) = match lang {
        Lang::En => (
            "Reset your flashcard-flow password".to_string(),
            format!(
                "Hello {username},\n\n\
                 Someone (we hope you) asked to reset the password of your flashcard-flow \
                 account. Open this link within {minutes} minutes (until {until}) to choose \
                 a new one:\n\n\
                 {link}\n\n\
                 The link works once. If you did not ask for it, ignore this mail: your \
                 password stays as it is.\n"
            ),
        ),
        Lang::De => (
            "Ihr flashcard-flow-Passwort zurücksetzen".to_string(),
            format!(
                "Hallo {username},\n\n\
                 jemand (hoffentlich Sie) möchte das Passwort Ihres flashcard-flow-Kontos \
                 zurücksetzen. Öffnen Sie diesen Link innerhalb von {minutes} Minuten (bis \
                 {until}), um ein neues zu wählen:\n\n\
                 {link}\n\n\
                 Der Link funktioniert nur einmal. Wenn Sie ihn nicht angefordert haben, \
                 ignorieren Sie diese E-Mail: Ihr Passwort bleibt, wie es ist.\n"
            ),
        ),
    };
    Mail {
        to: to.to_string(),
        subject,
        body,
    }
}

/// The test mail of `/admin/settings`.
pub fn test_mail(lang: Lang, to: &str, at: i64) -> Mail {
    let when = lang.readable_time(at);
    let (subject, body) = match lang {
        Lang::En => (
            "flashcard-flow test email".to_string(),
            format!(
                "This is a test email from flashcard-flow, sent on {when}. Mail delivery \
                 works.\n"
            ),
        ),
        Lang::De => (
            "flashcard-flow-Test-E-Mail".to_string(),
            format!(
                "Dies ist eine Test-E-Mail von flashcard-flow, gesendet am {when}. Der \
                 E-Mail-Versand funktioniert.\n"
            ),
        ),
    };
    Mail {
        to: to.to_string(),
        subject,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://flashcards.example/password-reset?token=\
                        AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    #[test]
    fn the_reset_link_stands_alone_on_its_line_in_both_languages() {
        for lang in [Lang::En, Lang::De] {
            let mail = reset_link(lang, "a@example.com", "alice", LINK, 30, 1_796_148_614);
            assert!(mail.body.lines().any(|line| line == LINK), "{}", mail.body);
            assert!(mail.body.contains("18:10 UTC"), "{}", mail.body);
        }
        let de = reset_link(Lang::De, "a@example.com", "alice", LINK, 30, 1_796_148_614);
        assert!(de.body.contains("1. Dezember 2026") && de.subject.contains("zurücksetzen"));
    }
}
