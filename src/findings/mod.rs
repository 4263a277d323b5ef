//! Stable codes for everything kubectl-inject reports that is not a bare verdict: the notes
//! of a decision (`KI1xx`), the drift of a running pod (`KI2xx`) and the injector's health
//! checks (`KI3xx`). One table ([`CODES`]) gives each code its kebab-case name (the `code` of a
//! finding, the `kind` of a drift, the `id` of a health check in JSON), a severity, a
//! sentence and a remedy; `docs/findings.md` is generated from it (a test holds the two
//! together), SARIF rules are built from it, and `--suppress` reads codes and names from it.
//!
//! Also the suppressions themselves (`--suppress CODE[=NAMESPACE/NAME]`, as `istioctl analyze
//! -S`), so every command reads them the same way.
//!
//! Pure: imports neither `app`, `cluster`, `report` nor any I/O.

mod suppress;

pub use suppress::{Suppression, SuppressionError, Suppressions};

use serde::Serialize;

use crate::drift::state::DriftKind;
use crate::health::CheckId;
use crate::policy::FindingCode;

/// How much a finding matters. SARIF calls `Info` `note`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// SARIF's `level`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Info => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Something with a code: a decision's finding, a pod's drift, a health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coded {
    Finding(FindingCode),
    Drift(DriftKind),
    Check(CheckId),
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeInfo {
    /// `KI110`.
    pub code: &'static str,
    /// The kebab-case name JSON already carries (`run-to-completion`).
    pub name: &'static str,
    pub severity: Severity,
    /// What it means, in one sentence.
    pub summary: &'static str,
    /// What to do about it.
    pub remedy: &'static str,
}

const fn row(
    code: &'static str,
    name: &'static str,
    severity: Severity,
    summary: &'static str,
    remedy: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        name,
        severity,
        summary,
        remedy,
    }
}

use Severity::{Error, Info, Warning};

