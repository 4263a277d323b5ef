//! `explain TYPE/NAME` and `check` against a live cluster: gather with `live`, decide with the
//! same pipeline as `-f`, then add what is true of the running pods.

use anyhow::{Context, Result};
use colored::Colorize;
use serde::Serialize;

use crate::cli::{CheckArgs, Expect, ExplainArgs, OutputFormat};
use crate::cluster::Scope;
use crate::manifest::{ResourceType, UNSUPPORTED_KIND_HINT, WorkloadKind, parse_type_name};
use crate::policy::Selector;
use crate::report::{self, Hint};

use super::Outcome;
use super::explain::{Evaluated, evaluate_documents, kubectl_name, render_text, select};
use super::live::{
    LiveItem, NamespaceSummary, PodState, Snapshot, connect, drift_summary, injection_label,
    namespace, pod_state, snapshot, snapshot_one,
};

/// Splits the decided items into rows (workloads, bare pods) and the states of their pods.
fn rows(items: Vec<Evaluated>, snap: &Snapshot) -> Vec<(Evaluated, Vec<PodState>)> {
    let mut owned: Vec<(String, String, String, PodState)> = Vec::new();
    let mut rows = Vec::new();
    for e in items {
        let key = (e.subject.namespace.clone(), e.subject.name.clone());
        if e.subject.kind == WorkloadKind::Pod
            && let Some(pod) = snap.pods.get(&key)
        {
            let state = pod_state(pod, Some(&e.decision), snap.expected_image.as_deref());
            match snap.owners.get(&key) {
                Some((kind, name)) => owned.push((key.0, kind.clone(), name.clone(), state)),
                None => rows.push((e, vec![state])),
            }
            continue;
        }
        rows.push((e, Vec::new()));
    }
    for (ns, kind, name, state) in owned {
        if let Some((_, pods)) = rows.iter_mut().find(|(e, _)| {
            e.subject.namespace == ns && e.subject.kind.as_str() == kind && e.subject.name == name
        }) {
            pods.push(state);
        }
    }
    rows
}

fn warn(warnings: &[String]) {
    let text: String = warnings
        .iter()
        .map(|w| format!("{} {w}\n", "warning:".yellow().bold()))
        .collect();
    report::stderr(&text);
}

pub(super) fn explain(args: &ExplainArgs, target: &str) -> Result<Outcome> {
    let (ty, name) = parse_type_name(target)
        .with_context(|| format!("target {target:?}"))
        .hint(UNSUPPORTED_KIND_HINT)?;
    let (ResourceType::Workload(kind), Some(name)) = (ty, name) else {
        return Err(
            anyhow::anyhow!("{target}: explain needs one pod or workload")
                .hint("name it: `kubectl inject explain deploy/web -n shop`"),
        );
    };
    let cluster = connect(&args.kube)?;
    let ns = namespace(&cluster, &args.kube);
    let snap = snapshot_one(
        &cluster,
        &ns,
        kind,
        &name,
        &args.istio_namespace,
        args.policy.revision.as_deref(),
    )?;
    let batch = evaluate_documents(&snap.docs, &args.policy, Some(&ns))?;
    let mut all = rows(batch.items, &snap);
    let Some(pos) = all
        .iter()
        .position(|(e, _)| e.subject.kind == kind && e.subject.name == name)
    else {
        return Err(anyhow::anyhow!("{target}: no pod template to decide on"));
    };
    // Its pods (read by its selector, each decided as itself) are already grouped under it.
    let (item, pods) = all.swap_remove(pos);
    let drift = drift_summary(&pods);
    let live = LiveItem {
        object: item.report(),
        pods,
        drift,
    };
    let out = match args.output {
        OutputFormat::Json => serde_json::to_string_pretty(&live)? + "\n",
        OutputFormat::Yaml => serde_yaml::to_string(&live)?,
        OutputFormat::Name => format!("{}\n", kubectl_name(kind, &name)),
        OutputFormat::Table | OutputFormat::Wide => {
            let mut s = render_text(&item);
            s.push_str(&pods_text(&live.pods));
            s
        }
    };
    warn(&snap.warnings);
    report::stdout(&out)?;
    Ok(Outcome::Success)
}

