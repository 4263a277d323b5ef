//! Table-driven tests of the engine: one row per rule, value form and mode.

use super::*;
use crate::config::InjectorConfig;
use crate::facts::{InjectorFacts, Source};

fn map(pairs: &[(&str, &str)]) -> StringMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn engine(config: &str, webhooks: &[WebhookConfiguration], options: Options) -> Engine {
    let config = InjectorConfig::parse("cfg", config).unwrap();
    Engine::new(&config, "cfg", webhooks, options).unwrap()
}

fn default_webhooks() -> Vec<WebhookConfiguration> {
    vec![WebhookConfiguration::istio_default(None, false)]
}

struct Row {
    name: &'static str,
    ns: &'static str,
    ns_labels: &'static [(&'static str, &'static str)],
    labels: &'static [(&'static str, &'static str)],
    annotations: &'static [(&'static str, &'static str)],
    host_network: bool,
    config: &'static str,
    compat: Compat,
    inject: bool,
    rule: RuleId,
}

const ENABLED: &[(&str, &str)] = &[("istio-injection", "enabled")];
const BUILD_SELECTORS: &str = "policy: enabled\nneverInjectSelector:\n- matchExpressions:\n  - {key: openshift.io/build.name, operator: Exists}\n- matchExpressions:\n  - {key: openshift.io/deployer-pod-for.name, operator: Exists}\n";
const ALWAYS_DISABLED: &str =
    "policy: disabled\nalwaysInjectSelector:\n- matchLabels: {mesh: always}\n";

fn base() -> Row {
    Row {
        name: "",
        ns: "web",
        ns_labels: ENABLED,
        labels: &[],
        annotations: &[],
        host_network: false,
        config: "policy: enabled\n",
        compat: Compat::Current,
        inject: true,
        rule: RuleId::Policy,
    }
}

#[rustfmt::skip]
fn istio_rows() -> Vec<Row> {
    use RuleId::*;
    vec![
        Row { name: "namespace-wide injection", ..base() },
        Row { name: "no namespace label: webhook not called", ns_labels: &[], inject: false, rule: Webhook, ..base() },
        Row { name: "per-pod opt-out by label: webhook not called", labels: &[("sidecar.istio.io/inject", "false")], inject: false, rule: Webhook, ..base() },
        Row { name: "per-pod opt-out by annotation", annotations: &[("sidecar.istio.io/inject", "false")], inject: false, rule: PodAnnotation, ..base() },
        Row { name: "per-pod opt-in without namespace label", ns_labels: &[], labels: &[("sidecar.istio.io/inject", "true")], config: "policy: disabled\n", rule: PodLabel, ..base() },
        Row { name: "annotation opt-in with policy disabled", annotations: &[("sidecar.istio.io/inject", "true")], config: "policy: disabled\n", rule: PodAnnotation, ..base() },
        Row { name: "host network", host_network: true, labels: &[("sidecar.istio.io/inject", "true")], inject: false, rule: HostNetwork, ..base() },
        Row { name: "kube-system ignored", ns: "kube-system", inject: false, rule: IgnoredNamespace, ..base() },
        Row { name: "kube-public ignored", ns: "kube-public", inject: false, rule: IgnoredNamespace, ..base() },
        Row { name: "kube-node-lease ignored", ns: "kube-node-lease", inject: false, rule: IgnoredNamespace, ..base() },
        Row { name: "local-path-storage ignored", ns: "local-path-storage", inject: false, rule: IgnoredNamespace, ..base() },
        Row { name: "label beats annotation", labels: &[("sidecar.istio.io/inject", "true")], annotations: &[("sidecar.istio.io/inject", "false")], config: "policy: disabled\n", rule: PodLabel, ..base() },
        Row { name: "empty label still hides the annotation", labels: &[("sidecar.istio.io/inject", "")], annotations: &[("sidecar.istio.io/inject", "false")], rule: Policy, ..base() },
        Row { name: "current: yes falls back to policy enabled", annotations: &[("sidecar.istio.io/inject", "yes")], rule: Policy, ..base() },
        Row { name: "current: on falls back to policy disabled", annotations: &[("sidecar.istio.io/inject", "on")], config: "policy: disabled\n", inject: false, rule: Policy, ..base() },
        Row { name: "current: random label falls back to enabled", labels: &[("sidecar.istio.io/inject", "random")], rule: Policy, ..base() },
        Row { name: "legacy: YES is yes", annotations: &[("sidecar.istio.io/inject", "YES")], config: "policy: disabled\n", compat: Compat::Legacy, rule: PodAnnotation, ..base() },
        Row { name: "legacy: On is yes", labels: &[("sidecar.istio.io/inject", "On")], config: "policy: disabled\n", compat: Compat::Legacy, rule: PodLabel, ..base() },
        Row { name: "legacy: garbage is no", annotations: &[("sidecar.istio.io/inject", "garbage")], compat: Compat::Legacy, inject: false, rule: PodAnnotation, ..base() },
        Row { name: "legacy: empty is default", annotations: &[("sidecar.istio.io/inject", "")], compat: Compat::Legacy, rule: Policy, ..base() },
        Row { name: "never selector: build pods", labels: &[("openshift.io/build.name", "b-1")], config: BUILD_SELECTORS, inject: false, rule: NeverInjectSelector, ..base() },
        Row { name: "never selector: second entry", labels: &[("openshift.io/deployer-pod-for.name", "d")], config: BUILD_SELECTORS, inject: false, rule: NeverInjectSelector, ..base() },
        Row { name: "never selector: no match", labels: &[("app", "x")], config: BUILD_SELECTORS, rule: Policy, ..base() },
        Row { name: "annotation beats never selector", labels: &[("openshift.io/build.name", "b")], annotations: &[("sidecar.istio.io/inject", "true")], config: BUILD_SELECTORS, rule: PodAnnotation, ..base() },
        Row { name: "always selector with policy disabled", labels: &[("mesh", "always")], config: ALWAYS_DISABLED, rule: AlwaysInjectSelector, ..base() },
        Row { name: "always selector no match, policy disabled", labels: &[("mesh", "no")], config: ALWAYS_DISABLED, inject: false, rule: Policy, ..base() },
        Row { name: "annotation beats always selector", labels: &[("mesh", "always")], annotations: &[("sidecar.istio.io/inject", "false")], config: ALWAYS_DISABLED, inject: false, rule: PodAnnotation, ..base() },
        Row { name: "never wins over always", labels: &[("a", "1")], config: "policy: disabled\nneverInjectSelector: [{matchLabels: {a: '1'}}]\nalwaysInjectSelector: [{matchLabels: {a: '1'}}]\n", inject: false, rule: NeverInjectSelector, ..base() },
        Row { name: "empty never selector never matches", config: "policy: enabled\nneverInjectSelector: [{}]\n", rule: Policy, ..base() },
        Row { name: "empty always selector never matches", config: "policy: disabled\nalwaysInjectSelector: [{}]\n", inject: false, rule: Policy, ..base() },
        Row { name: "illegal policy disables", config: "policy: sometimes\n", inject: false, rule: Policy, ..base() },
        Row { name: "illegal policy beats explicit true", labels: &[("sidecar.istio.io/inject", "true")], config: "policy: sometimes\n", inject: false, rule: Policy, ..base() },
        Row { name: "illegal policy beats always selector", labels: &[("mesh", "always")], config: "policy: sometimes\nalwaysInjectSelector:\n- matchLabels: {mesh: always}\n", inject: false, rule: Policy, ..base() },
        Row { name: "namespace disabled", ns_labels: &[("istio-injection", "disabled")], labels: &[("sidecar.istio.io/inject", "true")], inject: false, rule: Webhook, ..base() },
    ]
}

