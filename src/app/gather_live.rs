//! Gathering from a live cluster for `check` and `explain TYPE/NAME`: the workloads in
//! scope (as the subjects the engine decides on), which controller owns which ReplicaSet or
//! Job, and the running pods — page by page, so a large cluster is never held whole.
//!
//! Forbidden reads become warnings where the answer still means something without them.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::Value;

use crate::cluster::{Cluster, ClusterError, Kind, Scope};
use crate::drift::state::manually_injected;
use crate::manifest::WorkloadKind;
use crate::policy::{Subject, pod_of};
use crate::report::Hint;

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

pub(super) fn connect(kube: &crate::cli::KubeArgs) -> Result<Cluster> {
    use anyhow::Context;
    let mut cluster = Cluster::connect(kube)
        .context("connecting to the cluster")
        .hint("check --kubeconfig / --context, or give manifests with -f to work offline")?;
    observe(&mut cluster, kube);
    Ok(cluster)
}

/// Request logs (`-v 6`) and progress on a terminal, for any command reading a cluster.
pub(super) fn observe(cluster: &mut Cluster, kube: &crate::cli::KubeArgs) {
    cluster.observe(Box::new(crate::report::progress::Progress::new(
        kube.verbosity,
    )));
}

/// The namespace to use: `-n`, else the context's.
pub(super) fn namespace(cluster: &Cluster, kube: &crate::cli::KubeArgs) -> String {
    kube.namespace
        .clone()
        .unwrap_or_else(|| cluster.default_namespace().to_string())
}

