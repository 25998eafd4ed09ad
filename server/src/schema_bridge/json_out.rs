//! Writing schema-11 JSON byte for byte as Anki's backend does: keys in its struct order,
//! compact, and every float an `f32` printed by serde_json (shortest form that reads back
//! as the same f32, so `0.9`, never `0.8999999761581421`).

use serde::Serialize;
use serde_json::{Map, Value};

pub struct ObjectWriter {
    out: String,
}

impl ObjectWriter {
    pub fn new() -> Self {
        ObjectWriter {
            out: String::from("{"),
        }
    }

    pub fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        self.key(key);
        // Serialising plain values into a String cannot fail.
        self.out
            .push_str(&serde_json::to_string(value).unwrap_or_else(|_| "null".into()));
        self
    }

    /// A value that is already JSON text (a nested object written by another writer).
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key);
        self.out.push_str(json);
        self
    }

    /// The keys of an `other` blob, spliced in where Anki's `#[serde(flatten)]` puts them.
    pub fn extras(&mut self, extras: &Map<String, Value>) -> &mut Self {
        for (key, value) in extras {
            self.field(key, value);
        }
        self
    }

    fn key(&mut self, key: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        self.out
            .push_str(&serde_json::to_string(key).unwrap_or_else(|_| "\"\"".into()));
        self.out.push(':');
    }

    pub fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.out);
        out.push('}');
        out
    }
}

/// Joins JSON texts into an array.
pub fn array(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}
