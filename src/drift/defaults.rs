//! What the API server fills in on a Pod it admits: Kubernetes' defaulting of the core/v1
//! types, as one table, applied to both sides of a comparison so that a field the server
//! filled in never counts as a difference.
//!
//! Source: the `SetDefaults_*` functions of `pkg/apis/core/v1/defaults.go` in
//! k8s.io/kubernetes (and the declarative `+default` markers of `k8s.io/api/core/v1`, which
//! later releases moved some of them to, with the same values). Only the types inside what
//! the injector reads or the drift comparison reads are listed: the pod spec's own defaults,
//! containers with their ports, probes, handlers and env, and volumes. The webhook sees a
//! pod with all of them applied (the API server defaults a request before admission), so a
//! prediction applies them before injecting, as [`super::inject`] does.
//!
//! Not defaulting but admission, and so not here: what admission plugins add before the
//! webhook runs (the ServiceAccount plugin's token volume, Priority's `priority`,
//! DefaultTolerationSeconds's tolerations, LimitRanger's resources).
//!
//! Every row names a field by its JSON name; a test holds each row against k8s-openapi's
//! type of that name (the field exists and takes the value).

use serde_json::{Map, Value, json};

/// How a field's default is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    Str(&'static str),
    Int(i64),
    Bool(bool),
    /// `{}`.
    EmptyObject,
    /// `{}`, on a volume that has no source at all.
    EmptyDirIfNoSource,
    /// `Always` when the image's tag is `latest` or it has neither tag nor digest, else
    /// `IfNotPresent` (`SetDefaults_Container` through `parsers.ParseImageName`).
    ImagePullPolicy,
    /// Each limit without a request becomes the request (`SetDefaults_Pod`, for containers
    /// and init containers of a Pod; not of a pod template).
    RequestsFromLimits,
}

/// One default: on objects of `ty` (a core/v1 type name), `field` gets `fill` when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub ty: &'static str,
    pub field: &'static str,
    pub fill: Fill,
    /// The Kubernetes function (or marker) that sets it.
    pub source: &'static str,
}

const fn row(ty: &'static str, field: &'static str, fill: Fill, source: &'static str) -> Rule {
    Rule {
        ty,
        field,
        fill,
        source,
    }
}

