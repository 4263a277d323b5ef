//! `check`: would these pods and workloads get a sidecar? For `-f` input a kubectl-style
//! table (NAMESPACE, KIND, NAME, INJECT, RULE; REASON with `-o wide`), `-o name`, or
//! `{"items": [...]}`; against a cluster, each workload with its running pods, their drift
//! and its remedy, and the namespaces' totals; `--injector` checks the injector itself.
//!
//! Exit codes: 0; 1 when the answer is "no" (`--expect` not met, drift found); 2 on error.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use super::Outcome;
use super::codes;
use super::gather::{self, Decider};
use super::gather_live::{self, LiveWorkload, advise, connect, key_of, top_owner};
use crate::cli::{CheckArgs, Expect, OutputFormat};
use crate::cluster::{Kind, Scope};
use crate::drift::state::{self, PodState, Workload};
use crate::facts::Facts;
use crate::findings::Suppressions;
use crate::manifest::{ResourceType, WorkloadKind};
use crate::model::StringMap;
use crate::policy::{Evaluated, Mode, Selector, Subject, pod_of};
use crate::report::check::{
    CheckReport, LiveCheckReport, LiveItem, NamespaceSummary, drift_advice, live_table,
    namespace_table, table_headers, table_row,
};
use crate::report::decision::ObjectReport;
use crate::report::output;
use crate::report::table::Table;
use crate::report::{self, Hint, Output};

pub fn run(args: CheckArgs) -> Result<Outcome> {
    let suppress = codes::suppressions(&args.policy.suppress)?;
    if args.injector {
        return super::injector::run(&args, &suppress).map_err(advise);
    }
    if args.input.filenames.is_empty() {
        if let Some(bundle) = &args.policy.bundle {
            return Err(anyhow::anyhow!(
                "--bundle {} decides on manifests: nothing to check",
                bundle.display()
            )
            .hint(
                "give the manifests with -f (`kubectl inject check -f app.yaml --bundle b.yaml`)",
            ));
        }
        return live(&args, &suppress).map_err(advise);
    }
    // Parse -l and read -o's file before reading anything, so they fail fast with exit 2.
    let selector = args.selector.as_deref().map(Selector::parse).transpose()?;
    let format = super::resolve_output(&args.output)?;
    let targets = gather::targets(&args.targets)?;
    let mut g = gather::from_files(
        &args.input,
        &args.policy,
        &args.kube,
        &args.istio_namespace,
        format == OutputFormat::Sarif,
    )?;
    if targets.is_empty() {
        gather::namespace_matches(&g, &args.kube)?;
    }
    report::warnings(&g.warnings);
    let decider = gather::decider(&g.facts, &args.policy)?;
    let documents = codes::Documents::new(std::mem::take(&mut g.documents));
    let mut out = Sink::new(&format, &args, documents)?;
    let human = matches!(format, OutputFormat::Table | OutputFormat::Wide);
    let mut expected = args.expect.map(Expectation::new);
    let mut warnings = Vec::new();
    let mut selection = gather::Selection::new(&targets, args.kube.namespace.as_deref());
    let mut count = 0usize;
    // One subject at a time: decided, filtered, and kept only as what the output needs.
    for subject in g.subjects.iter()? {
        let subject = subject?;
        if !selection.keeps(&subject) {
            continue;
        }
        if selector
            .as_ref()
            .is_some_and(|sel| !sel.matches(&subject.pod.labels))
        {
            continue;
        }
        let mut e = decider.engine.evaluate(&g.facts, subject);
        if decider
            .narrow
            .as_ref()
            .is_some_and(|rev| e.decision.revision.as_deref() != Some(rev.as_str()))
        {
            continue;
        }
        codes::suppress(std::slice::from_mut(&mut e), &suppress);
        if human {
            warnings.extend(codes::warning_lines(std::slice::from_ref(&e)));
        }
        if let Some(x) = &mut expected {
            x.add(&e);
        }
        out.add(e, &decider, args.policy.mode)?;
        count += 1;
    }
    selection.finish(|| g.subjects.iter()?.collect())?;
    let (text, sorted_warnings) = out.finish(&format, &decider, &args)?;
    if let Some(w) = sorted_warnings {
        warnings = w;
    }

    let mut diagnostics = String::new();
    if count == 0 && format.is_table() {
        diagnostics.push_str("No resources found.\n");
    }
    if human {
        report::warnings(&warnings);
    }
    let mut outcome = Outcome::Success;
    if let Some(x) = expected {
        let (text, met) = x.finish();
        diagnostics.push_str(&text);
        if !met {
            outcome = Outcome::No;
        }
    }
    text.finish()?;
    report::stderr(&diagnostics);
    Ok(outcome)
}

