//! Go's `encoding/json` as `json.Marshal` writes it (HTML escaping on, its default).
//!
//! Go version: Go 1.22 changed the escape of U+0008 and U+000C from `\u0008`/`\u000c` to
//! `\b`/`\f`. Istio releases from 1.22 on are built with Go ≥ 1.22, so this module writes
//! `\b` and `\f` (as `serde_json` does). The Go 1.19 `goref` oracle and Istio ≤ 1.21 write
//! the long form; no other byte differs.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;

use super::strconv;

/// What `json.Marshal` refuses among the values this crate writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarshalError {
    /// A float64 that is infinite or NaN (Go's `UnsupportedValueError`).
    #[error("json: unsupported value: {0}")]
    UnsupportedValue(String),
    /// A value of a type JSON has no form for (Go's `UnsupportedTypeError`).
    #[error("json: unsupported type: {0}")]
    UnsupportedType(&'static str),
}

/// Appends `s` as a JSON string: `"` and `\` escaped, `\b \f \n \r \t` short, other controls
/// as `\u00xx`, and `<`, `>`, `&`, U+2028, U+2029 as `\u003c`… (Go's HTML escaping).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let short = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if (c as u32) < 0x20 || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if short.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(short);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// `s` as a JSON string (see [`write_string`]).
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_string(&mut out, s);
    out
}

/// Go's `json.HTMLEscape` over JSON text: `<`, `>`, `&`, U+2028 and U+2029 become `\u003c`…
/// Those characters can only stand inside strings in JSON text, so a plain replace is exact.
pub fn html_escape(json: &str) -> Cow<'_, str> {
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `json.Marshal` of a serializable value whose field order and `omitempty` are already
/// what the Go type declares: `serde_json`'s compact text (its string escapes are Go's, see
/// the module header) with Go's HTML escaping. A value serde cannot write (a map with
/// non-string keys) gives the empty string, as no caller builds one.
pub fn marshal<T: Serialize + ?Sized>(v: &T) -> String {
    let text = serde_json::to_string(v).unwrap_or_default();
    match html_escape(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => escaped,
    }
}

/// A float64 as `encoding/json` writes it: `'f'` format with the shortest digits, or `'e'`
/// below 1e-6 and from 1e21 with the exponent's leading zero dropped (`1e-7`, `1e+21`).
/// Infinities and NaN are refused, as Go refuses them.
pub fn float(f: f64) -> Result<String, MarshalError> {
    if !f.is_finite() {
        return Err(MarshalError::UnsupportedValue(strconv::format_float_g(
            f,
            strconv::Bits::B64,
        )));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` is the shortest mantissa with an unpadded exponent (`1e-7`, `1.5e21`);
        // Go's json writes the exponent's sign always.
        let raw = format!("{f:e}");
        return Ok(match raw.split_once('e') {
            Some((mant, exp)) if !exp.starts_with('-') => format!("{mant}e+{exp}"),
            _ => raw,
        });
    }
    // Rust's Display is the shortest round-trip decimal, never in exponent form.
    Ok(format!("{f}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values are Go's `json.Marshal` output (Go ≥ 1.22 for `\b` and `\f`).
    #[test]
    fn strings_escape_as_go() {
        for (s, want) in [
            ("plain", r#""plain""#),
            ("a\"b\\c", r#""a\"b\\c""#),
            ("\u{8}\u{c}\n\r\t", r#""\b\f\n\r\t""#),
            ("\u{0}\u{1}\u{b}\u{1f}", r#""\u0000\u0001\u000b\u001f""#),
            ("<a&b>", r#""\u003ca\u0026b\u003e""#),
            ("\u{2028}\u{2029}", r#""\u2028\u2029""#),
            ("\u{7f}é😀", "\"\u{7f}é😀\""),
        ] {
            assert_eq!(string(s), want, "{s:?}");
            assert_eq!(marshal(s), want, "marshal {s:?}");
        }
    }

    /// `marshal` (serde's escapes) and `write_string` agree on every ASCII character.
    #[test]
    fn marshal_and_write_string_agree() {
        let all: String = (0u8..0x80).map(char::from).collect();
        assert_eq!(marshal(&all), string(&all));
        assert_eq!(
            marshal(&serde_json::json!({"k<": ["&"]})),
            r#"{"k\u003c":["\u0026"]}"#
        );
    }

    #[test]
    fn floats_as_go() {
        for (f, want) in [
            (600.0, "600"),
            (1e6, "1000000"),
            (1.5, "1.5"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (1e-7, "1e-7"),
            (1.25e-8, "1.25e-8"),
            (0.000001, "0.000001"),
            (-0.0, "-0"),
            (-2.5e-9, "-2.5e-9"),
        ] {
            assert_eq!(float(f).unwrap(), want, "{f}");
        }
        for (f, want) in [
            (f64::INFINITY, "json: unsupported value: +Inf"),
            (f64::NEG_INFINITY, "json: unsupported value: -Inf"),
            (f64::NAN, "json: unsupported value: NaN"),
        ] {
            assert_eq!(float(f).unwrap_err().to_string(), want);
        }
    }
}
