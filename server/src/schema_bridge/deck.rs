//! Decks: `decks` rows (`Deck.Common` + `Deck.KindContainer`) ⇄ schema-11 deck JSON
//! (`schema-bridge.md` §3.1, §3.2, §4.1, §4.2, §5.1–5.5).

use prost::Message;
use serde_json::{json, Value};
use unicode_normalization::UnicodeNormalization;

use super::json_in::{self, Object};
use super::json_out::ObjectWriter;
use super::other;
use super::pb::{
    DayLimit, DeckCommon, DeckKind, DeckKindContainer, FilteredDeck, NormalDeck, SearchTerm,
};
use super::BridgeError;

/// One `decks` row. `name` is the native name: components joined by U+001F.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeckRow {
    pub id: i64,
    pub name: String,
    pub mtime_secs: i64,
    pub usn: i32,
    pub common: Vec<u8>,
    pub kind: Vec<u8>,
}

/// Keys never re-emitted from `other` (§5.8).
const RESERVED: &[&str] = &[
    "usn",
    "revToday",
    "newLimit",
    "dyn",
    "reviewLimit",
    "newToday",
    "timeToday",
    "reviewLimitToday",
    "extendNew",
    "mod",
    "newLimitToday",
    "desc",
    "name",
    "lrnToday",
    "conf",
    "browserCollapsed",
    "extendRev",
    "id",
    "collapsed",
    "desiredRetention",
];