/// Where `check -f`'s decisions go as they are made: the table's compact rows, names, SARIF
/// results, JSON or YAML items written out one at a time — or, for what needs the whole list
/// (`--sort-by`, a query, custom columns), every decision.
enum Sink {
    Table {
        table: Table,
        wide: bool,
        labels: (Vec<String>, bool),
    },
    Names(report::Spill),
    Sarif {
        results: Vec<crate::report::sarif::SarifResult>,
        documents: codes::Documents,
    },
    List(report::Spill, report::ListOut),
    Whole {
        items: Vec<Evaluated>,
        documents: codes::Documents,
    },
}

impl Sink {
    /// `--sort-by` holds every decision (to sort them); otherwise each is written out as it
    /// comes, unless the format needs the whole list.
    fn new(format: &OutputFormat, args: &CheckArgs, documents: codes::Documents) -> Result<Sink> {
        if args.table.sort_by.is_some() {
            return Ok(Sink::Whole {
                items: Vec::new(),
                documents,
            });
        }
        Sink::streamed(format, args, documents)
    }

    /// The sink writing decisions out one at a time in `format`; `Whole` for a query or
    /// custom columns, which need the whole list.
    fn streamed(
        format: &OutputFormat,
        args: &CheckArgs,
        documents: codes::Documents,
    ) -> Result<Sink> {
        let spill = || super::spill_threshold().map(report::Spill::new);
        Ok(match format {
            OutputFormat::Table | OutputFormat::Wide => {
                let wide = *format == OutputFormat::Wide;
                let mut headers: Vec<String> = table_headers(wide)
                    .into_iter()
                    .map(str::to_string)
                    .collect();
                headers.extend(Table::label_headers(&args.label_columns, args.show_labels));
                Sink::Table {
                    table: Table::new(headers),
                    wide,
                    labels: (args.label_columns.clone(), args.show_labels),
                }
            }
            OutputFormat::Name => Sink::Names(spill()?),
            OutputFormat::Sarif => Sink::Sarif {
                results: Vec::new(),
                documents,
            },
            OutputFormat::Json => {
                let mut out = spill()?;
                let list = report::ListOut::json(report::JsonList::items(), &mut out)?;
                Sink::List(out, list)
            }
            OutputFormat::Yaml => {
                Sink::List(spill()?, report::ListOut::yaml(report::YamlList::items()))
            }
            _ => Sink::Whole {
                items: Vec::new(),
                documents,
            },
        })
    }

    fn add(&mut self, mut e: Evaluated, decider: &Decider, mode: Mode) -> Result<()> {
        match self {
            Sink::Table {
                table,
                wide,
                labels,
            } => {
                let r = ObjectReport::new(&e, &decider.webhooks, mode);
                let mut row = table_row(&r, *wide);
                row.extend(Table::label_cells(
                    &e.subject.pod.labels,
                    &labels.0,
                    labels.1,
                ));
                table.row(row);
            }
            Sink::Names(out) => {
                out.write(&gather::kubectl_name(e.subject.kind, &e.subject.name))?;
                out.write("\n")?;
            }
            Sink::Sarif { results, documents } => {
                results.extend(codes::sarif_results(std::slice::from_ref(&e), documents));
            }
            Sink::List(out, list) => {
                list.item(out, &ObjectReport::new(&e, &decider.webhooks, mode))?;
            }
            Sink::Whole { items, .. } => {
                // Nothing prints or sorts on the pod's annotations: they can be large
                // (`last-applied-configuration`).
                e.subject.pod.annotations = StringMap::new();
                items.push(e);
            }
        }
        Ok(())
    }

