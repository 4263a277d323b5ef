//! Kubernetes strategic merge patch over the `corev1.Pod` schema, as Istio's injector uses
//! it (`StrategicMergeMapPatchUsingLookupPatchMeta` with `MergeParallelList` and
//! `IgnoreUnmatchedNulls`): ported from apimachinery's `strategicpatch` (`mergeMap`,
//! `mergeSlice`, `normalizeElementOrder`) so that list order comes out as in the goldens.
//!
//! - Maps merge recursively; `null` in the patch deletes a key. A key absent from the
//!   original takes the patch value as is, minus its `null` map entries.
//! - Lists whose Go field has `patchStrategy:"merge"` merge: maps by their merge key
//!   (containers by `name`, volumeMounts by `mountPath`, ports by `containerPort`, …),
//!   scalars as sets. Other lists are replaced.
//! - Order: patch items keep the patch's order, the original's other items keep theirs,
//!   and an original item goes before a patch item only when both were in the original
//!   in that order — so new items come **first**: `[injected, hello]`.
//! - Directives: `$patch: replace|delete` on maps and list items, `$patch: merge` is an
//!   error as in Go, `$retainKeys`, `$setElementOrder/<list>`,
//!   `$deleteFromPrimitiveList/<list>`.
//!
//! Go then unmarshals the result into `corev1.Pod`, which drops fields the type does not
//! know (a `$patch` left inside a replaced list, say): that typed round trip is the
//! caller's. Fields this schema does not know merge like plain maps with replaced lists
//! (Go would refuse to recurse into them).
//!
//! Pure: no I/O.

use serde_json::{Map, Value};

use crate::model::types::{Kind, Patch, Ty};

const DIRECTIVE: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList/";

/// Why a patch cannot be applied, with the field path where it failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct SmpError {
    pub path: String,
    pub problem: String,
}

fn error(path: &str, problem: impl Into<String>) -> SmpError {
    SmpError {
        path: if path.is_empty() {
            "<root>".to_string()
        } else {
            path.to_string()
        },
        problem: problem.into(),
    }
}