#[test]
fn istio_rules() {
    for row in istio_rows() {
        let e = engine(
            row.config,
            &default_webhooks(),
            Options {
                compat: row.compat,
                ..Options::default()
            },
        );
        let ns = Namespace::known(row.ns, map(row.ns_labels));
        let pod = Pod {
            labels: map(row.labels),
            annotations: map(row.annotations),
            host_network: row.host_network,
            ..Pod::default()
        };
        let d = e.decide(&ns, &pod);
        assert_eq!(
            (d.inject, d.decided_by),
            (row.inject, row.rule),
            "{}: {d:#?}",
            row.name
        );
        let decided: Vec<&Step> = d.steps.iter().filter(|s| s.decided).collect();
        assert_eq!(decided.len(), 1, "{}", row.name);
        assert_eq!(
            d.steps.last().map(|s| s.decided),
            Some(true),
            "{}",
            row.name
        );
        assert_eq!(d.reason, decided[0].detail, "{}", row.name);
    }
}

#[test]
fn invalid_value_is_a_finding_with_a_hint() {
    let e = engine("policy: enabled\n", &default_webhooks(), Options::default());
    let ns = Namespace::known("web", map(ENABLED));
    let pod = Pod {
        labels: map(&[("sidecar.istio.io/inject", "yes")]),
        ..Pod::default()
    };
    let d = e.decide(&ns, &pod);
    assert_eq!(d.findings[0].code, FindingCode::InvalidInjectValue);
    assert!(
        d.findings[0].message.contains("meant yes"),
        "{}",
        d.findings[0].message
    );
    assert!(d.hint.unwrap().contains("exactly \"true\" or \"false\""));
}

#[test]
fn step_order_follows_istio() {
    let e = engine(ALWAYS_DISABLED, &default_webhooks(), Options::default());
    let ns = Namespace::known("web", map(ENABLED));
    let d = e.decide(&ns, &Pod::default());
    let rules: Vec<&str> = d.steps.iter().map(|s| s.rule.as_str()).collect();
    assert_eq!(
        rules,
        [
            "webhook",
            "host-network",
            "ignored-namespace",
            "pod-label",
            "pod-annotation",
            "never-inject-selector",
            "always-inject-selector",
            "policy"
        ]
    );
    assert!(d.hint.unwrap().contains("policy is disabled"));
    assert!(
        d.findings
            .iter()
            .any(|f| f.code == FindingCode::OfflineInjectDiffers)
    );
}

