//! `cleanup`: undo injection. With `-f`, strip manifests (pure, `inject::uninject`) and print
//! them or rewrite the files, all or nothing; against the cluster, remove the injection
//! labels from namespaces and (`--restart`) roll the injected workloads.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::Value;

use super::inject::render_yaml;
use super::inplace::write_in_place;
use super::live::controller_of;
use super::{Outcome, read_inputs};
use crate::cli::{CleanupArgs, DryRun, OutputFormat};
use crate::cluster::{Cluster, Kind, Scope};
use crate::inject::uninject::{self, StripReport};
use crate::inject::{DocOutput, DocResult};
use crate::manifest::parse_documents;
use crate::report::{self, Hint};

pub fn run(args: &CleanupArgs) -> Result<Outcome> {
    if !args.input.filenames.is_empty() {
        return manifests(args);
    }
    if args.in_place {
        bail!(anyhow::anyhow!("--in-place needs manifests").hint("pass them with -f FILE"));
    }
    live(args)
}

/// `cleanup -f`: every document is stripped before anything is printed or written; one
/// object that cannot be stripped fails the whole run (exit 2) and nothing is written.
fn manifests(args: &CleanupArgs) -> Result<Outcome> {
    let inputs = if args.in_place {
        super::input::read_inputs_to_rewrite(&args.input)?
    } else {
        read_inputs(&args.input)?
    };
    let mut results: Vec<(usize, DocResult)> = Vec::new();
    let mut reports: Vec<StripReport> = Vec::new();
    let mut errors: Vec<String> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        for doc in parse_documents(&input.name, &input.text)? {
            match uninject::strip_document(&doc) {
                Ok(r) => {
                    reports.extend(r.objects);
                    let output = match r.output {
                        Some(v) => DocOutput::Raw(crate::yaml::to_string(&v)),
                        None => DocOutput::Raw(doc.raw.clone()),
                    };
                    results.push((
                        i,
                        DocResult {
                            at: r.at,
                            output,
                            objects: Vec::new(),
                            warnings: Vec::new(),
                        },
                    ));
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    if !errors.is_empty() {
        bail!(
            anyhow::anyhow!("{}", errors.join("\n"))
                .context(format!(
                    "cannot strip {} object(s); nothing was written",
                    errors.len()
                ))
                .hint(
                    "only an injection with its sidecar.istio.io/status record can be undone safely"
                )
        );
    }
    let dry = args.dry_run.is_some();
    if args.in_place {
        if !dry {
            write_in_place(&inputs, &results)?;
        }
        print_report(args.output, &reports, dry)?;
    } else {
        // stdout carries the manifest; the report goes to stderr (machine form on request).
        report::stdout(&render_yaml(results.iter().map(|(_, r)| r)))?;
        print_report(OutputFormat::Table, &reports, dry)?;
    }
    Ok(Outcome::Success)
}

fn print_report(format: OutputFormat, reports: &[StripReport], dry: bool) -> Result<()> {
    match format {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&serde_json::json!({"objects": reports}))?;
            s.push('\n');
            report::stdout(&s)
        }
        OutputFormat::Yaml => report::stdout(&crate::yaml::to_string(
            &serde_json::json!({"objects": reports}),
        )),
        _ => {
            let mut out = String::new();
            let verb = if dry { "would be stripped" } else { "stripped" };
            for r in reports {
                let what = format!(
                    "{} \"{}\"",
                    report::escape(&r.kind.to_ascii_lowercase()),
                    report::escape(&r.name)
                );
                if r.stripped {
                    out.push_str(&format!(
                        "{what} {verb}: {}\n",
                        report::escape(&r.changes.join(", "))
                    ));
                } else {
                    out.push_str(&format!("{what} unchanged: not injected\n"));
                }
                for w in &r.warnings {
                    out.push_str(&format!(
                        "warning: {}: document {}: {}\n",
                        report::escape(&r.source),
                        r.document,
                        report::escape(w)
                    ));
                }
            }
            report::stderr(&out);
            Ok(())
        }
    }
}

/// A change made (or that would be made) to the cluster.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Change {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    name: String,
    /// `labels removed`, `restarted`, `manual action needed`, `failed`, …
    action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct CleanupReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<&'static str>,
    changes: Vec<Change>,
    warnings: Vec<String>,
}

