//! Istio mode: the API server's webhook matching (reference §2, §1.5), then the injector's
//! `injectRequired` in its exact order (§1.2).

use std::collections::BTreeSet;

use super::selector::Op;
use super::{
    CompiledWebhook, Decision, Engine, FindingCode, InjectValue, Namespace, Pod, RuleId, Trace,
    ValueSource, explicit_value, first_match, invalid_value_finding, parse_inject_value,
};
use crate::config::InjectionPolicy;
use crate::model::webhook::{
    IGNORED_NAMESPACES, INJECT_KEY, INJECTION_LABEL, NAMESPACE_NAME_LABEL, REV_LABEL,
};

pub(super) fn decide(e: &Engine, ns: &Namespace, pod: &Pod) -> Decision {
    let mut t = Trace::default();

    // 1. The API server: which webhook entries would call the injector at all.
    let get_pod = |k: &str| pod.labels.get(k).map(String::as_str);
    let matched: Vec<&CompiledWebhook> = e
        .webhooks
        .iter()
        .filter(|w| w.namespace.matches_with(|k| ns.label(k)) && w.object.matches_with(get_pod))
        .collect();
    let Some(first) = matched.first() else {
        let (detail, hint) = why_no_webhook(e, ns, pod);
        t.hint = hint;
        if pod.annotations.get(INJECT_KEY).is_some_and(|v| v == "true")
            && !pod.labels.contains_key(INJECT_KEY)
        {
            t.finding(
                FindingCode::AnnotationWithoutWebhook,
                format!("the annotation {INJECT_KEY}=true is read only by the injector once a webhook called it; webhooks select pods by labels"),
            );
            t.hint = Some(format!(
                "use the label instead of the annotation: `{INJECT_KEY}: \"true\"` under the pod template's metadata.labels"
            ));
        }
        return t.decide(RuleId::Webhook, false, false, detail);
    };
    t.revision = Some(first.revision.clone());
    if matched.len() > 1 {
        let list: Vec<String> = matched
            .iter()
            .map(|w| format!("{} of {}", w.name, w.configuration))
            .collect();
        t.finding(
            FindingCode::MultipleWebhooks,
            format!(
                "{} webhook entries would call an injector ({}): the pod would be injected more than once",
                matched.len(),
                list.join(", ")
            ),
        );
    }
    let detail: Vec<String> = matched.iter().map(|w| describe_match(w)).collect();
    t.pass(RuleId::Webhook, true, detail.join("; "));

    // 2. hostNetwork: never injected, whatever else says.
    if pod.host_network {
        return t.decide(
            RuleId::HostNetwork,
            true,
            false,
            "the pod uses hostNetwork: true, which the injector never injects".into(),
        );
    }
    t.pass(RuleId::HostNetwork, false, "hostNetwork is not set".into());

    // 3. The namespaces the injector always ignores.
    if IGNORED_NAMESPACES.contains(&ns.name.as_str()) {
        return t.decide(
            RuleId::IgnoredNamespace,
            true,
            false,
            format!(
                "namespace {} is one the injector always ignores ({})",
                ns.name,
                IGNORED_NAMESPACES.join(", ")
            ),
        );
    }
    t.pass(
        RuleId::IgnoredNamespace,
        false,
        format!("namespace {} is not an ignored namespace", ns.name),
    );

    // 4. The pod's own value: the label if present (even empty), else the annotation.
    let policy_legal = matches!(
        e.policy,
        InjectionPolicy::Enabled | InjectionPolicy::Disabled
    );
    let explicit = explicit_value(pod);
    let parsed = explicit.map(|(_, v)| parse_inject_value(v, e.options.compat));
    if !matches!(explicit, Some((ValueSource::Label, _))) {
        t.pass(RuleId::PodLabel, false, format!("no {INJECT_KEY} label"));
    }
    if let (Some((source, value)), Some(parsed)) = (explicit, parsed) {
        let (rule, what) = match source {
            ValueSource::Label => (RuleId::PodLabel, "label"),
            ValueSource::Annotation => (RuleId::PodAnnotation, "annotation"),
        };
        let ignored_annotation = match (source, pod.annotations.get(INJECT_KEY)) {
            (ValueSource::Label, Some(a)) => {
                format!(" (the annotation {INJECT_KEY}={a:?} is ignored: the label wins)")
            }
            _ => String::new(),
        };
        let shown = format!("{what} {INJECT_KEY}={value:?}");
        match parsed {
            InjectValue::Yes | InjectValue::No if policy_legal => {
                let yes = parsed == InjectValue::Yes;
                let verb = if yes {
                    "asks for injection"
                } else {
                    "opts the pod out"
                };
                return t.decide(
                    rule,
                    true,
                    yes,
                    format!("{shown} {verb}{ignored_annotation}"),
                );
            }
            InjectValue::Yes | InjectValue::No => t.pass(
                rule,
                true,
                format!(
                    "{shown} is explicit, but the policy below overrides it{ignored_annotation}"
                ),
            ),
            InjectValue::Default => t.pass(
                rule,
                true,
                format!("{shown} is empty: the default applies{ignored_annotation}"),
            ),
            InjectValue::Invalid => {
                t.findings.push(invalid_value_finding(source, value));
                t.hint = Some(format!("set {INJECT_KEY} to exactly \"true\" or \"false\""));
                t.pass(
                    rule,
                    true,
                    format!("{shown} is neither \"true\" nor \"false\": the default applies{ignored_annotation}"),
                );
            }
        }
    } else {
        t.pass(
            RuleId::PodAnnotation,
            false,
            format!("no {INJECT_KEY} annotation"),
        );
    }
    let use_default = !matches!(parsed, Some(InjectValue::Yes | InjectValue::No));

    // 5–6. neverInjectSelector, then alwaysInjectSelector, only without an explicit value.
    if use_default {
        match first_match(&e.never, pod) {
            Some(s) if policy_legal => {
                let d = format!("{} ({}) matches the pod labels", s.path, s.selector);
                offline_differs(&mut t, true);
                return t.decide(RuleId::NeverInjectSelector, true, false, d);
            }
            Some(s) => t.pass(
                RuleId::NeverInjectSelector,
                true,
                format!(
                    "{} ({}) matches, but the policy below overrides it",
                    s.path, s.selector
                ),
            ),
            None => t.pass(
                RuleId::NeverInjectSelector,
                false,
                none_matches(&e.never, "neverInjectSelector"),
            ),
        }
        match first_match(&e.always, pod) {
            Some(s) if policy_legal => {
                let d = format!("{} ({}) matches the pod labels", s.path, s.selector);
                return t.decide(RuleId::AlwaysInjectSelector, true, true, d);
            }
            Some(s) => t.pass(
                RuleId::AlwaysInjectSelector,
                true,
                format!(
                    "{} ({}) matches, but the policy below overrides it",
                    s.path, s.selector
                ),
            ),
            None => t.pass(
                RuleId::AlwaysInjectSelector,
                false,
                none_matches(&e.always, "alwaysInjectSelector"),
            ),
        }
    }

    // 7. The policy.
    match &e.policy {
        InjectionPolicy::Enabled => t.decide(
            RuleId::Policy,
            true,
            true,
            "policy is enabled and the pod does not opt out".into(),
        ),
        InjectionPolicy::Disabled => {
            offline_differs(&mut t, true);
            if t.hint.is_none() {
                t.hint = Some(format!(
                    "policy is disabled: opt the pod in with the label `{INJECT_KEY}: \"true\"` on its pod template"
                ));
            }
            t.decide(
                RuleId::Policy,
                false,
                false,
                "policy is disabled and the pod does not opt in".into(),
            )
        }
        InjectionPolicy::Other(p) => {
            offline_differs(&mut t, parsed != Some(InjectValue::No));
            t.hint = Some("set the injector config's `policy` to `enabled` or `disabled`".into());
            t.decide(
                RuleId::Policy,
                false,
                false,
                format!("policy {p:?} is neither enabled nor disabled: Istio disables injection for every pod (\"Illegal value for autoInject\")"),
            )
        }
    }
}

