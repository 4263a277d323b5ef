//! The decision for one object, as data (`-o json|yaml`) and as the text `explain` prints:
//! the verdict, one line per step with the field it read, the facts it stood on and where
//! each came from, findings, and a hint.

use colored::Colorize;
use serde::Serialize;

use crate::facts::{Fact, Source};
use crate::model::WebhookConfiguration;
use crate::model::webhook::{INJECTION_LABEL, REV_LABEL};
use crate::policy::{Decision, Evaluated, Mode};

/// One fact a decision stood on, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FactUse {
    /// `namespace web labels`, `webhook configurations`, `injector configuration`.
    pub fact: String,
    pub value: String,
    pub source: Source,
    /// True when nothing said it and a default was assumed.
    pub assumed: bool,
}

impl FactUse {
    fn new(fact: String, value: String, source: &Source) -> FactUse {
        FactUse {
            fact,
            value,
            assumed: source.assumed(),
            source: source.clone(),
        }
    }
}

/// The machine-readable form of one decision.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectReport<'a> {
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    #[serde(flatten)]
    pub decision: &'a Decision,
    /// Where the object came from (`app.yaml: document 2 (Deployment web/frontend)`).
    pub source: &'a str,
    pub facts: Vec<FactUse>,
}

/// The facts a decision stood on: the namespace's labels, the webhook configurations (Istio
/// mode), the injector configuration whose rules applied.
pub fn facts_used(
    e: &Evaluated,
    webhooks: &Fact<Vec<WebhookConfiguration>>,
    mode: Mode,
) -> Vec<FactUse> {
    let ns = &e.namespace;
    let labels = if ns.labels.is_empty() {
        "none".to_string()
    } else {
        let relevant: Vec<String> = ns
            .labels
            .iter()
            .filter(|(k, _)| *k == INJECTION_LABEL || *k == REV_LABEL)
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if relevant.is_empty() {
            format!("{} labels, no injection label", ns.labels.len())
        } else {
            relevant.join(", ")
        }
    };
    let mut out = vec![FactUse::new(
        format!("namespace {} labels", ns.name),
        labels,
        &ns.source,
    )];
    if mode == Mode::Istio {
        let names: Vec<&str> = webhooks.value.iter().map(|w| w.name.as_str()).collect();
        out.push(FactUse::new(
            "webhook configurations".into(),
            names.join(", "),
            &webhooks.source,
        ));
    }
    if let Some(c) = &e.decision.config {
        out.push(FactUse::new(
            "injector configuration".into(),
            c.name.clone(),
            &c.source,
        ));
    }
    out
}

impl<'a> ObjectReport<'a> {
    pub fn new(
        e: &'a Evaluated,
        webhooks: &Fact<Vec<WebhookConfiguration>>,
        mode: Mode,
    ) -> ObjectReport<'a> {
        ObjectReport {
            kind: e.subject.kind.as_str(),
            namespace: &e.subject.namespace,
            name: &e.subject.name,
            decision: &e.decision,
            source: &e.subject.at,
            facts: facts_used(e, webhooks, mode),
        }
    }
}

/// The terminal width to wrap `explain` text to: only when stdout is a terminal.
pub fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0).max(40))
}

/// `text` after `first` on the first line and `rest` on the others, wrapped at word
/// boundaries to `width` columns (no wrapping without a width).
fn wrapped(first: &str, rest: &str, text: &str, width: Option<usize>) -> String {
    match width {
        None => format!("{first}{text}\n"),
        Some(w) => {
            let options = textwrap::Options::new(w)
                .initial_indent(first)
                .subsequent_indent(rest)
                .break_words(false);
            let mut s = textwrap::fill(text, options);
            s.push('\n');
            s
        }
    }
}

/// The readable block for one object: a verdict line, one line per step (and the field it
/// read), the facts with their sources, findings, a hint.
pub fn explain_text(r: &ObjectReport<'_>, width: Option<usize>) -> String {
    let d = r.decision;
    let verdict = if d.inject {
        "will be injected".green().bold()
    } else {
        "will not be injected".red().bold()
    };
    let mut via = String::new();
    if let (Some(rev), Some(w)) = (&d.revision, &d.webhook) {
        via = match &d.tag {
            Some(tag) => format!(", revision {rev} via tag {tag} ({})", w.configuration),
            None => format!(", revision {rev} ({})", w.configuration),
        };
    }
    let mut out = wrapped(
        "",
        "  ",
        &format!(
            "{} {}/{}: {verdict} (decided by {}{via})",
            r.kind,
            super::escape(r.namespace),
            super::escape(r.name),
            d.decided_by
        ),
        width,
    );
    let rule_width = d
        .steps
        .iter()
        .map(|st| st.rule.as_str().len())
        .max()
        .unwrap_or(0);
    let hang = " ".repeat(4 + rule_width + 2);
    for st in &d.steps {
        let glyph = if st.matched { "✔" } else { "✘" };
        let head = format!("  {glyph} {:<rule_width$}  ", st.rule.as_str());
        let detail = if st.decided {
            format!("{}  ← decided", super::escape(&st.detail))
        } else {
            super::escape(&st.detail).into_owned()
        };
        let mut block = wrapped(&head, &hang, &detail, width);
        if st.decided {
            block = if d.inject {
                block.trim_end().green().bold().to_string() + "\n"
            } else {
                block.trim_end().red().bold().to_string() + "\n"
            };
        }
        out.push_str(&block);
        if let Some(f) = &st.field {
            out.push_str(
                &wrapped(
                    &format!("{hang}↳ "),
                    &format!("{hang}  "),
                    &super::escape(f),
                    width,
                )
                .dimmed()
                .to_string(),
            );
        }
    }
    if !r.facts.is_empty() {
        out.push_str("  facts:\n");
        for f in &r.facts {
            let from = if f.assumed {
                f.source.to_string().yellow().to_string()
            } else {
                format!("from {}", f.source)
            };
            out.push_str(&wrapped(
                "    ",
                "      ",
                &format!(
                    "{}: {} ({from})",
                    f.fact,
                    super::escape(&f.value.to_string())
                ),
                width,
            ));
        }
    }
    for f in &d.findings {
        out.push_str(&wrapped(
            &format!("  {} ", "note:".yellow().bold()),
            "        ",
            &super::escape(&f.message),
            width,
        ));
    }
    if let Some(h) = &d.hint {
        out.push_str(&wrapped(
            &format!("  {} ", "hint:".cyan().bold()),
            "        ",
            &super::escape(h),
            width,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole_and_indents_continuations() {
        let s = wrapped(
            "  hint: ",
            "        ",
            "run `kubectl label namespace web istio-injection=enabled` to inject it",
            Some(40),
        );
        assert_eq!(
            s,
            "  hint: run `kubectl label namespace web\n        istio-injection=enabled` to\n        inject it\n"
        );
        for line in s.lines() {
            assert!(line.chars().count() <= 40, "{line:?}");
        }
        assert_eq!(
            wrapped("a: ", "   ", "one two", None),
            "a: one two\n",
            "no wrapping without a terminal"
        );
    }
}