fn pods_text(pods: &[PodState]) -> String {
    if pods.is_empty() {
        return "  pods: none running\n".to_string();
    }
    let mut s = format!("  pods ({}):\n", pods.len());
    for p in pods {
        let state = if p.injected {
            let mut parts = vec!["injected".to_string()];
            if let Some(r) = &p.revision {
                parts.push(format!("revision {r}"));
            }
            if let Some(i) = &p.proxy_image {
                parts.push(format!("image {i}"));
            }
            if !p.injected_containers.is_empty() {
                parts.push(format!("added {}", p.injected_containers.join(",")));
            }
            parts.join(", ")
        } else {
            "no sidecar".to_string()
        };
        let drift = match &p.drift {
            Some(d) => format!("  ‼ {} — restart it", d).yellow().to_string(),
            None => String::new(),
        };
        s.push_str(&format!("    {}: {state}{drift}\n", p.name));
    }
    s
}

#[derive(Serialize)]
struct LiveCheckReport<'a> {
    items: Vec<LiveItem<'a>>,
    namespaces: Vec<NamespaceSummary>,
    warnings: &'a [String],
}

pub(super) fn check(args: &CheckArgs) -> Result<Outcome> {
    let selector = args.selector.as_deref().map(Selector::parse).transpose()?;
    let mut kinds: Vec<WorkloadKind> = Vec::new();
    for t in &args.targets {
        let (ty, _) = parse_type_name(t)
            .with_context(|| format!("target {t:?}"))
            .hint(UNSUPPORTED_KIND_HINT)?;
        match ty {
            ResourceType::Workload(k) => kinds.push(k),
            ResourceType::Namespace => {
                return Err(anyhow::anyhow!("{t}: check a namespace with -n NAME")
                    .hint("`kubectl inject check -n web` checks every workload in it"));
            }
        }
    }
    if kinds.is_empty() {
        kinds = WorkloadKind::ALL
            .into_iter()
            .filter(|k| *k != WorkloadKind::DeploymentConfig)
            .collect();
    }
    let cluster = connect(&args.kube)?;
    let ns = namespace(&cluster, &args.kube);
    let scope = if args.kube.all_namespaces {
        Scope::All
    } else {
        Scope::Namespace(&ns)
    };
    let snap = snapshot(
        &cluster,
        scope,
        &kinds,
        &args.istio_namespace,
        args.policy.revision.as_deref(),
    )?;
    if !snap.subjects_readable {
        warn(&snap.warnings);
        let where_ = match scope {
            Scope::Namespace(ns) => format!("in namespace {ns:?}"),
            Scope::All => "in any namespace".to_string(),
        };
        return Err(anyhow::anyhow!(
            "forbidden: cannot list any workload or pod {where_}"
        ))
        .hint("see what you may read: `kubectl auth can-i --list -n NAMESPACE`");
    }
    let batch = evaluate_documents(&snap.docs, &args.policy, Some(&ns))?;
    let mut all = rows(batch.items, &snap);
    all.retain(|(e, _)| kinds.contains(&e.subject.kind));
    if let Scope::Namespace(ns) = scope {
        all.retain(|(e, _)| e.subject.namespace == ns);
    }
    if !args.targets.is_empty() {
        let keep: Vec<(WorkloadKind, String, String)> = select(
            all.iter()
                .map(|(e, _)| Evaluated {
                    subject: e.subject.clone(),
                    decision: e.decision.clone(),
                })
                .collect(),
            &args.targets,
            None,
        )?
        .into_iter()
        .map(|e| (e.subject.kind, e.subject.namespace, e.subject.name))
        .collect();
        all.retain(|(e, _)| {
            keep.iter().any(|(k, n, m)| {
                *k == e.subject.kind && *n == e.subject.namespace && *m == e.subject.name
            })
        });
    }
    if let Some(sel) = &selector {
        all.retain(|(e, _)| sel.matches(&e.subject.pod.labels));
    }

    let mut namespaces: Vec<NamespaceSummary> = Vec::new();
    for (e, pods) in &all {
        let labels = snap
            .docs
            .iter()
            .find(|d| d.kind() == "Namespace" && d.name() == e.subject.namespace)
            .and_then(|d| d.value.pointer("/metadata/labels"))
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default();
        let entry = match namespaces
            .iter_mut()
            .position(|s| s.namespace == e.subject.namespace)
        {
            Some(i) => &mut namespaces[i],
            None => {
                namespaces.push(NamespaceSummary {
                    namespace: e.subject.namespace.clone(),
                    injection: injection_label(&labels),
                    pods: 0,
                    injected: 0,
                    needing_restart: 0,
                });
                let last = namespaces.len() - 1;
                &mut namespaces[last]
            }
        };
        entry.pods += pods.len();
        entry.injected += pods.iter().filter(|p| p.injected).count();
        entry.needing_restart += pods.iter().filter(|p| p.drift.is_some()).count();
    }
    namespaces.sort_by(|a, b| a.namespace.cmp(&b.namespace));

    let items: Vec<LiveItem> = all
        .iter()
        .map(|(e, pods)| LiveItem {
            object: e.report(),
            pods: pods.clone(),
            drift: drift_summary(pods),
        })
        .collect();
    let drifted = items.iter().any(|i| i.drift.is_some());
    let out = match args.output {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&LiveCheckReport {
                items,
                namespaces,
                warnings: &snap.warnings,
            })? + "\n"
        }
        OutputFormat::Yaml => serde_yaml::to_string(&LiveCheckReport {
            items,
            namespaces,
            warnings: &snap.warnings,
        })?,
        OutputFormat::Name => all
            .iter()
            .map(|(e, _)| format!("{}\n", kubectl_name(e.subject.kind, &e.subject.name)))
            .collect(),
        OutputFormat::Table | OutputFormat::Wide => live_table(
            &items,
            &namespaces,
            args.output == OutputFormat::Wide,
            &scope,
        ),
    };
    warn(&snap.warnings);
    let mut outcome = if drifted {
        Outcome::No
    } else {
        Outcome::Success
    };
    if let Some(expect) = args.expect {
        let want = expect == Expect::Inject;
        if all.is_empty() || all.iter().any(|(e, _)| e.decision.inject != want) {
            outcome = Outcome::No;
        }
    }
    report::stdout(&out)?;
    if drifted && matches!(args.output, OutputFormat::Table | OutputFormat::Wide) {
        report::stderr(
            "\nSome pods do not match the injection policy: restart their workloads (`kubectl rollout restart`) or run `kubectl inject cleanup --restart`.\n",
        );
    }
    Ok(outcome)
}