/// Applies `patch` to `original`, both Pod JSON (`{metadata, spec, …}`), as Go's
/// `StrategicMergePatch(original, patch, corev1.Pod{})` does.
pub fn merge_pod(original: Value, patch: Value) -> Result<Value, SmpError> {
    let original = match original {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        _ => return Err(error("", "the original is not an object")),
    };
    let Value::Object(patch) = patch else {
        return Err(error("", "the patch is not an object"));
    };
    merge_map(original, patch, Ty::Pod, "").map(Value::Object)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ListStrategy {
    Replace,
    /// Merge, by this key for lists of maps (`None`: a set of scalars).
    Merge(Option<&'static str>),
}

/// The schema of a map-valued field of `ty` (`Ty::Unknown`: maps merge, lists are
/// replaced).
fn field_type(ty: Ty, key: &str) -> Ty {
    ty.field(key).map_or(Ty::Unknown, |f| match f.kind {
        Kind::Struct(t) => t,
        _ => Ty::Unknown,
    })
}

/// The element schema and strategy of a list-valued field of `ty` (the k8s.io/api
/// `patchStrategy` / `patchMergeKey` tags, from `model::types`).
fn list_type(ty: Ty, key: &str) -> (Ty, ListStrategy) {
    match ty.field(key) {
        Some(f) => (
            f.ty(),
            match f.patch {
                Patch::Replace => ListStrategy::Replace,
                Patch::Merge(k) => ListStrategy::Merge(k),
            },
        ),
        None => (Ty::Unknown, ListStrategy::Replace),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `mergeMap`.
fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Ty,
    path: &str,
) -> Result<Map<String, Value>, SmpError> {
    if let Some(directive) = patch.get(DIRECTIVE) {
        // handleDirectiveInMergeMap
        return match directive.as_str() {
            Some("replace") => {
                patch.remove(DIRECTIVE);
                Ok(patch)
            }
            Some("delete") => Ok(Map::new()),
            _ => Err(error(
                path,
                format!("unknown patch type: {directive} in map"),
            )),
        };
    }
    apply_retain_keys(&mut original, &mut patch, path)?;
    merge_set_element_order(&mut original, &mut patch, schema, path)?;

    for (key, patch_value) in patch {
        let (key, is_delete_list) = match key.strip_prefix(DELETE_FROM_PRIMITIVE_LIST) {
            Some(list) => (list.to_string(), true),
            None => (key, false),
        };
        let at = join(path, &key);
        if patch_value.is_null() {
            original.remove(&key);
            continue;
        }
        let Some(current) = original.remove(&key) else {
            if !is_delete_list {
                original.insert(key, discard_nulls(patch_value));
            }
            continue;
        };
        let merged = match (current, patch_value) {
            (Value::Object(o), Value::Object(p)) => {
                Value::Object(merge_map(o, p, field_type(schema, &key), &at)?)
            }
            (Value::Array(o), Value::Array(p)) => {
                let (element, strategy) = list_type(schema, &key);
                match strategy {
                    ListStrategy::Merge(merge_key) => {
                        Value::Array(merge_slice(o, p, element, merge_key, is_delete_list, &at)?)
                    }
                    ListStrategy::Replace => Value::Array(p),
                }
            }
            (current, patch_value) => {
                if is_delete_list {
                    current
                } else if same_type(&current, &patch_value) {
                    patch_value
                } else {
                    discard_nulls(patch_value)
                }
            }
        };
        original.insert(key, merged);
    }
    Ok(original)
}

fn same_type(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// `discardNullValuesFromPatch`: drop `null` map entries, recursively.
fn discard_nulls(mut value: Value) -> Value {
    discard_nulls_in(&mut value);
    value
}

/// In place: rebuilding every map of a rendered sidecar was a tenth of the merge.
fn discard_nulls_in(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.values().any(Value::is_null) {
                map.retain(|_, v| !v.is_null());
            }
            map.values_mut().for_each(discard_nulls_in);
        }
        Value::Array(items) => items.iter_mut().for_each(discard_nulls_in),
        _ => {}
    }
}

/// `applyRetainKeysDirective`: keep only the listed keys of the original.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    path: &str,
) -> Result<(), SmpError> {
    let Some(retain) = patch.remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(error(path, "invalid patch: $retainKeys must be a list"));
    };
    original.retain(|k, _| retain.iter().any(|r| r.as_str() == Some(k)));
    Ok(())
}

/// `mergePatchIntoOriginal`: lists with a `$setElementOrder/<list>` are merged here and
/// ordered by it; both keys leave the patch.
fn merge_set_element_order(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Ty,
    path: &str,
) -> Result<(), SmpError> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive in directives {
        let Some(Value::Array(order)) = patch.remove(&directive) else {
            return Err(error(
                path,
                format!("invalid patch: {directive} must be a list"),
            ));
        };
        let key = directive.trim_start_matches(SET_ELEMENT_ORDER).to_string();
        let at = join(path, &key);
        let (element, strategy) = list_type(schema, &key);
        let merge_key = match strategy {
            ListStrategy::Merge(k) => k,
            ListStrategy::Replace => None,
        };
        let original_list = match original.get(&key) {
            Some(Value::Array(items)) => Some(items.clone()),
            _ => None,
        };
        let patch_list = match patch.remove(&key) {
            Some(Value::Array(items)) => Some(items),
            Some(other) => {
                patch.insert(key.clone(), other);
                None
            }
            None => None,
        };
        let merged = match (&original_list, patch_list.clone()) {
            (Some(o), None) => o.clone(),
            (None, Some(p)) => p
                .into_iter()
                .filter(|item| item.get(DIRECTIVE).is_none())
                .collect(),
            (Some(o), Some(p)) => match strategy {
                ListStrategy::Merge(_) => {
                    merge_slice(o.clone(), p, element, merge_key, false, &at)?
                }
                ListStrategy::Replace => p,
            },
            (None, None) => continue,
        };
        let (in_order, server_only) = partition(merged, &order, merge_key, &at)?;
        let server_order = original_list.unwrap_or_default();
        let both = normalize_element_order(in_order, server_only, &order, &server_order, merge_key);
        original.insert(key, Value::Array(both));
    }
    Ok(())
}

