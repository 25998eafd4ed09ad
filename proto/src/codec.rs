//! The one place that knows the wire encoding: bincode 2 behind `encode`/`decode`, and the
//! length-delimited framing. Swapping the encoding means changing this file only.

use bincode::{config, Decode, Encode};
use tokio_util::codec::LengthDelimitedCodec;

/// The largest frame, prefix excluded, either side sends or accepts.
pub const MAX_FRAME_LEN: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("message of {0} bytes exceeds the {MAX_FRAME_LEN}-byte frame limit")]
    TooLarge(usize),
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("{0} trailing bytes after the message")]
    TrailingBytes(usize),
}

/// Varint integers, big-endian, and a hard limit: the decoder refuses any length prefix
/// inside a message that would make it allocate past `MAX_FRAME_LEN`.
fn wire_config() -> impl config::Config {
    config::standard()
        .with_big_endian()
        .with_variable_int_encoding()
        .with_limit::<MAX_FRAME_LEN>()
}

/// Encodes one message into a frame body.
pub fn encode<T: Encode>(message: &T) -> Result<Vec<u8>, CodecError> {
    let bytes = bincode::encode_to_vec(message, wire_config())
        .map_err(|e| CodecError::Malformed(e.to_string()))?;
    if bytes.len() > MAX_FRAME_LEN {
        return Err(CodecError::TooLarge(bytes.len()));
    }
    Ok(bytes)
}

/// Decodes one frame body. Never panics: truncated, oversized, unknown and garbage input
/// all come back as an error, and trailing bytes are refused so a frame has one meaning.
pub fn decode<T: Decode<()>>(bytes: &[u8]) -> Result<T, CodecError> {
    if bytes.len() > MAX_FRAME_LEN {
        return Err(CodecError::TooLarge(bytes.len()));
    }
    let (message, read) = bincode::decode_from_slice(bytes, wire_config())
        .map_err(|e| CodecError::Malformed(e.to_string()))?;
    if read != bytes.len() {
        return Err(CodecError::TrailingBytes(bytes.len() - read));
    }
    Ok(message)
}

/// The framing: a 4-byte big-endian length prefix, frames above `MAX_FRAME_LEN` refused.
pub fn frame_codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_length(4)
        .big_endian()
        .max_frame_length(MAX_FRAME_LEN)
        .new_codec()
}
