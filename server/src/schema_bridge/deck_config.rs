//! Deck configs: `deck_config` rows (`DeckConfig.Config`) ⇄ schema-11 config JSON
//! (`schema-bridge.md` §3.3, §4.3, §5.6).

use prost::Message;
use serde_json::{Map, Value};

use super::json_in::{self, Object};
use super::json_out::ObjectWriter;
use super::other;
use super::pb::DeckConfigConfig;
use super::BridgeError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeckConfigRow {
    pub id: i64,
    pub name: String,
    pub mtime_secs: i64,
    pub usn: i32,
    pub config: Vec<u8>,
}

const RESERVED: &[&str] = &[
    "id",
    "newSortOrder",
    "replayq",
    "newPerDayMinimum",
    "usn",
    "autoplay",
    "dyn",
    "maxTaken",
    "reviewOrder",
    "buryInterdayLearning",
    "newMix",
    "mod",
    "timer",
    "name",
    "interdayLearningMix",
    "newGatherPriority",
    "fsrsWeights",
    "fsrsParams5",
    "fsrsParams6",
    "desiredRetention",
    "stopTimerOnAnswer",
    "secondsToShowQuestion",
    "secondsToShowAnswer",
    "questionAction",
    "answerAction",
    "waitForAudio",
    "sm2Retention",
    "weightSearch",
    "ignoreRevlogsBeforeDate",
    "easyDaysPercentages",
];
const RESERVED_NEW: &[&str] = &["order", "delays", "bury", "perDay", "initialFactor", "ints"];
const RESERVED_REV: &[&str] = &["maxIvl", "hardFactor", "ease4", "ivlFct", "perDay", "bury"];
const RESERVED_LAPSE: &[&str] = &["leechFails", "mult", "leechAction", "delays", "minInt"];

/// Protobuf `NewCardInsertOrder`: the JSON numbering is the other way round.
const INSERT_ORDER_DUE: i32 = 0;
const INSERT_ORDER_RANDOM: i32 = 1;
const LEECH_TAG_ONLY: i32 = 1;

/// `new`, `rev` and `lapse` are each "lenient as a whole": if any required key is missing
/// or any strict key has the wrong type, the whole sub-object (unknown keys included)
/// becomes its defaults.
struct NewSection {
    bury: bool,
    delays: Vec<f32>,
    initial_factor: u16,
    ints: (u32, u32),
    random_order: bool,
    per_day: u32,
    extras: Map<String, Value>,
}

impl Default for NewSection {
    fn default() -> Self {
        NewSection {
            bury: false,
            delays: vec![1.0, 10.0],
            initial_factor: 2500,
            ints: (1, 4),
            random_order: false,
            per_day: 20,
            extras: Map::new(),
        }
    }
}

fn ints(value: &Value) -> Option<(u32, u32)> {
    match value.as_array()?.as_slice() {
        [good, easy, ..] => Some((json_in::u32_(good)?, json_in::u32_(easy)?)),
        _ => None,
    }
}

fn read_new(value: Value) -> Option<NewSection> {
    let mut obj = Object::lenient(value, "deck config new")?;
    let bury = obj.dflt("bury", false, json_in::bool_, "").ok()?;
    let delays = obj.required("delays").ok()?;
    let initial_factor = obj.req("initialFactor", json_in::u16_, "").ok()?;
    let ints = obj.required("ints").ok()?;
    let order = obj.required("order").ok()?;
    let per_day = obj.required("perDay").ok()?;
    Some(NewSection {
        bury,
        delays: json_in::floats(&delays).unwrap_or_default(),
        initial_factor,
        ints: self::ints(&ints).unwrap_or((1, 4)),
        random_order: order.as_u64() == Some(0),
        per_day: json_in::u32_(&per_day).unwrap_or(0),
        extras: obj.into_rest(),
    })
}

struct RevSection {
    bury: bool,
    ease4: f32,
    ivl_fct: f32,
    max_ivl: u32,
    per_day: u32,
    hard_factor: f32,
    extras: Map<String, Value>,
}

impl Default for RevSection {
    fn default() -> Self {
        RevSection {
            bury: false,
            ease4: 1.3,
            ivl_fct: 1.0,
            max_ivl: 36500,
            per_day: 200,
            hard_factor: 1.2,
            extras: Map::new(),
        }
    }
}

