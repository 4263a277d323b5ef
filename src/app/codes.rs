//! Findings with their codes for the commands that decide: `--suppress` applied to the
//! decisions, the warning lines `check` prints beside its table, and SARIF results located
//! at the file and line of each object's document.

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

/// The document an object came from, by its `at` (`app.yaml: document 2 (Deployment …)` or
/// `…, items[0] (…)`): the longest document whose name starts it.
pub(super) fn document_of<'d>(at: &str, documents: &'d [DocRef]) -> Option<&'d DocRef> {
    documents
        .iter()
        .filter(|d| {
            let name = d.to_string();
            at.strip_prefix(name.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ',']))
        })
        .max_by_key(|d| d.to_string().len())
}

/// A SARIF result per finding, at its object's file and line when it came from a file.
pub(super) fn sarif_results(items: &[Evaluated], documents: &[DocRef]) -> Vec<SarifResult> {
    let mut out = Vec::new();
    for e in items {
        let doc = document_of(&e.subject.at, documents);
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
        let docs = [d(1, 1), d(12, 40)];
        assert_eq!(
            document_of("app.yaml: document 1 (Deployment web/x)", &docs).map(|d| d.line),
            Some(1)
        );
        assert_eq!(
            document_of("app.yaml: document 12, items[0] (Pod web/y)", &docs).map(|d| d.line),
            Some(40)
        );
        assert_eq!(document_of("other.yaml: document 1 (Pod a/b)", &docs), None);
    }
}
