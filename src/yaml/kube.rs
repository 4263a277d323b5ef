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

use super::number;
use super::resolve::{Resolved, resolve_plain};
use crate::go::strconv::Bits;

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
            // sigs.k8s.io/yaml writes a float key with `FormatFloat(f, 'g', -1, 32)`.
            Some(f) if !n.is_i64() && !n.is_u64() => number::go_yaml_float(f, Bits::B32),
            _ => n.to_string(),
        }),
        Value::Null => Err(err(mark, "a null mapping key cannot become a JSON key")),
        Value::Array(_) | Value::Object(_) => Err(err(
            mark,
            "a list or map as a mapping key cannot become a JSON key",
        )),
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
            // A tag other than !!timestamp keeps go-yaml from reading a timestamp.
            Resolved::Timestamp | Resolved::Str => "str",
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
        Resolved::Timestamp | Resolved::Str => Value::String(text.to_string()),
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
