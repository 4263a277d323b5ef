//! What a round trip through Go's typed Kubernetes structs does to an object, emulated on
//! JSON: kube-inject decodes every workload into `k8s.io/api` structs and marshals it back, so
//! the goldens carry the zero structs Go always emits (`status: {}`, `strategy: {}`,
//! `resources: {}`, `metadata: {}`), non-`omitempty` fields at their zero value
//! (`replicas: 0` in a ReplicaSet status, `test: false` in a DeploymentConfig), and lose
//! `null`s and `omitempty` zero values (`value: ""` of an env var, `paused: false`).
//!
//! The schema is `model::types`' table (the types a pod template and the injectable workloads
//! are made of), read as [`round_trip`] says. Fields it does not know keep their value (only `null` is dropped): unknown input is
//! never silently lost, which is the one place we deliberately differ from Go (it drops them).

use std::cmp::Ordering;
use std::sync::OnceLock;

use serde_json::{Map, Value};

pub(crate) use crate::model::types::Ty;
use crate::model::types::{Field, Kind};

/// How Go serialises one field: the round trip's reading of a [`Field`] of the table.
#[derive(Clone, Copy)]
enum F {
    /// A non-pointer struct: always emitted, `{}` when empty.
    Obj(Ty),
    /// A pointer to a struct (or an inline-optional struct): dropped when null.
    Ptr(Ty),
    /// A slice of structs, `omitempty`.
    List(Ty),
    /// A slice without `omitempty`: emitted as `null` when absent.
    ReqList(Ty),
    /// A scalar, map or slice of scalars with `omitempty`: dropped when zero or empty.
    Omit(S),
    /// A pointer scalar: dropped only when null (`privileged: false` stays).
    Keep(S),
    /// A non-pointer, non-`omitempty` string, integer or bool, or a `resource.Quantity`
    /// struct: emitted, its zero value (`""`, `0`, `false`, `"0"`) when absent.
    Req(S),
}

/// The Go type of a field the round trip does not descend into, for [`check`]: what
/// Go's typed decoding accepts there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum S {
    /// `string` (and `metav1.Time`, which is one in JSON).
    Str,
    /// `int64`; a float with an integral value is accepted, as Go's decoder reads the `1`
    /// that sigs.k8s.io/yaml writes for YAML's `1.0`.
    Int64,
    /// `int32`, likewise.
    Int32,
    Bool,
    /// `intstr.IntOrString`.
    IntOrStr,
    /// `map[string]string`.
    StrMap,
    /// `[]string`.
    StrList,
    /// `resource.Quantity`: a string or a number.
    Quantity,
    /// `map[string]resource.Quantity` (`ResourceList`).
    QuantityMap,
    /// A struct the schema does not describe further.
    AnyObj,
    /// A slice of structs the schema does not describe further.
    AnyList,
}

/// How the round trip reads a field of the table.
fn round_trip(f: &Field) -> F {
    let scalar = |k: Kind| match k {
        Kind::Str | Kind::Time => S::Str,
        Kind::Int32 => S::Int32,
        Kind::Int64 => S::Int64,
        Kind::Bool => S::Bool,
        Kind::IntOrString => S::IntOrStr,
        Kind::Quantity => S::Quantity,
        Kind::StringMap => S::StrMap,
        Kind::QuantityMap => S::QuantityMap,
        Kind::StringList => S::StrList,
        Kind::Struct(_) | Kind::Opaque => S::AnyObj,
        Kind::List(_) | Kind::OpaqueList => S::AnyList,
    };
    match f.kind {
        Kind::Struct(t) if f.pointer => F::Ptr(t),
        Kind::Struct(t) => F::Obj(t),
        Kind::Opaque if f.pointer => F::Keep(S::AnyObj),
        Kind::Opaque => F::Obj(Ty::Unknown),
        Kind::List(t) if f.omitempty => F::List(t),
        Kind::List(t) => F::ReqList(t),
        Kind::OpaqueList if f.omitempty => F::Omit(S::AnyList),
        Kind::OpaqueList => F::ReqList(Ty::Unknown),
        // A zero `metav1.Time` marshals as `null`, which the round trip drops.
        Kind::Time => F::Keep(S::Str),
        // Kept as written: an absent port is not filled in.
        Kind::IntOrString => F::Keep(S::IntOrStr),
        // A `resource.Quantity` struct is always written, `omitempty` or not.
        Kind::Quantity if !f.pointer => F::Req(S::Quantity),
        k if f.pointer => F::Keep(scalar(k)),
        k if f.omitempty => F::Omit(scalar(k)),
        k => match scalar(k) {
            s @ (S::Str | S::Int32 | S::Int64 | S::Bool) => F::Req(s),
            s => F::Keep(s),
        },
    }
}

