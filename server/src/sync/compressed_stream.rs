//! A large reply compressed while it is sent: one zstd frame, produced slice by slice on
//! the blocking pool and handed to the connection as each piece is ready.
//!
//! Compressing a whole collection before sending its first byte leaves the client idle
//! for that long; streamed, the client receives and decompresses while the server is still
//! compressing, as the official server's replies do.

use std::io::{self, Write};

use axum::body::Body;
use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc;

/// Input is fed to the encoder in slices of this size.
const SLICE_BYTES: usize = 256 * 1024;
/// Compressed output is sent on in pieces of at least this size.
const PIECE_BYTES: usize = 64 * 1024;
/// Pieces waiting for the connection; bounds memory when the client reads slowly.
const QUEUED_PIECES: usize = 8;

/// A body that is `data` as one zstd frame at `level`, compressed as it is sent. Must be
/// called inside the runtime (on an async worker or a blocking-pool thread).
pub fn compressed_body(data: Vec<u8>, level: i32) -> Body {
    let (pieces, queued) = mpsc::channel(QUEUED_PIECES);
    tokio::task::spawn_blocking(move || {
        let sender = pieces.clone();
        if let Err(error) = compress_into(&data, level, PieceSender::new(sender)) {
            // A closed channel means the client went away; anything else ends the body
            // with an error, so the client sees a broken reply rather than a short one.
            if error.kind() != io::ErrorKind::BrokenPipe {
                tracing::warn!(%error, "compressing a streamed reply failed");
                let _ = pieces.blocking_send(Err(error));
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(
        queued,
        |mut queued: mpsc::Receiver<io::Result<Bytes>>| async move {
            queued.recv().await.map(|piece| (piece, queued))
        },
    ))
}

fn compress_into(data: &[u8], level: i32, out: PieceSender) -> io::Result<()> {
    let mut encoder = zstd::stream::write::Encoder::new(out, level)?;
    // The frame header records the size, as the whole-buffer compressor's does.
    encoder.include_contentsize(true)?;
    encoder.set_pledged_src_size(u64::try_from(data.len()).ok())?;
    for slice in data.chunks(SLICE_BYTES) {
        encoder.write_all(slice)?;
    }
    encoder.finish()?.flush()
}

/// Collects encoder output and sends it on in pieces of at least [`PIECE_BYTES`].
struct PieceSender {
    pieces: mpsc::Sender<io::Result<Bytes>>,
    pending: BytesMut,
}

impl PieceSender {
    fn new(pieces: mpsc::Sender<io::Result<Bytes>>) -> Self {
        PieceSender {
            pieces,
            pending: BytesMut::with_capacity(PIECE_BYTES),
        }
    }

    fn send_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let piece = self.pending.split().freeze();
        self.pieces
            .blocking_send(Ok(piece))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for PieceSender {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if self.pending.len() >= PIECE_BYTES {
            self.send_pending()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_pending()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::transport::decompress_one_frame;

    async fn collected(body: Body) -> Vec<u8> {
        axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("body")
            .to_vec()
    }

    #[tokio::test]
    async fn a_streamed_reply_is_one_frame_of_the_data() {
        // Several slices and pieces, partly incompressible so output spans pieces.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let data: Vec<u8> = (0..3 * SLICE_BYTES + 17)
            .map(|i| {
                // xorshift noise in every other byte: compressible, but not to nothing
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if i % 2 == 0 {
                    state.to_le_bytes()[0]
                } else {
                    b'a'
                }
            })
            .collect();
        let frame = collected(compressed_body(data.clone(), 3)).await;
        assert!(frame.len() > PIECE_BYTES, "test data must span pieces");
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&frame).expect("header"),
            Some(data.len() as u64)
        );
        assert_eq!(
            zstd::zstd_safe::find_frame_compressed_size(&frame).expect("one frame"),
            frame.len(),
            "exactly one frame, nothing after it"
        );
        assert_eq!(
            decompress_one_frame(&frame, data.len()).expect("decode"),
            data
        );
    }

    #[tokio::test]
    async fn an_empty_reply_is_an_empty_frame() {
        let frame = collected(compressed_body(Vec::new(), 3)).await;
        assert_eq!(decompress_one_frame(&frame, 10).expect("decode"), b"");
    }

    #[test]
    fn a_dropped_body_stops_the_compression() {
        let (pieces, queued) = mpsc::channel(1);
        drop(queued);
        let error = compress_into(&[7; 4 * PIECE_BYTES], 1, PieceSender::new(pieces))
            .expect_err("nobody receives");
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    }
}
