//! Command-line definition (clap only): the commands and the argument groups they share.
//!
//! Owns no behaviour. Doc comments on every argument are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::policy::Choice;
pub use crate::policy::{Compat, Mode, NamespaceCondition, PodCondition};
pub use crate::report::jsonpath::{Path as JsonPath, Template};
pub use crate::report::output::Columns;

// The help headings flags are grouped under.
const SCOPE: &str = "Scope";
const INPUT: &str = "Input";
const CLUSTER: &str = "Cluster";
const POLICY: &str = "Policy";
const CONFIG: &str = "Injector configuration";
const OUTPUT: &str = "Output";
const SAFETY: &str = "Safety";

const EXIT_CODES: &str = "\
Exit codes (each command's --help says what they mean for it):
  0  success
  1  the command worked and the answer is \"no\": `check` (--expect not met, drift, a failed
     health check), `verify` (the webhook's answer differs from the prediction)
  2  error: bad input, unreachable cluster, template failure, usage";

/// Will this pod get an Istio sidecar, why (not), and what exactly will it look like?
///
/// Re-implements the Istio sidecar-injector admission webhook, offline and against live
/// clusters. Installed on PATH as `kubectl-inject`, it runs as `kubectl inject …`.
#[derive(Debug, Parser)]
#[command(name = "kubectl-inject", bin_name = "kubectl inject", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// When to color the output: auto (a terminal, and NO_COLOR unset), always, never.
    /// Machine output (json, yaml, name, jsonpath) is never colored.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto, global = true, help_heading = OUTPUT)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Would these pods, workloads or namespaces get a sidecar? A table, exit codes for scripts.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// The step-by-step injection decision for one object, and which rule decided.
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// Render the injector's template over pods and print the injected manifests
    /// (`istioctl kube-inject` equivalent).
    #[command(after_help = INJECT_HELP)]
    Inject(InjectArgs),
    /// Remove the sidecar injector's own resources from a cluster, safely.
    #[command(after_help = UNINSTALL_HELP)]
    Uninstall(UninstallArgs),
    /// Undo injection: namespace labels, restart of injected workloads, stripping manifests.
    #[command(after_help = CLEANUP_HELP)]
    Cleanup(CleanupArgs),
    /// Prove the prediction against the real webhook: send the pod a workload would create
    /// as a server-side dry run and compare what the API server returns with the prediction.
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Snapshot the cluster's injection set-up into one YAML file (a bundle) that every
    /// offline command reads with `--bundle`: the injector webhook configurations (revisions
    /// and tags), each revision's injector and mesh ConfigMaps, and the namespaces' labels
    /// (every namespace, or `-n NS`, or those `-l` selects). Never Secrets.
    #[command(after_help = CAPTURE_HELP)]
    Capture(CaptureArgs),
    /// Run declarative test suites (`kubectl-inject-test.yaml`, found recursively under each
    /// DIR): expected decisions and injected manifests, offline, for CI.
    #[command(after_help = TEST_HELP)]
    Test(TestArgs),
    /// Print the shell completion script for `kubectl-inject` (bash, zsh, fish, powershell,
    /// elvish).
    ///
    /// `source <(kubectl-inject completion bash)` completes `kubectl-inject …`. For
    /// `kubectl inject …`, kubectl (≥ 1.26) runs `kubectl_complete-inject`, shipped beside the
    /// plugin: put it on PATH too (see the README).
    #[command(after_help = COMPLETION_HELP)]
    Completion(CompletionArgs),
}

/// The hidden entry point of Cobra's completion protocol, which kubectl runs through
/// `kubectl_complete-inject`: `kubectl-inject __complete WORD…`, the words typed after
/// `kubectl inject`, the last one being completed. Not a clap subcommand: the words are taken
/// raw (any flag, even an invalid one), and it stays out of `--help` and the scripts.
pub const COMPLETE: &str = "__complete";

/// The words to complete when the process runs as `kubectl-inject __complete WORD…`.
pub fn complete_words(args: &[std::ffi::OsString]) -> Option<Vec<String>> {
    match args {
        [_, first, words @ ..] if first == COMPLETE => Some(
            words
                .iter()
                .map(|w| w.to_string_lossy().into_owned())
                .collect(),
        ),
        _ => None,
    }
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to print the script for.
    #[arg(value_name = "SHELL", value_enum)]
    pub shell: clap_complete::Shell,
}

/// How to reach a cluster, and which namespaces to look at (kubectl's flags).
#[derive(Debug, Clone, Default, Args)]
pub struct KubeArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH", global = true, help_heading = CLUSTER)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME", global = true, help_heading = CLUSTER)]
    pub context: Option<String>,
    /// How long to wait for each API request (`30s`, `2m`, `500ms`; kubectl's flag).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration, global = true, help_heading = CLUSTER)]
    pub request_timeout: std::time::Duration,
    /// List large collections in pages of this many objects (kubectl's flag).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..), global = true, help_heading = CLUSTER)]
    pub chunk_size: u32,
    /// The namespace (default: the context's namespace, else `default`).
    #[arg(short = 'n', long, value_name = "NS", help_heading = SCOPE)]
    pub namespace: Option<String>,
    /// Look at every namespace.
    #[arg(short = 'A', long, conflicts_with = "namespace", help_heading = SCOPE)]
    pub all_namespaces: bool,
    /// The kubeconfig cluster to use (kubectl's flag).
    #[arg(long, value_name = "NAME", global = true, help_heading = CLUSTER)]
    pub cluster: Option<String>,
    /// The kubeconfig user to use (kubectl's flag).
    #[arg(long, value_name = "NAME", global = true, help_heading = CLUSTER)]
    pub user: Option<String>,
    /// The address and port of the API server, overriding the kubeconfig's.
    #[arg(short = 's', long, value_name = "URL", global = true, help_heading = CLUSTER)]
    pub server: Option<String>,
    /// A bearer token for authentication to the API server.
    #[arg(long, value_name = "TOKEN", global = true, help_heading = CLUSTER)]
    pub token: Option<String>,
    /// A CA certificate file (PEM) to verify the API server's certificate with.
    #[arg(long, value_name = "PATH", global = true, help_heading = CLUSTER)]
    pub certificate_authority: Option<PathBuf>,
    /// Do not verify the API server's certificate (insecure).
    #[arg(long, global = true, help_heading = CLUSTER)]
    pub insecure_skip_tls_verify: bool,
    /// Act as this user (impersonation).
    #[arg(long = "as", value_name = "USER", global = true, help_heading = CLUSTER)]
    pub as_user: Option<String>,
    /// Act as this group (impersonation); repeatable.
    #[arg(long = "as-group", value_name = "GROUP", global = true, help_heading = CLUSTER)]
    pub as_group: Vec<String>,
    /// Log verbosity: 6 and above print every API request, its outcome and its time on
    /// stderr (kubectl's -v).
    #[arg(
        short = 'v',
        long = "v",
        value_name = "N",
        default_value_t = 0,
        global = true,
        help_heading = CLUSTER
    )]
    pub verbosity: u8,
}

