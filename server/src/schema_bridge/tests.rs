//! The bridge against the byte-exact vectors captured from real Anki collections and a real
//! sync (`server/tests/data/schema-bridge-vectors.json`, copied from
//! `../shared/schema-bridge-vectors.json` so the tests run without it).

use prost::Message;
use serde_json::Value;

use super::pb::{DeckCommon, DeckConfigConfig, FieldConfig, NotetypeConfig, TemplateConfig};
use super::*;

const VECTORS: &str = include_str!("../../tests/data/schema-bridge-vectors.json");

fn vectors() -> Value {
    serde_json::from_str(VECTORS).expect("vectors file is JSON")
}

fn hex_of(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().expect("hex string")).expect("valid hex")
}

/// Blobs compare exactly, except that the top-level key order inside `other` is not
/// deterministic in Anki (a HashMap), so `other` is compared as parsed JSON.
fn assert_same_blob<M: Message + Default + PartialEq + std::fmt::Debug>(
    actual: &[u8],
    expected: &[u8],
    other: fn(&mut M) -> &mut Vec<u8>,
    what: &str,
) {
    if actual == expected {
        return;
    }
    let mut a = M::decode(actual).expect("actual decodes");
    let mut e = M::decode(expected).expect("expected decodes");
    let parse = |bytes: &mut Vec<u8>| -> Value {
        let taken = std::mem::take(bytes);
        if taken.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&taken).expect("other is JSON")
        }
    };
    assert_eq!(parse(other(&mut a)), parse(other(&mut e)), "{what}: other");
    assert_eq!(a, e, "{what}: blob");
}

fn assert_same_json(actual: &str, expected: &str, byte_exact: bool, what: &str) {
    if byte_exact {
        assert_eq!(actual, expected, "{what}");
    } else {
        let a: Value = serde_json::from_str(actual).expect("our JSON parses");
        let e: Value = serde_json::from_str(expected).expect("vector JSON parses");
        assert_eq!(a, e, "{what}");
    }
}

fn byte_exact(vector: &Value) -> bool {
    vector["other"].is_null() || vector["other"]["byte_exact_comparable"] == Value::Bool(true)
}

fn native_name(row: &Value) -> String {
    match row["name"].as_str() {
        Some(name) => name.to_owned(),
        None => row["name_escaped"]
            .as_str()
            .expect("a name")
            .replace("\\x1f", "\u{1f}"),
    }
}

fn deck_row(row: &Value) -> DeckRow {
    DeckRow {
        id: row["id"].as_i64().expect("id"),
        name: native_name(row),
        mtime_secs: row["mtime_secs"].as_i64().expect("mtime"),
        usn: row["usn"].as_i64().expect("usn") as i32,
        common: hex_of(row, "common_hex"),
        kind: hex_of(row, "kind_hex"),
    }
}

fn deck_config_row(row: &Value) -> DeckConfigRow {
    DeckConfigRow {
        id: row["id"].as_i64().expect("id"),
        name: native_name(row),
        mtime_secs: row["mtime_secs"].as_i64().expect("mtime"),
        usn: row["usn"].as_i64().expect("usn") as i32,
        config: hex_of(row, "config_hex"),
    }
}

fn notetype_row(row: &Value) -> NotetypeRow {
    let rows = |key: &str| row[key].as_array().expect("rows").clone();
    NotetypeRow {
        id: row["id"].as_i64().expect("id"),
        name: native_name(row),
        mtime_secs: row["mtime_secs"].as_i64().expect("mtime"),
        usn: row["usn"].as_i64().expect("usn") as i32,
        config: hex_of(row, "config_hex"),
        fields: rows("fields")
            .iter()
            .map(|f| FieldRow {
                ord: f["ord"].as_u64().expect("ord") as u32,
                name: f["name"].as_str().expect("name").to_owned(),
                config: hex_of(f, "config_hex"),
            })
            .collect(),
        templates: rows("templates")
            .iter()
            .map(|t| TemplateRow {
                ord: t["ord"].as_u64().expect("ord") as u32,
                name: t["name"].as_str().expect("name").to_owned(),
                mtime_secs: t["mtime_secs"].as_i64().expect("mtime"),
                usn: t["usn"].as_i64().expect("usn") as i32,
                config: hex_of(t, "config_hex"),
            })
            .collect(),
    }
}

fn assert_same_deck(actual: &DeckRow, expected: &DeckRow, what: &str) {
    assert_eq!(
        (
            actual.id,
            &actual.name,
            actual.mtime_secs,
            actual.usn,
            &actual.kind
        ),
        (
            expected.id,
            &expected.name,
            expected.mtime_secs,
            expected.usn,
            &expected.kind
        ),
        "{what}"
    );
    assert_same_blob::<DeckCommon>(&actual.common, &expected.common, |m| &mut m.other, what);
}

