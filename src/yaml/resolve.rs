//! go-yaml v2's `resolve("", text)`: what a plain scalar reads as, in both directions. The
//! reader (`kube`) takes the value; the emitter asks whether a string would read back as one
//! (`encode.go` `stringv`) and double-quotes it when the answer is another type: YAML 1.1
//! booleans (`y`, `yes`, `on`, `off`, …), nulls (`~`, `null`, ``), `.inf`/`.nan`, ints in
//! Go's base-0 syntax (`0x1F`, `0o17`, `017`, `1_000`, `0b101`), floats, timestamps
//! (`2006-1-2`, with a time), and base-60 floats (`1:20`). The Go parsers underneath are
//! `crate::go::strconv`'s.

use std::borrow::Cow;

use crate::go::strconv;

/// What go-yaml v2's `resolve("", text)` makes of a plain scalar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A timestamp: decoded into `interface{}`, v2 keeps its text; written, it is quoted.
    Timestamp,
    Str,
}

/// go-yaml v2's `resolve("", text)` for a plain scalar (resolve.go).
pub(super) fn resolve_plain(text: &str) -> Resolved {
    // The first byte is a hint of what the scalar may be; other first bytes mean a string.
    let hint = match text.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return Resolved::Str,
    };
    // go-yaml's `resolveMap`: the exact spellings of the YAML 1.1 non-string plain scalars.
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false);
        }
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        _ => {}
    }
    // Numbers and timestamps are made of `numeric` bytes; any other byte (`100m`, `128Mi`)
    // leaves a string without trying each parser (every simple key and value asks).
    if !text.bytes().all(numeric) {
        return Resolved::Str;
    }
    parse_number_or_time(hint, text)
}

/// True when go-yaml would write `s` as a plain scalar: `resolve` finds a string and it is
/// not a base-60 float.
///
/// One deliberate difference: go-yaml writes the string `<<` plain, which every YAML 1.1
/// reader (go-yaml included) then takes as a merge key; it is quoted here, so an object
/// with a `"<<"` key survives being written and read back.
pub(super) fn plain_reads_as_string(s: &str) -> bool {
    s != "<<" && resolve_plain(s) == Resolved::Str && !is_base60_float(s)
}

/// The bytes a number, timestamp or base-60 float of go-yaml can contain.
fn numeric(b: u8) -> bool {
    b.is_ascii_hexdigit()
        || matches!(
            b,
            b'.' | b','
                | b'_'
                | b'+'
                | b'-'
                | b':'
                | b' '
                | b'\t'
                | b'x'
                | b'X'
                | b'o'
                | b'O'
                | b't'
                | b'T'
                | b'z'
                | b'Z'
                | b'i'
                | b'I'
                | b'n'
                | b'N'
                | b'p'
                | b'P'
        )
}

