//! `check`'s reports: the decisions for files (`{"items": [...]}`), and for a live cluster
//! each workload with its pods' state and drift, the namespaces' totals and the warnings.
//! Tables and text are renderers of the same structs that `-o json|yaml` serialize.

use serde::Serialize;

use super::decision::ObjectReport;
use super::table::{Cell, Style, Table};
use crate::drift::state::{DriftKind, PodState};

/// `check -f`: every decision.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub items: Vec<ObjectReport<'a>>,
}

/// One row of a live report: the decision for a workload plus the state of its pods.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveItem<'a> {
    #[serde(flatten)]
    pub object: ObjectReport<'a>,
    pub pods: Vec<PodState>,
    /// A summary of the pods' drift (`1 missing sidecar`); absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    /// What fixes the drift, naming the objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

/// Per-namespace totals.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSummary {
    pub namespace: String,
    pub injection: String,
    pub pods: usize,
    pub injected: usize,
    pub needing_restart: usize,
}

/// `check` on a live cluster.
#[derive(Debug, Serialize)]
pub struct LiveCheckReport<'a> {
    pub items: Vec<LiveItem<'a>>,
    pub namespaces: Vec<NamespaceSummary>,
    pub warnings: &'a [String],
}

fn verdict(inject: bool) -> Cell {
    if inject {
        Cell::styled("yes", Style::Good)
    } else {
        Cell::styled("no", Style::Bad)
    }
}

/// The offline table's headers: NAMESPACE, KIND, NAME, INJECT, RULE (REASON with `-o wide`).
pub fn table_headers(wide: bool) -> Vec<&'static str> {
    let mut headers = vec!["NAMESPACE", "KIND", "NAME", "INJECT", "RULE"];
    if wide {
        headers.push("REASON");
    }
    headers
}

/// One decision's row of the offline table.
pub fn table_row(r: &ObjectReport<'_>, wide: bool) -> Vec<Cell> {
    let mut row = vec![
        Cell::from(r.namespace),
        Cell::from(r.kind),
        Cell::from(r.name),
        verdict(r.decision.inject),
        Cell::from(r.decision.decided_by.as_str()),
    ];
    if wide {
        row.push(Cell::from(r.decision.reason.as_str()));
    }
    row
}

/// The live table of workloads: …, PODS (injected/all), DRIFT (REVISION and REASON with
/// `-o wide`).
pub fn live_table(items: &[LiveItem<'_>], wide: bool) -> Table {
    let mut headers = table_headers(false);
    headers.extend(["PODS", "DRIFT"]);
    if wide {
        headers.extend(["REVISION", "REASON"]);
    }
    let mut t = Table::new(headers);
    for i in items {
        let o = &i.object;
        let injected = i.pods.iter().filter(|p| p.injected).count();
        let drift = match &i.drift {
            Some(d) => Cell::styled(d.clone(), Style::Warn),
            None => Cell::from("-"),
        };
        let mut row = table_row(o, false);
        row.extend([Cell::from(format!("{injected}/{}", i.pods.len())), drift]);
        if wide {
            row.push(Cell::from(o.decision.revision.as_deref().unwrap_or("-")));
            row.push(Cell::from(o.decision.reason.as_str()));
        }
        t.row(row);
    }
    t
}

/// The namespaces' totals.
pub fn namespace_table(namespaces: &[NamespaceSummary]) -> Table {
    let mut t = Table::new(["NAMESPACE", "INJECTION", "INJECTED", "PODS", "NEED RESTART"]);
    for n in namespaces {
        let restart = if n.needing_restart > 0 {
            Cell::styled(n.needing_restart.to_string(), Style::Warn)
        } else {
            Cell::from("0")
        };
        t.row(vec![
            Cell::from(n.namespace.as_str()),
            Cell::from(n.injection.as_str()),
            Cell::from(n.injected.to_string()),
            Cell::from(n.pods.to_string()),
            restart,
        ]);
    }
    t
}

/// `explain`'s lines about a live workload's pods.
pub fn pods_text(pods: &[PodState]) -> String {
    use colored::Colorize;
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
            Some(d) => format!("  ‼ {}", d.message).yellow().to_string(),
            None => String::new(),
        };
        s.push_str(&format!("    {}: {state}{drift}\n", p.name));
        if let Some(why) = &p.template_not_checked {
            s.push_str(&format!("      (template not compared: {why})\n"));
        }
    }
    s
}

/// The closing advice of a live `check` with drift: one line per kind of drift, pointing at
/// the per-workload remedies (`-o wide`/`explain` show them).
pub fn drift_advice(items: &[LiveItem<'_>]) -> String {
    let mut kinds: Vec<DriftKind> = items
        .iter()
        .flat_map(|i| {
            i.pods
                .iter()
                .filter_map(|p| p.drift.as_ref().map(|d| d.kind))
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    if kinds.is_empty() {
        return String::new();
    }
    let mut s = String::from("\nSome pods do not match the injection policy:\n");
    for i in items.iter().filter(|i| i.remedy.is_some()) {
        if let Some(r) = &i.remedy {
            s.push_str(&format!(
                "  {} {}/{}: {r}\n",
                i.object.kind, i.object.namespace, i.object.name
            ));
        }
    }
    s
}
