//! Terminal safety: every user-supplied string that reaches a terminal (names, values,
//! paths, messages quoting input) goes through [`escape`], so a name cannot move the cursor,
//! clear the screen, rewrite a line with CR, forge a second line with LF, or reorder what is
//! shown with Unicode bidi overrides.

use std::borrow::Cow;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// `s` with every character a terminal would act on rather than show written as an escape:
/// C0 and C1 controls and DEL (`\n`, `\r`, `\t`, `\x1b`, `\u{9b}`), format characters such as
/// bidi overrides and zero-width joiners (`\u{202e}`), and line/paragraph separators. A
/// backslash is doubled only when the text needs escaping at all, so plain names print as
/// they are (borrowed, no copy) and escaped ones cannot be confused with real text.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x80 && needs_escape(c) => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether a terminal would act on `c` rather than print it.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c.general_category(),
            GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
}

/// [`escape`] for multi-line text of our own that quotes input (error messages): line
/// breaks between its lines stay, every other character a terminal acts on is escaped.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && needs_escape(c)) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.split('\n').map(escape).collect::<Vec<_>>().join("\n"))
}

/// `cell` left-justified to `width` characters. Not `format!("{cell:<width$}")`: Rust's
/// formatter panics on a width past 65,535, which a long name reaches.
pub fn pad(cell: &str, width: usize) -> String {
    let n = cell.chars().count();
    let mut out = String::with_capacity(cell.len() + width.saturating_sub(n));
    out.push_str(cell);
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    out
}

/// [`escape`], then cut to at most `max` characters (with `…`) for a table cell: a
/// 65,536-character name must not make a table unreadable (or its formatting fail).
pub fn cell(s: &str, max: usize) -> String {
    let e = escape(s);
    if e.chars().count() <= max {
        return e.into_owned();
    }
    let mut out: String = e.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_table() {
        let rows = [
            ("web", "web"),
            ("a\\b", "a\\b"),
            ("a\nb", "a\\nb"),
            ("a\\b\n", "a\\\\b\\n"),
            ("x\r", "x\\r"),
            ("\u{1b}[2J", "\\x1b[2J"),
            ("\u{7f}", "\\x7f"),
            ("\u{9b}31m", "\\u{9b}31m"),
            ("abc\u{202e}def", "abc\\u{202e}def"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("a\u{200b}b", "a\\u{200b}b"),
            ("a\u{2028}b", "a\\u{2028}b"),
            ("\u{feff}x", "\\u{feff}x"),
            ("café ünï 日本", "café ünï 日本"),
        ];
        for (input, want) in rows {
            assert_eq!(escape(input), want, "{input:?}");
        }
    }

    #[test]
    fn plain_text_is_not_copied() {
        assert!(matches!(escape("istio-proxy"), Cow::Borrowed(_)));
    }

    #[test]
    fn padding_needs_no_format_width() {
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 4), "abcdef");
        assert_eq!(pad("x", 70_000).len(), 70_000);
    }

    #[test]
    fn error_text_keeps_its_lines() {
        assert_eq!(escape_lines("a\nb\u{1b}c"), "a\nb\\x1bc");
        assert_eq!(escape_lines("a\r\nb"), "a\\r\nb");
    }

    #[test]
    fn cells_are_cut() {
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abc", 4), "abc");
        assert_eq!(cell(&"x".repeat(65_536), 10).chars().count(), 10);
        assert_eq!(cell("a\nb", 10), "a\\nb");
    }
}
