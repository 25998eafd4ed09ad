//! Feeds arbitrary bytes to the control-socket decoder and framing: they must return an
//! error or a message, never panic, hang or allocate past the frame limit. A decoded
//! message must survive re-encoding unchanged. (Byte equality is too strong: bincode's
//! varint decoder accepts non-canonical integers, e.g. `fb 00 00` for 0, with the same
//! meaning.)
#![no_main]

use bytes::BytesMut;
use flashcard_flow_proto::{decode, encode, frame_codec, Request, Response};
use libfuzzer_sys::fuzz_target;
use tokio_util::codec::Decoder;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = decode::<Request>(data) {
        let bytes = encode(&request).expect("a decoded request re-encodes");
        assert_eq!(decode::<Request>(&bytes).ok(), Some(request));
    }
    if let Ok(response) = decode::<Response>(data) {
        let bytes = encode(&response).expect("a decoded response re-encodes");
        assert_eq!(decode::<Response>(&bytes).ok(), Some(response));
    }
    let mut buffer = BytesMut::from(data);
    let mut codec = frame_codec();
    while let Ok(Some(frame)) = codec.decode(&mut buffer) {
        let _ = decode::<Request>(&frame);
    }
});
