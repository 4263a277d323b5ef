//! The template data: Istio's `SidecarTemplateData` as a `gotmpl::Value`, with the Go
//! semantics templates rely on.
//!
//! - Kubernetes objects use **Go field names** (`.Spec.Containers`, `$c.Ports`,
//!   `.ContainerPort`, `HTTPGet`, `DNSConfig`, `FSGroup`, `SELinuxOptions`); map-typed
//!   fields (labels, annotations, nodeSelector, resource limits …) keep their keys.
//! - Absent fields have Go's zero values for the structs templates read (PodSpec,
//!   Container, ContainerPort, ObjectMeta): `""`, `0`, `false`, an empty map or list; an
//!   absent pointer is a nil, and a field access through it fails as in Go.
//! - Protobuf messages (`.ProxyConfig`, `.MeshConfig`) have `GetX` getters beside their
//!   fields, durations are `{Seconds, Nanos}`, wrappers `{Value}`, enums their names (with
//!   `.String`, via the method hook), and getters on a nil message give nil.
//! - `.Values` numbers are float64 (Go prints `1e+06`).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use gotmpl::{MethodHook, Value};

use super::go::{self, Numbers};
use crate::config::release::{Change, Release};
use crate::config::{MeshConfig, ProxyConfig};
use crate::go::json as go_json;
use crate::model::istio::{
    PROXY_CPU_ANNOTATION, PROXY_CPU_LIMIT_ANNOTATION, PROXY_IMAGE_TYPE_ANNOTATION,
};
use crate::model::quantity::Quantity;
use crate::model::types::{self, Field, Kind, Ty};

/// `metav1.TypeMeta` of the workload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeMeta {
    pub kind: String,
    pub api_version: String,
}

/// The workload's name and namespace (`types.NamespacedName`; old templates also read
/// its labels and annotations, so those may be given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentMeta {
    pub name: String,
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// Everything `SidecarTemplateData` is built from.
#[derive(Debug, Clone)]
pub struct TemplateInput<'a> {
    pub type_meta: TypeMeta,
    pub deployment_meta: DeploymentMeta,
    /// The pod (template) metadata, Kubernetes JSON, after stripping a previous injection.
    pub object_meta: &'a serde_json::Value,
    /// The PodSpec, Kubernetes JSON.
    pub spec: &'a serde_json::Value,
    /// Mesh `defaultConfig` with the pod's `proxy.istio.io/config` applied.
    pub proxy_config: &'a ProxyConfig,
    pub mesh: &'a MeshConfig,
    /// The injector's values (`config::parse_values`).
    pub values: &'a serde_json::Value,
    /// The injector revision; `""` for the default one.
    pub revision: String,
    pub native_sidecars: bool,
    pub proxy_uid: i64,
    pub proxy_gid: i64,
    pub compliance_policy: String,
}

fn s(v: impl Into<Arc<str>>) -> Value {
    Value::String(v.into())
}

fn map(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Map(Arc::new(
        entries
            .into_iter()
            .map(|(k, v)| (Arc::from(k), v))
            .collect(),
    ))
}

fn str_map(m: &BTreeMap<String, String>) -> Value {
    Value::Map(Arc::new(
        m.iter()
            .map(|(k, v)| (Arc::from(k.as_str()), s(v.as_str())))
            .collect(),
    ))
}

/// The parts of `SidecarTemplateData` that depend only on the configuration: `.Values`,
/// `.MeshConfig` and the mesh's default `.ProxyConfig`. Converting them is most of the
/// cost of [`build`], so an injector builds them once per configuration and renders every
/// pod with [`build_with`]; the values are `Arc`-shared, so each pod costs a pointer copy.
#[derive(Debug, Clone)]
pub struct Constants {
    values: Value,
    mesh: Value,
    default_proxy_config: ProxyConfig,
    default_proxy_config_value: Value,
    /// The Istio release whose data shape to build (the newest unless set).
    release: Release,
}

impl Constants {
    pub fn new(mesh: &MeshConfig, values: &serde_json::Value) -> Constants {
        Constants {
            values: go::from_json(values, Numbers::Float),
            mesh: mesh_config_value(mesh),
            default_proxy_config: mesh.default_config.clone(),
            default_proxy_config_value: proxy_config_value(&mesh.default_config),
            release: Release::newest(),
        }
    }

    /// The data as `release` shaped it: `.EstimatedConcurrency` exists only before
    /// `Change::NoEstimatedConcurrency` (a template reading it later fails, as in Go).
    pub fn for_release(mut self, release: Release) -> Constants {
        self.release = release;
        self
    }

    /// `.ProxyConfig`: the shared value when the pod does not override the default.
    fn proxy_config(&self, pc: &ProxyConfig) -> Value {
        if *pc == self.default_proxy_config {
            self.default_proxy_config_value.clone()
        } else {
            proxy_config_value(pc)
        }
    }
}

