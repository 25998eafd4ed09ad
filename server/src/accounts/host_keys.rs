//! Anki host keys: random 256-bit bearer tokens, of which only the SHA-256 digest is
//! stored. (The official server's key is sha1("user:password"), a permanent password
//! equivalent; ours is unguessable, revocable, and useless if the database leaks.)

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// A freshly minted key: shown to the client once, never stored or logged.
pub struct HostKey(SecretString);

impl HostKey {
    pub fn mint() -> Self {
        HostKey(SecretString::from(hex::encode(rand::random::<[u8; 32]>())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn digest(&self) -> String {
        digest(self.expose())
    }
}

/// The SHA-256 hex digest under which a key (or session id, or token) is stored.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_keys_are_256_bit_and_distinct() {
        let a = HostKey::mint();
        let b = HostKey::mint();
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.digest(), digest(a.expose()));
        assert_ne!(a.digest(), a.expose());
    }
}
