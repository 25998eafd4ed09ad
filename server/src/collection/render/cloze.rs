//! Cloze deletions: `{{cN::text}}` or `{{cN::text::hint}}`, nested up to ten deep.
//!
//! The text is read as Anki reads it: `{{c` + digits + `::` opens a cloze, `}}` closes the
//! innermost one (outside any cloze it is plain text), a `::` inside a cloze's text starts
//! its hint, and a cloze never closed is dropped with its content. The active cloze (the
//! card's ordinal) is hidden on the question as `[...]` or `[hint]`, with its content in
//! `data-cloze`, and shown on the answer; the others show their text. A field without the
//! active cloze renders as nothing.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::html::{escape_attribute, strip_tags};

const MAX_OPEN: usize = 10;

#[derive(Debug)]
enum Piece<'a> {
    Text(&'a str),
    Cloze(Cloze<'a>),
}

#[derive(Debug)]
struct Cloze<'a> {
    ordinal: u16,
    pieces: Vec<Piece<'a>>,
    hint: Option<&'a str>,
}

impl Cloze<'_> {
    fn hint(&self) -> &str {
        self.hint.unwrap_or("...")
    }

    /// The text inside, nested clozes included, without markup.
    fn plain_text(&self, out: &mut String) {
        for piece in &self.pieces {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Cloze(inner) => inner.plain_text(out),
            }
        }
    }
}

/// `{{c` + a cloze number + `::` at the start of `s`: the number and what follows.
fn open_marker(s: &str) -> Option<(u16, &str)> {
    let rest = s.strip_prefix("{{c")?;
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let ordinal = rest[..digits].parse().ok()?;
    let after = rest[digits..].strip_prefix("::")?;
    Some((ordinal, after))
}

fn parse(text: &str) -> Vec<Piece<'_>> {
    let mut output = Vec::new();
    let mut open: Vec<Cloze> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some((ordinal, after)) = open_marker(rest) {
            if open.len() < MAX_OPEN {
                open.push(Cloze {
                    ordinal,
                    pieces: Vec::new(),
                    hint: None,
                });
            }
            rest = after;
        } else if let Some(after) = rest.strip_prefix("}}") {
            match open.pop() {
                Some(cloze) => match open.last_mut() {
                    Some(outer) => outer.pieces.push(Piece::Cloze(cloze)),
                    None => output.push(Piece::Cloze(cloze)),
                },
                None => output.push(Piece::Text("}}")),
            }
            rest = after;
        } else {
            let end = rest
                .char_indices()
                .skip(1)
                .map(|(i, _)| i)
                .find(|&i| open_marker(&rest[i..]).is_some() || rest[i..].starts_with("}}"))
                .unwrap_or(rest.len());
            let mut piece = &rest[..end];
            rest = &rest[end..];
            match open.last_mut() {
                Some(cloze) => {
                    if let Some((head, hint)) = piece.split_once("::") {
                        piece = head;
                        cloze.hint = Some(hint);
                    }
                    cloze.pieces.push(Piece::Text(piece));
                }
                None => output.push(Piece::Text(piece)),
            }
        }
    }
    output
}

/// The field with cloze `ordinal` hidden (`question`) or revealed; empty when the field
/// has no cloze of that number.
pub(super) fn reveal(text: &str, ordinal: u16, question: bool) -> String {
    let mut out = String::new();
    let mut active_found = false;
    for piece in &parse(text) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Cloze(cloze) => {
                write_cloze(cloze, ordinal, question, &mut active_found, &mut out)
            }
        }
    }
    if active_found {
        out
    } else {
        String::new()
    }
}

fn write_pieces(
    pieces: &[Piece],
    ordinal: u16,
    question: bool,
    found: &mut bool,
    out: &mut String,
) {
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Cloze(inner) => write_cloze(inner, ordinal, question, found, out),
        }
    }
}

fn write_cloze(cloze: &Cloze, ordinal: u16, question: bool, found: &mut bool, out: &mut String) {
    let active = cloze.ordinal == ordinal;
    *found |= active;
    if active && question {
        let mut hidden = String::new();
        write_pieces(&cloze.pieces, ordinal, question, found, &mut hidden);
        out.push_str(&format!(
            r#"<span class="cloze" data-cloze="{}" data-ordinal="{}">[{}]</span>"#,
            escape_attribute(&hidden),
            cloze.ordinal,
            cloze.hint()
        ));
        return;
    }
    let class = if active { "cloze" } else { "cloze-inactive" };
    out.push_str(&format!(
        r#"<span class="{class}" data-ordinal="{}">"#,
        cloze.ordinal
    ));
    write_pieces(&cloze.pieces, ordinal, question, found, out);
    out.push_str("</span>");
}