/// A read whose 403 (or unserved kind) is a warning, and any other failure an error.
pub(super) fn soft<T>(
    r: Result<T, ClusterError>,
    warnings: &mut Vec<String>,
    instead: &str,
) -> Result<Option<T>, ClusterError> {
    match r {
        Ok(v) => Ok(Some(v)),
        // The server does not serve the kind at this version (batch/v1 CronJob before
        // Kubernetes 1.21): there is nothing of it to read.
        Err(e) if e.is_not_served() => Ok(None),
        Err(e) if e.is_forbidden() => {
            warnings.push(format!("{e}; {instead}"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// True for a MutatingWebhookConfiguration with a webhook of Istio's injector.
pub(super) fn is_injector_configuration(mwc: &Value) -> bool {
    mwc.get("webhooks")
        .and_then(Value::as_array)
        .is_some_and(|hooks| {
            hooks.iter().any(|h| {
                h.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.ends_with(crate::model::istio::INJECTOR_WEBHOOK_SUFFIX))
            })
        })
}

/// `(namespace, kind, name)`.
pub(super) type Key = (String, String, String);

pub(super) fn key_of(obj: &Value, kind: &str) -> Key {
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

/// A workload read from the cluster, ready to decide.
pub(super) struct LiveWorkload {
    pub subject: Subject,
    /// The sidecar is in its pod template (manual injection).
    pub manual: bool,
}

/// The workloads in scope and who controls the ReplicaSets and Jobs.
pub(super) struct Workloads {
    pub items: Vec<LiveWorkload>,
    /// A ReplicaSet's or Job's controller: `(ns, kind, name)` → `(kind, name)`.
    pub controllers: BTreeMap<Key, (String, String)>,
    /// False when no list of workloads could be read (all forbidden).
    pub readable: bool,
}

fn subject(obj: &Value, kind: WorkloadKind) -> Option<LiveWorkload> {
    let (namespace, _, name) = key_of(obj, kind.as_str());
    // An object the API server returned is well-formed; one that is not is skipped rather
    // than failing a whole cluster's report.
    let pod = pod_of(obj, kind).ok()?;
    Some(LiveWorkload {
        subject: Subject {
            at: format!(
                "cluster {} {namespace}/{name}",
                kind.as_str().to_ascii_lowercase()
            ),
            kind,
            name,
            namespace,
            pod,
        },
        manual: manually_injected(obj, kind),
    })
}

/// Lists the workloads of `kinds` in `scope` (not Pods: those come page by page), and the
/// ReplicaSets and Jobs to trace pods to their Deployment or CronJob. A ReplicaSet or Job
/// without a controller is a workload of its own.
pub(super) fn workloads(
    cluster: &Cluster,
    scope: Scope<'_>,
    kinds: &[WorkloadKind],
    warnings: &mut Vec<String>,
) -> Result<Workloads> {
    let mut out = Workloads {
        items: Vec::new(),
        controllers: BTreeMap::new(),
        readable: false,
    };
    // Object by object, each kept only as what it adds (an owner, a subject): a cluster's
    // ReplicaSets with injected templates are tens of MiB as JSON.
    for kind in [Kind::ReplicaSet, Kind::Job] {
        let Some(wk) = WorkloadKind::from_kind(kind.kind()) else {
            continue;
        };
        let listed = soft(
            cluster.list_each(kind, scope, None, |obj| {
                match controller_of(&obj) {
                    Some(owner) => {
                        out.controllers.insert(key_of(&obj, kind.kind()), owner);
                    }
                    None if kinds.contains(&wk) => out.items.extend(subject(&obj, wk)),
                    None => {}
                }
                Ok(())
            }),
            warnings,
            "pods cannot be traced to their workloads through it",
        )?;
        out.readable |= listed.is_some();
    }
    for wk in kinds {
        let Some(kind) = Kind::from_workload(*wk) else {
            continue;
        };
        if matches!(kind, Kind::ReplicaSet | Kind::Job | Kind::Pod) {
            continue; // bare ones were added above; pods come page by page
        }
        let listed = soft(
            cluster.list_each(kind, scope, None, |obj| {
                out.items.extend(subject(&obj, *wk));
                Ok(())
            }),
            warnings,
            "not checked",
        )?;
        out.readable |= listed.is_some();
    }
    Ok(out)
}

/// The top-level controller of a pod: ReplicaSet → Deployment and Job → CronJob are
/// followed one level up.
pub(super) fn top_owner(
    pod: &Value,
    controllers: &BTreeMap<Key, (String, String)>,
) -> Option<(String, String)> {
    let (ns, _, _) = key_of(pod, "Pod");
    let (k, n) = controller_of(pod)?;
    Some(match controllers.get(&(ns, k.clone(), n.clone())) {
        Some(owner) => owner.clone(),
        None => (k, n),
    })
}

/// `a=b,c=d` from a workload's `spec.selector.matchLabels` (the pods it owns carry them).
pub(super) fn match_labels_selector(object: &Value) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selector_from_match_labels() {
        let d = json!({"spec": {"selector": {"matchLabels": {"app": "web", "tier": "fe"}}}});
        assert_eq!(
            match_labels_selector(&d).as_deref(),
            Some("app=web,tier=fe")
        );
        assert_eq!(match_labels_selector(&json!({})), None);
    }

    #[test]
    fn controller_reads_the_controlling_owner_only() {
        let o = json!({"metadata": {"ownerReferences": [
            {"kind": "Other", "name": "x"},
            {"kind": "ReplicaSet", "name": "web-1", "controller": true}]}});
        assert_eq!(
            controller_of(&o),
            Some(("ReplicaSet".into(), "web-1".into()))
        );
        assert_eq!(controller_of(&json!({})), None);
    }

    #[test]
    fn pods_are_traced_through_replicasets() {
        let pod = json!({"metadata": {"namespace": "shop", "name": "web-1-x", "ownerReferences": [
            {"kind": "ReplicaSet", "name": "web-1", "controller": true}]}});
        let mut controllers = BTreeMap::new();
        controllers.insert(
            ("shop".into(), "ReplicaSet".into(), "web-1".into()),
            ("Deployment".into(), "web".into()),
        );
        assert_eq!(
            top_owner(&pod, &controllers),
            Some(("Deployment".into(), "web".into()))
        );
        assert_eq!(
            top_owner(&pod, &BTreeMap::new()),
            Some(("ReplicaSet".into(), "web-1".into()))
        );
    }
}
