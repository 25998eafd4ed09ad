//! Where a new password comes from. Never argv if it can be helped (SECURITY.md T13): a
//! no-echo prompt, standard input, or a generated one; the positional form warns.

use std::io::{IsTerminal, Read};

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

use super::AdminError;

/// Length of `--generate` passwords: 24 characters of 62 symbols is about 142 bits.
const GENERATED_LEN: usize = 24;
const GENERATED_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub enum PasswordSource {
    /// Given on the command line (warned about).
    Argument(SecretString),
    /// Read from standard input; one trailing newline is removed.
    Stdin,
    Generate,
    /// Asked twice on the terminal without echo.
    Prompt,
}

/// A password and whether it was generated (and so must be shown once).
pub struct NewPassword {
    pub secret: SecretString,
    pub generated: bool,
}

pub fn read_password(source: PasswordSource) -> Result<NewPassword, AdminError> {
    let (secret, generated) = match source {
        PasswordSource::Argument(secret) => {
            eprintln!(
                "warning: a password given on the command line can be seen in `ps` and \
                 shell history; prefer the prompt, --password-stdin or --generate"
            );
            (secret, false)
        }
        PasswordSource::Stdin => (read_stdin()?, false),
        PasswordSource::Generate => (generate(), true),
        PasswordSource::Prompt => (prompt_twice()?, false),
    };
    Ok(NewPassword { secret, generated })
}

fn read_stdin() -> Result<SecretString, AdminError> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| AdminError::BadInput(format!("cannot read the password from stdin: {e}")))?;
    let trimmed = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    if trimmed.is_empty() {
        return Err(AdminError::BadInput("no password on standard input".into()));
    }
    Ok(SecretString::from(trimmed.to_string()))
}

fn prompt_twice() -> Result<SecretString, AdminError> {
    if !std::io::stdin().is_terminal() {
        return Err(AdminError::BadInput(
            "no password given: pass --password-stdin or --generate, or run on a terminal to be prompted"
                .into(),
        ));
    }
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(SecretString::from)
            .map_err(|e| AdminError::BadInput(format!("cannot read the password: {e}")))
    };
    let first = ask("New password: ")?;
    let second = ask("Repeat new password: ")?;
    if first.expose_secret() != second.expose_secret() {
        return Err(AdminError::BadInput("the passwords do not match".into()));
    }
    Ok(first)
}

fn generate() -> SecretString {
    let mut rng = rand::rngs::OsRng;
    let password: String = (0..GENERATED_LEN)
        .map(|_| char::from(GENERATED_ALPHABET[rng.gen_range(0..GENERATED_ALPHABET.len())]))
        .collect();
    SecretString::from(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_pass_the_default_policy_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.expose_secret().len(), GENERATED_LEN);
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(crate::accounts::PasswordPolicy::default().check(&a).is_ok());
    }
}
