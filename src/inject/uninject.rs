//! Strip for manifests (`cleanup -f`): undo a sidecar injection using the injection's own
//! record, `sidecar.istio.io/status`, never by guessing from names.
//!
//! What is removed or restored on the pod template (and why):
//! - the containers, init containers, volumes and image pull secrets the record lists (the
//!   webhook's `stripPod` removes the containers; the rest are the template's own names);
//! - containers the user had customised (`proxy.istio.io/overrides`) are put back, as the
//!   webhook's `reinsertOverrides` does, and the annotation is removed;
//! - app probes and lifecycle hooks pointed at the agent (`/app-health/<c>/<probe>`,
//!   `/app-lifecycle/<c>/<hook>`) get their original handler back from the proxy's
//!   `ISTIO_KUBE_APP_PROBERS` (a named port comes back as its number: the env holds it so);
//! - Prometheus annotations pointed at the status port are removed and the app's own ones
//!   restored from the proxy's `ISTIO_PROMETHEUS_ANNOTATIONS`;
//! - annotations: the record, `istio.io/rev` when it equals the record's revision, and
//!   `kubectl.kubernetes.io/default-container` / `default-logs-container` when they name the
//!   first app container (the injector writes exactly that, and only when absent — a user
//!   value equal to it is indistinguishable, and injecting again writes it back);
//! - labels: `security.istio.io/tlsMode: istio` and `networking.istio.io/tunnel: http` (they
//!   tell meshed clients to send mTLS / HBONE, wrong without a sidecar; a user's own value,
//!   which the template keeps, stays), and
//!   `service.istio.io/canonical-name` / `canonical-revision` when they equal what the
//!   injector derives from the other labels.
//!
//! Kept on purpose: user configuration annotations (`sidecar.istio.io/*` other than the
//! record, `traffic.sidecar.istio.io/*`, `status.sidecar.istio.io/*`, `proxy.istio.io/config`),
//! even when the CNI template copied a default into them: they are inert without a sidecar,
//! and deleting a user's setting is worse than leaving a default (1.18's kube-uninject deleted
//! every `*sidecar.istio.io*` annotation and forced `sidecar.istio.io/inject: "false"`; we do not).
//!
//! An object without a record but with Istio's containers is refused: without the record we
//! cannot know what was injected. An object with neither is not injected and left unchanged.
//! Pure: no I/O.

use serde_json::{Map, Value, json};

use super::gotypes::{self, TypeError};
use super::pod::{self, List};
use super::status::{self, InjectionStatus, StatusError};
use crate::manifest::{DocRef, Document, WorkloadKind};
use crate::model::istio::{
    CANONICAL_NAME_LABEL, CANONICAL_REVISION_LABEL, CORE_DUMP_CONTAINER,
    DEFAULT_CONTAINER_ANNOTATION, DEFAULT_LOGS_CONTAINER_ANNOTATION, INIT_CONTAINER,
    OVERRIDES_ANNOTATION, PROXY_CONTAINER, REV_LABEL, STATUS_ANNOTATION, STATUS_PORT_ANNOTATION,
    TLS_MODE_LABEL, TUNNEL_LABEL, VALIDATION_CONTAINER,
};

const DEFAULT_STATUS_PORT: &str = "15020";

/// Why an object cannot be stripped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {object}: {error}")]
pub struct UninjectError {
    pub at: DocRef,
    /// `Deployment default/web`.
    pub object: String,
    pub error: StripError,
}

/// What is wrong with the object (in [`UninjectError`]'s message, not its source).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripError {
    /// Kubernetes' typed decoding would refuse it.
    #[error(transparent)]
    Type(TypeError),
    /// Its injection record cannot be trusted.
    #[error(transparent)]
    Status(StatusError),
}

/// What happened to one workload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StripReport {
    pub source: String,
    pub document: usize,
    pub kind: String,
    /// `namespace/name`, or `name`.
    pub name: String,
    /// False when the object carried no injection (left unchanged).
    pub stripped: bool,
    /// One line per change, in words (`removed container istio-proxy`).
    pub changes: Vec<String>,
    pub warnings: Vec<String>,
}

/// The result for one document: `None` output means "pass the text through as read".
#[derive(Debug, Clone, PartialEq)]
pub struct StripResult {
    pub at: DocRef,
    pub output: Option<Value>,
    pub objects: Vec<StripReport>,
}

