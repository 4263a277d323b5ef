//! sprig 3's text functions (`github.com/Masterminds/sprig/v3`), the ones Istio's stock
//! templates use and the common rest, with sprig's semantics: its argument order
//! (`trimAll cutset s`), `cast`-style number conversion in math, errors where sprig panics.

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{FuncMap, Value};

use super::{Args, FResult, Fail, reg, s, str_map_value};

use crate::go::strconv;
use crate::template::go;

/// Bound on strings built by `repeat` and friends, so a template cannot ask for gigabytes.
const MAX_BUILT: usize = 16 << 20;

pub(super) fn register(m: &mut FuncMap) {
    // Strings.
    reg(m, "upper", |a| {
        str1(a, |x| map_chars(x, char::to_uppercase))
    });
    reg(m, "lower", |a| {
        str1(a, |x| map_chars(x, char::to_lowercase))
    });
    reg(m, "title", |a| str1(a, title));
    reg(m, "trim", |a| str1(a, |x| x.trim().to_string()));
    reg(m, "nospace", |a| {
        str1(a, |x| x.chars().filter(|c| !c.is_whitespace()).collect())
    });
    reg(m, "trimAll", |a| {
        a.exact(2)?;
        let cut: Vec<char> = a.str(0)?.chars().collect();
        Ok(s(a.str(1)?.trim_matches(cut.as_slice())))
    });
    reg(m, "trimPrefix", |a| {
        a.exact(2)?;
        let (p, x) = (a.str(0)?, a.str(1)?);
        Ok(s(x.strip_prefix(p).unwrap_or(x)))
    });
    reg(m, "trimSuffix", |a| {
        a.exact(2)?;
        let (p, x) = (a.str(0)?, a.str(1)?);
        Ok(s(x.strip_suffix(p).unwrap_or(x)))
    });
    reg(m, "replace", |a| {
        a.exact(3)?;
        let (old, new, x) = (a.str(0)?, a.str(1)?, a.str(2)?);
        // At most one replacement per byte (plus one): refuse before building.
        let most = (x.len() + 1)
            .saturating_mul(new.len())
            .saturating_add(x.len());
        if most > MAX_BUILT && x.matches(old).count().saturating_mul(new.len()) > MAX_BUILT {
            return Err(format!("result longer than {MAX_BUILT} bytes").into());
        }
        let out = go_replace(x, old, new);
        bounded(&out)?;
        Ok(s(out))
    });
    reg(m, "contains", |a| {
        a.exact(2)?;
        Ok(Value::Bool(a.str(1)?.contains(a.str(0)?)))
    });
    reg(m, "hasPrefix", |a| {
        a.exact(2)?;
        Ok(Value::Bool(a.str(1)?.starts_with(a.str(0)?)))
    });
    reg(m, "hasSuffix", |a| {
        a.exact(2)?;
        Ok(Value::Bool(a.str(1)?.ends_with(a.str(0)?)))
    });
    reg(m, "split", |a| {
        a.exact(2)?;
        let parts = go_split(a.str(1)?, a.str(0)?, None);
        Ok(str_map_value(
            parts
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("_{i}"), p))
                .collect(),
        ))
    });
    reg(m, "splitn", |a| {
        a.exact(3)?;
        let n = a.int(1)?;
        let parts = go_split(a.str(2)?, a.str(0)?, Some(n));
        Ok(str_map_value(
            parts
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("_{i}"), p))
                .collect(),
        ))
    });
    reg(m, "splitList", |a| {
        a.exact(2)?;
        Ok(Value::List(
            go_split(a.str(1)?, a.str(0)?, None)
                .into_iter()
                .map(s)
                .collect(),
        ))
    });
    reg(m, "repeat", |a| {
        a.exact(2)?;
        let n = a.int(0)?;
        let x = a.str(1)?;
        if n < 0 {
            return Err("strings: negative Repeat count".into());
        }
        let total = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(x.len()))
            .unwrap_or(usize::MAX);
        if total > MAX_BUILT {
            return Err(format!("result longer than {MAX_BUILT} bytes").into());
        }
        Ok(s(x.repeat(n as usize)))
    });
    reg(m, "substr", |a| {
        a.exact(3)?;
        let (start, end, x) = (a.int(0)?, a.int(1)?, a.str(2)?);
        let len = x.len() as i64;
        let (lo, hi) = if start < 0 {
            (0, end)
        } else if end < 0 || end > len {
            (start, len)
        } else {
            (start, end)
        };
        if lo < 0 || hi < lo || hi > len {
            return Err(format!("runtime error: slice bounds out of range [{lo}:{hi}]").into());
        }
        Ok(s(byte_slice(x, lo as usize, hi as usize)))
    });
    reg(m, "trunc", |a| {
        a.exact(2)?;
        let (c, x) = (a.int(0)?, a.str(1)?);
        let len = x.len() as i64;
        let out = if c < 0 && len + c > 0 {
            byte_slice(x, (len + c) as usize, x.len())
        } else if c >= 0 && len > c {
            byte_slice(x, 0, c as usize)
        } else {
            x.to_string()
        };
        Ok(s(out))
    });
    reg(m, "quote", |a| {
        Ok(s(a
            .args
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| strconv::quote(&go::sprint(v)))
            .collect::<Vec<_>>()
            .join(" ")))
    });
    reg(m, "squote", |a| {
        Ok(s(a
            .args
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(|v| format!("'{}'", go::sprint(v)))
            .collect::<Vec<_>>()
            .join(" ")))
    });
    reg(m, "cat", |a| {
        Ok(s(a
            .args
            .iter()
            .filter(|v| !matches!(v, Value::Nil))
            .map(go::sprint)
            .collect::<Vec<_>>()
            .join(" ")))
    });
    reg(m, "indent", |a| {
        a.exact(2)?;
        let out = sprig_indent(a.int(0)?, a.str(1)?)?;
        Ok(s(out))
    });
    reg(m, "nindent", |a| {
        a.exact(2)?;
        let out = sprig_indent(a.int(0)?, a.str(1)?)?;
        Ok(s(format!("\n{out}")))
    });

    // Defaults.
    reg(m, "default", |a| {
        a.at_least(1)?;
        match a.args.get(1) {
            Some(given) if !go::is_empty(given) => Ok(given.clone()),
            _ => Ok(a.any(0).clone()),
        }
    });
    reg(m, "empty", |a| {
        a.exact(1)?;
        Ok(Value::Bool(go::is_empty(a.any(0))))
    });
    reg(m, "coalesce", |a| {
        Ok(a.args
            .iter()
            .find(|v| !go::is_empty(v))
            .cloned()
            .unwrap_or(Value::Nil))
    });
    reg(m, "ternary", |a| {
        a.exact(3)?;
        Ok(if a.bool(2)? { a.any(0) } else { a.any(1) }.clone())
    });
    // No `required`: it is Helm's, not sprig's, and Istio's templates cannot use it.

    // Lists.
    reg(m, "list", |a| {
        Ok(Value::List(a.args.iter().cloned().collect()))
    });
    // sprig's `slice` replaces Go's builtin: lists only, `cast.ToInt` bounds, an empty
    // list gives nil.
    reg(m, "slice", |a| {
        a.at_least(1)?;
        let l = match a.any(0) {
            Value::List(l) => l,
            other => {
                return Err(format!(
                    "list should be type of slice or array but {}",
                    go_kind(other)
                )
                .into());
            }
        };
        if l.is_empty() {
            return Ok(Value::Nil);
        }
        let start = a.args.get(1).map_or(0, cast_int);
        let end = a.args.get(2).map_or(l.len() as i64, cast_int);
        if start < 0 || end < start || end > l.len() as i64 {
            return Err(format!("runtime error: slice bounds out of range [{start}:{end}]").into());
        }
        Ok(Value::List(
            l.get(start as usize..end as usize)
                .unwrap_or_default()
                .iter()
                .cloned()
                .collect(),
        ))
    });
    reg(m, "append", push);
    reg(m, "push", push);
    reg(m, "first", |a| {
        a.exact(1)?;
        Ok(list_arg(a, 0, "find first on")?
            .first()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    reg(m, "last", |a| {
        a.exact(1)?;
        Ok(list_arg(a, 0, "find last on")?
            .last()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    reg(m, "rest", |a| {
        a.exact(1)?;
        let l = list_arg(a, 0, "find rest on")?;
        Ok(Value::List(l.iter().skip(1).cloned().collect()))
    });
    reg(m, "initial", |a| {
        a.exact(1)?;
        let l = list_arg(a, 0, "find initial on")?;
        Ok(Value::List(
            l.iter().take(l.len().saturating_sub(1)).cloned().collect(),
        ))
    });
    reg(m, "reverse", |a| {
        a.exact(1)?;
        let l = list_arg(a, 0, "find reverse on")?;
        Ok(Value::List(l.iter().rev().cloned().collect()))
    });
    reg(m, "has", |a| {
        a.exact(2)?;
        if matches!(a.any(1), Value::Nil) {
            return Ok(Value::Bool(false));
        }
        let l = list_arg(a, 1, "find has on")?;
        Ok(Value::Bool(l.iter().any(|x| go::deep_equal(x, a.any(0)))))
    });
    reg(m, "uniq", |a| {
        a.exact(1)?;
        let mut out: Vec<Value> = Vec::new();
        for x in list_arg(a, 0, "find uniq on")?.iter() {
            if !out.iter().any(|y| go::deep_equal(x, y)) {
                out.push(x.clone());
            }
        }
        Ok(Value::List(out.into()))
    });
    reg(m, "without", |a| {
        a.at_least(1)?;
        let omit = &a.args[1..];
        Ok(Value::List(
            list_arg(a, 0, "find without on")?
                .iter()
                .filter(|x| !omit.iter().any(|o| go::deep_equal(x, o)))
                .cloned()
                .collect(),
        ))
    });
    reg(m, "compact", |a| {
        a.exact(1)?;
        Ok(Value::List(
            list_arg(a, 0, "compact on")?
                .iter()
                .filter(|x| !go::is_empty(x))
                .cloned()
                .collect(),
        ))
    });
    reg(m, "concat", |a| {
        let mut out = Vec::new();
        for v in a.args {
            match v {
                Value::List(l) => out.extend(l.iter().cloned()),
                other => {
                    return Err(format!("Cannot concat type {} as list", go_kind(other)).into());
                }
            }
        }
        Ok(Value::List(out.into()))
    });
    reg(m, "join", |a| {
        a.exact(2)?;
        let sep = a.str(0)?;
        let parts: Vec<String> = match a.any(1) {
            Value::Nil => Vec::new(),
            Value::List(l) => l
                .iter()
                .filter(|v| !matches!(v, Value::Nil))
                .map(go::sprint)
                .collect(),
            other => vec![go::sprint(other)],
        };
        Ok(s(parts.join(sep)))
    });
    reg(m, "sortAlpha", |a| {
        a.exact(1)?;
        let mut out: Vec<String> = match a.any(0) {
            Value::List(l) => l.iter().map(go::sprint).collect(),
            other => vec![go::sprint(other)],
        };
        out.sort();
        Ok(Value::List(out.into_iter().map(s).collect()))
    });

    // Dicts.
    reg(m, "dict", |a| {
        let mut d = BTreeMap::new();
        for pair in a.args.chunks(2) {
            let key: Arc<str> = Arc::from(go::sprint(&pair[0]));
            d.insert(key, pair.get(1).cloned().unwrap_or_else(|| s("")));
        }
        Ok(Value::Map(Arc::new(d)))
    });
    reg(m, "get", |a| {
        a.exact(2)?;
        let (d, k) = (a.map(0)?, a.str(1)?);
        Ok(d.get(k).cloned().unwrap_or_else(|| s("")))
    });
    reg(m, "set", |a| {
        a.exact(3)?;
        if matches!(a.any(0), Value::Nil) {
            return Err("assignment to entry in nil map".into());
        }
        let mut d = (*a.map(0)?).clone();
        d.insert(Arc::from(a.str(1)?), a.any(2).clone());
        Ok(Value::Map(Arc::new(d)))
    });
    reg(m, "unset", |a| {
        a.exact(2)?;
        let mut d = (*a.map(0)?).clone();
        d.remove(a.str(1)?);
        Ok(Value::Map(Arc::new(d)))
    });
    reg(m, "hasKey", |a| {
        a.exact(2)?;
        Ok(Value::Bool(a.map(0)?.contains_key(a.str(1)?)))
    });
    reg(m, "keys", |a| {
        // Go's map order is random, so sprig's `keys` has no defined order: sorted here.
        let mut out = Vec::new();
        for i in 0..a.len() {
            out.extend(a.map(i)?.keys().map(|k| Value::String(Arc::clone(k))));
        }
        Ok(Value::List(out.into()))
    });
    reg(m, "pluck", |a| {
        a.at_least(1)?;
        let key = a.str(0)?;
        let mut out = Vec::new();
        for i in 1..a.len() {
            if let Some(v) = a.map(i)?.get(key) {
                out.push(v.clone());
            }
        }
        Ok(Value::List(out.into()))
    });
    reg(m, "merge", |a| {
        a.at_least(1)?;
        let mut dst = (*a.map(0)?).clone();
        for i in 1..a.len() {
            let src = a.map(i)?;
            merge_into(&mut dst, &src);
        }
        Ok(Value::Map(Arc::new(dst)))
    });

    // Conversions.
    reg(m, "toString", |a| {
        a.exact(1)?;
        Ok(s(go::sprint(a.any(0))))
    });
    reg(m, "toJson", |a| {
        a.exact(1)?;
        Ok(s(go::to_json(a.any(0)).unwrap_or_default()))
    });
    reg(m, "fromJson", |a| {
        a.exact(1)?;
        Ok(serde_json::from_str::<serde_json::Value>(a.str(0)?)
            .map(|v| go::from_json(&v, go::Numbers::Float))
            .unwrap_or(Value::Nil))
    });
    reg(m, "atoi", |a| {
        a.exact(1)?;
        Ok(Value::Int(go_atoi(a.str(0)?)))
    });
    reg(m, "int", |a| {
        a.exact(1)?;
        Ok(Value::Int(cast_int(a.any(0))))
    });
    reg(m, "int64", |a| {
        a.exact(1)?;
        Ok(Value::Int(cast_int(a.any(0))))
    });
    reg(m, "float64", |a| {
        a.exact(1)?;
        Ok(Value::Float(cast_float(a.any(0))))
    });

    // Math (sprig converts every operand with cast.ToInt64).
    reg(m, "add", |a| {
        Ok(Value::Int(
            a.args
                .iter()
                .fold(0i64, |acc, v| acc.wrapping_add(cast_int(v))),
        ))
    });
    reg(m, "add1", |a| {
        a.exact(1)?;
        Ok(Value::Int(cast_int(a.any(0)).wrapping_add(1)))
    });
    reg(m, "sub", |a| {
        a.exact(2)?;
        Ok(Value::Int(
            cast_int(a.any(0)).wrapping_sub(cast_int(a.any(1))),
        ))
    });
    reg(m, "mul", |a| {
        a.at_least(1)?;
        Ok(Value::Int(
            a.args
                .iter()
                .fold(1i64, |acc, v| acc.wrapping_mul(cast_int(v))),
        ))
    });
    reg(m, "div", |a| {
        a.exact(2)?;
        let (x, y) = (cast_int(a.any(0)), cast_int(a.any(1)));
        if y == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::Int(x.wrapping_div(y)))
    });
    reg(m, "mod", |a| {
        a.exact(2)?;
        let (x, y) = (cast_int(a.any(0)), cast_int(a.any(1)));
        if y == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::Int(x.wrapping_rem(y)))
    });
    reg(m, "max", |a| {
        a.at_least(1)?;
        Ok(Value::Int(
            a.args.iter().map(cast_int).max().unwrap_or_default(),
        ))
    });
    reg(m, "min", |a| {
        a.at_least(1)?;
        Ok(Value::Int(
            a.args.iter().map(cast_int).min().unwrap_or_default(),
        ))
    });

    // Encoding.
    reg(m, "b64enc", |a| str1(a, |x| b64_encode(x.as_bytes())));
    reg(m, "b64dec", |a| {
        str1(a, |x| match b64_decode(x) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) => e.to_string(),
        })
    });

    // Regular expressions (Go's RE2 syntax; the `regex` crate implements the same family).
    reg(m, "regexMatch", |a| {
        a.exact(2)?;
        let (re, x) = (a.str(0)?, a.str(1)?);
        Ok(Value::Bool(
            compile(re).map(|r| r.is_match(x)).unwrap_or(false),
        ))
    });
    reg(m, "regexReplaceAll", |a| {
        a.exact(3)?;
        let (re, x, repl) = (a.str(0)?, a.str(1)?, a.str(2)?);
        let r = compile(re)?;
        // Expand match by match so a pattern matching everywhere cannot build a huge
        // string before the bound is checked.
        let mut out = String::new();
        let mut last = 0;
        for caps in r.captures_iter(x) {
            let Some(m) = caps.get(0) else { continue };
            out.push_str(&x[last..m.start()]);
            caps.expand(repl, &mut out);
            last = m.end();
            bounded(&out)?;
        }
        out.push_str(&x[last..]);
        bounded(&out)?;
        Ok(s(out))
    });
}

fn compile(re: &str) -> Result<regex::Regex, Fail> {
    regex::RegexBuilder::new(re)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| Fail::Call(format!("regexp: Compile({}): {e}", strconv::quote(re))))
}

