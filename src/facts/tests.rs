//! Precedence of sources, revision bookkeeping, and the ConfigMap names of revisions.

use super::*;
use crate::manifest::parse_documents;

fn docs(text: &str) -> Vec<crate::manifest::Document> {
    parse_documents("x.yaml", text).unwrap()
}

fn take(facts: &mut Facts, text: &str, source: &Source) -> Vec<WebhookConfiguration> {
    let mut webhooks = Vec::new();
    for d in docs(text) {
        facts
            .take_context(&d.at.to_string(), &d.value, source, &mut webhooks)
            .unwrap();
    }
    webhooks
}

const CLUSTER: &str = "kind: Namespace\nmetadata: {name: web, labels: {istio.io/rev: canary}}\n---\n\
kind: ConfigMap\nmetadata: {name: istio-sidecar-injector-canary, namespace: istio-system}\ndata: {config: 'policy: disabled', values: '{}'}\n---\n\
kind: ConfigMap\nmetadata: {name: istio-canary, namespace: istio-system}\ndata: {mesh: 'defaultConfig: {}'}\n---\n\
kind: ConfigMap\nmetadata: {name: istio-sidecar-injector, namespace: istio-system}\ndata: {config: 'policy: enabled'}\n---\n\
kind: MutatingWebhookConfiguration\nmetadata: {name: istio-sidecar-injector-canary, labels: {istio.io/rev: canary}}\nwebhooks: [{name: rev.namespace.sidecar-injector.istio.io}]\n";

#[test]
fn first_source_wins_per_fact() {
    let mut f = Facts::new();
    let input = Source::Input {
        at: "app.yaml: document 1".into(),
    };
    let w = take(
        &mut f,
        "kind: Namespace\nmetadata: {name: web, labels: {istio-injection: enabled}}\n",
        &input,
    );
    assert!(w.is_empty());
    f.set_other_namespaces(
        StringMap::from([("team".into(), "a".into())]),
        Source::flag("--namespace-labels"),
    );
    let cluster = Source::Cluster {
        context: "test".into(),
    };
    let w = take(&mut f, CLUSTER, &cluster);
    f.add_webhooks(w, cluster.clone());
    f.set_authority(cluster.clone());

    // The input's Namespace beats the cluster's; an unknown one gets the flag's labels.
    let web = f.namespace("web");
    assert_eq!(web.labels.value["istio-injection"], "enabled");
    assert_eq!(web.labels.source, input);
    let other = f.namespace("shop");
    assert_eq!(other.labels.value["team"], "a");
    assert!(!other.labels.source.assumed());

    // Per-revision injector configurations; a revision nobody describes is assumed.
    assert_eq!(
        f.injector("canary").value.config.policy,
        crate::config::InjectionPolicy::Disabled
    );
    assert_eq!(
        f.injector("canary").value.name,
        "configmap istio-system/istio-sidecar-injector-canary"
    );
    assert_eq!(f.injector("").source, cluster);
    assert!(f.injector("stable").source.assumed());
    assert_eq!(
        f.mesh("canary").unwrap().value.0,
        "configmap istio-system/istio-canary"
    );
    assert!(f.mesh("default").is_none());
    assert_eq!(
        f.configured_revisions().collect::<Vec<_>>(),
        ["canary", "default"]
    );
    let info = f.revision_info();
    assert_eq!(info.resolve("canary", "c").unwrap(), "canary");
    assert!(info.resolve("nosuch", "c").is_err());
}

#[test]
fn config_flag_replaces_every_revision() {
    let mut f = Facts::new();
    take(
        &mut f,
        CLUSTER,
        &Source::Cluster {
            context: String::new(),
        },
    );
    f.set_config_override(
        InjectorFacts {
            name: "my.yaml".into(),
            config: InjectorConfig::default(),
            config_text: None,
            values_text: None,
        },
        Source::flag("--config"),
    );
    for rev in ["canary", "default", "other"] {
        assert_eq!(f.injector(rev).value.name, "my.yaml", "{rev}");
    }
}

#[test]
fn without_webhooks_istio_defaults_for_the_revision_are_assumed() {
    let f = Facts::new();
    let w = f.webhooks(Some("canary"), false);
    assert!(w.source.assumed());
    assert_eq!(w.value[0].name, "istio-sidecar-injector-canary");
    assert_eq!(
        w.source.to_string(),
        "assumed: the webhook selectors Istio installs for revision canary"
    );
    let ns = f.namespace("web");
    assert!(ns.labels.source.assumed());
    assert!(ns.labels.value.is_empty());
}