/// Reference §2.6, with the default MWC and a `canary` revision installed side by side.
#[test]
#[rustfmt::skip]
fn webhook_truth_table() {
    let both = [
        WebhookConfiguration::istio_default(None, false),
        WebhookConfiguration::istio_default(Some("canary"), false),
    ];
    let e = engine("policy: enabled\n", &both, Options::default());
    type L = &'static [(&'static str, &'static str)];
    // (namespace labels, pod labels, expected webhook "<mwc>/<entry>" or None)
    let rows: &[(L, L, Option<&str>)] = &[
        (&[], &[], None),
        (&[], &[("sidecar.istio.io/inject", "true")], Some("istio-sidecar-injector/object.")),
        (&[], &[("istio.io/rev", "default")], Some("istio-sidecar-injector/rev.object.")),
        (&[], &[("istio.io/rev", "canary")], Some("istio-sidecar-injector-canary/rev.object.")),
        (&[], &[ ("istio.io/rev", "canary"), ("sidecar.istio.io/inject", "true"), ], Some("istio-sidecar-injector-canary/rev.object.")),
        (ENABLED, &[], Some("istio-sidecar-injector/namespace.")),
        (ENABLED, &[("sidecar.istio.io/inject", "true")], Some("istio-sidecar-injector/namespace.")),
        (ENABLED, &[("istio.io/rev", "canary")], Some("istio-sidecar-injector/namespace.")),
        (ENABLED, &[("sidecar.istio.io/inject", "false")], None),
        (&[("istio-injection", "disabled")], &[("sidecar.istio.io/inject", "true")], None),
        (&[("istio-injection", "disabled")], &[("istio.io/rev", "canary")], None),
        (&[("istio.io/rev", "default")], &[], Some("istio-sidecar-injector/rev.namespace.")),
        (&[("istio.io/rev", "default")], &[("istio.io/rev", "canary")], Some("istio-sidecar-injector/rev.namespace.")),
        (&[("istio.io/rev", "default")], &[("sidecar.istio.io/inject", "false")], None),
        (&[("istio.io/rev", "canary")], &[], Some("istio-sidecar-injector-canary/rev.namespace.")),
        (&[("istio.io/rev", "canary")], &[("istio.io/rev", "default")], Some("istio-sidecar-injector-canary/rev.namespace.")),
        (&[("istio-injection", "enabled"), ("istio.io/rev", "canary")], &[], Some("istio-sidecar-injector/namespace.")),
    ];
    for (ns_labels, labels, want) in rows {
        let ns = Namespace::known("web", map(ns_labels));
        let pod = Pod {
            labels: map(labels),
            ..Pod::default()
        };
        let d = e.decide(&ns, &pod);
        let step = &d.steps[0];
        assert_eq!(step.rule, RuleId::Webhook);
        match want {
            None => assert!(
                !step.matched && !d.inject,
                "{ns_labels:?} {labels:?}: {step:?}"
            ),
            Some(w) => {
                let (mwc, entry) = w.split_once('/').unwrap();
                assert!(
                    step.matched && d.inject,
                    "{ns_labels:?} {labels:?}: {step:?}"
                );
                assert!(
                    step.detail
                        .starts_with(&format!("{entry}sidecar-injector.istio.io of {mwc} ")),
                    "{ns_labels:?} {labels:?}: {}",
                    step.detail
                );
                assert!(
                    !d.findings
                        .iter()
                        .any(|f| f.code == FindingCode::MultipleWebhooks)
                );
            }
        }
    }
}

#[test]
#[rustfmt::skip]
fn why_the_webhook_is_not_called() {
    let e = engine("policy: enabled\n", &default_webhooks(), Options::default());
    // (namespace labels, pod labels, pod annotations, reason contains, hint contains)
    type L = &'static [(&'static str, &'static str)];
    let rows: &[(L, L, L, &str, Option<&str>)] = &[
        (&[], &[], &[], "namespace web has no injection label", Some("kubectl label namespace web istio-injection=enabled")),
        (ENABLED, &[("sidecar.istio.io/inject", "false")], &[], "pod label sidecar.istio.io/inject=false prevents the call", None),
        (&[("istio-injection", "disabled")], &[], &[], "label istio-injection=disabled prevents the call", None),
        (&[], &[("istio.io/rev", "canary")], &[], "pod label istio.io/rev=canary names a revision no webhook serves (served: default)", Some("install revision canary")),
        (&[("istio.io/rev", "1-20")], &[], &[], "namespace label istio.io/rev=1-20 names a revision", Some("install revision 1-20")),
        (&[], &[], &[("sidecar.istio.io/inject", "true")], "no injection label", Some("use the label instead of the annotation")),
    ];
    for (ns_labels, labels, annotations, reason, hint) in rows {
        let ns = Namespace::known("web", map(ns_labels));
        let pod = Pod {
            labels: map(labels),
            annotations: map(annotations),
            ..Pod::default()
        };
        let d = e.decide(&ns, &pod);
        assert_eq!(d.decided_by, RuleId::Webhook);
        assert!(d.reason.contains(reason), "{}", d.reason);
        match hint {
            Some(h) => assert!(d.hint.as_deref().unwrap_or("").contains(h), "{:?}", d.hint),
            None => assert_eq!(d.hint, None),
        }
    }
}

#[test]
fn enable_namespaces_by_default_and_deactivated_and_tags() {
    let auto = [WebhookConfiguration::istio_default(None, true)];
    let e = engine("policy: enabled\n", &auto, Options::default());
    let plain = Namespace::known("web", StringMap::new());
    let d = e.decide(&plain, &Pod::default());
    assert!(d.inject);
    assert!(d.steps[0].detail.contains("auto.sidecar-injector.istio.io"));
    assert!(
        d.steps[0]
            .detail
            .contains("automatic injection is enabled in all namespaces")
    );
    // The auto entry excludes the ignored namespaces by their implicit name label.
    let ks = Namespace::known("kube-system", StringMap::new());
    assert_eq!(e.decide(&ks, &Pod::default()).decided_by, RuleId::Webhook);

    let off = [WebhookConfiguration::istio_default(None, false).deactivated()];
    let e = engine("policy: enabled\n", &off, Options::default());
    let ns = Namespace::known("web", map(ENABLED));
    let d = e.decide(&ns, &Pod::default());
    assert!(!d.inject);
    assert!(d.reason.contains("deactivated"), "{}", d.reason);

    // `istioctl tag set prod --revision 1-20`: namespaces select the tag.
    let tagged = [WebhookConfiguration::revision_tag("prod", "1-20", false)];
    let e = engine("policy: enabled\n", &tagged, Options::default());
    let ns = Namespace::known("web", map(&[("istio.io/rev", "prod")]));
    let d = e.decide(&ns, &Pod::default());
    assert!(d.inject);
    assert_eq!(d.revision.as_deref(), Some("1-20"));

    // A default tag next to a still-active default MWC: both call an injector.
    let twice = [
        WebhookConfiguration::istio_default(None, false),
        WebhookConfiguration::revision_tag("default", "1-20", false),
    ];
    let e = engine("policy: enabled\n", &twice, Options::default());
    let ns = Namespace::known("web", map(ENABLED));
    let d = e.decide(&ns, &Pod::default());
    assert!(
        d.findings
            .iter()
            .any(|f| f.code == FindingCode::MultipleWebhooks)
    );
}

