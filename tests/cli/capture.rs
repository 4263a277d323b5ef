//! `capture` on the real test API server (`scripts/test-apiserver.sh run -- cargo test`),
//! then the offline commands on the bundle: the round trip gives the same decisions as live
//! `check` on the same objects, two revisions and a tag included. Without a test cluster these
//! tests say skipped (and fail under CI=true).

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::cluster_live::{apply, cluster};
use crate::util;

/// A revision's webhook configuration, pointed at a closed port with failurePolicy Ignore so
/// that pod creation in the shared test cluster is never blocked.
fn webhook(name: &str, rev: &str, tag: Option<&str>) -> String {
    let selects = tag.unwrap_or(rev);
    let tag_label = tag
        .map(|t| format!(", istio.io/tag: {t}"))
        .unwrap_or_default();
    format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: {name}\n  labels: {{istio.io/rev: {rev}{tag_label}}}\nwebhooks:\n- name: rev.namespace.sidecar-injector.istio.io\n  clientConfig: {{url: \"https://127.0.0.1:1/inject\"}}\n  failurePolicy: Ignore\n  sideEffects: None\n  admissionReviewVersions: [v1]\n  timeoutSeconds: 2\n  namespaceSelector:\n    matchExpressions:\n    - {{key: istio.io/rev, operator: In, values: [{selects}]}}\n    - {{key: istio-injection, operator: DoesNotExist}}\n  objectSelector:\n    matchExpressions:\n    - {{key: sidecar.istio.io/inject, operator: NotIn, values: [\"false\"]}}\n---\n"
    )
}

fn deployment(ns: &str, name: &str, labels: &str, annotations: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: 0\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}{labels}}}\n      annotations: {{{annotations}}}\n    spec:\n      containers:\n      - {{name: app, image: nginx}}\n---\n"
    )
}

/// The workloads both the live and the offline check decide on.
fn apps() -> String {
    let mut y = String::new();
    y.push_str(&deployment("cap-a", "web", "", ""));
    y.push_str(&deployment(
        "cap-a",
        "optout",
        ", sidecar.istio.io/inject: \"false\"",
        "",
    ));
    y.push_str(&deployment("cap-b", "web", "", ""));
    y.push_str(&deployment(
        "cap-b",
        "optin",
        "",
        "sidecar.istio.io/inject: \"true\"",
    ));
    y.push_str(&deployment("cap-t", "web", "", ""));
    y.push_str(&deployment(
        "cap-t",
        "optin",
        "",
        "sidecar.istio.io/inject: \"true\"",
    ));
    y.push_str(&deployment("cap-off", "web", "", ""));
    y.push_str("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\n  namespace: cap-a\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: t, image: busybox}\n---\n");
    y
}

/// Two revisions (capa: policy enabled, Istio 1.24 values; capb: policy disabled) and a tag
/// (capt → capb), their ConfigMaps and a Secret in cap-system, four namespaces, the apps.
fn scenario() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let mut y = String::new();
        for (ns, labels) in [
            ("cap-system", ""),
            ("cap-a", "istio.io/rev: capa"),
            ("cap-b", "istio.io/rev: capb"),
            ("cap-t", "istio.io/rev: capt"),
            ("cap-off", ""),
        ] {
            y.push_str(&format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{{labels}}}\n---\n"
            ));
        }
        y.push_str(&webhook("cap-injector-capa", "capa", None));
        y.push_str(&webhook("cap-injector-capb", "capb", None));
        y.push_str(&webhook("cap-revision-tag-capt", "capb", Some("capt")));
        let template = "templates:\n  sidecar: |\n    spec:\n      containers:\n      - name: istio-proxy\n        image: \"{{ .Values.global.hub }}/proxyv2:{{ .Values.global.tag }}\"\n";
        for (rev, policy, tag) in [("capa", "enabled", "1.24.6"), ("capb", "disabled", "1.28.0")] {
            let cm = serde_json::json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": format!("istio-sidecar-injector-{rev}"), "namespace": "cap-system"},
                "data": {
                    "config": format!("policy: {policy}\ndefaultTemplates: [sidecar]\n{template}"),
                    "values": format!("{{\"global\": {{\"hub\": \"docker.io/istio\", \"tag\": \"{tag}\"}}}}"),
                },
            });
            y.push_str(&format!("{cm}\n---\n"));
        }
        y.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-capa\n  namespace: cap-system\ndata:\n  mesh: 'defaultConfig: {discoveryAddress: istiod-capa.cap-system.svc:15012}'\n---\n");
        y.push_str("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\n  namespace: cap-system\ndata:\n  x: \"1\"\n---\n");
        y.push_str("apiVersion: v1\nkind: Secret\nmetadata:\n  name: istio-ca-secret\n  namespace: cap-system\nstringData:\n  ca-cert.pem: not-a-real-key\n---\n");
        apply(&y);
        apply(&apps());
    });
}

