//! Istio mode: the API server's webhook matching (reference §2, §1.5), then the injector's
//! `injectRequired` in its exact order (§1.2), with the rules of the revision whose webhook
//! was called. One function per step; each returns `Break` when it decided.

use std::collections::BTreeSet;

use super::selector::Op;
use super::{
    CompiledWebhook, Decision, Engine, FindingCode, Flow, InjectValue, Namespace, Pod, RuleId,
    Rules, Trace, ValueSource, WebhookRef, conditional_hint, explicit_value, first_match,
    invalid_value_finding, parse_inject_value,
};
use crate::config::InjectionPolicy;
use crate::model::webhook::{
    IGNORED_NAMESPACES, INJECT_KEY, INJECTION_LABEL, NAMESPACE_NAME_LABEL, REV_LABEL,
};

pub(super) fn decide(e: &Engine, ns: &Namespace, pod: &Pod) -> Decision {
    let mut t = Trace::default();
    let _ = steps(e, ns, pod, &mut t);
    t.finish()
}

fn steps(e: &Engine, ns: &Namespace, pod: &Pod, t: &mut Trace) -> Flow {
    let called = webhook(e, ns, pod, t)?;
    let (rules, assumed) = e.rules(&called.revision);
    t.config = Some(rules.config.clone());
    // Only worth a note when the configurations were read (a cluster, a bundle) and this
    // revision's was not among them; offline, the facts already say it was assumed.
    if assumed && e.configs_read {
        t.finding(
            FindingCode::ConfigAssumed,
            format!(
                "no injector configuration of revision {} was read: the embedded default (policy enabled, no selectors) is assumed",
                called.revision
            ),
        );
    }
    host_network(pod, t, false)?;
    ignored_namespace(ns, t, false)?;
    let parsed = explicit(e, rules, pod, t)?;
    let use_default = !matches!(parsed, Some(InjectValue::Yes | InjectValue::No));
    if use_default {
        never_selector(rules, pod, t)?;
        always_selector(rules, pod, t)?;
    }
    policy(rules, parsed, t)
}

fn config_field(rules: &Rules, field: &str) -> Option<String> {
    Some(format!("{field} in {}", rules.config.name))
}

/// Step 1, the API server: which webhook entries would call the injector at all. Continues
/// with the first one, which the API server calls (and whose revision's injector decides).
fn webhook<'e>(
    e: &'e Engine,
    ns: &Namespace,
    pod: &Pod,
    t: &mut Trace,
) -> std::ops::ControlFlow<(), &'e CompiledWebhook> {
    let field = Some(format!(
        "namespace {} labels; {}",
        ns.name,
        pod.path("metadata.labels")
    ));
    let get_pod = |k: &str| pod.labels.get(k).map(String::as_str);
    let matched: Vec<&CompiledWebhook> = e
        .webhooks
        .iter()
        .filter(|w| w.namespace.matches_with(|k| ns.label(k)) && w.object.matches_with(get_pod))
        .collect();
    namespace_conflict(ns, t);
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
                "use the label instead of the annotation: `{INJECT_KEY}: \"true\"` under {}",
                pod.path("metadata.labels")
            ));
        }
        let _ = t.decide(RuleId::Webhook, false, false, detail, field);
        return std::ops::ControlFlow::Break(());
    };
    t.revision = Some(first.revision.clone());
    t.tag = first.tag.clone();
    t.webhook = Some(WebhookRef {
        configuration: first.configuration.clone(),
        name: first.name.clone(),
    });
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
    pod_revision_ignored(e, ns, pod, first, t);
    let detail: Vec<String> = matched.iter().map(|w| describe_match(w)).collect();
    let _ = t.pass(RuleId::Webhook, true, detail.join("; "), field);
    std::ops::ControlFlow::Continue(first)
}

/// IST0123: a namespace with both injection labels; say which one the selectors follow.
fn namespace_conflict(ns: &Namespace, t: &mut Trace) {
    let (Some(legacy), Some(rev)) = (ns.labels.get(INJECTION_LABEL), ns.labels.get(REV_LABEL))
    else {
        return;
    };
    let effect = if legacy == "enabled" {
        format!(
            "{INJECTION_LABEL}=enabled wins under Istio's selectors and the default revision's webhook is called; {REV_LABEL}={rev} is ignored"
        )
    } else {
        format!(
            "the revision webhooks require {INJECTION_LABEL} to be absent, so {REV_LABEL}={rev} is ignored and no webhook selects the namespace by label"
        )
    };
    t.finding(
        FindingCode::NamespaceMultipleInjectionLabels,
        format!(
            "namespace {} has both {INJECTION_LABEL}={legacy} and {REV_LABEL}={rev}: {effect} (remove one: `kubectl label namespace {} {INJECTION_LABEL}-` or `{REV_LABEL}-`)",
            ns.name, ns.name
        ),
    );
}

