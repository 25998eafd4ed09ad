//! Password policy and the two password hashes a user carries.
//!
//! - Argon2id verifies web logins (SECURITY.md: m = 19 MiB, t = 2, p = 1).
//! - PBKDF2-HMAC-SHA256 with a per-user salt verifies Anki logins, in the PHC form the
//!   official sync server accepts with `PASSWORDS_HASHED`, so accounts move both ways.
//!
//! Every function here is CPU-heavy and blocking: the server reaches them only through
//! [`super::HashingLimiter`].

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use super::pbkdf2_sha256::AnkiPbkdf2;

/// Longest password accepted, in characters and in bytes, checked before any hashing so a
/// huge password cannot be used to burn CPU (SECURITY.md T10).
pub const MAX_PASSWORD_CHARS: usize = 128;
pub const MAX_PASSWORD_BYTES: usize = 512;
/// The floor an operator may lower the minimum to.
pub const LOWEST_MIN_PASSWORD_CHARS: usize = 8;
pub const DEFAULT_MIN_PASSWORD_CHARS: usize = 15;

pub const PBKDF2_ROUNDS: u32 = 600_000;
const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_ITERATIONS: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_chars: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_chars: DEFAULT_MIN_PASSWORD_CHARS,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejected {
    #[error("the password is too short: at least {min} characters are required")]
    TooShort { min: usize },
    #[error("the password is too long: at most {MAX_PASSWORD_CHARS} characters and {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("the password must not contain control characters")]
    ControlCharacter,
}

impl PasswordPolicy {
    /// A policy with the minimum raised to the allowed floor if set lower.
    pub fn with_min_chars(min_chars: usize) -> Self {
        PasswordPolicy {
            min_chars: min_chars.clamp(LOWEST_MIN_PASSWORD_CHARS, MAX_PASSWORD_CHARS),
        }
    }

    /// Checks a new password, in the normalised form it is stored in. Passwords are
    /// refused, never truncated.
    pub fn check(&self, password: &SecretString) -> Result<(), PasswordRejected> {
        if exceeds_max_length(password.expose_secret()) {
            return Err(PasswordRejected::TooLong);
        }
        let normalised = normalised(password);
        let pw = normalised.expose_secret();
        if exceeds_max_length(pw) {
            return Err(PasswordRejected::TooLong);
        }
        if pw.chars().count() < self.min_chars {
            return Err(PasswordRejected::TooShort {
                min: self.min_chars,
            });
        }
        if pw.chars().any(char::is_control) {
            return Err(PasswordRejected::ControlCharacter);
        }
        Ok(())
    }
}

/// The form every password is hashed and checked in: Unicode NFKC, as NIST SP 800-63B
/// (5.1.1.2) advises, so "é" typed as one code point or as "e" and a combining accent
/// (macOS and some phone keyboards send the latter), or a full-width letter, is the same
/// password on the web, in Anki, in adminctl and in a reset.
pub fn normalised(password: &SecretString) -> SecretString {
    use unicode_normalization::UnicodeNormalization;
    SecretString::from(password.expose_secret().nfkc().collect::<String>())
}

/// True for input that is never hashed: logins with it fail without any work.
pub fn exceeds_max_length(password: &str) -> bool {
    password.len() > MAX_PASSWORD_BYTES || password.chars().count() > MAX_PASSWORD_CHARS
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashingError(String);

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, 1, None)
        .expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The Argon2id PHC string for web logins.
pub fn hash_web_password(password: &SecretString) -> Result<String, HashingError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(normalised(password).expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashingError(e.to_string()))
}

