//! The injection decision engine (pure: no I/O): webhook selector matching, then the
//! injector's own rules in Istio's order, producing a verdict and the step trace `explain`
//! prints. Also the managed-mesh variant.
//!
//! Must not import `app`, `cluster`, `report`, `cli`, `std::fs` or a kube client. Its options
//! ([`Mode`], [`Compat`], [`NamespaceCondition`], [`PodCondition`]) are domain types that the
//! command line maps onto.
//!
//! # Revisions
//! The API server calls the first webhook entry whose selectors match (§2 of the reference);
//! that entry's configuration names the revision (`istio.io/rev`, and `istio.io/tag` for a
//! revision tag), and that revision's injector configuration — policy, never/always
//! selectors — decides the injector's steps. The engine holds every revision's rules
//! ([`Engine::from_facts`]); a revision whose configuration was not read gets the embedded
//! default, and the decision says it was assumed.
//!
//! # Rule ids
//! Stable kebab-case strings, used in JSON (`decidedBy`, `steps[].rule`) and by scripts:
//!
//! | id | mode | what it looks at |
//! |---|---|---|
//! | `webhook` | istio | which MutatingWebhookConfiguration entry the API server would call (namespace + object selectors) |
//! | `host-network` | both | `spec.hostNetwork: true` → never injected |
//! | `ignored-namespace` | both | kube-system, kube-public, kube-node-lease, local-path-storage |
//! | `pod-label` | istio | the `sidecar.istio.io/inject` label (wins over the annotation, even when empty) |
//! | `pod-annotation` | istio | the `sidecar.istio.io/inject` annotation, when there is no label |
//! | `never-inject-selector` | istio | the config's `neverInjectSelector` (ORed, first match wins, `{}` never matches) |
//! | `always-inject-selector` | istio | the config's `alwaysInjectSelector`, only without an explicit value |
//! | `policy` | istio | the config's `policy`: enabled, disabled, anything else = no injection |
//! | `protected-namespace` | managed | kube-system is never injected |
//! | `namespace-condition` | managed | include: `istio-injection=enabled`; exclude: not `istio-injection=disabled` |
//! | `pod-condition` | managed | opt-out: not `inject=false` and no neverInjectSelector; opt-in: `inject=true` or an alwaysInjectSelector |
//!
//! In managed mode the selectors are reported inside the `pod-condition` step, which always
//! decides; the managed mesh runs Istio's injector behind its two conditions, so
//! `host-network` and `ignored-namespace` apply there too, between the namespace and the pod
//! condition.
//!
//! Every decision has exactly one step with `decided: true`, the last one; steps after it
//! are not evaluated (as in Istio, which returns there). Each step names the field it read
//! (`spec.template.metadata.labels["sidecar.istio.io/inject"]`), or looked for and missed.

mod input;
mod istio;
mod managed;
mod options;
pub mod selector;

pub use input::{Gathered, InputError, Skipped, Subject, gather, pod_of};
pub use options::{Choice, Compat, Mode, NamespaceCondition, Options, PodCondition};
pub use selector::{Selector, SelectorError};

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{InjectionPolicy, InjectorConfig};
use crate::facts::{Fact, Facts, InjectorFacts, NativeSidecars, Source};
use crate::manifest::WorkloadKind;
use crate::model::webhook::{INJECT_KEY, NAMESPACE_NAME_LABEL};
use crate::model::{StringMap, WebhookConfiguration};

pub use crate::model::istio::STATUS_ANNOTATION;

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

