//! `completion SHELL` (clap_complete's scripts) and the hidden `__complete` (Cobra's
//! protocol, which kubectl runs through `kubectl_complete-inject`).
//!
//! `__complete` asks the pure walk (`completion::complete`) what the word needs, does the
//! lookup it asks for (the kubeconfig, or one LIST per kind, each bounded by
//! `--request-timeout`, [`TIMEOUT`] when not given) and prints the answer. A completion never
//! fails: any error gives no candidates, and nothing is written to stderr, which kubectl
//! passes to the terminal while the user types.

use std::time::{Duration, Instant};

use anyhow::Result;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches};
use clap_complete::Shell;
use kube::config::Kubeconfig;
use serde_json::Value;

use super::Outcome;
use crate::cli::{Cli, CompletionArgs, KubeArgs};
use crate::cluster::{Cluster, Kind, Scope};
use crate::completion::{self, Answer, Candidate, GivenFlag, Lookup, Pending};
use crate::facts::RevisionInfo;
use crate::model::WebhookConfiguration;
use crate::report;

/// How long one cluster request of a completion may take when `--request-timeout` is not on
/// the line: a completion waits while the user waits.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The program the scripts complete.
const BIN: &str = "kubectl-inject";

/// `kubectl-inject completion SHELL`.
pub fn script(args: &CompletionArgs) -> Result<Outcome> {
    report::stdout(&completion_script(args.shell))?;
    Ok(Outcome::Success)
}

