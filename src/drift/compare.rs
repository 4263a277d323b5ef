//! The comparison of two pods over what the injector owns.
//!
//! Scope, on each side (the union of both):
//! - containers and init containers that a status record (`sidecar.istio.io/status`) lists,
//!   or that only one side has: field by field (image, env by name, ports, volume mounts by
//!   path, resources by quantity, probes, securityContext, args, and any other field whole);
//! - the other containers (the app's), present on both sides: only their probes and
//!   lifecycle hooks, which the injector rewrites to point at the agent;
//! - volumes and image pull secrets that a status record lists or only one side has;
//! - the annotations and labels the injector writes ([`OWNED_ANNOTATIONS`],
//!   [`OWNED_LABELS`]); of the status record itself, only its revision is compared, since
//!   its lists name what the rest of the comparison reads.
//!
//! Never compared: the per-pod `kube-api-access-*` volume and its mounts (the
//! ServiceAccount admission plugin adds them, with a random suffix, to some pods and not
//! others), and everything else of the pod (its own spec and metadata are the user's).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{Change, Difference};
use crate::inject::pod::{self, List};
use crate::inject::status::{self, InjectionStatus};
use crate::model::istio::{
    CANONICAL_NAME_LABEL, CANONICAL_REVISION_LABEL, DEFAULT_CONTAINER_ANNOTATION,
    DEFAULT_LOGS_CONTAINER_ANNOTATION, INTERCEPTION_MODE_ANNOTATION, NETWORK_LABEL,
    OVERRIDES_ANNOTATION, REV_LABEL, STATUS_ANNOTATION, TLS_MODE_LABEL, TUNNEL_LABEL,
};

/// Annotations the injector writes: exact keys, and prefixes ending in `/`.
pub const OWNED_ANNOTATIONS: &[&str] = &[
    STATUS_ANNOTATION,
    REV_LABEL,
    DEFAULT_CONTAINER_ANNOTATION,
    DEFAULT_LOGS_CONTAINER_ANNOTATION,
    "prometheus.io/",
    "prometheus.istio.io/",
    INTERCEPTION_MODE_ANNOTATION,
    "traffic.sidecar.istio.io/",
    OVERRIDES_ANNOTATION,
];

/// Labels the injector writes.
pub const OWNED_LABELS: &[&str] = &[
    TLS_MODE_LABEL,
    CANONICAL_NAME_LABEL,
    CANONICAL_REVISION_LABEL,
    NETWORK_LABEL,
    TUNNEL_LABEL,
];

/// The projected service-account token volume the API server adds per pod.
pub fn is_api_access_volume(name: &str) -> bool {
    name.starts_with("kube-api-access-")
}

fn owned(key: &str, table: &[&str]) -> bool {
    table
        .iter()
        .any(|k| key == *k || (k.ends_with('/') && key.starts_with(k)))
}

struct Out(Vec<Difference>);

impl Out {
    fn push(
        &mut self,
        kind: Change,
        path: String,
        words: String,
        actual: Option<&Value>,
        predicted: Option<&Value>,
    ) {
        self.0.push(Difference {
            kind,
            path,
            words,
            actual: actual.cloned(),
            predicted: predicted.cloned(),
        });
    }

    /// One keyed item on both sides or one: added / removed / changed (whole).
    fn item(
        &mut self,
        path: String,
        what: String,
        actual: Option<&Value>,
        predicted: Option<&Value>,
    ) {
        match (actual, predicted) {
            (None, Some(p)) => {
                self.push(Change::Added, path, format!("{what} added"), None, Some(p))
            }
            (Some(a), None) => self.push(
                Change::Removed,
                path,
                format!("{what} removed"),
                Some(a),
                None,
            ),
            (Some(a), Some(p)) if a != p => {
                let words = match (scalar(a), scalar(p)) {
                    (Some(x), Some(y)) => format!("{what} changed: {x} → {y}"),
                    _ => format!("{what} changed"),
                };
                self.push(Change::Changed, path, words, Some(a), Some(p));
            }
            _ => {}
        }
    }
}