fn capture(args: &[&str]) -> (Option<i32>, String, String) {
    let out = util::cluster_bin()
        .args(["capture", "--istio-namespace", "cap-system"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `(kind, namespace, name) → (inject, decidedBy, revision)` of a check report.
fn decisions(report: &Value) -> BTreeMap<(String, String, String), (bool, String, String)> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["namespace"].as_str().unwrap_or("").starts_with("cap-"))
        .map(|i| {
            (
                (
                    i["kind"].as_str().unwrap().to_string(),
                    i["namespace"].as_str().unwrap().to_string(),
                    i["name"].as_str().unwrap().to_string(),
                ),
                (
                    i["inject"].as_bool().unwrap(),
                    i["decidedBy"].as_str().unwrap().to_string(),
                    i["revision"].as_str().unwrap_or("-").to_string(),
                ),
            )
        })
        .collect()
}

#[test]
fn capture_round_trip_gives_the_live_decisions_offline() {
    if !cluster("capture_round_trip_gives_the_live_decisions_offline") {
        return;
    }
    scenario();
    let (code, bundle, stderr) = capture(&[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.starts_with("captured from context "), "{stderr}");
    assert!(stderr.contains("revisions: "), "{stderr}");
    assert!(stderr.contains("capt → capb"), "{stderr}");
    assert!(
        bundle.starts_with("# kubectl-inject bundle: the injection set-up of context "),
        "{bundle}"
    );
    let value: Value = serde_yaml::from_str(&bundle).unwrap();
    let ann = &value["metadata"]["annotations"];
    assert_eq!(value["kind"], "List");
    assert_eq!(ann["kubectl-inject.io/bundle"], "v1");
    assert_eq!(ann["kubectl-inject.io/namespaces"], "all");
    // The test control plane runs no kubelet: no nodes, which the bundle says (istiod's
    // native-sidecar auto-detection is off without nodes).
    assert_eq!(ann["kubectl-inject.io/nodes"], "0");
    assert!(
        ann["kubectl-inject.io/captured-at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    let items = value["items"].as_array().unwrap();
    let has = |kind: &str, name: &str| {
        items
            .iter()
            .any(|i| i["kind"] == kind && i["metadata"]["name"] == name)
    };
    for (kind, name) in [
        ("MutatingWebhookConfiguration", "cap-injector-capa"),
        ("MutatingWebhookConfiguration", "cap-injector-capb"),
        ("MutatingWebhookConfiguration", "cap-revision-tag-capt"),
        ("ConfigMap", "istio-sidecar-injector-capa"),
        ("ConfigMap", "istio-sidecar-injector-capb"),
        ("ConfigMap", "istio-capa"),
        ("Namespace", "cap-a"),
        ("Namespace", "cap-off"),
    ] {
        assert!(has(kind, name), "{kind} {name} is captured");
    }
    assert!(
        !has("ConfigMap", "unrelated"),
        "only the injector's ConfigMaps"
    );
    assert!(
        !items.iter().any(|i| i["kind"] == "Secret"),
        "never a Secret"
    );
    assert!(!bundle.contains("not-a-real-key"));
    assert!(!items.iter().any(|i| i["kind"] == "Deployment"));

    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path().join("b.yaml");
    let apps_file = tmp.path().join("apps.yaml");
    std::fs::write(&b, &bundle).unwrap();
    std::fs::write(&apps_file, apps()).unwrap();

    // Live: check every namespace of the scenario.
    let out = util::cluster_bin()
        .args([
            "check",
            "-A",
            "--istio-namespace",
            "cap-system",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let live: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("live JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let live = decisions(&live);
    // Offline, from the bundle, with no cluster at all.
    let out = util::bin()
        .args(["check", "-f"])
        .arg(&apps_file)
        .arg("--bundle")
        .arg(&b)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offline_json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let offline = decisions(&offline_json);
    let want: BTreeMap<(String, String, String), (bool, String, String)> = [
        (("Deployment", "cap-a", "web"), (true, "policy", "capa")),
        (("Deployment", "cap-a", "optout"), (false, "webhook", "-")),
        (("Job", "cap-a", "once"), (true, "policy", "capa")),
        (("Deployment", "cap-b", "web"), (false, "policy", "capb")),
        (
            ("Deployment", "cap-b", "optin"),
            (true, "pod-annotation", "capb"),
        ),
        (("Deployment", "cap-t", "web"), (false, "policy", "capb")),
        (
            ("Deployment", "cap-t", "optin"),
            (true, "pod-annotation", "capb"),
        ),
        (("Deployment", "cap-off", "web"), (false, "webhook", "-")),
    ]
    .into_iter()
    .map(|((k, n, m), (i, d, r))| ((k.into(), n.into(), m.into()), (i, d.into(), r.into())))
    .collect();
    assert_eq!(offline, want, "offline from the bundle");
    assert_eq!(live, want, "live");
    // Every fact came from the bundle: nothing was assumed but what the cluster lacks too.
    let web = offline_json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["namespace"] == "cap-t" && i["name"] == "web")
        .unwrap();
    assert_eq!(web["tag"], "capt");
    for f in web["facts"].as_array().unwrap() {
        assert_eq!(f["source"]["kind"], "bundle", "{f}");
    }
    // Istio 1.24's values: classic sidecars, so the Job is warned about, live and offline.
    let job = offline_json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "Job")
        .unwrap();
    assert_eq!(job["findings"][0]["kiCode"], "KI110", "{job:#}");

    // explain says which revision and tag, from the bundle.
    let out = util::bin()
        .args(["explain", "deploy/web", "-n", "cap-t", "-f"])
        .arg(&apps_file)
        .arg("--bundle")
        .arg(&b)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Deployment cap-t/web: will not be injected (decided by policy, revision capb via tag capt (cap-revision-tag-capt))"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("(from bundle {})", b.display())),
        "{text}"
    );

    // The bundle inside -f input is recognised the same way.
    let both = tmp.path().join("both.yaml");
    std::fs::write(&both, format!("{}---\n{bundle}", apps())).unwrap();
    let out = util::bin()
        .args(["check", "-o", "json", "-f"])
        .arg(&both)
        .output()
        .unwrap();
    assert_eq!(
        decisions(&serde_json::from_slice(&out.stdout).unwrap()),
        want
    );

    // The bundle is an authority: -r must name one of its revisions or tags.
    let out = util::bin()
        .args(["check", "-f"])
        .arg(&apps_file)
        .arg("--bundle")
        .arg(&b)
        .args(["-r", "nosuch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: revision \"nosuch\" not found in bundle {}: it has revisions ",
            b.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("capa") && stderr.contains("capt (→ capb)"),
        "{stderr}"
    );
    // -r with a tag narrows to its revision.
    let out = util::bin()
        .args(["check", "-o", "json", "-f"])
        .arg(&apps_file)
        .arg("--bundle")
        .arg(&b)
        .args(["-r", "capt"])
        .output()
        .unwrap();
    let narrowed = decisions(&serde_json::from_slice(&out.stdout).unwrap());
    assert!(
        !narrowed.is_empty() && narrowed.values().all(|(_, _, r)| r == "capb"),
        "{narrowed:?}"
    );

    // inject renders with the bundle's ConfigMaps of the revision, as from the cluster.
    let out = util::bin()
        .args(["inject", "-f"])
        .arg(&apps_file)
        .arg("--bundle")
        .arg(&b)
        .args(["-r", "capt"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.starts_with("using injector configuration configmap cap-system/istio-sidecar-injector-capb (config), values configmap cap-system/istio-sidecar-injector-capb (values), mesh "), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("image: docker.io/istio/proxyv2:1.28.0"));
    // --respect-policy skips what the webhook skips, with the bundle's namespaces.
    let out = util::bin()
        .args(["inject", "--respect-policy", "-f"])
        .arg(&apps_file)
        .arg("--bundle")
        .arg(&b)
        .args(["-r", "capa"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for skipped in ["cap-a/optout", "cap-b/web", "cap-t/web", "cap-off/web"] {
        assert!(
            stderr.contains(&format!(
                "deployment \"{skipped}\" skipped: the webhook would not inject it: "
            )),
            "{skipped}: {stderr}"
        );
    }
    assert!(!stderr.contains("\"cap-a/web\" skipped"), "{stderr}");
}

#[test]
fn capture_narrows_namespaces_and_refuses_what_it_cannot_read_whole() {
    if !cluster("capture_narrows_namespaces_and_refuses_what_it_cannot_read_whole") {
        return;
    }
    scenario();
    let items = |text: &str| -> Vec<(String, String)> {
        let v: Value = serde_yaml::from_str(text).unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "Namespace")
            .map(|i| {
                (
                    "Namespace".to_string(),
                    i["metadata"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let (code, out, stderr) = capture(&["-n", "cap-b"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        items(&out),
        vec![("Namespace".to_string(), "cap-b".to_string())]
    );
    assert!(
        out.contains("kubectl-inject.io/namespaces: namespace=cap-b"),
        "{out}"
    );
    let (code, out, _) = capture(&["-l", "istio.io/rev in (capa,capt)"]);
    assert_eq!(code, Some(0));
    let names: Vec<String> = items(&out).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, vec!["cap-a", "cap-t"]);
    let (code, out, _) = capture(&["--no-namespaces"]);
    assert_eq!(code, Some(0));
    assert!(items(&out).is_empty());
    assert!(out.contains("kubectl-inject.io/namespaces: none"), "{out}");
    // Written atomically to a file with --output-file; stdout stays empty.
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("b.yaml");
    let (code, out, _) = capture(&["--no-namespaces", "--output-file", f.to_str().unwrap()]);
    assert_eq!((code, out.as_str()), (Some(0), ""));
    assert!(
        std::fs::read_to_string(&f)
            .unwrap()
            .contains("kubectl-inject.io/bundle: v1")
    );
    // A namespace that does not exist is an error, not a partial bundle.
    let (code, out, stderr) = capture(&["-n", "cap-nosuch"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(
        stderr.starts_with("error: namespace \"cap-nosuch\" not found"),
        "{stderr}"
    );
}

/// The example bundle (two revisions and a tag), read with no cluster at all.
fn example_bundle() -> std::path::PathBuf {
    util::root().join("examples/revisions/bundle.yaml")
}

#[test]
fn a_bundle_offline_decides_by_revision_and_says_what_it_lacks() {
    let tmp = tempfile::tempdir().unwrap();
    let apps = tmp.path().join("apps.yaml");
    std::fs::write(
        &apps,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: checkout, annotations: {sidecar.istio.io/inject: \"true\"}}\nspec: {containers: [{name: a, image: x}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: g, namespace: ghost}\nspec: {containers: [{name: a, image: x}]}\n",
    )
    .unwrap();
    let out = util::bin()
        .args(["check", "-o", "json", "-f"])
        .arg(&apps)
        .arg("--bundle")
        .arg(example_bundle())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "warning: namespace \"ghost\" is not in bundle {} (it did not exist when captured); deciding as if it had no labels\n",
            example_bundle().display()
        )
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["items"][0]["revision"], "canary");
    assert_eq!(v["items"][0]["tag"], "prod");
    assert_eq!(v["items"][0]["decidedBy"], "pod-annotation");

    // -r must name one of the bundle's revisions or tags.
    let out = util::bin()
        .args(["check", "-f"])
        .arg(&apps)
        .arg("--bundle")
        .arg(example_bundle())
        .args(["-r", "nosuch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "\nerror: revision \"nosuch\" not found in bundle {}: it has revisions canary, stable; tags prod (→ canary)\n",
            example_bundle().display()
        )),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // inject renders with the revision's ConfigMaps from the bundle; a tag resolves.
    let out = util::bin()
        .args(["inject", "-r", "prod", "-f"])
        .arg(&apps)
        .arg("--bundle")
        .arg(example_bundle())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("using injector configuration configmap istio-system/istio-sidecar-injector-canary (config), values configmap istio-system/istio-sidecar-injector-canary (values), mesh "),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("image: docker.io/istio/proxyv2:1.28.0"));
    let out = util::bin()
        .args(["inject", "-r", "nosuch", "-f"])
        .arg(&apps)
        .arg("--bundle")
        .arg(example_bundle())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn what_is_not_a_bundle_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let apps = util::testdata("findings/jobs.yaml");
    let run = |bundle: &std::path::Path| {
        let out = util::bin()
            .args(["check", "-f"])
            .arg(&apps)
            .arg("--bundle")
            .arg(bundle)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&apps);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with(&format!(
            "error: {}: not a bundle: 5 documents, a bundle is one",
            apps.display()
        )),
        "{stderr}"
    );
    let list = tmp.path().join("list.yaml");
    std::fs::write(&list, "apiVersion: v1\nkind: List\nitems: []\n").unwrap();
    let (code, stderr) = run(&list);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("not a bundle: a bundle is a List annotated kubectl-inject.io/bundle: v1"),
        "{stderr}"
    );
    let foreign = tmp.path().join("foreign.yaml");
    std::fs::write(
        &foreign,
        "apiVersion: v1\nkind: List\nmetadata: {annotations: {kubectl-inject.io/bundle: v1}}\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n",
    )
    .unwrap();
    let (code, stderr) = run(&foreign);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with(&format!(
            "error: {}: items[0]: a Secret (s) does not belong in a bundle",
            foreign.display()
        )),
        "{stderr}"
    );
    let future = tmp.path().join("future.yaml");
    std::fs::write(&future, "apiVersion: v1\nkind: List\nmetadata: {annotations: {kubectl-inject.io/bundle: v9}}\nitems: []\n").unwrap();
    let (code, stderr) = run(&future);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown bundle version \"v9\""), "{stderr}");
    // Without -f there is nothing to decide on.
    let out = util::bin()
        .args(["check", "--bundle"])
        .arg(example_bundle())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("decides on manifests: nothing to check")
    );
}

/// SARIF and --suppress against the cluster: the injector's health checks (KI3xx) and the
/// drift of running pods (KI2xx).
#[test]
fn live_sarif_and_suppression_of_checks_and_drift() {
    if !cluster("live_sarif_and_suppression_of_checks_and_drift") {
        return;
    }
    scenario();
    // --injector follows the webhooks' services: the control-plane namespace is for the rest.
    let run = |args: &[&str]| {
        let istio_namespace: &[&str] = if args.contains(&"--injector") {
            &[]
        } else {
            &["--istio-namespace", "cap-system"]
        };
        let out = util::cluster_bin()
            .args(args)
            .args(istio_namespace)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let rule_objects = |v: &Value, rule: &str| -> Vec<String> {
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["ruleId"] == rule)
            .map(|r| {
                r["locations"][0]["logicalLocations"][0]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    // The capa webhook fails open (failurePolicy Ignore): a warning (KI307), named by its
    // configuration.
    let (_, stdout, stderr) = run(&["check", "--injector", "-r", "capa", "-o", "sarif"]);
    assert!(stdout.starts_with('{'), "{stderr}");
    let v = crate::findings::assert_valid_sarif(&stdout);
    assert_eq!(
        rule_objects(&v, "KI307"),
        vec!["MutatingWebhookConfiguration cap-injector-capa"],
        "{stderr}"
    );
    let (_, stdout, _) = run(&["check", "--injector", "-r", "capa", "-o", "json"]);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert!(stdout.contains("\"kiCode\": \"KI307\""), "{r:#}");
    let (_, stdout, _) = run(&[
        "check",
        "--injector",
        "-r",
        "capa",
        "-o",
        "sarif",
        "--suppress",
        "KI307=cap-injector-capa",
    ]);
    assert!(rule_objects(&crate::findings::assert_valid_sarif(&stdout), "KI307").is_empty());

    // The Job's pod runs without a sidecar the policy gives it: drift KI201, exit 1.
    let start = std::time::Instant::now();
    loop {
        let (_, stdout, _) = run(&["check", "job/once", "-n", "cap-a", "-o", "json"]);
        let r: Value = serde_json::from_str(&stdout).unwrap();
        if r["items"][0]["pods"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
        {
            break;
        }
        assert!(
            start.elapsed().as_secs() < 60,
            "the Job's pod never appeared: {r:#}"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let (code, stdout, stderr) = run(&["check", "job/once", "-n", "cap-a", "-o", "sarif"]);
    assert_eq!(code, Some(1), "{stderr}");
    let v = crate::findings::assert_valid_sarif(&stdout);
    assert_eq!(rule_objects(&v, "KI201"), vec!["Job cap-a/once"]);
    assert_eq!(rule_objects(&v, "KI110"), vec!["Job cap-a/once"]);
    // Suppressed by the workload's name, the drift fails nothing and is not reported.
    let (code, stdout, stderr) = run(&[
        "check",
        "job/once",
        "-n",
        "cap-a",
        "-o",
        "json",
        "-S",
        "KI201=cap-a/once",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert!(r["items"][0].get("drift").is_none(), "{r:#}");
    let (code, stdout, _) = run(&[
        "check", "job/once", "-n", "cap-a", "-o", "sarif", "-S", "KI201", "-S", "KI110",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(
        crate::findings::assert_valid_sarif(&stdout)["runs"][0]["results"],
        serde_json::json!([])
    );
}

/// Native sidecars follow the nodes a bundle records (istiod's auto-detection: every kubelet
/// at 1.33 or later); a bundle that recorded none of them leaves the assumption (on), and
/// says it is one.
#[test]
fn a_bundles_nodes_decide_native_sidecars() {
    let example = util::read(&example_bundle());
    let annotation = "    kubectl-inject.io/namespaces: all\n";
    assert!(example.contains(annotation));
    let dir = tempfile::tempdir().unwrap();
    let with_nodes = |extra: &str| {
        let path = dir.path().join(format!(
            "bundle-{}.yaml",
            extra.trim().replace(['"', ':', ' ', '.', '/'], "")
        ));
        std::fs::write(
            &path,
            example.replace(annotation, &format!("{annotation}{extra}")),
        )
        .unwrap();
        path
    };
    let job = dir.path().join("job.yaml");
    std::fs::write(
        &job,
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once, namespace: checkout}\nspec:\n  template:\n    metadata: {labels: {sidecar.istio.io/inject: \"true\"}}\n    spec:\n      restartPolicy: Never\n      containers: [{name: app, image: busybox}]\n",
    )
    .unwrap();
    let findings = |bundle: &std::path::Path| -> Vec<String> {
        let out = util::bin()
            .args(["check", "-o", "json", "-f"])
            .arg(&job)
            .arg("--bundle")
            .arg(bundle)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["items"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap_or("").to_string())
            .collect()
    };
    // No nodes: off, so the Job's classic sidecar never lets it complete (KI110).
    let none = findings(&with_nodes("    kubectl-inject.io/nodes: \"0\"\n"));
    assert_eq!(none.len(), 1, "{none:?}");
    assert!(
        none[0].contains("(native sidecars are off: the cluster has no nodes, and istiod's auto-detection needs every node's kubelet at 1.33 or later)"),
        "{none:?}"
    );
    // An old kubelet among new ones: off, naming it.
    let nodes = "    kubectl-inject.io/nodes: \"3\"\n";
    let old = with_nodes(nodes);
    let mut text = util::read(&old);
    text.push_str("- {apiVersion: v1, kind: Node, metadata: {name: n1}, status: {nodeInfo: {kubeletVersion: v1.33.2}}}\n- {apiVersion: v1, kind: Node, metadata: {name: n9}, status: {nodeInfo: {kubeletVersion: v1.31.0}}}\n");
    std::fs::write(&old, &text).unwrap();
    let mixed = findings(&old);
    assert!(
        mixed
            .iter()
            .any(|m| m.contains("node n9 runs kubelet v1.31.0")),
        "{mixed:?}"
    );
    // Every kubelet new enough, or nothing recorded (assumed on): no warning.
    let new = with_nodes("    kubectl-inject.io/nodes: \"1\"\n");
    let mut text = util::read(&new);
    text.push_str("- {apiVersion: v1, kind: Node, metadata: {name: n1}, status: {nodeInfo: {kubeletVersion: v1.34.0}}}\n");
    std::fs::write(&new, &text).unwrap();
    assert_eq!(findings(&new), Vec::<String>::new());
    assert_eq!(findings(&example_bundle()), Vec::<String>::new());
}