    /// The output, and for every decision held, the warning lines in the output's order
    /// (the order of sorting); otherwise the lines gathered in input order stand.
    fn finish(
        self,
        format: &OutputFormat,
        decider: &Decider,
        args: &CheckArgs,
    ) -> Result<(Output, Option<Vec<String>>)> {
        let headers = !args.table.no_headers;
        let out = match self {
            Sink::Table { table, .. } if table.is_empty() => Output::Text(String::new()),
            Sink::Table { mut table, .. } => {
                let mut out = super::spill_threshold().map(report::Spill::new)?;
                table.render_into(headers, &mut out)?;
                Output::Spilled(out)
            }
            Sink::Names(out) => Output::Spilled(out),
            Sink::Sarif { results, .. } => Output::Text(crate::report::sarif::render(&results)?),
            Sink::List(mut out, list) => {
                list.end(&mut out)?;
                Output::Spilled(out)
            }
            Sink::Whole {
                mut items,
                documents,
            } => {
                if let Some(by) = &args.table.sort_by {
                    let order = output::sort_order(
                        &object_reports(&items, decider, args.policy.mode, true),
                        by,
                    )?;
                    output::permute(&mut items, &order);
                }
                let warnings = codes::warning_lines(&items);
                // Sorted, the decisions go through the sink of their format as unsorted
                // ones do; a query or custom columns read the whole report.
                let out = match Sink::streamed(format, args, documents)? {
                    Sink::Whole { .. } => {
                        let report = CheckReport {
                            items: object_reports(&items, decider, args.policy.mode, true),
                        };
                        Output::Text(
                            super::report_output(format, &report, &report.items, headers)?
                                .unwrap_or_default(),
                        )
                    }
                    mut sink => {
                        for e in items {
                            sink.add(e, decider, args.policy.mode)?;
                        }
                        sink.finish(format, decider, args)?.0
                    }
                };
                return Ok((out, Some(warnings)));
            }
        };
        Ok((out, None))
    }
}

/// The report of each decision, in order; without the facts each stood on unless `facts`
/// (only JSON, YAML and queries over them print those).
fn object_reports<'a>(
    items: &'a [Evaluated],
    decider: &Decider,
    mode: Mode,
    facts: bool,
) -> Vec<ObjectReport<'a>> {
    items
        .iter()
        .map(|e| {
            let mut r = ObjectReport::new(e, &decider.webhooks, mode);
            if !facts {
                r.facts = Vec::new();
            }
            r
        })
        .collect()
}

/// The live report item of each row, in order.
fn live_items<'a>(rows: &'a [Row], decider: &Decider, mode: Mode) -> Vec<LiveItem<'a>> {
    rows.iter()
        .map(|r| live_item(&r.eval, decider, mode, &r.workload, r.pods.clone()))
        .collect()
}

/// Whether every object got the expected answer, and the lines that say which did not.
fn expectation<'a>(expect: Expect, items: impl Iterator<Item = &'a Evaluated>) -> (String, bool) {
    let mut x = Expectation::new(expect);
    for e in items {
        x.add(e);
    }
    x.finish()
}

/// `--expect`, object by object: how many were checked, and a line for each that differs.
struct Expectation {
    want: bool,
    checked: usize,
    wrong: usize,
    lines: String,
}

impl Expectation {
    fn new(expect: Expect) -> Expectation {
        Expectation {
            want: expect == Expect::Inject,
            checked: 0,
            wrong: 0,
            lines: String::new(),
        }
    }

