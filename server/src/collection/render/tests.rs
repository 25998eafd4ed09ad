use std::path::PathBuf;

use r2d2_sqlite::rusqlite::Connection;
use regex::{Captures, Regex};
use serde::Deserialize;

use super::html::decode_entities;
use super::*;
use crate::collection::test_fixtures::open_fixture;

#[derive(Deserialize)]
struct Vectors {
    cases: Vec<Case>,
    compare: Vec<Comparison>,
}

#[derive(Deserialize)]
struct Case {
    case: String,
    file: String,
    cards: Vec<OracleCard>,
}

#[derive(Deserialize)]
struct OracleCard {
    id: i64,
    question: String,
    answer: String,
    css: String,
    question_sounds: Vec<String>,
    answer_sounds: Vec<String>,
    typed: Vec<Typed>,
}

#[derive(Deserialize)]
struct Typed {
    typed: String,
    html: String,
}

#[derive(Deserialize)]
struct Comparison {
    expected: String,
    typed: String,
    combining: bool,
    html: String,
}

/// The committed vectors, and the ones `test.sh` has the installed `anki` build afresh
/// for this run (`FF_RENDER_VECTORS`).
fn vector_sets() -> Vec<(PathBuf, Vectors)> {
    crate::collection::test_fixtures::vector_sets("render", "FF_RENDER_VECTORS")
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("the vectors file");
            let vectors = serde_json::from_str(&text).expect("vectors parse");
            (path, vectors)
        })
        .collect()
}

/// Every card of every collection Anki built and rendered (tests/oracle/render_vectors.py):
/// the same question, answer (for each typed answer too) and css as `card.render_output()`
/// and the reviewer's type-answer comparison, once the documented differences (media
/// references, the type-answer box) are normalised away.
#[test]
fn every_card_renders_as_anki_renders_it() {
    for (path, vectors) in vector_sets() {
        let cards: usize = vectors.cases.iter().map(|c| c.cards.len()).sum();
        assert!(cards >= 60, "{}: {cards} cards", path.display());
        let dir = path.parent().expect("vectors live in a directory");
        for case in &vectors.cases {
            let (_tmp, conn) = open_fixture(dir, &case.file);
            for card in &case.cards {
                check_card(&conn, &case.case, card);
            }
        }
    }
}

/// `col.compare_answer` for answers chosen to exercise the diff: accents, combining
/// marks with and without `nc:`, HTML and sounds in the expected text, long answers.
#[test]
fn typed_answers_compare_as_anki_compares_them() {
    for (path, vectors) in vector_sets() {
        assert!(vectors.compare.len() >= 15, "{}", path.display());
        for c in &vectors.compare {
            assert_eq!(
                compare_answer(&c.expected, &c.typed, c.combining),
                c.html,
                "{:?} typed as {:?}",
                c.expected,
                c.typed
            );
        }
    }
}

#[test]
fn a_missing_card_is_an_error_not_a_panic() {
    for (path, vectors) in vector_sets() {
        let dir = path.parent().expect("vectors live in a directory");
        let (_tmp, conn) = open_fixture(dir, &vectors.cases[0].file);
        assert!(matches!(
            load_and_render(&conn, 1),
            Err(RenderError::NoSuchCard(1))
        ));
    }
}

fn check_card(conn: &Connection, case: &str, oracle: &OracleCard) {
    let what = format!("{case} card {}", oracle.id);
    let ours = load_and_render(conn, oracle.id).expect("renders");
    let expected_box = oracle.typed.iter().any(|t| !t.html.is_empty());
    assert_eq!(
        ours.expects_typed_answer(),
        expected_box,
        "{what}: type box"
    );
    let input = if expected_box { TYPE_ANSWER_INPUT } else { "" };

    let question = anki_text(&oracle.question, oracle, input);
    assert_eq!(normalise_ours(&ours.question), question, "{what}: question");
    assert_eq!(ours.css, oracle.css, "{what}: css");
    let empty_typed = oracle.typed.iter().find(|t| t.typed.is_empty());
    let answer = anki_text(&oracle.answer, oracle, empty_typed.map_or("", |t| &t.html));
    assert_eq!(normalise_ours(&ours.answer), answer, "{what}: answer");
    for typed in &oracle.typed {
        let answer = anki_text(&oracle.answer, oracle, &typed.html);
        assert_eq!(
            normalise_ours(&ours.answer_with_typed(&typed.typed)),
            answer,
            "{what}: answer typed as {:?}",
            typed.typed
        );
    }
}

/// Anki's text with its play markers back as `[sound:NAME]`, local media sources
/// entity-decoded, and every type-answer placeholder replaced by `type_box`.
fn anki_text(text: &str, oracle: &OracleCard, type_box: &str) -> String {
    let play = Regex::new(r"\[anki:play:([qa]):(\d+)\]").expect("valid regex");
    let text = play.replace_all(text, |caps: &Captures| {
        let sounds = if &caps[1] == "q" {
            &oracle.question_sounds
        } else {
            &oracle.answer_sounds
        };
        let index: usize = caps[2].parse().expect("a number");
        format!("[sound:{}]", sounds[index])
    });
    let text = type_answer::PLACEHOLDER.replace_all(&text, type_box);
    replace_local_sources(&text, decode_entities)
}

/// Ours with `<audio>` elements back as `[sound:NAME]` and `/media/` sources decoded.
fn normalise_ours(text: &str) -> String {
    let audio =
        Regex::new(r#"<audio controls src="/media/([^"]*)"></audio>"#).expect("valid regex");
    let text = audio.replace_all(text, |caps: &Captures| {
        format!("[sound:{}]", percent_decode(&caps[1]))
    });
    replace_local_sources(&text, |name| {
        let encoded = name.strip_prefix(MEDIA_PREFIX).expect("a rewritten source");
        percent_decode(encoded)
    })
}

fn replace_local_sources(text: &str, rewrite: impl Fn(&str) -> String) -> String {
    media::MEDIA_TAG
        .replace_all(text, |caps: &Captures| {
            let whole = caps.get(0).expect("group 0");
            let name = caps.get(1).or_else(|| caps.get(2)).or_else(|| caps.get(3));
            match name {
                Some(name) if !media::is_remote(name.as_str()) => {
                    let tag = whole.as_str();
                    let (start, end) = (name.start() - whole.start(), name.end() - whole.start());
                    format!("{}{}{}", &tag[..start], rewrite(name.as_str()), &tag[end..])
                }
                _ => whole.as_str().to_owned(),
            }
        })
        .into_owned()
}

fn percent_decode(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}