/// The table.
pub const DEFAULTS: &[Rule] = &[
    row(
        "PodSpec",
        "dnsPolicy",
        Fill::Str("ClusterFirst"),
        "SetDefaults_PodSpec",
    ),
    row(
        "PodSpec",
        "restartPolicy",
        Fill::Str("Always"),
        "SetDefaults_PodSpec",
    ),
    row(
        "PodSpec",
        "securityContext",
        Fill::EmptyObject,
        "SetDefaults_PodSpec",
    ),
    row(
        "PodSpec",
        "terminationGracePeriodSeconds",
        Fill::Int(30),
        "SetDefaults_PodSpec",
    ),
    row(
        "PodSpec",
        "schedulerName",
        Fill::Str("default-scheduler"),
        "SetDefaults_PodSpec",
    ),
    row(
        "PodSpec",
        "enableServiceLinks",
        Fill::Bool(true),
        "SetDefaults_Pod",
    ),
    row(
        "Container",
        "terminationMessagePath",
        Fill::Str("/dev/termination-log"),
        "SetDefaults_Container",
    ),
    row(
        "Container",
        "terminationMessagePolicy",
        Fill::Str("File"),
        "SetDefaults_Container",
    ),
    row(
        "Container",
        "imagePullPolicy",
        Fill::ImagePullPolicy,
        "SetDefaults_Container",
    ),
    row(
        "Container",
        "resources",
        Fill::RequestsFromLimits,
        "SetDefaults_Pod",
    ),
    row(
        "ContainerPort",
        "protocol",
        Fill::Str("TCP"),
        "+default=\"TCP\" on ContainerPort.Protocol",
    ),
    row("Probe", "timeoutSeconds", Fill::Int(1), "SetDefaults_Probe"),
    row("Probe", "periodSeconds", Fill::Int(10), "SetDefaults_Probe"),
    row(
        "Probe",
        "successThreshold",
        Fill::Int(1),
        "SetDefaults_Probe",
    ),
    row(
        "Probe",
        "failureThreshold",
        Fill::Int(3),
        "SetDefaults_Probe",
    ),
    row(
        "HTTPGetAction",
        "path",
        Fill::Str("/"),
        "SetDefaults_HTTPGetAction",
    ),
    row(
        "HTTPGetAction",
        "scheme",
        Fill::Str("HTTP"),
        "SetDefaults_HTTPGetAction",
    ),
    row(
        "GRPCAction",
        "service",
        Fill::Str(""),
        "+default=\"\" on GRPCAction.Service",
    ),
    row(
        "ObjectFieldSelector",
        "apiVersion",
        Fill::Str("v1"),
        "SetDefaults_ObjectFieldSelector",
    ),
    row(
        "SecretVolumeSource",
        "defaultMode",
        Fill::Int(420),
        "SetDefaults_SecretVolumeSource (0644)",
    ),
    row(
        "ConfigMapVolumeSource",
        "defaultMode",
        Fill::Int(420),
        "SetDefaults_ConfigMapVolumeSource (0644)",
    ),
    row(
        "DownwardAPIVolumeSource",
        "defaultMode",
        Fill::Int(420),
        "SetDefaults_DownwardAPIVolumeSource (0644)",
    ),
    row(
        "ProjectedVolumeSource",
        "defaultMode",
        Fill::Int(420),
        "SetDefaults_ProjectedVolumeSource (0644)",
    ),
    row(
        "ServiceAccountTokenProjection",
        "expirationSeconds",
        Fill::Int(3600),
        "SetDefaults_ServiceAccountTokenProjection",
    ),
    row(
        "HostPathVolumeSource",
        "type",
        Fill::Str(""),
        "SetDefaults_HostPathVolumeSource (HostPathUnset)",
    ),
    row(
        "Volume",
        "emptyDir",
        Fill::EmptyDirIfNoSource,
        "SetDefaults_Volume (a volume without a source)",
    ),
];

/// The volume sources of core/v1 `VolumeSource`: a volume with none of them gets
/// `emptyDir: {}`.
const VOLUME_SOURCES: &[&str] = &[
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "persistentVolumeClaim",
    "photonPersistentDisk",
    "portworxVolume",
    "projected",
    "quobyte",
    "rbd",
    "scaleIO",
    "secret",
    "storageos",
    "vsphereVolume",
];

/// `Always` or `IfNotPresent` for an image reference, as `SetDefaults_Container` decides.
pub fn image_pull_policy(image: &str) -> &'static str {
    let (name, digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    // A tag follows the last `:` of the last path component (a registry port is in the
    // first component).
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.rsplit_once(':').map(|(_, t)| t);
    match tag {
        Some("latest") => "Always",
        Some(_) => "IfNotPresent",
        None if digest => "IfNotPresent",
        None => "Always",
    }
}

fn apply(ty: &str, obj: &mut Value) {
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    for d in DEFAULTS.iter().filter(|d| d.ty == ty) {
        match d.fill {
            Fill::Str(s) => fill(map, d.field, json!(s)),
            Fill::Int(n) => fill(map, d.field, json!(n)),
            Fill::Bool(b) => fill(map, d.field, json!(b)),
            Fill::EmptyObject => fill(map, d.field, json!({})),
            Fill::EmptyDirIfNoSource => {
                if !VOLUME_SOURCES.iter().any(|k| map.contains_key(*k)) {
                    fill(map, d.field, json!({}));
                }
            }
            Fill::ImagePullPolicy => {
                let policy = map
                    .get("image")
                    .and_then(Value::as_str)
                    .map(image_pull_policy);
                if let Some(p) = policy {
                    fill(map, d.field, json!(p));
                }
            }
            Fill::RequestsFromLimits => {
                let Some(limits) = map
                    .get(d.field)
                    .and_then(|r| r.get("limits"))
                    .and_then(Value::as_object)
                    .cloned()
                else {
                    continue;
                };
                let resources = map.entry(d.field).or_insert_with(|| json!({}));
                if let Some(r) = resources.as_object_mut() {
                    let requests = r.entry("requests").or_insert_with(|| json!({}));
                    if let Some(req) = requests.as_object_mut() {
                        for (k, v) in limits {
                            req.entry(k).or_insert(v);
                        }
                    }
                }
            }
        }
    }
}