/// The texts of every cloze `ordinal` (its hint, or `...`, on the question), in order.
fn active_texts(text: &str, ordinal: u16, question: bool) -> Vec<String> {
    fn collect(piece: &Piece, ordinal: u16, question: bool, out: &mut Vec<String>) {
        if let Piece::Cloze(cloze) = piece {
            if cloze.ordinal == ordinal {
                if question {
                    out.push(cloze.hint().to_owned());
                } else {
                    let mut text = String::new();
                    cloze.plain_text(&mut text);
                    out.push(text);
                }
            }
            for inner in &cloze.pieces {
                collect(inner, ordinal, question, out);
            }
        }
    }
    let mut out = Vec::new();
    for piece in &parse(text) {
        collect(piece, ordinal, question, &mut out);
    }
    out
}

/// The `cloze-only:` filter: the active clozes' texts (or hints) joined by `, `.
pub(super) fn only(text: &str, ordinal: u16, question: bool) -> String {
    active_texts(text, ordinal, question).join(", ")
}

/// What a typed cloze answer is compared with: the active clozes' texts joined by `, `,
/// or one of them when they are all the same.
pub(super) fn for_typing(text: &str, ordinal: u16) -> String {
    let mut texts = active_texts(text, ordinal, false);
    let all_same = texts.windows(2).all(|pair| pair[0] == pair[1]);
    match texts.len() {
        0 => String::new(),
        _ if all_same => texts.swap_remove(0),
        _ => texts.join(", "),
    }
}

/// The cloze numbers (above 0) present in `text`, nested ones included.
pub(super) fn numbers_in(text: &str, into: &mut BTreeSet<u16>) {
    fn walk(pieces: &[Piece], into: &mut BTreeSet<u16>) {
        for piece in pieces {
            if let Piece::Cloze(cloze) = piece {
                if cloze.ordinal != 0 {
                    into.insert(cloze.ordinal);
                    walk(&cloze.pieces, into);
                }
            }
        }
    }
    walk(&parse(text), into);
}

/// Tags inside MathJax (`\(…\)`, `\[…\]`) are removed, so a cloze inside an equation
/// leaves valid TeX.
pub(super) fn strip_html_inside_mathjax(text: &str) -> String {
    static MATHJAX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?si)(\\[(\[])(.*?)(\\[)\]])").expect("valid regex"));
    MATHJAX
        .replace_all(text, |caps: &regex::Captures| {
            format!("{}{}{}", &caps[1], strip_tags(&caps[2]), &caps[3])
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::render::html::strip_html;

    #[test]
    fn nested_clozes_hide_and_reveal_as_anki_does() {
        let text = "foo {{c1::bar {{c2::baz}}::qux}}";
        assert_eq!(strip_html(&reveal(text, 1, true)), "foo [qux]");
        assert_eq!(strip_html(&reveal(text, 1, false)), "foo bar baz");
        assert_eq!(strip_html(&reveal(text, 2, true)), "foo bar [...]");
        assert_eq!(
            reveal(text, 2, false),
            r#"foo <span class="cloze-inactive" data-ordinal="1">bar <span class="cloze" data-ordinal="2">baz</span></span>"#
        );
        assert_eq!(reveal(text, 3, true), "");
    }

    #[test]
    fn cloze_numbers_typing_and_only() {
        let mut numbers = BTreeSet::new();
        numbers_in("{{c2::te{{c1::s}}}}t{{ {{c0::x}} {{c::y}}", &mut numbers);
        assert_eq!(numbers.into_iter().collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(
            for_typing("{{c1::foo}} {{c1::bar}} {{c1::foo}}", 1),
            "foo, bar, foo"
        );
        assert_eq!(for_typing("{{c1::foo}} {{c1::foo}}", 1), "foo");
        assert_eq!(only("foo {{c1::bar::baz}}", 1, true), "baz");
        assert_eq!(only("{{c1::foo}} {{c1::bar}}", 1, false), "foo, bar");
    }

    #[test]
    fn stray_closing_braces_and_unclosed_clozes() {
        assert_eq!(
            reveal("a }} {{c1::b}}", 1, false),
            r#"a }} <span class="cloze" data-ordinal="1">b</span>"#
        );
        assert_eq!(
            reveal("{{c1::b}} {{c1::open", 1, false),
            r#"<span class="cloze" data-ordinal="1">b</span> "#
        );
    }

    #[test]
    fn mathjax_loses_its_tags_but_keeps_entities() {
        assert_eq!(
            strip_html_inside_mathjax(r"\(<foo>&lt;&gt;</foo>\)"),
            r"\(&lt;&gt;\)"
        );
    }
}