/// `mergeSlice`.
fn merge_slice(
    original: Vec<Value>,
    patch: Vec<Value>,
    element: Ty,
    merge_key: Option<&'static str>,
    is_delete_list: bool,
    path: &str,
) -> Result<Vec<Value>, SmpError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(original);
    }
    let maps = element_kind_is_map(&original, &patch, path)?;
    if !maps {
        if is_delete_list {
            return Ok(original
                .into_iter()
                .filter(|v| !patch.iter().any(|d| json_eq(d, v)))
                .collect());
        }
        let mut merged: Vec<Value> = Vec::new();
        for v in original.iter().chain(&patch) {
            if !merged.iter().any(|m| json_eq(m, v)) {
                merged.push(v.clone());
            }
        }
        let (patch_items, server_only) = partition(merged, &patch, None, path)?;
        return Ok(normalize_element_order(
            patch_items,
            server_only,
            &patch,
            &original,
            None,
        ));
    }
    let Some(merge_key) = merge_key else {
        return Err(error(path, "cannot merge lists without merge key"));
    };
    let (original, patch) = merge_special_elements(original, patch, merge_key, path)?;
    let mut merged = original.clone();
    for item in &patch {
        let Some(Value::Object(item_map)) = Some(item) else {
            continue;
        };
        let Some(key_value) = item_map.get(merge_key) else {
            return Err(error(
                path,
                format!("map: {item} does not contain declared merge key: {merge_key}"),
            ));
        };
        let found = merged
            .iter()
            .position(|m| m.get(merge_key).is_some_and(|v| json_eq(v, key_value)));
        match found {
            Some(i) => {
                let Some(Value::Object(current)) = merged.get(i).cloned() else {
                    return Err(error(path, format!("value for key {i} is not a map")));
                };
                let at = format!("{path}[{merge_key}={}]", display_key(key_value));
                let merged_item = merge_map(current, item_map.clone(), element, &at)?;
                if let Some(slot) = merged.get_mut(i) {
                    *slot = Value::Object(merged_item);
                }
            }
            None => merged.push(item.clone()),
        }
    }
    let (patch_items, server_only) = partition(merged, &patch, Some(merge_key), path)?;
    Ok(normalize_element_order(
        patch_items,
        server_only,
        &patch,
        &original,
        Some(merge_key),
    ))
}

fn display_key(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_string)
}

/// `sliceElementType`: all elements one kind, no lists of lists. True for maps.
fn element_kind_is_map(original: &[Value], patch: &[Value], path: &str) -> Result<bool, SmpError> {
    let mut kind: Option<&Value> = None;
    for v in original.iter().chain(patch) {
        if v.is_null() {
            continue;
        }
        if v.is_array() {
            return Err(error(path, "lists of lists are not supported"));
        }
        match kind {
            None => kind = Some(v),
            Some(k) if same_type(k, v) => {}
            Some(_) => return Err(error(path, "list element types are not identical")),
        }
    }
    Ok(kind.is_some_and(Value::is_object))
}

/// `mergeSliceWithSpecialElements`: `$patch: delete` items remove their match from the
/// original, `$patch: replace` makes the patch's other items the whole list.
fn merge_special_elements(
    original: Vec<Value>,
    patch: Vec<Value>,
    merge_key: &str,
    path: &str,
) -> Result<(Vec<Value>, Vec<Value>), SmpError> {
    let mut original = original;
    let mut plain = Vec::new();
    let mut replace = false;
    for item in patch {
        let Some(directive) = item.get(DIRECTIVE) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some("delete") => {
                let Some(key_value) = item.get(merge_key) else {
                    return Err(error(
                        path,
                        format!("map: {item} does not contain declared merge key: {merge_key}"),
                    ));
                };
                original.retain(|o| !o.get(merge_key).is_some_and(|v| json_eq(v, key_value)));
            }
            Some("replace") => replace = true,
            Some("merge") => {
                return Err(error(
                    path,
                    "merging lists cannot yet be specified in the patch",
                ));
            }
            _ => {
                return Err(error(
                    path,
                    format!("unknown patch type: {directive} in map: {item}"),
                ));
            }
        }
    }
    if replace {
        return Ok((plain, Vec::new()));
    }
    Ok((original, plain))
}

