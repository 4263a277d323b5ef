//! Reading a manifest document the way Kubernetes does (pure).
//!
//! `kubectl` and `istioctl kube-inject` read YAML through `sigs.k8s.io/yaml`, which is
//! go-yaml v2 (YAML 1.1 resolution, libyaml's parser) followed by a conversion to JSON; a
//! document that is JSON goes to Go's `encoding/json` instead. This module gives the same
//! `serde_json::Value` for the same text, or an error saying which construct it refuses:
//!
//! - plain scalars resolve with go-yaml v2's table: `yes/no/on/off/y/n` (in three casings)
//!   are booleans, `0x1F`, `0o17`, `017` (octal), `0b101`, `1_000`, `+1` integers, `.5`,
//!   `1e3` floats, `~`/`null`/empty null; timestamps stay strings (v2 keeps the text when the
//!   target is untyped); a quoted or block scalar is always a string;
//! - `<<` merge keys, with v2's order (a merge overwrites keys set before it; in a list of
//!   maps the first wins), anchors and aliases (expansion bounded);
//! - `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!binary` (base64, bytes as text the
//!   way Go's JSON writes them), `!!timestamp`; other tags are ignored;
//! - non-string keys become strings as sigs.k8s.io/yaml writes them (`1`, `true`, `1.5`);
//! - a UTF-8 byte order mark at the start is skipped; a JSON document is read as JSON
//!   (so `"\ud83d\ude00"` surrogate pairs are one character).
//!
//! Refused, with the position: `.inf`/`.nan` (JSON has no such number: Go's conversion
//! fails), duplicate keys (go-yaml v2 keeps the last silently; a duplicated field is almost
//! always a mistake), a second document after `...`, a null or collection as a key,
//! nesting deeper than [`MAX_DEPTH`], alias expansion past [`MAX_ALIAS_NODES`].
//!
//! The parser underneath is `yaml-rust2`'s event parser; the differential corpus in
//! `testdata/yaml/` holds it against Go (`scripts/goyaml/`).

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Collections nested deeper than this are refused (Kubernetes objects nest a few dozen
/// levels at most), before the rest of the text is read.
pub const MAX_DEPTH: usize = 100;

/// The most values alias expansion may copy in one document (a "billion laughs" document
/// would otherwise take all memory).
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// Why a document cannot be read, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} column {column}: {message}")]
pub struct ReadError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The document as Kubernetes reads it (see the module header). Empty text, or text of
/// comments only, is `null`.
pub fn from_str(text: &str) -> Result<Value, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.trim_start_matches([' ', '\t', '\n', '\r']);
    if first.starts_with('{') || first.starts_with('[') {
        // kubectl's decoder reads a JSON stream as JSON; text that only looks like it (a
        // YAML flow mapping) is left to the YAML reader.
        match serde_json::from_str::<Value>(text) {
            Ok(v) => return Ok(v),
            // Go's encoding/json turns a lone surrogate escape into U+FFFD; serde_json
            // refuses it.
            Err(_) if text.contains("\\u") => {
                if let Ok(v) = serde_json::from_str::<Value>(&replace_lone_surrogates(text)) {
                    return Ok(v);
                }
            }
            Err(_) => {}
        }
    }
    // YAML 1.1 line breaks that YAML 1.2 (the parser underneath) reads as content.
    if let Some((n, c)) = text
        .char_indices()
        .find(|(_, c)| matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}'))
    {
        let line = text[..n].matches('\n').count() + 1;
        let column = text[..n]
            .rsplit('\n')
            .next()
            .map_or(0, |l| l.chars().count())
            + 1;
        return Err(ReadError {
            line,
            column,
            message: format!(
                "the character U+{:04X} is a line break to Kubernetes' YAML 1.1 reader and text \
                 to others; not supported (write it as an escape in a double-quoted string)",
                u32::from(c)
            ),
        });
    }
    let mut b = Builder {
        parser: Parser::new_from_str(text),
        anchors: Vec::new(),
        depth: 0,
        alias_nodes: 0,
        text,
        slash_escapes: text.contains("\\/"),
        cursor: (0, 0),
    };
    b.document()
}