/// Builds `SidecarTemplateData`.
pub fn build(input: &TemplateInput) -> Value {
    build_with(input, &Constants::new(input.mesh, input.values))
}

/// Builds `SidecarTemplateData` with the configuration's parts taken from `constants`,
/// which must have been built from the same `input.mesh` and `input.values`.
pub fn build_with(input: &TemplateInput, constants: &Constants) -> Value {
    // A `map[string]string`: any value that is not a string leaves it empty, as decoding
    // it into Go's type fails.
    let annotations: BTreeMap<String, String> = input
        .object_meta
        .get("annotations")
        .and_then(serde_json::Value::as_object)
        .and_then(|a| {
            a.iter()
                .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let fields = [
        (
            "TypeMeta",
            map([
                ("Kind", s(input.type_meta.kind.as_str())),
                ("APIVersion", s(input.type_meta.api_version.as_str())),
            ]),
        ),
        (
            "DeploymentMeta",
            map([
                ("Name", s(input.deployment_meta.name.as_str())),
                ("Namespace", s(input.deployment_meta.namespace.as_str())),
                ("Labels", str_map(&input.deployment_meta.labels)),
                ("Annotations", str_map(&input.deployment_meta.annotations)),
            ]),
        ),
        ("ObjectMeta", kube(input.object_meta, Ty::ObjectMeta)),
        ("Spec", kube(input.spec, Ty::PodSpec)),
        ("ProxyConfig", constants.proxy_config(input.proxy_config)),
        ("MeshConfig", constants.mesh.clone()),
        ("Values", constants.values.clone()),
        ("Revision", s(input.revision.as_str())),
        (
            "ProxyImage",
            s(proxy_image(input.values, input.proxy_config, &annotations)),
        ),
        (
            "ProxyInitImage",
            s(proxy_init_image(input.values, &annotations)),
        ),
        ("ProxyUID", Value::Int(input.proxy_uid)),
        ("ProxyGID", Value::Int(input.proxy_gid)),
        ("NativeSidecars", Value::Bool(input.native_sidecars)),
        (
            "InboundTrafficPolicyMode",
            s(input.mesh.inbound_traffic_policy_mode()),
        ),
        ("CompliancePolicy", s(input.compliance_policy.as_str())),
    ];
    let estimated = (!constants.release.has(Change::NoEstimatedConcurrency)).then(|| {
        let n = estimated_concurrency(input.proxy_config, &annotations, input.values);
        ("EstimatedConcurrency", Value::Int(n))
    });
    map(fields.into_iter().chain(estimated))
}

/// Istio ≤ 1.17's `estimateConcurrency`: the proxy config's concurrency when above 0; when
/// set to 0, from the proxy's CPU — the limit annotation, else the request annotation, else
/// the values' limit then request — in whole cores rounded up; otherwise 2.
fn estimated_concurrency(
    pc: &ProxyConfig,
    annotations: &BTreeMap<String, String>,
    values: &serde_json::Value,
) -> i64 {
    let Some(concurrency) = pc.concurrency else {
        return 2;
    };
    if concurrency > 0 {
        return i64::from(concurrency);
    }
    // `quantityToConcurrency`: ceil(milli / 1000); an unparsable quantity is `None`.
    let cores = |q: &str| {
        Quantity::parse(q).ok().map(|q| {
            let milli = q.milli_value();
            milli.div_euclid(1000) + i64::from(milli.rem_euclid(1000) != 0)
        })
    };
    let limit = annotations.get(PROXY_CPU_LIMIT_ANNOTATION);
    let request = annotations.get(PROXY_CPU_ANNOTATION);
    let found = match limit.or(request) {
        // An annotation that does not parse ends the search, as in Go.
        Some(q) => cores(q),
        None => ["limits", "requests"].iter().find_map(|which| {
            values
                .pointer(&format!("/global/proxy/resources/{which}/cpu"))
                .and_then(serde_json::Value::as_str)
                .and_then(cores)
        }),
    };
    found.unwrap_or(2)
}

/// `SidecarTemplateData` as Istio ≤ 1.8 legacy templates see it: `ProxyConfig.Concurrency`
/// was a plain `int32` then (a wrapper since), so `gt .ProxyConfig.Concurrency 0` works.
pub fn legacy_view(data: &Value) -> Value {
    let Value::Map(top) = data else {
        return data.clone();
    };
    let Some(Value::Map(pc)) = top.get("ProxyConfig") else {
        return data.clone();
    };
    let concurrency = pc
        .get("Concurrency")
        .and_then(|c| c.field("Value"))
        .and_then(Value::as_int)
        .unwrap_or(0);
    let mut pc = (**pc).clone();
    pc.insert(Arc::from("Concurrency"), Value::Int(concurrency));
    pc.insert(Arc::from("GetConcurrency"), Value::Int(concurrency));
    let mut top = (**top).clone();
    top.insert(Arc::from("ProxyConfig"), Value::Map(Arc::new(pc)));
    Value::Map(Arc::new(top))
}

/// The Go methods our values stand for: `.String` on an enum (carried as its name), and
/// a protobuf getter (`GetX`) on a nil message, which gives nil.
pub fn method_hook() -> MethodHook {
    Arc::new(|recv: &Value, name: &str| match recv {
        Value::String(_) if name == "String" => Some(recv.clone()),
        Value::Nil if name.starts_with("Get") => Some(Value::Nil),
        _ => None,
    })
}

// ---------------------------------------------------------------------------------------
// Images (`pkg/kube/inject` `ProxyImage`, `ProxyInitImage`, `imageURL`).

fn values_str(values: &serde_json::Value, path: &[&str]) -> Option<String> {
    let mut v = values;
    for p in path {
        v = v.get(p)?;
    }
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(x) => Some(x.clone()),
        other => Some(go::sprint(&go::from_json(other, Numbers::Float))),
    }
}

fn update_image_type(tag: &str, image_type: &str) -> String {
    if image_type.is_empty() {
        return tag.to_string();
    }
    let mut tag = tag;
    for suffix in ["-distroless", "-debug"] {
        if let Some(t) = tag.strip_suffix(suffix) {
            tag = t;
            break;
        }
    }
    if image_type == "default" {
        tag.to_string()
    } else {
        format!("{tag}-{image_type}")
    }
}

fn image_url(values: &serde_json::Value, name: &str, image_type: &str) -> String {
    let hub = values_str(values, &["global", "hub"]).unwrap_or_default();
    let tag = values_str(values, &["global", "tag"]).unwrap_or_default();
    format!("{hub}/{name}:{}", update_image_type(&tag, image_type))
}

fn proxy_image(
    values: &serde_json::Value,
    pc: &ProxyConfig,
    annotations: &BTreeMap<String, String>,
) -> String {
    let mut image_type = values_str(values, &["global", "variant"]).unwrap_or_default();
    if let Some(image) = &pc.image {
        image_type = image
            .get("imageType")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_string();
    }
    if let Some(t) = annotations.get(PROXY_IMAGE_TYPE_ANNOTATION) {
        image_type = t.clone();
    }
    let name = values_str(values, &["global", "proxy", "image"])
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "proxyv2".into());
    image_url(values, &name, &image_type)
}

