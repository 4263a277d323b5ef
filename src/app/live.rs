//! Live-cluster gathering for `explain TYPE/NAME` and `check` without `-f`: read what the
//! webhook would see — namespaces, the injector's MutatingWebhookConfigurations and
//! ConfigMap, workloads and their running pods — as manifest documents, so the same pure
//! pipeline decides as for files. Then compare running pods with the decision (drift).
//!
//! Reads are one paginated LIST per kind and scope; forbidden reads become warnings where the
//! answer still means something without them.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use crate::cli::KubeArgs;
use crate::cluster::{Cluster, ClusterError, Kind, Scope};
use crate::manifest::{DocRef, Document, WorkloadKind};
use crate::model::webhook::{INJECTION_LABEL, REV_LABEL};
use crate::policy::{Decision, STATUS_ANNOTATION};
use crate::report::Hint;

/// The container the injector adds.
pub const PROXY_CONTAINER: &str = "istio-proxy";

/// What was read from the cluster.
pub(super) struct Snapshot {
    /// Context (namespaces, webhooks, injector ConfigMap) then subjects, as documents.
    pub docs: Vec<Document>,
    /// Running pods in scope, by (namespace, name).
    pub pods: BTreeMap<(String, String), Value>,
    /// `(namespace, kind, name)` of a pod's top-level controller.
    pub owners: BTreeMap<(String, String), (String, String)>,
    /// The expected proxy image from the injector's values, when readable.
    pub expected_image: Option<String>,
    pub warnings: Vec<String>,
    /// False when no list of workloads or pods could be read at all (all forbidden).
    pub subjects_readable: bool,
}

/// Adds advice to an error of a live command when the API server could not be reached.
pub(super) fn advise(err: anyhow::Error) -> anyhow::Error {
    let unreachable = err.chain().any(|e| {
        matches!(
            e.downcast_ref::<ClusterError>(),
            Some(ClusterError::Unreachable { .. })
        )
    });
    if unreachable {
        err.hint("is the cluster up and is this the right context? `kubectl cluster-info`; or work offline with -f")
    } else {
        err
    }
}

pub(super) fn connect(kube: &KubeArgs) -> Result<Cluster> {
    Cluster::connect(kube)
        .context("connecting to the cluster")
        .hint("check --kubeconfig / --context, or give manifests with -f to work offline")
}

/// The namespace to use: `-n`, else the context's.
pub(super) fn namespace(cluster: &Cluster, kube: &KubeArgs) -> String {
    kube.namespace
        .clone()
        .unwrap_or_else(|| cluster.default_namespace().to_string())
}

struct Builder {
    docs: Vec<Document>,
    warnings: Vec<String>,
}

impl Builder {
    fn push(&mut self, value: Value) {
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
        let ns = value.pointer("/metadata/namespace").and_then(Value::as_str);
        let name = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let source = match ns {
            Some(ns) => format!("cluster {} {ns}/{name}", kind.to_ascii_lowercase()),
            None => format!("cluster {} {name}", kind.to_ascii_lowercase()),
        };
        self.docs.push(Document {
            at: DocRef { source, index: 1 },
            raw: String::new(),
            value,
        });
    }

