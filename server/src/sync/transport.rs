//! The v11 wire format (protocol §1): the `anki-sync` header, one zstd frame in each
//! direction, and `anki-original-size` on every successful response.

use std::cell::RefCell;
use std::fmt;
use std::io::Read;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::compressed_stream::compressed_body;
use super::error::{OrStatus, SyncError};

pub const SYNC_HEADER: &str = "anki-sync";
pub const ORIGINAL_SIZE_HEADER: &str = "anki-original-size";
/// Sync protocol versions accepted (protocol §1.3).
pub const MIN_SYNC_VERSION: u8 = 8;
pub const MAX_SYNC_VERSION: u8 = 11;
/// zstd level of responses: the client's own default.
const RESPONSE_ZSTD_LEVEL: i32 = 3;
/// The largest zstd window accepted (2^27 = 128 MiB), bounding decoder memory.
const MAX_WINDOW_LOG: u32 = 27;

/// The parsed `anki-sync` header. Its `Debug` hides the host key.
#[derive(Clone, Deserialize)]
pub struct SyncHeader {
    #[serde(rename = "v")]
    pub version: u8,
    #[serde(rename = "k", default)]
    pub host_key: String,
    #[serde(rename = "c", default)]
    pub client_version: String,
    #[serde(rename = "s", default)]
    pub session_key: String,
}

impl fmt::Debug for SyncHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncHeader")
            .field("version", &self.version)
            .field("client_version", &self.client_version)
            .field("session_key", &self.session_key)
            .finish_non_exhaustive()
    }
}

/// Byte limits for one request: compressed on the wire, and after decompression.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub compressed: usize,
    pub decompressed: usize,
}

/// Compressed bodies up to this size are decoded on the async worker (microseconds).
const INLINE_DECODE_BYTES: usize = 64 * 1024;

/// Login and `meta` bodies are a few dozen bytes of JSON.
pub const SMALL_BODY: BodyLimits = BodyLimits {
    compressed: 64 * 1024,
    decompressed: 64 * 1024,
};

/// A decoded sync request: the header and the decompressed payload.
pub struct SyncRequest {
    pub header: SyncHeader,
    pub body: Vec<u8>,
}

impl SyncRequest {
    /// Reads the header and the whole body (chunked or not) within `limits`.
    pub async fn read(
        headers: &HeaderMap,
        body: Body,
        limits: BodyLimits,
    ) -> Result<Self, SyncError> {
        let header = parse_sync_header(headers)?;
        let compressed = axum::body::to_bytes(body, limits.compressed)
            .await
            .or_bad_request("request body unreadable or over the size limit")?;
        // Small bodies (logins, meta) decode in place; large ones off the async workers.
        let body = if compressed.len() <= INLINE_DECODE_BYTES {
            decompress_one_frame(&compressed, limits.decompressed)?
        } else {
            tokio::task::spawn_blocking(move || {
                decompress_one_frame(&compressed, limits.decompressed)
            })
            .await
            .or_internal("decompression task failed")??
        };
        Ok(SyncRequest { header, body })
    }

    pub fn json<T: DeserializeOwned>(&self) -> Result<T, SyncError> {
        serde_json::from_slice(&self.body).or_bad_request("invalid JSON body")
    }
}

pub fn parse_sync_header(headers: &HeaderMap) -> Result<SyncHeader, SyncError> {
    let raw = headers
        .get(SYNC_HEADER)
        .or_bad_request("missing anki-sync header (legacy multipart clients are not supported)")?;
    let header: SyncHeader =
        serde_json::from_slice(raw.as_bytes()).or_bad_request("bad sync header")?;
    if !(MIN_SYNC_VERSION..=MAX_SYNC_VERSION).contains(&header.version) {
        return Err(SyncError::bad_request(format!(
            "unsupported sync version {}",
            header.version
        )));
    }
    Ok(header)
}