fn fill(map: &mut Map<String, Value>, field: &str, value: Value) {
    if map.get(field).is_none_or(Value::is_null) {
        map.insert(field.to_string(), value);
    }
}

fn each(v: Option<&mut Value>, mut f: impl FnMut(&mut Value)) {
    if let Some(items) = v.and_then(Value::as_array_mut) {
        items.iter_mut().for_each(&mut f);
    }
}

fn handler(h: &mut Value) {
    if let Some(get) = h.get_mut("httpGet") {
        apply("HTTPGetAction", get);
    }
    if let Some(grpc) = h.get_mut("grpc") {
        apply("GRPCAction", grpc);
    }
}

fn container(c: &mut Value) {
    apply("Container", c);
    each(c.get_mut("ports"), |p| apply("ContainerPort", p));
    for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe).filter(|p| p.is_object()) {
            apply("Probe", p);
            handler(p);
        }
    }
    for hook in ["postStart", "preStop"] {
        if let Some(h) = c.pointer_mut(&format!("/lifecycle/{hook}")) {
            handler(h);
        }
    }
    each(c.get_mut("env"), |e| {
        if let Some(f) = e.pointer_mut("/valueFrom/fieldRef") {
            apply("ObjectFieldSelector", f);
        }
    });
}

fn downward_items(v: Option<&mut Value>) {
    each(v, |item| {
        if let Some(f) = item.get_mut("fieldRef") {
            apply("ObjectFieldSelector", f);
        }
    });
}

fn volume(v: &mut Value) {
    apply("Volume", v);
    if let Some(s) = v.get_mut("secret") {
        apply("SecretVolumeSource", s);
    }
    if let Some(s) = v.get_mut("configMap") {
        apply("ConfigMapVolumeSource", s);
    }
    if let Some(s) = v.get_mut("hostPath") {
        apply("HostPathVolumeSource", s);
    }
    if let Some(s) = v.get_mut("downwardAPI") {
        apply("DownwardAPIVolumeSource", s);
        downward_items(s.get_mut("items"));
    }
    if let Some(p) = v.get_mut("projected") {
        apply("ProjectedVolumeSource", p);
        each(p.get_mut("sources"), |src| {
            if let Some(t) = src.get_mut("serviceAccountToken") {
                apply("ServiceAccountTokenProjection", t);
            }
            if let Some(d) = src.get_mut("downwardAPI") {
                downward_items(d.get_mut("items"));
            }
        });
    }
}