fn read_rev(value: Value) -> Option<RevSection> {
    let mut obj = Object::lenient(value, "deck config rev")?;
    let bury = obj.dflt("bury", false, json_in::bool_, "").ok()?;
    let ease4 = obj.req("ease4", json_in::f32_, "").ok()?;
    let ivl_fct = obj.req("ivlFct", json_in::f32_, "").ok()?;
    let max_ivl = obj.req("maxIvl", json_in::u32_, "").ok()?;
    let per_day = obj.required("perDay").ok()?;
    let hard_factor = obj.dflt("hardFactor", 1.2, json_in::f32_, "").ok()?;
    Some(RevSection {
        bury,
        ease4,
        ivl_fct,
        max_ivl,
        per_day: json_in::u32_(&per_day).unwrap_or(0),
        hard_factor,
        extras: obj.into_rest(),
    })
}

struct LapseSection {
    delays: Vec<f32>,
    leech_action: i32,
    leech_fails: u32,
    min_int: u32,
    mult: f32,
    extras: Map<String, Value>,
}

impl Default for LapseSection {
    fn default() -> Self {
        LapseSection {
            delays: vec![10.0],
            leech_action: LEECH_TAG_ONLY,
            leech_fails: 8,
            min_int: 1,
            mult: 0.0,
            extras: Map::new(),
        }
    }
}

fn read_lapse(value: Value) -> Option<LapseSection> {
    let mut obj = Object::lenient(value, "deck config lapse")?;
    let delays = obj.required("delays").ok()?;
    let leech_action = obj.required("leechAction").ok()?;
    let leech_fails = obj.req("leechFails", json_in::u32_, "").ok()?;
    let min_int = obj.req("minInt", json_in::u32_, "").ok()?;
    let mult = obj.req("mult", json_in::f32_, "").ok()?;
    Some(LapseSection {
        delays: json_in::floats(&delays).unwrap_or_default(),
        leech_action: match leech_action.as_u64() {
            Some(0) => 0,
            _ => LEECH_TAG_ONLY,
        },
        leech_fails,
        min_int,
        mult,
        extras: obj.into_rest(),
    })
}

fn in_range(value: i64, allowed: std::ops::RangeInclusive<i64>) -> Option<i64> {
    allowed.contains(&value).then_some(value)
}

pub fn deck_config_from_json(value: Value) -> Result<DeckConfigRow, BridgeError> {
    use json_in::{bool_, f32_, floats, i32_, id, string, u32_};
    let mut obj = Object::new(value, "deck config")?;
    let config_id = obj.req("id", id, "an id")?;
    let mtime_secs = obj.req("mod", id, "a number")?;
    let name = obj.req("name", string, "a string")?;
    let usn = obj.req("usn", i32_, "an i32")?;
    let max_taken = obj.req("maxTaken", i32_, "an i32")?;
    let autoplay = obj.req("autoplay", bool_, "a bool")?;
    let timer = obj.required("timer")?;
    let replayq = obj.dflt("replayq", false, bool_, "a bool")?;
    let new = read_new(obj.required("new")?).unwrap_or_default();
    let rev = read_rev(obj.required("rev")?).unwrap_or_default();
    let lapse = read_lapse(obj.required("lapse")?).unwrap_or_default();
    obj.take("dyn");
    let question_action = obj.dflt("questionAction", 0, i32_, "an integer")?;
    let question_action = in_range(question_action.into(), 0..=1)
        .ok_or_else(|| obj.error("questionAction", "must be 0 or 1"))?;
    let answer_action = obj.dflt("answerAction", 0, i32_, "an integer")?;
    let answer_action = in_range(answer_action.into(), 0..=4)
        .ok_or_else(|| obj.error("answerAction", "must be 0 to 4"))?;

    let config = DeckConfigConfig {
        learn_steps: new.delays,
        relearn_steps: lapse.delays,
        fsrs_params_4: obj.dflt("fsrsWeights", Vec::new(), floats, "a list of numbers")?,
        easy_days_percentages: obj.dflt("easyDaysPercentages", Vec::new(), floats, "a list")?,
        fsrs_params_5: obj.dflt("fsrsParams5", Vec::new(), floats, "a list of numbers")?,
        fsrs_params_6: obj.dflt("fsrsParams6", Vec::new(), floats, "a list of numbers")?,
        new_per_day: new.per_day,
        reviews_per_day: rev.per_day,
        initial_ease: f32::from(new.initial_factor) / 1000.0,
        easy_multiplier: rev.ease4,
        hard_multiplier: rev.hard_factor,
        lapse_multiplier: lapse.mult,
        interval_multiplier: rev.ivl_fct,
        maximum_review_interval: rev.max_ivl,
        minimum_lapse_interval: lapse.min_int,
        graduating_interval_good: new.ints.0,
        graduating_interval_easy: new.ints.1,
        new_card_insert_order: if new.random_order {
            INSERT_ORDER_RANDOM
        } else {
            INSERT_ORDER_DUE
        },
        leech_action: lapse.leech_action,
        leech_threshold: lapse.leech_fails,
        disable_autoplay: !autoplay,
        cap_answer_time_to_secs: max_taken.max(0) as u32,
        show_timer: json_in::u8_(&timer).unwrap_or(0) != 0,
        skip_question_when_replaying_answer: !replayq,
        bury_new: new.bury,
        bury_reviews: rev.bury,
        bury_interday_learning: obj.dflt("buryInterdayLearning", false, bool_, "a bool")?,
        new_mix: obj.dflt("newMix", 0, i32_, "an integer")?,
        interday_learning_mix: obj.dflt("interdayLearningMix", 0, i32_, "an integer")?,
        new_card_sort_order: obj.dflt("newSortOrder", 0, i32_, "an integer")?,
        review_order: obj.dflt("reviewOrder", 0, i32_, "an integer")?,
        new_card_gather_priority: obj.dflt("newGatherPriority", 0, i32_, "an integer")?,
        new_per_day_minimum: obj.dflt("newPerDayMinimum", 0, u32_, "a u32")?,
        question_action: question_action as i32,
        desired_retention: obj.dflt("desiredRetention", 0.0, f32_, "a number")?,
        stop_timer_on_answer: obj.dflt("stopTimerOnAnswer", false, bool_, "a bool")?,
        historical_retention: obj.dflt("sm2Retention", 0.0, f32_, "a number")?,
        seconds_to_show_question: obj.dflt("secondsToShowQuestion", 0.0, f32_, "a number")?,
        seconds_to_show_answer: obj.dflt("secondsToShowAnswer", 0.0, f32_, "a number")?,
        answer_action: answer_action as i32,
        wait_for_audio: obj.dflt("waitForAudio", true, bool_, "a bool")?,
        param_search: obj.dflt("weightSearch", String::new(), string, "a string")?,
        ignore_revlogs_before_date: obj.dflt(
            "ignoreRevlogsBeforeDate",
            String::new(),
            string,
            "a string",
        )?,
        other: Vec::new(),
    };
    let mut rest = obj.into_rest();
    for (key, extras) in [
        ("new", new.extras),
        ("rev", rev.extras),
        ("lapse", lapse.extras),
    ] {
        if !extras.is_empty() {
            rest.insert(key.to_owned(), Value::Object(extras));
        }
    }
    Ok(DeckConfigRow {
        id: config_id,
        name,
        mtime_secs,
        usn,
        config: DeckConfigConfig {
            other: other::encode(&rest),
            ..config
        }
        .encode_to_vec(),
    })
}

