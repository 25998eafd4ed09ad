//! The web's sentence for each refusal of a new password, in the page's language (the
//! policy's own messages are English and for logs and adminctl).

use crate::accounts::{PasswordRejected, MAX_PASSWORD_CHARS};

use super::i18n::Texts;

/// What the page says when `reason` refused a new password.
pub fn refusal(t: Texts, reason: &PasswordRejected) -> String {
    match reason {
        PasswordRejected::TooShort { min } => t
            .get("auth.password.tooShort")
            .replace("{n}", &min.to_string()),
        PasswordRejected::TooLong => t
            .get("auth.password.tooLong")
            .replace("{n}", &MAX_PASSWORD_CHARS.to_string()),
        PasswordRejected::ControlCharacter => t.get("auth.password.control").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    #[test]
    fn every_refusal_reads_in_german_with_its_number() {
        let t = Texts { lang: Lang::De };
        assert_eq!(
            refusal(t, &PasswordRejected::TooShort { min: 15 }),
            "Das Passwort ist zu kurz. Verwenden Sie mindestens 15 Zeichen."
        );
        assert!(refusal(t, &PasswordRejected::TooLong).contains(&MAX_PASSWORD_CHARS.to_string()));
        assert!(refusal(t, &PasswordRejected::ControlCharacter).contains("Steuerzeichen"));
    }
}
