//! Managed-mesh mode (as Alibaba Cloud Service Mesh configures injection): kube-system is
//! protected, then a namespace condition AND a pod condition.
//!
//! - namespace `include`: the namespace has `istio-injection=enabled`;
//!   `exclude`: the namespace does not have `istio-injection=disabled`.
//! - pod `opt-out`: injected unless `sidecar.istio.io/inject=false` or a neverInjectSelector
//!   matches; `opt-in`: injected only with `sidecar.istio.io/inject=true` or an
//!   alwaysInjectSelector match.
//! - The label takes priority over the annotation. An explicit pod value beats the selectors,
//!   as it does in Istio's injector (an opted-in pod is not excluded by a neverInjectSelector,
//!   an opted-out pod is not pulled in by an alwaysInjectSelector).

use super::{
    Decision, Engine, InjectValue, Namespace, Pod, RuleId, Trace, ValueSource, explicit_value,
    first_match, invalid_value_finding, parse_inject_value,
};
use crate::cli::{NamespaceCondition, PodCondition};
use crate::model::webhook::{INJECT_KEY, INJECTION_LABEL};

const PROTECTED: &str = "kube-system";

pub(super) fn decide(e: &Engine, ns: &Namespace, pod: &Pod) -> Decision {
    let mut t = Trace::default();
    if ns.name == PROTECTED {
        return t.decide(
            RuleId::ProtectedNamespace,
            true,
            false,
            format!("namespace {PROTECTED} is protected: the managed mesh never injects it"),
        );
    }
    t.pass(
        RuleId::ProtectedNamespace,
        false,
        format!("namespace {} is not protected", ns.name),
    );

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
            t.hint = Some(format!(
                "run `kubectl label namespace {} {INJECTION_LABEL}=enabled`",
                ns.name
            ));
        }
        return t.decide(RuleId::NamespaceCondition, false, false, why);
    }
    t.pass(RuleId::NamespaceCondition, true, why);

    let explicit = explicit_value(pod);
    let mut value = InjectValue::Default;
    let mut shown = String::new();
    if let Some((source, v)) = explicit {
        value = parse_inject_value(v, e.options.compat);
        let what = match source {
            ValueSource::Label => "label",
            ValueSource::Annotation => "annotation",
        };
        shown = format!("pod {what} {INJECT_KEY}={v:?}");
        if value == InjectValue::Invalid {
            t.findings.push(invalid_value_finding(source, v));
            t.hint = Some(format!("set {INJECT_KEY} to exactly \"true\" or \"false\""));
        }
    }
    let rule = RuleId::PodCondition;
    match (e.options.pod_condition, value) {
        (_, InjectValue::No) => t.decide(rule, false, false, format!("{shown} opts the pod out")),
        (_, InjectValue::Yes) => t.decide(rule, true, true, format!("{shown} asks for injection")),
        (PodCondition::OptOut, _) => match first_match(&e.never, pod) {
            Some(s) => t.decide(
                rule,
                false,
                false,
                format!("{} ({}) matches the pod labels", s.path, s.selector),
            ),
            None => t.decide(
                rule,
                true,
                true,
                "the pod does not opt out (opt-out mode injects unless sidecar.istio.io/inject=false or a neverInjectSelector matches)".into(),
            ),
        },
        (PodCondition::OptIn, _) => match first_match(&e.always, pod) {
            Some(s) => t.decide(
                rule,
                true,
                true,
                format!("{} ({}) matches the pod labels", s.path, s.selector),
            ),
            None => {
                if t.hint.is_none() {
                    t.hint = Some(format!(
                        "opt-in mode: add the label `{INJECT_KEY}: \"true\"` to the pod template"
                    ));
                }
                t.decide(
                    rule,
                    false,
                    false,
                    "the pod does not opt in (opt-in mode needs sidecar.istio.io/inject=true or an alwaysInjectSelector match)".into(),
                )
            }
        },
    }
}
