//! How the command line writes: a value as JSON or as text, and text from a tasks file or a repository made safe
//! for a terminal.

use std::io::Write;

use serde::Serialize;

use crate::error::{CoreError, CoreResult};

pub fn emit<T: Serialize>(
    out: &mut dyn Write,
    json: bool,
    value: &T,
    text: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> CoreResult<()> {
    let res = if json {
        serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::other).and_then(|_| writeln!(out))
    } else {
        text(out)
    };
    res.map_err(|e| CoreError::io("cannot write output", e))
}

/// Text from a tasks file or a repository, made safe for a terminal: control characters (escape sequences that
/// could rewrite the screen or the title bar, carriage returns, bells) are shown as `\u{1b}`-style escapes.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    escaped(text, |_| false)
}

/// A patch made safe for a terminal as [`printable`] does, its newlines and tabs kept.
pub fn printable_patch(patch: &str) -> std::borrow::Cow<'_, str> {
    escaped(patch, |c| c == '\n' || c == '\t')
}

/// `text` with its control characters but those `keep` accepts shown as `\u{..}` escapes.
fn escaped(text: &str, keep: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    let shown = |c: char| !c.is_control() || keep(c);
    if text.chars().all(shown) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars().map(|c| if shown(c) { c.to_string() } else { c.escape_unicode().to_string() }).collect(),
    )
}
