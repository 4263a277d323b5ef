//! `cleanup`'s plan on a cluster: remove the injection labels of the namespaces in scope, and
//! (`--restart`) roll the Deployments, StatefulSets and DaemonSets whose pods carry a
//! sidecar the webhook added.
//!
//! What a restart cannot fix is said instead of done: a sidecar in the workload's own pod
//! template (manual injection) comes back on every restart — its manifests need `cleanup -f`;
//! Jobs, CronJobs, bare Pods and other controllers are listed for manual action, never
//! deleted.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Executor, Run, Target};
use crate::model::StringMap;
use crate::model::istio::{INJECTION_LABEL, REV_LABEL};
use crate::model::kind::Kind;

/// A running pod as the restart plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodInfo {
    pub namespace: String,
    pub name: String,
    /// It carries the proxy container.
    pub injected: bool,
    /// Its top-level controller (ReplicaSet → Deployment and Job → CronJob followed), as
    /// `(kind, name)`.
    pub owner: Option<(String, String)>,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Remove these injection labels (`key=value`) from the namespace.
    RemoveLabels {
        namespace: String,
        labels: Vec<String>,
    },
    /// `kubectl rollout restart`.
    Restart(Target),
    /// Pods with a sidecar that a restart by us cannot fix: `(kind, ns, name)`, pod count.
    Manual {
        kind: String,
        namespace: String,
        name: String,
        pods: usize,
    },
    /// The sidecar is in the workload's own pod template: restarting keeps it.
    TemplateInjected(Target),
}

/// A change made (or that would be made) to the cluster.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    /// `labels removed`, `restarted`, `manual action needed`, `manually injected`, `failed`, …
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
}

/// The injection labels a namespace carries (`kubectl label namespace x istio-injection-`).
pub const NAMESPACE_LABELS: [&str; 2] = [INJECTION_LABEL, REV_LABEL];

/// The kinds `kubectl rollout restart` restarts.
fn rollable(kind: &str) -> Option<Kind> {
    match kind {
        "Deployment" => Some(Kind::Deployment),
        "StatefulSet" => Some(Kind::StatefulSet),
        "DaemonSet" => Some(Kind::DaemonSet),
        _ => None,
    }
}

/// Plans the cleanup of `namespaces` (name and labels); with `restart`, also of the injected
/// `pods`' workloads. `template_injected` names the workloads (`(ns, kind, name)`) whose pod
/// template holds the sidecar.
pub fn plan(
    namespaces: &[(String, StringMap)],
    pods: &[PodInfo],
    restart: bool,
    template_injected: &BTreeSet<(String, String, String)>,
) -> Plan {
    let mut steps = Vec::new();
    for (name, labels) in namespaces {
        let present: Vec<String> = NAMESPACE_LABELS
            .iter()
            .filter_map(|k| labels.get(*k).map(|v| format!("{k}={v}")))
            .collect();
        if !present.is_empty() {
            steps.push(Step::RemoveLabels {
                namespace: name.clone(),
                labels: present,
            });
        }
    }
    if !restart {
        return Plan { steps };
    }
    let mut roll: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut manual: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for p in pods.iter().filter(|p| p.injected) {
        let key = match &p.owner {
            Some((k, n)) => (p.namespace.clone(), k.clone(), n.clone()),
            None => (p.namespace.clone(), "Pod".into(), p.name.clone()),
        };
        if rollable(&key.1).is_some() {
            roll.insert(key);
        } else {
            *manual.entry(key).or_default() += 1;
        }
    }
    for (ns, kind, name) in roll {
        let Some(k) = rollable(&kind) else { continue };
        let target = Target::new(k, Some(&ns), &name);
        if template_injected.contains(&(ns, kind, name)) {
            steps.push(Step::TemplateInjected(target));
        } else {
            steps.push(Step::Restart(target));
        }
    }
    for ((namespace, kind, name), pods) in manual {
        steps.push(Step::Manual {
            kind,
            namespace,
            name,
            pods,
        });
    }
    Plan { steps }
}

