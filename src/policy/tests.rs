//! Table-driven tests of the engine: one row per rule, value form and mode.

use super::*;
use crate::config::InjectorConfig;

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
        let ns = Namespace {
            name: row.ns.into(),
            labels: map(row.ns_labels),
        };
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
    let ns = Namespace {
        name: "web".into(),
        labels: map(ENABLED),
    };
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
    let ns = Namespace {
        name: "web".into(),
        labels: map(ENABLED),
    };
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
        let ns = Namespace {
            name: "web".into(),
            labels: map(ns_labels),
        };
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
        let ns = Namespace {
            name: "web".into(),
            labels: map(ns_labels),
        };
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
    let plain = Namespace {
        name: "web".into(),
        labels: StringMap::new(),
    };
    let d = e.decide(&plain, &Pod::default());
    assert!(d.inject);
    assert!(d.steps[0].detail.contains("auto.sidecar-injector.istio.io"));
    assert!(
        d.steps[0]
            .detail
            .contains("automatic injection is enabled in all namespaces")
    );
    // The auto entry excludes the ignored namespaces by their implicit name label.
    let ks = Namespace {
        name: "kube-system".into(),
        labels: StringMap::new(),
    };
    assert_eq!(e.decide(&ks, &Pod::default()).decided_by, RuleId::Webhook);

    let off = [WebhookConfiguration::istio_default(None, false).deactivated()];
    let e = engine("policy: enabled\n", &off, Options::default());
    let ns = Namespace {
        name: "web".into(),
        labels: map(ENABLED),
    };
    let d = e.decide(&ns, &Pod::default());
    assert!(!d.inject);
    assert!(d.reason.contains("deactivated"), "{}", d.reason);

    // `istioctl tag set prod --revision 1-20`: namespaces select the tag.
    let tagged = [WebhookConfiguration::revision_tag("prod", "1-20", false)];
    let e = engine("policy: enabled\n", &tagged, Options::default());
    let ns = Namespace {
        name: "web".into(),
        labels: map(&[("istio.io/rev", "prod")]),
    };
    let d = e.decide(&ns, &Pod::default());
    assert!(d.inject);
    assert_eq!(d.revision.as_deref(), Some("1-20"));

    // A default tag next to a still-active default MWC: both call an injector.
    let twice = [
        WebhookConfiguration::istio_default(None, false),
        WebhookConfiguration::revision_tag("default", "1-20", false),
    ];
    let e = engine("policy: enabled\n", &twice, Options::default());
    let ns = Namespace {
        name: "web".into(),
        labels: map(ENABLED),
    };
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
    let d = e.decide(&Namespace::default(), &Pod::default());
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
    let ns = Namespace {
        name: "web".into(),
        labels: StringMap::new(),
    };
    let pod = Pod {
        annotations: map(&[(STATUS_ANNOTATION, "{}")]),
        workload_kind: "Deployment".into(),
        workload_labels: map(&[("sidecar.istio.io/inject", "true")]),
        ..Pod::default()
    };
    let d = e.decide(&ns, &pod);
    let codes: Vec<FindingCode> = d.findings.iter().map(|f| f.code).collect();
    assert_eq!(
        codes,
        [FindingCode::AlreadyInjected, FindingCode::WorkloadMetadata]
    );
    assert!(d.findings[1].message.contains("Deployment's own metadata"));
}

fn managed(ns_cond: NamespaceCondition, pod_cond: PodCondition) -> Options {
    Options {
        mode: Mode::Managed,
        namespace_condition: ns_cond,
        pod_condition: pod_cond,
        compat: Compat::Current,
    }
}

#[test]
#[rustfmt::skip]
fn managed_mode() {
    use crate::cli::NamespaceCondition::{Exclude, Include};
    use crate::cli::PodCondition::{OptIn, OptOut};
    use RuleId::{NamespaceCondition, PodCondition, ProtectedNamespace};
    let config = "policy: disabled\nneverInjectSelector: [{matchLabels: {job: batch}}]\nalwaysInjectSelector: [{matchLabels: {mesh: always}}]\n";
    type L = &'static [(&'static str, &'static str)];
    // (ns cond, pod cond, ns name, ns labels, pod labels, annotations, inject, rule)
    type ManagedRow = (crate::cli::NamespaceCondition, crate::cli::PodCondition, &'static str, L, L, L, bool, RuleId);
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
        let ns = Namespace {
            name: ns_name.to_string(),
            labels: map(ns_labels),
        };
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
    let d = e.decide(
        &Namespace {
            name: "web".into(),
            labels: StringMap::new(),
        },
        &Pod::default(),
    );
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
    let ks = Namespace {
        name: "kube-system".into(),
        labels: StringMap::new(),
    };
    let d = e.decide(&ks, &Pod::default());
    assert!(
        d.reason.ends_with("and the injector ignores it anyway"),
        "{}",
        d.reason
    );
    assert_eq!(d.hint, None, "labelling kube-system would not help");

    let canary = [WebhookConfiguration::istio_default(Some("canary"), false)];
    let e = engine("policy: enabled\n", &canary, Options::default());
    let ns = Namespace {
        name: "web".into(),
        labels: map(ENABLED),
    };
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
        assert_eq!(compat_for(explicit, r), want, "{explicit:?} {r}");
    }
}
