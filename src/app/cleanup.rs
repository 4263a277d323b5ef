//! `cleanup`: undo injection. With `-f`, strip manifests (pure, `inject::uninject`) and print
//! them or rewrite the files, all or nothing; against the cluster, remove the injection
//! labels from namespaces and (`--restart`) roll the injected workloads.

use anyhow::{Result, bail};

use super::inject::{render_yaml, write_in_place};
use super::{Outcome, read_inputs};
use crate::cli::{CleanupArgs, OutputFormat};
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
    let inputs = read_inputs(&args.input)?;
    if args.in_place
        && let Some(stdin) = inputs.iter().find(|i| i.path.is_none())
    {
        bail!(
            anyhow::anyhow!("--in-place cannot rewrite {}", stdin.name)
                .hint("drop --in-place to print the result, or pass files with -f")
        );
    }
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
                let what = format!("{} {:?}", r.kind.to_ascii_lowercase(), r.name);
                if r.stripped {
                    out.push_str(&format!("{what} {verb}: {}\n", r.changes.join(", ")));
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

fn live(_args: &CleanupArgs) -> Result<Outcome> {
    super::not_built("cleanup without -f")
}