/// clap_complete's script for `shell`. Its bash generator names a subcommand's case
/// `kubectl__inject__subcmd__check` in one place and `kubectl__subcmd__inject__subcmd__check`
/// in the other when the program's name has a dash, so nothing after the subcommand would
/// complete: the bash script is generated for a dashless name, then registered for ours.
fn completion_script(shell: Shell) -> String {
    let mut cmd = Cli::command();
    let name = match shell {
        Shell::Bash => "kubectl_inject",
        _ => BIN,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    if shell != Shell::Bash {
        return text;
    }
    let mut fixed = String::with_capacity(text.len());
    for line in text.lines() {
        match line.strip_suffix(" kubectl_inject") {
            Some(head) if line.trim_start().starts_with("complete -F ") => {
                fixed.push_str(head);
                fixed.push(' ');
                fixed.push_str(BIN);
            }
            _ => fixed.push_str(line),
        }
        fixed.push('\n');
    }
    fixed
}

/// `kubectl-inject __complete WORD…`.
pub fn run(words: &[String]) -> Result<Outcome> {
    let answer = match completion::complete(&Cli::command(), words) {
        Answer::Ready(done) => done,
        Answer::Lookup(pending) => {
            let found = lookup(&pending);
            pending.finish(found)
        }
    };
    report::stdout(&answer.render())?;
    Ok(Outcome::Success)
}

fn lookup(pending: &Pending) -> Vec<Candidate> {
    let kube = kube_args(&pending.given);
    match &pending.lookup {
        Lookup::Contexts | Lookup::Clusters | Lookup::Users => {
            kubeconfig_names(&kube, &pending.lookup)
        }
        Lookup::Namespaces => cluster_names(&kube, |cluster, _| {
            names(cluster.list(Kind::Namespace, Scope::All, None), None)
        }),
        Lookup::Revisions => cluster_names(&kube, |cluster, _| revisions(cluster)),
        Lookup::Objects(kind) => cluster_names(&kube, |cluster, scope| {
            Kind::from_workload(*kind)
                .map(|k| names(cluster.list(k, scope, None), None))
                .unwrap_or_default()
        }),
        Lookup::Workloads(kinds) => cluster_names(&kube, |cluster, scope| {
            // One LIST per kind; once the time of one request is spent, the rest are skipped.
            let deadline = Instant::now() + kube.request_timeout;
            let mut out = Vec::new();
            for kind in kinds {
                if Instant::now() > deadline {
                    break;
                }
                if let Some(k) = Kind::from_workload(*kind) {
                    let word = completion::type_word(*kind);
                    out.extend(names(cluster.list(k, scope, None), Some(&word)));
                }
            }
            out
        }),
    }
}

/// The kube flags given on the line, parsed by the same clap definitions as the commands'
/// (so every connection flag applies), with [`TIMEOUT`] unless `--request-timeout` is given.
/// A flag clap rejects (a bad duration, `-A` with `-n`) is left out, the others still apply.
fn kube_args(given: &[GivenFlag]) -> KubeArgs {
    let cmd = KubeArgs::augment_args(clap::Command::new("kube").no_binary_name(true));
    let mut kept: Vec<String> = Vec::new();
    for flag in given {
        let Some(arg) = cmd.get_arguments().find(|a| a.get_id() == flag.id.as_str()) else {
            continue;
        };
        let words = match (arg.get_long(), arg.get_short(), &flag.value) {
            (Some(long), _, Some(v)) => vec![format!("--{long}={v}")],
            (Some(long), _, None) => vec![format!("--{long}")],
            (None, Some(short), Some(v)) => vec![format!("-{short}"), v.clone()],
            (None, Some(short), None) => vec![format!("-{short}")],
            (None, None, _) => continue,
        };
        let tried: Vec<String> = kept.iter().cloned().chain(words).collect();
        if cmd.clone().try_get_matches_from(&tried).is_ok() {
            kept = tried;
        }
    }
    let Ok(matches) = cmd.clone().try_get_matches_from(&kept) else {
        return KubeArgs {
            request_timeout: TIMEOUT,
            chunk_size: 500,
            ..KubeArgs::default()
        };
    };
    let mut kube = KubeArgs::from_arg_matches(&matches).unwrap_or_default();
    if matches.value_source("request_timeout") != Some(ValueSource::CommandLine) {
        kube.request_timeout = TIMEOUT;
    }
    kube
}

/// Connects, then runs `list` in the namespace the line names (`-n`, else the context's),
/// or in all namespaces with `-A`. Any failure: nothing.
fn cluster_names(
    kube: &KubeArgs,
    list: impl FnOnce(&Cluster, Scope<'_>) -> Vec<Candidate>,
) -> Vec<Candidate> {
    let Ok(cluster) = Cluster::connect(kube) else {
        return Vec::new();
    };
    let namespace = kube
        .namespace
        .clone()
        .unwrap_or_else(|| cluster.default_namespace().to_string());
    let scope = if kube.all_namespaces {
        Scope::All
    } else {
        Scope::Namespace(&namespace)
    };
    list(&cluster, scope)
}

/// `metadata.name` of each listed object, as `KIND/NAME` when `kind` is given.
fn names(
    listed: Result<Vec<Value>, crate::cluster::ClusterError>,
    kind: Option<&str>,
) -> Vec<Candidate> {
    let Ok(objects) = listed else {
        return Vec::new();
    };
    objects
        .iter()
        .filter_map(|o| o.pointer("/metadata/name").and_then(Value::as_str))
        .map(|name| match kind {
            Some(kind) => Candidate::new(format!("{kind}/{name}"), ""),
            None => Candidate::new(name, ""),
        })
        .collect()
}

/// The revisions the injector's webhook configurations serve and the revision tags, as the
/// rest of the tool reads them (`facts::RevisionInfo`), each tag described by its revision.
fn revisions(cluster: &Cluster) -> Vec<Candidate> {
    let Ok(mwcs) = cluster.list(Kind::MutatingWebhookConfiguration, Scope::All, None) else {
        return Vec::new();
    };
    revision_candidates(&mwcs)
}

fn revision_candidates(mwcs: &[Value]) -> Vec<Candidate> {
    let webhooks: Vec<WebhookConfiguration> = mwcs
        .iter()
        .filter(|m| super::gather_live::is_injector_configuration(m))
        .filter_map(|m| WebhookConfiguration::from_value("the cluster", m).ok())
        .collect();
    let info = RevisionInfo::from_webhooks(&webhooks, std::iter::empty());
    let mut out: Vec<Candidate> = info
        .revisions
        .iter()
        .map(|rev| Candidate::new(rev, "revision"))
        .chain(
            info.tags
                .iter()
                .map(|(tag, rev)| Candidate::new(tag, format!("revision tag of {rev}"))),
        )
        .collect();
    out.sort_by(|a, b| a.value.cmp(&b.value));
    out
}

/// Context, cluster or user names of the kubeconfig (`--kubeconfig`, else `$KUBECONFIG`
/// merged, else `~/.kube/config`): no API call.
fn kubeconfig_names(kube: &KubeArgs, what: &Lookup) -> Vec<Candidate> {
    let config = match &kube.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    };
    let Ok(config) = config else {
        return Vec::new();
    };
    match what {
        Lookup::Contexts => config
            .contexts
            .iter()
            .map(|c| {
                let description =
                    c.context
                        .as_ref()
                        .map_or(String::new(), |ctx| match &ctx.namespace {
                            Some(ns) => format!("cluster {}, namespace {ns}", ctx.cluster),
                            None => format!("cluster {}", ctx.cluster),
                        });
                Candidate::new(&c.name, description)
            })
            .collect(),
        Lookup::Clusters => config
            .clusters
            .iter()
            .map(|c| Candidate::new(&c.name, ""))
            .collect(),
        Lookup::Users => config
            .auth_infos
            .iter()
            .map(|u| Candidate::new(&u.name, ""))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn mwc(name: &str, labels: Value, hook: &str) -> Value {
        json!({"metadata": {"name": name, "labels": labels}, "webhooks": [{"name": hook}]})
    }

    #[test]
    fn revisions_and_tags_come_from_injector_webhook_configurations() {
        let mwcs = [
            mwc(
                "istio-sidecar-injector",
                json!({}),
                "namespace.sidecar-injector.istio.io",
            ),
            mwc(
                "istio-sidecar-injector-canary",
                json!({"istio.io/rev": "canary"}),
                "rev.namespace.sidecar-injector.istio.io",
            ),
            mwc(
                "istio-revision-tag-prod",
                json!({"istio.io/rev": "canary", "istio.io/tag": "prod"}),
                "rev.object.sidecar-injector.istio.io",
            ),
            mwc(
                "istio-revision-tag-stable",
                json!({"istio.io/rev": "1-20", "istio.io/tag": "stable"}),
                "rev.object.sidecar-injector.istio.io",
            ),
            // Not the injector's: ignored.
            mwc(
                "other",
                json!({"istio.io/rev": "nope"}),
                "validation.example.com",
            ),
            // A second configuration of a revision already seen.
            mwc(
                "istio-sidecar-injector-canary-old",
                json!({"istio.io/rev": "canary"}),
                "rev.namespace.sidecar-injector.istio.io",
            ),
        ];
        let got: Vec<(String, String)> = revision_candidates(&mwcs)
            .into_iter()
            .map(|c| (c.value, c.description))
            .collect();
        // A tag's revision is a revision too, even when its own webhook is gone (1-20).
        let want = [
            ("1-20", "revision"),
            ("canary", "revision"),
            ("default", "revision"),
            ("prod", "revision tag of canary"),
            ("stable", "revision tag of 1-20"),
        ];
        assert_eq!(
            got,
            want.map(|(a, b)| (a.to_string(), b.to_string())).to_vec()
        );
    }

    #[test]
    fn kube_flags_on_the_line_reach_the_client_with_a_short_default_timeout() {
        let given = |id: &str, value: Option<&str>| GivenFlag {
            id: id.to_string(),
            value: value.map(str::to_string),
        };
        let kube = kube_args(&[
            given("context", Some("prod")),
            given("namespace", Some("web")),
            given("kubeconfig", Some("/tmp/kc")),
            given("mode", Some("managed")), // not a kube flag: ignored
        ]);
        assert_eq!(kube.context.as_deref(), Some("prod"));
        assert_eq!(kube.namespace.as_deref(), Some("web"));
        assert_eq!(
            kube.kubeconfig.as_deref(),
            Some(std::path::Path::new("/tmp/kc"))
        );
        assert_eq!(kube.request_timeout, TIMEOUT);

        let kube = kube_args(&[given("request_timeout", Some("2m"))]);
        assert_eq!(kube.request_timeout, Duration::from_secs(120));
        // A flag clap rejects is left out, never an error; the others still apply.
        let kube = kube_args(&[
            given("request_timeout", Some("soon")),
            given("context", Some("prod")),
            given("namespace", Some("web")),
            given("all_namespaces", None),
        ]);
        assert_eq!(kube.request_timeout, TIMEOUT);
        assert_eq!(kube.context.as_deref(), Some("prod"));
        assert_eq!(kube.namespace.as_deref(), Some("web"));
        assert!(!kube.all_namespaces);
    }
}
