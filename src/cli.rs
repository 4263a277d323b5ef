//! Command-line definition (clap only): the commands and the argument groups they share.
//!
//! Owns no behaviour. Doc comments on every argument are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::policy::Choice;
pub use crate::policy::{Compat, Mode, NamespaceCondition, PodCondition};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (for `check`: every object got the expected answer)
  1  `check` worked and the answer is \"no\" (or drift / a failed health check was found)
  2  error: bad input, unreachable cluster, template failure, usage";

/// Will this pod get an Istio sidecar, why (not), and what exactly will it look like?
///
/// Re-implements the Istio sidecar-injector admission webhook, offline and against live
/// clusters. Installed on PATH as `kubectl-inject`, it runs as `kubectl inject …`.
#[derive(Debug, Parser)]
#[command(name = "kubectl-inject", bin_name = "kubectl inject", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// When to color the output: auto (a terminal, and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
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
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// The step-by-step injection decision for one object, and which rule decided.
    #[command(after_help = EXIT_CODES)]
    Explain(ExplainArgs),
    /// Render the injector's template over pods and print the injected manifests
    /// (`istioctl kube-inject` equivalent).
    #[command(after_help = EXIT_CODES)]
    Inject(InjectArgs),
    /// Remove the sidecar injector's own resources from a cluster, safely.
    #[command(after_help = EXIT_CODES)]
    Uninstall(UninstallArgs),
    /// Undo injection: namespace labels, restart of injected workloads, stripping manifests.
    #[command(after_help = EXIT_CODES)]
    Cleanup(CleanupArgs),
    /// Prove the prediction against the real webhook: send the pod a workload would create
    /// as a server-side dry run and compare what the API server returns with the prediction.
    #[command(after_help = VERIFY_EXIT_CODES)]
    Verify(VerifyArgs),
    /// Snapshot the cluster's injection set-up into one YAML file (a bundle) that every
    /// offline command reads with `--bundle`: the injector webhook configurations (revisions
    /// and tags), each revision's injector and mesh ConfigMaps, and the namespaces' labels
    /// (every namespace, or `-n NS`, or those `-l` selects). Never Secrets.
    #[command(after_help = EXIT_CODES)]
    Capture(CaptureArgs),
    /// Run declarative test suites (`kubectl-inject-test.yaml`, found recursively under each
    /// DIR): expected decisions and injected manifests, offline, for CI.
    #[command(after_help = TEST_EXIT_CODES)]
    Test(TestArgs),
    /// Print the shell completion script for `kubectl-inject` (bash, zsh, fish, powershell,
    /// elvish).
    ///
    /// `source <(kubectl-inject completion bash)` completes `kubectl-inject …`. For
    /// `kubectl inject …`, kubectl (≥ 1.26) runs `kubectl_complete-inject`, shipped beside the
    /// plugin: put it on PATH too (see the README).
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
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

const TEST_EXIT_CODES: &str = "\
Exit codes:
  0  every test passed
  1  a test failed (each failure is listed, golden differences as a unified diff)
  2  error: an invalid suite (its file and field are named), unreadable input";

const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0  the webhook's answer matches the prediction
  1  it differs (the differences are printed)
  2  error: the API server refused the dry run (its message is printed: a webhook that is
     down, a denial), bad input, unreachable cluster";