/// A type's fields as the round trip reads them: in declaration order (Go's output order)
/// and sorted by name (the order of an object's keys).
struct View {
    fields: Box<[(&'static str, F)]>,
    sorted: Box<[(&'static str, F)]>,
}

fn view(ty: Ty) -> &'static View {
    static VIEWS: [OnceLock<View>; Ty::COUNT] = [const { OnceLock::new() }; Ty::COUNT];
    VIEWS[ty as usize].get_or_init(|| {
        let fields: Box<[(&'static str, F)]> = ty
            .fields()
            .iter()
            .map(|f| (f.json, round_trip(f)))
            .collect();
        let mut sorted = fields.clone();
        sorted.sort_unstable_by_key(|(name, _)| *name);
        View { fields, sorted }
    })
}

/// The fields of a type in declaration order.
fn fields(ty: Ty) -> &'static [(&'static str, F)] {
    &view(ty).fields
}

/// The top-level type of a workload kind.
pub(crate) fn workload_type(kind: crate::manifest::WorkloadKind) -> Ty {
    use crate::manifest::WorkloadKind as K;
    match kind {
        K::Pod => Ty::Pod,
        K::Deployment => Ty::Deployment,
        K::StatefulSet => Ty::StatefulSet,
        K::DaemonSet => Ty::DaemonSet,
        K::ReplicaSet => Ty::ReplicaSet,
        K::ReplicationController => Ty::ReplicationController,
        K::Job => Ty::Job,
        K::CronJob => Ty::CronJob,
        K::DeploymentConfig => Ty::DeploymentConfig,
    }
}

/// Whether a field absent from the input is present after the round trip.
fn is_required(field: F) -> bool {
    matches!(field, F::Obj(_) | F::ReqList(_) | F::Req(_))
}

/// Applies Go's typed round trip to `value`, read as a `ty`.
///
/// The object's keys and the type's fields are both in byte order, so one merged pass over
/// the two finds each key's field and the required fields that are absent: pods are
/// normalised several times per injection, and looking up every key in the table (or
/// every field in the object) dominated the cost.
pub(crate) fn normalize(value: &mut Value, ty: Ty) {
    let Value::Object(map) = value else {
        return;
    };
    let fields = &view(ty).sorted;
    let mut next = 0;
    // Both are rare (an already normalised object has neither), so they are collected and
    // applied afterwards rather than paying for `retain` on every object.
    let mut dropped = Vec::new();
    let mut missing = Vec::new();
    for (key, v) in map.iter_mut() {
        let mut field = None;
        while let Some((name, f)) = fields.get(next) {
            match by_name(name, key) {
                Ordering::Less => {
                    if is_required(*f) {
                        missing.push((*name, *f));
                    }
                    next += 1;
                }
                Ordering::Equal => {
                    field = Some(*f);
                    next += 1;
                    break;
                }
                Ordering::Greater => break,
            }
        }
        let kept = match field {
            Some(field) => keep(v, field),
            // Unknown fields: Go would drop them; we keep them and drop only nulls.
            None => !v.is_null(),
        };
        if !kept {
            dropped.push(key.clone());
        }
    }
    missing.extend(
        fields
            .get(next..)
            .unwrap_or_default()
            .iter()
            .filter(|(_, f)| is_required(*f)),
    );
    for key in dropped {
        map.remove(&key);
    }
    for (name, field) in missing {
        let mut v = zero(field);
        if let F::Obj(ty) = field {
            normalize(&mut v, ty);
        }
        map.insert(crate::yaml::pool::string(name), v);
    }
}

/// Go's typed round trip before k8s.io/apimachinery v0.34: every `ObjectMeta` it marshals
/// carries `creationTimestamp: null` when unset (the zero `metav1.Time` marshals as `null`,
/// and `omitempty` does not drop a struct). Applied after [`normalize`], which drops nulls.
pub(crate) fn null_creation_timestamps(value: &mut Value, ty: Ty) {
    let Value::Object(map) = value else {
        return;
    };
    if ty == Ty::ObjectMeta {
        map.entry("creationTimestamp").or_insert(Value::Null);
        return;
    }
    if !holds_object_meta(ty) {
        return;
    }
    for (name, field) in fields(ty) {
        match (*field, map.get_mut(*name)) {
            (F::Obj(t) | F::Ptr(t), Some(v)) => null_creation_timestamps(v, t),
            (F::List(t) | F::ReqList(t), Some(Value::Array(items))) => items
                .iter_mut()
                .for_each(|i| null_creation_timestamps(i, t)),
            _ => {}
        }
    }
}

/// Whether a value of type `ty` can hold an `ObjectMeta` (itself or in a field's type).
fn holds_object_meta(ty: Ty) -> bool {
    static HOLDS: [OnceLock<bool>; Ty::COUNT] = [const { OnceLock::new() }; Ty::COUNT];
    // The schema has no cycles: a type's answer only asks about its fields' types.
    *HOLDS[ty as usize].get_or_init(|| {
        ty == Ty::ObjectMeta
            || fields(ty).iter().any(|(_, f)| match f {
                F::Obj(t) | F::Ptr(t) | F::List(t) | F::ReqList(t) => holds_object_meta(*t),
                _ => false,
            })
    })
}

/// Byte order of two names, deciding on the first byte without a call to `memcmp` when it
/// differs, as it does for most pairs of field names.
fn by_name(a: &str, b: &str) -> Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

/// Normalises one present field in place; `false` when the round trip drops it.
fn keep(v: &mut Value, field: F) -> bool {
    match field {
        F::Obj(ty) => {
            if v.is_null() {
                *v = Value::Object(Map::new());
            }
            normalize(v, ty);
            true
        }
        F::Ptr(ty) => {
            normalize(v, ty);
            !v.is_null()
        }
        F::List(ty) => match v {
            Value::Array(items) if !items.is_empty() => {
                items.iter_mut().for_each(|i| normalize(i, ty));
                true
            }
            Value::Array(_) | Value::Null => false,
            _ => true,
        },
        F::ReqList(ty) => {
            if let Value::Array(items) = v {
                items.iter_mut().for_each(|i| normalize(i, ty));
            }
            true
        }
        F::Omit(_) => !is_zero(v),
        F::Keep(_) => !v.is_null(),
        F::Req(_) => {
            if v.is_null() {
                *v = zero(field);
            }
            true
        }
    }
}

/// What Go emits for a required field that is absent or null.
fn zero(field: F) -> Value {
    match field {
        F::Obj(_) => Value::Object(Map::new()),
        F::Req(S::Str) => Value::String(String::new()),
        F::Req(S::Int32 | S::Int64) => Value::from(0),
        F::Req(S::Bool) => Value::Bool(false),
        F::Req(S::Quantity) => Value::String("0".into()),
        _ => Value::Null,
    }
}

/// Go's `omitempty` zero: false, 0, "", an empty slice or map, nil.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Go's `json.Marshal` of a typed value: struct fields in declaration order (the schema's
/// order), then fields the schema does not know in sorted order; maps sorted. The value is
/// expected to be normalised already.
pub(crate) fn to_go_json(value: &Value, ty: Ty) -> String {
    let mut out = String::new();
    write_go_json(&mut out, value, ty);
    out
}

fn write_go_json(out: &mut String, value: &Value, ty: Ty) {
    match value {
        Value::Object(map) => {
            let table = fields(ty);
            out.push('{');
            let mut first = true;
            let mut entry = |out: &mut String, k: &str, v: &Value, ty: Ty| {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&crate::go::json::marshal(&k));
                out.push(':');
                write_go_json(out, v, ty);
            };
            for (name, field) in table {
                if let Some(v) = map.get(*name) {
                    entry(out, name, v, field_type(*field));
                }
            }
            for (k, v) in map {
                if !table.iter().any(|(n, _)| n == k) {
                    entry(out, k, v, Ty::Unknown);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(out, item, ty);
            }
            out.push(']');
        }
        other => out.push_str(&crate::go::json::marshal(other)),
    }
}

/// A value Go's typed decoding would refuse: where (a field path from the object's root,
/// `spec.template.spec.containers[0].image`) and what was found there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TypeError {
    pub path: String,
    pub message: String,
}

/// Checks `value`, read as a `ty`, the way decoding it into `k8s.io/api`'s Go structs would:
/// structs are objects, slices arrays (of objects where the element is a struct), strings
/// strings, integers integral numbers, booleans booleans, `map[string]string` maps of
/// strings. `null` is Go's zero value and always accepted; fields the schema does not know
/// are not checked (the round trip keeps them as they are). The first error is returned.
pub(crate) fn check(value: &Value, ty: Ty, path: &str) -> Result<(), TypeError> {
    let Value::Object(map) = value else {
        return if value.is_null() {
            Ok(())
        } else {
            Err(mismatch(path, "an object", value))
        };
    };
    let fields = &view(ty).sorted;
    for (key, v) in map {
        let Ok(i) = fields.binary_search_by(|(n, _)| (*n).cmp(key.as_str())) else {
            continue;
        };
        let Some((_, field)) = fields.get(i) else {
            continue;
        };
        let here = join(path, key);
        check_field(v, *field, &here)?;
    }
    Ok(())
}

fn check_field(v: &Value, field: F, path: &str) -> Result<(), TypeError> {
    if v.is_null() {
        return Ok(());
    }
    match field {
        F::Obj(ty) | F::Ptr(ty) => check(v, ty, path),
        F::List(ty) | F::ReqList(ty) => {
            let Value::Array(items) = v else {
                return Err(mismatch(path, "a list", v));
            };
            for (n, item) in items.iter().enumerate() {
                let here = format!("{path}[{n}]");
                if !item.is_object() {
                    return Err(mismatch(&here, "an object", item));
                }
                check(item, ty, &here)?;
            }
            Ok(())
        }
        F::Req(s) | F::Omit(s) | F::Keep(s) => scalar(v, s, path),
    }
}

fn scalar(v: &Value, s: S, path: &str) -> Result<(), TypeError> {
    let ok = match (s, v) {
        (_, Value::Null) => true,
        (S::Str, Value::String(_)) | (S::Bool, Value::Bool(_)) => true,
        (S::Int64, Value::Number(n)) => is_integral(n),
        (S::Int32, Value::Number(n)) => {
            is_integral(n)
                && n.as_f64()
                    .is_some_and(|f| (-2_147_483_648.0..=2_147_483_647.0).contains(&f))
        }
        (S::IntOrStr, Value::String(_)) => true,
        (S::IntOrStr, Value::Number(n)) => {
            is_integral(n)
                && n.as_f64()
                    .is_some_and(|f| (-2_147_483_648.0..=2_147_483_647.0).contains(&f))
        }
        (S::Quantity, Value::String(_) | Value::Number(_)) => true,
        (S::AnyObj, Value::Object(_)) => true,
        (S::AnyList, Value::Array(items)) => {
            for (n, item) in items.iter().enumerate() {
                if !item.is_object() {
                    return Err(mismatch(&format!("{path}[{n}]"), "an object", item));
                }
            }
            true
        }
        (S::StrMap, Value::Object(m)) => {
            for (k, item) in m {
                if !item.is_string() && !item.is_null() {
                    let text = item.to_string();
                    return Err(TypeError {
                        path: join(path, k),
                        message: format!(
                            "values must be strings, got {text} (quote it: {})",
                            Value::from(text.as_str())
                        ),
                    });
                }
            }
            true
        }
        (S::QuantityMap, Value::Object(m)) => {
            for (k, item) in m {
                scalar(item, S::Quantity, &join(path, k))?;
            }
            true
        }
        (S::StrList, Value::Array(items)) => {
            for (n, item) in items.iter().enumerate() {
                if !item.is_string() {
                    return Err(mismatch(&format!("{path}[{n}]"), "a string", item));
                }
            }
            true
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let wanted = match s {
        S::Str => "a string",
        S::Int64 => "an integer",
        S::Int32 => "an integer from -2147483648 to 2147483647",
        S::Bool => "a boolean (true or false)",
        S::IntOrStr => "an integer or a string",
        S::StrMap => "a map of strings",
        S::StrList => "a list of strings",
        S::Quantity => "a quantity (a string such as \"100m\" or a number)",
        S::QuantityMap => "a map of quantities",
        S::AnyObj => "an object",
        S::AnyList => "a list",
    };
    Err(mismatch(path, wanted, v))
}

fn is_integral(n: &serde_json::Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.is_finite())
}

/// `path.key` (kubectl's field paths: a key with dots stays as it is).
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The error for a value of the wrong JSON type, quoting what was found.
fn mismatch(path: &str, wanted: &str, found: &Value) -> TypeError {
    let shown = |v: &Value| {
        let t = v.to_string();
        if t.chars().count() > 40 {
            format!("{}…", t.chars().take(40).collect::<String>())
        } else {
            t
        }
    };
    let what = match found {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", shown(&Value::from(s.as_str()))),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a map".to_string(),
    };
    let mut message = format!("must be {wanted}, got {what}");
    if wanted == "a string" && matches!(found, Value::Bool(_) | Value::Number(_)) {
        let text = found.to_string();
        message.push_str(&format!(" (quote it: {})", Value::from(text.as_str())));
    }
    TypeError {
        path: if path.is_empty() {
            "(document)".into()
        } else {
            path.to_string()
        },
        message,
    }
}

fn field_type(f: F) -> Ty {
    match f {
        F::Obj(t) | F::Ptr(t) | F::List(t) | F::ReqList(t) => t,
        _ => Ty::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_creation_timestamps_in_every_object_meta() {
        let mut cron = json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "c", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"jobTemplate": {"spec": {"template": {"metadata": {}, "spec": {
                "containers": [{"name": "app"}]}}}}}
        });
        normalize(&mut cron, Ty::CronJob);
        null_creation_timestamps(&mut cron, Ty::CronJob);
        // A set timestamp stays; every unset one is null, the job template's included.
        assert_eq!(
            cron["metadata"]["creationTimestamp"],
            "2024-01-01T00:00:00Z"
        );
        assert_eq!(
            cron["spec"]["jobTemplate"]["metadata"],
            json!({"creationTimestamp": null})
        );
        assert_eq!(
            cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"],
            json!({"creationTimestamp": null})
        );
        // Containers hold no ObjectMeta: nothing is added there.
        assert_eq!(
            cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0],
            json!({"name": "app", "resources": {}})
        );
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": []}});
        null_creation_timestamps(&mut pod, Ty::Pod);
        assert_eq!(
            pod["metadata"],
            json!({"name": "p", "creationTimestamp": null})
        );
        assert!(!holds_object_meta(Ty::PodSpec));
    }

