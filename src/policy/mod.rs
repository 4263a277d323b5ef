//! The injection decision engine (pure: no I/O): webhook selector matching, then the
//! injector's own rules in Istio's order, producing a verdict and the step trace `explain`
//! prints. Also the managed-mesh variant.
//!
//! Must not import `app`, `cluster`, `report`, `std::fs` or a kube client. Uses the plain
//! `cli` enums for its options (they carry no behaviour).
//!
//! # Rule ids
//! Stable kebab-case strings, used in JSON (`decidedBy`, `steps[].rule`) and by scripts:
//!
//! | id | mode | what it looks at |
//! |---|---|---|
//! | `webhook` | istio | which MutatingWebhookConfiguration entry the API server would call (namespace + object selectors) |
//! | `host-network` | istio | `spec.hostNetwork: true` → never injected |
//! | `ignored-namespace` | istio | kube-system, kube-public, kube-node-lease, local-path-storage |
//! | `pod-label` | istio | the `sidecar.istio.io/inject` label (wins over the annotation, even when empty) |
//! | `pod-annotation` | istio | the `sidecar.istio.io/inject` annotation, when there is no label |
//! | `never-inject-selector` | both | the config's `neverInjectSelector` (ORed, first match wins, `{}` never matches) |
//! | `always-inject-selector` | both | the config's `alwaysInjectSelector`, only without an explicit value |
//! | `policy` | istio | the config's `policy`: enabled, disabled, anything else = no injection |
//! | `protected-namespace` | managed | kube-system is never injected |
//! | `namespace-condition` | managed | include: `istio-injection=enabled`; exclude: not `istio-injection=disabled` |
//! | `pod-condition` | managed | opt-out: not `inject=false` and no neverInjectSelector; opt-in: `inject=true` or an alwaysInjectSelector |
//!
//! In managed mode the selectors are reported inside the `pod-condition` step, which always
//! decides; `never-inject-selector` and `always-inject-selector` are Istio-mode steps.
//!
//! Every decision has exactly one step with `decided: true`, the last one; steps after it
//! are not evaluated (as in Istio, which returns there).

mod input;
mod istio;
mod managed;
pub mod selector;

pub use input::{Gathered, InputError, Skipped, Subject, gather};
pub use selector::{Selector, SelectorError};

use serde::Serialize;

use crate::cli::{Compat, Mode, NamespaceCondition, PodCondition};
use crate::config::release::{Change, Release};
use crate::config::{InjectionPolicy, InjectorConfig};
use crate::model::webhook::NAMESPACE_NAME_LABEL;
use crate::model::{StringMap, WebhookConfiguration};

/// The annotation the injector writes on pods it injected.
pub const STATUS_ANNOTATION: &str = "sidecar.istio.io/status";

/// Which rule a step applied. Serialized as the kebab-case ids in the module header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleId {
    Webhook,
    HostNetwork,
    IgnoredNamespace,
    PodLabel,
    PodAnnotation,
    NeverInjectSelector,
    AlwaysInjectSelector,
    Policy,
    ProtectedNamespace,
    NamespaceCondition,
    PodCondition,
}

impl RuleId {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::Webhook => "webhook",
            RuleId::HostNetwork => "host-network",
            RuleId::IgnoredNamespace => "ignored-namespace",
            RuleId::PodLabel => "pod-label",
            RuleId::PodAnnotation => "pod-annotation",
            RuleId::NeverInjectSelector => "never-inject-selector",
            RuleId::AlwaysInjectSelector => "always-inject-selector",
            RuleId::Policy => "policy",
            RuleId::ProtectedNamespace => "protected-namespace",
            RuleId::NamespaceCondition => "namespace-condition",
            RuleId::PodCondition => "pod-condition",
        }
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule applied: whether its condition held, whether it decided, and what it saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub rule: RuleId,
    pub matched: bool,
    pub decided: bool,
    pub detail: String,
}

/// Something worth knowing that is not a rule (already injected, an invalid value…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingCode {
    /// The pod carries `sidecar.istio.io/status`: it was injected already.
    AlreadyInjected,
    /// `sidecar.istio.io/inject` has a value the chosen Istio version does not accept.
    InvalidInjectValue,
    /// More than one webhook entry would call an injector: double injection.
    MultipleWebhooks,
    /// The opt-in/out is on the workload's own metadata, which the webhook never sees.
    WorkloadMetadata,
    /// The annotation asks for injection, but only labels make the API server call the webhook.
    AnnotationWithoutWebhook,
    /// `kubectl inject inject` (like `istioctl kube-inject`) ignores policy and selectors.
    OfflineInjectDiffers,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: FindingCode,
    pub message: String,
}

/// The answer for one pod (or pod template).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub inject: bool,
    /// The rule of the deciding step.
    pub decided_by: RuleId,
    /// One sentence: why.
    pub reason: String,
    pub steps: Vec<Step>,
    pub findings: Vec<Finding>,
    /// The revision of the webhook that calls the injector, when one does (Istio mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// What to do when the answer is probably not what the user wanted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The namespace a pod is created in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub labels: StringMap,
}