fn assert_same_deck_config(actual: &DeckConfigRow, expected: &DeckConfigRow, what: &str) {
    assert_eq!(
        (actual.id, &actual.name, actual.mtime_secs, actual.usn),
        (
            expected.id,
            &expected.name,
            expected.mtime_secs,
            expected.usn
        ),
        "{what}"
    );
    assert_same_blob::<DeckConfigConfig>(&actual.config, &expected.config, |m| &mut m.other, what);
}

fn assert_same_notetype(actual: &NotetypeRow, expected: &NotetypeRow, what: &str) {
    assert_eq!(
        (actual.id, &actual.name, actual.mtime_secs, actual.usn),
        (
            expected.id,
            &expected.name,
            expected.mtime_secs,
            expected.usn
        ),
        "{what}"
    );
    assert_same_blob::<NotetypeConfig>(&actual.config, &expected.config, |m| &mut m.other, what);
    assert_eq!(actual.fields.len(), expected.fields.len(), "{what}: fields");
    for (a, e) in actual.fields.iter().zip(&expected.fields) {
        assert_eq!((a.ord, &a.name), (e.ord, &e.name), "{what}: field");
        assert_same_blob::<FieldConfig>(&a.config, &e.config, |m| &mut m.other, what);
    }
    assert_eq!(
        actual.templates.len(),
        expected.templates.len(),
        "{what}: templates"
    );
    for (a, e) in actual.templates.iter().zip(&expected.templates) {
        assert_eq!(
            (a.ord, &a.name, a.mtime_secs, a.usn),
            (e.ord, &e.name, e.mtime_secs, e.usn),
            "{what}: template"
        );
        assert_same_blob::<TemplateConfig>(&a.config, &e.config, |m| &mut m.other, what);
    }
}

fn parse(json: &str) -> Value {
    serde_json::from_str(json).expect("vector JSON parses")
}

#[test]
fn every_vector_round_trips_both_ways() {
    let all = vectors();
    let list = all["vectors"].as_array().expect("vectors");
    assert_eq!(list.len(), 9);
    for vector in list {
        let what = vector["label"].as_str().expect("label");
        let json = vector["json"].as_str().expect("json");
        let row = &vector["row"];
        match vector["kind"].as_str().expect("kind") {
            "deck" => {
                let expected = deck_row(row);
                assert_same_json(
                    &deck_to_json(&expected).expect("to json"),
                    json,
                    byte_exact(vector),
                    what,
                );
                assert_same_deck(
                    &deck_from_json(parse(json)).expect("from json"),
                    &expected,
                    what,
                );
            }
            "deck_config" => {
                let expected = deck_config_row(row);
                let ours = deck_config_to_json(&expected).expect("to json");
                assert_same_json(&ours, json, byte_exact(vector), what);
                let back = deck_config_from_json(parse(json)).expect("from json");
                assert_same_deck_config(&back, &expected, what);
            }
            "notetype" => {
                let expected = notetype_row(row);
                let ours = notetype_to_json(&expected).expect("to json");
                assert_same_json(&ours, json, byte_exact(vector), what);
                let back = notetype_from_json(parse(json)).expect("from json");
                assert_same_notetype(&back, &expected, what);
            }
            other => panic!("unknown vector kind {other}"),
        }
    }
}

#[test]
fn lenient_inputs_are_stored_and_re_emitted_as_anki_does() {
    let all = vectors();
    let list = all["lenient_inputs"].as_array().expect("lenient inputs");
    assert_eq!(list.len(), 4);
    for vector in list {
        let input = parse(vector["input_json"].as_str().expect("input"));
        let json_out = vector["json_out"].as_str().expect("json_out");
        let exact = byte_exact(vector);
        let row = &vector["row"];
        let what = vector["kind"].as_str().expect("kind");
        match what {
            "deck" => {
                let stored = deck_from_json(input).expect("lenient deck accepted");
                assert_same_deck(&stored, &deck_row(row), what);
                assert_same_json(
                    &deck_to_json(&stored).expect("to json"),
                    json_out,
                    exact,
                    what,
                );
            }
            "deck_config" => {
                let stored = deck_config_from_json(input).expect("lenient config accepted");
                assert_same_deck_config(&stored, &deck_config_row(row), what);
                let ours = deck_config_to_json(&stored).expect("to json");
                assert_same_json(&ours, json_out, exact, what);
            }
            "notetype" => {
                let stored = notetype_from_json(input).expect("lenient notetype accepted");
                assert_same_notetype(&stored, &notetype_row(row), what);
                let ours = notetype_to_json(&stored).expect("to json");
                assert_same_json(&ours, json_out, exact, what);
            }
            other => panic!("unknown kind {other}"),
        }
    }
}