/// go-yaml's parsers for a scalar with this first-byte hint, after the map.
fn parse_number_or_time(hint: u8, text: &str) -> Resolved {
    match hint {
        b'.' => match strconv::parse_float(text) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        b'D' | b'S' => {
            if is_timestamp(text) {
                return Resolved::Timestamp;
            }
            let plain = if text.contains('_') {
                Cow::Owned(text.replace('_', ""))
            } else {
                Cow::Borrowed(text)
            };
            if let Some(i) = strconv::parse_int(&plain, 0) {
                return Resolved::Int(i);
            }
            if let Some(u) = strconv::parse_uint(&plain, 0) {
                return Resolved::Uint(u);
            }
            if yaml_style_float(&plain)
                && let Some(f) = strconv::parse_float(&plain)
            {
                return Resolved::Float(f);
            }
            // `ParseInt(plain[2:], 2, 64)`: the digits after `0b` may carry a sign of their
            // own (`0b-1` is -1).
            if let Some(rest) = plain.strip_prefix("0b") {
                if let Some(i) = strconv::parse_int(rest, 2) {
                    return Resolved::Int(i);
                }
                if let Some(u) = strconv::parse_uint(rest, 2) {
                    return Resolved::Uint(u);
                }
            } else if let Some(rest) = plain.strip_prefix("-0b")
                && let Some(i) = strconv::parse_int(&format!("-{rest}"), 2)
            {
                return Resolved::Int(i);
            }
            Resolved::Str
        }
        _ => Resolved::Str,
    }
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// go-yaml's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += 1;
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        // `[0-5]?[0-9]`: one digit, or a 0-5 followed by a digit.
        match (b.get(i + 1), b.get(i + 2)) {
            (Some(b'0'..=b'5'), Some(b'0'..=b'9')) => i += 3,
            (Some(b'0'..=b'9'), _) => i += 2,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// go-yaml's `parseTimestamp`: `time.Parse` with one of
/// `2006-1-2T15:4:5.999999999Z07:00`, `2006-1-2t15:4:5.999999999Z07:00`,
/// `2006-1-2 15:4:5.999999999` or `2006-1-2`, after a quick check for `YYYY-`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut p = Cursor { b, i: 5 };
    let year: u32 = b[..4].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
    let Some(month) = p.number() else {
        return false;
    };
    if !(1..=12).contains(&month) || !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.number() else { return false };
    if day < 1 || day > days_in(month, year) {
        return false;
    }
    if p.done() {
        return true;
    }
    let zone = match p.next() {
        Some(b'T' | b't') => true,
        Some(b' ') => false,
        _ => return false,
    };
    let Some(hour) = p.number() else { return false };
    if hour >= 24 || !p.eat(b':') {
        return false;
    }
    let Some(minute) = p.number() else {
        return false;
    };
    if minute >= 60 || !p.eat(b':') {
        return false;
    }
    let Some(second) = p.number() else {
        return false;
    };
    if second >= 60 {
        return false;
    }
    // `.999999999`: optional fraction, any number of digits, `.` or `,`.
    if matches!(p.peek(), Some(b'.' | b',')) && p.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
        p.i += 1;
        while p.peek().is_some_and(|c| c.is_ascii_digit()) {
            p.i += 1;
        }
    }
    if !zone {
        return p.done();
    }
    // `Z07:00`: `Z`, or `±hh:mm`.
    match p.next() {
        Some(b'Z') => p.done(),
        Some(b'+' | b'-') => {
            let rest = &b[p.i..];
            rest.len() == 5
                && rest[..2].iter().all(u8::is_ascii_digit)
                && rest[2] == b':'
                && rest[3..].iter().all(u8::is_ascii_digit)
                && (rest[0] - b'0') * 10 + (rest[1] - b'0') <= 24
                && (rest[3] - b'0') * 10 + (rest[4] - b'0') <= 60
        }
        _ => false,
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn peek_at(&self, n: usize) -> Option<u8> {
        self.b.get(self.i + n).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let c = self.peek();
        self.i += 1;
        c
    }
    fn eat(&mut self, c: u8) -> bool {
        let ok = self.peek() == Some(c);
        self.i += usize::from(ok);
        ok
    }
    fn done(&self) -> bool {
        self.i >= self.b.len()
    }
    /// Go's `getnum(s, false)`: one or two digits.
    fn number(&mut self) -> Option<u32> {
        let first = self.peek().filter(u8::is_ascii_digit)?;
        self.i += 1;
        let mut n = u32::from(first - b'0');
        if let Some(second) = self.peek().filter(u8::is_ascii_digit) {
            self.i += 1;
            n = n * 10 + u32::from(second - b'0');
        }
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte filter's premise: whatever go-yaml's parsers read as another type is made of
    /// `numeric` bytes only. Checked over every printable ASCII text of up to three bytes,
    /// with each prefix of real numbers and timestamps in front.
    #[test]
    fn other_types_are_made_of_numeric_bytes() {
        let printable: Vec<char> = (b' '..=b'~').map(char::from).collect();
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = texts
                .iter()
                .filter(|t| t.len() == texts.last().map_or(0, String::len))
                .flat_map(|t| printable.iter().map(move |c| format!("{t}{c}")))
                .collect();
            texts.extend(longer);
        }
        let stems = [
            "",
            "1",
            "-1",
            "0x1",
            "1.5e",
            "2001-12-14",
            "2001-12-14T21:59:43",
            "1:2",
        ];
        let mut others = 0;
        for stem in stems {
            for t in &texts {
                let s = format!("{stem}{t}");
                let hint = match s.as_bytes().first() {
                    Some(b'+' | b'-') => b'S',
                    Some(b'0'..=b'9') => b'D',
                    Some(b'.') => b'.',
                    _ => continue,
                };
                if parse_number_or_time(hint, &s) != Resolved::Str {
                    others += 1;
                    assert!(
                        s.bytes().all(numeric),
                        "{s:?} resolves but has a non-numeric byte"
                    );
                }
            }
        }
        assert!(
            others > 10_000,
            "only {others} texts resolved to another type"
        );
    }
}
