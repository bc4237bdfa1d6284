//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 30-second steps, 6 digits — what
//! every authenticator app reads from an `otpauth://` URI.
//!
//! Pure: the secret's random bytes and the current time are handed in.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use std::fmt;

type HmacSha1 = Hmac<Sha1>;

/// Seconds per time step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, the HMAC-SHA1 block the RFC recommends).
pub const SECRET_BYTES: usize = 20;
/// Steps either side of now that are still accepted, for clocks that drift and people who type slowly.
pub const ACCEPTED_DRIFT_STEPS: i64 = 1;

/// A shared TOTP secret. Its `Debug` form never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    pub fn from_bytes(bytes: [u8; SECRET_BYTES]) -> TotpSecret {
        TotpSecret(bytes.to_vec())
    }

    /// Reads a secret as stored (hex).
    pub fn from_hex(text: &str) -> Result<TotpSecret, String> {
        let bytes = hex::decode(text).map_err(|e| format!("TOTP secret is not hex: {e}"))?;
        if bytes.is_empty() {
            return Err("TOTP secret is empty".to_owned());
        }
        Ok(TotpSecret(bytes))
    }

    /// The form the database keeps.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// The form people type into an authenticator app: RFC 4648 base32 without padding, in groups of four.
    pub fn to_base32_grouped(&self) -> String {
        let plain = base32(&self.0);
        let mut grouped = String::with_capacity(plain.len() + plain.len() / 4);
        for (i, c) in plain.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                grouped.push(' ');
            }
            grouped.push(c);
        }
        grouped
    }

    /// The `otpauth://` URI an authenticator app reads (as text or a QR code).
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        format!(
            "otpauth://totp/{issuer_path}:{account_path}?secret={secret}&issuer={issuer_query}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            issuer_path = percent_encode(issuer),
            account_path = percent_encode(account),
            secret = base32(&self.0),
            issuer_query = percent_encode(issuer),
        )
    }

    /// The code for the step that contains `unix_seconds`, zero-padded.
    pub fn code_at(&self, unix_seconds: i64) -> String {
        format_code(hotp(&self.0, step_at(unix_seconds) as u64, DIGITS), DIGITS)
    }

    /// Checks a code typed at `now` and returns the step it matched. Steps up to [`ACCEPTED_DRIFT_STEPS`]
    /// either side of now are accepted, but never a step at or before `last_used_step`: a code works once.
    pub fn verify(
        &self,
        code: &str,
        now: i64,
        last_used_step: Option<i64>,
    ) -> Result<i64, CodeRefused> {
        let code = code.trim();
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeRefused::Malformed);
        }
        let typed: u32 = code.parse().map_err(|_| CodeRefused::Malformed)?;
        let current = step_at(now);
        let mut matched = None;
        // Every candidate is computed, so the time taken does not say which step matched.
        for step in current - ACCEPTED_DRIFT_STEPS..=current + ACCEPTED_DRIFT_STEPS {
            if step >= 0 && hotp(&self.0, step as u64, DIGITS) == typed && matched.is_none() {
                matched = Some(step);
            }
        }
        match (matched, last_used_step) {
            (None, _) => Err(CodeRefused::Wrong),
            (Some(step), Some(last)) if step <= last => Err(CodeRefused::Reused),
            (Some(step), _) => Ok(step),
        }
    }
}

/// Why a code was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefused {
    /// Not six digits.
    Malformed,
    /// Not the code for now (or the steps either side).
    Wrong,
    /// Right, but already used: a code works once.
    Reused,
}

impl CodeRefused {
    pub fn explain(self) -> &'static str {
        match self {
            CodeRefused::Malformed => "The code is the six digits your authenticator app shows.",
            CodeRefused::Wrong => {
                "That code is not right. Check the time on your phone and try the newest code."
            }
            CodeRefused::Reused => "That code has already been used. Wait for the next one.",
        }
    }
}

/// The time step that contains `unix_seconds`.
pub fn step_at(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// RFC 4226 HOTP: the dynamically truncated HMAC-SHA1 of the counter, reduced to `digits` digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = <HmacSha1 as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[hash.len() - 1] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        hash[offset] & 0x7f,
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

fn format_code(code: u32, digits: u32) -> String {
    format!("{code:0width$}", width = digits as usize)
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding.
fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32_ALPHABET[((buffer >> bits) & 0x1f) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32_ALPHABET[((buffer << (5 - bits)) & 0x1f) as usize] as char);
    }
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc4226_hotp_vectors() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in expected.into_iter().enumerate() {
            assert_eq!(
                hotp(RFC_SECRET, counter as u64, 6),
                want,
                "counter {counter}"
            );
        }
    }

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 Appendix B, SHA-1 rows: eight digits.
        for (time, want) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let code = format_code(hotp(RFC_SECRET, step_at(time) as u64, 8), 8);
            assert_eq!(code, want, "time {time}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_of_the_rfc_vectors() {
        let secret = TotpSecret(RFC_SECRET.to_vec());
        assert_eq!(secret.code_at(59), "287082");
        assert_eq!(secret.code_at(1_111_111_109), "081804");
    }

    #[test]
    fn one_step_of_drift_either_way_is_accepted_and_no_more() {
        let secret = TotpSecret(RFC_SECRET.to_vec());
        let now = 1_234_567_890;
        let step = step_at(now);
        assert_eq!(secret.verify(&secret.code_at(now), now, None), Ok(step));
        assert_eq!(
            secret.verify(&secret.code_at(now - 30), now, None),
            Ok(step - 1)
        );
        assert_eq!(
            secret.verify(&secret.code_at(now + 30), now, None),
            Ok(step + 1)
        );
        assert_eq!(
            secret.verify(&secret.code_at(now - 60), now, None),
            Err(CodeRefused::Wrong)
        );
        assert_eq!(
            secret.verify(&secret.code_at(now + 60), now, None),
            Err(CodeRefused::Wrong)
        );
    }

    #[test]
    fn a_code_works_once() {
        let secret = TotpSecret(RFC_SECRET.to_vec());
        let now = 1_234_567_890;
        let code = secret.code_at(now);
        let used = secret.verify(&code, now, None).unwrap();
        assert_eq!(
            secret.verify(&code, now + 5, Some(used)),
            Err(CodeRefused::Reused)
        );
        // An older code still inside the window is refused too once a later one was used.
        assert_eq!(
            secret.verify(&secret.code_at(now - 30), now, Some(used)),
            Err(CodeRefused::Reused)
        );
        // The next step's code is fresh.
        assert_eq!(
            secret.verify(&secret.code_at(now + 30), now + 30, Some(used)),
            Ok(used + 1)
        );
    }

    #[test]
    fn malformed_codes_are_refused_as_such() {
        let secret = TotpSecret(RFC_SECRET.to_vec());
        for code in ["", "12345", "1234567", "12a456", "１２３４５６"] {
            assert_eq!(
                secret.verify(code, 59, None),
                Err(CodeRefused::Malformed),
                "{code:?}"
            );
        }
        assert!(secret.verify(" 287082 ", 59, None).is_ok());
    }

    #[test]
    fn base32_matches_rfc4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn otpauth_uri_names_issuer_account_and_parameters() {
        let secret = TotpSecret(RFC_SECRET.to_vec());
        assert_eq!(
            secret.otpauth_uri("Severn", "a.tester@example.org"),
            "otpauth://totp/Severn:a.tester%40example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Severn&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            secret.to_base32_grouped(),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
        assert_eq!(format!("{secret:?}"), "TotpSecret(..)");
        assert_eq!(TotpSecret::from_hex(&secret.to_hex()), Ok(secret));
    }
}
