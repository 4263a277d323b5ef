//! A running pod against what the injection policy says now: is it injected, by which
//! revision, and does that still hold (missing, unexpected, stale revision, stale template)?
//! Then, per workload, the remedy that fixes exactly that — never one that harms (a restart
//! for what a restart fixes; for a sidecar baked into the pod template, re-injecting the
//! manifest; `cleanup` only for leaving the mesh).
//!
//! Pure: works on the pod as the API server returned it, the decision for it, and a
//! [`TemplateCheck`] that re-renders the pod with its revision's configuration.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Difference, describe};
use crate::inject::status::InjectionStatus;
use crate::manifest::WorkloadKind;
use crate::model::istio::{PROXY_CONTAINER, STATUS_ANNOTATION};
use crate::policy::Decision;

/// What kind of drift a pod shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// The policy says inject, the pod has no sidecar.
    Missing,
    /// The pod has a sidecar the policy no longer gives it.
    Unexpected,
    /// Injected by another revision than the one whose webhook is called now.
    StaleRevision,
    /// Injected by the right revision, with a configuration that has changed since.
    StaleTemplate,
}

impl DriftKind {
    /// Short words for tables and summaries.
    pub fn word(self) -> &'static str {
        match self {
            DriftKind::Missing => "missing sidecar",
            DriftKind::Unexpected => "unexpected sidecar",
            DriftKind::StaleRevision => "stale revision",
            DriftKind::StaleTemplate => "stale template",
        }
    }
}

/// One pod's drift: its kind, a sentence, and for a stale template what changed (from the
/// running pod to what its injector makes now). JSON adds the kind's `KI2xx` code as
/// `kiCode` (`docs/findings.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub kind: DriftKind,
    pub message: String,
    pub changes: Vec<Difference>,
}

impl Serialize for Drift {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("Drift", 4)?;
        m.serialize_field("kind", &self.kind)?;
        m.serialize_field(
            "kiCode",
            crate::findings::code(crate::findings::Coded::Drift(self.kind)),
        )?;
        m.serialize_field("message", &self.message)?;
        if !self.changes.is_empty() {
            m.serialize_field("changes", &self.changes)?;
        }
        m.end()
    }
}

/// What a running pod carries of an injection.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodState {
    pub name: String,
    pub injected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy_image: Option<String>,
    /// Containers the status record says the injector added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub injected_containers: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// Why the template was not compared, when it could not be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_not_checked: Option<String>,
}

/// Re-renders an injected pod with the current configuration of its revision and says what
/// differs from the pod as it runs.
pub trait TemplateCheck {
    /// Why a pod could not be compared; its text is the report's `templateNotChecked`.
    type Error: std::fmt::Display;
    /// `Ok(changes)` (empty when the pod matches); `Err(why)` when it cannot be compared
    /// (the revision's configuration was not read, the render failed).
    fn changes(&mut self, pod: &Value, revision: &str) -> Result<Vec<Difference>, Self::Error>;
}

