//! Media file names. A name comes from a client and becomes a path under the user's media
//! folder, so this check is what keeps every write inside that folder (SECURITY.md T17).

use unicode_normalization::is_nfc;

/// The longest name accepted, in bytes (the official server's limit).
pub const MAX_NAME_BYTES: usize = 255;

/// Accepts a plain file name: non-empty, at most 255 bytes, NFC-normalised (as the client
/// sends them), no path separators or NUL, not `.` or `..`, no control characters.
pub fn validate(name: &str) -> Result<(), String> {
    let refuse = |why: &str| Err(format!("media name {name:?} refused: {why}"));
    if name.is_empty() || name.len() > MAX_NAME_BYTES {
        return refuse("it must be 1 to 255 bytes");
    }
    if name == "." || name == ".." {
        return refuse("not a file name");
    }
    if name.contains(['/', '\\']) {
        return refuse("path separators are not allowed");
    }
    if name.chars().any(char::is_control) {
        return refuse("control characters are not allowed");
    }
    if !is_nfc(name) {
        return refuse("it is not NFC-normalised");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_pass() {
        for name in [
            "a.jpg",
            "sound 1.mp3",
            "日本語-ñandú.png",
            ".hidden",
            "a..b",
        ] {
            assert!(validate(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn anything_that_could_leave_the_folder_is_refused() {
        let long = "x".repeat(256);
        let decomposed = "n\u{303}andu.png"; // NFD form of "ñandu.png"
        for name in [
            "",
            ".",
            "..",
            "../etc/passwd",
            "/etc/passwd",
            "a/b",
            "a\\b",
            "..\\x",
            "a\0b",
            "a\nb",
            &long,
            decomposed,
        ] {
            assert!(validate(name).is_err(), "{name:?}");
        }
    }
}
