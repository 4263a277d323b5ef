//! `explain TYPE/NAME` and `check` against the real test API server
//! (`scripts/test-apiserver.sh run -- cargo test`). Without it these tests say skipped (and
//! fail under CI=true).
//!
//! One scenario builds its namespaces once: labelled and unlabelled namespaces, a revision
//! label with the canary webhook registered, opt-out, hostNetwork, a Deployment whose pods
//! were created without a sidecar although the namespace asks for one (drift), an injected
//! pod, a stale one, an unexpected sidecar, and a user who may read nothing.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util;

/// True when a test cluster is configured; otherwise reports the skip.
pub fn cluster(test: &str) -> bool {
    if std::env::var_os("KUBECTL_INJECT_TEST_CLUSTER").is_some() {
        return true;
    }
    util::skip(
        test,
        "no test cluster (run under scripts/test-apiserver.sh run)",
    );
    false
}

fn kubectl(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new("kubectl");
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("kubectl runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("kubectl finishes")
}

pub fn apply(yaml: &str) {
    let out = kubectl(&["apply", "-f", "-"], Some(yaml));
    assert!(
        out.status.success(),
        "kubectl apply failed: {}\n{yaml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The default revision's injector configuration in the live scenario: a template that adds
/// an init container, the proxy and a volume.
const INJECTOR_CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  namespace: istio-system\ndata:\n  config: |\n    policy: enabled\n    templates:\n      sidecar: |\n        spec:\n          initContainers:\n          - name: istio-init\n            image: \"{{ .Values.global.hub }}/proxyv2:{{ .Values.global.tag }}\"\n          containers:\n          - name: istio-proxy\n            image: \"{{ .Values.global.hub }}/proxyv2:{{ .Values.global.tag }}\"\n          volumes:\n          - name: istio-envoy\n            emptyDir: {}\n  values: '{\"global\":{\"hub\":\"docker.io/istio\",\"tag\":\"1.24.0\",\"proxy\":{\"image\":\"proxyv2\"}}}'\n---\n";
const PROXY_STATUS_CANARY: &str = r#"{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"canary"}"#;

fn pod(
    ns: &str,
    name: &str,
    labels: &str,
    annotations: &str,
    extra_spec: &str,
    proxy: bool,
) -> String {
    let proxy = if proxy {
        "\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1.24.0"
    } else {
        ""
    };
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {{{labels}}}\n  annotations: {{{annotations}}}\nspec:\n{extra_spec}  containers:\n  - name: app\n    image: nginx{proxy}\n---\n"
    )
}

/// Builds the scenario once for all tests of this module.
fn scenario() -> &'static () {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let mut y = String::new();
        y.push_str("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: live-on\n  labels: {istio-injection: enabled}\n---\n");
        y.push_str("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: live-off\n---\n");
        y.push_str("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: live-rev\n  labels: {istio.io/rev: canary}\n---\n");
        y.push_str("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: istio-system\n---\n");
        y.push_str(&pod("live-on", "optout", "sidecar.istio.io/inject: \"false\"", "", "", false));
        y.push_str(&pod("live-on", "hostnet", "app: hostnet", "", "  hostNetwork: true\n", false));
        y.push_str(&pod(
            "live-on",
            "stale",
            "app: stale",
            &format!("sidecar.istio.io/status: '{PROXY_STATUS_CANARY}'"),
            "",
            true,
        ));
        y.push_str(&pod("live-off", "unexpected", "app: unexpected", "", "", true));
        y.push_str(&pod("live-off", "plain", "app: plain", "", "", false));
        y.push_str(&pod("live-rev", "canary-pod", "app: canary", "", "", false));
        // The default revision's injector: a small template; pods injected with it are in
        // line with it, so live drift re-renders them and finds nothing.
        y.push_str(INJECTOR_CONFIGMAP);
        // A Deployment whose pods the controller creates without a sidecar.
        y.push_str("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: live-on\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: app\n        image: nginx\n");
        apply(&y);
        // The injected pod, rendered by `inject` with the cluster's configuration (as the
        // webhook would have), then created as it is.
        let injected = util::cluster_bin()
            .args(["inject", "--native-sidecars=false", "-f", "-"])
            .write_stdin(pod("live-on", "injected", "app: injected", "", "", false))
            .output()
            .expect("inject runs");
        assert!(
            injected.status.success(),
            "{}",
            String::from_utf8_lossy(&injected.stderr)
        );
        apply(&String::from_utf8_lossy(&injected.stdout));
        wait_until("the Deployment's two pods", || {
            let out = kubectl(&["get", "pods", "-n", "live-on", "-l", "app=web", "-o", "name"], None);
            String::from_utf8_lossy(&out.stdout).lines().count() == 2
        });
        // Istio's default and canary webhooks, registered after the pods exist; they point at
        // a closed port with failurePolicy Ignore, so later pod creations are not blocked.
        let shared = util::shared("cluster_live").expect("shared/ is present");
        let default = std::fs::read_to_string(shared.join(
            "istio-testdata/istio-1.32-dev-86c9f01f/istioctl/pkg/checkinject/testdata/check-inject/default-injector.yaml",
        ))
        .expect("default MWC");
        let mut mwc: Value = serde_yaml::from_str(&default).expect("MWC parses");
        neutralise(&mut mwc, "live-istio-sidecar-injector", "default");
        apply(&serde_json::to_string(&mwc).expect("json"));
        let mut canary = mwc.clone();
        for hook in canary["webhooks"].as_array_mut().expect("webhooks") {
            let s = serde_json::to_string(hook).expect("json").replace("\"default\"", "\"canary\"");
            *hook = serde_json::from_str(&s).expect("json");
        }
        canary["webhooks"]
            .as_array_mut()
            .expect("webhooks")
            .retain(|h| h["name"].as_str().is_some_and(|n| n.starts_with("rev.")));
        neutralise(&mut canary, "live-istio-sidecar-injector-canary", "canary");
        apply(&serde_json::to_string(&canary).expect("json"));
    })
}