/// The injection labels a namespace can carry (`kubectl label namespace x istio-injection-`).
const NS_LABELS: [&str; 2] = ["istio-injection", "istio.io/rev"];
/// `kubectl rollout restart`'s annotation on the pod template.
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// `cleanup` against the cluster: namespaces in scope (`-n`, `-A`, `-l` on namespaces, else
/// the context's namespace) lose their injection labels through a JSON merge patch that sets
/// only those two labels to null (no read-modify-write to race with); with `--restart`, the
/// Deployments, StatefulSets and DaemonSets whose pods carry a sidecar are rolled as
/// `kubectl rollout restart` does. Jobs, CronJobs and bare Pods are listed, never deleted.
fn live(args: &CleanupArgs) -> Result<Outcome> {
    if let Some(sel) = &args.selector {
        crate::policy::Selector::parse(sel)
            .map_err(anyhow::Error::new)
            .hint("use kubectl's syntax: -l 'team=web,env!=prod'")?;
    }
    let cluster = super::live::connect(&args.kube)?;
    let dry = args.dry_run;
    let mut report = CleanupReport {
        dry_run: dry.map(|d| match d {
            DryRun::Client => "client",
            DryRun::Server => "server",
        }),
        changes: Vec::new(),
        warnings: Vec::new(),
    };

    // Gather the namespaces in scope.
    let namespaces: Vec<Value> = if args.kube.all_namespaces || args.selector.is_some() {
        cluster.list(Kind::Namespace, Scope::All, args.selector.as_deref())?
    } else {
        let ns = super::live::namespace(&cluster, &args.kube);
        match cluster.get(Kind::Namespace, None, &ns)? {
            Some(n) => vec![n],
            None => {
                bail!(anyhow::anyhow!("namespace {ns:?} not found").hint("check -n, or use -A"))
            }
        }
    };
    let names: Vec<String> = namespaces
        .iter()
        .filter_map(|n| n.pointer("/metadata/name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();

    // Namespace labels.
    let patch =
        serde_json::json!({"metadata": {"labels": {NS_LABELS[0]: null, NS_LABELS[1]: null}}});
    for ns in &namespaces {
        let name = ns
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let present: Vec<String> = NS_LABELS
            .iter()
            .filter_map(|k| {
                ns.pointer("/metadata/labels")
                    .and_then(|l| l.get(*k))
                    .and_then(Value::as_str)
                    .map(|v| format!("{k}={v}"))
            })
            .collect();
        if present.is_empty() {
            continue;
        }
        let mut change = Change {
            kind: "Namespace",
            namespace: None,
            name: name.to_string(),
            action: String::new(),
            detail: Some(present.join(", ")),
        };
        change.action = match dry {
            Some(DryRun::Client) => "labels would be removed".into(),
            _ => match cluster.merge_patch(
                Kind::Namespace,
                None,
                name,
                &patch,
                dry == Some(DryRun::Server),
            ) {
                Ok(_) if dry.is_some() => "labels would be removed".into(),
                Ok(_) => "labels removed".into(),
                Err(e) => {
                    change.detail = Some(e.to_string());
                    "failed".into()
                }
            },
        };
        report.changes.push(change);
    }

    if args.restart {
        restart(&cluster, &names, dry, &mut report)?;
    }

    let out = match args.output {
        OutputFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
        OutputFormat::Yaml => crate::yaml::to_string(&serde_json::to_value(&report)?),
        OutputFormat::Name => report
            .changes
            .iter()
            .map(|c| {
                format!(
                    "{}/{}\n",
                    c.kind.to_ascii_lowercase(),
                    report::escape(&c.name)
                )
            })
            .collect(),
        OutputFormat::Table | OutputFormat::Wide => change_table(&report.changes),
    };
    report::stdout(&out)?;
    report::stderr(
        &report
            .warnings
            .iter()
            .map(|w| format!("warning: {w}\n"))
            .collect::<String>(),
    );
    let failed = report
        .changes
        .iter()
        .filter(|c| c.action == "failed")
        .count();
    if failed > 0 {
        bail!(
            anyhow::anyhow!(
                "{failed} change(s) failed; the others were made (see the table above)"
            )
            .hint("fix the permissions and run again: what is already clean is skipped")
        );
    }
    Ok(Outcome::Success)
}

/// Rolls the controllers of injected pods; lists what cannot be rolled.
fn restart(
    cluster: &Cluster,
    namespaces: &[String],
    dry: Option<DryRun>,
    report: &mut CleanupReport,
) -> Result<()> {
    let now = rfc3339_now();
    let mut rollable: BTreeSet<(String, &'static str, String)> = BTreeSet::new();
    let mut manual: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for ns in namespaces {
        let pods = cluster.list(Kind::Pod, Scope::Namespace(ns), None)?;
        let injected: Vec<&Value> = pods
            .iter()
            .filter(|p| super::live::pod_state(p, None, None).injected)
            .collect();
        if injected.is_empty() {
            continue;
        }
        // ReplicaSet → Deployment, one LIST for the namespace.
        let rs_owner: BTreeMap<String, (String, String)> = cluster
            .list(Kind::ReplicaSet, Scope::Namespace(ns), None)?
            .iter()
            .filter_map(|rs| {
                let name = rs.pointer("/metadata/name")?.as_str()?.to_string();
                Some((name, controller_of(rs)?))
            })
            .collect();
        for p in injected {
            let pod_name = p
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            match controller_of(p) {
                Some((k, n)) if k == "ReplicaSet" => match rs_owner.get(&n) {
                    Some((k2, n2)) if k2 == "Deployment" => {
                        rollable.insert((ns.clone(), "Deployment", n2.clone()));
                    }
                    _ => {
                        *manual
                            .entry((ns.clone(), "ReplicaSet".into(), n))
                            .or_default() += 1;
                    }
                },
                Some((k, n)) if k == "StatefulSet" => {
                    rollable.insert((ns.clone(), "StatefulSet", n));
                }
                Some((k, n)) if k == "DaemonSet" => {
                    rollable.insert((ns.clone(), "DaemonSet", n));
                }
                Some((k, n)) => {
                    *manual.entry((ns.clone(), k, n)).or_default() += 1;
                }
                None => {
                    *manual
                        .entry((ns.clone(), "Pod".into(), pod_name.to_string()))
                        .or_default() += 1;
                }
            }
        }
    }
    let patch = serde_json::json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}});
    for (ns, kind, name) in rollable {
        let k = match kind {
            "Deployment" => Kind::Deployment,
            "StatefulSet" => Kind::StatefulSet,
            _ => Kind::DaemonSet,
        };
        let mut change = Change {
            kind,
            namespace: Some(ns.clone()),
            name: name.clone(),
            action: String::new(),
            detail: None,
        };
        change.action = match dry {
            Some(DryRun::Client) => "would restart".into(),
            _ => {
                match cluster.merge_patch(k, Some(&ns), &name, &patch, dry == Some(DryRun::Server))
                {
                    Ok(_) if dry.is_some() => "would restart".into(),
                    Ok(_) => "restarted".into(),
                    Err(e) => {
                        change.detail = Some(e.to_string());
                        "failed".into()
                    }
                }
            }
        };
        report.changes.push(change);
    }
    for ((ns, kind, name), count) in manual {
        let kind: &'static str = match kind.as_str() {
            "Job" => "Job",
            "ReplicaSet" => "ReplicaSet",
            "Pod" => "Pod",
            _ => "Other",
        };
        report.changes.push(Change {
            kind,
            namespace: Some(ns),
            name,
            action: "manual action needed".into(),
            detail: Some(format!(
                "{count} pod(s) with a sidecar; not restarted by cleanup (a Job or CronJob's next \
                 run, or recreating a bare Pod, drops the sidecar once injection is off)"
            )),
        });
    }
    Ok(())
}