/// JSON text with each lone UTF-16 surrogate escape (`\ud83d` not followed by a low
/// surrogate, or a low one alone) written as `\ufffd`, as Go's decoder reads it.
fn replace_lone_surrogates(text: &str) -> String {
    let b = text.as_bytes();
    let hex_at = |i: usize| -> Option<u32> {
        if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
            return None;
        }
        let h = text.get(i + 2..i + 6)?;
        u32::from_str_radix(h, 16).ok()
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        if b.get(i) == Some(&b'\\') {
            if let Some(v) = hex_at(i) {
                let high = (0xD800..0xDC00).contains(&v);
                let low = (0xDC00..0xE000).contains(&v);
                if high && hex_at(i + 6).is_some_and(|w| (0xDC00..0xE000).contains(&w)) {
                    i += 12;
                    continue;
                }
                if high || low {
                    out.push_str(&text[last..i]);
                    out.push_str("\\ufffd");
                    i += 6;
                    last = i;
                    continue;
                }
                i += 6;
                continue;
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    out
}

struct Builder<'a> {
    parser: Parser<std::str::Chars<'a>>,
    text: &'a str,
    /// The text holds `\/`: double-quoted scalars are checked for that escape, which
    /// go-yaml v2 refuses and the parser underneath accepts.
    slash_escapes: bool,
    /// `(character index, byte offset)` of the last scalar checked: scalars come in text
    /// order, so finding the next one's byte offset continues from here (linear overall).
    cursor: (usize, usize),
    /// Values by anchor id (ids start at 1; 0 is "no anchor").
    anchors: Vec<Option<Value>>,
    depth: usize,
    alias_nodes: usize,
}

fn err(mark: &Marker, message: impl Into<String>) -> ReadError {
    ReadError {
        line: mark.line(),
        column: mark.col() + 1,
        message: message.into(),
    }
}

impl Builder<'_> {
    fn next(&mut self) -> Result<(Event, Marker), ReadError> {
        self.parser.next_token().map_err(|e| {
            let m = e.marker();
            let info = e.info().to_string();
            ReadError {
                line: m.line(),
                column: m.col() + 1,
                message: info,
            }
        })
    }

    fn document(&mut self) -> Result<Value, ReadError> {
        let mut value = Value::Null;
        let mut seen_document = false;
        loop {
            let (ev, mark) = self.next()?;
            match ev {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return Ok(value),
                Event::DocumentStart => {
                    if seen_document {
                        return Err(err(
                            &mark,
                            "a second YAML document in one (after `...`): separate documents \
                             with a `---` line",
                        ));
                    }
                    seen_document = true;
                    value = self.node()?;
                }
                Event::DocumentEnd => {}
                _ => return Err(err(&mark, "unexpected YAML event")),
            }
        }
    }

    /// The next node, whatever it is.
    fn node(&mut self) -> Result<Value, ReadError> {
        let (ev, mark) = self.next()?;
        self.node_from(ev, &mark)
    }

    fn node_from(&mut self, ev: Event, mark: &Marker) -> Result<Value, ReadError> {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                if self.slash_escapes && style == TScalarStyle::DoubleQuoted {
                    self.check_escapes(mark)?;
                }
                let v = scalar(&text, style, tag.as_ref(), mark)?;
                self.anchor(anchor, &v);
                Ok(v)
            }
            Event::SequenceStart(anchor, _) => {
                self.enter(mark)?;
                let mut items = Vec::new();
                loop {
                    let (ev, m) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node_from(ev, &m)?);
                }
                self.depth -= 1;
                let v = Value::Array(items);
                self.anchor(anchor, &v);
                Ok(v)
            }
            Event::MappingStart(anchor, _) => {
                self.enter(mark)?;
                let v = Value::Object(self.mapping()?);
                self.depth -= 1;
                self.anchor(anchor, &v);
                Ok(v)
            }
            Event::Alias(id) => {
                let Some(Some(v)) = self.anchors.get(id) else {
                    return Err(err(mark, "alias to an unknown anchor"));
                };
                self.alias_nodes += count(v);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(err(
                        mark,
                        format!("aliases expand to more than {MAX_ALIAS_NODES} values"),
                    ));
                }
                Ok(v.clone())
            }
            _ => Err(err(mark, "unexpected YAML event")),
        }
    }

    /// go-yaml v2 knows no `\/` escape: the double-quoted scalar starting at `mark`
    /// (a character index) is read again from the text to find one.
    fn check_escapes(&mut self, mark: &Marker) -> Result<(), ReadError> {
        let want = mark.index();
        if want < self.cursor.0 {
            self.cursor = (0, 0);
        }
        let (from_char, from_byte) = self.cursor;
        let rest = self.text.get(from_byte..).unwrap_or_default();
        let Some((offset, _)) = rest.char_indices().nth(want - from_char) else {
            return Ok(());
        };
        let start = from_byte + offset;
        self.cursor = (want, start);
        let mut chars = self.text.get(start..).unwrap_or_default().chars();
        if chars.next() != Some('"') {
            return Ok(());
        }
        while let Some(c) = chars.next() {
            match c {
                '"' => return Ok(()),
                '\\' if chars.next() == Some('/') => {
                    return Err(err(
                        mark,
                        "while parsing a quoted scalar, found unknown escape character \
                         (Kubernetes' YAML reader has no `\\/` escape; write `/`)",
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn enter(&mut self, mark: &Marker) -> Result<(), ReadError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                mark,
                format!("collections nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn anchor(&mut self, id: usize, v: &Value) {
        if id == 0 {
            return;
        }
        if self.anchors.len() <= id {
            self.anchors.resize(id + 1, None);
        }
        if let Some(slot) = self.anchors.get_mut(id) {
            *slot = Some(v.clone());
        }
    }

    /// A mapping's entries after its start, up to its end. Merge keys follow go-yaml v2:
    /// entries apply in order, a merge setting every key of its maps (so a key set before
    /// the merge is overwritten, one after it wins); in a list of maps the first map wins.
    fn mapping(&mut self) -> Result<Map<String, Value>, ReadError> {
        let mut map = Map::new();
        // Keys written explicitly, for the duplicate check (merged keys may repeat).
        let mut explicit: std::collections::HashSet<String> = std::collections::HashSet::new();
        loop {
            let (ev, kmark) = self.next()?;
            if matches!(ev, Event::MappingEnd) {
                return Ok(map);
            }
            let is_merge = matches!(
                &ev,
                Event::Scalar(t, TScalarStyle::Plain, _, None) if t == "<<"
            ) || matches!(
                &ev,
                Event::Scalar(t, _, _, Some(tag)) if is_core(tag, "merge") && t == "<<"
            );
            if is_merge {
                let v = self.node()?;
                merge(&mut map, v, &kmark)?;
                continue;
            }
            let key = self.node_from(ev, &kmark)?;
            let key = key_string(key, &kmark)?;
            let value = self.node()?;
            if !explicit.insert(key.clone()) {
                return Err(err(
                    &kmark,
                    format!(
                        "duplicate key {}: each key may appear once in a mapping",
                        Value::from(key.as_str())
                    ),
                ));
            }
            map.insert(key, value);
        }
    }
}

fn merge(map: &mut Map<String, Value>, v: Value, mark: &Marker) -> Result<(), ReadError> {
    let bad = || {
        err(
            mark,
            "map merge requires map or sequence of maps as the value",
        )
    };
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                map.insert(k, v);
            }
            Ok(())
        }
        Value::Array(items) => {
            // Later maps first, so the first map's keys end up winning.
            for item in items.into_iter().rev() {
                let Value::Object(m) = item else {
                    return Err(bad());
                };
                for (k, v) in m {
                    map.insert(k, v);
                }
            }
            Ok(())
        }
        _ => Err(bad()),
    }
}

/// How many values `v` holds (itself included), for the alias budget.
fn count(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count).sum::<usize>(),
        _ => 1,
    }
}

