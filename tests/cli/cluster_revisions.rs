//! Live answers during a revision (canary) upgrade, on the test API server: two revisions of
//! the injector (`rv-old`, `rv-new`) with their own ConfigMaps, a tag `rv-prod` → `rv-new`,
//! namespaces selecting each, pods injected by `inject` with the cluster's configuration
//! (as the webhook would have), one injected with an older template, one by the wrong
//! revision, pods without sidecars, a hostNetwork pod.
//!
//! The webhooks point at a closed port with `failurePolicy: Ignore`: pods are created as
//! written, and every answer comes from reading the cluster.

use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use crate::cluster_live::{apply, cluster};
use crate::util;

const NS: &str = "rv-system";

/// The revisions' template: an init container, the proxy (naming its revision) and a volume.
fn config(extra_volume: bool) -> String {
    let (mount, volume) = if extra_volume {
        (
            "\n    volumeMounts:\n    - name: istio-certs\n      mountPath: /etc/istio-certs",
            "\n  - name: istio-certs\n    emptyDir: {}",
        )
    } else {
        ("", "")
    };
    let template = format!(
        "spec:\n  initContainers:\n  - name: istio-init\n    image: \"{{{{ .Values.global.hub }}}}/proxyv2:{{{{ .Values.global.tag }}}}\"\n  containers:\n  - name: istio-proxy\n    image: \"{{{{ .Values.global.hub }}}}/proxyv2:{{{{ .Values.global.tag }}}}\"\n    env:\n    - name: ISTIO_META_REVISION\n      value: \"{{{{ .Revision }}}}\"{mount}\n  volumes:\n  - name: istio-envoy\n    emptyDir: {{}}{volume}\n"
    );
    let indented: String = template.lines().map(|l| format!("    {l}\n")).collect();
    format!("policy: enabled\ntemplates:\n  sidecar: |\n{indented}")
}

fn values(tag: &str) -> String {
    format!("{{\"global\":{{\"hub\":\"docker.io/istio\",\"tag\":\"{tag}\"}}}}")
}

fn configmap(rev: &str, policy_disabled: bool, tag: &str) -> String {
    let mut cfg = config(false);
    if policy_disabled {
        cfg = cfg.replacen("policy: enabled", "policy: disabled", 1);
    }
    let cfg: String = cfg.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector-{rev}\n  namespace: {NS}\ndata:\n  config: |\n{cfg}  values: '{}'\n---\n",
        values(tag)
    )
}

/// The two `rev.*` entries Istio installs for a revision or tag (reference §2.4), pointing
/// at a closed port.
fn webhook_configuration(name: &str, rev: &str, tag: Option<&str>) -> String {
    let selects = tag.unwrap_or(rev);
    let tag_label = tag
        .map(|t| format!(", istio.io/tag: {t}"))
        .unwrap_or_default();
    let entry = |kind: &str, ns: &str, obj: &str| {
        format!(
            "- name: {kind}.sidecar-injector.istio.io\n  clientConfig: {{url: \"https://127.0.0.1:1/inject\"}}\n  failurePolicy: Ignore\n  sideEffects: None\n  admissionReviewVersions: [v1]\n  timeoutSeconds: 2\n  rules: [{{operations: [CREATE], apiGroups: [\"\"], apiVersions: [v1], resources: [pods]}}]\n  namespaceSelector: {{matchExpressions: [{ns}]}}\n  objectSelector: {{matchExpressions: [{obj}]}}\n"
        )
    };
    let mut y = format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: {name}\n  labels: {{istio.io/rev: {rev}{tag_label}, app: sidecar-injector}}\nwebhooks:\n"
    );
    y.push_str(&entry(
        "rev.namespace",
        &format!("{{key: istio.io/rev, operator: In, values: [{selects}]}}, {{key: istio-injection, operator: DoesNotExist}}"),
        "{key: sidecar.istio.io/inject, operator: NotIn, values: [\"false\"]}",
    ));
    y.push_str(&entry(
        "rev.object",
        "{key: istio.io/rev, operator: DoesNotExist}, {key: istio-injection, operator: DoesNotExist}",
        &format!("{{key: sidecar.istio.io/inject, operator: NotIn, values: [\"false\"]}}, {{key: istio.io/rev, operator: In, values: [{selects}]}}"),
    ));
    y.push_str("---\n");
    y
}

