//! Reading schema-11 JSON with exactly Anki's leniency (`schema-bridge.md` §5.10): some
//! keys are required and must have the right type, some fall back to a default when
//! missing, and some silently become the default when their value is invalid.
//!
//! An [`Object`] hands out keys by removing them, so what is left at the end is exactly
//! the unknown keys that go into the `other` blob.

use serde_json::{Map, Value};

use super::BridgeError;

pub struct Object {
    what: &'static str,
    map: Map<String, Value>,
}

impl Object {
    pub fn new(value: Value, what: &'static str) -> Result<Self, BridgeError> {
        match value {
            Value::Object(map) => Ok(Object { what, map }),
            other => Err(BridgeError(format!(
                "{what}: expected an object, got {other}"
            ))),
        }
    }

    /// An object value that is not an object becomes `None` (for "lenient as a whole").
    pub fn lenient(value: Value, what: &'static str) -> Option<Self> {
        Self::new(value, what).ok()
    }

    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.map.remove(key)
    }

    pub fn required(&mut self, key: &str) -> Result<Value, BridgeError> {
        self.take(key).ok_or_else(|| self.error(key, "missing"))
    }

    pub fn error(&self, key: &str, problem: &str) -> BridgeError {
        BridgeError(format!("{}: `{key}` {problem}", self.what))
    }

    fn strict<T>(
        &self,
        key: &str,
        value: &Value,
        read: impl Fn(&Value) -> Option<T>,
        expected: &str,
    ) -> Result<T, BridgeError> {
        read(value).ok_or_else(|| self.error(key, &format!("must be {expected}, got {value}")))
    }

    /// A required key read strictly.
    pub fn req<T>(
        &mut self,
        key: &str,
        read: impl Fn(&Value) -> Option<T>,
        expected: &str,
    ) -> Result<T, BridgeError> {
        let value = self.required(key)?;
        self.strict(key, &value, read, expected)
    }

    /// An optional key read strictly: missing gives `default`, a wrong type is an error.
    pub fn dflt<T>(
        &mut self,
        key: &str,
        default: T,
        read: impl Fn(&Value) -> Option<T>,
        expected: &str,
    ) -> Result<T, BridgeError> {
        match self.take(key) {
            None => Ok(default),
            Some(value) => self.strict(key, &value, read, expected),
        }
    }

    /// A key whose missing or invalid value silently becomes `default`.
    pub fn lenient_or<T>(
        &mut self,
        key: &str,
        default: T,
        read: impl Fn(&Value) -> Option<T>,
    ) -> T {
        self.take(key).and_then(|v| read(&v)).unwrap_or(default)
    }

    /// Every key not taken yet, in a map (serde_json's default map sorts its keys).
    pub fn into_rest(self) -> Map<String, Value> {
        self.map
    }
}

pub fn int(value: &Value) -> Option<i64> {
    value.as_i64()
}

pub fn i32_(value: &Value) -> Option<i32> {
    value.as_i64().and_then(|n| i32::try_from(n).ok())
}

pub fn u32_(value: &Value) -> Option<u32> {
    value.as_u64().and_then(|n| u32::try_from(n).ok())
}

pub fn u16_(value: &Value) -> Option<u16> {
    value.as_u64().and_then(|n| u16::try_from(n).ok())
}

pub fn u8_(value: &Value) -> Option<u8> {
    value.as_u64().and_then(|n| u8::try_from(n).ok())
}

/// A float read the way serde reads an `f32` (through f64, then narrowed).
pub fn f32_(value: &Value) -> Option<f32> {
    value.as_f64().map(|f| f as f32)
}

pub fn floats(value: &Value) -> Option<Vec<f32>> {
    value.as_array()?.iter().map(f32_).collect()
}

pub fn bool_(value: &Value) -> Option<bool> {
    value.as_bool()
}

pub fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// An id: a number, or a string holding one (very old clients sent strings).
pub fn id(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => s.trim().parse().ok(),
        other => other.as_i64(),
    }
}

/// Anki's lenient bool: a bool, 0/1 (also as 0.0/1.0) or a string holding 0 or 1.
pub fn bool_like(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => zero_or_one(n.as_f64()),
        Value::String(s) => zero_or_one(s.trim().parse::<f64>().ok()),
        _ => None,
    }
}

fn zero_or_one(number: Option<f64>) -> Option<bool> {
    let f = number?;
    if f == 0.0 {
        Some(false)
    } else if f == 1.0 {
        Some(true)
    } else {
        None
    }
}
