//! JSON stored compressed: a referral's document and risk outcome, three quarters of a referral row's bytes.
//!
//! Each value is compressed on its own (a row is read alone) with zstd and a dictionary of typical referral
//! JSON, which finds the field names and the risk tool's wording in every value: on 10,056 synthetic referrals
//! 2,830 bytes of JSON a referral became 508 (5.6 times smaller; plain zstd managed 2 times). The stored form
//! is one byte naming the dictionary, then the zstd frame. A value that does not start with a known dictionary byte is the JSON
//! text itself, as rows written before packing hold it.

use crate::{Result, StoreError};
use serde::de::DeserializeOwned;
use std::cell::RefCell;

/// The dictionary of format 1. Never edit it: every value packed with it needs it to be read. A better
/// dictionary is a new file with a new format byte, beside this one.
const DICTIONARY_1: &[u8] = include_bytes!("packing/dictionary-1.txt");
const FORMAT_1: u8 = 1;
/// Fast: the dictionary does most of the work (on the same referrals level 3 saved 3 % more bytes for 13 %
/// more time).
const LEVEL: i32 = 1;
/// Larger than any document accepted (16 MiB), so a damaged value cannot make a reader allocate without bound.
const MAX_UNPACKED: u64 = 64 << 20;

thread_local! {
    static COMPRESSOR: RefCell<zstd::bulk::Compressor<'static>> = RefCell::new(
        zstd::bulk::Compressor::with_dictionary(LEVEL, DICTIONARY_1).expect("zstd compressor with dictionary"),
    );
    static DECOMPRESSOR: RefCell<zstd::bulk::Decompressor<'static>> = RefCell::new(
        zstd::bulk::Decompressor::with_dictionary(DICTIONARY_1).expect("zstd decompressor with dictionary"),
    );
}

/// JSON as a column stores it. Made where rows are prepared, so that compressing is not done by the thread
/// that writes to the database.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Packed(Vec<u8>);

impl Packed {
    /// Compresses `json`.
    pub fn pack(json: &str) -> Packed {
        let frame = COMPRESSOR
            .with(|c| c.borrow_mut().compress(json.as_bytes()))
            .expect("zstd compresses into a growing buffer");
        let mut stored = Vec::with_capacity(frame.len() + 1);
        stored.push(FORMAT_1);
        stored.extend_from_slice(&frame);
        Packed(stored)
    }

    /// A value as read from the database: packed, or JSON text from before packing.
    pub fn from_stored(bytes: Vec<u8>) -> Packed {
        Packed(bytes)
    }

    /// The bytes to store.
    pub fn as_stored(&self) -> &[u8] {
        &self.0
    }

    /// The JSON text.
    pub fn text(&self) -> Result<String> {
        String::from_utf8(self.unpacked()?)
            .map_err(|e| StoreError::Corrupt(format!("packed JSON is not UTF-8: {e}")))
    }

    /// The JSON read as a `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.unpacked()?)
            .map_err(|e| StoreError::Corrupt(format!("stored JSON does not read: {e}")))
    }

    fn unpacked(&self) -> Result<Vec<u8>> {
        let Some((&FORMAT_1, frame)) = self.0.split_first() else {
            return Ok(self.0.clone());
        };
        let corrupt = |e: String| StoreError::Corrupt(format!("packed JSON does not unpack: {e}"));
        let size = zstd::zstd_safe::get_frame_content_size(frame)
            .map_err(|_| corrupt("no zstd frame".to_owned()))?
            .ok_or_else(|| corrupt("the frame does not give its size".to_owned()))?;
        if size > MAX_UNPACKED {
            return Err(corrupt(format!("it claims {size} bytes")));
        }
        DECOMPRESSOR
            .with(|d| d.borrow_mut().decompress(frame, size as usize))
            .map_err(|e| corrupt(e.to_string()))
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.text() {
            Ok(text) => write!(f, "Packed({text})"),
            Err(e) => write!(f, "Packed({} bytes: {e})", self.0.len()),
        }
    }
}

impl rusqlite::ToSql for Packed {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(
            rusqlite::types::ValueRef::Blob(&self.0),
        ))
    }
}

/// On SQLite a packed value is a BLOB in a column declared TEXT, which keeps it as it is; rows from before
/// packing hold TEXT.
impl rusqlite::types::FromSql for Packed {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        match value {
            rusqlite::types::ValueRef::Blob(b) | rusqlite::types::ValueRef::Text(b) => {
                Ok(Packed(b.to_vec()))
            }
            _ => Err(rusqlite::types::FromSqlError::InvalidType),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTCOME: &str =
        r#"{"band":"medium","points":3,"reasons":["3 points: below the Medium threshold of 4."]}"#;

    #[test]
    fn packed_json_reads_back_as_written_and_is_smaller() {
        let document = std::str::from_utf8(DICTIONARY_1)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .replace("Example Constabulary", "Sample Constabulary");
        let packed = Packed::pack(&document);
        assert_eq!(packed.text().unwrap(), document);
        assert_eq!(packed.as_stored()[0], FORMAT_1);
        assert!(
            packed.as_stored().len() * 5 < document.len(),
            "{} bytes",
            packed.as_stored().len()
        );
        let outcome = Packed::pack(OUTCOME);
        assert_eq!(
            outcome.json::<serde_json::Value>().unwrap()["band"],
            "medium"
        );
    }

    #[test]
    fn text_stored_before_packing_reads_as_it_is() {
        let stored = Packed::from_stored(OUTCOME.as_bytes().to_vec());
        assert_eq!(stored.text().unwrap(), OUTCOME);
        assert_eq!(stored.json::<serde_json::Value>().unwrap()["points"], 3);
    }

    #[test]
    fn a_damaged_value_is_an_error_not_a_panic() {
        let mut stored = Packed::pack(OUTCOME).as_stored().to_vec();
        stored.truncate(stored.len() / 2);
        let err = Packed::from_stored(stored).text().unwrap_err();
        assert!(err.to_string().contains("does not unpack"), "{err}");
        let err = Packed::from_stored(vec![FORMAT_1, 1, 2, 3])
            .text()
            .unwrap_err();
        assert!(err.to_string().contains("does not unpack"), "{err}");
    }

    #[test]
    fn the_format_1_dictionary_is_unchanged() {
        // Values packed with it cannot be read with any other: a changed file must be a new format.
        let text = std::str::from_utf8(DICTIONARY_1).unwrap();
        assert_eq!(
            (text.len(), crate::identifier_key_hash(text)),
            (28409, -2713923585552248907)
        );
    }
}
