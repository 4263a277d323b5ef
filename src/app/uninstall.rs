//! `uninstall`: remove the sidecar injector's own resources. Gather (which of the named
//! objects exist, which pods of that revision still carry sidecars) → plan (pure,
//! `plan::uninstall`) → confirm → carry out → one report.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::Value;

use super::Outcome;
use super::gather_live::connect;
use super::prompt::confirm;
use crate::cli::{DryRun, OutputFormat, UninstallArgs};
use crate::cluster::{Cluster, Kind, Scope};
use crate::drift::state::{has_proxy, status_of};
use crate::plan::uninstall::{self, Action, ActionResult};
use crate::plan::{Run, Target};
use crate::report::table::{Cell, Style, Table};
use crate::report::{self, Hint};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct InjectedPods {
    /// The revision counted (`default` without `-r`).
    revision: String,
    total: usize,
    /// Pods of that revision with a sidecar, per namespace.
    namespaces: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct UninstallReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<&'static str>,
    actions: Vec<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    injected_pods: Option<InjectedPods>,
    warnings: Vec<String>,
}

pub(super) fn run_of(dry: Option<DryRun>) -> Run {
    match dry {
        None => Run::Real,
        Some(DryRun::Client) => Run::ClientDryRun,
        Some(DryRun::Server) => Run::ServerDryRun,
    }
}

pub(super) fn dry_word(dry: Option<DryRun>) -> Option<&'static str> {
    dry.map(|d| match d {
        DryRun::Client => "client",
        DryRun::Server => "server",
    })
}