/// A short form of a scalar for the words (strings as they are; no JSON quoting of a
/// long value).
fn scalar(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (s.len() <= 80 && !s.contains('\n')).then_some(s)
}

fn records(
    actual: &Value,
    predicted: &Value,
) -> (Option<InjectionStatus>, Option<InjectionStatus>) {
    (status::previous(actual), status::previous(predicted))
}

/// Compares a pod as it is (`actual`) with a pod as predicted; each difference says what
/// going from the first to the second would change.
pub fn compare(actual: &Value, predicted: &Value) -> Vec<Difference> {
    let mut out = Out(Vec::new());
    let (ra, rp) = records(actual, predicted);
    let recorded = |f: fn(&InjectionStatus) -> &Vec<String>| -> BTreeSet<String> {
        [&ra, &rp]
            .into_iter()
            .flatten()
            .flat_map(|r| f(r).iter().cloned())
            .collect()
    };
    for (list, names, label) in [
        (
            List::InitContainers,
            recorded(|r| &r.init_containers),
            "init container",
        ),
        (List::Containers, recorded(|r| &r.containers), "container"),
    ] {
        containers(&mut out, actual, predicted, list, &names, label);
    }
    named_list(
        &mut out,
        actual,
        predicted,
        "volumes",
        &recorded(|r| &r.volumes),
        "volume",
    );
    named_list(
        &mut out,
        actual,
        predicted,
        "imagePullSecrets",
        &recorded(|r| &r.image_pull_secrets),
        "image pull secret",
    );
    meta(
        &mut out,
        actual,
        predicted,
        "annotations",
        OWNED_ANNOTATIONS,
        "annotation",
    );
    meta(&mut out, actual, predicted, "labels", OWNED_LABELS, "label");
    if let (Some(a), Some(p)) = (&ra, &rp)
        && a.revision != p.revision
    {
        out.push(
            Change::Changed,
            format!("metadata.annotations[{}].revision", STATUS_ANNOTATION),
            format!("injected by revision {} → {}", a.revision, p.revision),
            Some(&Value::String(a.revision.clone())),
            Some(&Value::String(p.revision.clone())),
        );
    }
    out.0
}

/// The names in a list, in order, both sides (actual's first).
fn union_names<'a>(a: &'a [Value], p: &'a [Value]) -> Vec<&'a str> {
    let mut seen = BTreeSet::new();
    a.iter()
        .chain(p)
        .map(pod::name_of)
        .filter(|n| seen.insert(*n))
        .collect()
}

fn list<'a>(pod: &'a Value, key: &str) -> &'a [Value] {
    pod.get("spec")
        .and_then(|s| s.get(key))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn by_name<'a>(items: &'a [Value], name: &str) -> Option<&'a Value> {
    items.iter().find(|i| pod::name_of(i) == name)
}

fn containers(
    out: &mut Out,
    actual: &Value,
    predicted: &Value,
    which: List,
    recorded: &BTreeSet<String>,
    label: &str,
) {
    let (a, p) = (list(actual, which.key()), list(predicted, which.key()));
    for name in union_names(a, p) {
        let path = format!("spec.{}[{name}]", which.key());
        match (by_name(a, name), by_name(p, name)) {
            (Some(ca), Some(cp)) if recorded.contains(name) => {
                container_fields(out, &path, name, ca, cp);
            }
            (Some(ca), Some(cp)) => {
                // The app's own container: only what the injector rewrites.
                for field in [
                    "readinessProbe",
                    "livenessProbe",
                    "startupProbe",
                    "lifecycle",
                ] {
                    out.item(
                        format!("{path}.{field}"),
                        format!("{name} {field}"),
                        ca.get(field),
                        cp.get(field),
                    );
                }
            }
            (ca, cp) => out.item(path, format!("{label} {name}"), ca, cp),
        }
    }
}