fn bounded(out: &str) -> Result<(), Fail> {
    if out.len() > MAX_BUILT {
        return Err(format!("result longer than {MAX_BUILT} bytes").into());
    }
    Ok(())
}

fn str1(a: &Args, f: impl Fn(&str) -> String) -> FResult {
    a.exact(1)?;
    Ok(s(f(a.str(0)?)))
}

/// Go's per-rune case mapping: a rune whose mapping is several runes (`ß` → `SS` in
/// Unicode's full mapping) stays as it is, as `unicode.ToUpper` does.
fn map_chars<I: Iterator<Item = char>>(x: &str, f: fn(char) -> I) -> String {
    x.chars()
        .map(|c| {
            let mut it = f(c);
            match (it.next(), it.next()) {
                (Some(m), None) => m,
                _ => c,
            }
        })
        .collect()
}

/// `strings.Title`: the first letter of each word upper-cased; a word starts after a
/// rune that is not a letter, digit, `_` or `'`.
fn title(x: &str) -> String {
    let mut prev_sep = true;
    x.chars()
        .map(|c| {
            let out = if prev_sep {
                map_chars(&c.to_string(), char::to_uppercase)
                    .chars()
                    .next()
                    .unwrap_or(c)
            } else {
                c
            };
            prev_sep = !(c.is_alphanumeric() || c == '_' || c == '\'');
            out
        })
        .collect()
}