/// A key as sigs.k8s.io/yaml writes it into JSON.
fn key_string(key: Value, mark: &Marker) -> Result<String, ReadError> {
    match key {
        Value::String(s) => Ok(s),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(match n.as_f64() {
            Some(f) if !n.is_i64() && !n.is_u64() => go_float32_g(f),
            _ => n.to_string(),
        }),
        Value::Null => Err(err(mark, "a null mapping key cannot become a JSON key")),
        Value::Array(_) | Value::Object(_) => Err(err(
            mark,
            "a list or map as a mapping key cannot become a JSON key",
        )),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, which sigs.k8s.io/yaml uses for float keys:
/// the shortest decimal that reads back as the same float32, `%g` style.
fn go_float32_g(f: f64) -> String {
    #[allow(clippy::cast_possible_truncation)]
    let f32v = f as f32;
    if f32v.is_infinite() {
        return if f32v > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if f32v.is_nan() {
        return ".nan".into();
    }
    // Rust's Display for f32 is the shortest round-trip decimal; reshape into %g.
    let s = format!("{f32v:e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..21).contains(&exp) {
        format!("{f32v}")
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    }
}

fn is_core(tag: &Tag, name: &str) -> bool {
    ((tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:") && tag.suffix == name)
        || (tag.handle.is_empty() && tag.suffix == format!("tag:yaml.org,2002:{name}"))
}

/// One scalar as go-yaml v2 decodes it into an untyped value.
fn scalar(
    text: &str,
    style: TScalarStyle,
    tag: Option<&Tag>,
    mark: &Marker,
) -> Result<Value, ReadError> {
    let core = |name: &str| tag.is_some_and(|t| is_core(t, name));
    if core("binary") {
        return binary(text, mark);
    }
    if core("str") || core("timestamp") {
        return Ok(Value::String(text.to_string()));
    }
    let known = ["int", "float", "bool", "null", "merge"];
    let wanted = known.iter().copied().find(|n| core(n));
    if tag.is_some() && wanted.is_none() {
        // Any other tag (`!foo`, `!!set`, …) is ignored by go-yaml for an untyped target:
        // the text stays a string.
        return Ok(Value::String(text.to_string()));
    }
    // Quoted and block scalars are strings unless a tag asks otherwise.
    if style != TScalarStyle::Plain && wanted.is_none() {
        return Ok(Value::String(text.to_string()));
    }
    let resolved = resolve_plain(text);
    if let Some(want) = wanted {
        let got = match &resolved {
            Resolved::Int(_) | Resolved::Uint(_) => "int",
            Resolved::Float(_) => "float",
            Resolved::Bool(_) => "bool",
            Resolved::Null => "null",
            Resolved::Str => "str",
        };
        let ok = want == got || (want == "float" && got == "int");
        if !ok {
            return Err(err(
                mark,
                format!("cannot decode !!{got} `{text}` as a !!{want}"),
            ));
        }
    }
    Ok(match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) if wanted == Some("float") => float(i as f64, text, mark)?,
        Resolved::Uint(u) if wanted == Some("float") => float(u as f64, text, mark)?,
        Resolved::Int(i) => Value::Number(i.into()),
        Resolved::Uint(u) => Value::Number(u.into()),
        Resolved::Float(f) => float(f, text, mark)?,
        Resolved::Str => Value::String(text.to_string()),
    })
}

fn float(f: f64, text: &str, mark: &Marker) -> Result<Value, ReadError> {
    Number::from_f64(f).map(Value::Number).ok_or_else(|| {
        err(
            mark,
            format!(
                "`{text}` is {}, which JSON (and so Kubernetes) cannot represent",
                if f.is_nan() {
                    "not a number"
                } else {
                    "infinite"
                }
            ),
        )
    })
}

/// `!!binary`: base64 (line breaks ignored, as Go's decoder ignores them), the bytes then
/// written as Go's JSON encoder writes a string holding them (each invalid byte U+FFFD).
fn binary(text: &str, mark: &Marker) -> Result<Value, ReadError> {
    use base64::Engine as _;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let cleaned: String = text.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let bytes = engine
        .decode(cleaned.as_bytes())
        .map_err(|_| err(mark, "!!binary value contains invalid base64 data"))?;
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push('\u{fffd}');
        }
    }
    Ok(Value::String(out))
}

/// What go-yaml v2's `resolve` makes of a plain scalar.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str,
}