    fn add(&mut self, e: &Evaluated) {
        self.checked += 1;
        if e.decision.inject == self.want {
            return;
        }
        self.wrong += 1;
        self.lines.push_str(&format!(
            "  {} {}/{}: {} by {}: {}\n",
            e.subject.kind,
            report::escape(&e.subject.namespace),
            report::escape(&e.subject.name),
            if e.decision.inject {
                "injected"
            } else {
                "skipped"
            },
            e.decision.decided_by,
            report::escape(&e.decision.reason)
        ));
    }

    /// The text to print, and whether the expectation was met.
    fn finish(self) -> (String, bool) {
        let word = if self.want { "inject" } else { "skip" };
        if self.checked == 0 {
            return (
                format!("expected {word}, but there is no pod or workload to check\n"),
                false,
            );
        }
        if self.wrong == 0 {
            return (String::new(), true);
        }
        (
            format!(
                "expected {word}: {} of {} objects differ\n{}",
                self.wrong, self.checked, self.lines
            ),
            false,
        )
    }
}

/// One workload (or bare pod) of the live report and the states of its pods.
struct Row {
    eval: Evaluated,
    workload: Workload,
    pods: Vec<PodState>,
}

/// A live report item for a decided workload and its pods' states, with the remedy for
/// their drift.
pub(super) fn live_item<'a>(
    eval: &'a Evaluated,
    decider: &Decider,
    mode: Mode,
    workload: &Workload,
    pods: Vec<PodState>,
) -> LiveItem<'a> {
    let kinds: Vec<_> = pods
        .iter()
        .filter_map(|p| p.drift.as_ref().map(|d| d.kind))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let drifted: Vec<&str> = pods
        .iter()
        .filter(|p| p.drift.is_some())
        .map(|p| p.name.as_str())
        .collect();
    let remedy = state::remedy(workload, &kinds, &drifted, &eval.decision);
    LiveItem {
        object: ObjectReport::new(eval, &decider.webhooks, mode),
        drift: state::summary(&pods),
        pods,
        remedy,
    }
}