/// Strips every workload of one document (a List item by item); other kinds pass through.
pub fn strip_document(doc: &Document) -> Result<StripResult, UninjectError> {
    // Typed first, as for inject: a container list that is a map is refused, not emptied.
    super::validate::document(doc).map_err(|e| UninjectError {
        at: e.at,
        object: e.object.unwrap_or_else(|| "document".into()),
        error: StripError::Type(e.error),
    })?;
    let mut result = StripResult {
        at: doc.at.clone(),
        output: None,
        objects: Vec::new(),
    };
    if doc.api_version() == "v1" && doc.kind() == "List" {
        let mut list = doc.value.clone();
        if let Some(items) = list.get_mut("items").and_then(Value::as_array_mut) {
            for item in items.iter_mut() {
                let api = item.get("apiVersion").and_then(Value::as_str).unwrap_or("");
                let kind = item.get("kind").and_then(Value::as_str).unwrap_or("");
                if let Some(k) = workload_kind(api, kind) {
                    let (out, report) = strip_object(&doc.at, k, item)?;
                    *item = out;
                    result.objects.push(report);
                }
            }
        }
        gotypes::normalize(&mut list, gotypes::Ty::List);
        result.output = Some(list);
        return Ok(result);
    }
    if let Some(k) = workload_kind(doc.api_version(), doc.kind()) {
        let (out, report) = strip_object(&doc.at, k, &doc.value)?;
        result.output = Some(out);
        result.objects.push(report);
    }
    Ok(result)
}

/// The kinds kube-inject injects (its scheme, with OpenShift's group-less DeploymentConfig).
fn workload_kind(api_version: &str, kind: &str) -> Option<WorkloadKind> {
    WorkloadKind::from_type_meta(api_version, kind)
        .or((api_version == "v1" && kind == "DeploymentConfig")
            .then_some(WorkloadKind::DeploymentConfig))
        // Older API versions of the same kinds (`batch/v2alpha1` CronJob, `extensions/v1beta1`
        // Deployment) keep the pod template in the same place; kube-inject passes them through,
        // but an injected one left as is would look cleaned when it is not.
        .or_else(|| WorkloadKind::from_kind(kind))
}