/// `partitionMapsByPresentInList` / `partitionPrimitivesByPresentInList`: items present
/// in `by` (matched by merge key, or by value), and the others.
fn partition(
    items: Vec<Value>,
    by: &[Value],
    merge_key: Option<&str>,
    path: &str,
) -> Result<(Vec<Value>, Vec<Value>), SmpError> {
    let mut present = Vec::new();
    let mut others = Vec::new();
    for item in items {
        if let Some(key) = merge_key
            && item.get(key).is_none()
        {
            return Err(error(
                path,
                format!("map: {item} does not contain declared merge key: {key}"),
            ));
        }
        if index(by, &item, merge_key).is_some() {
            present.push(item);
        } else {
            others.push(item);
        }
    }
    Ok((present, others))
}

/// `index`: where an item (by merge key value, or by value) first appears in `list`.
fn index(list: &[Value], item: &Value, merge_key: Option<&str>) -> Option<usize> {
    let key_of = |v: &Value| -> Value {
        match merge_key {
            Some(k) => v.get(k).cloned().unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let wanted = key_of(item);
    list.iter().position(|v| json_eq(&key_of(v), &wanted))
}

/// `normalizeElementOrder`: patch items in `patch_order`, server-only items in
/// `server_order`, then merged so that a server-only item goes first only when it was
/// before the patch item in the original (`mergeSortedSlice`).
fn normalize_element_order(
    mut patch_items: Vec<Value>,
    mut server_only: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    merge_key: Option<&str>,
) -> Vec<Value> {
    sort_by_index(&mut patch_items, patch_order, merge_key);
    sort_by_index(&mut server_only, server_order, merge_key);
    let mut out = Vec::with_capacity(patch_items.len() + server_only.len());
    let mut left = server_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (Some(l), Some(r)) => match (
                index(server_order, l, merge_key),
                index(server_order, r, merge_key),
            ) {
                (Some(li), Some(ri)) => li < ri,
                _ => false,
            },
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

/// `normalizeSliceOrder`: a stable sort by position in `order` (all items are in it).
fn sort_by_index(items: &mut [Value], order: &[Value], merge_key: Option<&str>) {
    items.sort_by_key(|item| index(order, item, merge_key).unwrap_or(usize::MAX));
}

/// Go's `==` on decoded JSON values: numbers compare by value (`80` = `80.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names(v: &Value, list: &str) -> Vec<String> {
        v["spec"][list]
            .as_array()
            .map(|items| items.iter().map(|i| display_key(&i["name"])).collect())
            .unwrap_or_default()
    }

    /// (case, original, patch, expected result)
    #[test]
    fn merges_like_apimachinery() {
        let cases: Vec<(&str, Value, Value, Value)> = vec![
            (
                "new items come before the original's (Istio TestStrategicMerge)",
                json!({"spec": {"containers": [{"name": "hello", "image": "h"}]}}),
                json!({"spec": {"containers": [{"name": "injected", "image": "i"}]}}),
                json!({"spec": {"containers": [{"name": "injected", "image": "i"}, {"name": "hello", "image": "h"}]}}),
            ),
            (
                "matched items merge in place, user fields kept",
                json!({"spec": {"containers": [{"name": "app"}, {"name": "istio-proxy", "image": "custom"}]}}),
                json!({"spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2", "args": ["proxy"]}]}}),
                json!({"spec": {"containers": [{"name": "app"}, {"name": "istio-proxy", "image": "proxyv2", "args": ["proxy"]}]}}),
            ),
            (
                "env keeps the patch order, original-only entries after",
                json!({"spec": {"containers": [{"name": "c", "env": [{"name": "C", "value": "old"}, {"name": "D", "value": "d"}]}]}}),
                json!({"spec": {"containers": [{"name": "c", "env": [{"name": "A", "value": "a"}, {"name": "B", "value": "b"}, {"name": "C", "value": "new"}]}]}}),
                json!({"spec": {"containers": [{"name": "c", "env": [{"name": "A", "value": "a"}, {"name": "B", "value": "b"}, {"name": "C", "value": "new"}, {"name": "D", "value": "d"}]}]}}),
            ),
            (
                "an original item before a matched one stays before it",
                json!({"spec": {"containers": [{"name": "c", "env": [{"name": "X"}, {"name": "Y", "value": "1"}]}]}}),
                json!({"spec": {"containers": [{"name": "c", "env": [{"name": "Y", "value": "2"}]}]}}),
                json!({"spec": {"containers": [{"name": "c", "env": [{"name": "X"}, {"name": "Y", "value": "2"}]}]}}),
            ),
            (
                "volumeMounts merge by mountPath",
                json!({"spec": {"containers": [{"name": "c", "volumeMounts": [{"mountPath": "/a", "name": "x"}]}]}}),
                json!({"spec": {"containers": [{"name": "c", "volumeMounts": [{"mountPath": "/a", "name": "y", "readOnly": true}, {"mountPath": "/b", "name": "z"}]}]}}),
                json!({"spec": {"containers": [{"name": "c", "volumeMounts": [{"mountPath": "/a", "name": "y", "readOnly": true}, {"mountPath": "/b", "name": "z"}]}]}}),
            ),
            (
                "ports merge by containerPort, whatever the number's spelling",
                json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80, "name": "http"}]}]}}),
                json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80.0, "protocol": "TCP"}]}]}}),
                // The patch's value wins; Go cannot tell 80 from 80.0 anyway (both float64).
                json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80.0, "name": "http", "protocol": "TCP"}]}]}}),
            ),
            (
                "lists without a merge strategy are replaced",
                json!({"spec": {"tolerations": [{"key": "a"}], "containers": [{"name": "c", "args": ["x", "y"]}]}}),
                json!({"spec": {"tolerations": [{"key": "b"}], "containers": [{"name": "c", "args": ["z"]}]}}),
                json!({"spec": {"tolerations": [{"key": "b"}], "containers": [{"name": "c", "args": ["z"]}]}}),
            ),
            (
                "null deletes a key; nulls inside a new value are dropped",
                json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {}}),
                json!({"metadata": {"labels": {"a": null}}, "spec": {"securityContext": {"runAsUser": null, "fsGroup": 1}}}),
                json!({"metadata": {"labels": {"b": "2"}}, "spec": {"securityContext": {"fsGroup": 1}}}),
            ),
            (
                "a new list item is appended as written (Go keeps its nulls)",
                json!({"spec": {"volumes": [{"name": "data"}]}}),
                json!({"spec": {"volumes": [{"name": "workload-socket", "emptyDir": null}]}}),
                json!({"spec": {"volumes": [{"name": "workload-socket", "emptyDir": null}, {"name": "data"}]}}),
            ),
            (
                "$patch: replace in a list",
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
                json!({"spec": {"containers": [{"$patch": "replace"}, {"name": "only"}]}}),
                json!({"spec": {"containers": [{"name": "only"}]}}),
            ),
            (
                "$patch: delete on a list item",
                json!({"spec": {"volumes": [{"name": "a"}, {"name": "b"}]}}),
                json!({"spec": {"volumes": [{"name": "a", "$patch": "delete"}]}}),
                json!({"spec": {"volumes": [{"name": "b"}]}}),
            ),
            (
                "$patch: replace and delete on maps",
                json!({"spec": {"securityContext": {"fsGroup": 2}, "dnsConfig": {"nameservers": ["1.1.1.1"]}}}),
                json!({"spec": {"securityContext": {"$patch": "replace", "runAsUser": 1}, "dnsConfig": {"$patch": "delete"}}}),
                json!({"spec": {"securityContext": {"runAsUser": 1}, "dnsConfig": {}}}),
            ),
            (
                "finalizers merge as a set, patch order first",
                json!({"metadata": {"finalizers": ["a", "b"]}}),
                json!({"metadata": {"finalizers": ["c", "a"]}}),
                json!({"metadata": {"finalizers": ["c", "a", "b"]}}),
            ),
            (
                "$deleteFromPrimitiveList",
                json!({"metadata": {"finalizers": ["a", "b", "c"]}}),
                json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]}}),
                json!({"metadata": {"finalizers": ["a", "c"]}}),
            ),
            (
                "$setElementOrder decides the order",
                json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
                json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}], "containers": [{"name": "b", "image": "x"}]}}),
                json!({"spec": {"containers": [{"name": "b", "image": "x"}, {"name": "a"}]}}),
            ),
            (
                "$retainKeys drops the original's other keys",
                json!({"spec": {"volumes": [{"name": "v", "emptyDir": {}}]}}),
                json!({"spec": {"volumes": [{"name": "v", "$retainKeys": ["name", "secret"], "secret": {"secretName": "s"}}]}}),
                json!({"spec": {"volumes": [{"name": "v", "secret": {"secretName": "s"}}]}}),
            ),
            (
                "an empty original (kube-inject's template pod) takes the patch",
                json!({"metadata": {"creationTimestamp": null}, "spec": {"containers": null}, "status": {}}),
                json!({"spec": {"containers": [{"name": "istio-proxy", "resources": {"limits": null}}]}}),
                json!({"metadata": {"creationTimestamp": null}, "spec": {"containers": [{"name": "istio-proxy", "resources": {}}]}, "status": {}}),
            ),
        ];
        for (case, original, patch, want) in cases {
            let got = merge_pod(original.clone(), patch.clone())
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(got, want, "{case}");
        }
    }

    #[test]
    fn init_containers_from_the_template_come_first() {
        // multi-init.yaml.injected before reordering: [istio-init, istio-proxy, init-one, init-two]
        let original =
            json!({"spec": {"initContainers": [{"name": "init-one"}, {"name": "init-two"}]}});
        let patch =
            json!({"spec": {"initContainers": [{"name": "istio-init"}, {"name": "istio-proxy"}]}});
        let got = merge_pod(original.clone(), patch.clone()).expect("merges");
        assert_eq!(
            names(&got, "initContainers"),
            ["istio-init", "istio-proxy", "init-one", "init-two"]
        );
    }

    #[test]
    fn bad_patches_are_errors_with_a_path() {
        let cases: Vec<(Value, Value, &str)> = vec![
            (
                json!({"spec": {"containers": [{"name": "a"}]}}),
                json!({"spec": {"containers": [{"image": "x"}]}}),
                "spec.containers: map: {\"image\":\"x\"} does not contain declared merge key: name",
            ),
            (
                json!({"spec": {"securityContext": {"fsGroup": 1}}}),
                json!({"spec": {"securityContext": {"$patch": "merge"}}}),
                "spec.securityContext: unknown patch type: \"merge\" in map",
            ),
            (
                json!({"spec": {"containers": [{"name": "a"}]}}),
                json!({"spec": {"containers": [{"$patch": "merge"}]}}),
                "spec.containers: merging lists cannot yet be specified in the patch",
            ),
            (
                json!({"spec": {"containers": [{"name": "a"}]}}),
                json!({"spec": {"containers": ["x"]}}),
                "spec.containers: list element types are not identical",
            ),
            (json!({}), json!([1]), "<root>: the patch is not an object"),
        ];
        for (original, patch, want) in cases {
            let err = merge_pod(original.clone(), patch.clone()).expect_err(want);
            assert_eq!(err.to_string(), want);
        }
    }
}