#[test]
fn captured_apply_changes_bodies_convert_and_come_back_unchanged() {
    let all = vectors();
    let wire = &all["wire"];
    let request = parse(
        wire["client_to_server_request"]["body"]
            .as_str()
            .expect("body"),
    );
    let response = parse(
        wire["server_to_client_response"]["body"]
            .as_str()
            .expect("body"),
    );
    let mut checked = 0;
    for changes in [&request["changes"], &response] {
        for model in changes["models"].as_array().into_iter().flatten() {
            let row = notetype_from_json(model.clone()).expect("captured notetype");
            let back: Value = parse(&notetype_to_json(&row).expect("to json"));
            assert_eq!(&back, model);
            checked += 1;
        }
        for deck in changes["decks"][0].as_array().into_iter().flatten() {
            let row = deck_from_json(deck.clone()).expect("captured deck");
            assert_eq!(&parse(&deck_to_json(&row).expect("to json")), deck);
            checked += 1;
        }
        for config in changes["decks"][1].as_array().into_iter().flatten() {
            let row = deck_config_from_json(config.clone()).expect("captured config");
            assert_eq!(&parse(&deck_config_to_json(&row).expect("to json")), config);
            checked += 1;
        }
    }
    assert!(checked >= 3, "the captures hold objects ({checked})");
}

#[test]
fn deck_names_are_normalised_per_component() {
    assert_eq!(native_deck_name("foo::::baz"), "foo\u{1f}blank\u{1f}baz");
    assert_eq!(native_deck_name("foo:::bar:baz: "), "foo\u{1f}bar:baz");
    assert_eq!(native_deck_name("a\u{1f}b::c"), "ab\u{1f}c");
    assert_eq!(native_deck_name("e\u{301}"), "\u{e9}");
}

#[test]
fn desired_retention_truncates_like_anki() {
    let mut deck = parse(vectors()["vectors"][0]["json"].as_str().expect("json"));
    for (given, read_back) in [(53, 52), (59, 58), (90, 90), (100, 100)] {
        deck["desiredRetention"] = given.into();
        let row = deck_from_json(deck.clone()).expect("deck");
        let out = parse(&deck_to_json(&row).expect("json"));
        assert_eq!(out["desiredRetention"], read_back, "{given}");
    }
}

#[test]
fn anki_refusals_are_errors_not_defaults() {
    let deck = parse(vectors()["vectors"][0]["json"].as_str().expect("json"));
    let without = |key: &str| {
        let mut d = deck.clone();
        d.as_object_mut().expect("object").remove(key);
        d
    };
    for required in ["id", "name", "usn", "collapsed", "dyn", "conf", "lrnToday"] {
        assert!(
            deck_from_json(without(required)).is_err(),
            "deck without {required}"
        );
    }
    let mut string_dyn = deck.clone();
    string_dyn["dyn"] = "1".into();
    assert!(deck_from_json(string_dyn).is_err());
    let mut int_collapsed = deck.clone();
    int_collapsed["collapsed"] = 1.into();
    assert!(deck_from_json(int_collapsed).is_err());

    let notetype = parse(vectors()["vectors"][6]["json"].as_str().expect("json"));
    let mut bad_type = notetype.clone();
    bad_type["type"] = 2.into();
    assert!(notetype_from_json(bad_type).is_err());
    let mut string_mod = notetype.clone();
    string_mod["mod"] = "5".into();
    assert!(notetype_from_json(string_mod).is_err());
    let mut no_did = notetype.clone();
    no_did.as_object_mut().expect("object").remove("did");
    assert!(notetype_from_json(no_did).is_err());
    let mut sticky_two = notetype;
    sticky_two["flds"][0]["sticky"] = 2.into();
    assert!(notetype_from_json(sticky_two).is_err());
}

#[test]
fn a_config_sub_object_missing_a_required_key_falls_back_whole() {
    let mut config = parse(vectors()["vectors"][5]["json"].as_str().expect("json"));
    config["new"].as_object_mut().expect("new").remove("perDay");
    let row = deck_config_from_json(config).expect("accepted");
    let out = parse(&deck_config_to_json(&row).expect("json"));
    assert_eq!(
        out["new"],
        serde_json::json!({"bury":false,"delays":[1.0,10.0],"initialFactor":2500,"ints":[1,4,0],"order":1,"perDay":20})
    );
    assert_eq!(out["lapse"]["addonLapseKey"], serde_json::json!([1, 2]));
}