#[test]
fn no_istio_webhook_at_all() {
    let other = WebhookConfiguration {
        name: "other".into(),
        labels: StringMap::new(),
        webhooks: vec![crate::model::Webhook {
            name: "mutate.example.com".into(),
            namespace_selector: None,
            object_selector: None,
        }],
        source: "s".into(),
    };
    let e = engine("policy: enabled\n", &[other], Options::default());
    let d = e.decide(&Namespace::known("", StringMap::new()), &Pod::default());
    assert!(!d.inject);
    assert!(
        d.reason
            .starts_with("no Istio injection webhook is configured")
    );
}

#[test]
fn invalid_config_selector_is_an_error_naming_the_path() {
    let config = InjectorConfig::parse(
        "cfg",
        "neverInjectSelector:\n- matchLabels: {a: b}\n- matchExpressions:\n  - {key: a, operator: Equals, values: [b]}\n",
    )
    .unwrap();
    let e = Engine::new(&config, "cfg.yaml", &default_webhooks(), Options::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cfg.yaml: neverInjectSelector[1].matchExpressions[0].operator: \"Equals\" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)"
    );
    let mut mwc = WebhookConfiguration::istio_default(None, false);
    mwc.source = "mwc.yaml: document 1".into();
    if let Some(sel) = mwc.webhooks[2].object_selector.as_mut() {
        sel.match_expressions = Some(vec![crate::model::LabelSelectorRequirement {
            key: "x".into(),
            operator: "Exists".into(),
            values: Some(vec!["y".into()]),
        }]);
    }
    let e = Engine::new(&InjectorConfig::default(), "c", &[mwc], Options::default()).unwrap_err();
    assert!(
        e.to_string().starts_with("mwc.yaml: document 1: webhooks[2].objectSelector.matchExpressions[0].values: may not be specified"),
        "{e}"
    );
}

#[test]
fn findings_already_injected_and_workload_metadata() {
    let e = engine("policy: enabled\n", &default_webhooks(), Options::default());
    let ns = Namespace::known("web", StringMap::new());
    let pod = Pod {
        annotations: map(&[(STATUS_ANNOTATION, "{}")]),
        kind: crate::manifest::WorkloadKind::Deployment,
        misplaced: vec![Misplaced {
            path: "metadata.labels".into(),
            value: "true".into(),
        }],
        ..Pod::default()
    };
    let d = e.decide(&ns, &pod);
    let codes: Vec<FindingCode> = d.findings.iter().map(|f| f.code).collect();
    assert_eq!(
        codes,
        [FindingCode::AlreadyInjected, FindingCode::WorkloadMetadata]
    );
    assert_eq!(
        d.findings[1].message,
        "sidecar.istio.io/inject=true is a label at metadata.labels, which the webhook never sees (it reads the pod's own metadata): move it to spec.template.metadata.labels"
    );
    assert_eq!(
        d.hint.as_deref(),
        Some(
            "move `sidecar.istio.io/inject: \"true\"` from the Deployment's metadata.labels to spec.template.metadata.labels"
        )
    );
}

fn managed(ns_cond: NamespaceCondition, pod_cond: PodCondition) -> Options {
    Options {
        mode: Mode::Managed,
        namespace_condition: ns_cond,
        pod_condition: pod_cond,
        compat: Compat::Current,
        revision: None,
    }
}

#[test]
#[rustfmt::skip]
fn managed_mode() {
    use super::NamespaceCondition::{Exclude, Include};
    use super::PodCondition::{OptIn, OptOut};
    use RuleId::{NamespaceCondition, PodCondition, ProtectedNamespace};
    let config = "policy: disabled\nneverInjectSelector: [{matchLabels: {job: batch}}]\nalwaysInjectSelector: [{matchLabels: {mesh: always}}]\n";
    type L = &'static [(&'static str, &'static str)];
    // (ns cond, pod cond, ns name, ns labels, pod labels, annotations, inject, rule)
    type ManagedRow = (super::NamespaceCondition, super::PodCondition, &'static str, L, L, L, bool, RuleId);
    let rows: &[ManagedRow] = &[
        (Include, OptOut, "web", ENABLED, &[], &[], true, PodCondition),
        (Include, OptOut, "web", &[], &[], &[], false, NamespaceCondition),
        (Include, OptOut, "web", &[("istio-injection", "disabled")], &[], &[], false, NamespaceCondition),
        (Exclude, OptOut, "web", &[], &[], &[], true, PodCondition),
        (Exclude, OptOut, "web", &[("istio-injection", "disabled")], &[], &[], false, NamespaceCondition),
        (Exclude, OptOut, "kube-system", &[], &[], &[], false, ProtectedNamespace),
        (Include, OptOut, "kube-system", ENABLED, &[("sidecar.istio.io/inject", "true")], &[], false, ProtectedNamespace),
        (Include, OptOut, "web", ENABLED, &[("sidecar.istio.io/inject", "false")], &[], false, PodCondition),
        (Include, OptOut, "web", ENABLED, &[], &[("sidecar.istio.io/inject", "false")], false, PodCondition),
        (Include, OptOut, "web", ENABLED, &[("job", "batch")], &[], false, PodCondition),
        (Include, OptOut, "web", ENABLED, &[("sidecar.istio.io/inject", "true")], &[("sidecar.istio.io/inject", "false")], true, PodCondition),
        (Include, OptIn, "web", ENABLED, &[], &[], false, PodCondition),
        (Include, OptIn, "web", ENABLED, &[("sidecar.istio.io/inject", "true")], &[], true, PodCondition),
        (Include, OptIn, "web", ENABLED, &[], &[("sidecar.istio.io/inject", "true")], true, PodCondition),
        (Include, OptIn, "web", ENABLED, &[("mesh", "always")], &[], true, PodCondition),
        (Include, OptIn, "web", ENABLED, &[("sidecar.istio.io/inject", "false")], &[("sidecar.istio.io/inject", "true")], false, PodCondition),
        (Exclude, OptIn, "web", &[], &[("sidecar.istio.io/inject", "true")], &[], true, PodCondition),
    ];
    for (i, (nc, pc, ns_name, ns_labels, labels, annotations, inject, rule)) in
        rows.iter().enumerate()
    {
        let e = engine(config, &default_webhooks(), managed(*nc, *pc));
        let ns = Namespace::known(ns_name, map(ns_labels));
        let pod = Pod {
            labels: map(labels),
            annotations: map(annotations),
            ..Pod::default()
        };
        let d = e.decide(&ns, &pod);
        assert_eq!(
            (d.inject, d.decided_by),
            (*inject, *rule),
            "row {i}: {d:#?}"
        );
        assert_eq!(d.steps.iter().filter(|s| s.decided).count(), 1, "row {i}");
    }
}

#[test]
fn decision_json_uses_rule_ids_and_camel_case() {
    let e = engine("policy: enabled\n", &default_webhooks(), Options::default());
    let d = e.decide(&Namespace::known("web", StringMap::new()), &Pod::default());
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["decidedBy"], "webhook");
    assert_eq!(v["steps"][0]["rule"], "webhook");
    assert_eq!(v["steps"][0]["decided"], true);
    assert!(v.get("revision").is_none());
    assert!(v["hint"].as_str().is_some());
}