fn strip_object(
    at: &DocRef,
    kind: WorkloadKind,
    object: &Value,
) -> Result<(Value, StripReport), UninjectError> {
    let s = |p: &str| {
        object
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (kind_name, name, ns) = (s("/kind"), s("/metadata/name"), s("/metadata/namespace"));
    let full_name = if ns.is_empty() {
        name.clone()
    } else {
        format!("{ns}/{name}")
    };
    let mut report = StripReport {
        source: at.source.clone(),
        document: at.index,
        kind: kind_name.clone(),
        name: full_name.clone(),
        stripped: false,
        changes: Vec::new(),
        warnings: Vec::new(),
    };
    let template_ptr = kind.pod_template_pointer();
    // kube-inject writes a CronJob's record on the Job template's metadata (HEAD's quirk);
    // older injectors and the webhook (on the pods) write it on the pod template.
    let pod_meta_ptr = format!("{template_ptr}/metadata");
    let meta_ptr = [kind.inject_metadata_pointer(), pod_meta_ptr.as_str()]
        .into_iter()
        .find(|p| {
            object
                .pointer(&format!(
                    "{p}/annotations/{}",
                    STATUS_ANNOTATION.replace('/', "~1")
                ))
                .is_some()
        })
        .unwrap_or(kind.inject_metadata_pointer());
    let metadata = object
        .pointer(meta_ptr)
        .cloned()
        .unwrap_or_else(|| json!({}));
    let spec = object
        .pointer(&format!("{template_ptr}/spec"))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let pod = json!({"metadata": metadata, "spec": spec});
    // The injector's fallback canonical name is the workload's name (a Pod's own name here).
    let stripped = strip_pod(&pod, &name, &mut report).map_err(|e| UninjectError {
        at: at.clone(),
        object: format!("{kind_name} {full_name}"),
        error: StripError::Status(e),
    })?;
    let Some(stripped) = stripped else {
        return Ok((object.clone(), report));
    };
    report.stripped = true;
    let mut obj = object.clone();
    if let Some(slot) = obj.pointer_mut(meta_ptr) {
        *slot = stripped
            .get("metadata")
            .cloned()
            .unwrap_or_else(|| json!({}));
    }
    if let Some(slot) = obj.pointer_mut(&format!("{template_ptr}/spec")) {
        *slot = stripped.get("spec").cloned().unwrap_or_else(|| json!({}));
    }
    gotypes::normalize(&mut obj, gotypes::workload_type(kind));
    Ok((obj, report))
}

/// Strips one pod (`{metadata, spec}`). `Ok(None)`: nothing was injected.
pub fn strip_pod(
    pod: &Value,
    workload_name: &str,
    report: &mut StripReport,
) -> Result<Option<Value>, StatusError> {
    let Some(raw) = pod::annotation(pod, STATUS_ANNOTATION) else {
        let found: Vec<&str> = [List::InitContainers, List::Containers]
            .into_iter()
            .flat_map(|l| pod::containers(pod, l))
            .map(pod::name_of)
            .filter(|n| {
                [
                    PROXY_CONTAINER,
                    INIT_CONTAINER,
                    VALIDATION_CONTAINER,
                    CORE_DUMP_CONTAINER,
                ]
                .contains(n)
            })
            .collect();
        if found.is_empty() {
            return Ok(None);
        }
        return Err(StatusError::NoRecord {
            found: found.into_iter().map(str::to_string).collect(),
        });
    };
    let record = InjectionStatus::parse(raw).ok_or_else(|| StatusError::NotAnObject {
        raw: raw.to_string(),
    })?;
    if record.is_empty() {
        return Err(StatusError::EmptyRecord {
            raw: raw.to_string(),
        });
    }
    let overrides = status::Overrides::of(pod)?;

    // Read what the proxy carries before it is removed.
    let env = |var: &str| -> Option<String> {
        pod::sidecar(pod)?
            .get("env")?
            .as_array()?
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(var))?
            .get("value")?
            .as_str()
            .map(str::to_string)
    };
    let probers: Map<String, Value> = env(super::probe::ENV)
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let prometheus: Option<Map<String, Value>> =
        env(super::prometheus::ENV).and_then(|s| serde_json::from_str(&s).ok());
    let status_port = pod::annotation(pod, STATUS_PORT_ANNOTATION)
        .unwrap_or(DEFAULT_STATUS_PORT)
        .trim()
        .to_string();
    let prometheus_rewritten = super::prometheus::port(pod) == Some(status_port.as_str());

    // The webhook's own stripPod: listed containers, Prometheus annotations, the record.
    let mut out = status::strip(pod, &status_port)?;
    for n in &record.containers {
        report.changes.push(format!("removed container {n}"));
    }
    for n in &record.init_containers {
        report.changes.push(format!("removed init container {n}"));
    }
    // Then the user's own versions of Istio's containers come back.
    out = status::reinsert_overrides(out)?;
    if pod::annotation(&out, OVERRIDES_ANNOTATION).is_some() {
        pod::remove_annotation(&mut out, OVERRIDES_ANNOTATION);
        for c in overrides
            .containers
            .iter()
            .chain(&overrides.init_containers)
        {
            report
                .changes
                .push(format!("restored your container {}", pod::name_of(c)));
        }
    }
    remove_named(&mut out, "volumes", &record.volumes, "volume", report);
    remove_named(
        &mut out,
        "imagePullSecrets",
        &record.image_pull_secrets,
        "image pull secret",
        report,
    );
    restore_probes(&mut out, &probers, report);
    if prometheus_rewritten {
        restore_prometheus(&mut out, prometheus.as_ref(), report);
    }
    report
        .changes
        .push(format!("removed annotation {STATUS_ANNOTATION}"));

    let revision = if record.revision.is_empty() {
        "default"
    } else {
        &record.revision
    };
    if pod::annotation(&out, REV_LABEL) == Some(revision) {
        pod::remove_annotation(&mut out, REV_LABEL);
        report
            .changes
            .push(format!("removed annotation {REV_LABEL}"));
    }
    let first_app = pod::containers(&out, List::Containers)
        .iter()
        .map(pod::name_of)
        .find(|n| *n != PROXY_CONTAINER)
        .map(str::to_string);
    for key in [
        DEFAULT_CONTAINER_ANNOTATION,
        DEFAULT_LOGS_CONTAINER_ANNOTATION,
    ] {
        if first_app.is_some() && pod::annotation(&out, key) == first_app.as_deref() {
            pod::remove_annotation(&mut out, key);
            report.changes.push(format!("removed annotation {key}"));
        }
    }
    // The template keeps a user's own value (`tlsMode: disabled`): only its defaults go.
    for (key, injected) in [(TLS_MODE_LABEL, "istio"), (TUNNEL_LABEL, "http")] {
        if pod::label(&out, key) == Some(injected) && remove_label(&mut out, key) {
            report.changes.push(format!("removed label {key}"));
        }
    }
    let (name, rev) = canonical_defaults(&out, workload_name);
    for (key, derived) in [
        (CANONICAL_NAME_LABEL, name),
        (CANONICAL_REVISION_LABEL, rev),
    ] {
        if pod::label(&out, key) == Some(derived.as_str()) {
            remove_label(&mut out, key);
            report.changes.push(format!("removed label {key}"));
        }
    }
    // Legacy injectors (records with a template `version`) added multicluster DNS searches
    // ending in `global`, recorded nowhere; 1.18's kube-uninject removed them, and so do we.
    let legacy =
        serde_json::from_str::<Map<String, Value>>(raw).is_ok_and(|m| m.contains_key("version"));
    if legacy
        && let Some(searches) = out
            .pointer_mut("/spec/dnsConfig/searches")
            .and_then(Value::as_array_mut)
    {
        let before = searches.len();
        searches.retain(|s| !s.as_str().is_some_and(|s| s.contains("global")));
        if searches.len() != before {
            report
                .changes
                .push("removed the legacy injector's dnsConfig searches".into());
        }
        if searches.is_empty()
            && let Some(dns) = out
                .pointer_mut("/spec/dnsConfig")
                .and_then(Value::as_object_mut)
        {
            dns.remove("searches");
        }
    }
    drop_if_empty(&mut out, &["spec", "dnsConfig"]);
    drop_if_empty(&mut out, &["metadata", "annotations"]);
    drop_if_empty(&mut out, &["metadata", "labels"]);
    for key in ["initContainers", "volumes", "imagePullSecrets"] {
        drop_if_empty(&mut out, &["spec", key]);
    }
    Ok(Some(out))
}

