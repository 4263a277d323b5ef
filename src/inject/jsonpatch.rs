//! RFC 6902 JSON Patch: the diff the webhook returns (original pod → injected pod), and an
//! applier used to check it.

use serde::Serialize;
use serde_json::Value;

/// One operation. Only `add`, `remove` and `replace` are produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Op {
    pub op: &'static str,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// The operations turning `from` into `to`.
pub fn diff(from: &Value, to: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    diff_at(&mut ops, String::new(), from, to);
    ops
}

fn diff_at(ops: &mut Vec<Op>, path: String, from: &Value, to: &Value) {
    if from == to {
        return;
    }
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = format!("{path}/{}", escape(k));
                match b.get(k) {
                    Some(vb) => diff_at(ops, p, va, vb),
                    None => ops.push(Op {
                        op: "remove",
                        path: p,
                        value: None,
                    }),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    ops.push(Op {
                        op: "add",
                        path: format!("{path}/{}", escape(k)),
                        value: Some(vb.clone()),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let common = a.len().min(b.len());
            for i in 0..common {
                diff_at(ops, format!("{path}/{i}"), &a[i], &b[i]);
            }
            for (i, v) in b.iter().enumerate().skip(common) {
                ops.push(Op {
                    op: "add",
                    path: format!("{path}/{i}"),
                    value: Some(v.clone()),
                });
            }
            // Remove from the end so earlier indices stay valid.
            for i in (common..a.len()).rev() {
                ops.push(Op {
                    op: "remove",
                    path: format!("{path}/{i}"),
                    value: None,
                });
            }
        }
        _ => ops.push(Op {
            op: "replace",
            path,
            value: Some(to.clone()),
        }),
    }
}

/// Why an operation does not apply; each names the operation's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("cannot remove the whole document")]
    RemoveDocument,
    #[error("{0}: no such path")]
    NoSuchPath(String),
    #[error("{0}: no such key")]
    NoSuchKey(String),
    #[error("{0}: bad index")]
    BadIndex(String),
    #[error("{0}: index out of range")]
    OutOfRange(String),
    #[error("{0}: not a container")]
    NotContainer(String),
}

/// Applies operations produced by [`diff`] (add, remove, replace).
pub fn apply(doc: &Value, ops: &[Op]) -> Result<Value, PatchError> {
    let mut doc = doc.clone();
    for op in ops {
        let tokens: Vec<String> = if op.path.is_empty() {
            Vec::new()
        } else {
            op.path
                .split('/')
                .skip(1)
                .map(|t| t.replace("~1", "/").replace("~0", "~"))
                .collect()
        };
        let Some((last, parents)) = tokens.split_last() else {
            match op.op {
                "replace" | "add" => doc = op.value.clone().unwrap_or(Value::Null),
                _ => return Err(PatchError::RemoveDocument),
            }
            continue;
        };
        let mut target = &mut doc;
        for t in parents {
            target = match target {
                Value::Object(m) => m.get_mut(t),
                Value::Array(a) => t.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            }
            .ok_or_else(|| PatchError::NoSuchPath(op.path.clone()))?;
        }
        let value = op.value.clone().unwrap_or(Value::Null);
        match (target, op.op) {
            (Value::Object(m), "add" | "replace") => {
                m.insert(last.clone(), value);
            }
            (Value::Object(m), "remove") => {
                m.remove(last)
                    .ok_or_else(|| PatchError::NoSuchKey(op.path.clone()))?;
            }
            (Value::Array(a), op_name) => {
                let i: usize = if last == "-" {
                    a.len()
                } else {
                    last.parse()
                        .map_err(|_| PatchError::BadIndex(op.path.clone()))?
                };
                match op_name {
                    "add" if i <= a.len() => a.insert(i, value),
                    "replace" if i < a.len() => a[i] = value,
                    "remove" if i < a.len() => {
                        a.remove(i);
                    }
                    _ => return Err(PatchError::OutOfRange(op.path.clone())),
                }
            }
            _ => return Err(PatchError::NotContainer(op.path.clone())),
        }
    }
    Ok(doc)
}

/// Serialises a patch the way the webhook sends it.
pub fn to_json(ops: &[Op]) -> String {
    serde_json::to_string(ops).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_then_apply_round_trips() {
        let cases = [
            (json!({"a": 1}), json!({"a": 2, "b/c": {"d~": [1]}})),
            (json!({"l": [1, 2, 3]}), json!({"l": [1]})),
            (json!({"l": [1]}), json!({"l": [0, 1, {"x": 2}]})),
            (json!({"m": {"x": 1, "y": 2}}), json!({"m": {"y": 3}})),
            (json!({"a": [1]}), json!({"a": {"b": 1}})),
            (json!({}), json!({})),
        ];
        for (from, to) in cases {
            let ops = diff(&from, &to);
            assert_eq!(apply(&from, &ops).unwrap(), to, "{ops:?}");
        }
    }

    #[test]
    fn paths_are_escaped() {
        let ops = diff(&json!({}), &json!({"a/b": 1, "c~d": 2}));
        let paths: Vec<&str> = ops.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(paths, vec!["/a~1b", "/c~0d"]);
        assert_eq!(
            to_json(&ops[..1]),
            r#"[{"op":"add","path":"/a~1b","value":1}]"#
        );
    }

    #[test]
    fn no_change_no_ops() {
        assert!(diff(&json!({"a": [1, {"b": 2}]}), &json!({"a": [1, {"b": 2}]})).is_empty());
    }
}