/// A duration flag's value that is not one, with the text as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{text:?} is not a duration like 30s, 2m or 500ms")]
    NotANumber { text: String },
    #[error("{text:?}: unknown unit {unit:?} (use ms, s, m or h)")]
    Unit { text: String, unit: String },
    #[error("{text:?}: must be more than zero")]
    NotPositive { text: String },
}

/// `30s`, `2m`, `1h`, `500ms`, or plain seconds: kubectl's duration forms.
fn parse_duration(text: &str) -> Result<std::time::Duration, DurationError> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| DurationError::NotANumber { text: text.into() })?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(DurationError::Unit {
                text: text.into(),
                unit: unit.into(),
            });
        }
    };
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(DurationError::NotPositive { text: text.into() });
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// Manifest input: files, directories, stdin (kubectl's `-f`, `-R`).
#[derive(Debug, Clone, Default, Args)]
pub struct InputArgs {
    /// A manifest file or directory to read; `-` reads stdin. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "FILE", help_heading = INPUT)]
    pub filenames: Vec<PathBuf>,
    /// Read the directories given with -f recursively.
    #[arg(short = 'R', long, requires = "filenames", help_heading = INPUT)]
    pub recursive: bool,
}

/// What the injector is configured with, for the offline decision.
#[derive(Debug, Clone, Default, Args)]
pub struct PolicyArgs {
    /// Labels of the pods' namespace when it is not in the input (`k=v,k2=v2`).
    #[arg(long, value_name = "K=V,…", help_heading = POLICY)]
    pub namespace_labels: Option<String>,
    /// The injector configuration: the `config` key of the `istio-sidecar-injector`
    /// ConfigMap, or the whole ConfigMap (default: the embedded default, policy enabled).
    #[arg(long = "config", value_name = "FILE", help_heading = POLICY)]
    pub config: Option<PathBuf>,
    /// A MutatingWebhookConfiguration whose webhooks decide which pods reach the injector
    /// (default: the selectors Istio installs for the revision). Repeatable.
    #[arg(long = "webhook", value_name = "FILE", help_heading = POLICY)]
    pub webhooks: Vec<PathBuf>,
    /// The injector revision whose default webhook selectors are assumed (without --webhook).
    #[arg(short = 'r', long, value_name = "REV", help_heading = POLICY)]
    pub revision: Option<String>,
    /// Assume the default webhook also has the `auto.` entry
    /// (`sidecarInjectorWebhook.enableNamespacesByDefault: true`).
    #[arg(long, help_heading = POLICY)]
    pub enable_namespaces_by_default: bool,
    /// Whose rules to apply: `istio` (the upstream webhook) or `managed` (the managed-mesh
    /// variant with separate namespace and pod conditions).
    #[arg(long, value_name = "MODE", default_value = "istio", value_parser = choice::<Mode>(), help_heading = POLICY)]
    pub mode: Mode,
    /// Managed mode, namespace condition: `include` injects namespaces labelled
    /// istio-injection=enabled; `exclude` injects every namespace not labelled
    /// istio-injection=disabled.
    #[arg(long, value_name = "CONDITION", default_value = "include", value_parser = choice::<NamespaceCondition>(), help_heading = POLICY)]
    pub namespace_condition: NamespaceCondition,
    /// Managed mode, pod condition: `opt-out` injects pods unless sidecar.istio.io/inject=false
    /// or a neverInjectSelector matches; `opt-in` injects only pods with
    /// sidecar.istio.io/inject=true or matched by an alwaysInjectSelector.
    #[arg(long, value_name = "CONDITION", default_value = "opt-out", value_parser = choice::<PodCondition>(), help_heading = POLICY)]
    pub pod_condition: PodCondition,
    /// How `sidecar.istio.io/inject` values are read: `current` (Istio ≥ 1.27: exactly
    /// "true"/"false", anything else falls back to the policy) or `legacy` (Istio ≤ 1.26:
    /// y/yes/true/on in any case are yes, any other value is no). Default: as the injector's
    /// Istio release reads them (see --istio-version), else `current`.
    #[arg(long, value_name = "COMPAT", value_parser = choice::<Compat>(), help_heading = POLICY)]
    pub compat: Option<Compat>,
    /// Never read the cluster: decide on the input, flags and documented defaults only
    /// (without it, -f input is completed with the namespaces, webhooks and injector
    /// configuration of the kubeconfig's cluster when one is configured).
    #[arg(long, visible_alias = "ignore-cluster", help_heading = CLUSTER, conflicts_with_all = CONNECTION)]
    pub offline: bool,
    /// A bundle written by `kubectl inject capture`: it stands in for the cluster (which is
    /// then not read), revisions included. A bundle inside -f input is recognised too.
    #[arg(long, value_name = "FILE", help_heading = CLUSTER)]
    pub bundle: Option<PathBuf>,
    /// Whether the injector makes native sidecars (default: the revision's
    /// `pilot.env.ENABLE_NATIVE_SIDECARS`, else off for Istio before 1.27 by its values'
    /// `global.tag`, else on, as Istio ≥ 1.27 on Kubernetes ≥ 1.33): decides the
    /// run-to-completion warning (KI110) for Jobs, CronJobs and pods that exit.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set, help_heading = POLICY)]
    pub native_sidecars: Option<bool>,
    /// Silence a finding: `CODE` everywhere, or `CODE=NAMESPACE/NAME` (`NAME` for any
    /// namespace; `*` matches any run). Codes are KI… or their names (docs/findings.md).
    /// Repeatable.
    #[arg(long = "suppress", short = 'S', value_name = "CODE[=NS/NAME]", help_heading = OUTPUT)]
    pub suppress: Vec<String>,
    #[command(flatten)]
    pub release: ReleaseArgs,
}

/// A clap parser for a domain choice, with each value's help from the domain type.
fn choice<T>() -> impl clap::builder::TypedValueParser<Value = T>
where
    T: Choice + Send + Sync + Clone,
{
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(
        T::ALL
            .iter()
            .map(|(_, name, help)| PossibleValue::new(*name).help(*help)),
    )
    .try_map(|name: String| T::from_name(&name).ok_or_else(|| format!("unknown value {name:?}")))
}