impl Namespace {
    /// A label as the API server's webhook matching sees it: the namespace's labels plus the
    /// `kubernetes.io/metadata.name` label Kubernetes (≥ 1.21) sets on every namespace.
    pub fn label(&self, key: &str) -> Option<&str> {
        match self.labels.get(key) {
            Some(v) => Some(v),
            None if key == NAMESPACE_NAME_LABEL => Some(&self.name),
            None => None,
        }
    }
}

/// The pod as the webhook sees it (a workload's pod template).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pod {
    pub labels: StringMap,
    pub annotations: StringMap,
    pub host_network: bool,
    /// The kind of workload the pod comes from, for messages (`Deployment`); `Pod` for a pod.
    pub workload_kind: String,
    /// Labels and annotations of the workload's own metadata (not the template's): the
    /// webhook never sees them, so an opt-in written there is reported.
    pub workload_labels: StringMap,
    pub workload_annotations: StringMap,
}

/// How to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    pub mode: Mode,
    pub namespace_condition: NamespaceCondition,
    pub pod_condition: PodCondition,
    pub compat: Compat,
}

/// A configuration the engine cannot use, naming where.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    // The cause is in the message, so it is not also a `#[source]` (it would print twice).
    #[error("{source_name}: {error}")]
    Selector {
        source_name: String,
        error: SelectorError,
    },
}

/// One never/always selector, compiled, with its field path for messages.
#[derive(Debug, Clone)]
struct ConfigSelector {
    path: String,
    selector: Selector,
}

/// One webhook entry, compiled.
#[derive(Debug, Clone)]
struct CompiledWebhook {
    configuration: String,
    revision: String,
    name: String,
    namespace: Selector,
    object: Selector,
    deactivated: bool,
}

/// The decision engine: the configuration compiled once, then `decide` per pod.
#[derive(Debug, Clone)]
pub struct Engine {
    options: Options,
    policy: InjectionPolicy,
    never: Vec<ConfigSelector>,
    always: Vec<ConfigSelector>,
    webhooks: Vec<CompiledWebhook>,
}

fn compile_list(
    list: &[crate::model::LabelSelector],
    field: &str,
    source: &str,
) -> Result<Vec<ConfigSelector>, PolicyError> {
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            let path = format!("{field}[{i}]");
            let selector = Selector::compile(s, &path).map_err(|error| PolicyError::Selector {
                source_name: source.to_string(),
                error,
            })?;
            Ok(ConfigSelector { path, selector })
        })
        .collect()
}

impl Engine {
    /// Compiles the configuration. `config_source` names the config in errors. Only the
    /// webhook entries whose name ends in `istio.io` are considered (as `istioctl x
    /// check-inject` does); the others call other webhooks, not the sidecar injector.
    pub fn new(
        config: &InjectorConfig,
        config_source: &str,
        webhooks: &[WebhookConfiguration],
        options: Options,
    ) -> Result<Engine, PolicyError> {
        let never = compile_list(
            &config.never_inject_selector,
            "neverInjectSelector",
            config_source,
        )?;
        let always = compile_list(
            &config.always_inject_selector,
            "alwaysInjectSelector",
            config_source,
        )?;
        let mut compiled = Vec::new();
        for mwc in webhooks {
            for (i, w) in mwc.webhooks.iter().enumerate() {
                if !w.is_istio() {
                    continue;
                }
                let compile =
                    |sel: &Option<crate::model::LabelSelector>, field: &str| match sel {
                        None => Ok(Selector::everything()),
                        Some(s) => Selector::compile(s, &format!("webhooks[{i}].{field}")).map_err(
                            |error| PolicyError::Selector {
                                source_name: mwc.source.clone(),
                                error,
                            },
                        ),
                    };
                compiled.push(CompiledWebhook {
                    configuration: mwc.name.clone(),
                    revision: mwc.revision().to_string(),
                    name: w.name.clone(),
                    namespace: compile(&w.namespace_selector, "namespaceSelector")?,
                    object: compile(&w.object_selector, "objectSelector")?,
                    deactivated: w.is_deactivated(),
                });
            }
        }
        Ok(Engine {
            options,
            policy: config.policy.clone(),
            never,
            always,
            webhooks: compiled,
        })
    }

    /// Decides whether the injector would add a sidecar to `pod` created in `ns`.
    pub fn decide(&self, ns: &Namespace, pod: &Pod) -> Decision {
        let mut d = match self.options.mode {
            Mode::Istio => istio::decide(self, ns, pod),
            Mode::Managed => managed::decide(self, ns, pod),
        };
        common_findings(pod, &mut d);
        d
    }
}

/// The value of `sidecar.istio.io/inject` as the injector reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InjectValue {
    /// Absent or empty: use the default.
    Default,
    Yes,
    No,
    /// Not accepted by this Istio version; falls back to the default (current semantics).
    Invalid,
}