/// go-yaml v2's `resolve("", text)` for a plain scalar (resolve.go).
fn resolve_plain(text: &str) -> Resolved {
    let hint = match text.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return Resolved::Str,
    };
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
    match hint {
        b'.' => match go::parse_float(text) {
            Some(f) => Resolved::Float(f),
            None => Resolved::Str,
        },
        b'D' | b'S' => {
            if go::is_timestamp(text) {
                // Decoded into interface{}, v2 keeps a timestamp's text.
                return Resolved::Str;
            }
            let plain: String = text.chars().filter(|c| *c != '_').collect();
            if let Some(i) = go::parse_int(&plain) {
                return Resolved::Int(i);
            }
            if let Some(u) = go::parse_uint(&plain) {
                return Resolved::Uint(u);
            }
            if go::yaml_style_float(&plain)
                && let Some(f) = go::parse_float(&plain)
            {
                return Resolved::Float(f);
            }
            if let Some(rest) = plain.strip_prefix("0b") {
                if let Some(i) = go::digits_i64(rest, 2, false) {
                    return Resolved::Int(i);
                }
                if let Some(u) = go::digits_u64(rest, 2) {
                    return Resolved::Uint(u);
                }
            } else if let Some(rest) = plain.strip_prefix("-0b")
                && let Some(i) = go::digits_i64(rest, 2, true)
            {
                return Resolved::Int(i);
            }
            Resolved::Str
        }
        _ => Resolved::Str,
    }
}