/// How to reach a cluster, and which namespaces to look at (kubectl's flags).
#[derive(Debug, Clone, Default, Args)]
pub struct KubeArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH", global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,
    /// How long to wait for each API request (`30s`, `2m`, `500ms`; kubectl's flag).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration, global = true)]
    pub request_timeout: std::time::Duration,
    /// List large collections in pages of this many objects (kubectl's flag).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub chunk_size: u32,
    /// The namespace (default: the context's namespace, else `default`).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Look at every namespace.
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
    /// The kubeconfig cluster to use (kubectl's flag).
    #[arg(long, value_name = "NAME", global = true)]
    pub cluster: Option<String>,
    /// The kubeconfig user to use (kubectl's flag).
    #[arg(long, value_name = "NAME", global = true)]
    pub user: Option<String>,
    /// The address and port of the API server, overriding the kubeconfig's.
    #[arg(short = 's', long, value_name = "URL", global = true)]
    pub server: Option<String>,
    /// A bearer token for authentication to the API server.
    #[arg(long, value_name = "TOKEN", global = true)]
    pub token: Option<String>,
    /// A CA certificate file (PEM) to verify the API server's certificate with.
    #[arg(long, value_name = "PATH", global = true)]
    pub certificate_authority: Option<PathBuf>,
    /// Do not verify the API server's certificate (insecure).
    #[arg(long, global = true)]
    pub insecure_skip_tls_verify: bool,
    /// Act as this user (impersonation).
    #[arg(long = "as", value_name = "USER", global = true)]
    pub as_user: Option<String>,
    /// Act as this group (impersonation); repeatable.
    #[arg(long = "as-group", value_name = "GROUP", global = true)]
    pub as_group: Vec<String>,
    /// Log verbosity: 6 and above print every API request, its outcome and its time on
    /// stderr (kubectl's -v).
    #[arg(
        short = 'v',
        long = "v",
        value_name = "N",
        default_value_t = 0,
        global = true
    )]
    pub verbosity: u8,
}

