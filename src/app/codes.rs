//! Findings with their codes for the commands that decide: `--suppress` applied to the
//! decisions, the warning lines `check` prints beside its table, and SARIF results located
//! at the file and line of each object's document.

use std::collections::HashMap;

use anyhow::Result;

use crate::findings::{Coded, Severity, Suppressions, info};
use crate::manifest::DocRef;
use crate::policy::Evaluated;
use crate::report::sarif::SarifResult;

/// `--suppress`, read once; a bad one is a usage error (exit 2).
pub(super) fn suppressions(texts: &[String]) -> Result<Suppressions> {
    Ok(Suppressions::parse(texts)?)
}

/// Drops the findings `suppress` silences for each object.
pub(super) fn suppress(items: &mut [Evaluated], suppress: &Suppressions) {
    if suppress.is_empty() {
        return;
    }
    for e in items {
        let (ns, name) = (e.subject.namespace.as_str(), e.subject.name.as_str());
        e.decision
            .findings
            .retain(|f| !suppress.covers(f.code.ki(), Some(ns), Some(name)));
    }
}

/// `[KI110] CronJob shop/report: …` for each finding of warning severity or worse: what
/// `check` says on stderr beside its table (JSON carries every finding).
pub(super) fn warning_lines(items: &[Evaluated]) -> Vec<String> {
    let mut out = Vec::new();
    for e in items {
        for f in &e.decision.findings {
            let row = info(Coded::Finding(f.code));
            if row.severity >= Severity::Warning {
                out.push(format!(
                    "[{}] {} {}/{}: {}",
                    row.code, e.subject.kind, e.subject.namespace, e.subject.name, f.message
                ));
            }
        }
    }
    out
}

/// The input's documents by name (`app.yaml: document 2`), to find the one an object came
/// from.
#[derive(Debug, Default)]
pub(super) struct Documents {
    by_name: HashMap<String, DocRef>,
}

impl Documents {
    pub fn new(documents: Vec<DocRef>) -> Documents {
        Documents {
            by_name: documents.into_iter().map(|d| (d.to_string(), d)).collect(),
        }
    }

    /// The document an object came from, by its `at` (`app.yaml: document 2 (Deployment …)`
    /// or `…, items[0] (…)`): the longest document name that starts it, followed by its end,
    /// a space or a comma. One lookup per such boundary, not a scan of every document.
    pub fn of(&self, at: &str) -> Option<&DocRef> {
        if self.by_name.is_empty() {
            return None;
        }
        let ends = at
            .char_indices()
            .filter(|(_, c)| matches!(c, ' ' | ','))
            .map(|(i, _)| i)
            .chain([at.len()]);
        let mut found = None;
        for end in ends {
            if let Some(d) = self.by_name.get(&at[..end]) {
                found = Some(d);
            }
        }
        found
    }
}

/// A SARIF result per finding, at its object's file and line when it came from a file.
pub(super) fn sarif_results(items: &[Evaluated], documents: &Documents) -> Vec<SarifResult> {
    let mut out = Vec::new();
    for e in items {
        let doc = documents.of(&e.subject.at);
        for f in &e.decision.findings {
            out.push(SarifResult {
                code: info(Coded::Finding(f.code)),
                message: format!(
                    "{} {}/{}: {}",
                    e.subject.kind, e.subject.namespace, e.subject.name, f.message
                ),
                file: doc
                    .filter(|d| !d.source.starts_with('<'))
                    .map(|d| d.source.clone()),
                line: doc.map(|d| d.line).filter(|l| *l > 0),
                object: Some(format!(
                    "{} {}/{}",
                    e.subject.kind, e.subject.namespace, e.subject.name
                )),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_is_found_in_its_document_not_a_longer_named_one() {
        let d = |i: usize, line: usize| DocRef {
            source: "app.yaml".into(),
            index: i,
            line,
        };
        let docs = Documents::new(vec![d(1, 1), d(12, 40)]);
        assert_eq!(
            docs.of("app.yaml: document 1 (Deployment web/x)")
                .map(|d| d.line),
            Some(1)
        );
        assert_eq!(
            docs.of("app.yaml: document 12, items[0] (Pod web/y)")
                .map(|d| d.line),
            Some(40)
        );
        assert_eq!(docs.of("app.yaml: document 12").map(|d| d.line), Some(40));
        assert_eq!(docs.of("app.yaml: document 123 (Pod a/b)"), None);
        assert_eq!(docs.of("other.yaml: document 1 (Pod a/b)"), None);
    }
}
