//! Free text people type: how long each kind may be, and how it is shown.
//!
//! Free text goes into the append-only audit log and onto every output, so it is bounded where it enters
//! ([`FreeText::check`]) and shown with its control characters escaped ([`shown`]): a justification holding a
//! newline and a forged date cannot print a second line in `severn audit show`, and a right-to-left override
//! cannot reverse what follows it on a page.

use std::borrow::Cow;

/// A kind of free text, each with its own limit in characters (Unicode scalar values, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeText {
    /// Why someone opens a restricted case, exports, shares or restricts one.
    Justification,
    /// Why subjects are merged or split, or a band overridden.
    Rationale,
    /// Who receives disclosed data.
    Recipients,
    /// A person's name as pages show it.
    DisplayName,
    /// An organisation's or a team's name.
    OrganisationName,
    /// What an API token is for.
    TokenLabel,
    /// A note on a case's timeline.
    Note,
    /// Why a clock was paused, a warrant refused, a case returned to the NCA or closed.
    Reason,
    /// The court that heard a warrant application.
    Court,
    /// Bail conditions.
    BailConditions,
    /// A short description (of devices seized, of communications data asked for).
    Description,
    /// Where a training record's proof is kept (a certificate number, a course reference).
    Evidence,
}

impl FreeText {
    /// The most characters this kind of text may hold.
    pub const fn limit(self) -> usize {
        match self {
            FreeText::Note => 4_000,
            FreeText::Justification
            | FreeText::Rationale
            | FreeText::Reason
            | FreeText::BailConditions => 2_000,
            FreeText::Recipients | FreeText::Evidence => 500,
            FreeText::DisplayName
            | FreeText::OrganisationName
            | FreeText::Court
            | FreeText::Description => 200,
            FreeText::TokenLabel => 100,
        }
    }

    /// The field's name as an error message gives it.
    pub const fn name(self) -> &'static str {
        match self {
            FreeText::Justification => "justification",
            FreeText::Rationale => "rationale",
            FreeText::Recipients => "recipients",
            FreeText::DisplayName => "name",
            FreeText::OrganisationName => "organisation or team name",
            FreeText::TokenLabel => "token label",
            FreeText::Note => "note",
            FreeText::Reason => "reason",
            FreeText::Court => "court",
            FreeText::BailConditions => "bail conditions",
            FreeText::Description => "description",
            FreeText::Evidence => "evidence",
        }
    }

    /// Whether the text is one line: a name or label has no use for a line break or a control character, so
    /// such text is refused rather than stored (it is still escaped wherever it is shown).
    const fn one_line(self) -> bool {
        matches!(
            self,
            FreeText::Recipients
                | FreeText::DisplayName
                | FreeText::OrganisationName
                | FreeText::TokenLabel
                | FreeText::Court
                | FreeText::Description
                | FreeText::Evidence
        )
    }

    /// Checks `text` against this kind's limit (and, for one-line text, that it holds no control
    /// characters).
    pub fn check(self, text: &str) -> Result<(), TextError> {
        let chars = text.chars().count();
        if chars > self.limit() {
            return Err(TextError::TooLong { field: self, chars });
        }
        if self.one_line()
            && let Some(c) = text.chars().find(|&c| needs_escape(c))
        {
            return Err(TextError::Control { field: self, c });
        }
        Ok(())
    }
}

/// Free text refused where it enters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error(
        "The {} may be at most {} characters long; this one has {}. Shorten it.",
        field.name(),
        thousands(field.limit()),
        thousands(*chars)
    )]
    TooLong { field: FreeText, chars: usize },
    #[error(
        "The {} must be one line of text without control characters or text-direction marks (it holds {}).",
        field.name(),
        escaped(*c)
    )]
    Control { field: FreeText, c: char },
}

/// Whether a character is shown escaped: the C0 controls (line breaks and tabs included), DEL, the C1
/// controls, the line and paragraph separators, and the marks that change the direction text is laid out in.
pub fn needs_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// `text` for display: each character of [`needs_escape`] written as Rust writes it in a string literal
/// (`\n`, `\r`, `\t`, otherwise `\u{1b}`); everything else, backslashes included, as it is.
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn escaped(c: char) -> String {
    match c {
        '\n' => "\\n".to_owned(),
        '\r' => "\\r".to_owned(),
        '\t' => "\\t".to_owned(),
        c => format!("\\u{{{:x}}}", u32::from(c)),
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The text with its first letter upper-case ("user ID" → "User ID").
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A person's name as compared: lower case, one space between words, no spaces at the ends. Two entries of the
/// same child ("Poppy  Hart", "poppy hart") are the same name.
pub fn normalised_name(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_text_is_shown_as_it_is() {
        let text = "Needed for the strategy meeting: C:\\notes, naïve café, «quoted».";
        assert!(matches!(shown(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn line_breaks_and_escape_sequences_are_shown_escaped() {
        assert_eq!(
            shown("ok\n2026-12-01 00:00 UTC  forged\r\t\u{1b}[2J\u{7f}\u{85}"),
            "ok\\n2026-12-01 00:00 UTC  forged\\r\\t\\u{1b}[2J\\u{7f}\\u{85}"
        );
    }

    #[test]
    fn direction_marks_and_separators_are_shown_escaped() {
        assert_eq!(
            shown("a\u{202e}b\u{2066}c\u{200f}d\u{2028}e\u{61c}"),
            "a\\u{202e}b\\u{2066}c\\u{200f}d\\u{2028}e\\u{61c}"
        );
    }

    #[test]
    fn text_at_the_limit_passes_and_one_more_character_is_refused() {
        let at = "é".repeat(FreeText::Justification.limit());
        assert_eq!(FreeText::Justification.check(&at), Ok(()));
        let over = format!("{at}x");
        let err = FreeText::Justification.check(&over).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The justification may be at most 2,000 characters long; this one has 2,001. Shorten it."
        );
    }

    #[test]
    fn a_megabyte_reason_is_refused_naming_the_field_and_limit() {
        let err = FreeText::Rationale.check(&"x".repeat(1 << 20)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The rationale may be at most 2,000 characters long; this one has 1,048,576. Shorten it."
        );
    }

    #[test]
    fn multi_line_text_may_hold_line_breaks_but_one_line_text_may_not() {
        assert_eq!(FreeText::Justification.check("one\ntwo"), Ok(()));
        assert_eq!(
            FreeText::DisplayName
                .check("Ann\u{202e}eM")
                .unwrap_err()
                .to_string(),
            "The name must be one line of text without control characters or text-direction marks (it holds \
             \\u{202e})."
        );
        assert!(FreeText::TokenLabel.check("nightly\nupload").is_err());
        assert_eq!(FreeText::TokenLabel.check("nightly upload"), Ok(()));
    }

    #[test]
    fn limits_are_as_documented() {
        assert_eq!(FreeText::Justification.limit(), 2_000);
        assert_eq!(FreeText::Rationale.limit(), 2_000);
        assert_eq!(FreeText::Recipients.limit(), 500);
        assert_eq!(FreeText::DisplayName.limit(), 200);
        assert_eq!(FreeText::OrganisationName.limit(), 200);
        assert_eq!(FreeText::TokenLabel.limit(), 100);
        assert_eq!(FreeText::Evidence.limit(), 500);
    }
}