/// The flags that say how to reach a cluster: with `--offline` (or `inject --ignore-cluster`)
/// none of them could act, so giving one is refused.
const CONNECTION: [&str; 13] = [
    "kubeconfig",
    "context",
    "cluster",
    "user",
    "server",
    "token",
    "certificate_authority",
    "insecure_skip_tls_verify",
    "as_user",
    "as_group",
    "request_timeout",
    "chunk_size",
    "verbosity",
];

/// kubectl's `-o`, parsed: the plain formats, and those that carry a JSONPath template or
/// column spec (kubectl's `jsonpath=`, `jsonpath-file=`, `custom-columns=`,
/// `custom-columns-file=`). Each command accepts the kinds it can print
/// ([`output_format`]); a new format is a variant here, a kind in [`OutputKind`], and an
/// entry in the lists of the commands that print it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum OutputFormat {
    /// A table (`check`, `uninstall`, `cleanup`) or readable text (`explain`, `verify`): the
    /// default.
    #[default]
    Table,
    /// The table with more columns.
    Wide,
    Json,
    Yaml,
    /// `kind.group/name` per object.
    Name,
    /// `jsonpath=TEMPLATE`, kubectl's template over the JSON report.
    JsonPath(Template),
    /// `jsonpath-file=FILE`: the template in a file (read by the command).
    JsonPathFile(PathBuf),
    /// `custom-columns=HEADER:PATH,…`: a table of the report's rows.
    CustomColumns(Columns),
    /// `custom-columns-file=FILE`: headers on the first line, paths on the second.
    CustomColumnsFile(PathBuf),
    /// SARIF 2.1.0 (`check` only): one result per finding, with the file and line of its
    /// document, for code hosts that annotate pull requests.
    Sarif,
}

/// The kinds of `-o` value, for the lists of what each command accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    Table,
    Wide,
    Json,
    Yaml,
    Name,
    JsonPath,
    CustomColumns,
    Sarif,
}

impl OutputFormat {
    pub fn kind(&self) -> OutputKind {
        match self {
            OutputFormat::Table => OutputKind::Table,
            OutputFormat::Wide => OutputKind::Wide,
            OutputFormat::Json => OutputKind::Json,
            OutputFormat::Yaml => OutputKind::Yaml,
            OutputFormat::Name => OutputKind::Name,
            OutputFormat::JsonPath(_) | OutputFormat::JsonPathFile(_) => OutputKind::JsonPath,
            OutputFormat::CustomColumns(_) | OutputFormat::CustomColumnsFile(_) => {
                OutputKind::CustomColumns
            }
            OutputFormat::Sarif => OutputKind::Sarif,
        }
    }

    /// True for the formats that print a table with headers (`--no-headers` applies).
    pub fn is_table(&self) -> bool {
        matches!(
            self.kind(),
            OutputKind::Table | OutputKind::Wide | OutputKind::CustomColumns
        )
    }

    /// The value as typed (`json`, `jsonpath=…`), for messages.
    pub fn name(&self) -> String {
        match self {
            OutputFormat::Table => "table".into(),
            OutputFormat::Wide => "wide".into(),
            OutputFormat::Json => "json".into(),
            OutputFormat::Yaml => "yaml".into(),
            OutputFormat::Name => "name".into(),
            OutputFormat::JsonPath(t) => format!("jsonpath={}", t.text()),
            OutputFormat::JsonPathFile(p) => format!("jsonpath-file={}", p.display()),
            OutputFormat::CustomColumns(_) => "custom-columns=…".into(),
            OutputFormat::CustomColumnsFile(p) => format!("custom-columns-file={}", p.display()),
            OutputFormat::Sarif => "sarif".into(),
        }
    }

    /// Parses one `-o` value, whatever the command.
    pub fn parse(text: &str) -> Result<OutputFormat, OutputError> {
        fn template<'a>(text: &str, t: &'a str) -> Result<&'a str, OutputError> {
            if t.is_empty() {
                Err(OutputError::EmptyTemplate { text: text.into() })
            } else {
                Ok(t)
            }
        }
        Ok(match text.split_once('=') {
            None => match text {
                "table" => OutputFormat::Table,
                "wide" => OutputFormat::Wide,
                "json" => OutputFormat::Json,
                "yaml" => OutputFormat::Yaml,
                "name" => OutputFormat::Name,
                "sarif" => OutputFormat::Sarif,
                "jsonpath" | "jsonpath-file" | "custom-columns" | "custom-columns-file" => {
                    return Err(OutputError::NoTemplate { text: text.into() });
                }
                _ => return Err(OutputError::Unknown { name: text.into() }),
            },
            Some(("jsonpath", t)) => OutputFormat::JsonPath(Template::parse(template(text, t)?)?),
            Some(("jsonpath-file", f)) => {
                OutputFormat::JsonPathFile(PathBuf::from(template(text, f)?))
            }
            Some(("custom-columns", c)) => {
                OutputFormat::CustomColumns(Columns::parse(template(text, c)?)?)
            }
            Some(("custom-columns-file", f)) => {
                OutputFormat::CustomColumnsFile(PathBuf::from(template(text, f)?))
            }
            Some((other, _)) => {
                return Err(OutputError::Unknown { name: other.into() });
            }
        })
    }
}

/// An `-o` value that cannot be used, with the text as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    #[error("{text:?}: give the template after `=`")]
    EmptyTemplate { text: String },
    #[error("{text}: give its template after `=` ({text}=…)")]
    NoTemplate { text: String },
    #[error("unknown output format {name:?}")]
    Unknown { name: String },
    /// A `jsonpath=` template or `custom-columns=` spec that does not parse.
    #[error(transparent)]
    Template(#[from] crate::report::jsonpath::Error),
}

/// The `-o` values, with the text `--help` and completion show for each.
const OUTPUT_VALUES: [(OutputKind, &str, &str); 10] = [
    (OutputKind::Table, "table", "The default"),
    (OutputKind::Wide, "wide", "The table with more columns"),
    (OutputKind::Json, "json", "The report as JSON"),
    (OutputKind::Yaml, "yaml", "The report as YAML"),
    (OutputKind::Name, "name", "kind.group/name per object"),
    (
        OutputKind::JsonPath,
        "jsonpath=",
        "A kubectl JSONPath template over the JSON report",
    ),
    (
        OutputKind::JsonPath,
        "jsonpath-file=",
        "The template in a file",
    ),
    (
        OutputKind::CustomColumns,
        "custom-columns=",
        "HEADER:PATH,… over each row of the report",
    ),
    (
        OutputKind::CustomColumns,
        "custom-columns-file=",
        "Headers, then paths, in a file",
    ),
    (
        OutputKind::Sarif,
        "sarif",
        "SARIF 2.1.0: one result per finding, with its file and line",
    ),
];