fn pod(ns: &str, name: &str, spec_extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {{app: {name}}}\nspec:\n{spec_extra}  containers:\n  - name: app\n    image: nginx\n"
    )
}

/// `inject`'s output for `manifest`, with these arguments.
fn injected(manifest: &str, args: &[&str]) -> String {
    // With configuration files the cluster is not read: its namespace would be a silent flag.
    let from_files = args.contains(&"--injectConfigFile");
    let out = util::cluster_bin()
        .args(["inject", "--native-sidecars=false"])
        .args(if from_files {
            &[][..]
        } else {
            &["--istio-namespace", NS][..]
        })
        .args(args)
        .args(["-f", "-"])
        .write_stdin(manifest.to_string())
        .output()
        .expect("inject runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn scenario() -> &'static () {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let mut y = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NS}\n---\n");
        for (ns, rev) in [
            ("rv-canary", "rv-new"),
            ("rv-tagged", "rv-prod"),
            ("rv-stable", "rv-old"),
            ("rv-hostnet", "rv-new"),
        ] {
            y.push_str(&format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{istio.io/rev: {rev}, kubernetes.io/metadata.name: {ns}}}\n---\n"
            ));
        }
        y.push_str(&configmap("rv-old", false, "1.27.0"));
        y.push_str(&configmap("rv-new", false, "1.28.0"));
        // Installed in rv-system, so Istio appends the namespace to the names.
        y.push_str(&webhook_configuration(
            &format!("istio-sidecar-injector-rv-old-{NS}"),
            "rv-old",
            None,
        ));
        y.push_str(&webhook_configuration(
            &format!("istio-sidecar-injector-rv-new-{NS}"),
            "rv-new",
            None,
        ));
        y.push_str(&webhook_configuration(
            &format!("istio-revision-tag-rv-prod-{NS}"),
            "rv-new",
            Some("rv-prod"),
        ));
        apply(&y);

        let mut pods = String::new();
        pods.push_str(&injected(&pod("rv-canary", "good", ""), &["-r", "rv-new"]));
        pods.push_str(&injected(&pod("rv-tagged", "tagged", ""), &["-r", "rv-prod"]));
        pods.push_str(&injected(&pod("rv-stable", "old-rev", ""), &["-r", "rv-old"]));
        // Injected by rv-new in a namespace that now selects rv-old.
        pods.push_str(&injected(&pod("rv-stable", "moved", ""), &["-r", "rv-new"]));
        // rv-new's older template, with one more volume and mount: same image, same revision.
        let dir = tempfile::tempdir().expect("tmp");
        let old = dir.path().join("old-config.yaml");
        let vals = dir.path().join("values.json");
        std::fs::write(&old, config(true)).expect("write");
        std::fs::write(&vals, values("1.28.0")).expect("write");
        pods.push_str(&injected(
            &pod("rv-canary", "old-template", ""),
            &[
                "-r",
                "rv-new",
                "--injectConfigFile",
                &old.display().to_string(),
                "--valuesFile",
                &vals.display().to_string(),
            ],
        ));
        pods.push_str("---\n");
        pods.push_str(&pod("rv-canary", "no-sidecar", ""));
        pods.push_str("---\n");
        pods.push_str(&pod("rv-hostnet", "hostnet", "  hostNetwork: true\n"));
        pods.push_str("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: rv-canary\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: app\n        image: nginx\n");
        apply(&pods);
        let start = std::time::Instant::now();
        loop {
            let out = util::cluster_bin()
                .args(["check", "deploy/web", "-n", "rv-canary", "-o", "json"])
                .output()
                .expect("runs");
            let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
            if v["items"][0]["pods"].as_array().is_some_and(|p| p.len() == 2) {
                break;
            }
            assert!(start.elapsed().as_secs() < 60, "the Deployment's pods did not appear");
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    })
}