/// Decodes exactly one zstd frame, refusing output past `limit` (a zstd bomb stops there).
pub fn decompress_one_frame(data: &[u8], limit: usize) -> Result<Vec<u8>, SyncError> {
    if data.is_empty() {
        return Err(SyncError::bad_request("empty request body"));
    }
    let mut decoder = zstd::stream::read::Decoder::with_buffer(data)
        .or_bad_request("cannot start zstd decoder")?
        .single_frame();
    decoder
        .window_log_max(MAX_WINDOW_LOG)
        .or_bad_request("cannot limit zstd window")?;
    let mut out = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    decoder
        .take(cap)
        .read_to_end(&mut out)
        .or_bad_request("request body is not one valid zstd frame")?;
    if out.len() > limit {
        return Err(SyncError::bad_request(format!(
            "request body decompresses past the {limit}-byte limit"
        )));
    }
    Ok(out)
}

/// A successful response: `value` as JSON in one zstd frame, with `anki-original-size`.
pub fn json_response<T: Serialize>(value: &T) -> Result<Response, SyncError> {
    let json = serde_json::to_vec(value).or_internal("cannot encode response")?;
    bytes_response(json)
}

/// Replies larger than this (a collection download, a media batch, a big chunk) are
/// compressed while they are sent.
const STREAMED_REPLY_BYTES: usize = 1024 * 1024;

/// A successful response carrying raw bytes (JSON text, or a file for downloads).
pub fn bytes_response(data: Vec<u8>) -> Result<Response, SyncError> {
    let original_size = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let body = if data.len() > STREAMED_REPLY_BYTES {
        compressed_body(data, RESPONSE_ZSTD_LEVEL)
    } else {
        Body::from(compress(&data).or_internal("cannot compress response")?)
    };
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(ORIGINAL_SIZE_HEADER, HeaderValue::from(original_size));
    Ok(response)
}

thread_local! {
    /// One compression context per thread, reused: setting one up costs more than
    /// compressing the small replies most calls send.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        const { RefCell::new(None) };
}

/// Replies up to this size reuse the thread's context. Larger ones get a context of their
/// own, so no thread keeps the big buffers a collection-sized reply needs.
const REUSED_CONTEXT_MAX_BYTES: usize = 64 * 1024;

/// One zstd frame of `data` at the response level.
fn compress(data: &[u8]) -> std::io::Result<Vec<u8>> {
    if data.len() > REUSED_CONTEXT_MAX_BYTES {
        return zstd::bulk::compress(data, RESPONSE_ZSTD_LEVEL);
    }
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let compressor = match slot.as_mut() {
            Some(compressor) => compressor,
            None => slot.insert(zstd::bulk::Compressor::new(RESPONSE_ZSTD_LEVEL)?),
        };
        compressor.compress(data)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_frame_round_trips() {
        let frame = zstd::bulk::compress(b"{\"v\":11}", 3).expect("compress");
        assert_eq!(
            decompress_one_frame(&frame, 100).expect("decode"),
            b"{\"v\":11}"
        );
    }

    #[test]
    fn a_second_concatenated_frame_is_not_read() {
        let mut two = zstd::bulk::compress(b"{}", 3).expect("compress");
        two.extend(zstd::bulk::compress(b"[]", 3).expect("compress"));
        assert_eq!(decompress_one_frame(&two, 100).expect("decode"), b"{}");
    }

    #[test]
    fn a_zstd_bomb_stops_at_the_limit() {
        let bomb = zstd::bulk::compress(&vec![0u8; 10 << 20], 19).expect("compress");
        assert!(bomb.len() < 4096);
        let err = decompress_one_frame(&bomb, 1 << 20).expect_err("refused");
        assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn garbage_and_plain_bodies_are_bad_requests() {
        for body in [&b""[..], b"{\"v\":11}", b"\x28\xb5\x2f\xfd garbage"] {
            let err = decompress_one_frame(body, 100).expect_err("refused");
            assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn the_header_debug_hides_the_host_key() {
        let header: SyncHeader =
            serde_json::from_str(r#"{"v":11,"k":"secretkey","c":"26.09.3","s":"abc"}"#)
                .expect("parse");
        assert!(!format!("{header:?}").contains("secretkey"));
    }
}