    /// A read whose failure is a warning when forbidden, an error otherwise.
    fn soft<T>(&mut self, r: Result<T, ClusterError>, otherwise: &str) -> Result<Option<T>> {
        match r {
            Ok(v) => Ok(Some(v)),
            // The server does not serve the kind at this version (batch/v1 CronJob before
            // Kubernetes 1.21): there is nothing of it to read.
            Err(e) if e.is_not_served() => Ok(None),
            Err(e) if e.is_forbidden() => {
                self.warnings.push(format!("{e}; {otherwise}"));
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The injector's context: its webhooks, its `config` (as a ConfigMap document), its values.
fn injector_context(
    cluster: &Cluster,
    b: &mut Builder,
    istio_namespace: &str,
    revision: Option<&str>,
) -> Result<Option<String>> {
    let mwcs = b.soft(
        cluster.list(Kind::MutatingWebhookConfiguration, Scope::All, None),
        "assuming the webhook selectors Istio installs by default",
    )?;
    let listed = mwcs.is_some();
    let mut found = 0;
    for mwc in mwcs.unwrap_or_default() {
        if is_injector_configuration(&mwc) {
            found += 1;
            b.push(mwc);
        }
    }
    if listed && found == 0 {
        b.warnings.push(
            "no Istio injection webhook configuration found in the cluster; assuming the selectors Istio installs by default".into(),
        );
    }
    let name = match revision.filter(|r| !r.is_empty() && *r != "default") {
        Some(rev) => format!("istio-sidecar-injector-{rev}"),
        None => "istio-sidecar-injector".to_string(),
    };
    let cm = b.soft(
        cluster.get(Kind::ConfigMap, Some(istio_namespace), &name),
        "using the default policy (enabled, no selectors)",
    )?;
    let mut expected_image = None;
    match cm {
        None => {} // forbidden: already warned
        Some(Some(cm)) => {
            if let Some(values) = cm.pointer("/data/values").and_then(Value::as_str) {
                expected_image = expected_proxy_image(values);
            }
            if cm.pointer("/data/config").is_some() {
                b.push(cm);
            }
        }
        Some(None) => b.warnings.push(format!(
            "ConfigMap {istio_namespace}/{name} not found; using the default policy (enabled, no selectors)"
        )),
    }
    Ok(expected_image)
}

/// True for a MutatingWebhookConfiguration with a webhook of Istio's injector (named
/// `*sidecar-injector.istio.io`, as istiod's caBundle patcher recognises them).
pub(super) fn is_injector_configuration(mwc: &Value) -> bool {
    mwc.get("webhooks")
        .and_then(Value::as_array)
        .is_some_and(|hooks| {
            hooks.iter().any(|h| {
                h.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.ends_with("sidecar-injector.istio.io"))
            })
        })
}

/// `hub/proxyv2:tag` from the injector's `values` (Istio's image URL rule; a `/` in the image
/// name means a full reference).
pub(super) fn expected_proxy_image(values: &str) -> Option<String> {
    let v: Value = serde_json::from_str(values)
        .ok()
        .or_else(|| crate::manifest::parse_yaml(values).ok())?;
    let global = v.get("global")?;
    let image = global
        .pointer("/proxy/image")
        .and_then(Value::as_str)
        .unwrap_or("proxyv2");
    if image.contains('/') {
        return Some(image.to_string());
    }
    let hub = global.get("hub").and_then(Value::as_str)?;
    let tag = match global.get("tag")? {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let variant = global
        .get("variant")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty() && *v != "default");
    Some(match variant {
        Some(var) => format!("{hub}/{image}:{tag}-{var}"),
        None => format!("{hub}/{image}:{tag}"),
    })
}

/// Everything `check` needs for a scope: namespaces, injector context, workloads, pods.
pub(super) fn snapshot(
    cluster: &Cluster,
    scope: Scope<'_>,
    kinds: &[WorkloadKind],
    istio_namespace: &str,
    revision: Option<&str>,
) -> Result<Snapshot> {
    let mut b = Builder {
        docs: Vec::new(),
        warnings: Vec::new(),
    };
    // Namespaces once, cluster-wide; without that right, the one namespace asked for.
    match cluster.list(Kind::Namespace, Scope::All, None) {
        Ok(list) => list.into_iter().for_each(|ns| b.push(ns)),
        Err(e) if e.is_forbidden() => {
            let got = match scope {
                Scope::Namespace(ns) => b.soft(
                    cluster.get(Kind::Namespace, None, ns),
                    "deciding as if it had no labels",
                )?,
                Scope::All => {
                    b.warnings
                        .push(format!("{e}; deciding as if no namespace had labels"));
                    None
                }
            };
            if let Some(ns) = got.flatten() {
                b.push(ns);
            }
        }
        Err(e) => return Err(e.into()),
    }
    let expected_image = injector_context(cluster, &mut b, istio_namespace, revision)?;

    let mut readable = false;
    let mut controllers = BTreeMap::new(); // (ns, kind, name) of ReplicaSet/Job → its owner
    for kind in [Kind::ReplicaSet, Kind::Job] {
        let list = b.soft(
            cluster.list(kind, scope, None),
            "pods cannot be traced to their workloads through it",
        )?;
        for obj in list.unwrap_or_default() {
            let key = key_of(&obj, kind.kind());
            if let Some(owner) = controller_of(&obj) {
                controllers.insert(key, owner);
            } else if kinds
                .contains(&WorkloadKind::from_kind(kind.kind()).unwrap_or(WorkloadKind::Pod))
            {
                b.push(obj); // a bare ReplicaSet or Job is a workload of its own
            }
        }
    }
    for wk in kinds {
        let Some(kind) = Kind::from_workload(*wk) else {
            continue;
        };
        if matches!(kind, Kind::ReplicaSet | Kind::Job | Kind::Pod) {
            continue; // bare ones were added above; pods below
        }
        let list = b.soft(cluster.list(kind, scope, None), "not checked")?;
        readable |= list.is_some();
        list.unwrap_or_default().into_iter().for_each(|o| b.push(o));
    }

    let mut pods = BTreeMap::new();
    let mut owners = BTreeMap::new();
    let list = b.soft(
        cluster.list(Kind::Pod, scope, None),
        "running pods are not compared with the policy",
    )?;
    readable |= list.is_some();
    for pod in list.unwrap_or_default() {
        let (ns, _, name) = key_of(&pod, "Pod");
        let top = controller_of(&pod).map(|(k, n)| {
            // Follow ReplicaSet → Deployment and Job → CronJob one level up.
            match controllers.get(&(ns.clone(), k.clone(), n.clone())) {
                Some(owner) => owner.clone(),
                None => (k, n),
            }
        });
        // Every pod is decided as itself (for drift); owned ones are then grouped under
        // their workload's row, bare ones are rows of their own.
        if let Some(owner) = top {
            owners.insert((ns.clone(), name.clone()), owner);
        }
        b.push(pod.clone());
        pods.insert((ns, name), pod);
    }
    Ok(Snapshot {
        docs: b.docs,
        pods,
        owners,
        expected_image,
        warnings: b.warnings,
        subjects_readable: readable,
    })
}

/// What `explain TYPE/NAME` needs: the object, its namespace, the injector, its pods.
pub(super) fn snapshot_one(
    cluster: &Cluster,
    namespace: &str,
    kind: WorkloadKind,
    name: &str,
    istio_namespace: &str,
    revision: Option<&str>,
) -> Result<Snapshot> {
    let mut b = Builder {
        docs: Vec::new(),
        warnings: Vec::new(),
    };
    let ckind = Kind::from_workload(kind)
        .ok_or_else(|| anyhow::anyhow!("{kind} objects cannot be read from the cluster"))?;
    let object = cluster
        .get(ckind, Some(namespace), name)?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{} {name:?} not found in namespace {namespace:?}",
                kind.as_str().to_ascii_lowercase()
            )
        })
        .hint(format!(
            "list them with `kubectl get {} -n {namespace}`",
            kind.as_str().to_ascii_lowercase()
        ))?;
    if let Some(ns) = b
        .soft(
            cluster.get(Kind::Namespace, None, namespace),
            "deciding as if it had no labels",
        )?
        .flatten()
    {
        b.push(ns);
    }
    let expected_image = injector_context(cluster, &mut b, istio_namespace, revision)?;