/// The `-o` parser of a command that prints `allowed`.
pub fn output_format(allowed: &'static [OutputKind]) -> OutputParser {
    OutputParser { allowed }
}

/// See [`output_format`].
#[derive(Debug, Clone, Copy)]
pub struct OutputParser {
    allowed: &'static [OutputKind],
}

impl clap::builder::TypedValueParser for OutputParser {
    type Value = OutputFormat;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<OutputFormat, clap::Error> {
        let allowed = self.allowed;
        // Through clap's own string parser, so the error reads as clap's ("invalid value
        // 'wide' for '--output <FORMAT>': …").
        clap::builder::StringValueParser::new()
            .try_map(move |text: String| {
                let names: Vec<&str> = OUTPUT_VALUES
                    .iter()
                    .filter(|(k, _, _)| allowed.contains(k))
                    .map(|(_, n, _)| *n)
                    .collect();
                let format = OutputFormat::parse(&text).map_err(|e| match e {
                    OutputError::Unknown { .. } => {
                        format!("{e}; this command prints {}", names.join(", "))
                    }
                    e => e.to_string(),
                })?;
                if allowed.contains(&format.kind()) {
                    Ok(format)
                } else {
                    Err(format!(
                        "this command has no {} output; it prints {}",
                        format.name(),
                        names.join(", ")
                    ))
                }
            })
            .parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            OUTPUT_VALUES
                .iter()
                .filter(|(k, _, _)| self.allowed.contains(k))
                .map(|(_, name, help)| clap::builder::PossibleValue::new(*name).help(*help)),
        ))
    }
}

const CHECK_OUTPUTS: &[OutputKind] = &[
    OutputKind::Table,
    OutputKind::Wide,
    OutputKind::Json,
    OutputKind::Yaml,
    OutputKind::Name,
    OutputKind::JsonPath,
    OutputKind::CustomColumns,
    OutputKind::Sarif,
];
const EXPLAIN_OUTPUTS: &[OutputKind] = &[
    OutputKind::Table,
    OutputKind::Json,
    OutputKind::Yaml,
    OutputKind::Name,
    OutputKind::JsonPath,
];
const CHANGE_OUTPUTS: &[OutputKind] = &[
    OutputKind::Table,
    OutputKind::Json,
    OutputKind::Yaml,
    OutputKind::Name,
    OutputKind::JsonPath,
    OutputKind::CustomColumns,
];
const VERIFY_OUTPUTS: &[OutputKind] = &[
    OutputKind::Table,
    OutputKind::Json,
    OutputKind::Yaml,
    OutputKind::JsonPath,
];

