//! `cleanup`: undo injection. With `-f`, strip manifests (pure, `inject::uninject`) and print
//! them or rewrite the files, all or nothing; against the cluster, remove the injection
//! labels from namespaces and (`--restart`) roll the injected workloads.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::Value;

use super::gather_live::{connect, controller_of, key_of, namespace, top_owner};
use super::inject::render_yaml;
use super::inplace::write_in_place;
use super::prompt::confirm;
use super::uninstall::{dry_word, run_of};
use super::{Outcome, read_inputs};
use crate::cli::{CleanupArgs, OutputFormat};
use crate::cluster::{Cluster, Kind, Scope};
use crate::drift::state::{has_proxy, manually_injected};
use crate::inject::uninject::{self, StripReport};
use crate::inject::{DocOutput, DocResult};
use crate::manifest::{WorkloadKind, parse_documents};
use crate::model::StringMap;
use crate::plan::cleanup::{self, Change, PodInfo};
use crate::report::table::{Cell, Style, Table};
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
        print_report(&args.output, &reports, dry)?;
    } else {
        // stdout carries the manifests, in -o's format (cli::validate lets only yaml, the
        // default, and json through); the report goes to stderr.
        let text = match args.output {
            OutputFormat::Json => super::inject::render_json(results.iter().map(|(_, r)| r))?,
            _ => render_yaml(results.iter().map(|(_, r)| r)),
        };
        report::stdout(&text)?;
        print_report(&OutputFormat::Table, &reports, dry)?;
    }
    Ok(Outcome::Success)
}

fn print_report(format: &OutputFormat, reports: &[StripReport], dry: bool) -> Result<()> {
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
                let what = format!("{} {:?}", r.kind.to_ascii_lowercase(), r.name);
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
                        "warning: {}: document {}: {w}\n",
                        r.source, r.document
                    ));
                }
            }
            report::stderr(&out);
            Ok(())
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct CleanupReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<&'static str>,
    changes: Vec<Change>,
    warnings: Vec<String>,
}