/// The PBKDF2-HMAC-SHA256 PHC string for Anki logins: 600 000 rounds, 16-byte salt.
pub fn hash_anki_password(password: &SecretString) -> Result<String, HashingError> {
    let salt = SaltString::generate(&mut OsRng);
    let params = pbkdf2::Params {
        rounds: PBKDF2_ROUNDS,
        output_length: 32,
    };
    AnkiPbkdf2
        .hash_password_customized(
            normalised(password).expose_secret().as_bytes(),
            Some(pbkdf2::Algorithm::Pbkdf2Sha256.ident()),
            None,
            params,
            &salt,
        )
        .map(|h| h.to_string())
        .map_err(|e| HashingError(e.to_string()))
}

/// Checks a web password against an Argon2id hash; `None` (unknown user) verifies against a
/// dummy hash so the time taken says nothing about whether the account exists.
pub fn verify_web_password(hash: Option<&str>, password: &SecretString) -> bool {
    verify_phc(hash, &DUMMY_WEB_HASH, password, &argon2())
}

/// Checks an Anki password against a PBKDF2 PHC hash (sha256 or sha512 variants, any
/// round count the official server accepts); `None` verifies against a dummy hash.
pub fn verify_anki_password(hash: Option<&str>, password: &SecretString) -> bool {
    verify_phc(hash, &DUMMY_ANKI_HASH, password, &AnkiPbkdf2)
}

