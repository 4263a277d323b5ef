//! Annotation validation before templating (Istio's `validate.go`): a bad
//! `traffic.sidecar.istio.io/includeOutboundIPRanges` is a hard error, not a silently broken
//! sidecar. Messages follow Istio's: `invalid value '<v>' for annotation '<k>': <reason>`.

use serde_json::Value;

pub use super::gotypes::TypeError;
use super::gotypes::{self, Ty};
use crate::manifest::{Document, WorkloadKind};
use crate::model::istio::{
    INTERCEPTION_MODE_ANNOTATION, PROXY_CPU_ANNOTATION, PROXY_CPU_LIMIT_ANNOTATION,
    STATUS_PORT_ANNOTATION,
};

/// An input object that Kubernetes' typed decoding would refuse, named by document and
/// object: nothing is rendered or written for a run that has one.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{at}{}: {error}", object.as_ref().map(|o| format!(" ({o})")).unwrap_or_default())]
pub struct InputError {
    pub at: crate::manifest::DocRef,
    /// `Deployment default/web`, when the document says.
    pub object: Option<String>,
    pub error: TypeError,
}

/// Types one document the way `kubectl apply` and `istioctl kube-inject` decode it (see
/// [`object`]); a document of comments only (`null`) is accepted.
pub fn document(doc: &Document) -> Result<(), InputError> {
    if doc.value.is_null() {
        return Ok(());
    }
    object(&doc.value, "").map_err(|error| InputError {
        at: doc.at.clone(),
        object: describe(&doc.value),
        error,
    })
}

/// What `inject` needs beyond [`document`]: each pod (a workload's pod template, each
/// item of a List) has a container, as the API server requires — a pod without one would
/// come out holding only the sidecar. Init containers count (with native sidecars Istio's
/// own output has `containers: []`). `check` and `explain` decide on metadata alone and
/// do not ask for this.
pub fn injectable(doc: &Document) -> Result<(), InputError> {
    /// `(JSON pointer of a pod spec, its field path)` for each pod of `v`.
    fn pods(v: &Value, pointer: &str, path: &str, out: &mut Vec<(String, String)>) {
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
        if let Some(Value::Array(items)) = v.get("items")
            && kind.ends_with("List")
        {
            for (n, item) in items.iter().enumerate() {
                pods(
                    item,
                    &format!("{pointer}/items/{n}"),
                    &format!("{path}items[{n}]."),
                    out,
                );
            }
            return;
        }
        if let Some(k) = WorkloadKind::from_kind(kind) {
            let t = k.pod_template_pointer();
            if v.pointer(t).is_some_and(|t| !t.is_null()) {
                let spec = t.trim_start_matches('/').replace('/', ".");
                let spec = if spec.is_empty() {
                    "spec".to_string()
                } else {
                    format!("{spec}.spec")
                };
                out.push((format!("{pointer}{t}/spec"), format!("{path}{spec}")));
            }
        }
    }
    let mut found = Vec::new();
    pods(&doc.value, "", "", &mut found);
    for (pointer, path) in found {
        let spec = doc.value.pointer(&pointer);
        let has = |key: &str| {
            spec.and_then(|s| s.get(key))
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        if !has("containers") && !has("initContainers") {
            return Err(InputError {
                at: doc.at.clone(),
                object: describe(&doc.value),
                error: TypeError {
                    path: format!("{path}.containers"),
                    message: "is required: a pod needs at least one container".into(),
                },
            });
        }
    }
    Ok(())
}

/// `Kind namespace/name` of an object, for messages.
fn describe(v: &Value) -> Option<String> {
    let kind = v.get("kind")?.as_str()?;
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    let (ns, name) = (s("/metadata/namespace"), s("/metadata/name"));
    Some(match (ns.is_empty(), name.is_empty()) {
        (_, true) => kind.to_string(),
        (true, false) => format!("{kind} {name}"),
        (false, false) => format!("{kind} {ns}/{name}"),
    })
}

/// One object (a document, or an item of a List at `path`): a mapping with string
/// `apiVersion` and `kind`, metadata typed as `ObjectMeta`, a workload typed as its Go
/// struct (containers, volumes, init containers as lists of objects, strings as strings,
/// …), a `List`'s items each an object checked the same way.
pub fn object(value: &Value, path: &str) -> Result<(), TypeError> {
    let at = |field: &str| {
        if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        }
    };
    let Value::Object(map) = value else {
        return Err(TypeError {
            path: if path.is_empty() {
                "(document)".into()
            } else {
                path.into()
            },
            message: format!(
                "must be an object with apiVersion and kind, got {}",
                type_name(value)
            ),
        });
    };
    // kubectl also requires apiVersion; kube-inject passes a document without one through
    // untouched, so only its type is checked.
    for field in ["apiVersion", "kind"] {
        match map.get(field) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(v) if !v.is_null() && !v.is_string() => {
                return Err(TypeError {
                    path: at(field),
                    message: format!("must be a string, got {}", type_name(v)),
                });
            }
            _ if field == "apiVersion" => {}
            _ => {
                return Err(TypeError {
                    path: at(field),
                    message: "is missing: every Kubernetes object names its kind".into(),
                });
            }
        }
    }
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
    let api = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if let Some(meta) = map.get("metadata") {
        gotypes::check(meta, Ty::ObjectMeta, &at("metadata"))?;
    }
    if kind.ends_with("List") && map.contains_key("items") {
        gotypes::check(value, Ty::List, path)?;
        if let Some(Value::Array(items)) = map.get("items") {
            for (n, item) in items.iter().enumerate() {
                object(item, &at(&format!("items[{n}]")))?;
            }
        }
        return Ok(());
    }
    let workload = WorkloadKind::from_kind(kind).or((kind == "DeploymentConfig"
        && (api == "v1" || api.starts_with("apps.openshift.io/")))
    .then_some(WorkloadKind::DeploymentConfig));
    if let Some(k) = workload {
        gotypes::check(value, gotypes::workload_type(k), path)?;
    }
    Ok(())
}