/// `cleanup` against the cluster: namespaces in scope (`-n`, `-A`, `-l` on namespaces, else
/// the context's namespace) lose their injection labels; with `--restart`, the workloads
/// whose pods carry a webhook-injected sidecar are rolled. The plan (`plan::cleanup`) is
/// printed first, and asked for on a terminal (refused without `--yes` otherwise).
fn live(args: &CleanupArgs) -> Result<Outcome> {
    let format = super::resolve_output(&args.output)?;
    if let Some(sel) = &args.selector {
        crate::policy::Selector::parse(sel)
            .map_err(anyhow::Error::new)
            .hint("use kubectl's syntax: -l 'team=web,env!=prod'")?;
    }
    let mut cluster = connect(&args.kube)?;
    let mut report = CleanupReport {
        dry_run: dry_word(args.dry_run),
        changes: Vec::new(),
        warnings: Vec::new(),
    };

    // Gather the namespaces in scope, and with --restart their pods and workloads.
    let namespaces: Vec<Value> = if args.kube.all_namespaces || args.selector.is_some() {
        cluster.list(Kind::Namespace, Scope::All, args.selector.as_deref())?
    } else {
        let ns = namespace(&cluster, &args.kube);
        match cluster.get(Kind::Namespace, None, &ns)? {
            Some(n) => vec![n],
            None => {
                bail!(anyhow::anyhow!("namespace {ns:?} not found").hint("check -n, or use -A"))
            }
        }
    };
    let labelled: Vec<(String, StringMap)> = namespaces
        .iter()
        .map(|n| {
            let (_, _, name) = key_of(n, "Namespace");
            let labels = n
                .pointer("/metadata/labels")
                .and_then(|l| serde_json::from_value(l.clone()).ok())
                .unwrap_or_default();
            (name, labels)
        })
        .collect();
    let mut pods = Vec::new();
    let mut template_injected = BTreeSet::new();
    if args.restart {
        for (ns, _) in &labelled {
            restart_facts(&cluster, ns, &mut pods, &mut template_injected)?;
        }
    }
    let plan = cleanup::plan(&labelled, &pods, args.restart, &template_injected);
    report::stderr(&plan.text(args.dry_run.is_some()));
    let changes = plan.changes();
    if args.dry_run.is_none() && changes > 0 && !args.yes {
        confirm(
            &format!("Make {changes} change(s)?"),
            &format!("refusing to make {changes} change(s) without confirmation"),
        )?;
    }
    report.changes = cleanup::execute(&plan, run_of(args.dry_run), &mut cluster);

    if let Some(by) = &args.table.sort_by {
        let order = crate::report::output::sort_order(&report.changes, by)?;
        crate::report::output::permute(&mut report.changes, &order);
    }
    let headers = !args.table.no_headers;
    let out = match &format {
        OutputFormat::Name => report
            .changes
            .iter()
            .map(|c| format!("{}/{}\n", c.kind.to_ascii_lowercase(), c.name))
            .collect(),
        OutputFormat::Table => change_table(&report.changes).render(headers)?,
        other => {
            super::report_output(other, &report, &report.changes, headers)?.unwrap_or_default()
        }
    };
    report::stdout(&out)?;
    report::warnings(&report.warnings);
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

/// The pods of a namespace that carry a sidecar, traced to their top-level controller, and
/// which of those controllers hold the sidecar in their own pod template.
fn restart_facts(
    cluster: &Cluster,
    ns: &str,
    pods: &mut Vec<PodInfo>,
    template_injected: &mut BTreeSet<(String, String, String)>,
) -> Result<()> {
    let injected: Vec<Value> = cluster
        .list(Kind::Pod, Scope::Namespace(ns), None)?
        .into_iter()
        .filter(has_proxy)
        .collect();
    if injected.is_empty() {
        return Ok(());
    }
    // ReplicaSet → Deployment and Job → CronJob, one LIST each for the namespace.
    let mut controllers = BTreeMap::new();
    for kind in [Kind::ReplicaSet, Kind::Job] {
        for obj in cluster.list(kind, Scope::Namespace(ns), None)? {
            if let Some(owner) = controller_of(&obj) {
                controllers.insert(key_of(&obj, kind.kind()), owner);
            }
        }
    }
    for p in &injected {
        let (_, _, name) = key_of(p, "Pod");
        pods.push(PodInfo {
            namespace: ns.to_string(),
            name,
            injected: true,
            owner: top_owner(p, &controllers),
        });
    }
    // Manual injection: the rollable owners whose pod template already has the sidecar.
    let owners: BTreeSet<String> = pods
        .iter()
        .filter_map(|p| p.owner.as_ref().map(|(k, _)| k.clone()))
        .collect();
    for kind in [Kind::Deployment, Kind::StatefulSet, Kind::DaemonSet] {
        if !owners.contains(kind.kind()) {
            continue;
        }
        let Some(wk) = WorkloadKind::from_kind(kind.kind()) else {
            continue;
        };
        for obj in cluster.list(kind, Scope::Namespace(ns), None)? {
            if manually_injected(&obj, wk) {
                template_injected.insert(key_of(&obj, kind.kind()));
            }
        }
    }
    Ok(())
}

fn change_table(changes: &[Change]) -> Table {
    let mut t = Table::new(["KIND", "NAMESPACE", "NAME", "ACTION", "DETAIL"]);
    for c in changes {
        let style = match c.action.as_str() {
            "failed" => Style::Bad,
            "manual action needed" | "manually injected" => Style::Warn,
            _ => Style::Good,
        };
        t.row(vec![
            Cell::from(c.kind.as_str()),
            Cell::from(c.namespace.clone().unwrap_or_else(|| "-".into())),
            Cell::from(c.name.as_str()),
            Cell::styled(c.action.as_str(), style),
            Cell::from(c.detail.clone().unwrap_or_default()),
        ]);
    }
    t
}