/// `30s`, `2m`, `1h`, `500ms`, or plain seconds: kubectl's duration forms.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 30s, 2m or 500ms"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?} (use ms, s, m or h)"
            ));
        }
    };
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(format!("{text:?}: must be more than zero"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// Manifest input: files, directories, stdin (kubectl's `-f`, `-R`).
#[derive(Debug, Clone, Default, Args)]
pub struct InputArgs {
    /// A manifest file or directory to read; `-` reads stdin. Repeatable.
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub filenames: Vec<PathBuf>,
    /// Read the directories given with -f recursively.
    #[arg(short = 'R', long)]
    pub recursive: bool,
}

/// What the injector is configured with, for the offline decision.
#[derive(Debug, Clone, Default, Args)]
pub struct PolicyArgs {
    /// Labels of the pods' namespace when it is not in the input (`k=v,k2=v2`).
    #[arg(long, value_name = "K=V,…")]
    pub namespace_labels: Option<String>,
    /// The injector configuration: the `config` key of the `istio-sidecar-injector`
    /// ConfigMap, or the whole ConfigMap (default: the embedded default, policy enabled).
    #[arg(long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A MutatingWebhookConfiguration whose webhooks decide which pods reach the injector
    /// (default: the selectors Istio installs for the revision). Repeatable.
    #[arg(long = "webhook", value_name = "FILE")]
    pub webhooks: Vec<PathBuf>,
    /// The injector revision whose default webhook selectors are assumed (without --webhook).
    #[arg(short = 'r', long, value_name = "REV")]
    pub revision: Option<String>,
    /// Assume the default webhook also has the `auto.` entry
    /// (`sidecarInjectorWebhook.enableNamespacesByDefault: true`).
    #[arg(long)]
    pub enable_namespaces_by_default: bool,
    /// Whose rules to apply: `istio` (the upstream webhook) or `managed` (the managed-mesh
    /// variant with separate namespace and pod conditions).
    #[arg(long, value_name = "MODE", default_value = "istio", value_parser = choice::<Mode>())]
    pub mode: Mode,
    /// Managed mode, namespace condition: `include` injects namespaces labelled
    /// istio-injection=enabled; `exclude` injects every namespace not labelled
    /// istio-injection=disabled.
    #[arg(long, value_name = "CONDITION", default_value = "include", value_parser = choice::<NamespaceCondition>())]
    pub namespace_condition: NamespaceCondition,
    /// Managed mode, pod condition: `opt-out` injects pods unless sidecar.istio.io/inject=false
    /// or a neverInjectSelector matches; `opt-in` injects only pods with
    /// sidecar.istio.io/inject=true or matched by an alwaysInjectSelector.
    #[arg(long, value_name = "CONDITION", default_value = "opt-out", value_parser = choice::<PodCondition>())]
    pub pod_condition: PodCondition,
    /// How `sidecar.istio.io/inject` values are read: `current` (Istio ≥ 1.27: exactly
    /// "true"/"false", anything else falls back to the policy) or `legacy` (Istio ≤ 1.26:
    /// y/yes/true/on in any case are yes, any other value is no). Default: as the injector's
    /// Istio release reads them (see --istio-version), else `current`.
    #[arg(long, value_name = "COMPAT", value_parser = choice::<Compat>())]
    pub compat: Option<Compat>,
    /// Never read the cluster: decide on the input, flags and documented defaults only
    /// (without it, -f input is completed with the namespaces, webhooks and injector
    /// configuration of the kubeconfig's cluster when one is configured).
    #[arg(long, visible_alias = "ignore-cluster")]
    pub offline: bool,
    /// A bundle written by `kubectl inject capture`: it stands in for the cluster (which is
    /// then not read), revisions included. A bundle inside -f input is recognised too.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Whether the injector makes native sidecars (default: the revision's
    /// `pilot.env.ENABLE_NATIVE_SIDECARS`, else off for Istio before 1.27 by its values'
    /// `global.tag`, else on, as Istio ≥ 1.27 on Kubernetes ≥ 1.33): decides the
    /// run-to-completion warning (KI110) for Jobs, CronJobs and pods that exit.
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub native_sidecars: Option<bool>,
    /// Silence a finding: `CODE` everywhere, or `CODE=NAMESPACE/NAME` (`NAME` for any
    /// namespace; `*` matches any run). Codes are KI… or their names (docs/findings.md).
    /// Repeatable.
    #[arg(long = "suppress", short = 'S', value_name = "CODE[=NS/NAME]")]
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

/// kubectl's `-o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// A table (check) or readable text (explain): the default.
    #[default]
    Table,
    /// The table with more columns.
    Wide,
    Json,
    Yaml,
    /// `kind/name` per object.
    Name,
}

/// `check -o`: kubectl's formats and SARIF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum CheckOutput {
    /// A table: the default.
    #[default]
    Table,
    /// The table with more columns.
    Wide,
    Json,
    Yaml,
    /// `kind/name` per object.
    Name,
    /// SARIF 2.1.0: one result per finding, with the file and line of its document.
    Sarif,
}

impl CheckOutput {
    /// The kubectl format, or `None` for SARIF.
    pub fn format(self) -> Option<OutputFormat> {
        match self {
            CheckOutput::Table => Some(OutputFormat::Table),
            CheckOutput::Wide => Some(OutputFormat::Wide),
            CheckOutput::Json => Some(OutputFormat::Json),
            CheckOutput::Yaml => Some(OutputFormat::Yaml),
            CheckOutput::Name => Some(OutputFormat::Name),
            CheckOutput::Sarif => None,
        }
    }
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
    /// Only objects whose labels match this selector (`k=v,k2!=v2,k3 in (a,b),!k4`).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Output format (`sarif`: SARIF 2.1.0 with the file and line of each finding's
    /// document, for code hosts that annotate pull requests).
    #[arg(short = 'o', long, value_enum, default_value_t = CheckOutput::Table)]
    pub output: CheckOutput,
    /// For CI: exit 1 unless every object gets this answer.
    #[arg(long, value_enum)]
    pub expect: Option<Expect>,
    /// Check the health of the injector itself (webhook, service, endpoints, deployment).
    #[arg(long)]
    pub injector: bool,
    /// With --injector: what fails the check (warnings pass unless `warning`).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// The control-plane namespace.
    #[arg(long, value_name = "NS", default_value = "istio-system")]
    pub istio_namespace: String,
    /// The injector's base name (webhook, Deployment, Service, RBAC names derive from it).
    #[arg(long, value_name = "NAME", default_value = "istio-sidecar-injector")]
    pub name: String,
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
    /// Output format: readable text by default, or json/yaml.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// The control-plane namespace.
    #[arg(long, value_name = "NS", default_value = "istio-system")]
    pub istio_namespace: String,
    /// The injector's base name (webhook, Deployment, Service, RBAC names derive from it).
    #[arg(long, value_name = "NAME", default_value = "istio-sidecar-injector")]
    pub name: String,
}

#[derive(Debug, Args)]
pub struct InjectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Never read the configuration from the cluster: without the three files, use the
    /// embedded default.
    #[arg(long)]
    pub ignore_cluster: bool,
    /// Injector configuration file: the `config` key of the `istio-sidecar-injector`
    /// ConfigMap (a full config with `templates`, or a bare template).
    #[arg(
        long = "injectConfigFile",
        visible_alias = "inject-config-file",
        value_name = "FILE"
    )]
    pub inject_config_file: Option<PathBuf>,
    /// Mesh configuration file: the `mesh` key of the `istio` ConfigMap.
    #[arg(
        long = "meshConfigFile",
        visible_alias = "mesh-config-file",
        value_name = "FILE"
    )]
    pub mesh_config_file: Option<PathBuf>,
    /// Values file: the `values` key of the `istio-sidecar-injector` ConfigMap (JSON or YAML).
    #[arg(
        long = "valuesFile",
        visible_alias = "values-file",
        value_name = "FILE"
    )]
    pub values_file: Option<PathBuf>,
    /// The injector revision (`default` means none).
    #[arg(short = 'r', long, value_name = "REV")]
    pub revision: Option<String>,
    /// Native sidecars (istio-proxy as an init container with restartPolicy: Always):
    /// `true` (the default, as on Kubernetes ≥ 1.33) or `false` to mirror an older cluster
    /// (or an Istio before 1.27, where istiod's ENABLE_NATIVE_SIDECARS defaults to false).
    #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set)]
    pub native_sidecars: Option<bool>,
    /// Rewrite the input files in place (atomically) instead of printing.
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// Output format of the manifests.
    #[arg(short = 'o', long, value_enum, default_value_t = ManifestFormat::Yaml)]
    pub output: ManifestFormat,
    /// Read an AdmissionReview (v1) and print the response the webhook would return.
    #[arg(long, value_name = "FILE")]
    pub admission_review: Option<PathBuf>,
    /// Only render one template and print its raw output (for debugging templates).
    #[arg(long, requires = "template")]
    pub render_only: bool,
    /// With --render-only: the Go template file to render.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
    /// With --render-only: a JSON file used as the template's dot.
    #[arg(long, value_name = "FILE", requires = "render_only")]
    pub data: Option<PathBuf>,
    /// The control-plane namespace.
    #[arg(long, value_name = "NS", default_value = "istio-system")]
    pub istio_namespace: String,
    /// The injector's base name (webhook, Deployment, Service, RBAC names derive from it).
    #[arg(long, value_name = "NAME", default_value = "istio-sidecar-injector")]
    pub name: String,
    /// istiod's COMPLIANCE_POLICY (e.g. `fips-140-3`), which istioctl has no flag for.
    #[arg(long, value_name = "POLICY", hide = true)]
    pub compliance_policy: Option<String>,
    /// A bundle written by `kubectl inject capture`: render with its revision's ConfigMaps
    /// (as from the cluster, which is then not read) and decide with its namespaces and
    /// webhooks. A bundle inside -f input is recognised too.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// Skip exactly what the webhook would skip (what `check` says, decided with the same
    /// facts), instead of following `istioctl kube-inject` (no policy, no selectors, a
    /// CronJob's opt-out read at spec.jobTemplate.metadata).
    #[arg(long)]
    pub respect_policy: bool,
    /// Labels of the objects' namespaces when neither the input, a bundle nor the cluster
    /// gives them (`k=v,k2=v2`), for the webhook's decision (`--respect-policy`, the report).
    #[arg(long, value_name = "K=V,…")]
    pub namespace_labels: Option<String>,
    /// Silence a warning of the report: `CODE` or `CODE=NAMESPACE/NAME` (see `check`).
    #[arg(long = "suppress", short = 'S', value_name = "CODE[=NS/NAME]")]
    pub suppress: Vec<String>,
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// A variable of istiod's environment, as templates read it with `env` and as the
    /// injector reads its feature switches (`REWRITE_TCP_PROBES=false` for Istio ≤ 1.18).
    /// Repeatable. Defined: ENABLE_NATIVE_SIDECARS (from --native-sidecars),
    /// PILOT_ENABLE_INBOUND_PASSTHROUGH=true, ENABLE_LEGACY_FSGROUP_INJECTION=false; the
    /// shell's environment is never read.
    #[arg(long = "env", value_name = "KEY=VALUE")]
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
    #[arg(short = 'r', long, value_name = "REV")]
    pub revision: Option<String>,
    /// The control-plane namespace.
    #[arg(long, value_name = "NS", default_value = "istio-system")]
    pub istio_namespace: String,
    /// The injector's base name (webhook, Deployment, Service, RBAC names derive from it).
    #[arg(long, value_name = "NAME", default_value = "istio-sidecar-injector")]
    pub name: String,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Show what would be deleted without deleting.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "client", require_equals = true)]
    pub dry_run: Option<DryRun>,
    /// Delete objects even when they do not carry the injector's labels.
    #[arg(long)]
    pub force: bool,
    /// Refuse while pods still carry injected sidecars.
    #[arg(long)]
    pub strict: bool,
    /// Output format of the report.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
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
    #[arg(short = 'r', long, value_name = "REV")]
    pub revision: Option<String>,
    /// Whether the cluster's injector makes native sidecars: `true` (Kubernetes ≥ 1.33,
    /// Istio's own detection) or `false` for older clusters.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub native_sidecars: bool,
    /// Output format: readable text by default, or json/yaml.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// The control-plane namespace (where the injector's ConfigMaps are).
    #[arg(long, value_name = "NS", default_value = "istio-system")]
    pub istio_namespace: String,
    /// Predict with a bundle's configuration (`kubectl inject capture`) instead of the
    /// cluster's ConfigMaps: does the live webhook still do what the captured set-up says?
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// Namespaces whose labels match this selector.
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Roll Deployments, StatefulSets and DaemonSets whose pods carry a sidecar the webhook
    /// added (a sidecar in the pod template itself is reported: `cleanup -f` strips it).
    #[arg(long)]
    pub restart: bool,
    /// Do not ask for confirmation before changing the cluster (required when stdin is not a
    /// terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// With -f: rewrite the files in place (atomically).
    #[arg(short = 'i', long)]
    pub in_place: bool,
    /// Show what would change without changing it.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "client", require_equals = true)]
    pub dry_run: Option<DryRun>,
    /// Output format of the report.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct CaptureArgs {
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Capture only the namespaces whose labels match this selector.
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Capture no namespace (the injector's set-up only; give labels with
    /// --namespace-labels or Namespace objects when deciding).
    #[arg(long, conflicts_with_all = ["namespace", "all_namespaces", "selector"])]
    pub no_namespaces: bool,
    /// The control-plane namespace (where the injector's ConfigMaps are, besides the
    /// namespaces of the webhooks' services).
    #[arg(long, value_name = "NS", default_value = "istio-system")]
    pub istio_namespace: String,
    /// Write the bundle to this file (atomically) instead of stdout.
    #[arg(long = "output-file", value_name = "FILE")]
    pub output_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directories to search recursively for `kubectl-inject-test.yaml`, or suite files
    /// (default: the current directory).
    #[arg(value_name = "DIR")]
    pub paths: Vec<PathBuf>,
    /// Output format: a table (default), json, yaml, or junit (JUnit XML for CI servers).
    #[arg(short = 'o', long, value_enum, default_value_t = TestOutput::Table)]
    pub output: TestOutput,
    /// Rewrite the golden files (`injected:`) with what is rendered now, and say which
    /// changed.
    #[arg(long)]
    pub update_golden: bool,
    /// Silence findings in every suite (beside each suite's own `suppress:`).
    #[arg(long = "suppress", short = 'S', value_name = "CODE[=NS/NAME]")]
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
    #[arg(long, value_name = "X.Y[.Z]")]
    pub istio_version: Option<crate::config::release::Version>,
}