#[test]
fn configmap_names_and_revisions() {
    let rows = [
        ("istio-sidecar-injector", Some("default"), None),
        ("istio-sidecar-injector-canary", Some("canary"), None),
        ("istio-sidecar-injector-", None, None),
        ("istio", None, Some("default")),
        ("istio-1-20", None, Some("1-20")),
        ("istio-ca-root-cert", None, Some("ca-root-cert")),
        ("other", None, None),
    ];
    for (name, injector, mesh) in rows {
        assert_eq!(injector_configmap_revision(name), injector, "{name}");
        assert_eq!(mesh_configmap_revision(name), mesh, "{name}");
    }
}

#[test]
fn bad_context_fields_are_named() {
    let mut f = Facts::new();
    let mut w = Vec::new();
    let d = &docs("kind: Namespace\nmetadata: {name: web, labels: {a: 1}}\n")[0];
    let e = f
        .take_context(
            "x.yaml: document 1",
            &d.value,
            &Source::default("t"),
            &mut w,
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.yaml: document 1 (Namespace web): metadata.labels: a: values must be strings, got 1"
    );
}

#[test]
fn a_layer_below_fills_only_what_is_unknown() {
    let input = Source::Input {
        at: "in.yaml".into(),
    };
    let bundle = Source::Bundle {
        file: "b.yaml".into(),
    };
    let mut top = Facts::new();
    take(
        &mut top,
        "kind: Namespace\nmetadata: {name: web, labels: {istio-injection: disabled}}\n",
        &input,
    );
    let mut below = Facts::new();
    take(
        &mut below,
        "kind: Namespace\nmetadata: {name: web, labels: {istio-injection: enabled}}\n---\nkind: Namespace\nmetadata: {name: shop, labels: {istio.io/rev: canary}}\n",
        &bundle,
    );
    below.set_authority(bundle.clone());
    top.layer(below);
    assert_eq!(top.namespace("web").labels.source, input, "the input wins");
    assert_eq!(
        top.namespace("web").labels.value["istio-injection"],
        "disabled"
    );
    assert_eq!(
        top.namespace("shop").labels.source,
        bundle,
        "the layer fills the rest"
    );
    assert_eq!(top.authority(), Some(&bundle));
}

/// istiod's auto-detection as the webhook sees an unscheduled pod: on only when there are
/// nodes and every kubelet is 1.33 or later; an unreadable version counts as older.
#[test]
fn native_sidecars_follow_every_nodes_kubelet() {
    let nodes = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(n, k)| (n.to_string(), k.to_string()))
            .collect()
    };
    let none = crate::facts::native_by_kubelets(&[]);
    assert!(!none.on);
    assert!(none.why.contains("no nodes"), "{}", none.why);
    let new = crate::facts::native_by_kubelets(&nodes(&[("a", "v1.33.1"), ("b", "v1.34.0-eks-1")]));
    assert!(new.on, "{}", new.why);
    assert!(new.why.contains("2 nodes"), "{}", new.why);
    let mixed = crate::facts::native_by_kubelets(&nodes(&[
        ("a", "v1.33.1"),
        ("old", "v1.29.4+k3s1"),
        ("older", "v1.20.2"),
    ]));
    assert!(!mixed.on);
    assert!(
        mixed.why.starts_with("node older runs kubelet v1.20.2"),
        "{}",
        mixed.why
    );
    let unknown = crate::facts::native_by_kubelets(&nodes(&[("a", "v1.33.1"), ("x", "")]));
    assert!(!unknown.on);
    assert!(
        unknown.why.contains("of unknown version"),
        "{}",
        unknown.why
    );
}

/// The nodes a source listed decide native sidecars for a revision whose values say nothing;
/// `--native-sidecars` beats them; the first source that listed nodes wins.
#[test]
fn listed_nodes_replace_the_native_sidecar_assumption() {
    let cluster = Source::Cluster {
        context: "prod".into(),
    };
    let mut facts = Facts::new();
    let assumed = facts.native_sidecars("default");
    assert!(assumed.value.on && assumed.source.assumed());

    facts.set_kubelets(vec![("n1".into(), "v1.30.2".into())], cluster.clone());
    let read = facts.native_sidecars("default");
    assert!(!read.value.on);
    assert_eq!(read.source, cluster);
    assert!(read.value.why.contains("node n1 runs kubelet v1.30.2"));

    // A Node of another, lower source does not join the list.
    let bundle = Source::Bundle {
        file: "b.yaml".into(),
    };
    take(
        &mut facts,
        "apiVersion: v1\nkind: Node\nmetadata: {name: n2}\nstatus: {nodeInfo: {kubeletVersion: v1.20.0}}\n",
        &bundle,
    );
    assert!(facts.native_sidecars("default").value.why.contains("n1"));

    facts.set_native_sidecars(true, Source::flag("--native-sidecars"));
    assert!(facts.native_sidecars("default").value.on);
}