/// `kubectl inject inject` (like `istioctl kube-inject`) runs with policy enabled and no
/// selectors: say so when that would give another answer.
fn offline_differs(t: &mut Trace, offline_injects: bool) {
    if offline_injects {
        t.finding(
            FindingCode::OfflineInjectDiffers,
            "`kubectl inject inject` (like `istioctl kube-inject`) ignores policy and neverInjectSelector/alwaysInjectSelector, so it would inject this pod".into(),
        );
    }
}

fn none_matches(list: &[super::ConfigSelector], field: &str) -> String {
    if list.is_empty() {
        return format!("no {field} configured");
    }
    let empty = list.iter().filter(|s| s.selector.is_empty()).count();
    let mut d = format!(
        "none of the {} {field} entries matches the pod labels",
        list.len()
    );
    if empty > 0 {
        d.push_str(&format!(" ({empty} empty {{}} entries never match)"));
    }
    d
}

fn describe_match(w: &CompiledWebhook) -> String {
    let auto = if w
        .namespace
        .requirements
        .iter()
        .any(|r| r.key == NAMESPACE_NAME_LABEL)
    {
        " (automatic injection is enabled in all namespaces)"
    } else {
        ""
    };
    format!(
        "{} of {} (revision {}) calls the injector: namespace [{}], pod [{}]{auto}",
        w.name, w.configuration, w.revision, w.namespace, w.object
    )
}