/// One rule applied: whether its condition held, whether it decided, what it saw, and the
/// field it read (or looked for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub rule: RuleId,
    pub matched: bool,
    pub decided: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
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
    /// The opt-in/out is on metadata the webhook never sees (the workload's own, a CronJob's
    /// job template's).
    WorkloadMetadata,
    /// The annotation asks for injection, but only labels make the API server call the webhook.
    AnnotationWithoutWebhook,
    /// `kubectl inject inject` (like `istioctl kube-inject`) ignores policy and selectors.
    OfflineInjectDiffers,
    /// The namespace carries both `istio-injection` and `istio.io/rev`.
    NamespaceMultipleInjectionLabels,
    /// The pod's `istio.io/rev` label is ignored: the namespace's labels chose the webhook.
    PodRevisionIgnored,
    /// The revision that calls the injector has no configuration that was read: the
    /// embedded default policy was assumed.
    ConfigAssumed,
    /// A run-to-completion pod (Job, CronJob, a pod with `restartPolicy: Never|OnFailure`)
    /// would get a classic sidecar, which never exits: the pod never completes.
    RunToCompletion,
}

impl FindingCode {
    /// Every code (the findings table in `crate::findings` holds one row for each).
    pub const ALL: [FindingCode; 10] = [
        FindingCode::AlreadyInjected,
        FindingCode::InvalidInjectValue,
        FindingCode::MultipleWebhooks,
        FindingCode::WorkloadMetadata,
        FindingCode::AnnotationWithoutWebhook,
        FindingCode::OfflineInjectDiffers,
        FindingCode::NamespaceMultipleInjectionLabels,
        FindingCode::PodRevisionIgnored,
        FindingCode::ConfigAssumed,
        FindingCode::RunToCompletion,
    ];

    /// Its `KI…` code (see `docs/findings.md`).
    pub fn ki(self) -> &'static str {
        crate::findings::code(crate::findings::Coded::Finding(self))
    }
}

/// A note on a decision. In JSON: `code` (the kebab-case name), `kiCode` (`KI110`),
/// `severity` (`info`, `warning`, `error`) and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: FindingCode,
    pub message: String,
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let info = crate::findings::info(crate::findings::Coded::Finding(self.code));
        let mut m = s.serialize_struct("Finding", 4)?;
        m.serialize_field("code", &self.code)?;
        m.serialize_field("kiCode", info.code)?;
        m.serialize_field("severity", &info.severity)?;
        m.serialize_field("message", &self.message)?;
        m.end()
    }
}

/// The webhook entry the API server would call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRef {
    /// The MutatingWebhookConfiguration's name.
    pub configuration: String,
    /// The entry's name (`rev.namespace.sidecar-injector.istio.io`).
    pub name: String,
}

/// The injector configuration whose rules applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigRef {
    /// `configmap istio-system/istio-sidecar-injector-canary`.
    pub name: String,
    pub source: Source,
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
    /// The revision of the webhook that calls the injector, when one does (Istio mode), or
    /// of the injector whose rules applied (managed mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The revision tag the webhook configuration serves, when it is a tag's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ConfigRef>,
    /// What to do when the answer is probably not what the user wanted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// The namespace a pod is created in, and where its labels are known from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub labels: StringMap,
    pub source: Source,
}

impl Namespace {
    /// A namespace whose labels are known (from the input, for tests and simple callers).
    pub fn known(name: &str, labels: StringMap) -> Namespace {
        Namespace {
            name: name.to_string(),
            labels,
            source: Source::Input {
                at: "the input".into(),
            },
        }
    }

    /// A label as the API server's webhook matching sees it: the namespace's labels plus the
    /// `kubernetes.io/metadata.name` label Kubernetes (≥ 1.21) sets on every namespace.
    pub fn label(&self, key: &str) -> Option<&str> {
        match self.labels.get(key) {
            Some(v) => Some(v),
            None if key == NAMESPACE_NAME_LABEL => Some(&self.name),
            None => None,
        }
    }

    /// True when nothing said what the labels are.
    pub fn assumed(&self) -> bool {
        self.source.assumed()
    }
}

impl From<crate::facts::NamespaceFacts> for Namespace {
    fn from(n: crate::facts::NamespaceFacts) -> Namespace {
        Namespace {
            name: n.name,
            labels: n.labels.value,
            source: n.labels.source,
        }
    }
}

/// `sidecar.istio.io/inject` (or another key) written where the webhook never looks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Misplaced {
    /// `metadata.labels`, `spec.jobTemplate.metadata.annotations`.
    pub path: String,
    pub value: String,
}