fn container_fields(out: &mut Out, path: &str, name: &str, a: &Value, p: &Value) {
    let empty = Map::new();
    let (ma, mp) = (
        a.as_object().unwrap_or(&empty),
        p.as_object().unwrap_or(&empty),
    );
    let keys: BTreeSet<&String> = ma.keys().chain(mp.keys()).collect();
    for key in keys {
        let (va, vp) = (ma.get(key.as_str()), mp.get(key.as_str()));
        if va == vp {
            continue;
        }
        let at = format!("{path}.{key}");
        match key.as_str() {
            "name" => {}
            "env" => keyed(out, &at, &format!("{name} env"), va, vp, |e| {
                Some(pod::name_of(e).to_string())
            }),
            "ports" => keyed(out, &at, &format!("{name} port"), va, vp, |port| {
                let number = port.get("containerPort")?;
                let protocol = port
                    .get("protocol")
                    .and_then(Value::as_str)
                    .unwrap_or("TCP");
                Some(format!("{number}/{protocol}"))
            }),
            "volumeMounts" => keyed(
                out,
                &at,
                &format!("{name} volume mount"),
                strip_api_access(va).as_ref(),
                strip_api_access(vp).as_ref(),
                |m| {
                    let path = m.get("mountPath").and_then(Value::as_str)?;
                    Some(format!("{} at {path}", pod::name_of(m)))
                },
            ),
            "resources" => resources(out, &at, name, va, vp),
            _ => out.item(at, format!("{name} {key}"), va, vp),
        }
    }
}

/// Volume mounts without the per-pod service-account token's.
fn strip_api_access(mounts: Option<&Value>) -> Option<Value> {
    let items = mounts?.as_array()?;
    let kept: Vec<Value> = items
        .iter()
        .filter(|m| !is_api_access_volume(pod::name_of(m)))
        .cloned()
        .collect();
    (!kept.is_empty()).then_some(Value::Array(kept))
}

/// A list compared item by item under a key (env by name, ports by number/protocol).
fn keyed(
    out: &mut Out,
    path: &str,
    what: &str,
    a: Option<&Value>,
    p: Option<&Value>,
    key: impl Fn(&Value) -> Option<String>,
) {
    let items = |v: Option<&Value>| -> Vec<(String, Value)> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| (key(i).unwrap_or_else(|| i.to_string()), i.clone()))
            .collect()
    };
    let (ia, ip) = (items(a), items(p));
    let mut seen = BTreeSet::new();
    for k in ia.iter().chain(&ip).map(|(k, _)| k.clone()) {
        if !seen.insert(k.clone()) {
            continue;
        }
        let find =
            |list: &[(String, Value)]| list.iter().find(|(x, _)| *x == k).map(|(_, v)| v.clone());
        let (va, vp) = (find(&ia), find(&ip));
        // An env var's value is what readers care about; other items whole.
        let (va, vp) = match (&va, &vp) {
            (Some(x), Some(y)) if x.get("value").is_some() || y.get("value").is_some() => (
                x.get("value").cloned().or(va.clone()),
                y.get("value").cloned().or(vp.clone()),
            ),
            _ => (va, vp),
        };
        if let (Some(Value::String(x)), Some(Value::String(y))) = (&va, &vp)
            && same_json_but_defaults(x, y)
        {
            continue;
        }
        out.item(
            format!("{path}[{k}]"),
            format!("{what} {k}"),
            va.as_ref(),
            vp.as_ref(),
        );
    }
}

/// Two env values that are JSON (`ISTIO_META_POD_PORTS`, `ISTIO_KUBE_APP_PROBERS`: the
/// template prints the pod's ports and probes into them) and differ only by fields the API
/// server defaults (`protocol: TCP`, `scheme: HTTP`, `timeoutSeconds: 1`, …): one side was
/// rendered before the server defaulted the pod (`kube-inject` on a manifest), the other
/// after. Not a change of the injector's.
fn same_json_but_defaults(a: &str, b: &str) -> bool {
    let parse = |t: &str| {
        serde_json::from_str::<Value>(t)
            .ok()
            .filter(|v| v.is_object() || v.is_array())
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => equal_but_defaults(&x, &y),
        _ => false,
    }
}

