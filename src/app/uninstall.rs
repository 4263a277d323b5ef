//! `uninstall`: remove the sidecar injector's own resources. Gather (which of the named
//! objects exist, whether they carry the injector's labels, which pods still carry
//! sidecars) → plan → confirm → delete in a safe order → one report.
//!
//! Order: the MutatingWebhookConfiguration goes first, so pod creation is never sent to a
//! webhook whose backend is already gone; then the workload, its Service, its identity and
//! its RBAC. Objects already gone are reported as such (idempotent, exit 0); any failed
//! deletion makes the run exit 2 after reporting exactly what was and was not deleted.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::Value;

use super::Outcome;
use super::live;
use crate::cli::{DryRun, OutputFormat, UninstallArgs};
use crate::cluster::{Cluster, Kind, Scope};
use crate::report::{self, Hint};

/// One object the injector owns, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub name: String,
}

/// The objects to remove, in deletion order (webhook first).
///
/// Without a revision: the standalone injector of the reference docs (1.2–1.4 manual
/// uninstall). With `-r REV`: what a current revisioned install dedicates to injection — the
/// webhook `<name>-<rev>` (`-<ns>` appended outside `istio-system`) and its template
/// ConfigMap `<name>-<rev>`; the backend there is `istiod-<rev>`, shared with discovery, which
/// is `istioctl uninstall`'s to remove, not ours.
pub(super) fn targets(name: &str, ns: &str, revision: Option<&str>) -> Vec<Target> {
    let cluster = |kind, name: String| Target {
        kind,
        namespace: None,
        name,
    };
    let namespaced = |kind, name: String| Target {
        kind,
        namespace: Some(ns.to_string()),
        name,
    };
    match revision.filter(|r| !r.is_empty() && *r != "default") {
        Some(rev) => {
            let mut mwc = format!("{name}-{rev}");
            if ns != "istio-system" {
                mwc.push_str(&format!("-{ns}"));
            }
            vec![
                cluster(Kind::MutatingWebhookConfiguration, mwc),
                namespaced(Kind::ConfigMap, format!("{name}-{rev}")),
            ]
        }
        None => vec![
            cluster(Kind::MutatingWebhookConfiguration, name.to_string()),
            namespaced(Kind::Deployment, name.to_string()),
            namespaced(Kind::Service, name.to_string()),
            namespaced(Kind::ServiceAccount, name.to_string()),
            namespaced(Kind::ServiceAccount, format!("{name}-service-account")),
            cluster(
                Kind::ClusterRoleBinding,
                format!("{name}-admin-role-binding-{ns}"),
            ),
            cluster(Kind::ClusterRole, format!("{name}-{ns}")),
        ],
    }
}

/// Whether an object carries the injector's labels: the standalone chart's
/// `app: sidecarInjectorWebhook` / `istio: sidecar-injector`, or istiod's webhook
/// `app: sidecar-injector`; with a revision, also `istio.io/rev: <rev>`.
pub(super) fn labelled(obj: &Value, revision: Option<&str>) -> bool {
    let label = |k: &str| {
        obj.pointer("/metadata/labels")
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
    };
    let injector = matches!(
        label("app"),
        Some("sidecarInjectorWebhook" | "sidecar-injector" | "istio-sidecar-injector")
    ) || label("istio") == Some("sidecar-injector");
    let rev_ok = match revision.filter(|r| !r.is_empty()) {
        Some(rev) => label("istio.io/rev") == Some(rev),
        None => true,
    };
    injector && rev_ok
}

/// What happened to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum Result_ {
    Deleted,
    /// `--dry-run`: it exists and would be deleted.
    WouldDelete,
    /// Not there when planned, or gone by the time of the delete.
    AlreadyGone,
    /// Exists but does not carry the injector's labels (no `--force`).
    Kept,
    Failed,
    /// Not attempted: an earlier step stopped the run.
    NotAttempted,
}