/// kubectl's table habits: `--no-headers`, `--sort-by`.
#[derive(Debug, Clone, Default, Args)]
pub struct TableArgs {
    /// Print tables (the default, -o wide, -o custom-columns) without their header line.
    #[arg(long, help_heading = OUTPUT)]
    pub no_headers: bool,
    /// Order the rows by this JSONPath over each row of the JSON report (`.name`,
    /// `{.decidedBy}`): numbers by value, text in natural order.
    #[arg(long, value_name = "JSONPATH", value_parser = JsonPath::parse_relaxed, help_heading = OUTPUT)]
    pub sort_by: Option<JsonPath>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Expect {
    Inject,
    Skip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// What to check, in kubectl's forms: `TYPE/NAME…` (pod/x, deploy/y,
    /// deployment.apps/z, ns/web) or `TYPE[,TYPE…] [NAME…]` (deploy web api, deploy,sts).
    #[arg(value_name = "TYPE[/NAME]")]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Only objects whose pod template labels match this selector
    /// (`k=v,k2!=v2,k3 in (a,b),!k4`).
    #[arg(short = 'l', long, value_name = "SELECTOR", help_heading = SCOPE)]
    pub selector: Option<String>,
    /// Output format: a table (default), wide, json, yaml, name, jsonpath=TEMPLATE,
    /// jsonpath-file=FILE, custom-columns=SPEC, custom-columns-file=FILE, sarif (SARIF 2.1.0
    /// with the file and line of each finding's document).
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table", value_parser = output_format(CHECK_OUTPUTS), help_heading = OUTPUT)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub table: TableArgs,
    /// A column per label key with the value of that label: of the pod template (workload
    /// rows) and of the namespace (the live namespace table). Repeatable, or `k1,k2`.
    #[arg(short = 'L', long = "label-columns", value_name = "KEY", value_delimiter = ',', help_heading = OUTPUT)]
    pub label_columns: Vec<String>,
    /// A LABELS column with every label: of the pod template (workload rows) and of the
    /// namespace (the live namespace table).
    #[arg(long, help_heading = OUTPUT)]
    pub show_labels: bool,
    /// For CI: exit 1 unless every object gets this answer.
    #[arg(long, value_name = "ANSWER", value_enum, help_heading = OUTPUT)]
    pub expect: Option<Expect>,
    /// Check the health of the injector itself (webhook, service, endpoints, deployment)
    /// instead of workloads.
    #[arg(long, help_heading = "Injector health", conflicts_with_all = ["targets", "filenames", "selector", "expect", "label_columns", "show_labels", "sort_by", "no_headers", "offline", "namespace_labels", "config", "webhooks", "mode", "namespace_condition", "pod_condition", "compat", "enable_namespaces_by_default", "istio_version", "namespace", "all_namespaces", "istio_namespace"])]
    pub injector: bool,
    /// With --injector: what fails the check (warnings pass unless `warning`).
    #[arg(long, value_name = "LEVEL", value_enum, default_value_t = FailOn::Error, requires = "injector", help_heading = "Injector health")]
    pub fail_on: FailOn,
    /// The control-plane namespace (where the injector's ConfigMaps are).
    #[arg(long, value_name = "NS", default_value = "istio-system", help_heading = POLICY)]
    pub istio_namespace: String,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The object to explain, in kubectl's forms: `TYPE/NAME` (pod/x, deploy/y,
    /// deployment.apps/z) or `TYPE NAME`; with -f, it picks objects of the input.
    #[arg(value_name = "TYPE[/NAME]")]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Output format: readable text (the default), json, yaml, name, jsonpath=TEMPLATE,
    /// jsonpath-file=FILE.
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table", value_parser = output_format(EXPLAIN_OUTPUTS), help_heading = OUTPUT)]
    pub output: OutputFormat,
    /// The control-plane namespace (where the injector's ConfigMaps are).
    #[arg(long, value_name = "NS", default_value = "istio-system", help_heading = POLICY)]
    pub istio_namespace: String,
}

#[derive(Debug, Args)]
pub struct InjectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Never read the configuration from the cluster: without the three files, use the
    /// embedded default.
    #[arg(long, help_heading = CLUSTER, conflicts_with_all = CONNECTION)]
    pub ignore_cluster: bool,
    /// Injector configuration file: the `config` key of the `istio-sidecar-injector`
    /// ConfigMap (a full config with `templates`, or a bare template).
    #[arg(
        long = "injectConfigFile",
        visible_alias = "inject-config-file",
        value_name = "FILE",
        help_heading = CONFIG
    )]
    pub inject_config_file: Option<PathBuf>,
    /// Mesh configuration file: the `mesh` key of the `istio` ConfigMap.
    #[arg(
        long = "meshConfigFile",
        visible_alias = "mesh-config-file",
        value_name = "FILE",
        help_heading = CONFIG
    )]
    pub mesh_config_file: Option<PathBuf>,
    /// Values file: the `values` key of the `istio-sidecar-injector` ConfigMap (JSON or YAML).
    #[arg(
        long = "valuesFile",
        visible_alias = "values-file",
        value_name = "FILE",
        help_heading = CONFIG
    )]
    pub values_file: Option<PathBuf>,
    /// The injector revision (`default` means none).
    #[arg(short = 'r', long, value_name = "REV", help_heading = CONFIG)]
    pub revision: Option<String>,
    /// Native sidecars (istio-proxy as an init container with restartPolicy: Always):
    /// `true` (the default, as on Kubernetes ≥ 1.33) or `false` to mirror an older cluster
    /// (or an Istio before 1.27, where istiod's ENABLE_NATIVE_SIDECARS defaults to false).
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set, help_heading = CONFIG)]
    pub native_sidecars: Option<bool>,
    /// Rewrite the input files in place (atomically) instead of printing.
    #[arg(short = 'i', long, requires = "filenames", conflicts_with = "output", help_heading = OUTPUT)]
    pub in_place: bool,
    /// Output format of the manifests.
    #[arg(short = 'o', long, value_name = "FORMAT", value_enum, default_value_t = ManifestFormat::Yaml, help_heading = OUTPUT)]
    pub output: ManifestFormat,
    /// Read an AdmissionReview (v1 or v1beta1; `-` for stdin) and print the response the
    /// webhook would return, as JSON.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["filenames", "in_place", "output", "render_only"], help_heading = "Modes")]
    pub admission_review: Option<PathBuf>,
    /// Only render one template and print its raw output (for debugging templates).
    #[arg(long, requires = "template", conflicts_with_all = ["in_place", "output"], help_heading = "Modes")]
    pub render_only: bool,
    /// With --render-only: the Go template file to render (or, with --injectConfigFile, the
    /// name of one of its templates).
    #[arg(
        long,
        value_name = "FILE",
        requires = "render_only",
        help_heading = "Modes"
    )]
    pub template: Option<PathBuf>,
    /// With --render-only: a JSON file used as the template's dot.
    #[arg(
        long,
        value_name = "FILE",
        requires = "render_only",
        help_heading = "Modes"
    )]
    pub data: Option<PathBuf>,
    /// The control-plane namespace (where the injector's ConfigMaps are read from).
    #[arg(long, value_name = "NS", default_value = "istio-system", help_heading = CONFIG)]
    pub istio_namespace: String,
    /// istiod's COMPLIANCE_POLICY (e.g. `fips-140-3`), which istioctl has no flag for.
    #[arg(long, value_name = "POLICY", hide = true)]
    pub compliance_policy: Option<String>,
    /// A bundle written by `kubectl inject capture`: render with its revision's ConfigMaps
    /// (as from the cluster, which is then not read) and decide with its namespaces and
    /// webhooks. A bundle inside -f input is recognised too.
    #[arg(long, value_name = "FILE", help_heading = CLUSTER)]
    pub bundle: Option<PathBuf>,
    /// Skip exactly what the webhook would skip (what `check` says, decided with the same
    /// facts), instead of following `istioctl kube-inject` (no policy, no selectors, a
    /// CronJob's opt-out read at spec.jobTemplate.metadata).
    #[arg(long, help_heading = POLICY)]
    pub respect_policy: bool,
    /// Labels of the objects' namespaces when neither the input, a bundle nor the cluster
    /// gives them (`k=v,k2=v2`), for the webhook's decision (`--respect-policy`, the report).
    #[arg(long, value_name = "K=V,…", help_heading = POLICY)]
    pub namespace_labels: Option<String>,
    /// Silence a warning of the report: `CODE` or `CODE=NAMESPACE/NAME` (see `check`).
    #[arg(long = "suppress", short = 'S', value_name = "CODE[=NS/NAME]", help_heading = OUTPUT)]
    pub suppress: Vec<String>,
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// A variable of istiod's environment, as templates read it with `env` and as the
    /// injector reads its feature switches (`REWRITE_TCP_PROBES=false` for Istio ≤ 1.18).
    /// Repeatable. Defined: ENABLE_NATIVE_SIDECARS (from --native-sidecars),
    /// PILOT_ENABLE_INBOUND_PASSTHROUGH=true, ENABLE_LEGACY_FSGROUP_INJECTION=false; the
    /// shell's environment is never read.
    #[arg(long = "env", value_name = "KEY=VALUE", help_heading = CONFIG)]
    pub env: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ManifestFormat {
    #[default]
    Yaml,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Print what would be done; send nothing that writes.
    Client,
    /// Send the writes with the API server's dryRun: validated, not persisted.
    Server,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub kube: KubeArgs,
    /// The injector revision whose resources to remove.
    #[arg(short = 'r', long, value_name = "REV", help_heading = SCOPE)]
    pub revision: Option<String>,
    /// The control-plane namespace.
    #[arg(long, value_name = "NS", default_value = "istio-system", help_heading = SCOPE)]
    pub istio_namespace: String,
    /// The injector's base name (webhook, Deployment, Service, RBAC names derive from it).
    #[arg(long, value_name = "NAME", default_value = "istio-sidecar-injector", help_heading = SCOPE)]
    pub name: String,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(short = 'y', long, help_heading = SAFETY)]
    pub yes: bool,
    /// Show what would be deleted without deleting (`client`, the default, sends nothing;
    /// `server` sends the deletions as the API server's dry run).
    #[arg(long, value_name = "MODE", value_enum, num_args = 0..=1, default_missing_value = "client", require_equals = true, help_heading = SAFETY)]
    pub dry_run: Option<DryRun>,
    /// Delete objects even when they do not carry the injector's labels.
    #[arg(long, help_heading = SAFETY)]
    pub force: bool,
    /// Refuse while pods still carry injected sidecars.
    #[arg(long, help_heading = SAFETY)]
    pub strict: bool,
    /// Output format of the report: a table (default), json, yaml, name,
    /// jsonpath=TEMPLATE, custom-columns=SPEC (and their -file forms). With
    /// --dry-run=client, yaml prints the objects that would be deleted.
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table", value_parser = output_format(CHANGE_OUTPUTS), help_heading = OUTPUT)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The workload or pod, in kubectl's forms: `TYPE/NAME` (deploy/web, sts/db, job/pi,
    /// pod/x) or `TYPE NAME`.
    #[arg(value_name = "TYPE[/NAME]")]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// The injector revision whose ConfigMaps make the prediction (default: the default
    /// revision's `istio-sidecar-injector`).
    #[arg(short = 'r', long, value_name = "REV", help_heading = POLICY)]
    pub revision: Option<String>,
    /// Whether the cluster's injector makes native sidecars: `true` (Kubernetes ≥ 1.33,
    /// Istio's own detection) or `false` for older clusters.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set, help_heading = POLICY)]
    pub native_sidecars: bool,
    /// Output format: readable text (the default), json, yaml, jsonpath=TEMPLATE,
    /// jsonpath-file=FILE.
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table", value_parser = output_format(VERIFY_OUTPUTS), help_heading = OUTPUT)]
    pub output: OutputFormat,
    /// The control-plane namespace (where the injector's ConfigMaps are).
    #[arg(long, value_name = "NS", default_value = "istio-system", help_heading = POLICY)]
    pub istio_namespace: String,
    /// Predict with a bundle's configuration (`kubectl inject capture`) instead of the
    /// cluster's ConfigMaps: does the live webhook still do what the captured set-up says?
    #[arg(long, value_name = "FILE", help_heading = POLICY)]
    pub bundle: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// Namespaces whose labels match this selector (instead of -n).
    #[arg(short = 'l', long, value_name = "SELECTOR", conflicts_with_all = ["namespace", "filenames"], help_heading = SCOPE)]
    pub selector: Option<String>,
    /// Roll Deployments, StatefulSets and DaemonSets whose pods carry a sidecar the webhook
    /// added (a sidecar in the pod template itself is reported: `cleanup -f` strips it).
    #[arg(long, conflicts_with = "filenames", help_heading = "Actions")]
    pub restart: bool,
    /// Do not ask for confirmation before changing the cluster (required when stdin is not a
    /// terminal).
    #[arg(short = 'y', long, conflicts_with = "filenames", help_heading = SAFETY)]
    pub yes: bool,
    /// With -f: rewrite the files in place (atomically).
    #[arg(short = 'i', long, requires = "filenames", help_heading = "Actions")]
    pub in_place: bool,
    /// Show what would change without changing it (`client`, the default, sends nothing;
    /// `server` sends the changes as the API server's dry run). With -f, only with -i.
    #[arg(long, value_name = "MODE", value_enum, num_args = 0..=1, default_missing_value = "client", require_equals = true, help_heading = SAFETY)]
    pub dry_run: Option<DryRun>,
    /// Output format. On a cluster, of the report of changes: a table (default), json, yaml,
    /// name, jsonpath=TEMPLATE, custom-columns=SPEC (and their -file forms). With -f, of the
    /// stripped manifests (yaml, the default, or json); with -f -i, of the report of what
    /// was stripped (json or yaml, else readable text on stderr).
    #[arg(short = 'o', long, value_name = "FORMAT", default_value = "table", value_parser = output_format(CHANGE_OUTPUTS), help_heading = OUTPUT)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub table: TableArgs,
}

