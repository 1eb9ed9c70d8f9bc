//! Text copied from a server into errors and logs, made safe to print: one escaping for every
//! such value, std's.

/// `text` as Rust's `Debug` formatting escapes it, without the quotes, and cut after
/// `max_chars` characters (an ellipsis marks the cut).
///
/// std decides what is escaped, from Unicode's tables: controls (C0, C1, so no terminal escape
/// sequence and no line break), format characters (bidirectional overrides and isolates such as
/// U+202E, zero-width characters), line and paragraph separators, private-use and unassigned
/// code points, and `\` and `"`. On top, `<` and `>` become `\u{3c}` and `\u{3e}`, so a value
/// that an application puts in a page without escaping it cannot become markup (SC-031).
pub(crate) fn untrusted(text: &str, max_chars: usize) -> String {
    let cut = text.char_indices().nth(max_chars).map_or(text, |(index, _)| &text[..index]);
    let quoted = format!("{cut:?}");
    let inner = quoted.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).unwrap_or(&quoted);
    let mut out = inner.replace('<', r"\u{3c}").replace('>', r"\u{3e}");
    if cut.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests;
