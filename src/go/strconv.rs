//! Go's `strconv`: `Quote`, `ParseBool`, `FormatFloat(f, 'g', -1, bits)`, `ParseFloat(s, 64)`,
//! `ParseInt`/`ParseUint` (base 0 and explicit bases), to the letter where this crate can
//! meet the difference.

use std::fmt::Write as _;

/// Go's `strconv.Quote` (what `%q` does to a string): printable runes stay, the rest
/// become `\a`, `\n`, `\x7f`, `\u00ad`, ….
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if !is_printable(c) => {
                if (c as u32) < 0x10000 {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `strconv.IsPrint` for non-ASCII runes: controls, format
/// characters and separators other than U+0020 are not printable.
fn is_printable(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    !(c.is_control()
        || matches!(
            u,
            0x00a0 | 0x00ad | 0x2028 | 0x2029 | 0xfeff | 0x3000 | 0x1680
        )
        || (0x2000..=0x200f).contains(&u)
        || (0x202a..=0x202f).contains(&u)
        || (0x205f..=0x206f).contains(&u)
        || (0xfff9..=0xfffb).contains(&u)
        || (0xd800..=0xdfff).contains(&u)
        || (0xe000..=0xf8ff).contains(&u))
}

/// Go's `strconv.ParseBool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// The `bitSize` of `FormatFloat`: the value is first rounded to that precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bits {
    B32,
    B64,
}

/// Go's `strconv.FormatFloat(f, 'g', -1, bits)`: the shortest digits that read back as the
/// same float32/float64, in `%e` form (two-digit exponent at least) when the exponent is
/// below -4 or from 6 on, else plain; `+Inf`, `-Inf`, `NaN`.
pub fn format_float_g(f: f64, bits: Bits) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits of the type, as Go's -1 precision.
    let sci = match bits {
        #[allow(clippy::cast_possible_truncation)]
        Bits::B32 => format!("{:e}", f as f32),
        Bits::B64 => format!("{f:e}"),
    };
    let (sign, sci) = match sci.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", sci.as_str()),
    };
    if sci == "inf" {
        return if sign.is_empty() { "+Inf" } else { "-Inf" }.into();
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if mantissa == "0" {
        return format!("{sign}0");
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // Shortest formatting decides with precision 6: %e below 1e-4 or from 1e6 on.
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        let dot = if rest.is_empty() { "" } else { "." };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.unsigned_abs());
    }
    let nd = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let dp = exp + 1;
    let body = if dp <= 0 {
        format!("0.{}{digits}", "0".repeat(dp.unsigned_abs() as usize))
    } else if dp >= nd {
        format!("{digits}{}", "0".repeat((dp - nd).unsigned_abs() as usize))
    } else {
        let (int, frac) = digits.split_at(dp.unsigned_abs() as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// `strconv.ParseFloat(s, 64)` for decimal text: optional sign, digits with `_` only
/// between digits, a fraction, an exponent; the words `inf`, `infinity`, `nan` in any
/// case. An overflow is an error in Go (`±Inf` with `ErrRange`): `None`. Hex floats
/// (`0x1p-2`) are refused: no caller lets one through (go-yaml's paths test the text
/// against `yamlStyleFloat` or a leading `.` first).
pub fn parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        let f = if lower == "nan" {
            f64::NAN
        } else {
            f64::INFINITY
        };
        return Some(if s.starts_with('-') { -f } else { f });
    }
    if lower.starts_with("0x") {
        return None;
    }
    // Underscores only between digits.
    let b = s.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'_' {
            let before = i.checked_sub(1).and_then(|j| b.get(j));
            let after = b.get(i + 1);
            if !(before.is_some_and(u8::is_ascii_digit) && after.is_some_and(u8::is_ascii_digit)) {
                return None;
            }
        }
    }
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    let ok = clean
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !ok {
        return None;
    }
    let f: f64 = clean.parse().ok()?;
    if f.is_infinite() {
        return None;
    }
    Some(f)
}

/// `strconv.ParseInt(s, base, 64)` for base 0 (prefixes `0x`, `0o`, `0b`, a leading `0`
/// for octal, `_` between digits) or 2 to 36: optional sign, then [`parse_uint`].
pub fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, s.get(1..)?),
        b'-' => (true, s.get(1..)?),
        _ => (false, s),
    };
    let u = parse_uint(body, base)?;
    if neg {
        if u > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).ok()
    }
}