    let mut pods = BTreeMap::new();
    let mut owners = BTreeMap::new();
    if kind == WorkloadKind::Pod {
        pods.insert((namespace.to_string(), name.to_string()), object.clone());
    } else if let Some(selector) = match_labels_selector(&object) {
        let list = b.soft(
            cluster.list(Kind::Pod, Scope::Namespace(namespace), Some(&selector)),
            "its pods are not summarised",
        )?;
        for pod in list.unwrap_or_default() {
            let (ns, _, pname) = key_of(&pod, "Pod");
            owners.insert(
                (ns.clone(), pname.clone()),
                (kind.as_str().to_string(), name.to_string()),
            );
            b.push(pod.clone());
            pods.insert((ns, pname), pod);
        }
    }
    b.push(object);
    Ok(Snapshot {
        docs: b.docs,
        pods,
        owners,
        expected_image,
        warnings: b.warnings,
        subjects_readable: true,
    })
}

/// `a=b,c=d` from a workload's `spec.selector.matchLabels` (the pods it owns carry them).
fn match_labels_selector(object: &Value) -> Option<String> {
    let ml = object
        .pointer("/spec/selector/matchLabels")
        .or_else(|| object.pointer("/spec/jobTemplate/spec/selector/matchLabels"))
        .or_else(|| object.pointer("/spec/template/metadata/labels"))
        .or_else(|| object.pointer("/spec/jobTemplate/spec/template/metadata/labels"))?
        .as_object()?;
    let parts: Vec<String> = ml
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

fn key_of(obj: &Value, kind: &str) -> (String, String, String) {
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (
        s("/metadata/namespace"),
        kind.to_string(),
        s("/metadata/name"),
    )
}

/// The controller owner reference (`ownerReferences[controller=true]`): (kind, name).
pub(super) fn controller_of(obj: &Value) -> Option<(String, String)> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|r| {
            let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            (s("kind"), s("name"))
        })
}