/// Anki replaces out-of-range values with defaults every time it loads a config (§5.6).
fn clamp_u32(value: u32, allowed: std::ops::RangeInclusive<u32>, default: u32) -> u32 {
    if allowed.contains(&value) {
        value
    } else {
        default
    }
}

fn clamp_f32(value: f32, allowed: std::ops::RangeInclusive<f32>, default: f32) -> f32 {
    if allowed.contains(&value) {
        value
    } else {
        default
    }
}

/// The config as Anki uses it: each stored value outside the range the options screen
/// allows replaced by its default, as Anki does every time it loads a config. The JSON
/// the bridge writes and the scheduler's presets both go through this one table.
pub fn clamped(mut c: DeckConfigConfig) -> DeckConfigConfig {
    c.new_per_day = clamp_u32(c.new_per_day, 0..=9999, 20);
    c.reviews_per_day = clamp_u32(c.reviews_per_day, 0..=9999, 200);
    c.new_per_day_minimum = clamp_u32(c.new_per_day_minimum, 0..=9999, 0);
    c.initial_ease = clamp_f32(c.initial_ease, 1.31..=5.0, 2.5);
    c.easy_multiplier = clamp_f32(c.easy_multiplier, 1.0..=5.0, 1.3);
    c.hard_multiplier = clamp_f32(c.hard_multiplier, 0.5..=1.3, 1.2);
    c.lapse_multiplier = clamp_f32(c.lapse_multiplier, 0.0..=1.0, 0.0);
    c.interval_multiplier = clamp_f32(c.interval_multiplier, 0.5..=2.0, 1.0);
    c.maximum_review_interval = clamp_u32(c.maximum_review_interval, 1..=36500, 36500);
    c.minimum_lapse_interval = clamp_u32(c.minimum_lapse_interval, 1..=36500, 1);
    c.graduating_interval_good = clamp_u32(c.graduating_interval_good, 1..=36500, 1);
    c.graduating_interval_easy = clamp_u32(c.graduating_interval_easy, 1..=36500, 4);
    c.leech_threshold = clamp_u32(c.leech_threshold, 1..=9999, 8);
    c.cap_answer_time_to_secs = clamp_u32(c.cap_answer_time_to_secs, 1..=9999, 60);
    c.desired_retention = clamp_f32(c.desired_retention, 0.7..=0.99, 0.9);
    c.historical_retention = clamp_f32(c.historical_retention, 0.7..=0.97, 0.9);
    c
}