pub fn run(args: &UninstallArgs) -> Result<Outcome> {
    let format = super::resolve_output(&args.output)?;
    let mut cluster = connect(&args.kube)?;
    let ns = args.istio_namespace.as_str();
    let revision = args.revision.as_deref();
    let mut report = UninstallReport {
        dry_run: dry_word(args.dry_run),
        actions: Vec::new(),
        injected_pods: None,
        warnings: Vec::new(),
    };

    // Gather: each target's current state, and the pods of this revision with sidecars.
    let mut found: Vec<(Target, Option<Value>)> = Vec::new();
    for t in uninstall::targets(&args.name, ns, revision) {
        let obj = cluster.get(t.kind, t.namespace.as_deref(), &t.name)?;
        found.push((t, obj));
    }
    let counted = crate::facts::normalise_revision(revision.unwrap_or("")).to_string();
    match injected_pods(&cluster, &counted) {
        Ok(p) => {
            if p.total > 0 {
                let wheres: Vec<String> = p
                    .namespaces
                    .iter()
                    .map(|(n, c)| format!("{n} ({c})"))
                    .collect();
                report.warnings.push(format!(
                    "{} pod(s) still carry a sidecar of revision {counted}, in {}; uninstalling the injector \
                     does not remove them: run `kubectl inject cleanup -n NAMESPACE --restart` (after \
                     moving or removing the injection labels) to roll them",
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
    if args.strict {
        let why = match &report.injected_pods {
            Some(p) if p.total > 0 => {
                "--strict: pods still carry injected sidecars; nothing was deleted"
            }
            None => "--strict: cannot tell whether pods still carry sidecars; nothing was deleted",
            Some(_) => "",
        };
        if !why.is_empty() {
            report::warnings(&report.warnings);
            let hint = if report.injected_pods.is_none() {
                "run with a user that may list pods in all namespaces"
            } else {
                "run `kubectl inject cleanup -A --restart` first, or drop --strict"
            };
            bail!(anyhow::anyhow!("{why}").hint(hint));
        }
    }

    let objects: Vec<Option<Value>> = found.iter().map(|(_, o)| o.clone()).collect();
    let plan = uninstall::plan(found, revision, args.force);
    report::stderr(&plan.text(args.dry_run.is_some()));
    report::warnings(&report.warnings);

    if args.dry_run == Some(DryRun::Client) && args.output == OutputFormat::Yaml {
        // The objects that would be deleted, as a manifest.
        let mut out = String::new();
        for (a, obj) in plan.actions.iter().zip(&objects) {
            if let (ActionResult::NotAttempted, Some(obj)) = (a.result, obj) {
                out.push_str(&crate::yaml::to_string(&manifest_of(obj)));
                out.push_str("---\n");
            }
        }
        report::stdout(&out)?;
        return Ok(Outcome::Success);
    }

    let to_delete = plan.deletions();
    if args.dry_run.is_none() && to_delete > 0 && !args.yes {
        confirm(
            &format!("Delete {to_delete} object(s)?"),
            &format!("refusing to delete {to_delete} object(s) without confirmation"),
        )?;
    }
    report.actions = uninstall::execute(plan, run_of(args.dry_run), &mut cluster);

    if let Some(by) = &args.table.sort_by {
        let order = crate::report::output::sort_order(&report.actions, by)?;
        crate::report::output::permute(&mut report.actions, &order);
    }
    let out = match &format {
        OutputFormat::Name => report
            .actions
            .iter()
            .filter(|a| matches!(a.result, ActionResult::Deleted | ActionResult::WouldDelete))
            .map(|a| {
                format!(
                    "{}/{}\n",
                    a.target.kind.kind().to_ascii_lowercase(),
                    a.target.name
                )
            })
            .collect(),
        OutputFormat::Table => table(&report.actions).render(!args.table.no_headers)?,
        other => super::report_output(other, &report, &report.actions, !args.table.no_headers)?
            .unwrap_or_default(),
    };
    report::stdout(&out)?;

    let failed: Vec<String> = report
        .actions
        .iter()
        .filter(|a| a.result == ActionResult::Failed)
        .map(|a| {
            format!(
                "{} {}: {}",
                a.target.kind.kind(),
                a.target.name,
                a.message.as_deref().unwrap_or("")
            )
        })
        .collect();
    if !failed.is_empty() {
        let deleted = report
            .actions
            .iter()
            .filter(|a| a.result == ActionResult::Deleted)
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

/// Pods in every namespace that carry a sidecar of `revision` (from their status record;
/// `default` when they have none), counted per namespace.
fn injected_pods(
    cluster: &Cluster,
    revision: &str,
) -> Result<InjectedPods, crate::cluster::ClusterError> {
    let mut namespaces: BTreeMap<String, usize> = BTreeMap::new();
    cluster.list_pages(Kind::Pod, Scope::All, None, |page| {
        for p in &page {
            let rev = status_of(p)
                .map(|s| s.revision)
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "default".into());
            if has_proxy(p) && rev == revision {
                let ns = p
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                *namespaces.entry(ns).or_default() += 1;
            }
        }
        Ok(())
    })?;
    Ok(InjectedPods {
        revision: revision.to_string(),
        total: namespaces.values().sum(),
        namespaces,
    })
}

fn table(actions: &[Action]) -> Table {
    let mut t = Table::new(["KIND", "NAMESPACE", "NAME", "EXISTED", "RESULT"]);
    for a in actions {
        let style = match a.result {
            ActionResult::Deleted | ActionResult::WouldDelete => Style::Good,
            ActionResult::Failed => Style::Bad,
            ActionResult::Kept | ActionResult::NotAttempted => Style::Warn,
            ActionResult::AlreadyGone => Style::Plain,
        };
        let result = match &a.message {
            Some(m) => format!("{}: {m}", a.result.word()),
            None => a.result.word().to_string(),
        };
        t.row(vec![
            Cell::from(a.target.kind.kind()),
            Cell::from(a.target.namespace.clone().unwrap_or_else(|| "-".into())),
            Cell::from(a.target.name.as_str()),
            Cell::from(if a.existed { "yes" } else { "no" }),
            Cell::styled(result, style),
        ]);
    }
    t
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
    fn manifest_drops_server_fields() {
        let o = json!({"kind": "Service", "metadata": {"name": "x", "uid": "u", "resourceVersion": "1", "managedFields": []}, "status": {}});
        assert_eq!(
            manifest_of(&o),
            json!({"kind": "Service", "metadata": {"name": "x"}})
        );
    }
}
