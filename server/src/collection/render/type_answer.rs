//! Typed answers (`{{type:F}}`, `{{type:cloze:F}}`, `{{type:nc:F}}`): what the typed text
//! is compared with, and the comparison HTML Anki shows on the answer side
//! (`col.compare_answer`): `<code id=typeans>` holding the typed text with each stretch
//! marked `typeGood` / `typeBad` / `typeMissed`, an arrow, and the expected text marked
//! the same way; a single `typeGood` span when they match; only the expected text when
//! nothing was typed.

use std::sync::LazyLock;

use regex::Regex;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::html::{escape_minimal, strip_html};
use super::media::strip_av_tags;
use super::sequence_match::{steps, Op};

/// The placeholder the `type` filter leaves: `[[type:F]]`, `[[type:cloze:F]]` or
/// `[[type:nc:F]]`.
pub(super) static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[\[type:(.+?)\]\]").expect("valid regex"));

/// What a type-answer placeholder asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Spec<'a> {
    pub field: &'a str,
    pub cloze: bool,
    /// `false` for `type:nc:`: accents and other combining marks are ignored.
    pub combining: bool,
}

/// Reads `cloze:F`, `nc:F` or `F` (the text between `[[type:` and `]]`).
pub(super) fn spec(inner: &str) -> Spec<'_> {
    let (cloze, rest) = match inner.strip_prefix("cloze:") {
        Some(rest) => (true, rest.split(':').next().unwrap_or_default()),
        None => (false, inner),
    };
    let (combining, field) = match rest.strip_prefix("nc:") {
        Some(rest) => (false, rest.split(':').next().unwrap_or_default()),
        None => (true, rest),
    };
    Spec {
        field,
        cloze,
        combining,
    }
}

/// The comparison HTML for `typed` against `expected` (field HTML: sounds, line breaks
/// and tags are removed first).
pub fn compare_answer(expected: &str, typed: &str, combining: bool) -> String {
    let expected = plain_expected(expected);
    let body = if typed.is_empty() {
        escape_minimal(&expected)
    } else if combining {
        let typed: Vec<char> = typed.nfc().collect();
        let expected_chars: Vec<char> = expected.nfc().collect();
        let shown: Vec<String> = expected_chars.iter().map(char::to_string).collect();
        diff_html(&typed, &expected_chars, &shown, true)
    } else {
        let typed: Vec<char> = typed.nfkd().filter(|c| !is_combining_mark(*c)).collect();
        // Each base character keeps its marks for display.
        let mut bases = Vec::new();
        let mut shown: Vec<String> = Vec::new();
        for c in expected.nfkd() {
            if is_combining_mark(c) {
                if let Some(last) = shown.last_mut() {
                    last.push(c);
                }
            } else {
                bases.push(c);
                shown.push(c.to_string());
            }
        }
        if typed == bases {
            return format!(
                "<code id=typeans><span class=typeGood>{}</span></code>",
                escape_minimal(&expected)
            );
        }
        diff_html(&typed, &bases, &shown, false)
    };
    format!("<code id=typeans>{body}</code>")
}

/// Sounds removed, runs of line breaks (`\n`, `<br>`, `<div>`, `</div>`) as one space,
/// tags stripped, entities decoded, trimmed.
fn plain_expected(expected: &str) -> String {
    static LINE_BREAKS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?si)(?:\n|<br\s?/?>|</?div>)+").expect("valid regex"));
    let without_sounds = strip_av_tags(expected);
    strip_html(&LINE_BREAKS.replace_all(&without_sounds, " "))
        .trim()
        .to_owned()
}

/// `shown[k]` is how expected character `k` is displayed. With `isolate`, a stretch that
/// starts with a combining mark gets a no-break space first so it does not join the
/// previous stretch; Anki does that on the typed line always, on the expected one only
/// when comparing with combining marks.
fn diff_html(typed: &[char], expected: &[char], shown: &[String], isolate: bool) -> String {
    if typed == expected {
        return format!(
            "<span class=typeGood>{}</span>",
            escape_minimal(&shown.concat())
        );
    }
    let mut typed_line = String::new();
    let mut expected_line = String::new();
    for step in steps(typed, expected) {
        let typed_text: String = typed[step.typed.clone()].iter().collect();
        let expected_text = shown[step.expected.clone()].concat();
        match step.op {
            Op::Equal => {
                push_span(&mut typed_line, "typeGood", &typed_text, true);
                push_span(&mut expected_line, "typeGood", &expected_text, isolate);
            }
            Op::Delete => push_span(&mut typed_line, "typeBad", &typed_text, true),
            Op::Insert => {
                let dashes = "-".repeat(step.expected.len());
                push_span(&mut typed_line, "typeMissed", &dashes, true);
                push_span(&mut expected_line, "typeMissed", &expected_text, isolate);
            }
            Op::Replace => {
                push_span(&mut typed_line, "typeBad", &typed_text, true);
                push_span(&mut expected_line, "typeMissed", &expected_text, isolate);
            }
        }
    }
    format!("{typed_line}<br><span id=typearrow>&darr;</span><br>{expected_line}")
}

fn push_span(out: &mut String, class: &str, text: &str, isolate: bool) {
    let starts_with_mark = text.chars().next().is_some_and(is_combining_mark);
    let text = if isolate && starts_with_mark {
        format!("\u{a0}{text}")
    } else {
        text.to_owned()
    };
    out.push_str(&format!(
        "<span class={class}>{}</span>",
        escape_minimal(&text)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_name_their_field_and_mode() {
        assert_eq!(
            spec("cloze:Text"),
            Spec {
                field: "Text",
                cloze: true,
                combining: true
            }
        );
        assert_eq!(
            spec("nc:Back"),
            Spec {
                field: "Back",
                cloze: false,
                combining: false
            }
        );
    }

    #[test]
    fn comparisons_read_as_anki_writes_them() {
        assert_eq!(
            compare_answer("<div>123</div>", "", true),
            "<code id=typeans>123</code>"
        );
        assert_eq!(
            compare_answer("123", "1123", true),
            "<code id=typeans><span class=typeBad>1</span><span class=typeGood>123</span><br>\
             <span id=typearrow>&darr;</span><br><span class=typeGood>123</span></code>"
        );
        assert_eq!(
            compare_answer("ば", "は", false),
            "<code id=typeans><span class=typeGood>ば</span></code>"
        );
    }
}