/// Removes entries of `spec.<field>` whose `name` the record lists.
fn remove_named(
    pod: &mut Value,
    field: &str,
    names: &[String],
    what: &str,
    report: &mut StripReport,
) {
    let Some(list) = pod
        .get_mut("spec")
        .and_then(|s| s.get_mut(field))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    list.retain(|v| {
        let n = pod::name_of(v);
        let doomed = names.iter().any(|x| x == n);
        if doomed {
            report.changes.push(format!("removed {what} {n}"));
        }
        !doomed
    });
}

const PROBES: [(&str, &str); 3] = [
    ("readinessProbe", "readyz"),
    ("livenessProbe", "livez"),
    ("startupProbe", "startupz"),
];
const HOOKS: [(&str, &str); 2] = [("preStop", "prestopz"), ("postStart", "poststartz")];

/// Puts back each probe and hook the injector pointed at the agent, from its record.
fn restore_probes(pod: &mut Value, probers: &Map<String, Value>, report: &mut StripReport) {
    for list in [List::InitContainers, List::Containers] {
        if pod::containers(pod, list).is_empty() {
            continue;
        }
        for c in pod::containers_mut(pod, list) {
            let name = pod::name_of(c).to_string();
            for (field, what) in PROBES {
                let url = format!("/app-health/{name}/{what}");
                if let Some(p) = c.get_mut(field) {
                    restore_handler(p, &url, probers, &name, field, report);
                }
            }
            for (field, what) in HOOKS {
                let url = format!("/app-lifecycle/{name}/{what}");
                if let Some(h) = c.get_mut("lifecycle").and_then(|l| l.get_mut(field)) {
                    restore_handler(h, &url, probers, &name, field, report);
                }
            }
        }
    }
}

fn restore_handler(
    handler: &mut Value,
    url: &str,
    probers: &Map<String, Value>,
    container: &str,
    field: &str,
    report: &mut StripReport,
) {
    if handler.pointer("/httpGet/path").and_then(Value::as_str) != Some(url) {
        return;
    }
    let Some(original) = probers.get(url).and_then(Value::as_object) else {
        report.warnings.push(format!(
            "container {container}: {field} points at the sidecar ({url}) but the proxy's \
             ISTIO_KUBE_APP_PROBERS has no original; left as is"
        ));
        return;
    };
    let Some(map) = handler.as_object_mut() else {
        return;
    };
    map.remove("httpGet");
    for key in ["httpGet", "tcpSocket", "grpc"] {
        if let Some(v) = original.get(key).filter(|v| !v.is_null()) {
            let mut v = v.clone();
            // Go's GRPCAction.service marshals as null when unset; the API omits it.
            if let Some(g) = v.as_object_mut().filter(|_| key == "grpc") {
                g.retain(|_, x| !x.is_null());
            }
            map.insert(key.into(), v);
        }
    }
    report
        .changes
        .push(format!("restored {field} of container {container}"));
}