fn proxy_init_image(values: &serde_json::Value, annotations: &BTreeMap<String, String>) -> String {
    let mut image_type = values_str(values, &["global", "variant"]).unwrap_or_default();
    if let Some(t) = annotations.get(PROXY_IMAGE_TYPE_ANNOTATION) {
        image_type = t.clone();
    }
    let name = values_str(values, &["global", "proxy_init", "image"])
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "proxyv2".into());
    image_url(values, &name, &image_type)
}

// ---------------------------------------------------------------------------------------
// Kubernetes objects with Go field names and zero values, from `model::types`.

/// The structs templates read whose absent fields they see as Go's zero values; the
/// others (volumes, probes …) keep only their own fields.
const ZERO_FILLED: &[Ty] = &[
    Ty::ObjectMeta,
    Ty::PodSpec,
    Ty::Container,
    Ty::ContainerPort,
    Ty::ResourceRequirements,
];

/// The zero value of a struct field Go templates would see when the JSON omits it.
#[derive(Clone, Copy)]
enum Zero {
    Str,
    Int,
    Bool,
    List,
    Map,
    /// A pointer, interface or a struct we do not model: nil.
    Nil,
    Struct(Ty),
}

fn zero_of(f: &Field) -> Zero {
    match f.kind {
        _ if f.pointer => Zero::Nil,
        Kind::Str => Zero::Str,
        Kind::Int32 | Kind::Int64 => Zero::Int,
        Kind::Bool => Zero::Bool,
        Kind::StringMap | Kind::QuantityMap => Zero::Map,
        Kind::StringList | Kind::List(_) | Kind::OpaqueList => Zero::List,
        Kind::Struct(t) => Zero::Struct(t),
        Kind::Time | Kind::IntOrString | Kind::Quantity | Kind::Opaque => Zero::Nil,
    }
}

/// A Go struct's fields by Go name, as the template sees them.
type GoStruct = BTreeMap<Arc<str>, Value>;

/// The zero-filled struct with Go field names. Built once per thread: every object
/// converted for every pod starts from a copy (reference-counted values) instead of a
/// fresh build, and per thread so that the copies' reference counts are not shared
/// between the threads rendering pods side by side.
fn zeros(ty: Ty) -> GoStruct {
    thread_local! {
        static ZEROS: RefCell<Vec<(Ty, GoStruct)>> = const { RefCell::new(Vec::new()) };
    }
    let cached = ZEROS.with(|z| {
        z.borrow()
            .iter()
            .find(|(k, _)| *k == ty)
            .map(|(_, m)| m.clone())
    });
    cached.unwrap_or_else(|| {
        let built: GoStruct = ty
            .fields()
            .iter()
            .map(|f| (go_name(f.json), zero_value(zero_of(f))))
            .collect();
        ZEROS.with(|z| z.borrow_mut().push((ty, built.clone())));
        built
    })
}