/// How `sidecar.istio.io/inject` is read: `--compat` when given, else as `release` reads it
/// (`Change::StrictInjectValue`).
pub fn compat_for(explicit: Option<Compat>, release: Release) -> Compat {
    explicit.unwrap_or(if release.has(Change::StrictInjectValue) {
        Compat::Current
    } else {
        Compat::Legacy
    })
}

fn parse_inject_value(value: &str, compat: Compat) -> InjectValue {
    match compat {
        // Istio ≥ 1.27 (commit 331d32e3): exactly "true"/"false".
        Compat::Current => match value {
            "" => InjectValue::Default,
            "true" => InjectValue::Yes,
            "false" => InjectValue::No,
            _ => InjectValue::Invalid,
        },
        // Istio ≤ 1.26: y/yes/true/on in any case; any other non-empty value is a no.
        Compat::Legacy => match value.to_ascii_lowercase().as_str() {
            "" => InjectValue::Default,
            "y" | "yes" | "true" | "on" => InjectValue::Yes,
            _ => InjectValue::No,
        },
    }
}

/// Where the pod's `sidecar.istio.io/inject` value comes from: the label if present (even
/// empty), else the annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValueSource {
    Label,
    Annotation,
}

fn explicit_value(pod: &Pod) -> Option<(ValueSource, &str)> {
    use crate::model::webhook::INJECT_KEY;
    if let Some(v) = pod.labels.get(INJECT_KEY) {
        Some((ValueSource::Label, v))
    } else {
        pod.annotations
            .get(INJECT_KEY)
            .map(|v| (ValueSource::Annotation, v.as_str()))
    }
}

fn first_match<'a>(list: &'a [ConfigSelector], pod: &Pod) -> Option<&'a ConfigSelector> {
    // Istio skips empty selectors here (`!selector.Empty()`): `{}` never matches.
    list.iter()
        .find(|s| !s.selector.is_empty() && s.selector.matches(&pod.labels))
}

fn invalid_value_finding(source: ValueSource, value: &str) -> Finding {
    let what = match source {
        ValueSource::Label => "label",
        ValueSource::Annotation => "annotation",
    };
    Finding {
        code: FindingCode::InvalidInjectValue,
        message: format!(
            "invalid {what} value sidecar.istio.io/inject={value:?}: Istio ≥ 1.27 accepts only \"true\" and \"false\" and falls back to the default policy (use --compat legacy for Istio ≤ 1.26, where {value:?} meant {})",
            if parse_inject_value(value, Compat::Legacy) == InjectValue::Yes {
                "yes"
            } else {
                "no"
            }
        ),
    }
}

/// Findings that do not depend on the mode: already injected, opt-in on the wrong metadata.
fn common_findings(pod: &Pod, d: &mut Decision) {
    use crate::model::webhook::INJECT_KEY;
    if pod.annotations.contains_key(STATUS_ANNOTATION) {
        d.findings.push(Finding {
            code: FindingCode::AlreadyInjected,
            message: format!(
                "the pod already carries the {STATUS_ANNOTATION} annotation: it was injected before (the webhook has no early exit for this and would inject again)"
            ),
        });
    }
    let in_template =
        pod.labels.contains_key(INJECT_KEY) || pod.annotations.contains_key(INJECT_KEY);
    let on_workload = pod
        .workload_labels
        .get(INJECT_KEY)
        .map(|v| ("label", v))
        .or_else(|| {
            pod.workload_annotations
                .get(INJECT_KEY)
                .map(|v| ("annotation", v))
        });
    if let (false, Some((what, v))) = (in_template, on_workload) {
        let kind = &pod.workload_kind;
        d.findings.push(Finding {
            code: FindingCode::WorkloadMetadata,
            message: format!(
                "{INJECT_KEY}={v} is a {what} on the {kind}'s own metadata, which the webhook never sees: move it to the pod template (spec.template.metadata.labels)"
            ),
        });
        // The misplaced opt-in is the likelier cause than anything the rules suggested.
        d.hint = Some(format!(
            "move `{INJECT_KEY}: \"{v}\"` from the {kind}'s metadata to its pod template's metadata.labels"
        ));
    }
}

/// Steps and findings collected while deciding.
#[derive(Debug, Default)]
struct Trace {
    steps: Vec<Step>,
    findings: Vec<Finding>,
    revision: Option<String>,
    hint: Option<String>,
}

impl Trace {
    /// A step that did not decide.
    fn pass(&mut self, rule: RuleId, matched: bool, detail: String) {
        self.steps.push(Step {
            rule,
            matched,
            decided: false,
            detail,
        });
    }

    /// The deciding step; its detail is the decision's reason.
    fn decide(mut self, rule: RuleId, matched: bool, inject: bool, detail: String) -> Decision {
        self.steps.push(Step {
            rule,
            matched,
            decided: true,
            detail: detail.clone(),
        });
        Decision {
            inject,
            decided_by: rule,
            reason: detail,
            steps: self.steps,
            findings: self.findings,
            revision: self.revision,
            hint: self.hint,
        }
    }

    fn finding(&mut self, code: FindingCode, message: String) {
        self.findings.push(Finding { code, message });
    }
}

#[cfg(test)]
mod tests;