/// The Go standard library functions go-yaml's resolution calls, to the letter.
pub(super) mod go {
    /// `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`/`0o`/`0b` prefixes, a
    /// leading `0` for octal, underscores only between digits after a prefix or digit.
    pub fn parse_int(s: &str) -> Option<i64> {
        let (neg, body) = match s.as_bytes().first()? {
            b'+' => (false, s.get(1..)?),
            b'-' => (true, s.get(1..)?),
            _ => (false, s),
        };
        let u = parse_uint_base0(body)?;
        if neg {
            if u > (i64::MAX as u64) + 1 {
                return None;
            }
            Some((u as i64).wrapping_neg())
        } else {
            i64::try_from(u).ok()
        }
    }

    /// `strconv.ParseUint(s, 0, 64)` (no sign allowed).
    pub fn parse_uint(s: &str) -> Option<u64> {
        parse_uint_base0(s)
    }

    fn parse_uint_base0(s: &str) -> Option<u64> {
        if s.is_empty() {
            return None;
        }
        let b = s.as_bytes();
        let (base, digits) = if b.first() == Some(&b'0') && b.len() > 1 {
            match b.get(1) {
                Some(b'x' | b'X') => (16, s.get(2..)?),
                Some(b'o' | b'O') => (8, s.get(2..)?),
                Some(b'b' | b'B') => (2, s.get(2..)?),
                _ => (8, s.get(1..)?),
            }
        } else {
            (10, s)
        };
        // Base prefix present: underscores are allowed (go-yaml removed them all already,
        // so none reach here); a prefix with no digits is an error.
        if digits.is_empty() {
            return None;
        }
        digits_u64(digits, base)
    }

    pub fn digits_u64(s: &str, base: u32) -> Option<u64> {
        if s.is_empty() {
            return None;
        }
        let mut v: u64 = 0;
        for c in s.chars() {
            let d = c.to_digit(base)?;
            v = v.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
        }
        Some(v)
    }

    pub fn digits_i64(s: &str, base: u32, neg: bool) -> Option<i64> {
        let u = digits_u64(s, base)?;
        if neg {
            if u > (i64::MAX as u64) + 1 {
                return None;
            }
            Some((u as i64).wrapping_neg())
        } else {
            i64::try_from(u).ok()
        }
    }

    /// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    pub fn yaml_style_float(s: &str) -> bool {
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