/// Outside the table's types (a pod's `affinity`, `securityContext` …), a field by one of
/// these names is taken for a Go map: its keys are data, not field names.
const MAP_FIELDS: &[&str] = &[
    "labels",
    "annotations",
    "nodeSelector",
    "limits",
    "requests",
    "overhead",
    "volumeAttributes",
    "matchLabels",
    "options",
    "data",
    "capacity",
];

/// [`model::types::go_name`] as a shared string, from a per-thread cache: the same few
/// hundred field names come back for every pod.
fn go_name(json: &str) -> Arc<str> {
    /// Bounds the cache: field names come from input documents.
    const MAX_NAMES: usize = 4096;
    thread_local! {
        static NAMES: RefCell<HashMap<String, Arc<str>>> = RefCell::new(HashMap::new());
    }
    NAMES.with(|names| {
        if let Some(n) = names.borrow().get(json) {
            return Arc::clone(n);
        }
        let n: Arc<str> = Arc::from(types::go_name(json));
        let mut names = names.borrow_mut();
        if names.len() < MAX_NAMES {
            names.insert(json.to_string(), Arc::clone(&n));
        }
        n
    })
}

fn upper_first(x: &str) -> String {
    let mut c = x.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn lower_first(x: &str) -> String {
    let mut c = x.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A Kubernetes JSON value read as a `ty` (`Ty::Unknown`: undescribed), with Go field
/// names, zero-filled where `ty` is one of [`ZERO_FILLED`].
fn kube(v: &serde_json::Value, ty: Ty) -> Value {
    kube_with(v, ty, Ty::Unknown)
}

/// [`kube`], the elements of a list read as `elem`.
fn kube_with(v: &serde_json::Value, ty: Ty, elem: Ty) -> Value {
    match v {
        serde_json::Value::Object(o) => {
            let mut out = if ZERO_FILLED.contains(&ty) {
                zeros(ty)
            } else {
                BTreeMap::new()
            };
            for (k, x) in o {
                let field = ty.field(k);
                let is_map = field.map_or_else(|| MAP_FIELDS.contains(&k.as_str()), Field::is_map);
                let value = if is_map {
                    match x {
                        serde_json::Value::Object(m) => Value::Map(Arc::new(
                            m.iter()
                                .map(|(mk, mv)| {
                                    (
                                        Arc::from(mk.as_str()),
                                        go::from_json(mv, Numbers::IntegralInt),
                                    )
                                })
                                .collect(),
                        )),
                        other => kube(other, Ty::Unknown),
                    }
                } else {
                    match field.map(|f| f.kind) {
                        Some(Kind::Struct(t)) => kube(x, t),
                        Some(Kind::List(t)) => kube_with(x, Ty::Unknown, t),
                        _ => kube(x, Ty::Unknown),
                    }
                };
                out.insert(go_name(k), value);
            }
            Value::Map(Arc::new(out))
        }
        serde_json::Value::Array(a) => Value::List(a.iter().map(|x| kube(x, elem)).collect()),
        other => go::from_json(other, Numbers::IntegralInt),
    }
}

fn zero_value(z: Zero) -> Value {
    match z {
        Zero::Str => s(""),
        Zero::Int => Value::Int(0),
        Zero::Bool => Value::Bool(false),
        Zero::List => Value::List(Arc::from(Vec::new())),
        Zero::Map => Value::Map(Arc::new(BTreeMap::new())),
        Zero::Nil => Value::Nil,
        Zero::Struct(ty) => kube(&serde_json::Value::Object(serde_json::Map::new()), ty),
    }
}

/// Istio's `structToJSON`: `encoding/json` of the Go value. A Kubernetes struct comes out
/// in Go field order with `omitempty`; a plain map with sorted keys; nil is `{}`.
pub fn struct_to_json(v: &Value) -> String {
    match v {
        Value::Nil => "{}".into(),
        Value::Map(m) if m.contains_key("ContainerPort") => {
            let mut out = String::from("{");
            let mut first = true;
            for f in Ty::ContainerPort.fields() {
                let Some(x) = m.get(f.go_name().as_str()) else {
                    continue;
                };
                let omit =
                    f.omitempty && matches!(zero_of(f), Zero::Str | Zero::Int) && go::is_empty(x);
                if omit {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                go_json::write_string(&mut out, f.json);
                out.push(':');
                out.push_str(&go::to_json(x).unwrap_or_default());
            }
            out.push('}');
            out
        }
        other => go::to_json(other).unwrap_or_else(|_| "{}".into()),
    }
}

// ---------------------------------------------------------------------------------------
// Protobuf messages.

/// ProxyConfig fields that are `google.protobuf.Duration`.
const DURATIONS: &[&str] = &[
    "drainDuration",
    "parentShutdownDuration",
    "terminationDrainDuration",
    "connectTimeout",
    "protocolDetectionTimeout",
    "dnsRefreshRate",
    "fileFlushInterval",
    "initialDelaySeconds",
];
/// Wrapper-typed fields (`Int32Value`, `BoolValue`, …).
const WRAPPERS: &[&str] = &[
    "concurrency",
    "holdApplicationUntilProxyStarts",
    "enablePrometheusMerge",
    "enableAutoMtls",
    "insecureSkipVerify",
    "fileFlushMinSizeKb",
];
/// Message-typed ProxyConfig/MeshConfig fields that are nil when unset.
const MESSAGES: &[&str] = &[
    "tracing",
    "envoyAccessLogService",
    "envoyMetricsService",
    "image",
    "holdApplicationUntilProxyStarts",
    "concurrency",
    "drainDuration",
    "terminationDrainDuration",
    "readinessProbe",
    "proxyStatsMatcher",
    "gatewayTopology",
    "privateKeyProvider",
    "proxyHeaders",
    "enablePrometheusMerge",
    "defaultProviders",
    "connectTimeout",
];

/// Parses a protojson duration (`"45s"`, `"1.5s"`, `"-2s"`) into seconds and nanos.
fn parse_duration(x: &str) -> Option<(i64, i64)> {
    let body = x.strip_suffix('s')?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let (secs, frac) = body.split_once('.').unwrap_or((body, ""));
    let secs: i64 = secs.parse().ok()?;
    let mut nanos: i64 = 0;
    if !frac.is_empty() {
        if frac.len() > 9 || !frac.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        nanos = format!("{frac:0<9}").parse().ok()?;
    }
    Some(if neg { (-secs, -nanos) } else { (secs, nanos) })
}

fn duration_value(secs: i64, nanos: i64) -> Value {
    map([
        ("Seconds", Value::Int(secs)),
        ("Nanos", Value::Int(nanos)),
        ("GetSeconds", Value::Int(secs)),
        ("GetNanos", Value::Int(nanos)),
    ])
}

/// A protojson object as a Go protobuf struct value: `UpperCamel` fields plus `GetX`.
fn proto_value(v: &serde_json::Value, nil_messages: bool) -> Value {
    match v {
        serde_json::Value::Object(o) => {
            let mut out: BTreeMap<Arc<str>, Value> = BTreeMap::new();
            if nil_messages {
                for m in MESSAGES {
                    let g = upper_first(m);
                    out.insert(Arc::from(g.as_str()), Value::Nil);
                    out.insert(Arc::from(format!("Get{g}").as_str()), Value::Nil);
                }
            }
            for (k, x) in o {
                let value = if x.is_null() {
                    Value::Nil
                } else if DURATIONS.contains(&k.as_str())
                    && let Some((secs, nanos)) = x.as_str().and_then(parse_duration)
                {
                    duration_value(secs, nanos)
                } else if WRAPPERS.contains(&k.as_str()) {
                    let inner = go::from_json(x, Numbers::IntegralInt);
                    map([("Value", inner.clone()), ("GetValue", inner)])
                } else if k == "proxyMetadata" || k == "runtimeValues" || k.ends_with("Labels") {
                    go::from_json(x, Numbers::IntegralInt)
                } else {
                    proto_value(x, false)
                };
                let g = upper_first(k);
                out.insert(Arc::from(format!("Get{g}").as_str()), value.clone());
                out.insert(Arc::from(g.as_str()), value);
            }
            Value::Map(Arc::new(out))
        }
        serde_json::Value::Array(a) => {
            Value::List(a.iter().map(|x| proto_value(x, false)).collect())
        }
        other => go::from_json(other, Numbers::IntegralInt),
    }
}

fn proxy_config_value(pc: &ProxyConfig) -> Value {
    serde_json::to_value(pc)
        .map(|j| proto_value(&j, true))
        .unwrap_or(Value::Nil)
}

fn mesh_config_value(mesh: &MeshConfig) -> Value {
    let Ok(serde_json::Value::Object(mut j)) = serde_json::to_value(mesh) else {
        return Value::Nil;
    };
    let default_config = j.remove("defaultConfig");
    let Value::Map(m) = proto_value(&serde_json::Value::Object(j), true) else {
        return Value::Nil;
    };
    let mut m = (*m).clone();
    let dc = proxy_config_value(&mesh.default_config);
    if default_config.is_some() {
        m.insert(Arc::from("DefaultConfig"), dc.clone());
        m.insert(Arc::from("GetDefaultConfig"), dc);
    }
    Value::Map(Arc::new(m))
}

/// Go's `time.Duration.String()` of a `{Seconds, Nanos}` value (nil is `0s`).
pub fn format_duration(v: &Value) -> String {
    let secs = v.field("Seconds").and_then(Value::as_int).unwrap_or(0);
    let nanos = v.field("Nanos").and_then(Value::as_int).unwrap_or(0);
    let total = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
    go_duration(total)
}

fn go_duration(total: i128) -> String {
    if total == 0 {
        return "0s".into();
    }
    let neg = total < 0;
    let u = total.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    let frac = |v: u128, unit: u128| -> String {
        let whole = v / unit;
        let rest = v % unit;
        if rest == 0 {
            return whole.to_string();
        }
        let width = unit.to_string().len() - 1;
        let digits = format!("{rest:0width$}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    };
    if u < 1_000 {
        return format!("{sign}{u}ns");
    }
    if u < 1_000_000 {
        return format!("{sign}{}µs", frac(u, 1_000));
    }
    if u < 1_000_000_000 {
        return format!("{sign}{}ms", frac(u, 1_000_000));
    }
    let hours = u / 3_600_000_000_000;
    let rem = u % 3_600_000_000_000;
    let mins = rem / 60_000_000_000;
    let secs = rem % 60_000_000_000;
    let s_part = format!("{}s", frac(secs, 1_000_000_000));
    if hours > 0 {
        format!("{sign}{hours}h{mins}m{s_part}")
    } else if mins > 0 {
        format!("{sign}{mins}m{s_part}")
    } else {
        format!("{sign}{s_part}")
    }
}

/// ProxyConfig fields in `proxy.proto` declaration order (protojson's output order).
const PROXY_FIELDS: &[&str] = &[
    "configPath",
    "binaryPath",
    "serviceCluster",
    "tracingServiceName",
    "drainDuration",
    "parentShutdownDuration",
    "discoveryAddress",
    "statsdUdpAddress",
    "envoyMetricsServiceAddress",
    "proxyAdminPort",
    "controlPlaneAuthPolicy",
    "customConfigFile",
    "statNameLength",
    "concurrency",
    "proxyBootstrapTemplatePath",
    "interceptionMode",
    "tracing",
    "envoyAccessLogService",
    "envoyMetricsService",
    "proxyMetadata",
    "runtimeValues",
    "statusPort",
    "extraStatTags",
    "gatewayTopology",
    "terminationDrainDuration",
    "meshId",
    "readinessProbe",
    "proxyStatsMatcher",
    "holdApplicationUntilProxyStarts",
    "caCertificatesPem",
    "image",
    "privateKeyProvider",
    "proxyHeaders",
    "fileFlushInterval",
    "fileFlushMinSizeKb",
];

/// Istio's `protoToJSON`: for a ProxyConfig, fields equal to `DefaultProxyConfig()` are
/// dropped first (`cleanProxyConfig`); then protojson: lowerCamel names in declaration
/// order, unset and zero scalars omitted, set wrappers kept even when zero.
pub fn proto_to_json(v: &Value) -> String {
    let Value::Map(m) = v else {
        return "{}".into();
    };
    let d = ProxyConfig::default();
    let dropped = |json: &str, x: &Value| -> bool {
        let str_is = |want: &str| x.as_str() == Some(want);
        let int_is = |want: i32| x.as_int() == Some(i64::from(want));
        let dur_is = |want: &Option<String>| {
            want.as_deref()
                .and_then(parse_duration)
                .is_some_and(|(s, n)| {
                    x.field("Seconds").and_then(Value::as_int) == Some(s)
                        && x.field("Nanos").and_then(Value::as_int) == Some(n)
                })
        };
        match json {
            "configPath" => str_is(&d.config_path),
            "binaryPath" => str_is(&d.binary_path),
            "controlPlaneAuthPolicy" => str_is(&d.control_plane_auth_policy),
            "serviceCluster" => str_is(&d.service_cluster),
            "drainDuration" => dur_is(&d.drain_duration),
            "terminationDrainDuration" => dur_is(&d.termination_drain_duration),
            "discoveryAddress" => str_is(&d.discovery_address),
            "tracing" => {
                d.tracing
                    .as_ref()
                    .map(|t| go::to_json(&proto_value(t, false)).ok())
                    == Some(go::to_json(x).ok())
            }
            "proxyAdminPort" => int_is(d.proxy_admin_port),
            "statNameLength" => int_is(d.stat_name_length),
            "statusPort" => int_is(d.status_port),
            _ => false,
        }
    };
    let mut out = String::from("{");
    let mut first = true;
    let mut emit = |json: &str, x: &Value, out: &mut String| {
        if let Some(text) = protojson_field(json, x) {
            if !first {
                out.push(',');
            }
            first = false;
            go_json::write_string(out, json);
            out.push(':');
            out.push_str(&text);
        }
    };
    for json in PROXY_FIELDS {
        if let Some(x) = m.get(upper_first(json).as_str())
            && !dropped(json, x)
        {
            emit(json, x, &mut out);
        }
    }
    // Fields we do not model, in name order after the known ones.
    for (k, x) in m.iter() {
        let json = lower_first(k);
        if k.starts_with("Get") || PROXY_FIELDS.contains(&json.as_str()) {
            continue;
        }
        emit(&json, x, &mut out);
    }
    out.push('}');
    out
}

/// One field's protojson text, `None` when protojson omits it.
fn protojson_field(json: &str, x: &Value) -> Option<String> {
    if WRAPPERS.contains(&json) {
        return match x {
            Value::Map(w) => w.get("Value").and_then(|v| go::to_json(v).ok()),
            _ => None,
        };
    }
    if DURATIONS.contains(&json) {
        return match x {
            Value::Map(_) => {
                let secs = x.field("Seconds").and_then(Value::as_int).unwrap_or(0);
                let nanos = x.field("Nanos").and_then(Value::as_int).unwrap_or(0);
                Some(if nanos == 0 {
                    format!("\"{secs}s\"")
                } else {
                    let f = format!("{:09}", nanos.unsigned_abs());
                    format!("\"{secs}.{}s\"", f.trim_end_matches('0'))
                })
            }
            _ => None,
        };
    }
    // Enum zero values are unset in proto3.
    if (json == "interceptionMode" && x.as_str() == Some("REDIRECT"))
        || (json == "controlPlaneAuthPolicy" && x.as_str() == Some("NONE"))
    {
        return None;
    }
    match x {
        Value::Nil => None,
        Value::Map(m) if MESSAGES.contains(&json) || m.keys().any(|k| k.starts_with("Get")) => {
            Some(protojson_message(x))
        }
        other if go::is_empty(other) => None,
        other => go::to_json(other).ok(),
    }
}

fn protojson_message(x: &Value) -> String {
    let Value::Map(m) = x else {
        return go::to_json(x).unwrap_or_default();
    };
    let mut out = String::from("{");
    let mut first = true;
    for (k, v) in m.iter() {
        if k.starts_with("Get") {
            continue;
        }
        let json = lower_first(k);
        if let Some(text) = protojson_field(&json, v) {
            if !first {
                out.push(',');
            }
            first = false;
            go_json::write_string(&mut out, &json);
            out.push(':');
            out.push_str(&text);
        }
    }
    out.push('}');
    out
}

/// Istio's `otelResourceAttributes`: `""` unless an `opentelemetry` extension provider asks
/// for `serviceAttributeEnrichment: OTEL_SEMANTIC_CONVENTIONS`; otherwise the
/// `service.namespace`, `service.version` and `service.instance.id` attributes, with the
/// `resource.opentelemetry.io/…` annotations overriding them.
pub fn otel_resource_attributes(
    mesh: &Value,
    annotations: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
    namespace: &str,
    containers: &Value,
) -> String {
    let enabled = match mesh.field("ExtensionProviders") {
        Some(Value::List(ps)) => ps.iter().any(|p| {
            p.field("Opentelemetry")
                .and_then(|o| o.field("ServiceAttributeEnrichment"))
                .and_then(Value::as_str)
                == Some("OTEL_SEMANTIC_CONVENTIONS")
        }),
        _ => false,
    };
    if !enabled {
        return String::new();
    }
    let first_container = match containers {
        Value::List(cs) => cs.first(),
        _ => None,
    };
    let name = first_container
        .and_then(|c| c.field("Name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let version = annotations
        .get("resource.opentelemetry.io/service.version")
        .or_else(|| labels.get("app.kubernetes.io/version"))
        .cloned()
        .or_else(|| match containers {
            Value::List(cs) if cs.len() == 1 => first_container
                .and_then(|c| c.field("Image"))
                .and_then(Value::as_str)
                .and_then(image_version),
            _ => None,
        });
    let ns = annotations
        .get("resource.opentelemetry.io/service.namespace")
        .cloned()
        .unwrap_or_else(|| namespace.to_string());
    let instance = annotations
        .get("resource.opentelemetry.io/service.instance.id")
        .cloned()
        .unwrap_or_else(|| format!("{namespace}.$(POD_NAME).{name}"));
    let mut parts = vec![format!("service.namespace={ns}")];
    if let Some(v) = version {
        parts.push(format!("service.version={v}"));
    }
    parts.push(format!("service.instance.id={instance}"));
    parts.join(",")
}

fn image_version(image: &str) -> Option<String> {
    if let Some((_, digest)) = image.split_once('@') {
        return Some(digest.to_string());
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, t)| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimated_concurrency_as_istio_1_17() {
        let values = serde_json::json!({"global": {"proxy": {"resources": {
            "limits": {"cpu": "2500m"}, "requests": {"cpu": "100m"}}}}});
        let no_values = serde_json::json!({});
        let requests_only =
            serde_json::json!({"global": {"proxy": {"resources": {"requests": {"cpu": "100m"}}}}});
        let pc = |c: Option<i32>| ProxyConfig {
            concurrency: c,
            ..ProxyConfig::default()
        };
        let ann = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (format!("sidecar.istio.io/{k}"), v.to_string()))
                .collect()
        };
        for (c, annotations, values, want) in [
            (None, ann(&[("proxyCPU", "8")]), &values, 2),
            (Some(3), ann(&[]), &values, 3),
            (Some(0), ann(&[("proxyCPU", "4000m")]), &values, 4),
            (
                Some(0),
                ann(&[("proxyCPULimit", "1500m"), ("proxyCPU", "4")]),
                &values,
                2,
            ),
            // An annotation that does not parse ends the search.
            (Some(0), ann(&[("proxyCPULimit", "lots")]), &values, 2),
            (Some(0), ann(&[]), &values, 3),
            (Some(0), ann(&[]), &requests_only, 1),
            (Some(0), ann(&[]), &no_values, 2),
        ] {
            assert_eq!(
                estimated_concurrency(&pc(c), &annotations, values),
                want,
                "{c:?} {annotations:?} {values}"
            );
        }
        // Only the data of a release before the field's removal has it.
        let mesh = MeshConfig::default();
        let input = TemplateInput {
            type_meta: TypeMeta::default(),
            deployment_meta: DeploymentMeta::default(),
            object_meta: &serde_json::json!({}),
            spec: &serde_json::json!({}),
            proxy_config: &mesh.default_config,
            mesh: &mesh,
            values: &no_values,
            revision: String::new(),
            native_sidecars: false,
            proxy_uid: 1337,
            proxy_gid: 1337,
            compliance_policy: String::new(),
        };
        let constants = Constants::new(&mesh, &no_values);
        assert!(
            build_with(&input, &constants)
                .field("EstimatedConcurrency")
                .is_none()
        );
        let old = constants.for_release(Release::of("1.17.8".parse().unwrap()));
        assert_eq!(
            build_with(&input, &old).field("EstimatedConcurrency"),
            Some(&Value::Int(2))
        );
    }

    #[test]
    fn go_duration_strings() {
        for (ns, want) in [
            (0i128, "0s"),
            (45_000_000_000, "45s"),
            (60_000_000_000, "1m0s"),
            (3_600_000_000_000, "1h0m0s"),
            (1_500_000_000, "1.5s"),
            (500_000_000, "500ms"),
            (1_500, "1.5µs"),
            (-2_000_000_000, "-2s"),
        ] {
            assert_eq!(go_duration(ns), want);
        }
    }

    #[test]
    fn protojson_drops_defaults_and_keeps_set_wrappers() {
        let pc = ProxyConfig::default();
        assert_eq!(proto_to_json(&proxy_config_value(&pc)), "{}");
        let pc = pc
            .merge_annotation(
                "a",
                "discoveryAddress: foo:123\nconcurrency: 0\nproxyMetadata: {FOO: bar}\n",
            )
            .unwrap();
        assert_eq!(
            proto_to_json(&proxy_config_value(&pc)),
            r#"{"discoveryAddress":"foo:123","concurrency":0,"proxyMetadata":{"FOO":"bar"}}"#
        );
        let pc = ProxyConfig::default()
            .merge_annotation("a", "{drainDuration: 23s, interceptionMode: TPROXY, tracing: {}, holdApplicationUntilProxyStarts: false}")
            .unwrap();
        assert_eq!(
            proto_to_json(&proxy_config_value(&pc)),
            r#"{"drainDuration":"23s","interceptionMode":"TPROXY","tracing":{},"holdApplicationUntilProxyStarts":false}"#
        );
    }

    #[test]
    fn struct_to_json_uses_go_field_order_and_omitempty() {
        let port = kube(
            &serde_json::json!({"containerPort": 80, "name": "http", "protocol": "TCP"}),
            Ty::ContainerPort,
        );
        assert_eq!(
            struct_to_json(&port),
            r#"{"name":"http","containerPort":80,"protocol":"TCP"}"#
        );
        assert_eq!(struct_to_json(&Value::Nil), "{}");
    }

    #[test]
    fn image_urls_follow_istio() {
        let values = serde_json::json!({"global": {"hub": "h", "tag": "1.2-debug", "variant": "distroless"}});
        let pc = ProxyConfig::default();
        let none = BTreeMap::new();
        assert_eq!(proxy_image(&values, &pc, &none), "h/proxyv2:1.2-distroless");
        let ann: BTreeMap<String, String> = [(
            "sidecar.istio.io/proxyImageType".to_string(),
            "default".to_string(),
        )]
        .into();
        assert_eq!(proxy_image(&values, &pc, &ann), "h/proxyv2:1.2");
        let values = serde_json::json!({"global": {"hub": "h", "tag": 1.5, "proxy_init": {"image": "init"}}});
        assert_eq!(proxy_init_image(&values, &none), "h/init:1.5");
    }
}
