//! Managed-mesh mode (as Alibaba Cloud Service Mesh configures injection): kube-system is
//! protected, then a namespace condition AND a pod condition, in front of Istio's injector.
//!
//! - namespace `include`: the namespace has `istio-injection=enabled`;
//!   `exclude`: the namespace does not have `istio-injection=disabled`.
//! - The injector behind the conditions is Istio's, so its own absolute rules still apply:
//!   `hostNetwork: true` and the ignored namespaces are never injected.
//! - pod `opt-out`: injected unless `sidecar.istio.io/inject=false` or a neverInjectSelector
//!   matches; `opt-in`: injected only with `sidecar.istio.io/inject=true` or an
//!   alwaysInjectSelector match.
//! - The label takes priority over the annotation. An explicit pod value beats the selectors,
//!   as it does in Istio's injector (an opted-in pod is not excluded by a neverInjectSelector,
//!   an opted-out pod is not pulled in by an alwaysInjectSelector).

use super::{
    Decision, Engine, Flow, InjectValue, Namespace, NamespaceCondition, Pod, PodCondition, RuleId,
    Rules, Trace, conditional_hint, explicit_value, first_match, invalid_value_finding,
    parse_inject_value,
};
use crate::facts::normalise_revision;
use crate::model::webhook::{INJECT_KEY, INJECTION_LABEL};

const PROTECTED: &str = "kube-system";

pub(super) fn decide(e: &Engine, ns: &Namespace, pod: &Pod) -> Decision {
    let mut t = Trace::default();
    let revision = normalise_revision(e.options.revision.as_deref().unwrap_or("default"));
    let (rules, _) = e.rules(revision);
    t.revision = Some(revision.to_string());
    t.config = Some(rules.config.clone());
    let _ = steps(e, rules, ns, pod, &mut t);
    t.finish()
}

fn steps(e: &Engine, rules: &Rules, ns: &Namespace, pod: &Pod, t: &mut Trace) -> Flow {
    protected(ns, t)?;
    namespace_condition(e, ns, t)?;
    super::istio::host_network(pod, t, true)?;
    super::istio::ignored_namespace(ns, t, true)?;
    pod_condition(e, rules, pod, t)
}

fn protected(ns: &Namespace, t: &mut Trace) -> Flow {
    let field = Some("metadata.namespace".to_string());
    if ns.name == PROTECTED {
        return t.decide(
            RuleId::ProtectedNamespace,
            true,
            false,
            format!("namespace {PROTECTED} is protected: the managed mesh never injects it"),
            field,
        );
    }
    t.pass(
        RuleId::ProtectedNamespace,
        false,
        format!("namespace {} is not protected", ns.name),
        field,
    )
}

fn namespace_condition(e: &Engine, ns: &Namespace, t: &mut Trace) -> Flow {
    let field = Some(format!(
        "namespace {} labels[\"{INJECTION_LABEL}\"]",
        ns.name
    ));
    let label = ns.labels.get(INJECTION_LABEL);
    let shown = match label {
        Some(v) => format!("namespace {} has {INJECTION_LABEL}={v}", ns.name),
        None => format!("namespace {} has no {INJECTION_LABEL} label", ns.name),
    };
    let (ok, why) = match e.options.namespace_condition {
        NamespaceCondition::Include => (
            label.is_some_and(|v| v == "enabled"),
            format!("{shown} (include mode injects namespaces labelled {INJECTION_LABEL}=enabled)"),
        ),
        NamespaceCondition::Exclude => (
            label.is_none_or(|v| v != "disabled"),
            format!(
                "{shown} (exclude mode injects every namespace not labelled {INJECTION_LABEL}=disabled)"
            ),
        ),
    };
    if !ok {
        if e.options.namespace_condition == NamespaceCondition::Include && label.is_none() {
            t.hint = Some(conditional_hint(
                ns,
                format!(
                    "run `kubectl label namespace {} {INJECTION_LABEL}=enabled`",
                    ns.name
                ),
            ));
        }
        return t.decide(RuleId::NamespaceCondition, false, false, why, field);
    }
    t.pass(RuleId::NamespaceCondition, true, why, field)
}

fn pod_condition(e: &Engine, rules: &Rules, pod: &Pod, t: &mut Trace) -> Flow {
    let explicit = explicit_value(pod);
    let mut value = InjectValue::Default;
    let mut shown = String::new();
    let mut field = Some(pod.path("metadata.labels"));
    if let Some((source, v)) = explicit {
        value = parse_inject_value(v, e.options.compat);
        shown = format!("pod {} {INJECT_KEY}={v:?}", source.word());
        field = Some(pod.key_path(source.map(), INJECT_KEY));
        if value == InjectValue::Invalid {
            t.findings.push(invalid_value_finding(source, v));
            t.hint = Some(format!("set {INJECT_KEY} to exactly \"true\" or \"false\""));
        }
    }
    let rule = RuleId::PodCondition;
    match (e.options.pod_condition, value) {
        (_, InjectValue::No) => t.decide(rule, false, false, format!("{shown} opts the pod out"), field),
        (_, InjectValue::Yes) => {
            t.decide(rule, true, true, format!("{shown} asks for injection"), field)
        }
        (PodCondition::OptOut, _) => match first_match(&rules.never, pod) {
            Some(s) => t.decide(
                rule,
                false,
                false,
                format!("{} ({}) matches the pod labels", s.path, s.selector),
                field,
            ),
            None => t.decide(
                rule,
                true,
                true,
                "the pod does not opt out (opt-out mode injects unless sidecar.istio.io/inject=false or a neverInjectSelector matches)".into(),
                field,
            ),
        },
        (PodCondition::OptIn, _) => match first_match(&rules.always, pod) {
            Some(s) => t.decide(
                rule,
                true,
                true,
                format!("{} ({}) matches the pod labels", s.path, s.selector),
                field,
            ),
            None => {
                if t.hint.is_none() {
                    t.hint = Some(format!(
                        "opt-in mode: add the label `{INJECT_KEY}: \"true\"` to {}",
                        pod.path("metadata.labels")
                    ));
                }
                t.decide(
                    rule,
                    false,
                    false,
                    "the pod does not opt in (opt-in mode needs sidecar.istio.io/inject=true or an alwaysInjectSelector match)".into(),
                    field,
                )
            }
        },
    }
}