/// What a running pod carries of an injection.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(super) struct PodState {
    pub name: String,
    pub injected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_image: Option<String>,
    /// Containers the status record says the injector added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub injected_containers: Vec<String>,
    /// `missing sidecar`, `unexpected sidecar`, `stale: …`; `None` when in line with policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
}

/// Reads a pod's injection state and compares it with the decision for that pod.
pub(super) fn pod_state(
    pod: &Value,
    decision: Option<&Decision>,
    expected_image: Option<&str>,
) -> PodState {
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let proxy = ["/spec/containers", "/spec/initContainers"]
        .iter()
        .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
        .flatten()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(PROXY_CONTAINER));
    let injected = proxy.is_some();
    let proxy_image = proxy
        .and_then(|c| c.get("image"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let status: Option<Value> = pod
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(STATUS_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok());
    let revision = status
        .as_ref()
        .and_then(|s| s.get("revision"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let injected_containers = status
        .as_ref()
        .map(|s| {
            ["initContainers", "containers"]
                .iter()
                .filter_map(|k| s.get(*k).and_then(Value::as_array))
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let custom_image = pod
        .pointer("/metadata/annotations/sidecar.istio.io~1proxyImage")
        .is_some();
    let drift = decision.and_then(|d| {
        if d.inject && !injected {
            return Some("missing sidecar".to_string());
        }
        if !d.inject && injected {
            return Some("unexpected sidecar".to_string());
        }
        if !injected {
            return None;
        }
        let want_rev = d.revision.as_deref().unwrap_or("default");
        let mut stale = Vec::new();
        if let Some(have) = revision.as_deref().filter(|r| *r != want_rev) {
            stale.push(format!("revision {have} → {want_rev}"));
        }
        if let (Some(have), Some(want)) = (proxy_image.as_deref(), expected_image)
            && have != want
            && !custom_image
        {
            stale.push(format!("image {have} → {want}"));
        }
        (!stale.is_empty()).then(|| format!("stale: {}", stale.join(", ")))
    });
    PodState {
        name,
        injected,
        revision,
        proxy_image,
        injected_containers,
        drift,
    }
}

/// The injection labels of a namespace, as one string (`istio-injection=enabled`, `-`).
pub(super) fn injection_label(labels: &crate::model::StringMap) -> String {
    let parts: Vec<String> = [INJECTION_LABEL, REV_LABEL]
        .iter()
        .filter_map(|k| labels.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    if parts.is_empty() {
        "-".to_string()
    } else {
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expected_image_follows_istio_image_rules() {
        let v =
            r#"{"global":{"hub":"docker.io/istio","tag":"1.24.0","proxy":{"image":"proxyv2"}}}"#;
        assert_eq!(
            expected_proxy_image(v).as_deref(),
            Some("docker.io/istio/proxyv2:1.24.0")
        );
        let v = r#"{"global":{"hub":"h","tag":"t","variant":"distroless"}}"#;
        assert_eq!(
            expected_proxy_image(v).as_deref(),
            Some("h/proxyv2:t-distroless")
        );
        let v = r#"{"global":{"hub":"h","tag":"t","proxy":{"image":"my.reg/proxy:9"}}}"#;
        assert_eq!(expected_proxy_image(v).as_deref(), Some("my.reg/proxy:9"));
        assert_eq!(expected_proxy_image("not json: ["), None);
    }

    fn decision(inject: bool, revision: Option<&str>) -> Decision {
        Decision {
            inject,
            decided_by: crate::policy::RuleId::Policy,
            reason: String::new(),
            steps: vec![],
            findings: vec![],
            revision: revision.map(str::to_string),
            hint: None,
        }
    }

    #[test]
    fn drift_is_missing_unexpected_or_stale() {
        let plain = json!({"metadata": {"name": "a"}, "spec": {"containers": [{"name": "app"}]}});
        let injected = json!({
            "metadata": {"name": "b", "annotations": {
                "sidecar.istio.io/status": "{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],\"revision\":\"canary\"}"}},
            "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy", "image": "hub/proxyv2:1.0"}]}
        });
        let d = decision(true, Some("default"));
        assert_eq!(
            pod_state(&plain, Some(&d), None).drift.as_deref(),
            Some("missing sidecar")
        );
        let s = pod_state(&injected, Some(&d), Some("hub/proxyv2:1.1"));
        assert_eq!(
            s.drift.as_deref(),
            Some("stale: revision canary → default, image hub/proxyv2:1.0 → hub/proxyv2:1.1")
        );
        assert_eq!(s.injected_containers, ["istio-init", "istio-proxy"]);
        let no = decision(false, None);
        assert_eq!(
            pod_state(&injected, Some(&no), None).drift.as_deref(),
            Some("unexpected sidecar")
        );
        assert_eq!(pod_state(&plain, Some(&no), None).drift, None);
        let canary = decision(true, Some("canary"));
        assert_eq!(
            pod_state(&injected, Some(&canary), Some("hub/proxyv2:1.0")).drift,
            None
        );
    }

    #[test]
    fn selector_from_match_labels() {
        let d = json!({"spec": {"selector": {"matchLabels": {"app": "web", "tier": "fe"}}}});
        assert_eq!(
            match_labels_selector(&d).as_deref(),
            Some("app=web,tier=fe")
        );
        assert_eq!(match_labels_selector(&json!({})), None);
    }
}

/// One row of a live report: the decision for a workload plus the state of its pods.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LiveItem<'a> {
    #[serde(flatten)]
    pub object: super::explain::ObjectReport<'a>,
    pub pods: Vec<PodState>,
    /// A summary of the pods' drift (`1 missing sidecar`); absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
}

/// Per-namespace totals for `check`.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(super) struct NamespaceSummary {
    pub namespace: String,
    pub injection: String,
    pub pods: usize,
    pub injected: usize,
    pub needing_restart: usize,
}

/// Counts drift kinds: `2 missing sidecar, 1 stale`.
pub(super) fn drift_summary(pods: &[PodState]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in pods {
        if let Some(d) = &p.drift {
            let key = if d.starts_with("stale") {
                "stale"
            } else {
                d.as_str()
            };
            *counts.entry(key).or_default() += 1;
        }
    }
    (!counts.is_empty()).then(|| {
        counts
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    })
}