#[test]
fn why_not_for_ignored_namespaces_and_revision_only_installs() {
    let auto = [WebhookConfiguration::istio_default(None, true)];
    let e = engine("policy: enabled\n", &auto, Options::default());
    let ks = Namespace::known("kube-system", StringMap::new());
    let d = e.decide(&ks, &Pod::default());
    assert!(
        d.reason.ends_with("and the injector ignores it anyway"),
        "{}",
        d.reason
    );
    assert_eq!(d.hint, None, "labelling kube-system would not help");

    let canary = [WebhookConfiguration::istio_default(Some("canary"), false)];
    let e = engine("policy: enabled\n", &canary, Options::default());
    let ns = Namespace::known("web", map(ENABLED));
    let d = e.decide(&ns, &Pod::default());
    assert!(
        d.reason.starts_with(
            "namespace web has istio-injection=enabled, but no active webhook selects that label"
        ),
        "{}",
        d.reason
    );
    assert_eq!(
        d.hint.as_deref(),
        Some("run `kubectl label namespace web istio-injection- istio.io/rev=canary`")
    );

    let mixed = [
        WebhookConfiguration::istio_default(None, false).deactivated(),
        WebhookConfiguration::istio_default(Some("1-16"), false),
    ];
    let e = engine("policy: enabled\n", &mixed, Options::default());
    let d = e.decide(&ns, &Pod::default());
    assert!(!d.reason.contains("never-match"), "{}", d.reason);
    assert!(
        d.reason
            .ends_with("; 4 deactivated webhook entries never match)"),
        "{}",
        d.reason
    );
}

/// Facts of a cluster with the default and a canary revision, each with its own injector
/// configuration.
fn two_revisions(default_config: &str, canary_config: &str) -> (Facts, Vec<WebhookConfiguration>) {
    let mut facts = Facts::new();
    let cluster = Source::Cluster {
        context: "test".into(),
    };
    for (rev, text) in [("default", default_config), ("canary", canary_config)] {
        facts.add_injector(
            rev,
            InjectorFacts {
                name: format!("configmap istio-system/istio-sidecar-injector-{rev}"),
                config: InjectorConfig::parse("c", text).unwrap(),
                config_text: Some(text.into()),
                values_text: None,
            },
            cluster.clone(),
        );
    }
    let webhooks = vec![
        WebhookConfiguration::istio_default(None, false),
        WebhookConfiguration::istio_default(Some("canary"), false),
        WebhookConfiguration::revision_tag("prod", "canary", false),
    ];
    facts.add_webhooks(webhooks.clone(), cluster.clone());
    facts.set_authority(cluster);
    (facts, webhooks)
}

#[test]
fn each_pod_is_decided_by_the_revision_whose_webhook_is_called() {
    let (facts, webhooks) = two_revisions("policy: disabled\n", "policy: enabled\n");
    let e = Engine::from_facts(&facts, &webhooks, Options::default()).unwrap();
    let canary = Namespace::known("canaryns", map(&[("istio.io/rev", "canary")]));
    let d = e.decide(&canary, &Pod::default());
    assert!(d.inject, "{d:#?}");
    assert_eq!(d.revision.as_deref(), Some("canary"));
    assert_eq!(
        d.config.as_ref().unwrap().name,
        "configmap istio-system/istio-sidecar-injector-canary"
    );
    assert_eq!(
        d.webhook.as_ref().unwrap().configuration,
        "istio-sidecar-injector-canary"
    );
    // The default revision's `policy: disabled` applies to its own pods only.
    let legacy = Namespace::known("web", map(ENABLED));
    let d = e.decide(&legacy, &Pod::default());
    assert!(!d.inject);
    assert_eq!(d.decided_by, RuleId::Policy);
    assert_eq!(d.revision.as_deref(), Some("default"));
    // A tag selects its revision's rules, and the decision names the tag.
    let tagged = Namespace::known("shop", map(&[("istio.io/rev", "prod")]));
    let d = e.decide(&tagged, &Pod::default());
    assert!(d.inject);
    assert_eq!(
        (d.revision.as_deref(), d.tag.as_deref()),
        (Some("canary"), Some("prod"))
    );
    assert!(
        d.steps[0].detail.contains("(revision canary, tag prod)"),
        "{}",
        d.steps[0].detail
    );
}