/// Applies the table to a Pod (`{metadata, spec}` or a whole Pod): its spec, containers,
/// init containers and volumes. Idempotent; fields already set are kept.
pub fn apply_defaults(pod: &mut Value) {
    let Some(spec) = pod.get_mut("spec") else {
        return;
    };
    apply("PodSpec", spec);
    each(spec.get_mut("containers"), container);
    each(spec.get_mut("initContainers"), container);
    each(spec.get_mut("volumes"), volume);
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1 as core;
    use serde::Serialize;
    use serde::de::DeserializeOwned;

    /// `{field: value}` survives a round trip through k8s-openapi's type `T`.
    fn holds<T: DeserializeOwned + Serialize>(d: &Rule, extra: Value) -> bool {
        let value = match d.fill {
            Fill::Str(s) => json!(s),
            Fill::Int(n) => json!(n),
            Fill::Bool(b) => json!(b),
            Fill::EmptyObject | Fill::EmptyDirIfNoSource => json!({}),
            Fill::ImagePullPolicy => json!("IfNotPresent"),
            Fill::RequestsFromLimits => json!({"requests": {"cpu": "1"}}),
        };
        let mut obj = extra;
        obj[d.field] = value.clone();
        let Ok(typed) = serde_json::from_value::<T>(obj) else {
            return false;
        };
        serde_json::to_value(typed)
            .ok()
            .and_then(|v| v.get(d.field).cloned())
            == Some(value)
    }

    #[test]
    fn every_row_names_a_field_of_its_kubernetes_type() {
        for d in DEFAULTS {
            let ok = match d.ty {
                "PodSpec" => holds::<core::PodSpec>(d, json!({"containers": []})),
                "Container" => holds::<core::Container>(d, json!({"name": "c"})),
                "ContainerPort" => holds::<core::ContainerPort>(d, json!({"containerPort": 80})),
                "Probe" => holds::<core::Probe>(d, json!({})),
                "HTTPGetAction" => holds::<core::HTTPGetAction>(d, json!({"port": 80})),
                "GRPCAction" => holds::<core::GRPCAction>(d, json!({"port": 80})),
                "ObjectFieldSelector" => {
                    holds::<core::ObjectFieldSelector>(d, json!({"fieldPath": "metadata.name"}))
                }
                "SecretVolumeSource" => holds::<core::SecretVolumeSource>(d, json!({})),
                "ConfigMapVolumeSource" => holds::<core::ConfigMapVolumeSource>(d, json!({})),
                "DownwardAPIVolumeSource" => holds::<core::DownwardAPIVolumeSource>(d, json!({})),
                "ProjectedVolumeSource" => holds::<core::ProjectedVolumeSource>(d, json!({})),
                "ServiceAccountTokenProjection" => {
                    holds::<core::ServiceAccountTokenProjection>(d, json!({"path": "t"}))
                }
                "HostPathVolumeSource" => {
                    holds::<core::HostPathVolumeSource>(d, json!({"path": "/"}))
                }
                "Volume" => holds::<core::Volume>(d, json!({"name": "v"})),
                other => panic!("no k8s-openapi type for {other}"),
            };
            assert!(ok, "{}.{} ({})", d.ty, d.field, d.source);
        }
    }

    #[test]
    fn every_volume_source_is_a_field_of_volume() {
        let fields = serde_json::to_value(core::Volume {
            name: "v".into(),
            ..Default::default()
        })
        .expect("json");
        for k in VOLUME_SOURCES {
            let mut v = fields.clone();
            v[*k] = json!({});
            // A field Volume does not have is dropped by the typed round trip.
            let typed: Result<core::Volume, _> = serde_json::from_value(v);
            let back = typed.ok().and_then(|t| serde_json::to_value(t).ok());
            assert!(
                back.is_some_and(|b| b.get(*k).is_some()) || *k == "emptyDir",
                "{k}"
            );
        }
    }

    #[test]
    fn image_pull_policy_by_tag() {
        for (image, want) in [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.25", "IfNotPresent"),
            ("localhost:5000/nginx", "Always"),
            ("localhost:5000/nginx:1", "IfNotPresent"),
            ("nginx@sha256:abc", "IfNotPresent"),
            ("docker.io/istio/proxyv2:1.24.0", "IfNotPresent"),
        ] {
            assert_eq!(image_pull_policy(image), want, "{image}");
        }
    }

    #[test]
    fn a_pod_gets_the_server_defaults_once() {
        let mut pod = json!({"spec": {
            "containers": [{"name": "c", "image": "x:1",
                "ports": [{"containerPort": 80}],
                "readinessProbe": {"httpGet": {"port": 80}},
                "resources": {"limits": {"cpu": "1"}},
                "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}],
            "volumes": [{"name": "a"}, {"name": "s", "secret": {"secretName": "x"}},
                {"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}]}});
        apply_defaults(&mut pod);
        let once = pod.clone();
        apply_defaults(&mut pod);
        assert_eq!(pod, once);
        assert_eq!(
            pod["spec"]["containers"][0],
            json!({"name": "c", "image": "x:1", "imagePullPolicy": "IfNotPresent",
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "readinessProbe": {"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
                    "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
                "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}},
                "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v1"}}}]})
        );
        assert_eq!(
            pod["spec"]["volumes"],
            json!([{"name": "a", "emptyDir": {}},
                {"name": "s", "secret": {"secretName": "x", "defaultMode": 420}},
                {"name": "p", "projected": {"defaultMode": 420,
                    "sources": [{"serviceAccountToken": {"path": "t", "expirationSeconds": 3600}}]}}])
        );
    }
}