/// The app's own scrape annotations, recorded by the injector in the proxy's env.
fn restore_prometheus(
    pod: &mut Value,
    recorded: Option<&Map<String, Value>>,
    report: &mut StripReport,
) {
    report
        .changes
        .push("removed prometheus.io annotations pointing at the sidecar".into());
    let Some(rec) = recorded else {
        return;
    };
    let get = |k: &str| rec.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    for (key, field) in [
        ("prometheus.io/scrape", "scrape"),
        ("prometheus.io/path", "path"),
        ("prometheus.io/port", "port"),
    ] {
        if let Some(v) = get(field) {
            pod::set_annotation(pod, key, v);
        }
    }
    let targets: Vec<String> = rec
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            let port = t.get("port")?.as_str()?;
            let path = t.get("path").and_then(Value::as_str).unwrap_or("/metrics");
            Some(format!("{port}:{path}"))
        })
        .collect();
    if !targets.is_empty() {
        pod::set_annotation(pod, "prometheus.istio.io/scrape-targets", targets.join(","));
    }
    report
        .changes
        .push("restored the app's prometheus.io annotations".into());
}

/// What the injector writes for the canonical labels when the pod has none (Istio's
/// template: name from `app.kubernetes.io/name`, `app`, the workload name, `trunc 63 |
/// trimAll "-_."`; revision from `app.kubernetes.io/version`, `version`, `latest`).
fn canonical_defaults(pod: &Value, workload_name: &str) -> (String, String) {
    let first = |keys: &[&str], fallback: &str| {
        keys.iter()
            .find_map(|k| pod::label(pod, k).filter(|v| !v.is_empty()))
            .unwrap_or(fallback)
            .to_string()
    };
    let name = first(&["app.kubernetes.io/name", "app"], workload_name);
    let name: String = name.chars().take(63).collect();
    let name = name.trim_matches(['-', '_', '.']).to_string();
    let rev = first(&["app.kubernetes.io/version", "version"], "latest");
    (name, rev)
}

fn remove_label(pod: &mut Value, key: &str) -> bool {
    pod.get_mut("metadata")
        .and_then(|m| m.get_mut("labels"))
        .and_then(Value::as_object_mut)
        .is_some_and(|m| m.remove(key).is_some())
}