#[test]
fn a_revision_without_configuration_is_assumed_and_said() {
    let (facts, mut webhooks) = two_revisions("policy: enabled\n", "policy: enabled\n");
    webhooks.push(WebhookConfiguration::istio_default(Some("stable"), false));
    let e = Engine::from_facts(&facts, &webhooks, Options::default()).unwrap();
    let ns = Namespace::known("web", map(&[("istio.io/rev", "stable")]));
    let d = e.decide(&ns, &Pod::default());
    assert!(d.inject);
    assert!(d.config.as_ref().unwrap().source.assumed());
    assert!(
        d.findings
            .iter()
            .any(|f| f.code == FindingCode::ConfigAssumed
                && f.message
                    .starts_with("no injector configuration of revision stable was read")),
        "{:?}",
        d.findings
    );
}

#[test]
fn conflicting_labels_are_findings() {
    let (facts, webhooks) = two_revisions("policy: enabled\n", "policy: enabled\n");
    let e = Engine::from_facts(&facts, &webhooks, Options::default()).unwrap();
    let both = Namespace::known(
        "web",
        map(&[("istio-injection", "enabled"), ("istio.io/rev", "canary")]),
    );
    let d = e.decide(&both, &Pod::default());
    assert_eq!(d.revision.as_deref(), Some("default"));
    let f = d
        .findings
        .iter()
        .find(|f| f.code == FindingCode::NamespaceMultipleInjectionLabels)
        .expect("conflict finding");
    assert!(
        f.message.starts_with("namespace web has both istio-injection=enabled and istio.io/rev=canary: istio-injection=enabled wins"),
        "{}",
        f.message
    );
    // The pod asks for canary, the namespace's istio-injection=enabled decides.
    let pod = Pod {
        labels: map(&[("istio.io/rev", "canary")]),
        ..Pod::default()
    };
    let d = e.decide(&Namespace::known("web", map(ENABLED)), &pod);
    let f = d
        .findings
        .iter()
        .find(|f| f.code == FindingCode::PodRevisionIgnored)
        .expect("ignored revision finding");
    assert_eq!(
        f.message,
        "pod label istio.io/rev=canary is ignored: namespace web has istio-injection=enabled, which wins, so revision default injects the pod"
    );
    // The namespace's istio.io/rev beats the pod's.
    let pod = Pod {
        labels: map(&[("istio.io/rev", "default")]),
        ..Pod::default()
    };
    let d = e.decide(
        &Namespace::known("c", map(&[("istio.io/rev", "canary")])),
        &pod,
    );
    assert!(d.findings.iter().any(|f| {
        f.code == FindingCode::PodRevisionIgnored
            && f.message
                .contains("namespace c label istio.io/rev=canary beats the pod's")
    }));
    // A pod naming a tag of the revision that is called: nothing ignored.
    let pod = Pod {
        labels: map(&[("istio.io/rev", "prod")]),
        ..Pod::default()
    };
    let d = e.decide(
        &Namespace::known("c", map(&[("istio.io/rev", "canary")])),
        &pod,
    );
    assert!(
        !d.findings
            .iter()
            .any(|f| f.code == FindingCode::PodRevisionIgnored),
        "{:?}",
        d.findings
    );
}

#[test]
fn managed_mode_keeps_the_injectors_own_rules() {
    let e = engine(
        "policy: enabled\n",
        &default_webhooks(),
        managed(NamespaceCondition::Exclude, PodCondition::OptOut),
    );
    let host = Pod {
        host_network: true,
        ..Pod::default()
    };
    let d = e.decide(&Namespace::known("web", StringMap::new()), &host);
    assert_eq!((d.inject, d.decided_by), (false, RuleId::HostNetwork));
    for ns in ["kube-public", "kube-node-lease", "local-path-storage"] {
        let d = e.decide(&Namespace::known(ns, StringMap::new()), &Pod::default());
        assert_eq!(
            (d.inject, d.decided_by),
            (false, RuleId::IgnoredNamespace),
            "{ns}"
        );
    }
    let rules: Vec<&str> = e
        .decide(&Namespace::known("web", StringMap::new()), &Pod::default())
        .steps
        .iter()
        .map(|s| s.rule.as_str())
        .collect();
    assert_eq!(
        rules,
        [
            "protected-namespace",
            "namespace-condition",
            "host-network",
            "ignored-namespace",
            "pod-condition"
        ]
    );
}

#[test]
fn steps_name_the_field_they_read_per_kind() {
    use crate::manifest::WorkloadKind;
    let e = engine("policy: enabled\n", &default_webhooks(), Options::default());
    let ns = Namespace::known("web", map(ENABLED));
    let rows = [
        (
            WorkloadKind::Pod,
            "metadata.labels[\"sidecar.istio.io/inject\"]",
            "spec.hostNetwork",
        ),
        (
            WorkloadKind::Deployment,
            "spec.template.metadata.labels[\"sidecar.istio.io/inject\"]",
            "spec.template.spec.hostNetwork",
        ),
        (
            WorkloadKind::CronJob,
            "spec.jobTemplate.spec.template.metadata.labels[\"sidecar.istio.io/inject\"]",
            "spec.jobTemplate.spec.template.spec.hostNetwork",
        ),
    ];
    for (kind, label, host) in rows {
        let d = e.decide(
            &ns,
            &Pod {
                kind,
                ..Pod::default()
            },
        );
        let field = |rule: RuleId| {
            d.steps
                .iter()
                .find(|s| s.rule == rule)
                .and_then(|s| s.field.clone())
                .unwrap_or_default()
        };
        assert_eq!(field(RuleId::PodLabel), label, "{kind}");
        assert_eq!(field(RuleId::HostNetwork), host, "{kind}");
        assert_eq!(
            field(RuleId::Policy),
            "policy in cfg",
            "{kind}: the config's field"
        );
    }
}

