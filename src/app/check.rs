//! `check -f`: would these pods and workloads get a sidecar? A kubectl-style table
//! (NAMESPACE, KIND, NAME, INJECT, RULE; REASON with `-o wide`), `-o name`, or
//! `{"items": [...]}` as JSON/YAML (each item as `explain -o json` describes).
//!
//! Kinds that are not pods or workloads are skipped silently. Exit codes: 0, or 1 with
//! `--expect` when some object does not get the expected answer (or there is no object to
//! check); 2 on bad input.

use anyhow::Result;
use colored::Colorize;
use serde::Serialize;

use crate::cli::{CheckArgs, Expect, OutputFormat};
use crate::policy::Selector;
use crate::report;

use super::Outcome;
use super::explain::{Evaluated, ObjectReport, evaluate, kubectl_name, select};

#[derive(Serialize)]
struct CheckReport<'a> {
    items: Vec<ObjectReport<'a>>,
}

pub fn run(args: CheckArgs) -> Result<Outcome> {
    if args.injector {
        return super::injector::run(&args).map_err(super::live::advise);
    }
    if args.input.filenames.is_empty() {
        return super::live_cmd::check(&args).map_err(super::live::advise);
    }
    // Parse -l before reading anything, so a bad selector fails fast with exit 2.
    let selector = args.selector.as_deref().map(Selector::parse).transpose()?;
    let batch = evaluate(&args.input, &args.policy, args.kube.namespace.as_deref())?;
    let mut items = batch.items;
    if !args.targets.is_empty() {
        items = select(items, &args.targets, args.kube.namespace.as_deref())?;
    }
    if let Some(sel) = &selector {
        items.retain(|e| sel.matches(&e.subject.pod.labels));
    }

    let out = match args.output {
        OutputFormat::Table => table(&items, false),
        OutputFormat::Wide => table(&items, true),
        OutputFormat::Name => items
            .iter()
            .map(|e| format!("{}\n", kubectl_name(e.subject.kind, &e.subject.name)))
            .collect(),
        OutputFormat::Json => {
            let report = CheckReport {
                items: items.iter().map(Evaluated::report).collect(),
            };
            let mut s = serde_json::to_string_pretty(&report)?;
            s.push('\n');
            s
        }
        OutputFormat::Yaml => serde_yaml::to_string(&CheckReport {
            items: items.iter().map(Evaluated::report).collect(),
        })?,
    };

    let mut diagnostics = String::new();
    if items.is_empty() && matches!(args.output, OutputFormat::Table | OutputFormat::Wide) {
        diagnostics.push_str("No resources found.\n");
    }
    let mut outcome = Outcome::Success;
    if let Some(expect) = args.expect {
        let want = expect == Expect::Inject;
        let word = if want { "inject" } else { "skip" };
        let wrong: Vec<&Evaluated> = items.iter().filter(|e| e.decision.inject != want).collect();
        if items.is_empty() {
            diagnostics.push_str(&format!(
                "expected {word}, but there is no pod or workload to check\n"
            ));
            outcome = Outcome::No;
        } else if !wrong.is_empty() {
            diagnostics.push_str(&format!(
                "expected {word}: {} of {} objects differ\n",
                wrong.len(),
                items.len()
            ));
            for e in wrong {
                diagnostics.push_str(&format!(
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
            outcome = Outcome::No;
        }
    }
    report::stdout(&out)?;
    report::stderr(&diagnostics);
    Ok(outcome)
}

/// kubectl's table: upper-case headers, columns separated by three spaces, no trailing blanks.
fn table(items: &[Evaluated], wide: bool) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut rows: Vec<Vec<String>> = vec![
        ["NAMESPACE", "KIND", "NAME", "INJECT", "RULE", "REASON"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    ];
    for e in items {
        rows.push(vec![
            report::escape(&e.subject.namespace).into_owned(),
            e.subject.kind.as_str().to_string(),
            report::escape(&e.subject.name).into_owned(),
            if e.decision.inject { "yes" } else { "no" }.to_string(),
            e.decision.decided_by.as_str().to_string(),
            report::escape(&e.decision.reason).into_owned(),
        ]);
    }
    let columns = if wide { 6 } else { 5 };
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, (cell, width)) in row.iter().zip(&widths).enumerate() {
            let last = c + 1 == columns;
            let padded = if last {
                cell.clone()
            } else {
                format!("{}   ", report::pad(cell, *width))
            };
            // Color only the answer, and only after padding: widths count visible characters.
            if c == 3 && i > 0 {
                let colored = if cell == "yes" {
                    padded.green()
                } else {
                    padded.red()
                };
                line.push_str(&colored.to_string());
            } else {
                line.push_str(&padded);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