impl Plan {
    /// Steps that change the cluster.
    pub fn changes(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s, Step::RemoveLabels { .. } | Step::Restart(_)))
            .count()
    }

    /// The plan in words, for stderr before anything is done.
    pub fn text(&self, dry: bool) -> String {
        let mut s = String::from(if dry {
            "plan (dry run, nothing will change):\n"
        } else {
            "plan:\n"
        });
        if self.steps.is_empty() {
            s.push_str("  nothing to do\n");
        }
        for step in &self.steps {
            let line = match step {
                Step::RemoveLabels { namespace, labels } => {
                    format!("namespace {namespace}: remove labels {}", labels.join(", "))
                }
                Step::Restart(t) => format!("{}: restart (rollout restart)", t.kubectl()),
                Step::TemplateInjected(t) => format!(
                    "{}: sidecar in its pod template (manual injection): not restarted",
                    t.kubectl()
                ),
                Step::Manual {
                    kind,
                    namespace,
                    name,
                    pods,
                } => format!(
                    "{}/{name} -n {namespace}: {pods} pod(s) with a sidecar: manual action needed",
                    kind.to_ascii_lowercase()
                ),
            };
            s.push_str(&format!("  {line}\n"));
        }
        s
    }
}

/// Carries the plan out; a failure of one step is recorded and the others go on.
pub fn execute<E: Executor>(plan: &Plan, run: Run, exec: &mut E) -> Vec<Change> {
    let server_dry = run == Run::ServerDryRun;
    let outcome = |r: Result<(), E::Error>, done: &str, would: &str| -> (String, Option<String>) {
        match (run, r) {
            (Run::ClientDryRun, _) => (would.to_string(), None),
            (Run::ServerDryRun, Ok(())) => (would.to_string(), None),
            (Run::Real, Ok(())) => (done.to_string(), None),
            (_, Err(e)) => ("failed".to_string(), Some(e.to_string())),
        }
    };
    let mut out = Vec::new();
    for step in &plan.steps {
        out.push(match step {
            Step::RemoveLabels { namespace, labels } => {
                let r = if run == Run::ClientDryRun {
                    Ok(())
                } else {
                    exec.remove_namespace_labels(namespace, server_dry)
                };
                let (action, err) = outcome(r, "labels removed", "labels would be removed");
                Change {
                    kind: "Namespace".into(),
                    namespace: None,
                    name: namespace.clone(),
                    action,
                    detail: err.or_else(|| Some(labels.join(", "))),
                }
            }
            Step::Restart(t) => {
                let r = if run == Run::ClientDryRun {
                    Ok(())
                } else {
                    exec.restart(t, server_dry)
                };
                let (action, detail) = outcome(r, "restarted", "would restart");
                Change {
                    kind: t.kind.kind().into(),
                    namespace: t.namespace.clone(),
                    name: t.name.clone(),
                    action,
                    detail,
                }
            }
            Step::TemplateInjected(t) => Change {
                kind: t.kind.kind().into(),
                namespace: t.namespace.clone(),
                name: t.name.clone(),
                action: "manually injected".into(),
                detail: Some(format!(
                    "the sidecar is in its pod template, so a restart keeps it: strip the manifests (`kubectl inject cleanup -f FILE -i`), or `kubectl get {} {} -n {} -o yaml | kubectl inject cleanup -f - | kubectl apply -f -`",
                    t.kind.kind().to_ascii_lowercase(),
                    t.name,
                    t.namespace.as_deref().unwrap_or("default")
                )),
            },
            Step::Manual {
                kind,
                namespace,
                name,
                pods,
            } => Change {
                kind: kind.clone(),
                namespace: Some(namespace.clone()),
                name: name.clone(),
                action: "manual action needed".into(),
                detail: Some(format!(
                    "{pods} pod(s) with a sidecar; not restarted by cleanup (a Job or CronJob's next run, or recreating a bare Pod, drops the sidecar once injection is off)"
                )),
            },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Fake {
        calls: Vec<String>,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("forbidden")]
    struct Forbidden;

    impl Executor for Fake {
        type Error = Forbidden;
        fn delete(&mut self, _: &Target, _: bool) -> Result<bool, Forbidden> {
            unreachable!("cleanup deletes nothing")
        }
        fn remove_namespace_labels(&mut self, ns: &str, dry: bool) -> Result<(), Forbidden> {
            self.calls.push(format!("unlabel {ns} {dry}"));
            if ns == "locked" {
                return Err(Forbidden);
            }
            Ok(())
        }
        fn restart(&mut self, t: &Target, dry: bool) -> Result<(), Forbidden> {
            self.calls.push(format!("restart {} {dry}", t.kubectl()));
            Ok(())
        }
    }

    fn pod(ns: &str, name: &str, owner: Option<(&str, &str)>) -> PodInfo {
        PodInfo {
            namespace: ns.into(),
            name: name.into(),
            injected: true,
            owner: owner.map(|(k, n)| (k.into(), n.into())),
        }
    }

    #[test]
    fn restarts_only_what_a_restart_fixes() {
        let labels = |pairs: &[(&str, &str)]| -> StringMap {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let namespaces = vec![
            (
                "shop".to_string(),
                labels(&[("istio-injection", "enabled"), ("team", "a")]),
            ),
            ("quiet".to_string(), labels(&[("team", "b")])),
        ];
        let pods = vec![
            pod("shop", "web-1", Some(("Deployment", "web"))),
            pod("shop", "web-2", Some(("Deployment", "web"))),
            pod("shop", "kube-1", Some(("Deployment", "manual"))),
            pod("shop", "batch-1", Some(("Job", "batch"))),
            pod("shop", "bare", None),
            PodInfo {
                injected: false,
                ..pod("shop", "plain-1", Some(("Deployment", "plain")))
            },
        ];
        let manual = BTreeSet::from([(
            "shop".to_string(),
            "Deployment".to_string(),
            "manual".to_string(),
        )]);
        let p = plan(&namespaces, &pods, true, &manual);
        assert_eq!(
            p.steps,
            vec![
                Step::RemoveLabels {
                    namespace: "shop".into(),
                    labels: vec!["istio-injection=enabled".into()]
                },
                Step::TemplateInjected(Target::new(Kind::Deployment, Some("shop"), "manual")),
                Step::Restart(Target::new(Kind::Deployment, Some("shop"), "web")),
                Step::Manual {
                    kind: "Job".into(),
                    namespace: "shop".into(),
                    name: "batch".into(),
                    pods: 1
                },
                Step::Manual {
                    kind: "Pod".into(),
                    namespace: "shop".into(),
                    name: "bare".into(),
                    pods: 1
                },
            ]
        );
        assert_eq!(p.changes(), 2);
        let mut fake = Fake::default();
        let changes = execute(&p, Run::Real, &mut fake);
        assert_eq!(
            fake.calls,
            ["unlabel shop false", "restart deployment/web -n shop false"]
        );
        let manual = changes.iter().find(|c| c.name == "manual").unwrap();
        assert_eq!(manual.action, "manually injected");
        assert!(
            manual
                .detail
                .as_deref()
                .unwrap()
                .contains("kubectl inject cleanup -f")
        );
        let mut fake = Fake::default();
        let changes = execute(&p, Run::ClientDryRun, &mut fake);
        assert!(fake.calls.is_empty());
        assert_eq!(changes[0].action, "labels would be removed");
        assert!(p.text(true).starts_with("plan (dry run, nothing will change):\n  namespace shop: remove labels istio-injection=enabled\n"));
    }

    #[test]
    fn a_failure_is_recorded_and_the_rest_goes_on() {
        let namespaces = vec![
            (
                "locked".to_string(),
                StringMap::from([("istio.io/rev".into(), "canary".into())]),
            ),
            (
                "open".to_string(),
                StringMap::from([("istio.io/rev".into(), "canary".into())]),
            ),
        ];
        let p = plan(&namespaces, &[], false, &BTreeSet::new());
        let changes = execute(&p, Run::Real, &mut Fake::default());
        assert_eq!(changes[0].action, "failed");
        assert_eq!(changes[0].detail.as_deref(), Some("forbidden"));
        assert_eq!(changes[1].action, "labels removed");
    }
}