    /// `strconv.ParseFloat(s, 64)` for the decimal forms go-yaml can reach: optional sign,
    /// digits with `_` between digits, a fraction, an exponent; `inf`/`nan` words; hex
    /// floats. Out of range is an error in Go (`±Inf` with ErrRange): `None` here.
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
            return None; // Hex floats: none of go-yaml's paths lets one through unguarded.
        }
        // Underscores only between digits.
        let b = s.as_bytes();
        for (i, c) in b.iter().enumerate() {
            if *c == b'_' {
                let before = i.checked_sub(1).and_then(|j| b.get(j));
                let after = b.get(i + 1);
                if !(before.is_some_and(u8::is_ascii_digit)
                    && after.is_some_and(u8::is_ascii_digit))
                {
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

    /// go-yaml v2's `parseTimestamp`: the formats it tries, each requiring its whole text.
    pub fn is_timestamp(s: &str) -> bool {
        // "2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00",
        // "2006-1-2 15:4:5.999999999", "2006-1-2"; go-yaml first requires the text to
        // start with four digits and a dash.
        let b = s.as_bytes();
        if b.len() < 5 || !b.iter().take(4).all(u8::is_ascii_digit) || b.get(4) != Some(&b'-') {
            return false;
        }
        let Some((date, time)) = split_date(s) else {
            return false;
        };
        if !date_ok(date) {
            return false;
        }
        match time {
            None => true,
            Some((sep, t)) => time_ok(t, sep),
        }
    }

    fn split_date(s: &str) -> Option<(&str, Option<(char, &str)>)> {
        match s.find(['T', 't', ' ']) {
            None => Some((s, None)),
            Some(i) => {
                let sep = s.get(i..)?.chars().next()?;
                Some((s.get(..i)?, Some((sep, s.get(i + 1..)?))))
            }
        }
    }

    fn num(s: &str, min_len: usize, max_len: usize, max: u32) -> bool {
        (min_len..=max_len).contains(&s.len())
            && s.bytes().all(|c| c.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|v| v <= max)
    }

    fn date_ok(d: &str) -> bool {
        let mut parts = d.split('-');
        let (Some(y), Some(m), Some(day), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        if !(num(y, 4, 4, 9999) && num(m, 1, 2, 12) && num(day, 1, 2, 31)) {
            return false;
        }
        let (Ok(y), Ok(m), Ok(day)) = (y.parse::<u32>(), m.parse::<u32>(), day.parse::<u32>())
        else {
            return false;
        };
        if m == 0 || day == 0 {
            return false;
        }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        day <= days
    }

    /// `15:4:5.999999999` then, after `T`/`t`, a zone: `Z` or `±07:00`.
    fn time_ok(t: &str, sep: char) -> bool {
        let (clock, zone) = if sep == ' ' {
            (t, None)
        } else {
            match t.find(['Z', '+', '-']) {
                Some(i) => (t.get(..i).unwrap_or(""), t.get(i..)),
                None => return false,
            }
        };
        let (hms, frac) = match clock.split_once('.') {
            Some((a, f)) => (a, Some(f)),
            None => (clock, None),
        };
        let mut parts = hms.split(':');
        let (Some(h), Some(m), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        if !(num(h, 1, 2, 23) && num(m, 1, 2, 59) && num(s, 1, 2, 59)) {
            return false;
        }
        if let Some(f) = frac
            && (f.is_empty() || f.len() > 9 || !f.bytes().all(|c| c.is_ascii_digit()))
        {
            return false;
        }
        match zone {
            None => true,
            Some("Z") => true,
            Some(z) => {
                let body = z.get(1..).unwrap_or("");
                match body.split_once(':') {
                    Some((hh, mm)) => num(hh, 2, 2, 23) && num(mm, 2, 2, 59),
                    None => false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(s: &str) -> Value {
        from_str(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn plain_scalars_resolve_as_go_yaml_v2() {
        let rows: &[(&str, Value)] = &[
            ("yes", json!(true)),
            ("Yes", json!(true)),
            ("YES", json!(true)),
            ("yEs", json!("yEs")),
            ("y", json!(true)),
            ("n", json!(false)),
            ("on", json!(true)),
            ("Off", json!(false)),
            ("true", json!(true)),
            ("~", Value::Null),
            ("null", Value::Null),
            ("", Value::Null),
            ("0x1F", json!(31)),
            ("0o17", json!(15)),
            ("017", json!(15)),
            ("08", json!(8.0)),
            ("0b101", json!(5)),
            ("-0b101", json!(-5)),
            ("1_000", json!(1000)),
            ("+1", json!(1)),
            ("-1", json!(-1)),
            ("1.0", json!(1.0)),
            (".5", json!(0.5)),
            ("1e3", json!(1000.0)),
            (
                "18446744073709551615",
                json!(18_446_744_073_709_551_615_u64),
            ),
            ("2024-01-02", json!("2024-01-02")),
            ("1:20", json!("1:20")),
            ("0x", json!("0x")),
            ("+", json!("+")),
            (".", json!(".")),
            ("<<", json!("<<")),
            ("abc", json!("abc")),
        ];
        for (text, want) in rows {
            let got = read(&format!("k: {text}\n"));
            assert_eq!(got["k"], *want, "{text:?}");
        }
    }

    #[test]
    fn quoted_and_block_scalars_are_strings() {
        assert_eq!(read("k: 'yes'\n")["k"], json!("yes"));
        assert_eq!(read("k: \"1.0\"\n")["k"], json!("1.0"));
        assert_eq!(read("k: |\n  1\n")["k"], json!("1\n"));
    }

    #[test]
    fn merge_keys_follow_go_yaml_v2() {
        let doc = "base: &b {image: nginx, name: x}\nc:\n  <<: *b\n  name: web\n";
        assert_eq!(read(doc)["c"], json!({"image": "nginx", "name": "web"}));
        // A merge after a key overwrites it (v2), and the first of a list wins.
        let doc = "a: &a {k: 1}\nb: &b {k: 2}\nc:\n  k: 0\n  <<: [*a, *b]\n";
        assert_eq!(read(doc)["c"], json!({"k": 1}));
        assert!(from_str("c:\n  <<: 5\n").is_err());
    }

    #[test]
    fn tags() {
        assert_eq!(read("k: !!str 5\n")["k"], json!("5"));
        assert_eq!(read("k: !!binary aGVsbG8=\n")["k"], json!("hello"));
        assert_eq!(read("k: !!binary /w==\n")["k"], json!("\u{fffd}"));
        assert_eq!(read("k: !!int \"5\"\n")["k"], json!(5));
        assert_eq!(read("k: !!float 5\n")["k"], json!(5.0));
        assert_eq!(read("k: !foo bar\n")["k"], json!("bar"));
        assert!(from_str("k: !!int abc\n").is_err());
        assert!(from_str("k: !!binary '***'\n").is_err());
    }

    #[test]
    fn keys_become_strings_as_sigs_yaml_writes_them() {
        assert_eq!(
            read("1: a\ntrue: b\n1.5: c\n"),
            json!({"1": "a", "true": "b", "1.5": "c"})
        );
        assert!(from_str("~: a\n").is_err());
        assert!(from_str("? [a]\n: b\n").is_err());
    }

    #[test]
    fn refused_with_a_position() {
        for (text, want) in [
            ("a: .inf\n", "infinite"),
            ("a: -.Inf\n", "infinite"),
            ("a: .nan\n", "not a number"),
            ("a: 1\na: 2\n", "duplicate key \"a\""),
            ("a: 1\n...\nb: 2\n", "second YAML document"),
            ("a: *x\n", ""),
        ] {
            let e = from_str(text).unwrap_err();
            assert!(e.to_string().contains(want), "{text:?}: {e}");
            assert!(e.line >= 1, "{text:?}");
        }
    }

    #[test]
    fn bom_and_json() {
        assert_eq!(read("\u{feff}a: 1\n"), json!({"a": 1}));
        assert_eq!(read(r#"{"a": "\ud83d\ude00"}"#), json!({"a": "😀"}));
        assert_eq!(read("{a: yes}"), json!({"a": true}));
        assert_eq!(read("# only a comment\n"), Value::Null);
    }

    #[test]
    fn deep_nesting_fails_fast() {
        let deep = "[".repeat(100_000);
        let start = std::time::Instant::now();
        // The scanner's own limit (it looks ahead in flow collections) or ours.
        let e = from_str(&deep).unwrap_err();
        assert!(
            e.message.contains("nested deeper") || e.message.contains("recursion limit"),
            "{e}"
        );
        let deep_block: String = (0..150)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        assert!(from_str(&deep_block).is_err());
        let mixed = format!("a: {}\n", "{b: ".repeat(50_000));
        assert!(from_str(&mixed).is_err());
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        // Brackets inside quoted and block scalars are text, not nesting.
        let text = format!("a: '{}'\nb: |\n  {}\n", "[".repeat(500), "{".repeat(500));
        assert!(from_str(&text).is_ok());
    }

    #[test]
    fn slash_escapes_are_found_in_linear_time() {
        let mut doc: String = (0..20_000).map(|i| format!("k{i}: \"v{i}\"\n")).collect();
        doc.push_str("last: \"a\\/b\"\n");
        let start = std::time::Instant::now();
        let e = from_str(&doc).unwrap_err();
        assert!(e.message.contains("unknown escape"), "{e}");
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        // Only double-quoted scalars have escapes.
        assert_eq!(
            read("a: 'x\\/y'\nb: x\\/y\nc: \"é\"\n")["a"],
            json!("x\\/y")
        );
    }

    #[test]
    fn alias_bombs_are_bounded() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            doc.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = from_str(&doc).unwrap_err();
        assert!(e.message.contains("aliases expand"), "{e}");
    }
}