/// Every code, in order. Severities of health checks are the worst status the check can
/// report (a check that passes reports nothing).
pub const CODES: &[CodeInfo] = &[
    row(
        "KI101",
        "already-injected",
        Warning,
        "The pod already carries `sidecar.istio.io/status`: it was injected before, and the webhook would inject it again.",
        "Apply the manifest without the injected parts (`kubectl inject cleanup -f`), or do not inject it twice.",
    ),
    row(
        "KI102",
        "invalid-inject-value",
        Warning,
        "`sidecar.istio.io/inject` has a value the chosen Istio version does not accept, so the default policy decides.",
        "Write exactly \"true\" or \"false\" (Istio ≥ 1.27); `--compat legacy` reads values as Istio ≤ 1.26 did.",
    ),
    row(
        "KI103",
        "multiple-webhooks",
        Error,
        "More than one webhook entry would call an injector for the pod: it would be injected twice.",
        "Remove or deactivate the overlapping webhook configuration (`kubectl inject check --injector` names it).",
    ),
    row(
        "KI104",
        "workload-metadata",
        Warning,
        "The opt-in or opt-out is on metadata the webhook never sees (the workload's own, a CronJob's job template's).",
        "Move the label to the pod template's `metadata.labels`.",
    ),
    row(
        "KI105",
        "annotation-without-webhook",
        Warning,
        "The annotation asks for injection, but the API server calls the webhook by labels only.",
        "Use the label `sidecar.istio.io/inject: \"true\"` on the pod template instead.",
    ),
    row(
        "KI106",
        "offline-inject-differs",
        Info,
        "`kubectl inject inject` (like `istioctl kube-inject`) would inject this pod although the webhook would not: it ignores the policy and selectors and reads a CronJob's opt-out at `spec.jobTemplate.metadata`.",
        "Run `kubectl inject inject --respect-policy` to skip what the webhook skips, or opt the object out where kube-inject reads it.",
    ),
    row(
        "KI107",
        "namespace-multiple-injection-labels",
        Warning,
        "The namespace carries both `istio-injection` and `istio.io/rev`; only one of them selects the webhook (IST0123).",
        "Remove one of the labels: `kubectl label namespace NS istio-injection-` or `istio.io/rev-`.",
    ),
    row(
        "KI108",
        "pod-revision-ignored",
        Warning,
        "The pod's `istio.io/rev` label is ignored: the namespace's labels chose the webhook (and so the revision).",
        "Label the namespace with the revision, or remove the pod's label.",
    ),
    row(
        "KI109",
        "config-assumed",
        Info,
        "The revision whose webhook is called has no injector configuration that was read: the embedded default policy is assumed.",
        "Capture or pass that revision's `istio-sidecar-injector` ConfigMap (`--bundle`, `--config`, or `-f`).",
    ),
    row(
        "KI110",
        "run-to-completion",
        Warning,
        "A Job, a CronJob or a pod with `restartPolicy: Never|OnFailure` would get a classic (non-native) sidecar, which keeps running after the job's containers exit: the pod never completes.",
        "Use native sidecars (Kubernetes ≥ 1.28 with Istio's `ENABLE_NATIVE_SIDECARS=true`, or the pod annotation `sidecar.istio.io/nativeSidecar: \"true\"`), opt the pod out (`sidecar.istio.io/inject: \"false\"`), or have the job stop the proxy when it is done (`curl -fsS -X POST http://localhost:15020/quitquitquit`).",
    ),
    row(
        "KI201",
        "missing",
        Warning,
        "The policy injects this pod, but it runs without a sidecar (created before the label, or while the webhook was down).",
        "Restart the workload (`kubectl rollout restart`); `check` names the command.",
    ),
    row(
        "KI202",
        "unexpected",
        Warning,
        "The pod runs with a sidecar the policy no longer gives it.",
        "Restart the workload if the sidecar should go; otherwise fix the labels `check` names.",
    ),
    row(
        "KI203",
        "stale-revision",
        Warning,
        "The pod was injected by another revision than the one whose webhook is called now.",
        "Restart the workload so the current revision injects it.",
    ),
    row(
        "KI204",
        "stale-template",
        Warning,
        "The pod was injected by the right revision, with a configuration (template, values, mesh) that has changed since.",
        "Restart the workload so it is injected with the current configuration.",
    ),
    row(
        "KI301",
        "webhook-exists",
        Error,
        "No Istio injection MutatingWebhookConfiguration exists.",
        "Install Istio's injector, or check `--istio-namespace` and `-r`.",
    ),
    row(
        "KI302",
        "ca-bundle-set",
        Error,
        "A webhook that calls a service has no caBundle: the API server cannot trust the injector.",
        "Let istiod patch the caBundle (it does at start), or set it from the serving certificate's CA.",
    ),
    row(
        "KI303",
        "ca-bundle-valid",
        Error,
        "A caBundle is not base64 of PEM X.509 certificates.",
        "Replace the caBundle with the base64 of the CA certificate (PEM).",
    ),
    row(
        "KI304",
        "ca-bundle-expiry",
        Error,
        "A caBundle certificate has expired, is not yet valid, or ends within 30 days.",
        "Rotate the CA and the webhook's caBundle before it ends.",
    ),
    row(
        "KI305",
        "ca-bundle-is-ca",
        Warning,
        "A caBundle certificate is not a CA (basicConstraints CA:FALSE).",
        "Put the issuing CA in the caBundle, not the serving certificate.",
    ),
    row(
        "KI306",
        "ca-bundle-verifies-serving-cert",
        Error,
        "The caBundle does not verify the certificate the injector serves with.",
        "Set the caBundle from the CA that signed the serving secret (`istiod-tls`, `cacerts`, `istio-ca-secret`).",
    ),
    row(
        "KI307",
        "failure-policy",
        Error,
        "The webhook's failurePolicy and its blast radius: with `Fail`, every pod created in the namespaces it selects (opted out by annotation too) fails while the injector is down.",
        "Keep the injector highly available, opt pods out by label (which skips the call), or accept `Ignore`.",
    ),
    row(
        "KI308",
        "timeout-seconds",
        Warning,
        "A webhook waits more than 10s for the injector, so pod creation can stall that long.",
        "Lower `timeoutSeconds` (Istio installs 10).",
    ),
    row(
        "KI309",
        "selectors-valid",
        Error,
        "A namespaceSelector or objectSelector does not compile.",
        "Fix the selector: operators In, NotIn, Exists, DoesNotExist, with values only for In/NotIn.",
    ),
    row(
        "KI310",
        "webhooks-overlap",
        Error,
        "Two webhooks match the same pod: it would be injected twice.",
        "Remove or deactivate one of them (`istioctl tag remove`, `kubectl inject uninstall -r REV`).",
    ),
    row(
        "KI311",
        "webhook-url",
        Warning,
        "A webhook calls a URL instead of a service, which this check cannot follow.",
        "Check that the URL is reachable from the API server.",
    ),
    row(
        "KI312",
        "service-exists",
        Error,
        "The service a webhook calls does not exist (a webhook left behind after an uninstall, IST0139).",
        "Reinstall the injector, or delete the dangling webhook (`kubectl inject uninstall`).",
    ),
    row(
        "KI313",
        "service-endpoints",
        Warning,
        "The injector's service has no ready endpoints: pod creation fails or skips injection.",
        "Check the injector's pods (`kubectl get pods -n istio-system -l app=istiod`).",
    ),
    row(
        "KI314",
        "deployment-exists",
        Error,
        "No deployment backs the injector's service.",
        "Reinstall the injector.",
    ),
    row(
        "KI315",
        "deployment-ready",
        Warning,
        "The injector's deployment is not ready.",
        "Check its pods' events and logs.",
    ),
    row(
        "KI316",
        "deployment-replicas",
        Warning,
        "The injector runs fewer than 2 replicas: one restart stops pod creation (with failurePolicy Fail).",
        "Run at least 2 replicas (and a PodDisruptionBudget).",
    ),
    row(
        "KI317",
        "deployment-resources",
        Warning,
        "The injector's containers do not set resource requests and limits.",
        "Set requests and limits on the injector's containers.",
    ),
    row(
        "KI318",
        "namespaces-readable",
        Warning,
        "Namespaces could not be read, so the blast radius is unknown.",
        "Run with a user that may list namespaces.",
    ),
    row(
        "KI319",
        "namespace-double-label",
        Warning,
        "A namespace has both `istio-injection` and `istio.io/rev`.",
        "Remove one of the labels.",
    ),
];