fn verify_phc(
    hash: Option<&str>,
    dummy: &str,
    password: &SecretString,
    verifier: &dyn PasswordVerifier,
) -> bool {
    let pw = password.expose_secret();
    if exceeds_max_length(pw) {
        return false;
    }
    let (phc, real) = match hash {
        Some(h) => (h, true),
        None => (dummy, false),
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let normalised = normalised(password);
    let mut ok = verifier
        .verify_password(normalised.expose_secret().as_bytes(), &parsed)
        .is_ok();
    if !ok && normalised.expose_secret() != pw {
        // A hash made before passwords were normalised, or imported from the official
        // server (which hashes the bytes as typed), still verifies the password as typed.
        // Unknown users take this path too, so the time says nothing about the account.
        ok = verifier.verify_password(pw.as_bytes(), &parsed).is_ok();
    }
    ok && real
}

static DUMMY_WEB_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_web_password(&SecretString::from("dummy password for unknown users")).unwrap_or_default()
});
static DUMMY_ANKI_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_anki_password(&SecretString::from("dummy password for unknown users")).unwrap_or_default()
});

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s)
    }

    #[test]
    fn policy_refuses_short_long_and_control_characters() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            policy.check(&secret("short")),
            Err(PasswordRejected::TooShort { min: 15 })
        );
        assert_eq!(
            policy.check(&secret(&"x".repeat(129))),
            Err(PasswordRejected::TooLong)
        );
        // 128 characters of up to 4 bytes each stay within 512 bytes: accepted.
        assert_eq!(policy.check(&secret(&"😀".repeat(128))), Ok(()));
        assert_eq!(
            policy.check(&secret("fifteen chars ok\n")),
            Err(PasswordRejected::ControlCharacter)
        );
        assert_eq!(policy.check(&secret("correct horse battery")), Ok(()));
    }

    #[test]
    fn operator_minimum_cannot_go_below_eight() {
        assert_eq!(PasswordPolicy::with_min_chars(4).min_chars, 8);
        assert_eq!(PasswordPolicy::with_min_chars(20).min_chars, 20);
    }

    #[test]
    fn anki_hash_is_the_phc_form_the_official_server_reads() {
        let pw = secret("alice-password-1");
        let phc = hash_anki_password(&pw).expect("hash");
        assert!(phc.starts_with("$pbkdf2-sha256$i=600000,l=32$"), "{phc}");
        assert!(verify_anki_password(Some(&phc), &pw));
        assert!(!verify_anki_password(
            Some(&phc),
            &secret("alice-password-2")
        ));

        // The official server base64-decodes the salt before use (PHC); recompute that way.
        let parts: Vec<&str> = phc.split('$').collect();
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        let salt = b64.decode(parts[3]).expect("salt is base64");
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"alice-password-1", &salt, PBKDF2_ROUNDS, &mut out);
        assert_eq!(b64.encode(out), parts[4]);
    }

    #[test]
    fn anki_hash_from_python_hashlib_verifies() {
        // $ python3 -c "import hashlib,base64; s=b'0123456789abcdef'; \
        //   print(base64.b64encode(hashlib.pbkdf2_hmac('sha256', b'pass', s, 1000)))"
        let phc = "$pbkdf2-sha256$i=1000,l=32$MDEyMzQ1Njc4OWFiY2RlZg$\
                   uCtUzhXnoobQvUnBSmtWv+P9GO2sUVeOVN6d26g+dYM";
        assert!(verify_anki_password(Some(phc), &secret("pass")));
        assert!(!verify_anki_password(Some(phc), &secret("pass2")));
    }

    #[test]
    fn web_hash_is_argon2id_with_the_documented_parameters() {
        let pw = secret("correct horse battery");
        let phc = hash_web_password(&pw).expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_web_password(Some(&phc), &pw));
        assert!(!verify_web_password(
            Some(&phc),
            &secret("wrong horse battery")
        ));
    }

    const NFC: &str = "p\u{e9}ch\u{e9} mignon caf\u{e9}";
    const NFD: &str = "pe\u{301}che\u{301} mignon cafe\u{301}";

    #[test]
    fn composed_and_decomposed_forms_are_one_password_on_both_hashes() {
        assert_ne!(NFC, NFD);
        for made_from in [NFC, NFD] {
            let web = hash_web_password(&secret(made_from)).expect("hash");
            let anki = hash_anki_password(&secret(made_from)).expect("hash");
            for typed in [NFC, NFD] {
                assert!(
                    verify_web_password(Some(&web), &secret(typed)),
                    "{made_from:?} {typed:?}"
                );
                assert!(
                    verify_anki_password(Some(&anki), &secret(typed)),
                    "{made_from:?} {typed:?}"
                );
            }
            assert!(!verify_anki_password(
                Some(&anki),
                &secret("peche mignon cafe")
            ));
        }
        // Full-width letters are their compatibility equivalents (NFKC, not only NFC).
        let anki = hash_anki_password(&secret("correct horse battery")).expect("hash");
        assert!(verify_anki_password(
            Some(&anki),
            &secret("ｃｏｒｒｅｃｔ horse battery")
        ));
    }

    #[test]
    fn an_official_server_hash_of_the_bytes_as_typed_still_verifies() {
        // The official server hashes what the client sends, unnormalised.
        let salt = b"0123456789abcdef";
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(NFD.as_bytes(), salt, 1000, &mut out);
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        let phc = format!(
            "$pbkdf2-sha256$i=1000,l=32${}${}",
            b64.encode(salt),
            b64.encode(out)
        );
        assert!(verify_anki_password(Some(&phc), &secret(NFD)));
        assert!(!verify_anki_password(
            Some(&phc),
            &secret("something else entirely")
        ));
    }

    #[test]
    fn the_policy_counts_the_normalised_password() {
        let policy = PasswordPolicy::with_min_chars(8);
        // Seven characters once composed, fourteen code points as typed.
        assert_eq!(
            policy.check(&secret(
                "e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}"
            )),
            Err(PasswordRejected::TooShort { min: 8 })
        );
    }

    #[test]
    fn unknown_users_never_verify() {
        let pw = secret("dummy password for unknown users");
        assert!(!verify_anki_password(None, &pw));
        assert!(!verify_web_password(None, &pw));
    }

    #[test]
    fn oversized_and_garbage_hashes_fail_without_panicking() {
        assert!(!verify_anki_password(Some("not a phc"), &secret("x")));
        assert!(!verify_anki_password(
            Some("$pbkdf2-sha256$i=1000,l=32$c2FsdA$aGFzaA"),
            &secret(&"x".repeat(1 << 20))
        ));
    }
}