#[derive(Debug, Args)]
pub struct CaptureArgs {
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Capture only the namespaces whose labels match this selector.
    #[arg(short = 'l', long, value_name = "SELECTOR", help_heading = SCOPE)]
    pub selector: Option<String>,
    /// Capture no namespace (the injector's set-up only; give labels with
    /// --namespace-labels or Namespace objects when deciding).
    #[arg(long, conflicts_with_all = ["namespace", "all_namespaces", "selector"], help_heading = SCOPE)]
    pub no_namespaces: bool,
    /// The control-plane namespace (where the injector's ConfigMaps are, besides the
    /// namespaces of the webhooks' services).
    #[arg(long, value_name = "NS", default_value = "istio-system", help_heading = SCOPE)]
    pub istio_namespace: String,
    /// Write the bundle to this file (atomically) instead of stdout.
    #[arg(long = "output-file", value_name = "FILE", help_heading = OUTPUT)]
    pub output_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directories to search recursively for `kubectl-inject-test.yaml`, or suite files
    /// (default: the current directory).
    #[arg(value_name = "DIR")]
    pub paths: Vec<PathBuf>,
    /// Output format: a table (default), json, yaml, or junit (JUnit XML for CI servers).
    #[arg(short = 'o', long, value_name = "FORMAT", value_enum, default_value_t = TestOutput::Table, help_heading = OUTPUT)]
    pub output: TestOutput,
    /// Rewrite the golden files (`injected:`) with what is rendered now, and say which
    /// changed.
    #[arg(long, help_heading = "Golden files")]
    pub update_golden: bool,
    /// Silence findings in every suite (beside each suite's own `suppress:`).
    #[arg(long = "suppress", short = 'S', value_name = "CODE[=NS/NAME]", help_heading = OUTPUT)]
    pub suppress: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum TestOutput {
    #[default]
    Table,
    Json,
    Yaml,
    /// JUnit XML (one testsuite per suite file, one testcase per expected object).
    Junit,
}

/// Which Istio release to reproduce: shared by the commands that decide or inject.
#[derive(Debug, Clone, Default, Args)]
pub struct ReleaseArgs {
    /// The Istio release whose behaviour to reproduce (`1.24`, `1.24.6`). Default: the
    /// release the injector configuration names (the values' global.tag, the ConfigMap's
    /// version labels, a revision such as 1-24-6), else the newest behaviour.
    #[arg(long, value_name = "X.Y[.Z]", help_heading = POLICY)]
    pub istio_version: Option<crate::config::release::Version>,
}

/// The flag combinations clap's `conflicts_with`/`requires` cannot say (they depend on the
/// `-o` value, on `-f` in one command but not another, on a flag given explicitly rather than
/// by its default). Each is refused with what is wrong, as a usage error (exit 2), so that
/// every flag either acts or is refused.
pub fn validate(cli: &Cli, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
    let Some((name, m)) = matches.subcommand() else {
        return Ok(());
    };
    let given = |id: &str| {
        matches!(
            m.value_source(id),
            Some(clap::parser::ValueSource::CommandLine)
        )
    };
    // Only for the commands that have the connection flags (asking about an unknown id
    // panics in debug builds).
    let connection = || -> Vec<String> {
        CONNECTION
            .iter()
            .filter(|id| given(id))
            .map(|id| flag_name(id))
            .collect()
    };
    let files = |input: &InputArgs| !input.filenames.is_empty();
    let mut problems: Vec<String> = Vec::new();
    match &cli.command {
        Command::Check(a) => {
            if files(&a.input) && a.kube.all_namespaces {
                problems.push("-A/--all-namespaces reads every namespace of the cluster; with -f the objects' own namespaces are used (-n sets the namespace of those without one)".into());
            }
            if a.policy.offline && !files(&a.input) {
                problems.push("--offline decides on -f input without reading the cluster; without -f, check reads the cluster".into());
            }
            if a.injector
                && !matches!(
                    a.output.kind(),
                    OutputKind::Table
                        | OutputKind::Json
                        | OutputKind::Yaml
                        | OutputKind::JsonPath
                        | OutputKind::Sarif
                )
            {
                problems.push(format!("-o {}: --injector prints its checks as text (the default), json, yaml, jsonpath or sarif", a.output.name()));
            }
            table_flags(&a.output, &a.table, &mut problems);
            if (!a.label_columns.is_empty() || a.show_labels)
                && !matches!(a.output.kind(), OutputKind::Table | OutputKind::Wide)
            {
                problems.push(format!(
                    "{}: label columns go on check's own tables (the default, wide); -o {} prints none",
                    if a.show_labels {
                        "--show-labels"
                    } else {
                        "-L/--label-columns"
                    },
                    a.output.name()
                ));
            }
        }
        Command::Explain(a) => {
            if a.kube.all_namespaces {
                problems.push(
                    "-A/--all-namespaces: explain looks at one object; name its namespace with -n"
                        .into(),
                );
            }
            if a.policy.offline && !files(&a.input) {
                problems.push("--offline decides on -f input without reading the cluster; without -f, explain reads the object from the cluster".into());
            }
        }
        Command::Inject(a) => {
            if a.kube.all_namespaces {
                problems
                    .push("-A/--all-namespaces: inject reads no workloads from the cluster".into());
            }
            if a.kube.namespace.is_some() && !a.render_only {
                problems.push("-n/--namespace: inject keeps each object's own namespace; -n is the namespace of the template data with --render-only".into());
            }
            let file_flags: Vec<&str> = [
                ("inject_config_file", "--injectConfigFile"),
                ("mesh_config_file", "--meshConfigFile"),
                ("values_file", "--valuesFile"),
            ]
            .iter()
            .filter(|(id, _)| given(id))
            .map(|(_, f)| *f)
            .collect();
            let mut not_read: Vec<String> = connection();
            if given("istio_namespace") {
                not_read.push("--istio-namespace".into());
            }
            if !not_read.is_empty() {
                if a.render_only {
                    problems.push(format!(
                        "{}: --render-only never reads the cluster",
                        not_read.join(", ")
                    ));
                } else if !file_flags.is_empty() {
                    problems.push(format!(
                        "{}: the cluster's configuration is not read when {} is given",
                        not_read.join(", "),
                        file_flags.join(", ")
                    ));
                } else if a.ignore_cluster {
                    problems.push(format!(
                        "{}: --ignore-cluster never reads the cluster",
                        not_read.join(", ")
                    ));
                }
            }
        }
        Command::Uninstall(a) => {
            if a.kube.namespace.is_some() || a.kube.all_namespaces {
                problems.push("-n/-A: uninstall removes the injector from --istio-namespace and the cluster-wide objects; name the control-plane namespace with --istio-namespace".into());
            }
            table_flags(&a.output, &a.table, &mut problems);
        }
        Command::Cleanup(a) if files(&a.input) => {
            if a.kube.namespace.is_some() || a.kube.all_namespaces {
                problems.push("-n/-A: cleanup -f strips the manifests given, whatever their namespace; without -f it cleans the cluster's namespaces".into());
            }
            if a.dry_run.is_some() && !a.in_place {
                problems.push("--dry-run with -f: without -i nothing is written anyway (the stripped manifests are printed)".into());
            }
            if !matches!(
                a.output.kind(),
                OutputKind::Table | OutputKind::Json | OutputKind::Yaml
            ) {
                problems.push(format!("-o {}: with -f, -o picks the format of the stripped manifests (yaml, the default, or json; with -i, of the report)", a.output.name()));
            }
            if a.table.no_headers || a.table.sort_by.is_some() {
                problems.push(
                    "--no-headers/--sort-by: cleanup -f prints manifests, not a table".into(),
                );
            }
            let connection = connection();
            if !connection.is_empty() {
                problems.push(format!(
                    "{}: cleanup -f never reads the cluster",
                    connection.join(", ")
                ));
            }
        }
        Command::Cleanup(a) => table_flags(&a.output, &a.table, &mut problems),
        Command::Verify(a) => {
            if a.kube.all_namespaces {
                problems.push("-A/--all-namespaces: verify sends one namespace's pods (-n, or each object's own with -f)".into());
            }
        }
        Command::Completion(_) | Command::Capture(_) | Command::Test(_) => {}
    }
    match problems.first() {
        None => Ok(()),
        Some(p) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let sub = cmd.find_subcommand_mut(name).cloned().unwrap_or_default();
            Err(
                clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, format!("{p}\n"))
                    .with_cmd(&sub.bin_name(format!("kubectl inject {name}"))),
            )
        }
    }
}