fn equal_but_defaults(a: &Value, b: &Value) -> bool {
    use super::defaults::{DEFAULTS, Fill};
    let defaulted = |key: &str, v: &Value| {
        DEFAULTS.iter().any(|r| {
            r.field == key
                && match r.fill {
                    Fill::Str(s) => v.as_str() == Some(s),
                    Fill::Int(i) => v.as_i64() == Some(i),
                    Fill::Bool(x) => v.as_bool() == Some(x),
                    _ => false,
                }
        })
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().all(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => equal_but_defaults(p, q),
                (Some(v), None) | (None, Some(v)) => defaulted(k, v),
                (None, None) => true,
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal_but_defaults(p, q))
        }
        _ => a == b,
    }
}

fn resources(out: &mut Out, path: &str, name: &str, a: Option<&Value>, p: Option<&Value>) {
    for part in ["limits", "requests"] {
        let (ma, mp) = (
            a.and_then(|r| r.get(part)).and_then(Value::as_object),
            p.and_then(|r| r.get(part)).and_then(Value::as_object),
        );
        let keys: BTreeSet<&String> = ma.into_iter().chain(mp).flat_map(|m| m.keys()).collect();
        for k in keys {
            out.item(
                format!("{path}.{part}.{k}"),
                format!("{name} {part}.{k}"),
                ma.and_then(|m| m.get(k.as_str())),
                mp.and_then(|m| m.get(k.as_str())),
            );
        }
    }
    let rest = |v: Option<&Value>| -> Option<Value> {
        let mut m = v?.as_object()?.clone();
        m.remove("limits");
        m.remove("requests");
        (!m.is_empty()).then_some(Value::Object(m))
    };
    let (ra, rp) = (rest(a), rest(p));
    if ra != rp {
        out.item(
            path.to_string(),
            format!("{name} resources"),
            ra.as_ref(),
            rp.as_ref(),
        );
    }
}

fn named_list(
    out: &mut Out,
    actual: &Value,
    predicted: &Value,
    key: &str,
    recorded: &BTreeSet<String>,
    label: &str,
) {
    let (a, p) = (list(actual, key), list(predicted, key));
    for name in union_names(a, p) {
        if is_api_access_volume(name) {
            continue;
        }
        let (va, vp) = (by_name(a, name), by_name(p, name));
        let one_side = va.is_some() != vp.is_some();
        if recorded.contains(name) || one_side {
            out.item(
                format!("spec.{key}[{name}]"),
                format!("{label} {name}"),
                va,
                vp,
            );
        }
    }
}

fn meta(out: &mut Out, actual: &Value, predicted: &Value, map: &str, table: &[&str], label: &str) {
    let get = |v: &Value| {
        v.get("metadata")
            .and_then(|m| m.get(map))
            .and_then(Value::as_object)
            .cloned()
    };
    let (ma, mp) = (
        get(actual).unwrap_or_default(),
        get(predicted).unwrap_or_default(),
    );
    let keys: BTreeSet<&String> = ma.keys().chain(mp.keys()).collect();
    for k in keys {
        // The record's lists are what this comparison reads and its revision is compared
        // apart: only a record on one side alone is a difference of its own.
        let one_side = ma.contains_key(k.as_str()) != mp.contains_key(k.as_str());
        if (k == STATUS_ANNOTATION && !one_side) || !owned(k, table) {
            continue;
        }
        out.item(
            format!("metadata.{map}[{k}]"),
            format!("{label} {k}"),
            ma.get(k.as_str()),
            mp.get(k.as_str()),
        );
    }
}