/// The pod as the webhook sees it (a workload's pod template).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pod {
    pub labels: StringMap,
    pub annotations: StringMap,
    pub host_network: bool,
    /// The kind of workload the pod comes from; `Pod` for a pod.
    pub kind: WorkloadKind,
    /// `sidecar.istio.io/inject` values on metadata the webhook never sees.
    pub misplaced: Vec<Misplaced>,
    /// `spec.restartPolicy` of the pod (template), when set.
    pub restart_policy: Option<String>,
}

impl Default for Pod {
    fn default() -> Pod {
        Pod {
            labels: StringMap::new(),
            annotations: StringMap::new(),
            host_network: false,
            kind: WorkloadKind::Pod,
            misplaced: Vec::new(),
            restart_policy: None,
        }
    }
}

impl Pod {
    /// The full path of a field of the pod template inside its object:
    /// `spec.template.metadata.labels` for a Deployment, `metadata.labels` for a Pod.
    pub fn path(&self, field: &str) -> String {
        match self.kind.pod_template_path() {
            "" => field.to_string(),
            p => format!("{p}.{field}"),
        }
    }

    /// The path of one key of the pod's labels or annotations, as `explain` prints it.
    pub fn key_path(&self, map: &str, key: &str) -> String {
        format!("{}[\"{key}\"]", self.path(&format!("metadata.{map}")))
    }

    /// Why the pod runs to completion (its containers are meant to exit): a Job's or a
    /// CronJob's, or a pod whose `restartPolicy` is `Never` or `OnFailure`.
    pub fn runs_to_completion(&self) -> Option<String> {
        match self.kind {
            WorkloadKind::Job => Some("a Job's pods run to completion".into()),
            WorkloadKind::CronJob => Some("a CronJob's pods run to completion".into()),
            _ => match self.restart_policy.as_deref() {
                Some(p @ ("Never" | "OnFailure")) => Some(format!(
                    "the pod runs to completion ({}: {p})",
                    self.path("spec.restartPolicy")
                )),
                _ => None,
            },
        }
    }

    /// Whether the pod gets a native sidecar from an injector whose mode is `global`: the
    /// `sidecar.istio.io/nativeSidecar` annotation (exactly "true" or "false") wins, as in
    /// Istio's `RunTemplate` and template.
    pub fn native_sidecar(&self, global: bool) -> (bool, Option<String>) {
        match self
            .annotations
            .get(crate::model::istio::NATIVE_SIDECAR_ANNOTATION)
            .map(String::as_str)
        {
            Some(v @ ("true" | "false")) => (
                v == "true",
                Some(self.key_path(
                    "annotations",
                    crate::model::istio::NATIVE_SIDECAR_ANNOTATION,
                )),
            ),
            _ => (global, None),
        }
    }
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
    tag: Option<String>,
    name: String,
    namespace: Selector,
    object: Selector,
    deactivated: bool,
}

/// One revision's injector rules, compiled.
#[derive(Debug, Clone)]
struct Rules {
    config: ConfigRef,
    policy: InjectionPolicy,
    never: Vec<ConfigSelector>,
    always: Vec<ConfigSelector>,
    /// Whether this revision's injector makes native sidecars, and why.
    native: Fact<NativeSidecars>,
}

impl Rules {
    fn compile(
        fact: &Fact<InjectorFacts>,
        native: Fact<NativeSidecars>,
    ) -> Result<Rules, PolicyError> {
        let config = &fact.value.config;
        let source = fact.value.name.as_str();
        Ok(Rules {
            native,
            config: ConfigRef {
                name: fact.value.name.clone(),
                source: fact.source.clone(),
            },
            policy: config.policy.clone(),
            never: compile_list(&config.never_inject_selector, "neverInjectSelector", source)?,
            always: compile_list(
                &config.always_inject_selector,
                "alwaysInjectSelector",
                source,
            )?,
        })
    }
}