fn containers<'a>(pod: &'a Value, field: &str) -> impl Iterator<Item = &'a Value> {
    pod.pointer(&format!("/spec/{field}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The pod's status record, when it has a readable one.
pub fn status_of(pod: &Value) -> Option<InjectionStatus> {
    pod.pointer("/metadata/annotations")
        .and_then(|a| a.get(STATUS_ANNOTATION))
        .and_then(Value::as_str)
        .and_then(InjectionStatus::parse)
}

/// True when the pod (or pod template) carries the proxy container.
pub fn has_proxy(pod: &Value) -> bool {
    containers(pod, "containers")
        .chain(containers(pod, "initContainers"))
        .any(|c| c.get("name").and_then(Value::as_str) == Some(PROXY_CONTAINER))
}

/// Reads a pod's injection state and compares it with the decision for it (when there is
/// one: without, only the state).
pub fn pod_state(
    pod: &Value,
    decision: Option<&Decision>,
    templates: &mut impl TemplateCheck,
) -> PodState {
    let name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let proxy = containers(pod, "containers")
        .chain(containers(pod, "initContainers"))
        .find(|c| c.get("name").and_then(Value::as_str) == Some(PROXY_CONTAINER));
    let injected = proxy.is_some();
    let proxy_image = proxy
        .and_then(|c| c.get("image"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let status = status_of(pod);
    let revision = status
        .as_ref()
        .map(|s| s.revision.clone())
        .filter(|r| !r.is_empty());
    let injected_containers = status
        .as_ref()
        .map(|s| {
            s.init_containers
                .iter()
                .chain(&s.containers)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let mut state = PodState {
        name,
        injected,
        revision,
        proxy_image,
        injected_containers,
        drift: None,
        template_not_checked: None,
    };
    let Some(d) = decision else {
        return state;
    };
    state.drift = match (d.inject, injected) {
        (true, false) => Some(Drift {
            kind: DriftKind::Missing,
            message: "missing sidecar: the policy injects this pod, which has none".into(),
            changes: Vec::new(),
        }),
        (false, true) => Some(Drift {
            kind: DriftKind::Unexpected,
            message: format!("unexpected sidecar: {}", d.reason),
            changes: Vec::new(),
        }),
        (false, false) => None,
        (true, true) => {
            let want = d.revision.as_deref().unwrap_or("default");
            match state.revision.as_deref() {
                Some(have) if have != want => Some(Drift {
                    kind: DriftKind::StaleRevision,
                    message: format!(
                        "stale revision: injected by revision {have}, now revision {want}'s webhook is called"
                    ),
                    changes: Vec::new(),
                }),
                _ => match templates.changes(pod, want) {
                    Ok(changes) if changes.is_empty() => None,
                    Ok(changes) => Some(Drift {
                        kind: DriftKind::StaleTemplate,
                        message: format!("stale template: {}", describe(&changes)),
                        changes,
                    }),
                    Err(why) => {
                        state.template_not_checked = Some(why.to_string());
                        None
                    }
                },
            }
        }
    };
    state
}

/// Counts drift kinds over pods: `2 missing sidecar, 1 stale template`.
pub fn summary(pods: &[PodState]) -> Option<String> {
    let mut counts: BTreeMap<DriftKind, usize> = BTreeMap::new();
    for p in pods {
        if let Some(d) = &p.drift {
            *counts.entry(d.kind).or_default() += 1;
        }
    }
    (!counts.is_empty()).then(|| {
        counts
            .iter()
            .map(|(k, n)| format!("{n} {}", k.word()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

/// What runs the pods: how to act on drift depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    /// The sidecar is in the workload's own pod template (injected by `kubectl inject
    /// inject` or `istioctl kube-inject`, not by the webhook): a restart keeps it.
    pub manual: bool,
}

/// True when a workload's pod template already holds the sidecar (manual injection).
pub fn manually_injected(object: &Value, kind: WorkloadKind) -> bool {
    let ptr = kind.pod_template_pointer();
    let template = if ptr.is_empty() {
        return false; // a Pod's own sidecar is what the webhook added
    } else {
        object.pointer(ptr)
    };
    template.is_some_and(|t| {
        has_proxy(t)
            || t.pointer("/metadata/annotations")
                .and_then(|a| a.get(STATUS_ANNOTATION))
                .is_some()
    })
}

/// kubectl's resource name of a kind, for commands (`deployment`, `cronjob`).
fn resource(kind: WorkloadKind) -> String {
    kind.as_str().to_ascii_lowercase()
}

/// The remedy for a workload whose pods drifted, naming the objects. `pods` are the names
/// of the drifted pods (for kinds whose pods must be recreated by hand).
pub fn remedy(
    workload: &Workload,
    kinds: &[DriftKind],
    pods: &[&str],
    decision: &Decision,
) -> Option<String> {
    if kinds.is_empty() {
        return None;
    }
    let ns = &workload.namespace;
    let name = &workload.name;
    let res = resource(workload.kind);
    let unexpected_only = kinds.iter().all(|k| *k == DriftKind::Unexpected);
    if workload.manual {
        return Some(format!(
            "the sidecar is part of {res}/{name}'s pod template (manual injection), so a restart keeps it: {}",
            if unexpected_only {
                format!(
                    "remove it from the manifest with `kubectl get {res} {name} -n {ns} -o yaml | kubectl inject cleanup -f - | kubectl apply -f -`"
                )
            } else {
                format!(
                    "re-inject the manifest with `kubectl get {res} {name} -n {ns} -o yaml | kubectl inject inject -f - | kubectl apply -f -`"
                )
            }
        ));
    }
    let act = match workload.kind {
        WorkloadKind::Deployment | WorkloadKind::StatefulSet | WorkloadKind::DaemonSet => {
            format!("restart it: `kubectl rollout restart {res}/{name} -n {ns}`")
        }
        WorkloadKind::CronJob => format!(
            "its next run creates pods as the policy says; to act now, delete the running job pods: `kubectl delete pod -n {ns} {}`",
            pods.join(" ")
        ),
        WorkloadKind::Job => format!(
            "a Job's pods are not restarted: re-run it (delete and re-create job {name} in {ns}), or delete its pods if it retries: `kubectl delete pod -n {ns} {}`",
            pods.join(" ")
        ),
        WorkloadKind::ReplicaSet | WorkloadKind::ReplicationController => format!(
            "delete its pods, which {res}/{name} recreates: `kubectl delete pod -n {ns} {}`",
            pods.join(" ")
        ),
        WorkloadKind::Pod | WorkloadKind::DeploymentConfig => format!(
            "re-create the pod (a bare pod is injected only when created): `kubectl get pod {} -n {ns} -o yaml | kubectl replace --force -f -`",
            pods.join(" ")
        ),
    };
    if unexpected_only {
        let why = &decision.reason;
        let undo = match &decision.hint {
            Some(h) => format!("; if not, {h}"),
            None => String::new(),
        };
        return Some(format!(
            "the policy no longer injects these pods ({why}); if that is intended, {act}{undo}"
        ));
    }
    Some(format!(
        "pods were created before the policy or configuration changed: {act}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decision(inject: bool, revision: Option<&str>) -> Decision {
        Decision {
            inject,
            decided_by: crate::policy::RuleId::Policy,
            reason: "policy is disabled and the pod does not opt in".into(),
            steps: vec![],
            findings: vec![],
            revision: revision.map(str::to_string),
            tag: None,
            webhook: None,
            config: None,
            hint: None,
        }
    }

    struct Fixed(Vec<Difference>);
    impl TemplateCheck for Fixed {
        type Error = std::convert::Infallible;
        fn changes(&mut self, _: &Value, _: &str) -> Result<Vec<Difference>, Self::Error> {
            Ok(self.0.clone())
        }
    }

    /// A check for when no configuration can be rendered: says why, once per pod.
    struct NoTemplateCheck(&'static str);
    impl TemplateCheck for NoTemplateCheck {
        type Error = &'static str;
        fn changes(&mut self, _: &Value, _: &str) -> Result<Vec<Difference>, Self::Error> {
            Err(self.0)
        }
    }

    fn injected(rev: &str) -> Value {
        json!({
            "metadata": {"name": "b", "annotations": {
                "sidecar.istio.io/status": format!("{{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],\"revision\":\"{rev}\"}}")}},
            "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy", "image": "hub/proxyv2:1.0"}]}
        })
    }

    #[test]
    fn drift_kinds() {
        let plain = json!({"metadata": {"name": "a"}, "spec": {"containers": [{"name": "app"}]}});
        let mut same = Fixed(vec![]);
        let kind = |s: &PodState| s.drift.as_ref().map(|d| d.kind);
        let yes = decision(true, Some("default"));
        assert_eq!(
            kind(&pod_state(&plain, Some(&yes), &mut same)),
            Some(DriftKind::Missing)
        );
        let s = pod_state(&injected("canary"), Some(&yes), &mut same);
        assert_eq!(kind(&s), Some(DriftKind::StaleRevision));
        assert_eq!(
            s.drift.unwrap().message,
            "stale revision: injected by revision canary, now revision default's webhook is called"
        );
        assert_eq!(s.injected_containers, ["istio-init", "istio-proxy"]);
        let canary = decision(true, Some("canary"));
        assert_eq!(
            kind(&pod_state(&injected("canary"), Some(&canary), &mut same)),
            None
        );
        let mut changed = Fixed(vec![Difference {
            kind: super::super::Change::Added,
            path: "spec.containers[istio-proxy].env[ISTIO_META_X]".into(),
            words: "istio-proxy env ISTIO_META_X added".into(),
            actual: None,
            predicted: Some(json!("1")),
        }]);
        let s = pod_state(&injected("canary"), Some(&canary), &mut changed);
        assert_eq!(
            s.drift.as_ref().unwrap().message,
            "stale template: istio-proxy env ISTIO_META_X added"
        );
        let no = decision(false, None);
        assert_eq!(
            kind(&pod_state(&injected("default"), Some(&no), &mut same)),
            Some(DriftKind::Unexpected)
        );
        assert_eq!(kind(&pod_state(&plain, Some(&no), &mut same)), None);
        let mut none = NoTemplateCheck("revision canary's configuration was not read");
        let s = pod_state(&injected("canary"), Some(&canary), &mut none);
        assert_eq!(s.drift, None);
        assert_eq!(
            s.template_not_checked.as_deref(),
            Some("revision canary's configuration was not read")
        );
    }

    #[test]
    fn remedies_fit_the_workload_and_never_suggest_cleanup_for_missing_sidecars() {
        let d = decision(true, Some("default"));
        let w = |kind, manual| Workload {
            kind,
            namespace: "shop".into(),
            name: "web".into(),
            manual,
        };
        let r = remedy(
            &w(WorkloadKind::Deployment, false),
            &[DriftKind::Missing],
            &["web-1"],
            &d,
        )
        .unwrap();
        assert!(
            r.ends_with("`kubectl rollout restart deployment/web -n shop`"),
            "{r}"
        );
        assert!(!r.contains("cleanup"), "{r}");
        let r = remedy(
            &w(WorkloadKind::Pod, false),
            &[DriftKind::StaleTemplate],
            &["web"],
            &d,
        )
        .unwrap();
        assert!(
            r.contains("kubectl get pod web -n shop -o yaml | kubectl replace --force -f -"),
            "{r}"
        );
        let r = remedy(
            &w(WorkloadKind::Deployment, true),
            &[DriftKind::StaleTemplate],
            &[],
            &d,
        )
        .unwrap();
        assert!(r.contains("manual injection"), "{r}");
        assert!(r.contains("kubectl inject inject -f -"), "{r}");
        let no = Decision {
            hint: Some("run `kubectl label namespace shop istio-injection=enabled`".into()),
            ..decision(false, None)
        };
        let r = remedy(
            &w(WorkloadKind::StatefulSet, false),
            &[DriftKind::Unexpected],
            &[],
            &no,
        )
        .unwrap();
        assert!(
            r.starts_with("the policy no longer injects these pods (policy is disabled"),
            "{r}"
        );
        assert!(
            r.contains("if not, run `kubectl label namespace shop istio-injection=enabled`"),
            "{r}"
        );
        assert_eq!(remedy(&w(WorkloadKind::Job, false), &[], &[], &d), None);
    }

    #[test]
    fn manual_injection_is_a_sidecar_in_the_template() {
        let manual = json!({"spec": {"template": {"spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]}}}});
        let auto = json!({"spec": {"template": {"spec": {"containers": [{"name": "app"}]}}}});
        assert!(manually_injected(&manual, WorkloadKind::Deployment));
        assert!(!manually_injected(&auto, WorkloadKind::Deployment));
        let pod = json!({"spec": {"containers": [{"name": "istio-proxy"}]}});
        assert!(!manually_injected(&pod, WorkloadKind::Pod));
        let summary_pods = [pod_state(
            &pod,
            Some(&decision(false, None)),
            &mut Fixed(vec![]),
        )];
        assert_eq!(
            summary(&summary_pods).as_deref(),
            Some("1 unexpected sidecar")
        );
    }
}