/// `strings.Replace(s, old, new, -1)`: an empty `old` inserts `new` around every rune.
fn go_replace(x: &str, old: &str, new: &str) -> String {
    if !old.is_empty() {
        return x.replace(old, new);
    }
    let mut out = String::from(new);
    for c in x.chars() {
        out.push(c);
        out.push_str(new);
    }
    out
}

/// `strings.Split`/`SplitN`: an empty separator splits into runes; `n < 0` is all,
/// `n == 0` is none.
fn go_split(x: &str, sep: &str, n: Option<i64>) -> Vec<String> {
    let limit = match n {
        Some(0) => return Vec::new(),
        Some(n) if n > 0 => Some(n as usize),
        _ => None,
    };
    let mut parts: Vec<String> = if sep.is_empty() {
        x.chars().map(String::from).collect()
    } else {
        match limit {
            Some(l) => x.splitn(l, sep).map(String::from).collect(),
            None => x.split(sep).map(String::from).collect(),
        }
    };
    if sep.is_empty()
        && let Some(l) = limit
        && parts.len() > l
    {
        let tail: String = parts.split_off(l - 1).concat();
        parts.push(tail);
    }
    parts
}

/// Byte-indexed slicing as Go does; a cut inside a UTF-8 sequence keeps the whole
/// sequence's bytes lossily (Go would emit the raw bytes).
fn byte_slice(x: &str, lo: usize, hi: usize) -> String {
    String::from_utf8_lossy(x.as_bytes().get(lo..hi).unwrap_or_default()).into_owned()
}