/// A `::`-separated name to the native form, normalised as Anki does (§5.1): each
/// component NFC, without ASCII control characters, trimmed of whitespace and `:`, and
/// `blank` when nothing is left.
pub fn native_deck_name(human: &str) -> String {
    human
        .split("::")
        .map(|component| {
            let cleaned: String = component.nfc().filter(|c| !c.is_ascii_control()).collect();
            let trimmed = cleaned.trim_matches(|c: char| c.is_whitespace() || c == ':');
            if trimmed.is_empty() {
                "blank".to_owned()
            } else {
                trimmed.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\u{1f}")
}

/// `[day, count]`: the last element is the count, the one before it the day; anything
/// that is not an integer counts as 0.
fn today(obj: &mut Object, key: &str) -> Result<(i64, i64), BridgeError> {
    let value = obj.required(key)?;
    let items = value
        .as_array()
        .ok_or_else(|| obj.error(key, "must be an array"))?;
    let at = |i: Option<usize>| {
        i.and_then(|i| items.get(i))
            .and_then(Value::as_i64)
            .unwrap_or(0)
    };
    let count = at(items.len().checked_sub(1));
    let day = at(items.len().checked_sub(2));
    Ok((day, count))
}

fn day_limit(value: &Value) -> Option<DayLimit> {
    let map = value.as_object()?;
    Some(DayLimit {
        limit: json_in::u32_(map.get("limit")?)?,
        today: json_in::u32_(map.get("today")?)?,
    })
}

fn non_negative_u32(value: &Value) -> Option<u32> {
    json_in::i32_(value).map(|n| n.max(0) as u32)
}

fn search_term(value: &Value) -> Option<SearchTerm> {
    let (search, limit, order) = match value {
        Value::Array(items) if items.len() == 3 => (&items[0], &items[1], &items[2]),
        Value::Object(map) => (map.get("search")?, map.get("limit")?, map.get("order")?),
        _ => return None,
    };
    let limit = json_in::id(limit).and_then(|n| i32::try_from(n).ok())?;
    Some(SearchTerm {
        search: search.as_str()?.to_owned(),
        limit: limit.max(0) as u32,
        order: json_in::i32_(order)?,
    })
}

pub fn deck_from_json(value: Value) -> Result<DeckRow, BridgeError> {
    use json_in::{bool_, floats, i32_, id, string, u32_};
    let mut obj = Object::new(value, "deck")?;
    obj.take("return");
    let deck_id = obj.req("id", id, "an id")?;
    let mtime_secs = obj.dflt("mod", 0, id, "a number")?;
    let name = native_deck_name(&obj.req("name", string, "a string")?);
    let usn = obj.req("usn", i32_, "an i32")?;
    let lrn = today(&mut obj, "lrnToday")?;
    let rev = today(&mut obj, "revToday")?;
    let new = today(&mut obj, "newToday")?;
    let time = today(&mut obj, "timeToday")?;
    let study_collapsed = obj.req("collapsed", bool_, "a bool")?;
    let browser_collapsed = obj.dflt("browserCollapsed", false, bool_, "a bool")?;
    let description = obj.dflt("desc", String::new(), string, "a string")?;
    let markdown = obj.dflt("md", false, bool_, "a bool")?;
    let dynamic = obj.required("dyn")?;
    let filtered = match &dynamic {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() == Some(1.0),
        other => return Err(obj.error("dyn", &format!("must be 0, 1 or a bool, got {other}"))),
    };

    let kind = if filtered {
        let reschedule = obj.req("resched", json_in::bool_like, "a bool")?;
        let terms = obj.required("terms")?;
        let search_terms = terms
            .as_array()
            .and_then(|items| items.iter().map(search_term).collect::<Option<Vec<_>>>())
            .ok_or_else(|| obj.error("terms", "must be a list of [search, limit, order]"))?;
        obj.take("separate");
        DeckKind::Filtered(FilteredDeck {
            reschedule,
            search_terms,
            delays: obj.lenient_or("delays", Vec::new(), floats),
            preview_delay: obj.dflt("previewDelay", 0, u32_, "a u32")?,
            preview_hard_secs: obj.dflt("previewHardSecs", 0, u32_, "a u32")?,
            preview_good_secs: obj.dflt("previewGoodSecs", 0, u32_, "a u32")?,
            preview_again_secs: obj.dflt("previewAgainSecs", 0, u32_, "a u32")?,
        })
    } else {
        DeckKind::Normal(NormalDeck {
            config_id: obj.req("conf", id, "an id")?,
            extend_new: obj.lenient_or("extendNew", 0, non_negative_u32),
            extend_review: obj.lenient_or("extendRev", 0, non_negative_u32),
            description,
            markdown_description: markdown,
            review_limit: obj.lenient_or("reviewLimit", None, |v| u32_(v).map(Some)),
            new_limit: obj.lenient_or("newLimit", None, |v| u32_(v).map(Some)),
            review_limit_today: obj
                .lenient_or("reviewLimitToday", None, |v| day_limit(v).map(Some)),
            new_limit_today: obj.lenient_or("newLimitToday", None, |v| day_limit(v).map(Some)),
            desired_retention: obj.lenient_or("desiredRetention", None, |v| {
                u32_(v).map(|pct| Some(pct as f32 / 100.0))
            }),
        })
    };

    // The day of the record is the latest of time/new/review (learning is left out on
    // purpose, as in Anki); counters from an older day are stale and dropped.
    let max_day = time.0.max(new.0).max(rev.0);
    let current = |(day, count): (i64, i64)| if day == max_day { count as i32 } else { 0 };
    let common = DeckCommon {
        study_collapsed,
        browser_collapsed,
        last_day_studied: max_day as u32,
        new_studied: current(new),
        review_studied: current(rev),
        learning_studied: current(lrn),
        milliseconds_studied: time.1 as i32,
        other: other::encode(&obj.into_rest()),
    };
    Ok(DeckRow {
        id: deck_id,
        name,
        mtime_secs,
        usn,
        common: common.encode_to_vec(),
        kind: DeckKindContainer { kind: Some(kind) }.encode_to_vec(),
    })
}

fn day_limit_json(limit: &Option<DayLimit>) -> Value {
    match limit {
        Some(l) => json!({"limit": l.limit, "today": l.today}),
        None => Value::Null,
    }
}

pub fn deck_to_json(row: &DeckRow) -> Result<String, BridgeError> {
    let common = DeckCommon::decode(row.common.as_slice())?;
    let kind = DeckKindContainer::decode(row.kind.as_slice())?
        .kind
        .unwrap_or(DeckKind::Normal(NormalDeck::default()));
    let day = common.last_day_studied as i32;
    let extras = other::decode(&common.other, RESERVED);
    let mut out = ObjectWriter::new();
    out.field("id", &row.id)
        .field("mod", &row.mtime_secs)
        .field("name", &row.name.replace('\u{1f}', "::"))
        .field("usn", &row.usn)
        .field("lrnToday", &[day, common.learning_studied])
        .field("revToday", &[day, common.review_studied])
        .field("newToday", &[day, common.new_studied])
        .field("timeToday", &[day, common.milliseconds_studied])
        .field("collapsed", &common.study_collapsed)
        .field("browserCollapsed", &common.browser_collapsed);
    match kind {
        DeckKind::Normal(normal) => {
            out.field("desc", &normal.description);
            if normal.markdown_description {
                out.field("md", &true);
            }
            out.field("dyn", &0)
                .extras(&extras)
                .field("conf", &normal.config_id)
                .field("extendNew", &normal.extend_new)
                .field("extendRev", &normal.extend_review)
                .field("reviewLimit", &normal.review_limit)
                .field("newLimit", &normal.new_limit)
                .field(
                    "reviewLimitToday",
                    &day_limit_json(&normal.review_limit_today),
                )
                .field("newLimitToday", &day_limit_json(&normal.new_limit_today))
                .field(
                    "desiredRetention",
                    &normal.desired_retention.map(|f| (f * 100.0) as u32),
                );
        }
        DeckKind::Filtered(filtered) => {
            let terms: Vec<Value> = filtered
                .search_terms
                .iter()
                .map(|t| json!([t.search, t.limit, t.order]))
                .collect();
            let delays = (!filtered.delays.is_empty()).then_some(&filtered.delays);
            out.field("desc", "")
                .field("dyn", &1)
                .extras(&extras)
                .field("resched", &filtered.reschedule)
                .field("terms", &terms)
                .field("separate", &true)
                .field("delays", &delays)
                .field("previewDelay", &filtered.preview_delay)
                .field("previewAgainSecs", &filtered.preview_again_secs)
                .field("previewHardSecs", &filtered.preview_hard_secs)
                .field("previewGoodSecs", &filtered.preview_good_secs);
        }
    }
    Ok(out.finish())
}