fn check(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = util::cluster_bin()
        .arg("check")
        .args(args)
        .args(["--istio-namespace", NS, "-o", "json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "JSON on stdout ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code(), json, stderr)
}

fn item<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["kind"] == kind && i["name"] == name)
        .unwrap_or_else(|| panic!("no {kind}/{name} in {report:#}"))
}

fn drift_kind(item: &Value) -> &Value {
    &item["pods"][0]["drift"]["kind"]
}

#[test]
fn each_pod_is_judged_by_its_own_revision_and_template() {
    if !cluster("each_pod_is_judged_by_its_own_revision_and_template") {
        return;
    }
    scenario();
    // A tag's namespace: injected by rv-new through the tag, in line: exit 0.
    let (code, r, stderr) = check(&["-n", "rv-tagged"]);
    assert_eq!(code, Some(0), "{stderr}\n{r:#}");
    let tagged = item(&r, "Pod", "tagged");
    assert_eq!(tagged["inject"], true);
    assert_eq!(tagged["revision"], "rv-new");
    assert_eq!(tagged["tag"], "rv-prod");
    assert!(tagged.get("drift").is_none(), "{tagged:#}");
    assert_eq!(
        tagged["config"]["name"],
        "configmap rv-system/istio-sidecar-injector-rv-new"
    );

    let (code, r, stderr) = check(&["-n", "rv-canary"]);
    assert_eq!(code, Some(1), "drift exits 1: {stderr}");
    let good = item(&r, "Pod", "good");
    assert_eq!(good["revision"], "rv-new");
    assert!(good.get("drift").is_none(), "{good:#}");
    // Same image, same revision, one more volume and mount: a stale template, in words.
    let old = item(&r, "Pod", "old-template");
    assert_eq!(drift_kind(old), "stale-template", "{old:#}");
    let message = old["pods"][0]["drift"]["message"].as_str().unwrap_or("");
    assert!(message.starts_with("stale template: "), "{message}");
    assert!(
        message.contains("istio-proxy volume mount istio-certs at /etc/istio-certs removed")
            && message.contains("volume istio-certs removed"),
        "{message}"
    );
    assert_eq!(old["drift"], "1 stale template");
    assert_eq!(
        old["remedy"],
        "pods were created before the policy or configuration changed: re-create the pod (a bare pod is injected only when created): `kubectl get pod old-template -n rv-canary -o yaml | kubectl replace --force -f -`"
    );
    assert_eq!(drift_kind(item(&r, "Pod", "no-sidecar")), "missing");
    let web = item(&r, "Deployment", "web");
    assert_eq!(web["drift"], "2 missing sidecar");
    let remedy = web["remedy"].as_str().unwrap_or("");
    assert!(
        remedy.ends_with("`kubectl rollout restart deployment/web -n rv-canary`")
            && !remedy.contains("cleanup"),
        "{remedy}"
    );

    // The namespace moved to rv-old: a pod rv-new injected there is a stale revision.
    let (code, r, _) = check(&["-n", "rv-stable"]);
    assert_eq!(code, Some(1));
    assert!(item(&r, "Pod", "old-rev").get("drift").is_none());
    let moved = item(&r, "Pod", "moved");
    assert_eq!(drift_kind(moved), "stale-revision");
    assert_eq!(
        moved["pods"][0]["drift"]["message"],
        "stale revision: injected by revision rv-new, now revision rv-old's webhook is called"
    );
}

