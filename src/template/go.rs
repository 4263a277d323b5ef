//! Go runtime behaviours the functions need, over `gotmpl::Value`: `fmt.Sprint` of one
//! value, `encoding/json` marshalling (byte-exact), sprig's `empty`, Go type names for
//! error messages, and `reflect.DeepEqual`. The Go text rules themselves (string escapes,
//! float formats, `%q`) live in `crate::go`; this module applies them to template values.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use gotmpl::Value;

use crate::go::json::{self, MarshalError};

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

/// `encoding/json.Marshal` of a template value, byte for byte: map keys sorted, HTML
/// characters escaped, floats formatted as Go does. Functions cannot be marshalled.
pub fn to_json(v: &Value) -> Result<String, MarshalError> {
    let mut out = String::new();
    write_json(&mut out, v)?;
    Ok(out)
}

fn write_json(out: &mut String, v: &Value) -> Result<(), MarshalError> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Uint(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Float(f) => out.push_str(&json::float(*f)?),
        Value::String(s) => json::write_string(out, s),
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
                json::write_string(out, k);
                out.push(':');
                write_json(out, item)?;
            }
            out.push('}');
        }
        Value::Function(_) => return Err(MarshalError::UnsupportedType("func")),
    }
    Ok(())
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
pub fn to_serde_json(v: &Value) -> Result<serde_json::Value, MarshalError> {
    Ok(match v {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(n) => serde_json::Value::from(*n),
        Value::Uint(n) => serde_json::Value::from(*n),
        Value::Float(f) => {
            if !f.is_finite() {
                // The same refusal as the JSON text's.
                json::float(*f)?;
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
                .collect::<Result<_, MarshalError>>()?,
        ),
        Value::Function(_) => return Err(MarshalError::UnsupportedType("func")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marshals_like_go() {
        let v = from_json(
            &serde_json::json!({"b": [1.5, 1e21, "<&>"], "a": null}),
            Numbers::Float,
        );
        assert_eq!(
            to_json(&v).unwrap(),
            r#"{"a":null,"b":[1.5,1e+21,"\u003c\u0026\u003e"]}"#
        );
        assert_eq!(
            to_json(&Value::Float(f64::NAN)).unwrap_err().to_string(),
            "json: unsupported value: NaN"
        );
    }
}
