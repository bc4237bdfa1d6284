//! The pages' escaper: askama's HTML escaping after [`severn_domain::text::shown`], so free text prints no raw
//! control characters. A line break would only be folded into a space, but a right-to-left override (U+202E)
//! turns the rest of a table cell around, and a C1 control or escape sequence is not meant for a reader either.

use askama::filters::{Escaper, Html};
use std::fmt;

/// Named for `askama.toml`, which makes it the escaper of every `.html` template.
#[derive(Debug, Clone, Copy)]
pub struct Shown;

impl Escaper for Shown {
    fn write_escaped_str<W: fmt::Write>(&self, dest: W, string: &str) -> fmt::Result {
        Html.write_escaped_str(dest, &severn_domain::text::shown(string))
    }
}