fn type_name(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a map".into(),
    }
}

use std::net::IpAddr;

use crate::config::MeshError;
use crate::go::strconv::parse_bool;
use crate::model::quantity::QuantityError;

/// One annotation that failed its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value '{value}' for annotation '{key}': {reason}")]
pub struct AnnotationError {
    pub key: String,
    pub value: String,
    pub reason: Reason,
}

/// Why an annotation's value is refused, in the words of Istio's `validate.go` and of the Go
/// functions it calls (`strconv`, `netip`), so the message reads as istiod's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("interceptionMode invalid, use REDIRECT,TPROXY,NONE: {0}")]
    InterceptionMode(String),
    /// A port of a port list; `label` is the name Istio's message gives the list (its
    /// status-port check says `excludeInboundPorts`, as Istio's does).
    #[error("{label} invalid: failed parsing port {port:?}")]
    Port { label: &'static str, port: String },
    /// A CIDR of an IP range list; `label` as for [`Reason::Port`].
    #[error("{label} invalid: failed parsing cidr '{cidr}': {error}")]
    Cidr {
        label: &'static str,
        cidr: String,
        error: PrefixError,
    },
    #[error("strconv.ParseUint: parsing {0:?}: invalid syntax")]
    ParseUint(String),
    #[error("strconv.ParseBool: parsing {0:?}: invalid syntax")]
    ParseBool(String),
    #[error("invalid interface name {0:?}")]
    Interface(String),
    #[error("contains control characters")]
    ControlCharacters,
    #[error(transparent)]
    Quantity(QuantityError),
    /// A `proxy.istio.io/config` that does not apply over the mesh's `defaultConfig`
    /// (checked by the engine, which has the mesh).
    #[error("invalid proxy config: {0}")]
    ProxyConfig(MeshError),
}

/// Go's `netip.ParsePrefix` errors, with the text Go gives them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    #[error("netip.ParsePrefix({0:?}): no '/'")]
    NoSlash(String),
    #[error("netip.ParsePrefix({prefix:?}): ParseAddr({addr:?}): unable to parse IP")]
    Addr { prefix: String, addr: String },
    #[error("netip.ParsePrefix({prefix:?}): bad bits after slash: {bits:?}")]
    Bits { prefix: String, bits: String },
}

/// An extra check supplied by the caller for rules that need other modules (the
/// `proxy.istio.io/config` ProxyConfig, resource quantities).
pub type ExtraCheck<'a> = &'a dyn Fn(&str, &str) -> Option<Result<(), Reason>>;