#[test]
fn a_cronjob_opt_out_on_the_job_template_is_reported_with_the_right_path() {
    use crate::manifest::WorkloadKind;
    let e = engine("policy: enabled\n", &default_webhooks(), Options::default());
    let pod = Pod {
        kind: WorkloadKind::CronJob,
        misplaced: vec![Misplaced {
            path: "spec.jobTemplate.metadata.annotations".into(),
            value: "false".into(),
        }],
        ..Pod::default()
    };
    let d = e.decide(&Namespace::known("web", map(ENABLED)), &pod);
    assert_eq!(
        d.findings[0].message,
        "sidecar.istio.io/inject=false is an annotation at spec.jobTemplate.metadata.annotations, which the webhook never sees (it reads the pod's own metadata): move it to spec.jobTemplate.spec.template.metadata.labels"
    );
    assert_eq!(
        d.hint.as_deref(),
        Some(
            "move `sidecar.istio.io/inject: \"false\"` from the CronJob's spec.jobTemplate.metadata.annotations to spec.jobTemplate.spec.template.metadata.labels"
        )
    );
}

#[test]
fn hints_that_depend_on_assumed_labels_say_so() {
    let e = engine("policy: enabled\n", &default_webhooks(), Options::default());
    let known = Namespace::known("web", StringMap::new());
    let d = e.decide(&known, &Pod::default());
    assert_eq!(
        d.hint.as_deref(),
        Some("run `kubectl label namespace web istio-injection=enabled`")
    );
    let assumed = Namespace {
        source: Source::default("no labels"),
        ..known
    };
    let d = e.decide(&assumed, &Pod::default());
    assert!(
        d.reason.contains("(its labels were not read)"),
        "{}",
        d.reason
    );
    assert!(
        d.hint.as_deref().unwrap().starts_with(
            "if namespace web really has no injection label (its labels were not read;"
        ),
        "{:?}",
        d.hint
    );
    // Known labels never get a hint to add what is already there.
    let labelled = Namespace::known("web", map(ENABLED));
    let d = e.decide(&labelled, &Pod::default());
    assert_eq!(d.hint, None);
}

/// Facts with one revision (`default`) whose values say `values`.
fn with_values(values: &str) -> Facts {
    let mut facts = Facts::new();
    facts.add_injector(
        "default",
        InjectorFacts {
            name: "configmap istio-system/istio-sidecar-injector".into(),
            config: InjectorConfig::default_policy(),
            config_text: Some("policy: enabled\n".into()),
            values_text: Some(values.into()),
        },
        Source::Bundle {
            file: "b.yaml".into(),
        },
    );
    facts
}

fn run_to_completion_findings(facts: &Facts, pod: &Pod) -> Vec<String> {
    let e = Engine::from_facts(facts, &default_webhooks(), Options::default()).unwrap();
    let d = e.decide(&Namespace::known("jobs", map(ENABLED)), pod);
    d.findings
        .iter()
        .filter(|f| f.code == FindingCode::RunToCompletion)
        .map(|f| f.message.clone())
        .collect()
}

#[test]
fn run_to_completion_pods_with_a_classic_sidecar_are_warned_about() {
    use crate::manifest::WorkloadKind;
    let off = with_values("pilot: {env: {ENABLE_NATIVE_SIDECARS: \"false\"}}\n");
    let on = with_values("pilot: {env: {ENABLE_NATIVE_SIDECARS: \"true\"}}\n");
    let old = with_values("global: {tag: 1.24.6}\n");
    let new = with_values("global: {tag: 1.28.0}\n");
    let pod = |kind, restart: Option<&str>, annotations: &[(&str, &str)]| Pod {
        kind,
        restart_policy: restart.map(str::to_string),
        annotations: map(annotations),
        ..Pod::default()
    };
    // One row per kind and setting: (facts, pod, warned).
    let rows: Vec<(&str, &Facts, Pod, bool)> = vec![
        (
            "job, native off",
            &off,
            pod(WorkloadKind::Job, None, &[]),
            true,
        ),
        (
            "cronjob, native off",
            &off,
            pod(WorkloadKind::CronJob, Some("OnFailure"), &[]),
            true,
        ),
        (
            "pod Never, native off",
            &off,
            pod(WorkloadKind::Pod, Some("Never"), &[]),
            true,
        ),
        (
            "pod OnFailure, native off",
            &off,
            pod(WorkloadKind::Pod, Some("OnFailure"), &[]),
            true,
        ),
        (
            "pod Always, native off",
            &off,
            pod(WorkloadKind::Pod, Some("Always"), &[]),
            false,
        ),
        (
            "deployment, native off",
            &off,
            pod(WorkloadKind::Deployment, None, &[]),
            false,
        ),
        (
            "job, native on",
            &on,
            pod(WorkloadKind::Job, None, &[]),
            false,
        ),
        (
            "job, Istio 1.24 by its tag",
            &old,
            pod(WorkloadKind::Job, None, &[]),
            true,
        ),
        (
            "job, Istio 1.28 by its tag",
            &new,
            pod(WorkloadKind::Job, None, &[]),
            false,
        ),
        (
            "job, native off, annotation opts in",
            &off,
            pod(
                WorkloadKind::Job,
                None,
                &[("sidecar.istio.io/nativeSidecar", "true")],
            ),
            false,
        ),
        (
            "job, native on, annotation opts out",
            &on,
            pod(
                WorkloadKind::Job,
                None,
                &[("sidecar.istio.io/nativeSidecar", "false")],
            ),
            true,
        ),
        (
            "job opted out of injection",
            &off,
            pod(
                WorkloadKind::Job,
                None,
                &[("sidecar.istio.io/inject", "false")],
            ),
            false,
        ),
    ];
    for (name, facts, pod, warned) in rows {
        let found = run_to_completion_findings(facts, &pod);
        assert_eq!(!found.is_empty(), warned, "{name}: {found:?}");
    }
    let msg = &run_to_completion_findings(&off, &pod(WorkloadKind::Job, None, &[]))[0];
    assert!(
        msg.starts_with("a Job's pods run to completion, but istio-proxy would be a classic sidecar in spec.containers (native sidecars are off: pilot.env.ENABLE_NATIVE_SIDECARS=false in the values of configmap istio-system/istio-sidecar-injector)"),
        "{msg}"
    );
    for remedy in [
        "sidecar.istio.io/nativeSidecar: \"true\"",
        "sidecar.istio.io/inject: \"false\"",
        "quitquitquit",
        "Kubernetes ≥ 1.28",
    ] {
        assert!(msg.contains(remedy), "{remedy}: {msg}");
    }
    // --native-sidecars beats the values.
    let mut flagged = on.clone();
    flagged.set_native_sidecars(false, Source::flag("--native-sidecars"));
    let msg = &run_to_completion_findings(&flagged, &pod(WorkloadKind::Job, None, &[]))[0];
    assert!(
        msg.contains("(native sidecars are off: --native-sidecars false)"),
        "{msg}"
    );
    // Assumed on when nothing says: no warning.
    assert!(
        run_to_completion_findings(&Facts::new(), &pod(WorkloadKind::Job, None, &[])).is_empty()
    );
}