/// `check` against the cluster: the facts, the workloads in scope, then the pods page by
/// page — each decided as itself, compared with what runs, kept only as its state.
fn live(args: &CheckArgs, suppress: &Suppressions) -> Result<Outcome> {
    let selector = args.selector.as_deref().map(Selector::parse).transpose()?;
    let format = super::resolve_output(&args.output)?;
    let targets = gather::targets(&args.targets)?;
    // `ns/web` checks every workload of namespace web (as `-n web`); the other targets
    // narrow the kinds (and names) in scope.
    let named_namespaces: Vec<String> = targets
        .iter()
        .filter(|t| t.ty == ResourceType::Namespace)
        .map(|t| t.name.clone())
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            anyhow::anyhow!("a bare `ns` names no namespace")
                .hint("`kubectl inject check ns/web` checks namespace web; -A checks them all")
        })?;
    let workload_targets: Vec<_> = targets
        .iter()
        .filter(|t| t.ty != ResourceType::Namespace)
        .cloned()
        .collect();
    let mut kinds: Vec<WorkloadKind> = workload_targets
        .iter()
        .filter_map(|t| match t.ty {
            ResourceType::Workload(k) => Some(k),
            ResourceType::Namespace => None,
        })
        .collect();
    if kinds.is_empty() {
        kinds = WorkloadKind::ALL
            .into_iter()
            .filter(|k| *k != WorkloadKind::DeploymentConfig)
            .collect();
    }
    let cluster = connect(&args.kube)?;
    let ns = gather_live::namespace(&cluster, &args.kube);
    let scopes: Vec<Scope<'_>> = if args.kube.all_namespaces {
        vec![Scope::All]
    } else if !named_namespaces.is_empty() {
        named_namespaces
            .iter()
            .map(|n| Scope::Namespace(n))
            .collect()
    } else {
        vec![Scope::Namespace(&ns)]
    };
    let mut facts = Facts::new();
    let needed: Option<BTreeSet<String>> = scopes
        .iter()
        .map(|s| match s {
            Scope::Namespace(n) => Some(n.to_string()),
            Scope::All => None,
        })
        .collect();
    let (decider, mut warnings) = gather::live_facts(
        &cluster,
        &mut facts,
        &args.policy,
        &args.istio_namespace,
        needed.as_ref(),
    )?;
    let mut rows: Vec<Row> = Vec::new();
    let mut templates = super::templates::RevisionTemplates::new(&facts);
    let mut readable = false;
    for &scope in &scopes {
        readable |= read_scope(
            &cluster,
            scope,
            &kinds,
            (&facts, &decider),
            &mut templates,
            &mut rows,
            &mut warnings,
        )?;
    }
    if !readable {
        return Err(nothing_readable(&scopes, &warnings));
    }

    rows.retain(|r| kinds.contains(&r.workload.kind));
    if !workload_targets.is_empty() {
        let keep: BTreeSet<(WorkloadKind, String, String)> = gather::select(
            rows.iter().map(|r| r.eval.clone()).collect(),
            &workload_targets,
            None,
        )?
        .into_iter()
        .map(|e| (e.subject.kind, e.subject.namespace, e.subject.name))
        .collect();
        rows.retain(|r| {
            keep.contains(&(
                r.workload.kind,
                r.workload.namespace.clone(),
                r.workload.name.clone(),
            ))
        });
    }
    if let Some(sel) = &selector {
        rows.retain(|r| sel.matches(&r.eval.subject.pod.labels));
    }
    // -r narrows to what that revision injects, or injected.
    if let Some(rev) = &decider.narrow {
        rows.retain(|r| {
            r.eval.decision.revision.as_deref() == Some(rev.as_str())
                || r.pods
                    .iter()
                    .any(|p| p.revision.as_deref() == Some(rev.as_str()))
        });
    }
    for r in &mut rows {
        codes::suppress(std::slice::from_mut(&mut r.eval), suppress);
        let (ns, name) = (r.workload.namespace.clone(), r.workload.name.clone());
        for p in &mut r.pods {
            // A drift is silenced by the workload's name or the pod's.
            if p.drift.as_ref().is_some_and(|d| {
                let code = crate::findings::code(crate::findings::Coded::Drift(d.kind));
                suppress.covers(code, Some(&ns), Some(&name))
                    || suppress.covers(code, Some(&ns), Some(&p.name))
            }) {
                p.drift = None;
            }
        }
    }
    rows.sort_by(|a, b| {
        (&a.workload.namespace, a.workload.kind, &a.workload.name).cmp(&(
            &b.workload.namespace,
            b.workload.kind,
            &b.workload.name,
        ))
    });

    let namespaces = namespace_summaries(&rows, &facts);
    if let Some(by) = &args.table.sort_by {
        let order = output::sort_order(&live_items(&rows, &decider, args.policy.mode), by)?;
        output::permute(&mut rows, &order);
    }
    let items = live_items(&rows, &decider, args.policy.mode);
    let drifted = items.iter().any(|i| i.drift.is_some());
    if format == OutputFormat::Sarif {
        let evaluated: Vec<Evaluated> = rows.iter().map(|r| r.eval.clone()).collect();
        let mut results = codes::sarif_results(&evaluated, &codes::Documents::default());
        results.extend(live_drift_results(&items));
        report::warnings(&warnings);
        report::stdout(&crate::report::sarif::render(&results)?)?;
        return Ok(finish(args, drifted, &rows));
    }
    let headers = !args.table.no_headers;
    let out = match &format {
        OutputFormat::Name => rows
            .iter()
            .map(|r| {
                format!(
                    "{}\n",
                    gather::kubectl_name(r.workload.kind, &r.workload.name)
                )
            })
            .collect(),
        OutputFormat::Table | OutputFormat::Wide | OutputFormat::CustomColumns(_)
            if items.is_empty() =>
        {
            // kubectl says so on stderr; stdout stays empty.
            let none = match scopes.as_slice() {
                [Scope::Namespace(ns)] => format!("No resources found in {ns} namespace.\n"),
                _ => "No resources found.\n".to_string(),
            };
            report::warnings(&warnings);
            report::stderr(&none);
            return Ok(finish(args, drifted, &rows));
        }
        OutputFormat::Table | OutputFormat::Wide => {
            let mut t = live_table(&items, format == OutputFormat::Wide);
            let labels: Vec<&StringMap> = rows.iter().map(|r| &r.eval.subject.pod.labels).collect();
            t.label_columns(&labels, &args.label_columns, args.show_labels);
            let mut n = namespace_table(&namespaces);
            let ns_labels: Vec<StringMap> = namespaces
                .iter()
                .map(|n| facts.namespace(&n.namespace).labels.value.clone())
                .collect();
            let ns_labels: Vec<&StringMap> = ns_labels.iter().collect();
            n.label_columns(&ns_labels, &args.label_columns, args.show_labels);
            let mut s = t.render(headers)?;
            s.push('\n');
            s.push_str(&n.render(headers)?);
            report::warnings(&warnings);
            let evaluated: Vec<Evaluated> = rows.iter().map(|r| r.eval.clone()).collect();
            report::warnings(&codes::warning_lines(&evaluated));
            report::stdout(&s)?;
            report::stderr(&drift_advice(&items));
            return Ok(finish(args, drifted, &rows));
        }
        other => {
            let report = LiveCheckReport {
                items,
                namespaces,
                warnings: &warnings,
            };
            super::report_output(other, &report, &report.items, headers)?.unwrap_or_default()
        }
    };
    report::warnings(&warnings);
    report::stdout(&out)?;
    Ok(finish(args, drifted, &rows))
}