/// A pod `istio.io/rev` label that did not choose the revision: the namespace's labels did.
fn pod_revision_ignored(
    e: &Engine,
    ns: &Namespace,
    pod: &Pod,
    called: &CompiledWebhook,
    t: &mut Trace,
) {
    let Some(wanted) = pod.labels.get(REV_LABEL) else {
        return;
    };
    // The pod's label names the revision, or a tag of it, that was called: nothing ignored.
    let same = *wanted == called.revision
        || called.tag.as_deref() == Some(wanted.as_str())
        || e.webhooks
            .iter()
            .any(|w| w.tag.as_deref() == Some(wanted.as_str()) && w.revision == called.revision);
    if same {
        return;
    }
    let why = if ns
        .labels
        .get(INJECTION_LABEL)
        .is_some_and(|v| v == "enabled")
    {
        format!(
            "namespace {} has {INJECTION_LABEL}=enabled, which wins",
            ns.name
        )
    } else if let Some(nsrev) = ns.labels.get(REV_LABEL) {
        format!(
            "namespace {} label {REV_LABEL}={nsrev} beats the pod's",
            ns.name
        )
    } else {
        "another webhook matched first".to_string()
    };
    t.finding(
        FindingCode::PodRevisionIgnored,
        format!(
            "pod label {REV_LABEL}={wanted} is ignored: {why}, so revision {} injects the pod",
            called.revision
        ),
    );
}

/// 2. hostNetwork: never injected, whatever else says.
///
/// `managed`: said of the managed mesh, whose conditions sit in front of the same injector.
pub(super) fn host_network(pod: &Pod, t: &mut Trace, managed: bool) -> Flow {
    let field = Some(pod.path("spec.hostNetwork"));
    if pod.host_network {
        return t.decide(
            RuleId::HostNetwork,
            true,
            false,
            format!(
                "the pod uses hostNetwork: true, which the injector never injects{}",
                if managed {
                    " (also behind the managed mesh's conditions)"
                } else {
                    ""
                }
            ),
            field,
        );
    }
    t.pass(
        RuleId::HostNetwork,
        false,
        "hostNetwork is not set".into(),
        field,
    )
}

/// 3. The namespaces the injector always ignores.
pub(super) fn ignored_namespace(ns: &Namespace, t: &mut Trace, managed: bool) -> Flow {
    let field = Some("metadata.namespace".to_string());
    if IGNORED_NAMESPACES.contains(&ns.name.as_str()) {
        return t.decide(
            RuleId::IgnoredNamespace,
            true,
            false,
            format!(
                "namespace {} is one the injector always ignores ({}){}",
                ns.name,
                IGNORED_NAMESPACES.join(", "),
                if managed {
                    ", also behind the managed mesh's conditions"
                } else {
                    ""
                }
            ),
            field,
        );
    }
    t.pass(
        RuleId::IgnoredNamespace,
        false,
        format!("namespace {} is not an ignored namespace", ns.name),
        field,
    )
}

/// Step 4, the pod's own value: the label if present (even empty), else the annotation.
/// Continues with the parsed value (`None` when there is none).
fn explicit(
    e: &Engine,
    rules: &Rules,
    pod: &Pod,
    t: &mut Trace,
) -> std::ops::ControlFlow<(), Option<InjectValue>> {
    use std::ops::ControlFlow::{Break, Continue};
    let explicit = explicit_value(pod);
    let parsed = explicit.map(|(_, v)| parse_inject_value(v, e.options.compat));
    if !matches!(explicit, Some((ValueSource::Label, _))) {
        let _ = t.pass(
            RuleId::PodLabel,
            false,
            format!("no {INJECT_KEY} label"),
            Some(pod.key_path("labels", INJECT_KEY)),
        );
    }
    let (Some((source, value)), Some(parsed)) = (explicit, parsed) else {
        let _ = t.pass(
            RuleId::PodAnnotation,
            false,
            format!("no {INJECT_KEY} annotation"),
            Some(pod.key_path("annotations", INJECT_KEY)),
        );
        return Continue(None);
    };
    let rule = match source {
        ValueSource::Label => RuleId::PodLabel,
        ValueSource::Annotation => RuleId::PodAnnotation,
    };
    let field = Some(pod.key_path(source.map(), INJECT_KEY));
    let ignored_annotation = match (source, pod.annotations.get(INJECT_KEY)) {
        (ValueSource::Label, Some(a)) => {
            format!(" (the annotation {INJECT_KEY}={a:?} is ignored: the label wins)")
        }
        _ => String::new(),
    };
    let shown = format!("{} {INJECT_KEY}={value:?}", source.word());
    match parsed {
        InjectValue::Yes | InjectValue::No if policy_legal(rules) => {
            let yes = parsed == InjectValue::Yes;
            let verb = if yes {
                "asks for injection"
            } else {
                "opts the pod out"
            };
            let _ = t.decide(
                rule,
                true,
                yes,
                format!("{shown} {verb}{ignored_annotation}"),
                field,
            );
            return Break(());
        }
        InjectValue::Yes | InjectValue::No => {
            let _ = t.pass(
                rule,
                true,
                format!(
                    "{shown} is explicit, but the policy below overrides it{ignored_annotation}"
                ),
                field,
            );
        }
        InjectValue::Default => {
            let _ = t.pass(
                rule,
                true,
                format!("{shown} is empty: the default applies{ignored_annotation}"),
                field,
            );
        }
        InjectValue::Invalid => {
            t.findings.push(invalid_value_finding(source, value));
            t.hint = Some(format!("set {INJECT_KEY} to exactly \"true\" or \"false\""));
            let _ = t.pass(
                rule,
                true,
                format!("{shown} is neither \"true\" nor \"false\": the default applies{ignored_annotation}"),
                field,
            );
        }
    }
    Continue(Some(parsed))
}

