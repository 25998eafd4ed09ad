//! Post/Redirect/Get: a form post that succeeds answers 303 to a page and leaves a notice
//! in a short-lived cookie; the next page shows it once and clears it. So Back and reload
//! never resend a form, and the browser never shows "ERR_CACHE_MISS".
//!
//! SECURITY: the cookie names one of a fixed set of notices ([`Notice`]); only its one
//! argument (a device name, an address) is text, base64-encoded in the cookie, bounded,
//! stripped of control characters and HTML-escaped by the template. Nothing from the
//! request's query reaches a banner.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;

use crate::state::WebState;

use super::i18n::Texts;
use super::pages::Banner;
use super::session;

pub const FLASH_COOKIE: &str = "ff_flash";
/// Long enough for a redirect, short enough that a notice never shows up much later.
const FLASH_SECS: i64 = 60;
/// Longest argument kept (in bytes, before encoding).
const MAX_ARG_BYTES: usize = 80;

/// Every notice a page can show after a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    SignedOut,
    SessionEnded,
    PasswordChanged,
    PasswordReset,
    /// Argument: the device's name.
    DeviceSignedOut,
    SessionSignedOut,
    OthersSignedOut,
    SettingsSaved,
    SettingsCleared,
    ResetRequested,
    /// Argument: when the snapshot was taken.
    Restored,
}

/// Code in the cookie, text key, banner kind.
const NOTICES: &[(Notice, &str, &str, &str)] = &[
    (
        Notice::SignedOut,
        "signed-out",
        "auth.login.signedOut",
        "info",
    ),
    (
        Notice::SessionEnded,
        "session-ended",
        "auth.login.sessionEnded",
        "info",
    ),
    (
        Notice::PasswordChanged,
        "password-changed",
        "auth.login.passwordChanged",
        "success",
    ),
    (
        Notice::PasswordReset,
        "password-reset",
        "auth.login.passwordReset",
        "success",
    ),
    (
        Notice::DeviceSignedOut,
        "device-signed-out",
        "auth.account.deviceSignedOut",
        "success",
    ),
    (
        Notice::SessionSignedOut,
        "session-signed-out",
        "auth.account.sessionSignedOut",
        "success",
    ),
    (
        Notice::OthersSignedOut,
        "others-signed-out",
        "auth.account.othersSignedOut",
        "success",
    ),
    (
        Notice::SettingsSaved,
        "settings-saved",
        "auth.admin.saved",
        "success",
    ),
    (
        Notice::SettingsCleared,
        "settings-cleared",
        "auth.admin.cleared",
        "success",
    ),
    (
        Notice::ResetRequested,
        "reset-requested",
        "passwordReset.sent",
        "success",
    ),
    (Notice::Restored, "restored", "backups.restored", "success"),
];

impl Notice {
    fn entry(self) -> &'static (Notice, &'static str, &'static str, &'static str) {
        NOTICES
            .iter()
            .find(|(n, ..)| *n == self)
            .unwrap_or(&NOTICES[0])
    }

    fn code(self) -> &'static str {
        self.entry().1
    }

    fn from_code(code: &str) -> Option<Notice> {
        NOTICES.iter().find(|(_, c, ..)| *c == code).map(|e| e.0)
    }
}

/// A notice read back from the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub notice: Notice,
    pub arg: Option<String>,
}

impl Flash {
    /// The banner in the page's language; `{arg}` in the text is the argument.
    pub fn banner(&self, t: Texts) -> Option<Banner> {
        let (_, _, key, kind) = self.notice.entry();
        let text = t
            .get(key)
            .replace("{arg}", self.arg.as_deref().unwrap_or(""));
        Some(Banner { kind, text })
    }
}

/// The argument as stored: control characters dropped, cut at a character boundary.
fn bounded(arg: &str) -> String {
    let mut out = String::new();
    for c in arg.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > MAX_ARG_BYTES {
            break;
        }
        out.push(c);
    }
    out
}

fn encode(notice: Notice, arg: Option<&str>) -> String {
    match arg {
        Some(arg) => format!(
            "{}.{}",
            notice.code(),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bounded(arg))
        ),
        None => notice.code().to_string(),
    }
}

fn decode(value: &str) -> Option<Flash> {
    let (code, arg) = match value.split_once('.') {
        Some((code, arg)) => (code, Some(arg)),
        None => (value, None),
    };
    let notice = Notice::from_code(code)?;
    let arg = match arg {
        Some(encoded) => {
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(encoded)
                .ok()?;
            Some(bounded(&String::from_utf8(bytes).ok()?))
        }
        None => None,
    };
    Some(Flash { notice, arg })
}

fn flash_cookie(state: &WebState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if session::is_https(state) {
        "; Secure"
    } else {
        ""
    };
    let name = session::cookie_name(state, FLASH_COOKIE);
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// The `Set-Cookie` that leaves `notice` for the next page.
pub fn set(state: &WebState, notice: Notice, arg: Option<&str>) -> HeaderValue {
    flash_cookie(state, &encode(notice, arg), FLASH_SECS)
}

/// A 303 to `to` that leaves `notice` for it.
pub fn redirect(state: &WebState, to: &str, notice: Notice, arg: Option<&str>) -> Response {
    let mut response = Redirect::to(to).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set(state, notice, arg));
    response
}

/// The notice the request carries, and the cookies that clear it (none when there was no
/// flash cookie). A page calls this once and sends the cookies with its answer.
pub fn take(state: &WebState, headers: &HeaderMap) -> (Option<Flash>, Vec<HeaderValue>) {
    match session::cookie(state, headers, FLASH_COOKIE) {
        Some(value) => (decode(&value), vec![flash_cookie(state, "", 0)]),
        None => (None, vec![]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_with_and_without_an_argument() {
        for (notice, ..) in NOTICES {
            let plain = decode(&encode(*notice, None)).expect("decodes");
            assert_eq!(plain.notice, *notice);
            assert_eq!(plain.arg, None);
        }
        let named = decode(&encode(
            Notice::DeviceSignedOut,
            Some("Anki 26.09 on <Linux>;"),
        ))
        .expect("decodes");
        assert_eq!(named.arg.as_deref(), Some("Anki 26.09 on <Linux>;"));
    }

    #[test]
    fn unknown_codes_and_broken_arguments_show_nothing() {
        assert_eq!(decode("you-won-a-prize"), None);
        assert_eq!(decode("signed-out.%%%"), None);
        assert_eq!(decode(""), None);
    }

    #[test]
    fn arguments_are_bounded_and_lose_control_characters() {
        let long = "é".repeat(200);
        let flash = decode(&encode(Notice::DeviceSignedOut, Some(&long))).expect("decodes");
        let arg = flash.arg.expect("arg");
        assert!(arg.len() <= MAX_ARG_BYTES && arg.chars().all(|c| c == 'é'));
        let flash = decode(&encode(Notice::DeviceSignedOut, Some("a\r\nb"))).expect("decodes");
        assert_eq!(flash.arg.as_deref(), Some("ab"));
    }

    #[test]
    fn every_notice_has_a_text_in_both_languages() {
        for (_, _, key, _) in NOTICES {
            for lang in [super::super::i18n::Lang::En, super::super::i18n::Lang::De] {
                assert_ne!(Texts { lang }.get(key), "??", "{key}");
            }
        }
    }
}
