//! BLAKE3 (32-byte output, unkeyed), written from the published specification. The `hint:`
//! filter names its DOM element after the first bytes of this hash of the field, as Anki
//! does, so the ids match Anki's; nothing here is used for security.

const IV: [u32; 8] = [
    0x6A09_E667,
    0xBB67_AE85,
    0x3C6E_F372,
    0xA54F_F53A,
    0x510E_527F,
    0x9B05_688C,
    0x1F83_D9AB,
    0x5BE0_CD19,
];
const PERMUTATION: [usize; 16] = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const PARENT: u32 = 4;
const ROOT: u32 = 8;
const BLOCK_LEN: usize = 64;
const CHUNK_LEN: usize = 1024;

/// The 32-byte BLAKE3 hash of `input`.
pub(super) fn hash(input: &[u8]) -> [u8; 32] {
    let chunks: Vec<&[u8]> = if input.is_empty() {
        vec![input]
    } else {
        input.chunks(CHUNK_LEN).collect()
    };
    let (last, full) = chunks.split_last().expect("at least one chunk");
    // Completed subtrees, merged as soon as a power-of-two number of chunks is reached.
    let mut stack: Vec<[u32; 8]> = Vec::new();
    for (index, chunk) in full.iter().enumerate() {
        let mut cv = chunk_output(chunk, index as u64).chaining_value();
        let mut total = index as u64 + 1;
        while total & 1 == 0 {
            let left = stack.pop().expect("a left sibling for every even count");
            cv = parent_output(&left, &cv).chaining_value();
            total >>= 1;
        }
        stack.push(cv);
    }
    let mut output = chunk_output(last, full.len() as u64);
    while let Some(left) = stack.pop() {
        output = parent_output(&left, &output.chaining_value());
    }
    let words = compress(
        &output.cv,
        &output.block,
        output.counter,
        output.block_len,
        output.flags | ROOT,
    );
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(words.iter()) {
        bytes.copy_from_slice(&word.to_le_bytes());
    }
    out
}

/// A compression not yet run: the last one of a chunk or a parent, which becomes the
/// root when nothing is left to merge.
struct Output {
    cv: [u32; 8],
    block: [u32; 16],
    counter: u64,
    block_len: u32,
    flags: u32,
}

impl Output {
    fn chaining_value(&self) -> [u32; 8] {
        let state = compress(
            &self.cv,
            &self.block,
            self.counter,
            self.block_len,
            self.flags,
        );
        let mut cv = [0u32; 8];
        cv.copy_from_slice(&state[..8]);
        cv
    }
}

/// Every block of a chunk but the last, compressed; the last one left as an `Output`.
fn chunk_output(chunk: &[u8], counter: u64) -> Output {
    let blocks: Vec<&[u8]> = if chunk.is_empty() {
        vec![chunk]
    } else {
        chunk.chunks(BLOCK_LEN).collect()
    };
    let (last, full) = blocks.split_last().expect("at least one block");
    let mut cv = IV;
    for (index, block) in full.iter().enumerate() {
        let flags = if index == 0 { CHUNK_START } else { 0 };
        let state = compress(&cv, &block_words(block), counter, BLOCK_LEN as u32, flags);
        cv.copy_from_slice(&state[..8]);
    }
    let start = if full.is_empty() { CHUNK_START } else { 0 };
    Output {
        cv,
        block: block_words(last),
        counter,
        block_len: last.len() as u32,
        flags: start | CHUNK_END,
    }
}

fn parent_output(left: &[u32; 8], right: &[u32; 8]) -> Output {
    let mut block = [0u32; 16];
    block[..8].copy_from_slice(left);
    block[8..].copy_from_slice(right);
    Output {
        cv: IV,
        block,
        counter: 0,
        block_len: BLOCK_LEN as u32,
        flags: PARENT,
    }
}

fn block_words(block: &[u8]) -> [u32; 16] {
    let mut padded = [0u8; BLOCK_LEN];
    padded[..block.len()].copy_from_slice(block);
    let mut words = [0u32; 16];
    for (word, bytes) in words.iter_mut().zip(padded.chunks_exact(4)) {
        *word = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    words
}

fn mix(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize, x: u32, y: u32) {
    s[a] = s[a].wrapping_add(s[b]).wrapping_add(x);
    s[d] = (s[d] ^ s[a]).rotate_right(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_right(12);
    s[a] = s[a].wrapping_add(s[b]).wrapping_add(y);
    s[d] = (s[d] ^ s[a]).rotate_right(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_right(7);
}

fn compress(cv: &[u32; 8], block: &[u32; 16], counter: u64, len: u32, flags: u32) -> [u32; 16] {
    let mut s = [0u32; 16];
    s[..8].copy_from_slice(cv);
    s[8..12].copy_from_slice(&IV[..4]);
    s[12] = counter as u32;
    s[13] = (counter >> 32) as u32;
    s[14] = len;
    s[15] = flags;
    let mut m = *block;
    for round in 0..7 {
        mix(&mut s, 0, 4, 8, 12, m[0], m[1]);
        mix(&mut s, 1, 5, 9, 13, m[2], m[3]);
        mix(&mut s, 2, 6, 10, 14, m[4], m[5]);
        mix(&mut s, 3, 7, 11, 15, m[6], m[7]);
        mix(&mut s, 0, 5, 10, 15, m[8], m[9]);
        mix(&mut s, 1, 6, 11, 12, m[10], m[11]);
        mix(&mut s, 2, 7, 8, 13, m[12], m[13]);
        mix(&mut s, 3, 4, 9, 14, m[14], m[15]);
        if round < 6 {
            let previous = m;
            for (slot, &from) in m.iter_mut().zip(PERMUTATION.iter()) {
                *slot = previous[from];
            }
        }
    }
    for i in 0..8 {
        s[i] ^= s[i + 8];
        s[i + 8] ^= cv[i];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::hash;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The specification's published digests of "" and "abc".
    #[test]
    fn digests_match_the_published_ones() {
        assert_eq!(
            hex(&hash(b"")),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        assert_eq!(
            hex(&hash(b"abc")),
            "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        );
    }
}
