//! Where a sign-in returns to: the page that sent the user to `/login`, carried as
//! `?next=` and a hidden field. SECURITY: only a path on this site is ever followed, so a
//! link cannot make our sign-in page forward someone to another site (an open redirect).

/// Longest `next` followed; anything longer goes home instead.
const MAX_NEXT_LEN: usize = 1024;

/// `next` if it is an absolute path on this site, else `None`.
///
/// Refused: anything not starting with exactly one `/` (so `//host` and `/\host`, which
/// browsers read as another host, are out), a scheme, backslashes, control characters and
/// over-long values.
pub fn safe_next(next: &str) -> Option<String> {
    let bytes = next.as_bytes();
    let one_slash = bytes.first() == Some(&b'/') && !matches!(bytes.get(1), Some(b'/' | b'\\'));
    let clean = !next.contains('\\') && !next.chars().any(char::is_control);
    // A path never needs a colon before its first `/`-segment ends; refusing every colon
    // in the path part keeps `/javascript:…`-like oddities out without parsing URLs.
    let path = next.split(['?', '#']).next().unwrap_or("");
    // It becomes a `Location` header: refused here rather than failing there.
    let header_safe = axum::http::HeaderValue::from_str(next).is_ok();
    (one_slash && clean && header_safe && !path.contains(':') && next.len() <= MAX_NEXT_LEN)
        .then(|| next.to_string())
}

/// `value` percent-encoded for a query string (everything but unreserved characters and
/// `/`).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The sign-in page that returns to `path_and_query` afterwards.
pub fn login_url(path_and_query: &str) -> String {
    match safe_next(path_and_query) {
        Some(next) if next != "/" => format!("/login?next={}", encode_query_value(&next)),
        _ => "/login".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_this_site_are_followed() {
        for ok in ["/decks", "/study/123?x=1&y=2", "/account#devices", "/"] {
            assert_eq!(safe_next(ok).as_deref(), Some(ok), "{ok}");
        }
    }

    #[test]
    fn other_sites_schemes_and_odd_characters_are_refused() {
        for bad in [
            "",
            "decks",
            "//evil.example",
            "//evil.example/path",
            "/\\evil.example",
            "/\\/evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/javascript:alert(1)",
            "/a\\b",
            "/a\nb",
            "/a\tb",
            "/a\u{0}b",
            " /decks",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(MAX_NEXT_LEN))), None);
    }

    #[test]
    fn every_accepted_path_is_a_valid_location_header() {
        for next in ["/décks?q=日本", "/a b", "/x?y=%0A"] {
            let kept = safe_next(next).expect("a path on this site");
            assert!(axum::http::HeaderValue::from_str(&kept).is_ok(), "{next}");
        }
        assert_eq!(safe_next("/a\u{7f}b"), None);
        assert_eq!(safe_next("/a\u{85}b"), None);
    }

    #[test]
    fn the_login_url_carries_the_path_encoded() {
        assert_eq!(login_url("/decks"), "/login?next=/decks");
        assert_eq!(
            login_url("/study/1?a=b&c=d e"),
            "/login?next=/study/1%3Fa%3Db%26c%3Dd%20e"
        );
        assert_eq!(login_url("/"), "/login");
        assert_eq!(login_url("//evil.example"), "/login");
    }
}
