//! The notice every password change sends the account's owner (SECURITY.md T14), in
//! English and German. Written as plain text in the shape the mail worker turns into its
//! HTML part (paragraphs split by a blank line).

use crate::lang::Lang;
use crate::outbox::Mail;

use super::ChangeReason;

/// The notice every password change sends the account's owner (SECURITY.md T14).
pub fn password_changed(
    lang: Lang,
    to: &str,
    username: &str,
    at: i64,
    reason: ChangeReason,
) -> Mail {
    let when = lang.readable_time(at);
    let (subject, body) = match lang {
        Lang::En => {
            let how = match reason {
                ChangeReason::Operator => "by your server's operator",
                ChangeReason::AccountPage => "on the account page",
                ChangeReason::EmailedLink => "with a reset link sent by email",
            };
            (
                "Your flashcard-flow password was changed".to_string(),
                format!(
                    "Hello {username},\n\n\
                     The password of your flashcard-flow account was changed on {when}, \
                     {how}. Every device and browser was signed out; sign in again with the \
                     new password.\n\n\
                     If you did not do this, reset your password at once and tell your \
                     server's operator.\n"
                ),
            )
        }
        Lang::De => {
            let how = match reason {
                ChangeReason::Operator => "vom Betreiber Ihres Servers",
                ChangeReason::AccountPage => "auf der Kontoseite",
                ChangeReason::EmailedLink => "mit einem per E-Mail gesendeten Link",
            };
            (
                "Ihr flashcard-flow-Passwort wurde geändert".to_string(),
                format!(
                    "Hallo {username},\n\n\
                     das Passwort Ihres flashcard-flow-Kontos wurde am {when} {how} \
                     geändert. Alle Geräte und Browser wurden abgemeldet; melden Sie sich \
                     mit dem neuen Passwort wieder an.\n\n\
                     Wenn Sie das nicht waren, setzen Sie Ihr Passwort sofort zurück und \
                     benachrichtigen Sie den Betreiber Ihres Servers.\n"
                ),
            )
        }
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

    #[test]
    fn the_notice_names_the_time_as_a_date_and_never_unix_time() {
        for lang in [Lang::En, Lang::De] {
            for reason in [
                ChangeReason::Operator,
                ChangeReason::AccountPage,
                ChangeReason::EmailedLink,
            ] {
                let mail = password_changed(lang, "a@example.com", "alice", 1_796_148_614, reason);
                assert!(mail.body.contains("2026, 18:10 UTC"), "{}", mail.body);
                assert!(!mail.body.contains("Unix"), "{}", mail.body);
            }
        }
    }
}
