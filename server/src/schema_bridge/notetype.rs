//! Notetypes: a `notetypes` row with its `fields` and `templates` rows
//! (`Notetype.Config`, `Field.Config`, `Template.Config`) ⇄ schema-11 notetype JSON
//! (`schema-bridge.md` §3.4–3.6, §4.4, §5.7).

use prost::Message;
use serde_json::{json, Value};

use super::json_in::{self, Object};
use super::json_out::{self, ObjectWriter};
use super::other;
use super::pb::{CardRequirement, FieldConfig, NotetypeConfig, TemplateConfig};
use super::BridgeError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRow {
    pub ord: u32,
    pub name: String,
    pub config: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub ord: u32,
    pub name: String,
    pub mtime_secs: i64,
    pub usn: i32,
    pub config: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotetypeRow {
    pub id: i64,
    pub name: String,
    pub mtime_secs: i64,
    pub usn: i32,
    pub config: Vec<u8>,
    pub fields: Vec<FieldRow>,
    pub templates: Vec<TemplateRow>,
}

const RESERVED: &[&str] = &[
    "latexPost",
    "flds",
    "css",
    "originalStockKind",
    "originalId",
    "id",
    "usn",
    "mod",
    "req",
    "latexPre",
    "name",
    "did",
    "tmpls",
    "type",
    "sortf",
    "latexsvg",
];
const RESERVED_FIELD: &[&str] = &[
    "name",
    "ord",
    "sticky",
    "rtl",
    "font",
    "size",
    "description",
    "plainText",
    "collapsed",
    "excludeFromSearch",
    "id",
    "tag",
    "preventDeletion",
];
const RESERVED_TEMPLATE: &[&str] = &[
    "name", "ord", "qfmt", "afmt", "bqfmt", "bafmt", "did", "bfont", "bsize", "id",
];

const KIND_CLOZE: i32 = 1;
const REQUIREMENT_KINDS: [&str; 3] = ["none", "any", "all"];

/// The sort field's index, read from a stored notetype config (for `sfld`).
pub fn sort_field_index(config: &[u8]) -> Result<usize, BridgeError> {
    Ok(NotetypeConfig::decode(config)?.sort_field_idx as usize)
}

fn requirement(value: &Value) -> Option<CardRequirement> {
    let [ord, kind, fields] = value.as_array()?.as_slice() else {
        return None;
    };
    Some(CardRequirement {
        card_ord: json_in::u16_(ord)?.into(),
        kind: REQUIREMENT_KINDS
            .iter()
            .position(|k| Some(*k) == kind.as_str())? as i32,
        field_ords: fields
            .as_array()?
            .iter()
            .map(|f| json_in::u16_(f).map(u32::from))
            .collect::<Option<_>>()?,
    })
}

fn optional_id(value: &Value) -> Option<Option<i64>> {
    Some(value.as_i64())
}

fn field_from_json(value: Value, ord: usize) -> Result<FieldRow, BridgeError> {
    use json_in::{bool_, bool_like, string, u16_, u32_};
    let mut obj = Object::new(value, "notetype field")?;
    let name = obj.req("name", string, "a string")?;
    obj.take("ord");
    let config = FieldConfig {
        sticky: obj.req("sticky", bool_like, "a bool")?,
        rtl: obj.req("rtl", bool_like, "a bool")?,
        font_name: obj.req("font", string, "a string")?,
        font_size: obj.req("size", u16_, "a u16")?.into(),
        description: obj.lenient_or("description", String::new(), string),
        plain_text: obj.lenient_or("plainText", false, bool_),
        collapsed: obj.lenient_or("collapsed", false, bool_),
        exclude_from_search: obj.lenient_or("excludeFromSearch", false, bool_),
        id: obj.lenient_or("id", None, optional_id),
        tag: obj.lenient_or("tag", None, |v| Some(u32_(v))),
        prevent_deletion: obj.lenient_or("preventDeletion", false, bool_),
        other: Vec::new(),
    };
    Ok(FieldRow {
        ord: ord as u32,
        name,
        config: FieldConfig {
            other: other::encode(&obj.into_rest()),
            ..config
        }
        .encode_to_vec(),
    })
}

fn template_from_json(value: Value, ord: usize) -> Result<TemplateRow, BridgeError> {
    use json_in::{string, u8_};
    let mut obj = Object::new(value, "notetype template")?;
    let name = obj.req("name", string, "a string")?;
    obj.take("ord");
    let config = TemplateConfig {
        q_format: obj.req("qfmt", string, "a string")?,
        a_format: obj.dflt("afmt", String::new(), string, "a string")?,
        q_format_browser: obj.dflt("bqfmt", String::new(), string, "a string")?,
        a_format_browser: obj.dflt("bafmt", String::new(), string, "a string")?,
        target_deck_id: obj.lenient_or("did", 0, Value::as_i64),
        browser_font_name: obj.lenient_or("bfont", String::new(), string),
        browser_font_size: obj.lenient_or("bsize", 0, u8_).into(),
        id: obj.lenient_or("id", None, optional_id),
        other: Vec::new(),
    };
    // Sync writes template rows with mtime and usn 0 (§3.6).
    Ok(TemplateRow {
        ord: ord as u32,
        name,
        mtime_secs: 0,
        usn: 0,
        config: TemplateConfig {
            other: other::encode(&obj.into_rest()),
            ..config
        }
        .encode_to_vec(),
    })
}

pub fn notetype_from_json(value: Value) -> Result<NotetypeRow, BridgeError> {
    use json_in::{bool_, i32_, id, int, string, u16_};
    let mut obj = Object::new(value, "notetype")?;
    let notetype_id = obj.req("id", id, "an id")?;
    let name = obj.req("name", string, "a string")?;
    let kind = obj.req("type", i32_, "0 or 1")?;
    if !(0..=1).contains(&kind) {
        return Err(obj.error("type", "must be 0 or 1"));
    }
    let mtime_secs = obj.req("mod", int, "a number")?;
    let usn = obj.req("usn", i32_, "an i32")?;
    let sort_field = obj.req("sortf", u16_, "a u16")?;
    let target_deck = obj.required("did")?.as_i64().unwrap_or(0);
    let templates = obj.req("tmpls", |v| v.as_array().cloned(), "a list")?;
    let fields = obj.req("flds", |v| v.as_array().cloned(), "a list")?;
    let css = obj.required("css")?.as_str().unwrap_or_default().to_owned();
    let config = NotetypeConfig {
        kind,
        sort_field_idx: sort_field.into(),
        css,
        target_deck_id_unused: target_deck,
        latex_pre: obj.dflt("latexPre", String::new(), string, "a string")?,
        latex_post: obj.dflt("latexPost", String::new(), string, "a string")?,
        latex_svg: obj.lenient_or("latexsvg", false, bool_),
        reqs: obj.lenient_or("req", Vec::new(), |v| {
            v.as_array()?.iter().map(requirement).collect()
        }),
        original_stock_kind: obj.dflt("originalStockKind", 0, i32_, "an integer")?,
        original_id: obj.dflt("originalId", None, |v| v.as_i64().map(Some), "an integer")?,
        other: Vec::new(),
    };
    Ok(NotetypeRow {
        id: notetype_id,
        name,
        mtime_secs,
        usn,
        config: NotetypeConfig {
            other: other::encode(&obj.into_rest()),
            ..config
        }
        .encode_to_vec(),
        fields: fields
            .into_iter()
            .enumerate()
            .map(|(ord, f)| field_from_json(f, ord))
            .collect::<Result<_, _>>()?,
        templates: templates
            .into_iter()
            .enumerate()
            .map(|(ord, t)| template_from_json(t, ord))
            .collect::<Result<_, _>>()?,
    })
}

fn field_to_json(row: &FieldRow) -> Result<String, BridgeError> {
    let c = FieldConfig::decode(row.config.as_slice())?;
    Ok(ObjectWriter::new()
        .field("name", &row.name)
        .field("ord", &row.ord)
        .field("sticky", &c.sticky)
        .field("rtl", &c.rtl)
        .field("font", &c.font_name)
        .field("size", &(c.font_size as u16))
        .field("description", &c.description)
        .field("plainText", &c.plain_text)
        .field("collapsed", &c.collapsed)
        .field("excludeFromSearch", &c.exclude_from_search)
        .field("id", &c.id)
        .field("tag", &c.tag)
        .field("preventDeletion", &c.prevent_deletion)
        .extras(&other::decode(&c.other, RESERVED_FIELD))
        .finish())
}

fn template_to_json(row: &TemplateRow) -> Result<String, BridgeError> {
    let c = TemplateConfig::decode(row.config.as_slice())?;
    Ok(ObjectWriter::new()
        .field("name", &row.name)
        .field("ord", &row.ord)
        .field("qfmt", &c.q_format)
        .field("afmt", &c.a_format)
        .field("bqfmt", &c.q_format_browser)
        .field("bafmt", &c.a_format_browser)
        .field("did", &(c.target_deck_id > 0).then_some(c.target_deck_id))
        .field("bfont", &c.browser_font_name)
        .field("bsize", &(c.browser_font_size as u8))
        .field("id", &c.id)
        .extras(&other::decode(&c.other, RESERVED_TEMPLATE))
        .finish())
}

pub fn notetype_to_json(row: &NotetypeRow) -> Result<String, BridgeError> {
    let c = NotetypeConfig::decode(row.config.as_slice())?;
    let templates = row
        .templates
        .iter()
        .map(template_to_json)
        .collect::<Result<Vec<_>, _>>()?;
    let fields = row
        .fields
        .iter()
        .map(field_to_json)
        .collect::<Result<Vec<_>, _>>()?;
    let reqs: Vec<Value> = c
        .reqs
        .iter()
        .map(|r| {
            let kind = usize::try_from(r.kind)
                .ok()
                .and_then(|k| REQUIREMENT_KINDS.get(k))
                .unwrap_or(&"none");
            let ords: Vec<u16> = r.field_ords.iter().map(|o| *o as u16).collect();
            json!([r.card_ord as u16, kind, ords])
        })
        .collect();
    let mut out = ObjectWriter::new();
    out.field("id", &row.id)
        .field("name", &row.name)
        .field("type", &i32::from(c.kind == KIND_CLOZE))
        .field("mod", &row.mtime_secs)
        .field("usn", &row.usn)
        .field("sortf", &(c.sort_field_idx as u16))
        .field(
            "did",
            &(c.target_deck_id_unused != 0).then_some(c.target_deck_id_unused),
        )
        .raw("tmpls", &json_out::array(&templates))
        .raw("flds", &json_out::array(&fields))
        .field("css", &c.css)
        .field("latexPre", &c.latex_pre)
        .field("latexPost", &c.latex_post)
        .field("latexsvg", &c.latex_svg)
        .field("req", &reqs);
    if c.original_stock_kind != 0 {
        out.field("originalStockKind", &c.original_stock_kind);
    }
    if let Some(original_id) = c.original_id {
        out.field("originalId", &original_id);
    }
    Ok(out.extras(&other::decode(&c.other, RESERVED)).finish())
}