fn live_table(
    items: &[LiveItem],
    namespaces: &[NamespaceSummary],
    wide: bool,
    scope: &Scope<'_>,
) -> String {
    if items.is_empty() {
        return match scope {
            Scope::Namespace(ns) => format!("No resources found in {ns} namespace.\n"),
            Scope::All => "No resources found.\n".to_string(),
        };
    }
    let mut header = vec![
        "NAMESPACE",
        "KIND",
        "NAME",
        "INJECT",
        "RULE",
        "PODS",
        "DRIFT",
    ];
    if wide {
        header.push("REASON");
    }
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for i in items {
        let injected = i.pods.iter().filter(|p| p.injected).count();
        let mut row = vec![
            i.object.namespace().to_string(),
            i.object.kind().to_string(),
            i.object.name().to_string(),
            if i.object.inject() { "yes" } else { "no" }.to_string(),
            i.object.decided_by().to_string(),
            format!("{injected}/{}", i.pods.len()),
            i.drift.clone().unwrap_or_else(|| "-".into()),
        ];
        if wide {
            row.push(i.object.reason().to_string());
        }
        rows.push(row);
    }
    let mut s = format_table(&rows);
    s.push('\n');
    let mut ns_rows = vec![
        ["NAMESPACE", "INJECTION", "INJECTED", "PODS", "NEED RESTART"]
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    ];
    for n in namespaces {
        ns_rows.push(vec![
            n.namespace.clone(),
            n.injection.clone(),
            n.injected.to_string(),
            n.pods.to_string(),
            n.needing_restart.to_string(),
        ]);
    }
    s.push_str(&format_table(&ns_rows));
    s
}

/// kubectl's table layout: columns padded to their widest cell, three spaces apart.
fn format_table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| crate::report::escape(s).chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let last = r.len().saturating_sub(1);
        for (c, cell) in r.iter().enumerate() {
            let cell = &crate::report::escape(cell);
            if c == last {
                out.push_str(cell);
            } else {
                let pad = widths[c].saturating_sub(cell.chars().count()) + 3;
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    }
    out
}
