//! PBKDF2-HMAC-SHA256 for Anki logins, with the HMAC key schedule done once per hash.
//!
//! Every Anki login verifies 600 000 rounds (SECURITY.md), so the round loop is the cost of
//! a login. The generic `pbkdf2` crate runs each round through the full `hmac` API: it
//! clones the keyed state, pads and finalises twice. Here each round is exactly the two
//! SHA-256 block compressions the algorithm needs, from inner and outer states computed
//! once from the key, using RustCrypto's `sha2::compress256` (with SHA-NI where the CPU has
//! it). Same algorithm, same parameters, same output bytes as the crate: an attacker's cost
//! is unchanged, ours drops by about a quarter. The tests pin the output to the crate and to
//! the RFC 7914 vectors.
//!
//! Other PBKDF2 variants (SHA-512 hashes imported from the official server) go to the crate.

use hmac::{Hmac, Mac};
use pbkdf2::password_hash::{
    Decimal, Ident, Output, PasswordHash, PasswordHasher, Result as PhcResult, Salt,
};
use pbkdf2::{Algorithm, Params, Pbkdf2};
use sha2::digest::generic_array::GenericArray;
use sha2::{Digest, Sha256};

const BLOCK_BYTES: usize = 64;
const DIGEST_BYTES: usize = 32;
/// SHA-256's initial hash value (FIPS 180-4, 5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The PHC hasher for Anki passwords: the fast loop for `pbkdf2-sha256`, the `pbkdf2`
/// crate for every other variant.
#[derive(Debug, Clone, Copy)]
pub struct AnkiPbkdf2;

impl PasswordHasher for AnkiPbkdf2 {
    type Params = Params;

    fn hash_password_customized<'a>(
        &self,
        password: &[u8],
        alg_id: Option<Ident<'a>>,
        version: Option<Decimal>,
        params: Params,
        salt: impl Into<Salt<'a>>,
    ) -> PhcResult<PasswordHash<'a>> {
        let algorithm = Algorithm::try_from(alg_id.unwrap_or(Algorithm::Pbkdf2Sha256.ident()))?;
        if algorithm != Algorithm::Pbkdf2Sha256 || version.is_some() {
            return Pbkdf2.hash_password_customized(password, alg_id, version, params, salt);
        }
        let salt = salt.into();
        // The crate hashes the decoded salt bytes; so must we, to read its PHC strings.
        let mut salt_buffer = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buffer)?;
        let output = Output::init_with(params.output_length, |out| {
            pbkdf2_hmac_sha256(password, salt_bytes, params.rounds, out);
            Ok(())
        })?;
        Ok(PasswordHash {
            algorithm: algorithm.ident(),
            version: None,
            params: params.try_into()?,
            salt: Some(salt),
            hash: Some(output),
        })
    }
}

/// HMAC-SHA256's inner and outer states after absorbing the padded key.
struct KeyedStates {
    inner: [u32; 8],
    outer: [u32; 8],
}

impl KeyedStates {
    fn new(password: &[u8]) -> Self {
        let mut key = [0u8; BLOCK_BYTES];
        if password.len() > BLOCK_BYTES {
            key[..DIGEST_BYTES].copy_from_slice(&Sha256::digest(password));
        } else {
            key[..password.len()].copy_from_slice(password);
        }
        let pad = |byte: u8| {
            let mut block = [byte; BLOCK_BYTES];
            block.iter_mut().zip(key).for_each(|(b, k)| *b ^= k);
            let mut state = SHA256_IV;
            sha2::compress256(&mut state, &[GenericArray::from(block)]);
            state
        };
        KeyedStates {
            inner: pad(0x36),
            outer: pad(0x5c),
        }
    }

    /// HMAC of a 32-byte message (one earlier round's output), as words: one compression
    /// for the inner hash, one for the outer. Both messages fit one padded block.
    fn mac_of_digest(&self, message: &[u32; 8]) -> [u32; 8] {
        let mut block = [0u8; BLOCK_BYTES];
        // SHA-256 padding for 64 + 32 bytes: 0x80, zeros, then the bit length 768.
        block[DIGEST_BYTES] = 0x80;
        block[BLOCK_BYTES - 2..].copy_from_slice(&768u16.to_be_bytes());
        write_words(&mut block, message);
        let mut inner = self.inner;
        sha2::compress256(&mut inner, &[GenericArray::from(block)]);
        write_words(&mut block, &inner);
        let mut outer = self.outer;
        sha2::compress256(&mut outer, &[GenericArray::from(block)]);
        outer
    }
}