fn change_table(changes: &[Change]) -> String {
    let mut rows = vec![[
        "KIND".to_string(),
        "NAMESPACE".into(),
        "NAME".into(),
        "ACTION".into(),
        "DETAIL".into(),
    ]];
    for c in changes {
        rows.push([
            c.kind.to_string(),
            report::escape(c.namespace.as_deref().unwrap_or("-")).into_owned(),
            report::escape(&c.name).into_owned(),
            c.action.clone(),
            report::escape(c.detail.as_deref().unwrap_or_default()).into_owned(),
        ]);
    }
    let mut widths = [0usize; 5];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| report::pad(c, w))
            .collect();
        out.push_str(line.join("   ").trim_end());
        out.push('\n');
    }
    out
}

/// Now as RFC 3339 UTC, the form `kubectl rollout restart` writes.
fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (Hinnant's civil-from-days).
fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        let rows = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (1_700_000_000, "2023-11-14T22:13:20Z"),
            (4_102_444_799, "2099-12-31T23:59:59Z"),
        ];
        for (secs, want) in rows {
            assert_eq!(rfc3339(secs), want);
        }
    }

    #[test]
    fn controller_reads_the_controlling_owner_only() {
        let o = serde_json::json!({"metadata": {"ownerReferences": [
            {"kind": "Other", "name": "x"},
            {"kind": "ReplicaSet", "name": "web-1", "controller": true}]}});
        assert_eq!(
            controller_of(&o),
            Some(("ReplicaSet".into(), "web-1".into()))
        );
        assert_eq!(controller_of(&serde_json::json!({})), None);
    }
}