/// The labels a webhook would need, as `check-inject` lists them: every `In` requirement's
/// `key=value`, deduplicated, in order.
fn wanted(e: &Engine, pick: impl Fn(&CompiledWebhook) -> &super::Selector) -> String {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for w in e.webhooks.iter().filter(|w| !w.deactivated) {
        for r in pick(w).requirements.iter().filter(|r| r.op == Op::In) {
            for v in &r.values {
                let kv = format!("{}={v}", r.key);
                if seen.insert(kv.clone()) {
                    out.push(kv);
                }
            }
        }
    }
    out.join(", ")
}

/// Revisions that some webhook selects by an `istio.io/rev In (…)` requirement.
fn served_revisions(e: &Engine) -> BTreeSet<&str> {
    e.webhooks
        .iter()
        .filter(|w| !w.deactivated)
        .flat_map(|w| {
            w.namespace
                .requirements
                .iter()
                .chain(&w.object.requirements)
        })
        .filter(|r| r.key == REV_LABEL && r.op == Op::In)
        .flat_map(|r| r.values.iter().map(String::as_str))
        .collect()
}

/// Why no webhook calls the injector, and what to do when that is probably unintended.
fn why_no_webhook(e: &Engine, ns: &Namespace, pod: &Pod) -> (String, Option<String>) {
    if e.webhooks.is_empty() {
        return (
            "no Istio injection webhook is configured (no webhook entry whose name ends in istio.io)".into(),
            Some("pass the cluster's MutatingWebhookConfiguration with --webhook, or drop --webhook to assume Istio's defaults".into()),
        );
    }
    if e.webhooks.iter().all(|w| w.deactivated) {
        return (
            "the injection webhook is deactivated (istio.io/deactivated=never-match) and will never match".into(),
            None,
        );
    }
    if pod.labels.get(INJECT_KEY).is_some_and(|v| v == "false") {
        return (
            format!(
                "pod label {INJECT_KEY}=false prevents the call: no Istio webhook selects such pods"
            ),
            None,
        );
    }
    if let Some(v) = ns.labels.get(INJECTION_LABEL).filter(|v| *v != "enabled") {
        return (
            format!(
                "namespace {} label {INJECTION_LABEL}={v} prevents the call (only {INJECTION_LABEL}=enabled selects a namespace)",
                ns.name
            ),
            None,
        );
    }
    let served = served_revisions(e);
    let served_list = served.iter().copied().collect::<Vec<_>>().join(", ");
    for (whose, rev) in [
        ("namespace", ns.labels.get(REV_LABEL)),
        ("pod", pod.labels.get(REV_LABEL)),
    ] {
        if let Some(r) = rev.filter(|r| !served.contains(r.as_str())) {
            return (
                format!(
                    "{whose} label {REV_LABEL}={r} names a revision no webhook serves (served: {served_list})"
                ),
                Some(format!(
                    "install revision {r} or a revision tag named {r}, or pass its webhook configuration with --webhook"
                )),
            );
        }
    }
    let ns_wanted = wanted(e, |w| &w.namespace);
    let pod_wanted = wanted(e, |w| &w.object);
    let deactivated = e.webhooks.iter().filter(|w| w.deactivated).count();
    let mut generic = format!(
        "no webhook matches: it needs namespace labels ({ns_wanted}) or pod labels ({pod_wanted})"
    );
    if deactivated > 0 {
        generic.push_str(&format!(
            "; {deactivated} deactivated webhook entries never match"
        ));
    }
    if IGNORED_NAMESPACES.contains(&ns.name.as_str()) {
        // Labelling it would not help: the injector ignores this namespace anyway.
        return (
            format!(
                "namespace {} is not selected by any webhook ({generic}), and the injector ignores it anyway",
                ns.name
            ),
            None,
        );
    }
    let selects_legacy_label = e.webhooks.iter().filter(|w| !w.deactivated).any(|w| {
        w.namespace
            .requirements
            .iter()
            .any(|r| r.key == INJECTION_LABEL && r.op == Op::In)
    });
    if ns
        .labels
        .get(INJECTION_LABEL)
        .is_some_and(|v| v == "enabled")
        && !selects_legacy_label
    {
        let rev = served.iter().next().copied().unwrap_or("default");
        return (
            format!(
                "namespace {} has {INJECTION_LABEL}=enabled, but no active webhook selects that label (served revisions: {served_list}; {generic})",
                ns.name
            ),
            Some(format!(
                "run `kubectl label namespace {} {INJECTION_LABEL}- {REV_LABEL}={rev}`",
                ns.name
            )),
        );
    }
    if !ns.labels.contains_key(INJECTION_LABEL) && !ns.labels.contains_key(REV_LABEL) {
        let label = if selects_legacy_label {
            format!("{INJECTION_LABEL}=enabled")
        } else {
            format!(
                "{REV_LABEL}={}",
                served.iter().next().copied().unwrap_or("default")
            )
        };
        return (
            format!(
                "namespace {} has no injection label ({INJECTION_LABEL} or {REV_LABEL}) and {generic}",
                ns.name
            ),
            Some(format!("run `kubectl label namespace {} {label}`", ns.name)),
        );
    }
    (generic, None)
}