/// Looks a code up by its `KI…` code or its kebab-case name.
pub fn lookup(code_or_name: &str) -> Option<&'static CodeInfo> {
    CODES
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code_or_name) || c.name == code_or_name)
}

fn by_code(code: &str) -> &'static CodeInfo {
    // Every code below is in CODES (the tests hold it); the first row keeps this total.
    CODES.iter().find(|c| c.code == code).unwrap_or(&CODES[0])
}

/// The row of a finding, drift or check.
pub fn info(coded: Coded) -> &'static CodeInfo {
    by_code(code(coded))
}

/// The `KI…` code of a finding, drift or check. Exhaustive: a new variant does not compile
/// until it has a code.
pub fn code(coded: Coded) -> &'static str {
    match coded {
        Coded::Finding(f) => match f {
            FindingCode::AlreadyInjected => "KI101",
            FindingCode::InvalidInjectValue => "KI102",
            FindingCode::MultipleWebhooks => "KI103",
            FindingCode::WorkloadMetadata => "KI104",
            FindingCode::AnnotationWithoutWebhook => "KI105",
            FindingCode::OfflineInjectDiffers => "KI106",
            FindingCode::NamespaceMultipleInjectionLabels => "KI107",
            FindingCode::PodRevisionIgnored => "KI108",
            FindingCode::ConfigAssumed => "KI109",
            FindingCode::RunToCompletion => "KI110",
        },
        Coded::Drift(d) => match d {
            DriftKind::Missing => "KI201",
            DriftKind::Unexpected => "KI202",
            DriftKind::StaleRevision => "KI203",
            DriftKind::StaleTemplate => "KI204",
        },
        Coded::Check(c) => match c {
            CheckId::WebhookExists => "KI301",
            CheckId::CaBundleSet => "KI302",
            CheckId::CaBundleValid => "KI303",
            CheckId::CaBundleExpiry => "KI304",
            CheckId::CaBundleIsCa => "KI305",
            CheckId::CaBundleVerifiesServingCert => "KI306",
            CheckId::FailurePolicy => "KI307",
            CheckId::TimeoutSeconds => "KI308",
            CheckId::SelectorsValid => "KI309",
            CheckId::WebhooksOverlap => "KI310",
            CheckId::WebhookUrl => "KI311",
            CheckId::ServiceExists => "KI312",
            CheckId::ServiceEndpoints => "KI313",
            CheckId::DeploymentExists => "KI314",
            CheckId::DeploymentReady => "KI315",
            CheckId::DeploymentReplicas => "KI316",
            CheckId::DeploymentResources => "KI317",
            CheckId::NamespacesReadable => "KI318",
            CheckId::NamespaceDoubleLabel => "KI319",
        },
    }
}

/// Every drift kind (the drift module keeps no list of its own).
pub const DRIFT_KINDS: [DriftKind; 4] = [
    DriftKind::Missing,
    DriftKind::Unexpected,
    DriftKind::StaleRevision,
    DriftKind::StaleTemplate,
];

/// Every coded thing, in table order.
pub fn all() -> Vec<Coded> {
    FindingCode::ALL
        .iter()
        .map(|c| Coded::Finding(*c))
        .chain(DRIFT_KINDS.iter().map(|d| Coded::Drift(*d)))
        .chain(CheckId::ALL.iter().map(|c| Coded::Check(*c)))
        .collect()
}

/// The documentation URL of a code (a heading of `docs/findings.md`).
pub fn help_uri(code: &str) -> String {
    format!(
        "{}/blob/main/docs/findings.md#{}",
        env!("CARGO_PKG_REPOSITORY"),
        code.to_ascii_lowercase()
    )
}

/// The table of `docs/findings.md`: one row per code.
pub fn markdown_table() -> String {
    let mut s = String::from(
        "| code | name | severity | what it means | what to do |\n|---|---|---|---|---|\n",
    );
    for c in CODES {
        s.push_str(&format!(
            "| <a id=\"{}\"></a>`{}` | `{}` | {} | {} | {} |\n",
            c.code.to_ascii_lowercase(),
            c.code,
            c.name,
            c.severity.as_str(),
            c.summary.replace('|', "\\|"),
            c.remedy.replace('|', "\\|"),
        ));
    }
    s
}

#[cfg(test)]
mod tests;