    #[test]
    fn go_round_trip_table() {
        let cases = [
            (
                "deployment gets zero structs",
                Ty::Deployment,
                json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}),
                json!({"kind": "Deployment", "metadata": {}, "status": {}, "spec": {"strategy": {}, "template": {"metadata": {}, "spec": {"containers": [{"name": "a", "resources": {}}]}}}}),
            ),
            (
                "omitempty zeros go, pointer zeros stay",
                Ty::Container,
                json!({"name": "a", "env": [{"name": "X", "value": ""}], "securityContext": {"privileged": false, "runAsUser": 0}, "stdin": false}),
                json!({"name": "a", "env": [{"name": "X"}], "resources": {}, "securityContext": {"privileged": false, "runAsUser": 0}}),
            ),
            (
                "null volume source is dropped, empty one kept",
                Ty::Volume,
                json!({"name": "v", "emptyDir": null, "configMap": {}}),
                json!({"name": "v", "configMap": {}}),
            ),
            (
                "non-omitempty status counters appear",
                Ty::DaemonSetStatus,
                json!({}),
                json!({"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}),
            ),
            (
                "unknown fields are kept, their nulls dropped",
                Ty::PodSpec,
                json!({"containers": [], "futureField": 3, "other": null, "hostNetwork": false}),
                json!({"containers": [], "futureField": 3}),
            ),
            (
                "missing containers is null, as Go emits it",
                Ty::PodSpec,
                json!({}),
                json!({"containers": null}),
            ),
            (
                "deploymentconfig defaults",
                Ty::DeploymentConfigSpec,
                json!({"paused": false, "minReadySeconds": 0, "strategy": {"type": "Rolling"}}),
                json!({"strategy": {"type": "Rolling", "resources": {}}, "triggers": null, "replicas": 0, "test": false}),
            ),
        ];
        for (name, ty, mut input, want) in cases {
            normalize(&mut input, ty);
            assert_eq!(input, want, "{name}");
        }
    }

    #[test]
    fn go_json_follows_declaration_order() {
        let mut c = json!({"readinessProbe": {"httpGet": {"port": 80}}, "name": "hello", "zz": 1, "image": "x<y"});
        normalize(&mut c, Ty::Container);
        assert_eq!(
            to_go_json(&c, Ty::Container),
            r#"{"name":"hello","image":"x\u003cy","resources":{},"readinessProbe":{"httpGet":{"port":80}},"zz":1}"#
        );
    }

    #[test]
    fn non_objects_are_left_alone() {
        let mut v = json!([1, 2]);
        normalize(&mut v, Ty::Pod);
        assert_eq!(v, json!([1, 2]));
    }
}