/// The extras of one sub-object, kept in `other` under its own key.
fn section_extras(
    top: &mut Map<String, Value>,
    key: &str,
    reserved: &[&str],
) -> Map<String, Value> {
    match top.remove(key) {
        Some(Value::Object(mut map)) => {
            for k in reserved {
                map.remove(*k);
            }
            map
        }
        _ => Map::new(),
    }
}

pub fn deck_config_to_json(row: &DeckConfigRow) -> Result<String, BridgeError> {
    let c = clamped(DeckConfigConfig::decode(row.config.as_slice())?);
    let mut extras = other::decode(&c.other, RESERVED);
    let new_extras = section_extras(&mut extras, "new", RESERVED_NEW);
    let rev_extras = section_extras(&mut extras, "rev", RESERVED_REV);
    let lapse_extras = section_extras(&mut extras, "lapse", RESERVED_LAPSE);
    // Truncating, saturating cast, as Anki's `as u16`.
    let initial_factor = (c.initial_ease * 1000.0) as u16;

    let new = ObjectWriter::new()
        .field("bury", &c.bury_new)
        .field("delays", &c.learn_steps)
        .field("initialFactor", &initial_factor)
        .field(
            "ints",
            &[c.graduating_interval_good, c.graduating_interval_easy, 0],
        )
        .field(
            "order",
            &u8::from(c.new_card_insert_order != INSERT_ORDER_RANDOM),
        )
        .field("perDay", &c.new_per_day)
        .extras(&new_extras)
        .finish();
    let rev = ObjectWriter::new()
        .field("bury", &c.bury_reviews)
        .field("ease4", &c.easy_multiplier)
        .field("ivlFct", &c.interval_multiplier)
        .field("maxIvl", &c.maximum_review_interval)
        .field("perDay", &c.reviews_per_day)
        .field("hardFactor", &c.hard_multiplier)
        .extras(&rev_extras)
        .finish();
    let lapse = ObjectWriter::new()
        .field("delays", &c.relearn_steps)
        .field("leechAction", &u8::from(c.leech_action == LEECH_TAG_ONLY))
        .field("leechFails", &c.leech_threshold)
        .field("minInt", &c.minimum_lapse_interval)
        .field("mult", &c.lapse_multiplier)
        .extras(&lapse_extras)
        .finish();

    Ok(ObjectWriter::new()
        .field("id", &row.id)
        .field("mod", &row.mtime_secs)
        .field("name", &row.name)
        .field("usn", &row.usn)
        .field("maxTaken", &c.cap_answer_time_to_secs)
        .field("autoplay", &!c.disable_autoplay)
        .field("timer", &u8::from(c.show_timer))
        .field("replayq", &!c.skip_question_when_replaying_answer)
        .raw("new", &new)
        .raw("rev", &rev)
        .raw("lapse", &lapse)
        .field("dyn", &false)
        .field("newMix", &c.new_mix)
        .field("newPerDayMinimum", &c.new_per_day_minimum)
        .field("interdayLearningMix", &c.interday_learning_mix)
        .field("reviewOrder", &c.review_order)
        .field("newSortOrder", &c.new_card_sort_order)
        .field("newGatherPriority", &c.new_card_gather_priority)
        .field("buryInterdayLearning", &c.bury_interday_learning)
        .field("fsrsWeights", &c.fsrs_params_4)
        .field("fsrsParams5", &c.fsrs_params_5)
        .field("fsrsParams6", &c.fsrs_params_6)
        .field("desiredRetention", &c.desired_retention)
        .field("ignoreRevlogsBeforeDate", &c.ignore_revlogs_before_date)
        .field("easyDaysPercentages", &c.easy_days_percentages)
        .field("stopTimerOnAnswer", &c.stop_timer_on_answer)
        .field("secondsToShowQuestion", &c.seconds_to_show_question)
        .field("secondsToShowAnswer", &c.seconds_to_show_answer)
        .field("questionAction", &u8::from(c.question_action == 1))
        .field(
            "answerAction",
            &if (1..=4).contains(&c.answer_action) {
                c.answer_action
            } else {
                0
            },
        )
        .field("waitForAudio", &c.wait_for_audio)
        .field("sm2Retention", &c.historical_retention)
        .field("weightSearch", &c.param_search)
        .extras(&extras)
        .finish())
}