fn write_words(block: &mut [u8; BLOCK_BYTES], words: &[u32; 8]) {
    for (chunk, word) in block.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
}

fn read_words(bytes: &[u8]) -> [u32; 8] {
    let mut words = [0u32; 8];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(4)) {
        *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    words
}

/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) into `out`, of any length.
pub fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
    let keyed = KeyedStates::new(password);
    for (index, chunk) in (1u32..).zip(out.chunks_mut(DIGEST_BYTES)) {
        // U1 = HMAC(P, S || INT(i)): the salt has any length, so the general HMAC.
        let mut first = <Hmac<Sha256> as Mac>::new_from_slice(password)
            .expect("HMAC takes a key of any length");
        first.update(salt);
        first.update(&index.to_be_bytes());
        let mut u = read_words(&first.finalize().into_bytes());
        let mut sum = u;
        for _ in 1..rounds {
            u = keyed.mac_of_digest(&u);
            sum.iter_mut().zip(u).for_each(|(s, w)| *s ^= w);
        }
        let mut bytes = [0u8; DIGEST_BYTES];
        for (b, word) in bytes.chunks_exact_mut(4).zip(sum) {
            b.copy_from_slice(&word.to_be_bytes());
        }
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbkdf2::password_hash::{PasswordVerifier, SaltString};

    fn crate_output(password: &[u8], salt: &[u8], rounds: u32, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, rounds, &mut out);
        out
    }

    fn ours(password: &[u8], salt: &[u8], rounds: u32, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        pbkdf2_hmac_sha256(password, salt, rounds, &mut out);
        out
    }

    #[test]
    fn matches_the_rfc_7914_vectors() {
        assert_eq!(
            hex::encode(ours(b"passwd", b"salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
        assert_eq!(
            hex::encode(ours(b"Password", b"NaCl", 80_000, 64)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
             a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        );
    }

    #[test]
    fn matches_the_pbkdf2_crate_for_every_key_and_output_shape() {
        let long_password = "😀".repeat(128); // 512 bytes: hashed to form the HMAC key
        let passwords: [&[u8]; 5] = [
            b"",
            b"x",
            b"bench-password-123",
            &[0x41; 64], // exactly one block: used as is
            long_password.as_bytes(),
        ];
        let salts: [&[u8]; 3] = [b"", b"0123456789abcdef", &[0xa5; 100]];
        for password in passwords {
            for salt in salts {
                for (rounds, len) in [(1, 32), (2, 20), (3, 33), (1_000, 64), (7, 100)] {
                    assert_eq!(
                        ours(password, salt, rounds, len),
                        crate_output(password, salt, rounds, len),
                        "password {} bytes, salt {} bytes, {rounds} rounds, {len} bytes out",
                        password.len(),
                        salt.len()
                    );
                }
            }
        }
    }

    #[test]
    fn phc_strings_read_and_written_both_ways_with_the_crate() {
        let salt = SaltString::from_b64("tonuvYGpksNFQBlEmm3lxg").expect("salt");
        let params = Params {
            rounds: 10_000,
            output_length: 32,
        };
        let by_crate = Pbkdf2
            .hash_password_customized(b"pw-123", None, None, params, &salt)
            .expect("crate hash")
            .to_string();
        let by_us = AnkiPbkdf2
            .hash_password_customized(b"pw-123", None, None, params, &salt)
            .expect("our hash")
            .to_string();
        assert_eq!(by_crate, by_us);
        let parsed = PasswordHash::new(&by_crate).expect("phc");
        assert!(AnkiPbkdf2.verify_password(b"pw-123", &parsed).is_ok());
        assert!(AnkiPbkdf2.verify_password(b"pw-124", &parsed).is_err());
    }

    #[test]
    fn sha512_hashes_still_verify_through_the_crate() {
        let salt = SaltString::from_b64("tonuvYGpksNFQBlEmm3lxg").expect("salt");
        let phc = Pbkdf2
            .hash_password_customized(
                b"pw-512",
                Some(Algorithm::Pbkdf2Sha512.ident()),
                None,
                Params {
                    rounds: 1_000,
                    output_length: 64,
                },
                &salt,
            )
            .expect("hash")
            .to_string();
        let parsed = PasswordHash::new(&phc).expect("phc");
        assert!(AnkiPbkdf2.verify_password(b"pw-512", &parsed).is_ok());
        assert!(AnkiPbkdf2.verify_password(b"pw-513", &parsed).is_err());
    }
}