/// Validates every annotation Istio validates; errors come sorted by annotation name.
pub fn validate_annotations<'a>(
    annotations: impl IntoIterator<Item = (&'a str, &'a str)>,
    extra: ExtraCheck<'_>,
) -> Result<(), Vec<AnnotationError>> {
    let mut errors: Vec<AnnotationError> = annotations
        .into_iter()
        .filter_map(|(k, v)| {
            let outcome = extra(k, v).or_else(|| rule(k, v))?;
            outcome.err().map(|reason| AnnotationError {
                key: k.to_string(),
                value: v.to_string(),
                reason,
            })
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by(|a, b| a.key.cmp(&b.key));
    Err(errors)
}

/// The rule for one annotation; `None` when Istio does not validate it.
fn rule(key: &str, value: &str) -> Option<Result<(), Reason>> {
    let r = match key {
        INTERCEPTION_MODE_ANNOTATION => match value {
            "REDIRECT" | "TPROXY" | "NONE" => Ok(()),
            _ => Err(Reason::InterceptionMode(value.to_string())),
        },
        STATUS_PORT_ANNOTATION => parse_port(value, "excludeInboundPorts"),
        "readiness.status.sidecar.istio.io/initialDelaySeconds"
        | "readiness.status.sidecar.istio.io/periodSeconds"
        | "readiness.status.sidecar.istio.io/failureThreshold" => value
            .parse::<u32>()
            .map(|_| ())
            .map_err(|_| Reason::ParseUint(value.to_string())),
        "traffic.sidecar.istio.io/includeOutboundIPRanges" => {
            if value == "*" {
                Ok(())
            } else {
                cidr_list(value, "includeIPRanges")
            }
        }
        "traffic.sidecar.istio.io/excludeOutboundIPRanges" => cidr_list(value, "excludeIPRanges"),
        "traffic.sidecar.istio.io/includeInboundPorts" => {
            if value == "*" {
                Ok(())
            } else {
                port_list(value, "includeInboundPorts")
            }
        }
        "traffic.sidecar.istio.io/excludeInboundPorts" => port_list(value, "excludeInboundPorts"),
        "traffic.sidecar.istio.io/excludeOutboundPorts" => port_list(value, "excludeOutboundPorts"),
        "traffic.sidecar.istio.io/excludeInterfaces"
        | "traffic.sidecar.istio.io/kubevirtInterfaces"
        | "istio.io/reroute-virtual-interfaces" => interfaces(value),
        PROXY_CPU_ANNOTATION
        | "sidecar.istio.io/proxyMemory"
        | PROXY_CPU_LIMIT_ANNOTATION
        | "sidecar.istio.io/proxyMemoryLimit" => {
            if value.chars().any(char::is_control) {
                Err(Reason::ControlCharacters)
            } else {
                crate::model::quantity::Quantity::parse(value)
                    .map(|_| ())
                    .map_err(Reason::Quantity)
            }
        }
        "prometheus.istio.io/merge-metrics" => parse_bool(value)
            .map(|_| ())
            .ok_or_else(|| Reason::ParseBool(value.to_string())),
        _ => return None,
    };
    Some(r)
}

/// One port, blanks around it allowed (Istio's `parsePort`).
fn parse_port(s: &str, label: &'static str) -> Result<(), Reason> {
    s.trim()
        .parse::<u16>()
        .map(|_| ())
        .map_err(|_| Reason::Port {
            label,
            port: s.to_string(),
        })
}

/// A comma list of ports; an empty list is allowed.
fn port_list(s: &str, label: &'static str) -> Result<(), Reason> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(());
    }
    s.split(',').try_for_each(|p| parse_port(p, label))
}

fn cidr_list(s: &str, label: &'static str) -> Result<(), Reason> {
    if s.is_empty() {
        return Ok(());
    }
    for cidr in s.split(',') {
        parse_prefix(cidr).map_err(|error| Reason::Cidr {
            label,
            cidr: cidr.to_string(),
            error,
        })?;
    }
    Ok(())
}

/// Go's `netip.ParsePrefix`: `addr/bits`, no spaces, bits within the address family.
fn parse_prefix(s: &str) -> Result<(), PrefixError> {
    let (addr, bits) = s
        .split_once('/')
        .ok_or_else(|| PrefixError::NoSlash(s.to_string()))?;
    let ip: IpAddr = addr.parse().map_err(|_| PrefixError::Addr {
        prefix: s.to_string(),
        addr: addr.to_string(),
    })?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let ok = !bits.is_empty()
        && bits.bytes().all(|b| b.is_ascii_digit())
        && !(bits.len() > 1 && bits.starts_with('0'))
        && bits.parse::<u32>().is_ok_and(|b| b <= max);
    if ok {
        Ok(())
    } else {
        Err(PrefixError::Bits {
            prefix: s.to_string(),
            bits: bits.to_string(),
        })
    }
}

/// Interface names as Linux accepts them: 1–15 bytes, no `/`, no whitespace.
fn interfaces(s: &str) -> Result<(), Reason> {
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if name.len() > 15 || name.contains('/') || name.chars().any(char::is_whitespace) {
            return Err(Reason::Interface(name.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(k: &str, v: &str) -> Result<(), Vec<AnnotationError>> {
        validate_annotations([(k, v)], &|_, _| None)
    }

    #[test]
    fn rules_table() {
        let ok = [
            ("sidecar.istio.io/interceptionMode", "TPROXY"),
            ("status.sidecar.istio.io/port", "0"),
            ("readiness.status.sidecar.istio.io/periodSeconds", "10"),
            ("traffic.sidecar.istio.io/includeOutboundIPRanges", "*"),
            (
                "traffic.sidecar.istio.io/includeOutboundIPRanges",
                "127.0.0.1/24,10.96.0.1/24",
            ),
            ("traffic.sidecar.istio.io/includeOutboundIPRanges", ""),
            (
                "traffic.sidecar.istio.io/excludeOutboundIPRanges",
                "fd00::/8",
            ),
            ("traffic.sidecar.istio.io/includeInboundPorts", "*"),
            ("traffic.sidecar.istio.io/excludeInboundPorts", " 4, 5 ,6"),
            ("traffic.sidecar.istio.io/excludeOutboundPorts", ""),
            ("traffic.sidecar.istio.io/kubevirtInterfaces", "net1,net2"),
            ("prometheus.istio.io/merge-metrics", "F"),
            ("sidecar.istio.io/proxyCPU", "100m"),
            ("some.other/annotation", "anything"),
        ];
        for (k, v) in ok {
            assert_eq!(check(k, v), Ok(()), "{k}={v}");
        }
        let bad = [
            (
                "sidecar.istio.io/interceptionMode",
                "REDIRECTX",
                "interceptionMode invalid",
            ),
            (
                "status.sidecar.istio.io/port",
                "70000",
                "excludeInboundPorts invalid",
            ),
            (
                "readiness.status.sidecar.istio.io/failureThreshold",
                "-1",
                "ParseUint",
            ),
            (
                "traffic.sidecar.istio.io/includeOutboundIPRanges",
                "1.1.1.1",
                "includeIPRanges invalid: failed parsing cidr '1.1.1.1'",
            ),
            (
                "traffic.sidecar.istio.io/includeOutboundIPRanges",
                "1.1.1.1/33",
                "includeIPRanges invalid",
            ),
            (
                "traffic.sidecar.istio.io/excludeOutboundIPRanges",
                "*",
                "excludeIPRanges invalid",
            ),
            (
                "traffic.sidecar.istio.io/includeInboundPorts",
                "a",
                "includeInboundPorts invalid: failed parsing port \"a\"",
            ),
            (
                "traffic.sidecar.istio.io/excludeInboundPorts",
                "*",
                "excludeInboundPorts invalid",
            ),
            (
                "traffic.sidecar.istio.io/excludeOutboundPorts",
                "1,,2",
                "excludeOutboundPorts invalid",
            ),
            (
                "traffic.sidecar.istio.io/excludeInterfaces",
                "a-very-long-interface-name",
                "interface",
            ),
            ("prometheus.istio.io/merge-metrics", "yes", "ParseBool"),
            ("sidecar.istio.io/proxyMemory", "lots", ""),
        ];
        for (k, v, want) in bad {
            let e = check(k, v).expect_err(k)[0].to_string();
            assert!(e.contains(want), "{k}={v}: {e}");
            assert!(
                e.starts_with(&format!("invalid value '{v}' for annotation '{k}': ")),
                "{e}"
            );
        }
    }

    #[test]
    fn extra_checks_override_and_errors_are_sorted() {
        let extra = |k: &str, _: &str| {
            (k == "proxy.istio.io/config").then_some(Err(Reason::ControlCharacters))
        };
        let errs = validate_annotations(
            [
                ("traffic.sidecar.istio.io/excludeInboundPorts", "x"),
                ("proxy.istio.io/config", "{"),
            ],
            &extra,
        )
        .unwrap_err();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].key, "proxy.istio.io/config");
    }
}