/// The decision engine: the webhooks and every revision's rules compiled once, then
/// `decide` per pod.
#[derive(Debug, Clone)]
pub struct Engine {
    options: Options,
    webhooks: Vec<CompiledWebhook>,
    /// Rules by revision.
    rules: BTreeMap<String, Rules>,
    /// For a revision without rules of its own: the embedded default, assumed.
    fallback: Rules,
    /// The facts came from a source that describes every revision's configuration.
    configs_read: bool,
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

fn compile_webhooks(
    webhooks: &[WebhookConfiguration],
) -> Result<Vec<CompiledWebhook>, PolicyError> {
    let mut compiled = Vec::new();
    for mwc in webhooks {
        let (revision, tag) = crate::facts::revision_and_tag(mwc);
        for (i, w) in mwc.webhooks.iter().enumerate() {
            if !w.is_istio() {
                continue;
            }
            let compile = |sel: &Option<crate::model::LabelSelector>, field: &str| match sel {
                None => Ok(Selector::everything()),
                Some(s) => {
                    Selector::compile(s, &format!("webhooks[{i}].{field}")).map_err(|error| {
                        PolicyError::Selector {
                            source_name: mwc.source.clone(),
                            error,
                        }
                    })
                }
            };
            compiled.push(CompiledWebhook {
                configuration: mwc.name.clone(),
                revision: revision.clone(),
                tag: tag.clone(),
                name: w.name.clone(),
                namespace: compile(&w.namespace_selector, "namespaceSelector")?,
                object: compile(&w.object_selector, "objectSelector")?,
                deactivated: w.is_deactivated(),
            });
        }
    }
    Ok(compiled)
}

impl Engine {
    /// One injector configuration for every revision: kube-inject's fixed `Config`, an
    /// AdmissionReview's injector, tests. `config_source` names the config in errors. Only
    /// the webhook entries whose name ends in `istio.io` are considered (as `istioctl x
    /// check-inject` does); the others call other webhooks, not the sidecar injector.
    pub fn new(
        config: &InjectorConfig,
        config_source: &str,
        webhooks: &[WebhookConfiguration],
        options: Options,
    ) -> Result<Engine, PolicyError> {
        let fact = Fact::new(
            InjectorFacts {
                name: config_source.to_string(),
                config: config.clone(),
                config_text: None,
                values_text: None,
            },
            Source::Input {
                at: config_source.to_string(),
            },
        );
        Ok(Engine {
            options,
            webhooks: compile_webhooks(webhooks)?,
            rules: BTreeMap::new(),
            fallback: Rules::compile(&fact, Facts::new().fallback_native_sidecars())?,
            configs_read: false,
        })
    }

    /// Every revision's rules from the facts; `webhooks` are the configurations the API
    /// server consults (`Facts::webhooks`).
    pub fn from_facts(
        facts: &Facts,
        webhooks: &[WebhookConfiguration],
        options: Options,
    ) -> Result<Engine, PolicyError> {
        let mut rules = BTreeMap::new();
        for rev in facts.configured_revisions() {
            rules.insert(
                rev.to_string(),
                Rules::compile(&facts.injector(rev), facts.native_sidecars(rev))?,
            );
        }
        // `--config` applies to every revision, also those without a ConfigMap; else the
        // embedded default for a revision nothing describes.
        let fallback = Rules::compile(
            &facts.fallback_injector(None),
            facts.fallback_native_sidecars(),
        )?;
        Ok(Engine {
            options,
            webhooks: compile_webhooks(webhooks)?,
            rules,
            fallback,
            configs_read: facts.authority().is_some(),
        })
    }

    /// The rules of `revision`, and whether they had to be assumed.
    fn rules(&self, revision: &str) -> (&Rules, bool) {
        match self.rules.get(revision) {
            Some(r) => (r, false),
            None => (&self.fallback, self.fallback.config.source.assumed()),
        }
    }

