//! The ruby filters over Anki's `base[reading]` notation: `furigana:` writes
//! `<ruby><rb>base</rb><rt>reading</rt></ruby>`, `kana:` keeps the reading, `kanji:` the
//! base. A base runs back to the previous space or `>`; one space before it is consumed
//! (so readings can follow each other without gaps), `&nbsp;` counts as a space, and a
//! `[sound:…]` that happens to look like a reading is left alone.

use std::sync::LazyLock;

use regex::{Captures, Regex};

#[derive(Clone, Copy)]
pub(super) enum Ruby {
    Furigana,
    Kana,
    Kanji,
}

pub(super) fn apply(text: &str, kind: Ruby) -> String {
    static READING: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r" ?([^ >]+?)\[(.+?)\]").expect("valid regex"));
    READING
        .replace_all(&text.replace("&nbsp;", " "), |caps: &Captures| {
            let (base, reading) = (&caps[1], &caps[2]);
            if reading.starts_with("sound:") {
                return caps[0].to_owned();
            }
            match kind {
                Ruby::Furigana => format!("<ruby><rb>{base}</rb><rt>{reading}</rt></ruby>"),
                Ruby::Kana => reading.to_owned(),
                Ruby::Kanji => base.to_owned(),
            }
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_become_ruby_or_one_side_of_it() {
        let text = "test first[second] third[fourth]";
        assert_eq!(apply(text, Ruby::Kana), "testsecondfourth");
        assert_eq!(apply(text, Ruby::Kanji), "testfirstthird");
        assert_eq!(
            apply("first[second]", Ruby::Furigana),
            "<ruby><rb>first</rb><rt>second</rt></ruby>"
        );
        assert_eq!(apply("x[sound:a.mp3]", Ruby::Kana), "x[sound:a.mp3]");
    }
}
