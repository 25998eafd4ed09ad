//! The derived note columns a server computes when it stores a note received by sync
//! (protocol §5.3): `sfld`, the sort field without HTML, and `csum`, a checksum of the
//! first field. Clients send both as empty strings.

use std::sync::LazyLock;

use regex::Regex;
use sha1::{Digest, Sha1};

/// `<img src=...>`, `<audio>`, `<video>`, `<object data=...>`: the file name is kept, the
/// way Anki's `strip_html_preserving_media_filenames` keeps it.
static MEDIA_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?xsi)
        <\b(?:img|audio|video|object)\b
        (?:[^>]|"[^"]+?"|'[^']+?')+?
        \b(?:src|data)\b=\s*
        (?:"([^"]+?)"|'([^']+?)'|([^\s>]+?))
        (?:[^>]|"[^"]+?"|'[^']+?')*?
        >"#,
    )
    .expect("static regex")
});

static TAG_OR_COMMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?si)<!--.*?-->|<.*?>").expect("static regex"));

static ENTITY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);").expect("static regex"));

fn decode_entity(entity: &str) -> Option<char> {
    if let Some(hex) = entity.strip_prefix("#x").or(entity.strip_prefix("#X")) {
        return u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
    }
    if let Some(dec) = entity.strip_prefix('#') {
        return dec.parse().ok().and_then(char::from_u32);
    }
    Some(match entity {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => return None,
    })
}

pub fn strip_html_preserving_media_filenames(html: &str) -> String {
    let with_names = MEDIA_TAG.replace_all(html, " ${1}${2}${3} ");
    let text = TAG_OR_COMMENT.replace_all(&with_names, "");
    if !text.contains('&') {
        return text.into_owned();
    }
    ENTITY
        .replace_all(&text, |caps: &regex::Captures| {
            match decode_entity(&caps[1]) {
                Some(c) => c.to_string(),
                None => caps[0].to_owned(),
            }
        })
        .into_owned()
}

/// First 4 bytes of the SHA-1 of the stripped field, big-endian.
pub fn field_checksum(first_field: &str) -> u32 {
    let digest = Sha1::digest(strip_html_preserving_media_filenames(first_field).as_bytes());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_matches_anki() {
        // protocol §5.3, observed: "hello" -> 2868168221
        assert_eq!(field_checksum("hello"), 2868168221);
        assert_eq!(field_checksum("<b>hello</b>"), 2868168221);
    }

    #[test]
    fn html_is_stripped_and_media_names_kept() {
        assert_eq!(
            strip_html_preserving_media_filenames("a<br><img src=\"cat.jpg\">b &amp; c"),
            "a cat.jpg b & c"
        );
        assert_eq!(strip_html_preserving_media_filenames("x<!-- y -->z"), "xz");
        assert_eq!(
            strip_html_preserving_media_filenames("&nbsp;1&#65;&#x42;"),
            " 1AB"
        );
    }
}