    /// Decides whether the injector would add a sidecar to `pod` created in `ns`.
    pub fn decide(&self, ns: &Namespace, pod: &Pod) -> Decision {
        let mut d = match self.options.mode {
            Mode::Istio => istio::decide(self, ns, pod),
            Mode::Managed => managed::decide(self, ns, pod),
        };
        common_findings(pod, &mut d);
        cronjob_differs(pod, &mut d);
        if d.inject {
            let (rules, _) = self.rules(d.revision.as_deref().unwrap_or("default"));
            if let Some(f) = run_to_completion(pod, &rules.native) {
                d.findings.push(f);
            }
        }
        d
    }
}

/// One pod or workload decided, with the namespace as the decision saw it.
#[derive(Debug, Clone)]
pub struct Evaluated {
    pub subject: Subject,
    pub namespace: Namespace,
    pub decision: Decision,
}

impl Engine {
    /// Decides `subject` in its namespace as the facts describe it.
    pub fn evaluate(&self, facts: &Facts, subject: Subject) -> Evaluated {
        let namespace = Namespace::from(facts.namespace(&subject.namespace));
        let decision = self.decide(&namespace, &subject.pod);
        Evaluated {
            subject,
            namespace,
            decision,
        }
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

impl ValueSource {
    fn word(self) -> &'static str {
        match self {
            ValueSource::Label => "label",
            ValueSource::Annotation => "annotation",
        }
    }

    fn map(self) -> &'static str {
        match self {
            ValueSource::Label => "labels",
            ValueSource::Annotation => "annotations",
        }
    }
}

fn explicit_value(pod: &Pod) -> Option<(ValueSource, &str)> {
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
    Finding {
        code: FindingCode::InvalidInjectValue,
        message: format!(
            "invalid {} value sidecar.istio.io/inject={value:?}: Istio ≥ 1.27 accepts only \"true\" and \"false\" and falls back to the default policy (use --compat legacy for Istio ≤ 1.26, where {value:?} meant {})",
            source.word(),
            if parse_inject_value(value, Compat::Legacy) == InjectValue::Yes {
                "yes"
            } else {
                "no"
            }
        ),
    }
}

/// "a label", "an annotation".
fn with_article(word: &str) -> String {
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {word}")
}

/// Findings that do not depend on the mode: already injected, opt-in on the wrong metadata.
fn common_findings(pod: &Pod, d: &mut Decision) {
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
    if in_template {
        return;
    }
    let Some(first) = pod.misplaced.first() else {
        return;
    };
    let kind = pod.kind;
    let right = pod.path("metadata.labels");
    for m in &pod.misplaced {
        let what = if m.path.ends_with("annotations") {
            "annotation"
        } else {
            "label"
        };
        d.findings.push(Finding {
            code: FindingCode::WorkloadMetadata,
            message: format!(
                "{INJECT_KEY}={} is {} at {}, which the webhook never sees (it reads the pod's own metadata): move it to {right}",
                m.value,
                with_article(what),
                m.path,
            ),
        });
    }
    // The misplaced opt-in is the likelier cause than anything the rules suggested.
    d.hint = Some(format!(
        "move `{INJECT_KEY}: \"{}\"` from the {kind}'s {} to {right}",
        first.value, first.path
    ));
}

/// KI106 for a CronJob whose pod template opts out: `kubectl inject inject` (like `istioctl
/// kube-inject`) reads the opt-out at `spec.jobTemplate.metadata` instead, so it injects the
/// CronJob unless that metadata opts out too.
fn cronjob_differs(pod: &Pod, d: &mut Decision) {
    let template_says_no = explicit_value(pod)
        .is_some_and(|(_, v)| parse_inject_value(v, Compat::Current) == InjectValue::No);
    if d.inject || pod.kind != WorkloadKind::CronJob || !template_says_no {
        return;
    }
    let job_template_says_no = pod.misplaced.iter().any(|m| {
        m.path.starts_with("spec.jobTemplate.metadata")
            && parse_inject_value(&m.value, Compat::Current) == InjectValue::No
    });
    if job_template_says_no
        || d.findings
            .iter()
            .any(|f| f.code == FindingCode::OfflineInjectDiffers)
    {
        return;
    }
    d.findings.push(Finding {
        code: FindingCode::OfflineInjectDiffers,
        message: format!(
            "`kubectl inject inject` (like `istioctl kube-inject`) reads a CronJob's {INJECT_KEY} at spec.jobTemplate.metadata, which does not opt out, so it would inject this CronJob (`inject --respect-policy` skips it)"
        ),
    });
}

/// KI110: a pod that runs to completion and would get a classic sidecar, which keeps it
/// running after its containers exit. `native` is whether its injector makes native sidecars
/// for pods that do not say (the annotation wins).
pub fn run_to_completion(pod: &Pod, native: &Fact<NativeSidecars>) -> Option<Finding> {
    let why_completes = pod.runs_to_completion()?;
    let (on, annotation) = pod.native_sidecar(native.value.on);
    if on {
        return None;
    }
    let why_classic = match annotation {
        Some(path) => format!("{path} is \"false\""),
        None if native.source.assumed() => native.value.why.clone(),
        None => format!("native sidecars are off: {}", native.value.why),
    };
    Some(Finding {
        code: FindingCode::RunToCompletion,
        message: format!(
            "{why_completes}, but istio-proxy would be a classic sidecar in spec.containers ({why_classic}): it keeps running after the other containers exit, so the pod never completes. Use native sidecars (Kubernetes ≥ 1.28: ENABLE_NATIVE_SIDECARS=true on istiod, or the annotation sidecar.istio.io/nativeSidecar: \"true\" on the pod template), opt the pod out (sidecar.istio.io/inject: \"false\"), or stop the proxy when the job is done (`curl -fsS -X POST http://localhost:15020/quitquitquit`)"
        ),
    })
}

/// Steps and findings collected while deciding.
#[derive(Debug, Default)]
struct Trace {
    steps: Vec<Step>,
    findings: Vec<Finding>,
    revision: Option<String>,
    tag: Option<String>,
    webhook: Option<WebhookRef>,
    config: Option<ConfigRef>,
    hint: Option<String>,
    inject: bool,
}

/// `Break` once a step decided; `?` then returns from the decision function.
type Flow = std::ops::ControlFlow<()>;

impl Trace {
    /// A step that did not decide.
    fn pass(&mut self, rule: RuleId, matched: bool, detail: String, field: Option<String>) -> Flow {
        self.steps.push(Step {
            rule,
            matched,
            decided: false,
            detail,
            field,
        });
        Flow::Continue(())
    }