/// Points every webhook at a closed loopback port with `failurePolicy: Ignore`.
fn neutralise(mwc: &mut Value, name: &str, rev: &str) {
    mwc["metadata"] = serde_json::json!({"name": name, "labels": {"istio.io/rev": rev}});
    for hook in mwc["webhooks"].as_array_mut().expect("webhooks") {
        hook["clientConfig"] = serde_json::json!({"url": "https://127.0.0.1:1/inject"});
        hook["failurePolicy"] = "Ignore".into();
        hook["sideEffects"] = "None".into();
        hook["admissionReviewVersions"] = serde_json::json!(["v1"]);
        hook["timeoutSeconds"] = 2.into();
    }
}

fn check_json(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = util::cluster_bin()
        .arg("check")
        .args(args)
        .args(["-o", "json"])
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

#[test]
fn check_live_decides_and_finds_drift() {
    if !cluster("check_live_decides_and_finds_drift") {
        return;
    }
    scenario();
    let (code, r, stderr) = check_json(&["-n", "live-on"]);
    assert_eq!(code, Some(1), "drift exits 1: {stderr}");
    let web = item(&r, "Deployment", "web");
    assert_eq!(web["inject"], true);
    assert_eq!(web["decidedBy"], "policy");
    assert_eq!(web["drift"], "2 missing sidecar");
    assert_eq!(
        web["pods"].as_array().expect("pods").len(),
        2,
        "pods traced through the ReplicaSet"
    );
    assert_eq!(item(&r, "Pod", "optout")["decidedBy"], "webhook");
    assert_eq!(item(&r, "Pod", "optout")["inject"], false);
    assert_eq!(item(&r, "Pod", "hostnet")["decidedBy"], "host-network");
    assert!(item(&r, "Pod", "injected").get("drift").is_none());
    assert_eq!(
        item(&r, "Pod", "injected")["pods"][0]["revision"],
        "default"
    );
    assert_eq!(item(&r, "Pod", "stale")["drift"], "1 stale revision");
    assert_eq!(
        item(&r, "Pod", "stale")["pods"][0]["drift"]["kind"],
        "stale-revision"
    );
    assert_eq!(
        item(&r, "Pod", "stale")["pods"][0]["drift"]["message"],
        "stale revision: injected by revision canary, now revision default's webhook is called"
    );
    assert_eq!(
        item(&r, "Pod", "stale")["remedy"],
        "pods were created before the policy or configuration changed: re-create the pod (a bare pod is injected only when created): `kubectl get pod stale -n live-on -o yaml | kubectl replace --force -f -`"
    );
    assert_eq!(
        web["remedy"],
        "pods were created before the policy or configuration changed: restart it: `kubectl rollout restart deployment/web -n live-on`"
    );
    let ns = &r["namespaces"][0];
    assert_eq!(ns["namespace"], "live-on");
    assert_eq!(ns["injection"], "istio-injection=enabled");
    assert_eq!(ns["pods"], 6);
    assert_eq!(ns["injected"], 2);
    assert_eq!(ns["needingRestart"], 3);

    let (code, r, _) = check_json(&["-n", "live-off"]);
    assert_eq!(code, Some(1));
    assert_eq!(
        item(&r, "Pod", "unexpected")["drift"],
        "1 unexpected sidecar"
    );
    assert_eq!(item(&r, "Pod", "plain")["inject"], false);
    assert!(item(&r, "Pod", "plain").get("drift").is_none());
}

#[test]
fn revision_label_reaches_the_canary_webhook() {
    if !cluster("revision_label_reaches_the_canary_webhook") {
        return;
    }
    scenario();
    let (_, r, _) = check_json(&["-n", "live-rev"]);
    let p = item(&r, "Pod", "canary-pod");
    assert_eq!(p["inject"], true);
    assert_eq!(p["revision"], "canary");
    assert_eq!(p["drift"], "1 missing sidecar");
}

#[test]
fn explain_live_workload_summarises_its_pods() {
    if !cluster("explain_live_workload_summarises_its_pods") {
        return;
    }
    scenario();
    let out = util::cluster_bin()
        .args(["explain", "deploy/web", "-n", "live-on", "-o", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(r["kind"], "Deployment");
    assert_eq!(r["inject"], true);
    assert_eq!(r["pods"].as_array().expect("pods").len(), 2);
    assert!(
        r["pods"]
            .as_array()
            .expect("pods")
            .iter()
            .all(|p| p["injected"] == false)
    );
    assert_eq!(r["drift"], "2 missing sidecar");

    let out = util::cluster_bin()
        .args(["explain", "pod/stale", "-n", "live-on"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("Pod live-on/stale: will be injected (decided by policy, revision default (live-istio-sidecar-injector))"),
        "{text}"
    );
    assert!(text.contains("stale: injected, revision canary, image docker.io/istio/proxyv2:1.24.0, added istio-init,istio-proxy"), "{text}");
    assert!(
        text.contains("  ‼ stale revision: injected by revision canary, now revision default's webhook is called\n"),
        "{text}"
    );
    assert!(
        text.contains("  remedy: pods were created before the policy or configuration changed: re-create the pod"),
        "{text}"
    );

    let out = util::cluster_bin()
        .args(["explain", "deploy/absent", "-n", "live-on"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("error: deployment \"absent\" not found in namespace \"live-on\"")
    );
}

#[test]
fn a_user_who_may_read_nothing_gets_a_clear_forbidden_error() {
    if !cluster("a_user_who_may_read_nothing_gets_a_clear_forbidden_error") {
        return;
    }
    scenario();
    let ctx = std::env::var("KUBECTL_INJECT_TEST_USER_CONTEXT").expect("user context");
    let out = util::cluster_bin()
        .args(["check", "-n", "live-on", "--context", &ctx])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    // One error, not a warning per forbidden request; the hint names the namespace.
    assert!(!stderr.contains("warning:"), "{stderr}");
    assert!(
        stderr.starts_with("error: forbidden: cannot list any workload or pod in namespace \"live-on\"\n  Caused by: forbidden: list mutatingwebhookconfigurations.admissionregistration.k8s.io; list nodes; list configmaps in namespace \"istio-system\"; get namespaces \"live-on\";"),
        "{stderr}"
    );
    assert!(
        stderr.contains("list pods in namespace \"live-on\"\n"),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("hint: see what you may read: `kubectl auth can-i list pods -n live-on` and `kubectl auth can-i --list -n live-on`\n"),
        "{stderr}"
    );
}

#[test]
fn kubectl_inject_check_runs_through_real_kubectl() {
    if !cluster("kubectl_inject_check_runs_through_real_kubectl") {
        return;
    }
    scenario();
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::copy(
        env!("CARGO_BIN_EXE_kubectl-inject"),
        dir.path().join("kubectl-inject"),
    )
    .expect("copy");
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("kubectl")
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .args(["inject", "check", "-n", "live-off"])
        .output()
        .expect("kubectl runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let first = stdout.lines().next().unwrap_or("");
    assert!(
        first.starts_with("NAMESPACE") && first.contains("DRIFT"),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.contains(" unexpected ") && l.ends_with("1 unexpected sidecar")),
        "{stdout}"
    );
}
