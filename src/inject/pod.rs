//! Small accessors over a Pod held as JSON (`{metadata, spec}`): annotations, labels,
//! containers by name. Missing maps and lists read as empty; writers create them.

use serde_json::{Map, Value};

use crate::model::StringMap;
use crate::model::istio::PROXY_CONTAINER;

/// `containers` or `initContainers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Containers,
    InitContainers,
}

impl List {
    pub fn key(self) -> &'static str {
        match self {
            List::Containers => "containers",
            List::InitContainers => "initContainers",
        }
    }
}

/// `value.pointer(ptr)` for the pipeline's fixed paths (`/spec/template`, …) without
/// serde_json's copy of every token for unescaping. A pointer with an escape (`~`) or one
/// that passes through an array takes serde_json's way.
pub fn at<'a>(value: &'a Value, ptr: &str) -> Option<&'a Value> {
    match walk_objects(value, ptr) {
        Walk::Found(v) => Some(v),
        Walk::Missing => None,
        Walk::Other => value.pointer(ptr),
    }
}

/// [`at`], mutable.
pub fn at_mut<'a>(value: &'a mut Value, ptr: &str) -> Option<&'a mut Value> {
    match walk_objects(value, ptr) {
        Walk::Missing => return None,
        Walk::Other => return value.pointer_mut(ptr),
        Walk::Found(_) => {}
    }
    let mut v = value;
    for token in ptr.split('/').skip(1) {
        v = v.as_object_mut()?.get_mut(token)?;
    }
    Some(v)
}

enum Walk<'a> {
    Found(&'a Value),
    Missing,
    /// Not a plain path through objects: serde_json decides.
    Other,
}

fn walk_objects<'a>(value: &'a Value, ptr: &str) -> Walk<'a> {
    if ptr.contains('~') || !(ptr.is_empty() || ptr.starts_with('/')) {
        return Walk::Other;
    }
    let mut v = value;
    for token in ptr.split('/').skip(1) {
        v = match v {
            Value::Object(m) => match m.get(token) {
                Some(next) => next,
                None => return Walk::Missing,
            },
            Value::Array(_) => return Walk::Other,
            _ => return Walk::Missing,
        };
    }
    Walk::Found(v)
}

/// A string-valued map in `metadata` (`annotations`, `labels`).
pub fn meta_str<'a>(pod: &'a Value, map: &str, key: &str) -> Option<&'a str> {
    pod.get("metadata")?.get(map)?.get(key)?.as_str()
}

pub fn annotation<'a>(pod: &'a Value, key: &str) -> Option<&'a str> {
    meta_str(pod, "annotations", key)
}

pub fn label<'a>(pod: &'a Value, key: &str) -> Option<&'a str> {
    meta_str(pod, "labels", key)
}

/// The `metadata.<map>` object, created if missing (or not an object).
pub fn meta_map_mut<'a>(pod: &'a mut Value, map: &str) -> &'a mut Map<String, Value> {
    let meta = object_field(pod, "metadata");
    as_object(object_field(meta, map))
}

pub fn set_annotation(pod: &mut Value, key: &str, value: impl Into<String>) {
    meta_map_mut(pod, "annotations").insert(key.to_string(), Value::String(value.into()));
}

pub fn remove_annotation(pod: &mut Value, key: &str) {
    if let Some(m) = pod
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    {
        m.remove(key);
    }
}

/// All annotations as (key, value) string pairs; non-string values are skipped.
pub fn annotations(pod: &Value) -> Vec<(&str, &str)> {
    pod.get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
                .collect()
        })
        .unwrap_or_default()
}

/// `value[key]` as an object, replacing a missing or non-object value with `{}`.
pub fn object_field<'a>(value: &'a mut Value, key: &str) -> &'a mut Value {
    let v = as_object(value)
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    as_object(v);
    v
}

/// The value as an object, replacing anything else with `{}`.
pub fn as_object(value: &mut Value) -> &mut Map<String, Value> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(m) => m,
        _ => unreachable!("the value was just made an object"),
    }
}

/// `value[key]` as an array, replacing a missing or non-array value with `[]`.
pub fn array_field<'a>(value: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    let v = as_object(value)
        .entry(key.to_string())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !v.is_array() {
        *v = Value::Array(Vec::new());
    }
    match v {
        Value::Array(a) => a,
        _ => unreachable!("the value was just made an array"),
    }
}

/// The containers of one list (empty when absent).
pub fn containers(pod: &Value, list: List) -> &[Value] {
    pod.get("spec")
        .and_then(|s| s.get(list.key()))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The container list, created if missing.
pub fn containers_mut(pod: &mut Value, list: List) -> &mut Vec<Value> {
    array_field(object_field(pod, "spec"), list.key())
}

pub fn name_of(c: &Value) -> &str {
    c.get("name").and_then(Value::as_str).unwrap_or("")
}

pub fn find<'a>(pod: &'a Value, list: List, name: &str) -> Option<&'a Value> {
    containers(pod, list).iter().find(|c| name_of(c) == name)
}