/// `--no-headers` applies to tables only.
fn table_flags(output: &OutputFormat, table: &TableArgs, problems: &mut Vec<String>) {
    if table.no_headers && !output.is_table() {
        problems.push(format!(
            "--no-headers: -o {} prints no table (tables: the default, wide, custom-columns)",
            output.name()
        ));
    }
}

/// `--certificate-authority` for the arg id `certificate_authority`.
fn flag_name(id: &str) -> String {
    match id {
        "as_user" => "--as".into(),
        "verbosity" => "-v".into(),
        "server" => "-s/--server".into(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

// Each command's --help footer: examples (run by tests/cli/help.rs against
// testdata/examples/, so they stay true) and what the exit codes mean for it.

const CHECK_HELP: &str = r#"Examples:
  # Would these pods get a sidecar? Offline, from manifests; namespace labels from a flag
  kubectl inject check -f k8s/ -R --namespace-labels istio-injection=enabled

  # For CI: exit 1 unless every object is injected
  kubectl inject check -f app.yaml --expect inject

  # The reason column; the report as JSON ({"items": [...]})
  kubectl inject check -f app.yaml -o wide
  kubectl inject check -f app.yaml -o json

  # kubectl's output habits: JSONPath, custom columns, sorting, label columns
  kubectl inject check -f app.yaml -o jsonpath='{range .items[*]}{.name}{"\t"}{.inject}{"\n"}{end}'
  kubectl inject check -f k8s/ -R -o custom-columns=NAME:.name,INJECT:.inject,RULE:.decidedBy \
      --sort-by=.name
  kubectl inject check -f app.yaml -L app,version --no-headers

  # Against the cluster: what runs against the policy (missing, unexpected, stale sidecars)
  kubectl inject check -A -L istio-injection
  kubectl inject check deploy/frontend -n web

  # The health of the injector itself
  kubectl inject check --injector

Exit codes:
  0  every object got the expected answer (--expect), nothing running drifted from the
     policy (cluster), the injector is healthy (--injector); also any -f check without
     --expect
  1  the answer is "no": --expect not met, drift found, a failed health check (or a warning,
     with --fail-on warning)
  2  error: bad input, unreachable cluster, usage"#;

const EXPLAIN_HELP: &str = r#"Examples:
  # Why (not)? Every rule the webhook applies, in order, and which one decided
  kubectl inject explain -f deploy.yaml
  kubectl inject explain -f deploy.yaml --config injector-config.yaml --webhook mwc.yaml
  kubectl inject explain -f pod.yaml --mode managed --namespace-condition exclude \
      --pod-condition opt-in
  kubectl inject explain -f pod.yaml --compat legacy

  # Only the rule that decided
  kubectl inject explain -f deploy.yaml -o jsonpath='{.decidedBy}{"\n"}'

  # An object of the cluster, with its running pods
  kubectl inject explain deploy/frontend -n web
  kubectl inject explain pod/web-7d4b9 -n web

Exit codes:
  0  explained, whether the answer is inject or not
  2  error: bad input, an object that is not there, unreachable cluster, usage"#;

const INJECT_HELP: &str = r#"Examples:
  # Render the sidecar, like istioctl kube-inject (no cluster needed)
  kubectl inject inject -f app.yaml | kubectl apply -f -
  kubectl inject inject -f app.yaml --injectConfigFile config.yaml \
      --meshConfigFile mesh.yaml --valuesFile values.json

  # Upgrade injected manifests in place
  kubectl inject inject -f k8s/ -R --in-place

  # Debug a template
  kubectl inject inject --render-only --template my-template.yaml --data data.json

  # The webhook's answer to an AdmissionReview
  kubectl inject inject --admission-review review.json

Exit codes:
  0  the manifests were printed (or rewritten, with -i)
  2  error: bad input, template failure, usage; nothing was written"#;

const UNINSTALL_HELP: &str = r#"Examples:
  # What would be removed, without removing anything
  kubectl inject uninstall --dry-run

  # The objects that would be deleted, as a manifest to keep
  kubectl inject uninstall --dry-run=client -o yaml

  # Remove revision canary's injector without a prompt
  kubectl inject uninstall -r canary --yes

Exit codes:
  0  removed, or nothing left to remove (objects already gone are reported), or a dry run
  2  error: a deletion failed (what was and was not deleted is listed), no confirmation (no
     terminal and no --yes), --strict with pods still injected, unreachable cluster, usage"#;

const CLEANUP_HELP: &str = r#"Examples:
  # Remove namespace web's injection labels and roll its injected workloads, as a dry run
  kubectl inject cleanup -n web --restart --dry-run

  # Every namespace labelled for injection, without a prompt
  kubectl inject cleanup -l istio-injection=enabled --yes

  # Strip the sidecars from injected manifests
  kubectl inject cleanup -f injected.yaml > clean.yaml
  kubectl inject cleanup -f k8s/ -R -i

Exit codes:
  0  cleaned, or nothing to clean, or a dry run
  2  error: an object that cannot be stripped safely (nothing was written), a change that
     failed, no confirmation (no terminal and no --yes), unreachable cluster, usage"#;

const VERIFY_HELP: &str = r#"Examples:
  # The real webhook's answer (a server-side dry run) against the prediction
  kubectl inject verify deploy/frontend -n web
  kubectl inject verify -f app.yaml -o json

Exit codes:
  0  the webhook's answer matches the prediction
  1  it differs (the differences are printed)
  2  error: the API server refused the dry run (its message is printed: a webhook that is
     down, a denial), bad input, unreachable cluster"#;

const CAPTURE_HELP: &str = r#"Examples:
  # Snapshot the injection set-up of the current context's cluster, every namespace
  kubectl inject capture -A --output-file bundle.yaml

  # Then decide offline, in CI, as that cluster would
  kubectl inject check -f examples/revisions/app.yaml --bundle examples/revisions/bundle.yaml

Exit codes:
  0  the bundle was written
  2  error: a part of the set-up could not be read whole (forbidden, absent), unreachable
     cluster, usage; nothing was written"#;

const TEST_HELP: &str = r#"Examples:
  # Run every suite (kubectl-inject-test.yaml) under a directory
  kubectl inject test examples/

  # For CI servers that read JUnit XML
  kubectl inject test examples/ -o junit > report.xml

  # After a deliberate template change: rewrite the golden files, then read the diff
  kubectl inject test examples/ --update-golden

Exit codes:
  0  every test passed
  1  a test failed (each failure is listed, golden differences as a unified diff)
  2  error: an invalid suite (its file and field are named), unreadable input"#;

const COMPLETION_HELP: &str = r#"Examples:
  # bash, in ~/.bashrc
  source <(kubectl-inject completion bash)

  # zsh, in ~/.zshrc after compinit
  source <(kubectl-inject completion zsh)

Exit codes:
  0  the script was printed
  2  usage: an unknown shell"#;