/// A SARIF result per drifted pod (`KI2xx`), named by its workload and pod.
fn live_drift_results(items: &[LiveItem<'_>]) -> Vec<crate::report::sarif::SarifResult> {
    let mut out = Vec::new();
    for i in items {
        let o = &i.object;
        for p in &i.pods {
            if let Some(d) = &p.drift {
                out.push(crate::report::sarif::SarifResult {
                    code: crate::findings::info(crate::findings::Coded::Drift(d.kind)),
                    message: format!(
                        "{} {}/{}: pod {}: {}{}",
                        o.kind,
                        o.namespace,
                        o.name,
                        p.name,
                        d.message,
                        i.remedy
                            .as_deref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    ),
                    file: None,
                    line: None,
                    object: Some(format!("{} {}/{}", o.kind, o.namespace, o.name)),
                });
            }
        }
    }
    out
}

/// Reads one scope's workloads, then its pods page by page — each decided as itself,
/// compared with what runs, kept only as its state — into `rows`. False when neither
/// workloads nor pods could be read (all forbidden).
fn read_scope(
    cluster: &crate::cluster::Cluster,
    scope: Scope<'_>,
    kinds: &[WorkloadKind],
    (facts, decider): (&Facts, &Decider),
    templates: &mut super::templates::RevisionTemplates<'_>,
    rows: &mut Vec<Row>,
    warnings: &mut Vec<String>,
) -> Result<bool> {
    let workloads = gather_live::workloads(cluster, scope, kinds, warnings)?;
    let mut index: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for LiveWorkload { subject, manual } in workloads.items {
        let workload = Workload {
            kind: subject.kind,
            namespace: subject.namespace.clone(),
            name: subject.name.clone(),
            manual,
        };
        index.insert(
            (
                workload.namespace.clone(),
                workload.kind.as_str().to_string(),
                workload.name.clone(),
            ),
            rows.len(),
        );
        rows.push(Row {
            eval: decider.engine.evaluate(facts, subject),
            workload,
            pods: Vec::new(),
        });
    }
    let want_pods = kinds.contains(&WorkloadKind::Pod);
    let pods_read = gather_live::soft(
        cluster.list_each(Kind::Pod, scope, None, |pod| {
            let Ok(p) = pod_of(&pod, WorkloadKind::Pod) else {
                return Ok(()); // not well-formed: nothing to decide on
            };
            let (pns, _, pname) = key_of(&pod, "Pod");
            let subject = Subject {
                at: format!("cluster pod {pns}/{pname}"),
                kind: WorkloadKind::Pod,
                name: pname.clone(),
                namespace: pns.clone(),
                pod: p,
            };
            let eval = decider.engine.evaluate(facts, subject);
            let st = state::pod_state(&pod, Some(&eval.decision), templates);
            match top_owner(&pod, &workloads.controllers) {
                Some((kind, name)) => {
                    if let Some(&i) = index.get(&(pns, kind, name)) {
                        rows[i].pods.push(st);
                    }
                }
                None if want_pods => rows.push(Row {
                    eval,
                    workload: Workload {
                        kind: WorkloadKind::Pod,
                        namespace: pns,
                        name: pname,
                        manual: false,
                    },
                    pods: vec![st],
                }),
                None => {}
            }
            Ok(())
        }),
        warnings,
        "running pods are not compared with the policy",
    )?
    .is_some();
    Ok(workloads.readable || pods_read)
}

/// Nothing could be read: one error saying so (and what else was forbidden), not a warning
/// per request before it; the other warnings are printed.
fn nothing_readable(scopes: &[Scope<'_>], warnings: &[String]) -> anyhow::Error {
    let (forbidden, other): (Vec<&String>, Vec<&String>) = warnings
        .iter()
        .partition(|w| w.starts_with("forbidden: cannot "));
    report::warnings(&other.into_iter().cloned().collect::<Vec<_>>());
    let also: Vec<&str> = forbidden
        .iter()
        .filter_map(|w| {
            let rest = w.strip_prefix("forbidden: cannot ")?;
            rest.split(": ").next()
        })
        .collect();
    let namespaces: Vec<&str> = scopes
        .iter()
        .filter_map(|s| match s {
            Scope::Namespace(n) => Some(*n),
            Scope::All => None,
        })
        .collect();
    let (where_, hint) = match namespaces.as_slice() {
        [] => (
            "in any namespace".to_string(),
            "see what you may read: `kubectl auth can-i list pods -A` and `kubectl auth can-i --list`".to_string(),
        ),
        [ns] => (
            format!("in namespace {ns:?}"),
            format!("see what you may read: `kubectl auth can-i list pods -n {ns}` and `kubectl auth can-i --list -n {ns}`"),
        ),
        many => (
            format!("in namespaces {}", many.join(", ")),
            format!("see what you may read: `kubectl auth can-i --list -n {}`", many[0]),
        ),
    };
    let mut err = anyhow::anyhow!("forbidden: cannot list any workload or pod {where_}");
    if !also.is_empty() {
        err = anyhow::anyhow!("forbidden: {}", also.join("; ")).context(err.to_string());
    }
    err.hint(hint)
}

fn finish(args: &CheckArgs, drifted: bool, rows: &[Row]) -> Outcome {
    let mut outcome = if drifted {
        Outcome::No
    } else {
        Outcome::Success
    };
    if let Some(expect) = args.expect
        && !expectation(expect, rows.iter().map(|r| &r.eval)).1
    {
        outcome = Outcome::No;
    }
    outcome
}

fn namespace_summaries(rows: &[Row], facts: &Facts) -> Vec<NamespaceSummary> {
    let mut by_ns: BTreeMap<&str, NamespaceSummary> = BTreeMap::new();
    for r in rows {
        let ns = r.workload.namespace.as_str();
        let entry = by_ns.entry(ns).or_insert_with(|| NamespaceSummary {
            namespace: ns.to_string(),
            injection: injection_label(&facts.namespace(ns).labels.value),
            pods: 0,
            injected: 0,
            needing_restart: 0,
        });
        entry.pods += r.pods.len();
        entry.injected += r.pods.iter().filter(|p| p.injected).count();
        entry.needing_restart += r.pods.iter().filter(|p| p.drift.is_some()).count();
    }
    by_ns.into_values().collect()
}

/// The injection labels of a namespace, as one string (`istio-injection=enabled`, `-`).
fn injection_label(labels: &crate::model::StringMap) -> String {
    use crate::model::webhook::{INJECTION_LABEL, REV_LABEL};
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