pub fn has(pod: &Value, list: List, name: &str) -> bool {
    find(pod, list, name).is_some()
}

/// Istio's `FindSidecar`: `istio-proxy` in containers, else in init containers.
pub fn sidecar_mut(pod: &mut Value) -> Option<&mut Value> {
    let list = if has(pod, List::Containers, PROXY_CONTAINER) {
        List::Containers
    } else if has(pod, List::InitContainers, PROXY_CONTAINER) {
        List::InitContainers
    } else {
        return None;
    };
    containers_mut(pod, list)
        .iter_mut()
        .find(|c| name_of(c) == PROXY_CONTAINER)
}

pub fn sidecar(pod: &Value) -> Option<&Value> {
    find(pod, List::Containers, PROXY_CONTAINER)
        .or_else(|| find(pod, List::InitContainers, PROXY_CONTAINER))
}

/// Where to move a container (Istio's `modifyContainers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    First,
    Last,
    Remove,
}

/// Moves (or removes) the container `name`; when several share the name, the last one is
/// kept, as Istio's loop does.
pub fn modify(list: &mut Vec<Value>, name: &str, how: Move) {
    let mut matched = None;
    let mut rest = Vec::with_capacity(list.len());
    for c in list.drain(..) {
        if name_of(&c) == name {
            matched = Some(c);
        } else {
            rest.push(c);
        }
    }
    match (matched, how) {
        (Some(c), Move::First) => {
            rest.insert(0, c);
        }
        (Some(c), Move::Last) => rest.push(c),
        _ => {}
    }
    *list = rest;
}

/// The env list of a container, created if missing.
pub fn env_mut(container: &mut Value) -> &mut Vec<Value> {
    array_field(container, "env")
}

pub fn env_var(name: &str, value: &str) -> Value {
    serde_json::json!({"name": name, "value": value})
}

/// A labels or annotations map as Go's `map[string]string` reads it here: entries that are
/// not strings are left out; anything but an object is empty.
pub fn string_map(v: Option<&Value>) -> StringMap {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn modify_moves_and_removes() {
        let names = |l: &Vec<Value>| l.iter().map(|c| name_of(c).to_string()).collect::<Vec<_>>();
        let base = vec![
            json!({"name": "a"}),
            json!({"name": "b"}),
            json!({"name": "c"}),
        ];
        for (name, how, want) in [
            ("c", Move::First, vec!["c", "a", "b"]),
            ("a", Move::Last, vec!["b", "c", "a"]),
            ("b", Move::Remove, vec!["a", "c"]),
            ("x", Move::First, vec!["a", "b", "c"]),
        ] {
            let mut l = base.clone();
            modify(&mut l, name, how);
            assert_eq!(names(&l), want, "{name} {how:?}");
        }
    }

    #[test]
    fn writers_create_missing_maps() {
        let mut pod = json!({});
        set_annotation(&mut pod, "a", "b");
        containers_mut(&mut pod, List::Containers).push(json!({"name": PROXY_CONTAINER}));
        assert_eq!(annotation(&pod, "a"), Some("b"));
        assert!(sidecar(&pod).is_some());
        let mut pod = json!({"metadata": "junk", "spec": 3});
        set_annotation(&mut pod, "a", "b");
        assert_eq!(containers(&pod, List::InitContainers).len(), 0);
    }

    /// `at`/`at_mut` answer as serde_json's `pointer`/`pointer_mut` on every pointer shape:
    /// empty, root key, empty tokens, escapes, arrays, scalars on the way, no leading `/`.
    #[test]
    fn at_is_json_pointer() {
        let doc = serde_json::json!({
            "": {"x": 1}, "a": {"b": {"c": "d"}, "": 2}, "l": [{"n": "0"}, {"n": "1"}],
            "s": "text", "m~n": 3, "p/q": 4
        });
        for ptr in [
            "", "/", "//x", "/a", "/a/b", "/a/b/c", "/a/b/c/d", "/a/", "/a/z", "/l", "/l/1/n",
            "/l/01", "/l/x", "/s", "/s/x", "/m~0n", "/p~1q", "/z", "a", "/a/b/",
        ] {
            assert_eq!(at(&doc, ptr), doc.pointer(ptr), "{ptr:?}");
            let (mut mine, mut theirs) = (doc.clone(), doc.clone());
            assert_eq!(at_mut(&mut mine, ptr), theirs.pointer_mut(ptr), "{ptr:?}");
        }
    }
}