#[test]
fn a_cronjob_opted_out_on_its_pod_template_only_is_injected_by_kube_inject() {
    use crate::manifest::WorkloadKind;
    let e = engine("policy: enabled\n", &default_webhooks(), Options::default());
    let ns = Namespace::known("shop", map(ENABLED));
    let optout = Pod {
        kind: WorkloadKind::CronJob,
        labels: map(&[("sidecar.istio.io/inject", "false")]),
        ..Pod::default()
    };
    let d = e.decide(&ns, &optout);
    assert!(!d.inject);
    assert!(
        d.findings
            .iter()
            .any(|f| f.code == FindingCode::OfflineInjectDiffers
                && f.message
                    .contains("at spec.jobTemplate.metadata, which does not opt out")),
        "{:?}",
        d.findings
    );
    // Opted out where kube-inject reads it too: no difference.
    let both = Pod {
        misplaced: vec![Misplaced {
            path: "spec.jobTemplate.metadata.labels".into(),
            value: "false".into(),
        }],
        ..optout.clone()
    };
    let d = e.decide(&ns, &both);
    assert!(
        !d.findings
            .iter()
            .any(|f| f.code == FindingCode::OfflineInjectDiffers)
    );
    // A Job has no job template: nothing to say.
    let job = Pod {
        kind: WorkloadKind::Job,
        ..optout
    };
    assert!(e.decide(&ns, &job).findings.is_empty());
}

#[test]
fn findings_serialize_with_their_code_and_severity() {
    let f = Finding {
        code: FindingCode::RunToCompletion,
        message: "m".into(),
    };
    assert_eq!(
        serde_json::to_value(&f).unwrap(),
        serde_json::json!({"code": "run-to-completion", "kiCode": "KI110", "severity": "warning", "message": "m"})
    );
}

#[test]
fn compat_follows_the_release_unless_given() {
    use crate::config::release::Release;
    let release = |v: &str| Release::of(v.parse().unwrap());
    for (explicit, r, want) in [
        (None, Release::newest(), Compat::Current),
        (None, release("1.27.0"), Compat::Current),
        (None, release("1.26.8"), Compat::Legacy),
        (None, release("1.17"), Compat::Legacy),
        (Some(Compat::Current), release("1.22"), Compat::Current),
        (Some(Compat::Legacy), Release::newest(), Compat::Legacy),
    ] {
        assert_eq!(Compat::for_release(explicit, r), want, "{explicit:?} {r}");
    }
}

/// The generated sentence names only the label paths some webhook offers: a webhook that
/// selects on the namespace only (as istioctl's single-webhook installs) gives no "pod labels
/// ()".
#[test]
fn the_why_not_sentence_names_only_paths_that_exist() {
    let v = serde_json::json!({
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "istio-sidecar-injector", "labels": {"istio.io/rev": "default"}},
        "webhooks": [{
            "name": "namespace.sidecar-injector.istio.io",
            "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system", "path": "/inject"}},
            "namespaceSelector": {"matchExpressions": [
                {"key": "istio-injection", "operator": "In", "values": ["enabled"]}]},
            "objectSelector": {"matchExpressions": [
                {"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]}
        }]
    });
    let mwc = WebhookConfiguration::from_value("mwc.yaml", &v).unwrap();
    let e = engine("policy: enabled\n", &[mwc], Options::default());
    let d = e.decide(&Namespace::known("web", map(&[])), &Pod::default());
    assert_eq!(d.decided_by, RuleId::Webhook);
    assert!(
        d.reason
            .ends_with("no webhook matches: it needs namespace labels (istio-injection=enabled)"),
        "{}",
        d.reason
    );
    assert!(!d.reason.contains("()"), "{}", d.reason);
}