fn sprig_indent(n: i64, x: &str) -> Result<String, Fail> {
    if n < 0 {
        return Err("strings: negative Repeat count".into());
    }
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let lines = x.matches('\n').count() + 1;
    if lines.saturating_mul(n).saturating_add(x.len()) > MAX_BUILT {
        return Err(format!("result longer than {MAX_BUILT} bytes").into());
    }
    let pad = " ".repeat(n);
    let out = format!("{pad}{}", x.replace('\n', &format!("\n{pad}")));
    bounded(&out)?;
    Ok(out)
}

fn go_kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int64",
        Value::Uint(_) => "uint64",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Function(_) => "func",
    }
}

fn list_arg<'a>(a: &Args<'a>, i: usize, what: &str) -> Result<&'a Arc<[Value]>, Fail> {
    match a.any(i) {
        Value::List(l) => Ok(l),
        other => Err(format!("Cannot {what} type {}", go_kind(other)).into()),
    }
}

fn push(a: &Args) -> FResult {
    a.exact(2)?;
    let l = list_arg(a, 0, "push on")?;
    let mut out: Vec<Value> = l.iter().cloned().collect();
    out.push(a.any(1).clone());
    Ok(Value::List(out.into()))
}

/// mergo.Merge without override: keys missing or empty in `dst` come from `src`; maps on
/// both sides merge recursively.
fn merge_into(dst: &mut BTreeMap<Arc<str>, Value>, src: &BTreeMap<Arc<str>, Value>) {
    for (k, v) in src {
        match dst.get_mut(k) {
            Some(Value::Map(d)) if matches!(v, Value::Map(_)) => {
                if let Value::Map(sm) = v {
                    let mut merged = (**d).clone();
                    merge_into(&mut merged, sm);
                    *d = Arc::new(merged);
                }
            }
            Some(existing) if !go::is_empty(existing) => {}
            _ => {
                dst.insert(Arc::clone(k), v.clone());
            }
        }
    }
}

