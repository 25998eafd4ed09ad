//! Media references in rendered HTML, rewritten to the server's media route.
//!
//! - `[sound:NAME]` becomes `<audio controls src="/media/NAME"></audio>` (Anki leaves the
//!   tag for its player). NAME is entity-decoded first, as Anki's player reads it.
//! - The `src` (or `data`) of `img`, `audio`, `video`, `source` and `object` tags naming a
//!   local file becomes `/media/NAME`; `http(s)://` and `data:` addresses stay as they are.
//!
//! NAME is percent-encoded (every byte but ASCII letters, digits and `-._~`), so names with
//! spaces, `#`, `?` or `%` reach the route intact.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use super::html::{decode_entities, escape_minimal};

/// The media route rendered references point at.
pub const MEDIA_PREFIX: &str = "/media/";

/// `[sound:NAME]`, NAME at least one character and no `]`.
static SOUND: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[sound:([^\]]+)\]").expect("valid regex"));

/// A media tag up to its `src`/`data` value: double-quoted (1), single-quoted (2) or bare (3).
pub(super) static MEDIA_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?xsi)
        <\b(?:img|audio|video|object|source)\b
        (?:[^>]|"[^"]+?"|'[^']+?')+?
        \b(?:src|data)\b=
        (?:"([^"]+?)"[^>]*>|'([^']+?)'[^>]*>|([^\x20>]+?)(?:\x20[^>]*>|>))
        "#,
    )
    .expect("valid regex")
});

static TTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)\[anki:tts[^\]]*\].*?\[/anki:tts\]").expect("valid regex"));

/// The text without sound tags and text-to-speech directives.
pub(super) fn strip_av_tags(text: &str) -> String {
    let without_sounds = SOUND.replace_all(text, "");
    TTS.replace_all(&without_sounds, "").into_owned()
}

/// Rewrites media tags' local sources, then sound tags, to the media route.
pub(super) fn rewrite(html: &str) -> String {
    let tags = MEDIA_TAG.replace_all(html, |caps: &Captures| {
        let whole = caps.get(0).expect("group 0 always matches");
        let Some(name) = caps.get(1).or_else(|| caps.get(2)).or_else(|| caps.get(3)) else {
            return whole.as_str().to_owned();
        };
        if is_remote(name.as_str()) {
            return whole.as_str().to_owned();
        }
        let start = name.start() - whole.start();
        let end = name.end() - whole.start();
        let tag = whole.as_str();
        let url = escape_minimal(&media_url(&decode_entities(name.as_str())));
        format!("{}{url}{}", &tag[..start], &tag[end..])
    });
    SOUND
        .replace_all(&tags, |caps: &Captures| {
            let url = escape_minimal(&media_url(&decode_entities(&caps[1])));
            format!("<audio controls src=\"{url}\"></audio>")
        })
        .into_owned()
}

pub(super) fn is_remote(name: &str) -> bool {
    let lower = name.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("data:")
}

/// `/media/` and the percent-encoded file name.
pub fn media_url(name: &str) -> String {
    let mut url = String::from(MEDIA_PREFIX);
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            url.push(byte as char);
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sources_and_sounds_point_at_the_media_route() {
        assert_eq!(
            rewrite(r#"<img src="a b.jpg"> [sound:x y.mp3]"#),
            r#"<img src="/media/a%20b.jpg"> <audio controls src="/media/x%20y.mp3"></audio>"#
        );
        assert_eq!(
            rewrite("<img src=bare.gif alt=x>"),
            "<img src=/media/bare.gif alt=x>"
        );
        assert_eq!(
            rewrite("<img src='q&amp;.png'>"),
            "<img src='/media/q%26.png'>"
        );
        let remote = r#"<img alt="p" src="https://example.com/r.png">"#;
        assert_eq!(rewrite(remote), remote);
        assert_eq!(rewrite("[sound:]"), "[sound:]");
    }

    #[test]
    fn av_tags_are_stripped() {
        assert_eq!(
            strip_av_tags("a [sound:b] [anki:tts lang=en]c[/anki:tts]d"),
            "a  d"
        );
    }
}