fn policy_legal(rules: &Rules) -> bool {
    matches!(
        rules.policy,
        InjectionPolicy::Enabled | InjectionPolicy::Disabled
    )
}

/// 5. neverInjectSelector, only without an explicit value.
fn never_selector(rules: &Rules, pod: &Pod, t: &mut Trace) -> Flow {
    let field = config_field(rules, "neverInjectSelector");
    match first_match(&rules.never, pod) {
        Some(s) if policy_legal(rules) => {
            let d = format!("{} ({}) matches the pod labels", s.path, s.selector);
            offline_differs(t, true);
            t.decide(RuleId::NeverInjectSelector, true, false, d, field)
        }
        Some(s) => t.pass(
            RuleId::NeverInjectSelector,
            true,
            format!(
                "{} ({}) matches, but the policy below overrides it",
                s.path, s.selector
            ),
            field,
        ),
        None => t.pass(
            RuleId::NeverInjectSelector,
            false,
            none_matches(&rules.never, "neverInjectSelector"),
            field,
        ),
    }
}

/// 6. alwaysInjectSelector, only without an explicit value.
fn always_selector(rules: &Rules, pod: &Pod, t: &mut Trace) -> Flow {
    let field = config_field(rules, "alwaysInjectSelector");
    match first_match(&rules.always, pod) {
        Some(s) if policy_legal(rules) => {
            let d = format!("{} ({}) matches the pod labels", s.path, s.selector);
            t.decide(RuleId::AlwaysInjectSelector, true, true, d, field)
        }
        Some(s) => t.pass(
            RuleId::AlwaysInjectSelector,
            true,
            format!(
                "{} ({}) matches, but the policy below overrides it",
                s.path, s.selector
            ),
            field,
        ),
        None => t.pass(
            RuleId::AlwaysInjectSelector,
            false,
            none_matches(&rules.always, "alwaysInjectSelector"),
            field,
        ),
    }
}

/// 7. The policy.
fn policy(rules: &Rules, parsed: Option<InjectValue>, t: &mut Trace) -> Flow {
    let field = config_field(rules, "policy");
    match &rules.policy {
        InjectionPolicy::Enabled => t.decide(
            RuleId::Policy,
            true,
            true,
            "policy is enabled and the pod does not opt out".into(),
            field,
        ),
        InjectionPolicy::Disabled => {
            offline_differs(t, true);
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
                field,
            )
        }
        InjectionPolicy::Other(p) => {
            offline_differs(t, parsed != Some(InjectValue::No));
            t.hint = Some(format!(
                "set `policy` in {} to `enabled` or `disabled`",
                rules.config.name
            ));
            t.decide(
                RuleId::Policy,
                false,
                false,
                format!("policy {p:?} is neither enabled nor disabled: Istio disables injection for every pod (\"Illegal value for autoInject\")"),
                field,
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
    let revision = match &w.tag {
        Some(tag) => format!("revision {}, tag {tag}", w.revision),
        None => format!("revision {}", w.revision),
    };
    format!(
        "{} of {} ({revision}) calls the injector: namespace [{}], pod [{}]{auto}",
        w.name, w.configuration, w.namespace, w.object
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
    // Only the label paths some webhook offers: an empty "pod labels ()" reads as a typo.
    let mut generic = match (ns_wanted.is_empty(), pod_wanted.is_empty()) {
        (false, false) => format!(
            "no webhook matches: it needs namespace labels ({ns_wanted}) or pod labels ({pod_wanted})"
        ),
        (false, true) => format!("no webhook matches: it needs namespace labels ({ns_wanted})"),
        (true, false) => format!("no webhook matches: it needs pod labels ({pod_wanted})"),
        (true, true) => "no webhook matches, and no label would make one match".to_string(),
    };
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
            Some(conditional_hint(
                ns,
                format!(
                    "run `kubectl label namespace {} {INJECTION_LABEL}- {REV_LABEL}={rev}`",
                    ns.name
                ),
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
        let unknown = if ns.assumed() {
            " (its labels were not read)"
        } else {
            ""
        };
        return (
            format!(
                "namespace {} has no injection label ({INJECTION_LABEL} or {REV_LABEL}){unknown} and {generic}",
                ns.name
            ),
            Some(conditional_hint(
                ns,
                format!("run `kubectl label namespace {} {label}`", ns.name),
            )),
        );
    }
    (generic, None)
}
