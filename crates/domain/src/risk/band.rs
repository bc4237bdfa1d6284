//! The priority band, and a supervisor's override of the band the tool gave.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Priority band. Ordered by urgency: `Low < Medium < High < VeryHigh`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Low,
    Medium,
    High,
    VeryHigh,
}

impl Band {
    /// Most urgent first, the order bands are shown in.
    pub const ALL: [Band; 4] = [Band::VeryHigh, Band::High, Band::Medium, Band::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Band::VeryHigh => "very_high",
            Band::High => "high",
            Band::Medium => "medium",
            Band::Low => "low",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::VeryHigh => "Very High",
            Band::High => "High",
            Band::Medium => "Medium",
            Band::Low => "Low",
        }
    }

    /// Accepts `very_high`, `very-high`, `Very High` and the like.
    pub fn parse(value: &str) -> Option<Band> {
        let folded = value.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Band::ALL.into_iter().find(|b| b.as_str() == folded)
    }
}

impl fmt::Display for Band {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A supervisor's decision to set a band other than the tool's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub band: Band,
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("an override to {0} needs a rationale saying why the tool's band is wrong")]
    MissingRationale(Band),
}

/// An override must say why: inspections found cases wrongly rated with no record of the reasoning.
pub fn validate_override(band: Band, rationale: &str) -> Result<Override, OverrideError> {
    let rationale = rationale.trim();
    if rationale.is_empty() {
        return Err(OverrideError::MissingRationale(band));
    }
    Ok(Override {
        band,
        rationale: rationale.to_owned(),
    })
}
