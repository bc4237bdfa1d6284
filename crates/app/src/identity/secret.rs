//! Bearer secrets: a session id or an API token, generated here, handed to the client once and kept at rest
//! only as a hash.

use rand::RngCore;
use severn_domain::identity::hash_secret;
use std::fmt;

/// A bearer secret handed to a client once: a session id or an API token (256 random bits, hex). Kept at
/// rest only as its hash; its `Debug` form never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn generate() -> Secret {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Secret(hex_encode(&bytes))
    }

    /// A secret as a client presented it.
    pub fn from_client(text: &str) -> Secret {
        Secret(text.to_owned())
    }

    /// The value to hand to the client (in a cookie or once on screen).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(super) fn hash(&self) -> String {
        hash_secret(&self.0)
    }
}

pub(super) fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
