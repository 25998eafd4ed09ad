//! The built-in field filters (`text:`, `hint:`, `type:`, `cloze:`, `cloze-only:`,
//! `furigana:`, `kana:`, `kanji:`, `tts …:`), applied right to left as Anki applies them.
//!
//! An unknown filter ends the chain: the text is passed on as it stands and the filters
//! after it are skipped too, because Anki hands the rest of the chain to add-on hooks and,
//! with none installed, nothing more happens. An empty filter (`{{text::F}}`) is ignored.
//! Any chain ending in `type` becomes the type-answer placeholder `[[type:F]]`
//! (`[[type:cloze:F]]` for `type:cloze:`, `[[type:nc:F]]` for `type:nc:`).

use super::blake3;
use super::cloze;
use super::furigana::{self, Ruby};
use super::html::strip_html;

/// Which card and side the filters render for.
#[derive(Clone, Copy)]
pub(super) struct Side {
    /// The card's ordinal (its cloze number less one).
    pub card_ord: u16,
    pub question: bool,
}

/// `filters` in the order they apply to the field `field_name` holding `text`.
pub(super) fn apply(text: &str, filters: &[String], field_name: &str, side: Side) -> String {
    let names: Vec<&str> = filters.iter().map(String::as_str).collect();
    // A chain ending in `type` is replaced by the placeholder alone.
    let names: &[&str] = match names.as_slice() {
        ["cloze", "type"] => &["type-cloze"],
        ["nc", "type"] => &["type-nc"],
        [.., "type"] => &["type"],
        all => all,
    };
    let mut text = text.to_owned();
    for name in names {
        match apply_one(name, &text, field_name, side) {
            Some(output) => text = output,
            None => break,
        }
    }
    text
}

/// One filter's output, or `None` for a filter Anki does not know.
fn apply_one(name: &str, text: &str, field_name: &str, side: Side) -> Option<String> {
    let ordinal = side.card_ord.saturating_add(1);
    Some(match name {
        "" => text.to_owned(),
        "text" => strip_html(text),
        "hint" => hint(text, field_name),
        "furigana" => furigana::apply(text, Ruby::Furigana),
        "kana" => furigana::apply(text, Ruby::Kana),
        "kanji" => furigana::apply(text, Ruby::Kanji),
        "cloze" => cloze::strip_html_inside_mathjax(&cloze::reveal(text, ordinal, side.question)),
        "cloze-only" => cloze::only(text, ordinal, side.question),
        "type" => format!("[[type:{field_name}]]"),
        "type-cloze" => format!("[[type:cloze:{field_name}]]"),
        "type-nc" => format!("[[type:nc:{field_name}]]"),
        _ => match name.strip_prefix("tts ") {
            Some(options) => format!("[anki:tts lang={options}]{text}[/anki:tts]"),
            None => return None,
        },
    })
}

/// A link that reveals the field when clicked; a blank field stays as it is. The DOM id
/// is derived from the field's text and name exactly as Anki derives it, so two hints on
/// one card do not collide.
fn hint(text: &str, field_name: &str) -> String {
    if text.trim().is_empty() {
        return text.to_owned();
    }
    let mut input = Vec::with_capacity(text.len() + field_name.len());
    input.extend_from_slice(text.as_bytes());
    input.extend_from_slice(field_name.as_bytes());
    let id: String = blake3::hash(&input)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "\n<a class=hint href=\"#\"\nonclick=\"this.style.display='none';\n\
         document.getElementById('hint{id}').style.display='block';\nreturn false;\" \
         draggable=false>\n{field_name}</a>\n\
         <div id=\"hint{id}\" class=hint style=\"display: none\">{text}</div>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUESTION: Side = Side {
        card_ord: 0,
        question: true,
    };

    fn chain(filters: &[&str]) -> Vec<String> {
        filters.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn hint_ids_are_the_ones_anki_writes() {
        assert_eq!(
            hint("foo", "field"),
            "\n<a class=hint href=\"#\"\nonclick=\"this.style.display='none';\n\
             document.getElementById('hint83fe48607f0f3a66').style.display='block';\n\
             return false;\" draggable=false>\nfield</a>\n<div id=\"hint83fe48607f0f3a66\" \
             class=hint style=\"display: none\">foo</div>\n"
        );
        assert_eq!(hint(" \n", "field"), " \n");
    }

    #[test]
    fn chains_apply_in_order_and_stop_at_an_unknown_filter() {
        assert_eq!(apply("<b>x</b>", &chain(&["text"]), "F", QUESTION), "x");
        assert_eq!(
            apply("<b>x</b>", &chain(&["nope", "text"]), "F", QUESTION),
            "<b>x</b>"
        );
        assert_eq!(
            apply("<b>x</b>", &chain(&["text", "nope"]), "F", QUESTION),
            "x"
        );
        assert_eq!(
            apply("x", &chain(&["cloze", "type"]), "F", QUESTION),
            "[[type:cloze:F]]"
        );
        assert_eq!(
            apply("x", &chain(&["a", "b", "type"]), "F", QUESTION),
            "[[type:F]]"
        );
        assert_eq!(
            apply("x", &chain(&["tts en_US voices=Bob"]), "F", QUESTION),
            "[anki:tts lang=en_US voices=Bob]x[/anki:tts]"
        );
    }
}