#[test]
fn one_revisions_policy_does_not_change_anothers_pods() {
    if !cluster("one_revisions_policy_does_not_change_anothers_pods") {
        return;
    }
    scenario();
    // A revision of its own (rv-pa) whose ConfigMap this test changes, so that the other
    // tests' answers stay as they are.
    let mut y = configmap("rv-pa", false, "1.27.0");
    y.push_str(&webhook_configuration(
        &format!("istio-sidecar-injector-rv-pa-{NS}"),
        "rv-pa",
        None,
    ));
    y.push_str("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: rv-policy\n  labels: {istio.io/rev: rv-pa}\n---\n");
    apply(&y);
    apply(&injected(&pod("rv-policy", "pa-pod", ""), &["-r", "rv-pa"]));
    let (code, r, stderr) = check(&["-n", "rv-policy"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(item(&r, "Pod", "pa-pod").get("drift").is_none());

    // rv-pa's ConfigMap now says `policy: disabled`.
    apply(&configmap("rv-pa", true, "1.27.0"));
    let (code, r, stderr) = check(&["-n", "rv-policy"]);
    assert_eq!(code, Some(1), "{stderr}");
    let off = item(&r, "Pod", "pa-pod");
    assert_eq!(off["inject"], false);
    assert_eq!(off["decidedBy"], "policy");
    assert_eq!(drift_kind(off), "unexpected");
    assert_eq!(
        off["config"]["name"],
        "configmap rv-system/istio-sidecar-injector-rv-pa"
    );
    // rv-new's pods are judged with rv-new's configuration, whatever rv-pa's says.
    let (_, r, _) = check(&["-n", "rv-canary"]);
    let good = item(&r, "Pod", "good");
    assert_eq!(good["inject"], true, "{good:#}");
    assert_eq!(good["decidedBy"], "policy");
    assert!(good.get("drift").is_none(), "{good:#}");
}

#[test]
fn a_revision_the_cluster_does_not_have_is_an_error_everywhere() {
    if !cluster("a_revision_the_cluster_does_not_have_is_an_error_everywhere") {
        return;
    }
    scenario();
    let runs: [&[&str]; 4] = [
        &["check", "-n", "rv-canary", "-r", "nosuch"],
        &["explain", "pod/good", "-n", "rv-canary", "-r", "nosuch"],
        &["check", "-A", "-r", "nosuch"],
        &["inject", "-r", "nosuch", "-f", "-"],
    ];
    for args in runs {
        let out = util::cluster_bin()
            .args(args)
            .args(["--istio-namespace", NS])
            .write_stdin(pod("rv-canary", "x", ""))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(
            stderr.contains("error: revision \"nosuch\" not found in cluster (context ")
                && stderr.contains("rv-new")
                && stderr.contains("rv-prod (→ rv-new)"),
            "{args:?}: {stderr}"
        );
    }
    // A tag is a good name for -r.
    let (code, r, _) = check(&["-n", "rv-tagged", "-r", "rv-prod"]);
    assert_eq!(code, Some(0));
    assert_eq!(item(&r, "Pod", "tagged")["revision"], "rv-new");
}

#[test]
fn host_network_pods_are_never_missing_a_sidecar_in_either_mode() {
    if !cluster("host_network_pods_are_never_missing_a_sidecar_in_either_mode") {
        return;
    }
    scenario();
    for mode in [
        &[][..],
        &["--mode", "managed", "--namespace-condition", "exclude"][..],
    ] {
        let mut args = vec!["-n", "rv-hostnet"];
        args.extend_from_slice(mode);
        let (code, r, stderr) = check(&args);
        assert_eq!(code, Some(0), "{mode:?}: {stderr}");
        let p = item(&r, "Pod", "hostnet");
        assert_eq!(p["inject"], false, "{mode:?}");
        assert_eq!(p["decidedBy"], "host-network", "{mode:?}");
        assert!(p.get("drift").is_none(), "{mode:?}: {p:#}");
    }
}

#[test]
fn uninstall_counts_only_its_revisions_pods() {
    if !cluster("uninstall_counts_only_its_revisions_pods") {
        return;
    }
    scenario();
    let out = util::cluster_bin()
        .args([
            "uninstall",
            "-r",
            "rv-old",
            "--istio-namespace",
            NS,
            "--dry-run",
            "-o",
            "json",
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    let pods = &r["injectedPods"];
    assert_eq!(pods["revision"], "rv-old");
    assert_eq!(pods["namespaces"]["rv-stable"], 1, "{pods:#}");
    assert!(
        pods["namespaces"].get("rv-canary").is_none(),
        "rv-new's pods are not rv-old's: {pods:#}"
    );
    assert!(
        stderr.contains("pod(s) still carry a sidecar of revision rv-old, in rv-stable (1)"),
        "{stderr}"
    );
}

#[test]
fn explain_live_names_the_revision_its_configuration_and_the_drift() {
    if !cluster("explain_live_names_the_revision_its_configuration_and_the_drift") {
        return;
    }
    scenario();
    let out = util::cluster_bin()
        .args([
            "explain",
            "pod/old-template",
            "-n",
            "rv-canary",
            "--istio-namespace",
            NS,
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with(&format!(
            "Pod rv-canary/old-template: will be injected (decided by policy, revision rv-new (istio-sidecar-injector-rv-new-{NS}))\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(
            "    namespace rv-canary labels: istio.io/rev=rv-new (from cluster (context "
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "    injector configuration: configmap {NS}/istio-sidecar-injector-rv-new (from cluster (context "
        )),
        "{text}"
    );
    assert!(text.contains("  ‼ stale template: "), "{text}");
    assert!(text.contains("  remedy: "), "{text}");
}

/// `kubectl get … -o yaml | kubectl inject explain -f -`: the namespace is not in the input,
/// the cluster says what its labels are; offline the labels are assumed and the hint says so.
#[test]
fn piped_explain_reads_the_cluster_and_offline_says_what_it_assumed() {
    if !cluster("piped_explain_reads_the_cluster_and_offline_says_what_it_assumed") {
        return;
    }
    scenario();
    let get = Command::new("kubectl")
        .args(["get", "deploy", "web", "-n", "rv-canary", "-o", "yaml"])
        .stdout(Stdio::piped())
        .output()
        .expect("kubectl runs");
    assert!(get.status.success());
    let yaml = String::from_utf8_lossy(&get.stdout).into_owned();
    let explain = |extra: &[&str]| {
        let out = util::cluster_bin()
            .args(["explain", "-f", "-", "--istio-namespace", NS])
            .args(extra)
            .write_stdin(yaml.clone())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0));
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (text, _) = explain(&[]);
    assert!(
        text.starts_with(
            "Deployment rv-canary/web: will be injected (decided by policy, revision rv-new"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "    namespace rv-canary labels: istio.io/rev=rv-new (from cluster (context "
        ),
        "{text}"
    );
    assert!(
        !text.contains("hint:"),
        "no hint to add a label that is there: {text}"
    );

    let (text, _) = explain(&["--offline"]);
    assert!(
        text.starts_with("Deployment rv-canary/web: will not be injected (decided by webhook)"),
        "{text}"
    );
    assert!(
        text.contains("    namespace rv-canary labels: none (assumed: no labels (the namespace is not in the input))\n"),
        "{text}"
    );
    assert!(
        text.contains("  hint: if namespace rv-canary really has no injection label (its labels were not read;"),
        "{text}"
    );
}

/// kubectl's resource forms against the cluster: `ns/NAME` checks that namespace,
/// `TYPE NAME` explains that object.
#[test]
fn kubectl_resource_forms_against_the_cluster() {
    if !cluster("kubectl_resource_forms_against_the_cluster") {
        return;
    }
    scenario();
    let (_, by_ns, _) = check(&["ns/rv-tagged"]);
    let (_, by_flag, _) = check(&["-n", "rv-tagged"]);
    assert_eq!(by_ns["items"], by_flag["items"]);
    let (_, two, _) = check(&["ns/rv-tagged", "ns/rv-hostnet"]);
    let names: Vec<&str> = two["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    assert_eq!(names, ["hostnet", "tagged"]);
    let out = util::cluster_bin()
        .args([
            "explain",
            "deploy",
            "web",
            "-n",
            "rv-canary",
            "--istio-namespace",
            NS,
        ])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("Deployment rv-canary/web: will be injected"),
        "{text}"
    );
    assert!(text.contains("  pods (2):\n"), "{text}");
}
