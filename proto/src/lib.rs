//! The control-socket protocol spoken between `flashcard-flow-server` and `adminctl`.
//!
//! Frames are a 4-byte big-endian length prefix followed by one bincode-encoded message,
//! at most [`MAX_FRAME_LEN`] bytes. The client's first frame is always [`Request::Hello`].
//! Enum variants are only ever appended, so an older peer decoding a newer variant gets a
//! decode error (answered with [`Response::Error`]) rather than a different meaning.
//! Messages carry ids, never passwords.

mod codec;
mod messages;

pub use codec::{decode, encode, frame_codec, CodecError, MAX_FRAME_LEN};
pub use messages::{
    DatabaseIdentity, ErrorKind, Request, Response, StatusReport, PROTOCOL_VERSION,
};
