//! `ApiJson<T>`: the JSON body extractor of every API route. It refuses a bad body with
//! `{"error": "..."}` and a sentence a person can read (which field is missing or has the
//! wrong type, not JSON, wrong content type, too large), never axum's plain-text rejection
//! with our internal type names in it.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::pages::json_error;
use super::WEB_BODY_LIMIT;

/// A JSON request body, deserialised into `T`.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        if !is_json(request.headers()) {
            return Err(json_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as JSON, with the header Content-Type: application/json.",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    json_error(StatusCode::PAYLOAD_TOO_LARGE, &too_large())
                } else {
                    json_error(
                        StatusCode::BAD_REQUEST,
                        "The request body could not be read.",
                    )
                }
            })?;
        parse(&bytes)
            .map(ApiJson)
            .map_err(|message| json_error(StatusCode::BAD_REQUEST, &message))
    }
}

/// The answer to a body over the web body limit.
pub fn too_large() -> String {
    format!(
        "The request body is too large: at most {} KiB is accepted.",
        WEB_BODY_LIMIT / 1024
    )
}

/// `application/json` or any `application/*+json`, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

/// Deserialises the whole body, or says in a sentence what is wrong with it.
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    // serde would take `["a", "b"]` for a struct's fields in order: only an object is a body.
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => "The body must be a JSON object.".into(),
                Err(_) => not_json(),
            },
        );
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| describe(&e.path().to_string(), e.inner()))?;
    deserializer.end().map_err(|_| not_json())?;
    Ok(value)
}

fn not_json() -> String {
    "The body is not valid JSON.".into()
}

/// A readable sentence for a serde error at `path` ("." is the body itself). serde's own
/// text names Rust types ("expected struct ResetBody"), so only its fixed phrases are read.
fn describe(path: &str, error: &serde_json::Error) -> String {
    if !matches!(error.classify(), Category::Data) {
        return not_json();
    }
    let text = error.to_string();
    // serde_json appends " at line L column C" to the message.
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    let at_root = path == "." || path.is_empty();
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let field = if at_root {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return format!("The field \"{field}\" is missing.");
    }
    if at_root {
        return "The body must be a JSON object.".into();
    }
    if let Some((_, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.rsplit_once(", expected "))
    {
        return match readable_kind(expected) {
            Some(kind) => format!("The field \"{path}\" must be {kind}."),
            None => format!("The field \"{path}\" has the wrong type."),
        };
    }
    format!("The field \"{path}\" has an invalid value.")
}

/// serde's fixed names for what it expected, in words; `None` for our own types' names.
fn readable_kind(expected: &str) -> Option<&'static str> {
    match expected {
        "a string" | "a borrowed string" | "a character" => Some("a string"),
        "a boolean" => Some("true or false"),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64" => {
            Some("a number")
        }
        "a sequence" => Some("a list"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct SecretInternalName {
        email: String,
        count: u32,
    }

    fn error_of(body: &str) -> String {
        parse::<SecretInternalName>(body.as_bytes()).expect_err("refused")
    }

    #[test]
    fn bad_bodies_are_described_without_type_names() {
        assert_eq!(error_of("{"), "The body is not valid JSON.");
        assert_eq!(error_of(""), "The body is not valid JSON.");
        assert_eq!(
            error_of(r#"{"email":"a","count":1} x"#),
            "The body is not valid JSON."
        );
        assert_eq!(
            error_of(r#"{"count":1}"#),
            "The field \"email\" is missing."
        );
        assert_eq!(
            error_of(r#"{"email":5,"count":1}"#),
            "The field \"email\" must be a string."
        );
        assert_eq!(
            error_of(r#"{"email":"a","count":"x"}"#),
            "The field \"count\" must be a number."
        );
        assert_eq!(error_of("[1]"), "The body must be a JSON object.");
        assert_eq!(error_of(r#"["a", 1]"#), "The body must be a JSON object.");
        assert_eq!(error_of("null"), "The body must be a JSON object.");
    }

    #[test]
    fn json_content_types_include_parameters_and_suffixes() {
        let mut h = HeaderMap::new();
        for (value, json) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/merge-patch+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
        ] {
            h.insert(header::CONTENT_TYPE, value.parse().expect("header"));
            assert_eq!(is_json(&h), json, "{value}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }
}
