//! `check --injector`: gather the injector's objects from the cluster, run the pure health
//! checks, and print them in the style of `linkerd check` (or as JSON/YAML).
//!
//! Reads beyond the webhook configurations: their services, endpoints and deployments;
//! all namespaces and pods (the blast radius; forbidden is said, not fatal); and, by name,
//! the serving secrets in each service's namespace (forbidden means "not checked").

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use colored::Colorize;
use serde_json::Value;

use crate::cli::{CheckArgs, FailOn, OutputFormat};
use crate::cluster::{Kind, Scope};
use crate::findings::Suppressions;
use crate::health::{self, Input, Report, Secrets, Status};
use crate::report;

use super::Outcome;
use super::gather_live::{connect, is_injector_configuration};

pub(super) fn run(args: &CheckArgs, suppress: &Suppressions) -> Result<Outcome> {
    let cluster = connect(&args.kube)?;
    let mut input = Input::default();
    let revision = args
        .policy
        .revision
        .as_deref()
        .map(|r| if r.is_empty() { "default" } else { r });
    for mwc in cluster.list(Kind::MutatingWebhookConfiguration, Scope::All, None)? {
        let istio = is_injector_configuration(&mwc);
        let rev = mwc
            .pointer("/metadata/labels/istio.io~1rev")
            .and_then(Value::as_str)
            .unwrap_or("default");
        if istio && revision.is_none_or(|want| want == rev) {
            input.webhook_configurations.push(mwc);
        }
    }
    let services: BTreeSet<(String, String)> = input
        .webhook_configurations
        .iter()
        .flat_map(|m| {
            m.get("webhooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|h| {
            let svc = h.pointer("/clientConfig/service")?;
            Some((
                svc.get("namespace")?.as_str()?.to_string(),
                svc.get("name")?.as_str()?.to_string(),
            ))
        })
        .collect();
    let mut namespaces_read = BTreeSet::new();
    for (ns, name) in &services {
        let svc = cluster.get(Kind::Service, Some(ns), name)?;
        let ep = cluster.get(Kind::Endpoints, Some(ns), name)?;
        input.services.insert((ns.clone(), name.clone()), svc);
        input.endpoints.insert((ns.clone(), name.clone()), ep);
        if namespaces_read.insert(ns.clone()) {
            input
                .deployments
                .extend(cluster.list(Kind::Deployment, Scope::Namespace(ns), None)?);
        }
    }
    // The candidate serving secrets of every service, once per namespace, by name.
    let mut wanted: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (ns, name) in &services {
        let names = health::serving_secret_names(name)
            .into_iter()
            .map(|(n, ..)| n);
        wanted.entry(ns.as_str()).or_default().extend(names);
    }
    for (ns, names) in wanted {
        let mut found = Vec::new();
        let mut read = Secrets::Read(Vec::new());
        for secret in names {
            match cluster.get(Kind::Secret, Some(ns), &secret) {
                Ok(Some(s)) => found.push(s),
                Ok(None) => {}
                Err(e) if e.is_forbidden() => {
                    read = Secrets::Forbidden(e.to_string());
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if let Secrets::Read(have) = &mut read {
            *have = found;
        }
        input.secrets.insert(ns.to_string(), read);
    }
    input.namespaces = match cluster.list(Kind::Namespace, Scope::All, None) {
        Ok(list) => Some(list),
        Err(e) if e.is_forbidden() => None,
        Err(e) => return Err(e.into()),
    };
    input.pods = match cluster.list(Kind::Pod, Scope::All, None) {
        Ok(list) => Some(list),
        Err(e) if e.is_forbidden() => None,
        Err(e) => return Err(e.into()),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut report = health::check(&input, now);
    if !suppress.is_empty() {
        // A suppressed check is left out, and fails nothing (as `istioctl analyze -S`).
        for c in &mut report.categories {
            c.checks.retain(|check| {
                !suppress.covers(check.ki_code, None, check.configuration.as_deref())
            });
        }
        report.status = report
            .categories
            .iter()
            .flat_map(|c| &c.checks)
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Ok)
            .max(Status::Ok);
    }
    let out = match super::resolve_output(&args.output)? {
        OutputFormat::Sarif => crate::report::sarif::render(&sarif_results(&report))?,
        OutputFormat::Yaml => serde_yaml::to_string(&report)?,
        // json, jsonpath (cli::validate lets no other format through with --injector).
        format => super::report_output(&format, &report, &report.categories, true)?
            .unwrap_or_else(|| render(&report)),
    };
    report::stdout(&out)?;
    let failed = match args.fail_on {
        FailOn::Error => report.status == Status::Error,
        FailOn::Warning => report.status >= Status::Warning,
    };
    Ok(if failed {
        Outcome::No
    } else {
        Outcome::Success
    })
}

/// A SARIF result per check that warned or failed, named by its webhook configuration.
fn sarif_results(report: &Report) -> Vec<crate::report::sarif::SarifResult> {
    report
        .categories
        .iter()
        .flat_map(|c| &c.checks)
        .filter(|c| c.status >= Status::Warning)
        .map(|c| {
            let mut message = c.description.clone();
            if let Some(h) = &c.hint {
                message.push_str(&format!(" (hint: {h})"));
            }
            crate::report::sarif::SarifResult {
                code: crate::findings::info(crate::findings::Coded::Check(c.id)),
                message,
                file: None,
                line: None,
                object: c
                    .configuration
                    .as_ref()
                    .map(|n| format!("MutatingWebhookConfiguration {n}")),
            }
        })
        .collect()
}

/// `linkerd check` layout: a title, a rule of dashes, a line per check with its glyph and
/// word, the hint indented under a failure; a closing status line.
fn render(report: &Report) -> String {
    let mut out = String::new();
    let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
    for c in &report.categories {
        out.push_str(&format!(
            "{}\n{}\n",
            c.name,
            "-".repeat(c.name.chars().count())
        ));
        for check in &c.checks {
            *counts.entry(check.status).or_default() += 1;
            let glyph = match check.status {
                Status::Skipped => "-".dimmed().to_string(),
                Status::Ok => "✔".green().to_string(),
                Status::Warning => "‼".yellow().to_string(),
                Status::Error => "×".red().to_string(),
            };
            out.push_str(&format!("{glyph} {}\n", check.description));
            if let Some(h) = &check.hint {
                out.push_str(&format!("    hint: {h}\n"));
            }
        }
        out.push('\n');
    }
    let word = match report.status {
        Status::Skipped | Status::Ok => "✔ ok".green(),
        Status::Warning => "‼ warnings".yellow(),
        Status::Error => "× failed".red(),
    };
    let skipped = match counts.get(&Status::Skipped) {
        Some(n) => format!(", {n} not checked"),
        None => String::new(),
    };
    out.push_str(&format!(
        "Status check results are {word} ({} ok, {} warnings, {} errors{skipped})\n",
        counts.get(&Status::Ok).unwrap_or(&0),
        counts.get(&Status::Warning).unwrap_or(&0),
        counts.get(&Status::Error).unwrap_or(&0)
    ));
    out
}