/// sprig's `atoi`: Go's `strconv.Atoi` with its error dropped — a syntax error is 0, a
/// decimal number out of range saturates at the int64 bound it passed (Go returns the
/// bound with `ErrRange`).
fn go_atoi(x: &str) -> i64 {
    let (neg, digits) = match x.as_bytes().first() {
        Some(b'-') => (true, &x[1..]),
        Some(b'+') => (false, &x[1..]),
        _ => (false, x),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > i128::from(i64::MAX) + 1 {
            break;
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).unwrap_or(if neg { i64::MIN } else { i64::MAX })
}

/// `cast.ToInt64`: numbers truncate, strings parse (base prefixes; a zero decimal part is
/// dropped), booleans are 0/1, anything else is 0.
pub(crate) fn cast_int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        Value::Uint(n) => *n as i64,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::String(x) => {
            let t = match x.split_once('.') {
                Some((int, frac)) if !frac.is_empty() && frac.chars().all(|c| c == '0') => int,
                _ => x,
            };
            strconv::parse_int(t, 0).unwrap_or(0)
        }
        _ => 0,
    }
}

/// `cast.ToFloat64`.
fn cast_float(v: &Value) -> f64 {
    match v {
        Value::Int(n) => *n as f64,
        Value::Uint(n) => *n as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(x) => strconv::parse_float(x).unwrap_or(0.0),
        _ => 0.0,
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `base64.StdEncoding.EncodeToString`.
fn b64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Go's `base64.CorruptInputError`: the input byte offset where decoding failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("illegal base64 data at input byte {0}")]
struct CorruptInputError(usize);

/// `base64.StdEncoding.DecodeString`; the error text is Go's (sprig returns it as the
/// result), with Go's byte offsets, which the base64 crate's errors do not give: hence
/// by hand. Go ignores `\r` and `\n` in the input.
fn b64_decode(x: &str) -> Result<Vec<u8>, CorruptInputError> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut quantum = 0usize;
    let mut padding = 0usize;
    let mut pos_in = 0usize;
    let illegal = CorruptInputError;
    for (i, c) in x.bytes().enumerate() {
        if c == b'\r' || c == b'\n' {
            continue;
        }
        pos_in = i;
        if c == b'=' {
            if quantum < 2 {
                return Err(illegal(i));
            }
            padding += 1;
            quantum += 1;
            if quantum == 4 {
                quantum = 0;
            }
            continue;
        }
        if padding > 0 {
            return Err(illegal(i));
        }
        let v = B64.iter().position(|&b| b == c).ok_or_else(|| illegal(i))?;
        acc = (acc << 6) | v as u32;
        bits += 6;
        quantum = (quantum + 1) % 4;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if quantum != 0 {
        let at = if padding > 0 { pos_in + 1 } else { x.len() };
        return Err(illegal(
            at.saturating_sub(usize::from(padding == 0) * quantum.min(at)),
        ));
    }
    if acc != 0 && padding == 0 && bits > 0 {
        // Trailing bits that are not zero are accepted by Go's non-strict decoder.
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for x in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            assert_eq!(b64_decode(&b64_encode(x.as_bytes())).unwrap(), x.as_bytes());
        }
        assert_eq!(b64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64_encode(b"fo"), "Zm8=");
        assert!(b64_decode("Zm9v!").is_err());
    }

    #[test]
    fn casts_follow_spf13_cast() {
        for (v, want) in [
            (s("12"), 12),
            (s("0x1f"), 31),
            (s("12.0"), 12),
            (s("abc"), 0),
            (Value::Float(3.9), 3),
            (Value::Bool(true), 1),
            (Value::Nil, 0),
        ] {
            assert_eq!(cast_int(&v), want, "{v:?}");
        }
    }

    #[test]
    fn split_like_go() {
        assert_eq!(go_split("a,b,c", ",", Some(2)), vec!["a", "b,c"]);
        assert_eq!(go_split("abc", "", None), vec!["a", "b", "c"]);
        assert_eq!(go_split("", ",", None), vec![""]);
    }
}