impl Result_ {
    fn word(self) -> &'static str {
        match self {
            Result_::Deleted => "deleted",
            Result_::WouldDelete => "would delete",
            Result_::AlreadyGone => "already gone",
            Result_::Kept => "kept (not labelled as the injector's)",
            Result_::Failed => "FAILED",
            Result_::NotAttempted => "not attempted",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Action {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub existed: bool,
    pub result: Result_,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InjectedPods {
    pub total: usize,
    /// Pods with a sidecar per namespace.
    pub namespaces: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UninstallReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<&'static str>,
    pub actions: Vec<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injected_pods: Option<InjectedPods>,
    pub warnings: Vec<String>,
}

pub fn run(args: &UninstallArgs) -> Result<Outcome> {
    let cluster = live::connect(&args.kube)?;
    let ns = args.istio_namespace.as_str();
    let revision = args.revision.as_deref();
    let mut report = UninstallReport {
        dry_run: args.dry_run.map(|d| match d {
            DryRun::Client => "client",
            DryRun::Server => "server",
        }),
        actions: Vec::new(),
        injected_pods: None,
        warnings: Vec::new(),
    };

    // Gather: each target's current state.
    let mut found: Vec<(Target, Option<Value>)> = Vec::new();
    for t in targets(&args.name, ns, revision) {
        let obj = cluster.get(t.kind, t.namespace.as_deref(), &t.name)?;
        found.push((t, obj));
    }
    match injected_pods(&cluster) {
        Ok(p) => {
            if p.total > 0 {
                let wheres: Vec<String> = p
                    .namespaces
                    .iter()
                    .map(|(n, c)| format!("{n} ({c})"))
                    .collect();
                report.warnings.push(format!(
                    "{} pod(s) still carry an injected sidecar, in {}; uninstalling the injector \
                     does not remove them: run `kubectl inject cleanup -A --restart` (after \
                     removing the injection labels) to roll them without sidecars",
                    p.total,
                    wheres.join(", ")
                ));
            }
            report.injected_pods = Some(p);
        }
        Err(e) => report
            .warnings
            .push(format!("cannot check for injected pods: {e}")),
    }
    if args.strict && report.injected_pods.as_ref().is_some_and(|p| p.total > 0) {
        report::stderr(&warnings_text(&report.warnings));
        bail!(
            anyhow::anyhow!("--strict: pods still carry injected sidecars; nothing was deleted")
                .hint("run `kubectl inject cleanup -A --restart` first, or drop --strict")
        );
    }
    if args.strict && report.injected_pods.is_none() {
        report::stderr(&warnings_text(&report.warnings));
        bail!(
            anyhow::anyhow!(
                "--strict: cannot tell whether pods still carry sidecars; nothing was deleted"
            )
            .hint("run with a user that may list pods in all namespaces")
        );
    }

    // Plan.
    let plan: Vec<(Target, Option<Value>, Result_)> = found
        .into_iter()
        .map(|(t, obj)| {
            let planned = match &obj {
                None => Result_::AlreadyGone,
                Some(o) if !args.force && !labelled(o, revision) => Result_::Kept,
                Some(_) => Result_::NotAttempted,
            };
            (t, obj, planned)
        })
        .collect();
    report::stderr(&plan_text(&plan, args.dry_run.is_some()));
    report::stderr(&warnings_text(&report.warnings));

    if args.dry_run == Some(DryRun::Client) && args.output == OutputFormat::Yaml {
        // The objects that would be deleted, as a manifest.
        let mut out = String::new();
        for (_, obj, planned) in &plan {
            if let (Some(o), Result_::NotAttempted) = (obj, planned) {
                out.push_str(&crate::yaml::to_string(&manifest_of(o)));
                out.push_str("---\n");
            }
        }
        report::stdout(&out)?;
        return Ok(Outcome::Success);
    }

    let to_delete = plan
        .iter()
        .filter(|(_, _, p)| *p == Result_::NotAttempted)
        .count();
    if args.dry_run.is_none() && to_delete > 0 && !args.yes {
        confirm(to_delete)?;
    }

    // Delete, webhook first; keep going after a failure so the report is complete, but never
    // delete the backend while the webhook that calls it could not be removed.
    let mut webhook_failed = false;
    for (t, obj, planned) in plan {
        let mut action = Action {
            kind: t.kind.kind(),
            namespace: t.namespace.clone(),
            name: t.name.clone(),
            existed: obj.is_some(),
            result: planned,
            message: None,
        };
        if planned == Result_::NotAttempted {
            if webhook_failed {
                action.message = Some(
                    "the webhook configuration could not be deleted; its backend stays".into(),
                );
            } else if args.dry_run == Some(DryRun::Client) {
                action.result = Result_::WouldDelete;
            } else {
                let server_dry = args.dry_run == Some(DryRun::Server);
                match cluster.delete(t.kind, t.namespace.as_deref(), &t.name, server_dry) {
                    Ok(true) if server_dry => action.result = Result_::WouldDelete,
                    Ok(true) => action.result = Result_::Deleted,
                    Ok(false) => action.result = Result_::AlreadyGone,
                    Err(e) => {
                        action.result = Result_::Failed;
                        action.message = Some(e.to_string());
                        if t.kind == Kind::MutatingWebhookConfiguration {
                            webhook_failed = true;
                        }
                    }
                }
            }
        }
        report.actions.push(action);
    }

    let out = match args.output {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
        OutputFormat::Yaml => crate::yaml::to_string(&serde_json::to_value(&report)?),
        OutputFormat::Name => report
            .actions
            .iter()
            .filter(|a| matches!(a.result, Result_::Deleted | Result_::WouldDelete))
            .map(|a| format!("{}/{}\n", a.kind.to_ascii_lowercase(), a.name))
            .collect(),
        OutputFormat::Table | OutputFormat::Wide => table(&report.actions),
    };
    report::stdout(&out)?;

    let failed: Vec<String> = report
        .actions
        .iter()
        .filter(|a| a.result == Result_::Failed)
        .map(|a| {
            format!(
                "{} {}: {}",
                a.kind,
                a.name,
                a.message.as_deref().unwrap_or("")
            )
        })
        .collect();
    if !failed.is_empty() {
        let deleted = report
            .actions
            .iter()
            .filter(|a| a.result == Result_::Deleted)
            .count();
        bail!(
            anyhow::anyhow!("{}", failed.join("\n"))
                .context(format!(
                    "uninstall incomplete: {} deletion(s) failed, {deleted} succeeded (see the table above)",
                    failed.len()
                ))
                .hint("fix the permissions and run again: objects already gone are skipped")
        );
    }
    Ok(Outcome::Success)
}

/// Pods in every namespace that carry an injected sidecar, counted per namespace.
fn injected_pods(cluster: &Cluster) -> Result<InjectedPods, crate::cluster::ClusterError> {
    let pods = cluster.list(Kind::Pod, Scope::All, None)?;
    let mut namespaces: BTreeMap<String, usize> = BTreeMap::new();
    for p in &pods {
        if live::pod_state(p, None, None).injected {
            let ns = p
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            *namespaces.entry(ns).or_default() += 1;
        }
    }
    Ok(InjectedPods {
        total: namespaces.values().sum(),
        namespaces,
    })
}

/// On a terminal, ask; otherwise refuse: a script must say `--yes`.
fn confirm(count: usize) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!(
            anyhow::anyhow!(
                "refusing to delete {count} object(s) without confirmation: stdin is not a terminal"
            )
            .hint("pass --yes to proceed from a script, or --dry-run to only look")
        );
    }
    report::stderr(&format!("Delete {count} object(s)? (y/N) "));
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if matches!(line.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        return Ok(());
    }
    bail!(anyhow::anyhow!("cancelled; nothing was deleted").hint("pass --yes to skip the question"))
}

fn plan_text(plan: &[(Target, Option<Value>, Result_)], dry: bool) -> String {
    let mut s = String::from(if dry {
        "plan (dry run, nothing will change):\n"
    } else {
        "plan:\n"
    });
    for (t, obj, planned) in plan {
        let what = match (obj, planned) {
            (None, _) => "not found",
            (Some(_), Result_::Kept) => {
                "exists, not labelled as the injector's: kept (use --force)"
            }
            (Some(_), _) => "exists: delete",
        };
        s.push_str(&format!(
            "  {} {}{}: {what}\n",
            t.kind.kind(),
            t.name,
            t.namespace
                .as_deref()
                .map(|n| format!(" (namespace {n})"))
                .unwrap_or_default()
        ));
    }
    s
}

fn warnings_text(warnings: &[String]) -> String {
    warnings.iter().map(|w| format!("warning: {w}\n")).collect()
}

fn table(actions: &[Action]) -> String {
    let rows: Vec<[String; 5]> = actions
        .iter()
        .map(|a| {
            [
                a.kind.to_string(),
                a.namespace.clone().unwrap_or_else(|| "-".into()),
                a.name.clone(),
                if a.existed { "yes" } else { "no" }.to_string(),
                match &a.message {
                    Some(m) => format!("{}: {m}", a.result.word()),
                    None => a.result.word().to_string(),
                },
            ]
        })
        .collect();
    let header = [
        "KIND".to_string(),
        "NAMESPACE".into(),
        "NAME".into(),
        "EXISTED".into(),
        "RESULT".into(),
    ];
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&crate::report::pad(cell, w));
                line.push_str("   ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The object as a manifest one could apply again: server-managed fields dropped.
fn manifest_of(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
            "selfLink",
        ] {
            meta.remove(k);
        }
    }
    if let Some(map) = o.as_object_mut() {
        map.remove("status");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn targets_webhook_first_with_reference_names() {
        let t = targets("istio-sidecar-injector", "istio-system", None);
        let names: Vec<(&str, &str)> = t.iter().map(|t| (t.kind.kind(), t.name.as_str())).collect();
        assert_eq!(
            names,
            vec![
                ("MutatingWebhookConfiguration", "istio-sidecar-injector"),
                ("Deployment", "istio-sidecar-injector"),
                ("Service", "istio-sidecar-injector"),
                ("ServiceAccount", "istio-sidecar-injector"),
                ("ServiceAccount", "istio-sidecar-injector-service-account"),
                (
                    "ClusterRoleBinding",
                    "istio-sidecar-injector-admin-role-binding-istio-system"
                ),
                ("ClusterRole", "istio-sidecar-injector-istio-system"),
            ]
        );
        // `default` is the revision-less install.
        assert_eq!(
            t,
            targets("istio-sidecar-injector", "istio-system", Some("default"))
        );
    }

    #[test]
    fn revisioned_names() {
        let rows = [
            ("istio-system", "istio-sidecar-injector-canary"),
            ("mesh", "istio-sidecar-injector-canary-mesh"),
        ];
        for (ns, mwc) in rows {
            let t = targets("istio-sidecar-injector", ns, Some("canary"));
            assert_eq!(t.len(), 2);
            assert_eq!(t[0].name, mwc, "{ns}");
            assert_eq!(t[1].name, "istio-sidecar-injector-canary");
            assert_eq!(t[1].namespace.as_deref(), Some(ns));
        }
    }

    #[test]
    fn labels_that_mark_the_injector() {
        let o = |labels: Value| json!({"metadata": {"labels": labels}});
        let rows = [
            (o(json!({"app": "sidecarInjectorWebhook"})), None, true),
            (o(json!({"istio": "sidecar-injector"})), None, true),
            (
                o(json!({"app": "sidecar-injector", "istio.io/rev": "canary"})),
                Some("canary"),
                true,
            ),
            (
                o(json!({"app": "sidecar-injector", "istio.io/rev": "default"})),
                Some("canary"),
                false,
            ),
            (o(json!({"app": "web"})), None, false),
            (json!({"metadata": {}}), None, false),
        ];
        for (obj, rev, want) in rows {
            assert_eq!(labelled(&obj, rev), want, "{obj} {rev:?}");
        }
    }

    #[test]
    fn manifest_drops_server_fields() {
        let o = json!({"kind": "Service", "metadata": {"name": "x", "uid": "u", "resourceVersion": "1", "managedFields": []}, "status": {}});
        assert_eq!(
            manifest_of(&o),
            json!({"kind": "Service", "metadata": {"name": "x"}})
        );
    }
}