/// `strconv.ParseUint(s, base, 64)`: no sign; base 0 reads Go's prefixes and underscores
/// (see [`parse_int`]); an overflow is an error.
pub fn parse_uint(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() || !(base == 0 || (2..=36).contains(&base)) {
        return None;
    }
    let base0 = base == 0;
    let (base, digits) = if !base0 {
        (base, s)
    } else if let Some(after0) = s.strip_prefix('0') {
        let prefix = match after0.as_bytes().first().map(u8::to_ascii_lowercase) {
            Some(b'b') => 2,
            Some(b'o') => 8,
            Some(b'x') => 16,
            _ => 0,
        };
        // A prefix needs a digit after it: `0x` alone is octal `x`, an error.
        match after0.get(1..) {
            Some(digits) if prefix != 0 && !digits.is_empty() => (prefix, digits),
            _ => (8, after0),
        }
    } else {
        (10, s)
    };
    let mut v: u64 = 0;
    let mut underscores = false;
    for c in digits.chars() {
        if c == '_' && base0 {
            underscores = true;
            continue;
        }
        let d = c.to_digit(base)?;
        v = v.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    if underscores && !underscore_ok(s) {
        return None;
    }
    Some(v)
}

/// Go's `underscoreOK`: each `_` between digits, or between a base prefix and a digit.
fn underscore_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let b = s.as_bytes();
    // `^` start, `0` digit or prefix, `_` underscore, `!` anything else.
    let mut saw = '^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = '0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &b[i..] {
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = '0';
        } else if c == b'_' {
            if saw != '0' {
                return false;
            }
            saw = '_';
        } else {
            if saw == '_' {
                return false;
            }
            saw = '!';
        }
    }
    saw != '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_bool_matches_go() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
        assert_eq!(parse_bool("tRUE"), None);
    }

    #[test]
    fn quote_matches_strconv_quote() {
        for (s, want) in [
            ("a\"b", r#""a\"b""#),
            ("\n\t\u{7f}", r#""\n\t\x7f""#),
            ("é\u{ad}", "\"é\\u00ad\""),
            ("\u{7}\u{8}\u{b}\u{c}", r#""\a\b\v\f""#),
        ] {
            assert_eq!(quote(s), want);
        }
    }

    /// Expected values are Go's `strconv.FormatFloat(f, 'g', -1, 64)` and `(…, 32)`.
    #[test]
    fn format_float_g_matches_go() {
        let cases: &[(f64, &str, &str)] = &[
            (1.0, "1", "1"),
            (-0.0, "-0", "-0"),
            (1.5, "1.5", "1.5"),
            (-2.25, "-2.25", "-2.25"),
            (100_000.0, "100000", "100000"),
            (1e6, "1e+06", "1e+06"),
            (1_234_567.5, "1.2345675e+06", "1.2345675e+06"),
            (1_000_000.5, "1.0000005e+06", "1.0000005e+06"),
            (123_456.7, "123456.7", "123456.7"),
            (0.0001, "0.0001", "0.0001"),
            (0.00001, "1e-05", "1e-05"),
            (1e-7, "1e-07", "1e-07"),
            (1e20, "1e+20", "1e+20"),
            (1e21, "1e+21", "1e+21"),
            (3.4e38, "3.4e+38", "3.4e+38"),
            (16_777_217.0, "1.6777217e+07", "1.6777216e+07"),
            (0.1, "0.1", "0.1"),
            (1e300, "1e+300", "+Inf"),
            (5e-324, "5e-324", "0"),
            (f64::INFINITY, "+Inf", "+Inf"),
            (f64::NEG_INFINITY, "-Inf", "-Inf"),
            (f64::NAN, "NaN", "NaN"),
        ];
        for &(f, g64, g32) in cases {
            assert_eq!(format_float_g(f, Bits::B64), g64, "{f:?} 64");
            assert_eq!(format_float_g(f, Bits::B32), g32, "{f:?} 32");
        }
    }

    #[test]
    fn parse_float_matches_go() {
        for (s, want) in [
            ("1.5", Some(1.5)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("-1e3", Some(-1000.0)),
            ("1_000.5", Some(1000.5)),
            ("+Inf", Some(f64::INFINITY)),
            ("1e400", None),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            (".", None),
            ("1e", None),
            ("abc", None),
        ] {
            assert_eq!(parse_float(s), want, "{s:?}");
        }
        // Go reads hex floats (0.25 here); refused on purpose, see the function's doc.
        assert_eq!(parse_float("0x1p-2"), None);
    }

    #[test]
    fn parse_int_matches_go() {
        for (s, base, want) in [
            ("0", 0, Some(0)),
            ("017", 0, Some(15)),
            ("08", 0, None),
            ("0x1F", 0, Some(31)),
            ("0X1f", 0, Some(31)),
            ("0o17", 0, Some(15)),
            ("0b101", 0, Some(5)),
            ("0x", 0, None),
            ("0b", 0, None),
            ("1_000", 0, Some(1000)),
            ("0x_1", 0, Some(1)),
            ("1__0", 0, None),
            ("1_", 0, None),
            ("0_7", 0, Some(7)),
            ("_1", 0, None),
            ("+1", 0, Some(1)),
            ("-0x10", 0, Some(-16)),
            ("+", 0, None),
            ("", 0, None),
            ("9223372036854775807", 0, Some(i64::MAX)),
            ("9223372036854775808", 0, None),
            ("-9223372036854775808", 0, Some(i64::MIN)),
            ("-9223372036854775809", 0, None),
            ("-1", 2, Some(-1)),
            ("+101", 2, Some(5)),
            ("1_0", 2, None),
            ("102", 2, None),
        ] {
            assert_eq!(parse_int(s, base), want, "{s:?} base {base}");
        }
        assert_eq!(parse_uint("18446744073709551615", 0), Some(u64::MAX));
        assert_eq!(parse_uint("18446744073709551616", 0), None);
        assert_eq!(parse_uint("+1", 0), None);
        assert_eq!(parse_uint("-1", 2), None);
    }
}
