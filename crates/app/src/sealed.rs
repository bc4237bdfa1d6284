//! Authenticator secrets sealed at rest. Someone who can read the database but not the server's key file
//! learns nothing from the `credential` table: each TOTP secret is encrypted with ChaCha20-Poly1305 under a
//! key derived from the audit key (kept outside the database, see docs/access.md), with a random nonce.
//! Stored as `v1:` and the hex of nonce and ciphertext. A secret stored before sealing (plain hex) is still
//! read, and sealed when it is next written.

use crate::{AppError, Result};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use severn_domain::totp::TotpSecret;

const PREFIX: &str = "v1:";
const NONCE_BYTES: usize = 12;

/// What [`App::sealing_key`](crate::App) derives the sealing key for.
pub(crate) const PURPOSE: &str = "totp secrets";

/// `key` is the audit key's derivation for [`PURPOSE`].
fn cipher(key: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(&Key::from(*key))
}

/// The stored form of `secret`.
pub fn seal(key: &[u8; 32], secret: &TotpSecret) -> String {
    let mut nonce = [0u8; NONCE_BYTES];
    rand::rng().fill_bytes(&mut nonce);
    let plain = secret.to_hex();
    let sealed = cipher(key)
        .encrypt(&Nonce::from(nonce), plain.as_bytes())
        .expect("encrypting a short secret in memory cannot fail");
    format!("{PREFIX}{}{}", hex::encode(nonce), hex::encode(sealed))
}

/// The secret in its stored form; an error if it was altered or sealed under another key.
pub fn open(key: &[u8; 32], stored: &str) -> Result<TotpSecret> {
    let Some(sealed) = stored.strip_prefix(PREFIX) else {
        return TotpSecret::from_hex(stored).map_err(AppError::Invalid);
    };
    let refused = || {
        AppError::Invalid(
            "the stored authenticator secret cannot be opened with this server's key".to_owned(),
        )
    };
    let bytes = hex::decode(sealed).map_err(|_| refused())?;
    if bytes.len() <= NONCE_BYTES {
        return Err(refused());
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| refused())?;
    let plain = cipher(key)
        .decrypt(&Nonce::from(nonce), ciphertext)
        .map_err(|_| refused())?;
    TotpSecret::from_hex(std::str::from_utf8(&plain).map_err(|_| refused())?)
        .map_err(AppError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use severn_domain::audit::AuditKey;

    fn secret() -> TotpSecret {
        TotpSecret::from_bytes([9; severn_domain::totp::SECRET_BYTES])
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_only_and_never_shows_as_it_is() {
        let key = AuditKey::new([1; 32]).derive(PURPOSE);
        let stored = seal(&key, &secret());
        assert!(stored.starts_with("v1:"), "{stored}");
        assert!(!stored.contains(&secret().to_hex()), "{stored}");
        assert_ne!(stored, seal(&key, &secret()), "a fresh nonce each time");
        assert_eq!(open(&key, &stored).unwrap().to_hex(), secret().to_hex());
        assert!(open(&AuditKey::new([2; 32]).derive(PURPOSE), &stored).is_err());
    }

    #[test]
    fn an_altered_secret_is_refused() {
        let key = AuditKey::new([1; 32]).derive(PURPOSE);
        let stored = seal(&key, &secret());
        let last = stored.chars().last().unwrap();
        let flipped = format!(
            "{}{}",
            &stored[..stored.len() - 1],
            if last == '0' { '1' } else { '0' }
        );
        assert!(open(&key, &flipped).is_err());
        assert!(open(&key, "v1:00").is_err());
    }

    #[test]
    fn a_secret_stored_before_sealing_is_still_read() {
        let key = AuditKey::new([1; 32]).derive(PURPOSE);
        assert_eq!(
            open(&key, &secret().to_hex()).unwrap().to_hex(),
            secret().to_hex()
        );
    }
}
