//! Would a plain scalar read back as a string? go-yaml v2 asks `resolve("", s)` before
//! writing a string unquoted (`encode.go` `stringv`), and double-quotes it when the answer is
//! another type: YAML 1.1 booleans (`y`, `yes`, `on`, `off`, …), nulls (`~`, `null`, ``),
//! `.inf`/`.nan`, ints in Go's base-0 syntax (`0x1F`, `0o17`, `017`, `1_000`, `0b101`),
//! floats, timestamps (`2006-1-2`, with a time), and base-60 floats (`1:20`).

/// go-yaml's `resolveMap`: the exact spellings of the YAML 1.1 non-string plain scalars.
/// A `match` rather than a list to search: every simple key and value asks.
fn in_resolve_map(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "true"
            | "True"
            | "TRUE"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "false"
            | "False"
            | "FALSE"
            | "off"
            | "Off"
            | "OFF"
            | ""
            | "~"
            | "null"
            | "Null"
            | "NULL"
            | ".nan"
            | ".NaN"
            | ".NAN"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
            | "<<"
    )
}

/// True when go-yaml would write `s` as a plain scalar: `resolve` finds a string and it is
/// not a base-60 float.
///
/// One deliberate difference: go-yaml writes the string `<<` plain, which every YAML 1.1
/// reader (go-yaml included) then takes as a merge key; it is quoted here, so an object
/// with a `"<<"` key survives being written and read back.
pub(super) fn plain_reads_as_string(s: &str) -> bool {
    s != "<<" && !resolves_to_other_type(s) && !is_base60_float(s)
}

/// go-yaml v2 `resolve("", s)` returns a tag other than `!!str`.
fn resolves_to_other_type(s: &str) -> bool {
    // The first byte is a hint of what the scalar may be; other first bytes mean a string.
    let hint = match s.as_bytes().first() {
        None => 'N',
        Some(b'+' | b'-') => 'S',
        Some(b'0'..=b'9') => 'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => 'M',
        Some(b'.') => '.',
        Some(_) => return false,
    };
    // The map's longest spelling has five bytes.
    if s.len() <= 5 && in_resolve_map(s) {
        return true;
    }
    // Numbers and timestamps are made of `numeric` bytes; any other byte (`100m`, `128Mi`)
    // leaves a string without trying each parser.
    if matches!(hint, '.' | 'D' | 'S') && !s.bytes().all(numeric) {
        return false;
    }
    parses_as_other(hint, s)
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

/// go-yaml's parsers for a scalar with this first-byte hint.
fn parses_as_other(hint: char, s: &str) -> bool {
    match hint {
        '.' => go_parse_float(s).is_some(),
        'D' | 'S' => {
            if is_timestamp(s) {
                return true;
            }
            let plain = if s.contains('_') {
                std::borrow::Cow::Owned(s.replace('_', ""))
            } else {
                std::borrow::Cow::Borrowed(s)
            };
            if go_parse_int_base0(&plain).is_some() {
                return true;
            }
            if super::kube::go::yaml_style_float(&plain) && go_parse_float(&plain).is_some() {
                return true;
            }
            if let Some(bits) = plain.strip_prefix("0b") {
                return parse_radix_u64(bits, 2).is_some();
            }
            if let Some(bits) = plain.strip_prefix("-0b") {
                return parse_radix_u64(bits, 2).is_some_and(|n| n <= 1 << 63);
            }
            false
        }
        _ => false,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` succeeds, or else `strconv.ParseUint(s, 0, 64)` does.
/// (Underscores were removed by the caller.)
fn go_parse_int_base0(s: &str) -> Option<()> {
    let (negative, unsigned) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = go_parse_uint_base0(unsigned)?;
    match (negative, s.starts_with('+')) {
        (true, _) if n <= 1 << 63 => Some(()),
        (true, _) => None,
        // ParseInt accepts `+`; when it overflows int64, ParseUint (no sign) fails too.
        (false, true) if n < 1 << 63 => Some(()),
        (false, true) => None,
        (false, false) => Some(()),
    }
}

/// `strconv.ParseUint(s, 0, 64)` without sign or underscores.
fn go_parse_uint_base0(s: &str) -> Option<u64> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return None;
    }
    let (radix, digits) = if bytes.first() == Some(&b'0') {
        match bytes.get(1).map(u8::to_ascii_lowercase) {
            Some(b'b') if bytes.len() >= 3 => (2, &s[2..]),
            Some(b'o') if bytes.len() >= 3 => (8, &s[2..]),
            Some(b'x') if bytes.len() >= 3 => (16, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if digits.is_empty() {
        // `0` alone: base 8 with nothing after the prefix is zero.
        return (s == "0").then_some(0);
    }
    parse_radix_u64(digits, radix)
}

fn parse_radix_u64(digits: &str, radix: u32) -> Option<u64> {
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Go's `strconv.ParseFloat(s, 64)` succeeds on decimal text: optional sign, digits with
/// one optional dot, optional exponent, `_` only between digits, and a finite result (an
/// overflow is an error in Go). Hex floats and `inf`/`nan` never reach here: callers pass
/// text starting with `.` or matching `yamlStyleFloat`.
fn go_parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let mut saw_digits = false;
    let mut saw_dot = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'_' => {}
            b'.' if !saw_dot => saw_dot = true,
            b'0'..=b'9' => saw_digits = true,
            _ => break,
        }
        i += 1;
    }
    if !saw_digits {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    if i != b.len() {
        return None;
    }
    if s.contains('_') && !underscores_ok(s) {
        return None;
    }
    let f: f64 = s.replace('_', "").parse().ok()?;
    f.is_finite().then_some(f)
}

/// Go's `strconv.underscoreOK` for decimal text: every `_` between two digits.
fn underscores_ok(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let mut saw = '^';
    for c in s.chars() {
        if c.is_ascii_digit() {
            saw = '0';
        } else if c == '_' {
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
                    Some(b'+' | b'-') => 'S',
                    Some(b'0'..=b'9') => 'D',
                    Some(b'.') => '.',
                    _ => continue,
                };
                if parses_as_other(hint, &s) {
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