    /// The deciding step; its detail is the decision's reason.
    fn decide(
        &mut self,
        rule: RuleId,
        matched: bool,
        inject: bool,
        detail: String,
        field: Option<String>,
    ) -> Flow {
        self.steps.push(Step {
            rule,
            matched,
            decided: true,
            detail,
            field,
        });
        self.inject = inject;
        Flow::Break(())
    }

    fn finding(&mut self, code: FindingCode, message: String) {
        self.findings.push(Finding { code, message });
    }

    /// The decision, once a step decided.
    fn finish(self) -> Decision {
        let last = self.steps.last();
        let (decided_by, reason) = match last {
            Some(s) => (s.rule, s.detail.clone()),
            // Unreachable by construction (every path ends in `decide`); stay panic-free.
            None => (RuleId::Policy, String::new()),
        };
        Decision {
            inject: self.inject,
            decided_by,
            reason,
            steps: self.steps,
            findings: self.findings,
            revision: self.revision,
            tag: self.tag,
            webhook: self.webhook,
            config: self.config,
            hint: self.hint,
        }
    }
}

/// "if namespace web is really unlabelled: run …" when the labels were assumed.
fn conditional_hint(ns: &Namespace, hint: String) -> String {
    if ns.assumed() {
        format!(
            "if namespace {} really has no injection label (its labels were not read; give them with --namespace-labels, a Namespace in -f, or read them from the cluster): {hint}",
            ns.name
        )
    } else {
        hint
    }
}

#[cfg(test)]
mod tests;