fn drop_if_empty(pod: &mut Value, path: &[&str; 2]) {
    let [parent, key] = *path;
    if let Some(p) = pod.get_mut(parent).and_then(Value::as_object_mut) {
        let empty = match p.get(key) {
            Some(Value::Object(m)) => m.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            p.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> StripReport {
        StripReport {
            source: "t".into(),
            document: 1,
            kind: "Pod".into(),
            name: "p".into(),
            stripped: false,
            changes: vec![],
            warnings: vec![],
        }
    }

    fn injected() -> Value {
        json!({
            "metadata": {
                "annotations": {
                    STATUS_ANNOTATION: r#"{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":["pull"],"revision":"default"}"#,
                    REV_LABEL: "default",
                    DEFAULT_CONTAINER_ANNOTATION: "app",
                    DEFAULT_LOGS_CONTAINER_ANNOTATION: "app",
                    "prometheus.io/port": "15020",
                    "prometheus.io/path": "/stats/prometheus",
                    "prometheus.io/scrape": "true",
                    "traffic.sidecar.istio.io/excludeInboundPorts": "9",
                },
                "labels": {
                    "app": "web",
                    TLS_MODE_LABEL: "istio",
                    CANONICAL_NAME_LABEL: "web",
                    CANONICAL_REVISION_LABEL: "v2",
                },
            },
            "spec": {
                "initContainers": [{"name": "istio-init"}],
                "containers": [
                    {"name": "app", "readinessProbe": {"httpGet": {"path": "/app-health/app/readyz", "port": 15020}, "timeoutSeconds": 3}},
                    {"name": "istio-proxy", "env": [
                        {"name": "ISTIO_KUBE_APP_PROBERS", "value": r#"{"/app-health/app/readyz":{"tcpSocket":{"port":8080},"timeoutSeconds":3}}"#},
                        {"name": "ISTIO_PROMETHEUS_ANNOTATIONS", "value": r#"{"scrape":"true","path":"/m","port":"9090"}"#},
                    ]},
                ],
                "volumes": [{"name": "data"}, {"name": "istio-envoy"}],
                "imagePullSecrets": [{"name": "pull"}],
            }
        })
    }

    #[test]
    fn strips_what_the_record_lists_and_restores_originals() {
        let mut r = report();
        let out = strip_pod(&injected(), "web", &mut r).unwrap().unwrap();
        assert_eq!(
            out,
            json!({
                "metadata": {
                    "annotations": {
                        "prometheus.io/port": "9090",
                        "prometheus.io/path": "/m",
                        "prometheus.io/scrape": "true",
                        "traffic.sidecar.istio.io/excludeInboundPorts": "9",
                    },
                    // v2 is not what the injector derives (latest): the user set it.
                    "labels": {"app": "web", CANONICAL_REVISION_LABEL: "v2"},
                },
                "spec": {
                    "containers": [{"name": "app", "readinessProbe": {"tcpSocket": {"port": 8080}, "timeoutSeconds": 3}}],
                    "volumes": [{"name": "data"}],
                }
            })
        );
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    #[test]
    fn table_of_records() {
        // (case, pod, Ok(Some)=stripped | Ok(None)=untouched | Err(contains))
        let rows: Vec<(&str, Value, Result<bool, &str>)> = vec![
            (
                "plain pod is not injected",
                json!({"spec": {"containers": [{"name": "app"}]}}),
                Ok(false),
            ),
            (
                "proxy without record is refused",
                json!({"spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]}}),
                Err("no sidecar.istio.io/status record"),
            ),
            (
                "malformed record is refused",
                json!({"metadata": {"annotations": {STATUS_ANNOTATION: "nope"}}, "spec": {"containers": [{"name": "app"}]}}),
                Err("not a JSON object"),
            ),
            (
                "bad overrides are refused",
                json!({"metadata": {"annotations": {STATUS_ANNOTATION: r#"{"containers":["istio-proxy"]}"#, OVERRIDES_ANNOTATION: "{"}},
                       "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]}}),
                Err("not valid JSON"),
            ),
            (
                "empty record is refused, not reported as stripped",
                json!({"metadata": {"annotations": {STATUS_ANNOTATION: "{}"}}, "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]}}),
                Err("lists no container"),
            ),
            (
                "an array record is refused",
                json!({"metadata": {"annotations": {STATUS_ANNOTATION: "[]"}}, "spec": {"containers": [{"name": "app"}]}}),
                Err("not a JSON object"),
            ),
            (
                "a record naming the app's only container is refused",
                json!({"metadata": {"annotations": {STATUS_ANNOTATION: r#"{"containers":["app"]}"#}}, "spec": {"containers": [{"name": "app"}]}}),
                Err("every container"),
            ),
        ];
        for (case, pod, want) in rows {
            let got = strip_pod(&pod, "w", &mut report());
            match (got, want) {
                (Ok(v), Ok(stripped)) => assert_eq!(v.is_some(), stripped, "{case}"),
                (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{case}: {e}"),
                (got, want) => panic!("{case}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn overrides_come_back_as_the_users_container() {
        let pod = json!({
            "metadata": {"annotations": {
                STATUS_ANNOTATION: r#"{"containers":["istio-proxy"]}"#,
                OVERRIDES_ANNOTATION: r#"{"containers":[{"name":"istio-proxy","image":"mine"}]}"#}},
            "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy", "image": "injected"}]}
        });
        let out = strip_pod(&pod, "w", &mut report()).unwrap().unwrap();
        assert_eq!(
            out,
            json!({"metadata": {}, "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy", "image": "mine"}]}})
        );
    }

    #[test]
    fn canonical_defaults_follow_the_template() {
        let pod = json!({"metadata": {"labels": {"app": "-x-", "version": "v1"}}});
        assert_eq!(
            canonical_defaults(&pod, "w"),
            ("x".to_string(), "v1".to_string())
        );
        assert_eq!(
            canonical_defaults(&json!({}), "w"),
            ("w".to_string(), "latest".to_string())
        );
    }
}
