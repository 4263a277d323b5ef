//! Go runtime behaviours the functions need, over `gotmpl::Value`: `fmt.Sprint` of one
//! value, `%q` quoting, `encoding/json` marshalling (byte-exact), sprig's `empty`, Go type
//! names for error messages, and `reflect.DeepEqual`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use gotmpl::Value;

/// `fmt.Sprint(v)` for one value (nil is `<nil>`; floats use Go's `%v`).
pub fn sprint(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// Go's type name of a value, as `text/template` error messages show it.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "<nil>",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Uint(_) => "uint",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "[]interface {}",
        Value::Map(_) => "map[string]interface {}",
        Value::Function(_) => "func",
    }
}

/// sprig's `empty`: nil, false, 0, "", and empty lists and maps.
pub fn is_empty(v: &Value) -> bool {
    !v.is_truthy()
}

/// `reflect.DeepEqual` on template values (an int and a float are never equal).
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::Function(_), _) | (_, Value::Function(_)) => false,
        _ => a == b,
    }
}

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
            c if !is_go_printable(c) => {
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
fn is_go_printable(c: char) -> bool {
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

/// `encoding/json.Marshal` of a template value, byte for byte: map keys sorted, HTML
/// characters escaped, floats formatted as Go does. Functions cannot be marshalled.
pub fn to_json(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, v)?;
    Ok(out)
}

fn write_json(out: &mut String, v: &Value) -> Result<(), String> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Uint(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Float(f) => out.push_str(&json_float(*f)?),
        Value::String(s) => json_string(out, s),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, k);
                out.push(':');
                write_json(out, item)?;
            }
            out.push('}');
        }
        Value::Function(_) => return Err("json: unsupported type: func".into()),
    }
    Ok(())
}

/// A float64 as `encoding/json` writes it: `'f'` format, or `'e'` below 1e-6 and from 1e21.
pub fn json_float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!("json: unsupported value: {}", Value::Float(f)));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` is the shortest mantissa; Go writes a signed exponent of at least
        // one digit after json's clean-up (`1e-7`, `1e+21`).
        let raw = format!("{f:e}");
        let (mant, exp) = raw.split_once('e').unwrap_or((&raw, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return Ok(format!("{mant}e{sign}{digits}"));
    }
    Ok(format!("{f}"))
}

/// A JSON string as Go writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u00XX`.
pub fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// How JSON numbers become template values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// Every number is a float64, as `encoding/json` into `any` (Istio's `.Values`).
    Float,
    /// Integral numbers (no `.`, `e`) are int, the others float64 (typed data).
    IntegralInt,
}

/// A JSON value as a template value.
pub fn from_json(v: &serde_json::Value, numbers: Numbers) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if numbers == Numbers::IntegralInt {
                if let Some(i) = n.as_i64() {
                    return Value::Int(i);
                }
                if let Some(u) = n.as_u64() {
                    return Value::Uint(u);
                }
            }
            Value::Float(n.as_f64().unwrap_or(0.0))
        }
        serde_json::Value::String(s) => Value::String(Arc::from(s.as_str())),
        serde_json::Value::Array(a) => {
            Value::List(a.iter().map(|x| from_json(x, numbers)).collect())
        }
        serde_json::Value::Object(o) => Value::Map(Arc::new(
            o.iter()
                .map(|(k, x)| (Arc::from(k.as_str()), from_json(x, numbers)))
                .collect::<BTreeMap<_, _>>(),
        )),
    }
}

/// A template value as the JSON `encoding/json` would produce for it, as a
/// `serde_json::Value` (floats with an integral value below 1e21 become integers, as their
/// Go JSON text has no fraction). Used to hand values to the YAML emitter.
pub fn to_serde_json(v: &Value) -> Result<serde_json::Value, String> {
    Ok(match v {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(n) => serde_json::Value::from(*n),
        Value::Uint(n) => serde_json::Value::from(*n),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!("json: unsupported value: {}", Value::Float(*f)));
            }
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                serde_json::Value::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null)
            }
        }
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::List(items) => {
            serde_json::Value::Array(items.iter().map(to_serde_json).collect::<Result<_, _>>()?)
        }
        Value::Map(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.to_string(), to_serde_json(x)?)))
                .collect::<Result<_, String>>()?,
        ),
        Value::Function(_) => return Err("json: unsupported type: func".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_floats_match_go() {
        for (f, want) in [
            (600.0, "600"),
            (1e6, "1000000"),
            (1.5, "1.5"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (1.25e-8, "1.25e-8"),
            (0.000001, "0.000001"),
            (-0.0, "-0"),
        ] {
            assert_eq!(json_float(f).unwrap(), want, "{f}");
        }
    }

    #[test]
    fn json_escapes_html_like_go() {
        let mut s = String::new();
        json_string(&mut s, "<a&b>\u{1}\"");
        assert_eq!(s, r#""\u003ca\u0026b\u003e\u0001\"""#);
    }

    #[test]
    fn quote_matches_strconv_quote() {
        for (s, want) in [
            ("a\"b", r#""a\"b""#),
            ("\n\t\u{7f}", r#""\n\t\x7f""#),
            ("é\u{ad}", "\"é\\u00ad\""),
        ] {
            assert_eq!(quote(s), want);
        }
    }
}
