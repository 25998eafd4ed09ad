//! The HTML text rules rendering shares with Anki: what counts as an empty field, how tags
//! are stripped and entities decoded (the `text:` filter, the typed-answer comparison), and
//! the two escapings Anki writes (minimal for text, the stricter one for attributes).

use std::sync::LazyLock;

use regex::Regex;

use super::entities::NAMED_ENTITIES;

/// A field is empty when it holds only ASCII whitespace and bare `<br>` / `<div>` tags
/// (open or closed, optionally self-closing): such a field hides `{{#Field}}` sections and
/// does not make a card's front non-blank.
pub(super) fn field_is_empty(text: &str) -> bool {
    static EMPTY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?si)^(?:[\t\n\x0B\x0C\r ]|</?(?:br|div) ?/?>)*$").expect("valid regex")
    });
    EMPTY.is_match(text)
}

/// Comments, style and script elements with their content, and any other tag.
static TAGS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?si)<!--.*?-->|<style.*?>.*?</style>|<script.*?>.*?</script>|<.*?>")
        .expect("valid regex")
});

/// Removes tags (and style/script/comment content) but keeps entities as written.
pub(super) fn strip_tags(html: &str) -> String {
    TAGS.replace_all(html, "").into_owned()
}

/// Removes tags, then decodes entities; a no-break space becomes a plain space.
pub(super) fn strip_html(html: &str) -> String {
    decode_entities(&strip_tags(html))
}

/// Decodes character references the way Anki's decoder does: named ones from HTML 4.01
/// and numeric ones (`&#NN;`, `&#xHH;`), each ending in `;`. One malformed or unknown
/// reference anywhere and the text is returned as it was, undecoded; a decoded no-break
/// space becomes a plain space.
pub(super) fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    match try_decode(text) {
        Some(decoded) => decoded.replace('\u{a0}', " "),
        None => text.to_owned(),
    }
}

fn try_decode(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';')?;
        let reference = &after[..end];
        out.push(decode_reference(reference)?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// One reference without its `&` and `;`. Named references may contain any character
/// (and fail the lookup); numeric ones only digits (`x` in lowercase starts a hex one).
fn decode_reference(reference: &str) -> Option<char> {
    if let Some(number) = reference.strip_prefix('#') {
        let (digits, radix) = match number.strip_prefix('x') {
            Some(hex) if hex.chars().all(|c| c.is_ascii_hexdigit()) => (hex, 16),
            Some(_) => return None,
            None if number.starts_with(|c: char| c.is_ascii_digit())
                && number.chars().all(|c| c.is_ascii_digit()) =>
            {
                (number, 10)
            }
            None => return None,
        };
        return u32::from_str_radix(digits, radix)
            .ok()
            .and_then(char::from_u32);
    }
    if reference.is_empty() {
        return None;
    }
    NAMED_ENTITIES
        .binary_search_by(|(name, _)| (*name).cmp(reference))
        .ok()
        .map(|index| NAMED_ENTITIES[index].1)
}

/// The minimal escaping: `& < > " '`.
pub(super) fn escape_minimal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match minimal_entity(c) {
            Some(entity) => out.push_str(entity),
            None => out.push(c),
        }
    }
    out
}

fn minimal_entity(c: char) -> Option<&'static str> {
    Some(match c {
        '&' => "&amp;",
        '<' => "&lt;",
        '>' => "&gt;",
        '"' => "&quot;",
        '\'' => "&#x27;",
        _ => return None,
    })
}

/// The attribute escaping Anki writes into `data-cloze`: the minimal entities, and every
/// other character below U+0100 that is not an ASCII letter or digit as `&#xHH;`.
pub(super) fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if let Some(entity) = minimal_entity(c) {
            out.push_str(entity);
        } else if (c as u32) < 0x100 && !c.is_ascii_alphanumeric() {
            out.push_str(&format!("&#x{:02X};", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_are_whitespace_and_bare_breaks() {
        for empty in ["", " ", "<BR>", "<div />", " <div> <br> </div>\n", "<br/>"] {
            assert!(field_is_empty(empty), "{empty:?}");
        }
        for full in ["x", " <div>x</div>\n", "&nbsp;", "\u{a0}", "<p></p>"] {
            assert!(!field_is_empty(full), "{full:?}");
        }
    }

    #[test]
    fn entities_decode_only_when_every_reference_is_valid() {
        assert_eq!(decode_entities("a &amp; b &lt;&#65;&#x42;"), "a & b <AB");
        assert_eq!(decode_entities("x&nbsp;y"), "x y");
        assert_eq!(decode_entities("&amp; &foo;"), "&amp; &foo;");
        assert_eq!(decode_entities("&amp; &"), "&amp; &");
        assert_eq!(decode_entities("&apos;"), "&apos;");
        assert_eq!(decode_entities("&#X41;"), "&#X41;");
    }

    #[test]
    fn tags_and_their_hidden_content_are_stripped() {
        assert_eq!(strip_html("t<b>e</b>st"), "test");
        assert_eq!(strip_html("so<SCRIPT>t<b>e</b>st</script>me"), "some");
        assert_eq!(strip_html("a<!-- <b> -->b<style>x</style>"), "ab");
    }

    #[test]
    fn attribute_escaping_hex_encodes_latin1_punctuation() {
        assert_eq!(
            escape_attribute("a b=\"c\"/é日"),
            "a&#x20;b&#x3D;&quot;c&quot;&#x2F;&#xE9;日"
        );
        assert_eq!(
            escape_minimal("<a href='x'>&"),
            "&lt;a href=&#x27;x&#x27;&gt;&amp;"
        );
    }
}
