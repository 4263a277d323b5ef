//! Tests of `explain`; see main.rs.

use std::path::PathBuf;

use serde_json::Value;

use crate::util;

fn case(name: &str) -> PathBuf {
    util::testdata(&format!("policy/{name}.yaml"))
}

#[test]
fn text_shows_every_step_the_field_it_read_and_the_facts() {
    let out = util::bin()
        .current_dir(util::testdata("policy"))
        .args([
            "explain",
            "deploy/productpage",
            "-f",
            "namespace-wide-per-pod-opt-out.yaml",
        ])
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert_eq!(
        stdout,
        "Deployment web/productpage: will be injected (decided by policy, revision default (istio-sidecar-injector))\n  \
         ✔ webhook                 namespace.sidecar-injector.istio.io of istio-sidecar-injector (revision default) calls the injector: namespace [istio-injection=enabled], pod [sidecar.istio.io/inject!=false]\n                            \
         ↳ namespace web labels; spec.template.metadata.labels\n  \
         ✘ host-network            hostNetwork is not set\n                            \
         ↳ spec.template.spec.hostNetwork\n  \
         ✘ ignored-namespace       namespace web is not an ignored namespace\n                            \
         ↳ metadata.namespace\n  \
         ✘ pod-label               no sidecar.istio.io/inject label\n                            \
         ↳ spec.template.metadata.labels[\"sidecar.istio.io/inject\"]\n  \
         ✘ pod-annotation          no sidecar.istio.io/inject annotation\n                            \
         ↳ spec.template.metadata.annotations[\"sidecar.istio.io/inject\"]\n  \
         ✘ never-inject-selector   no neverInjectSelector configured\n                            \
         ↳ neverInjectSelector in the embedded default configuration\n  \
         ✘ always-inject-selector  no alwaysInjectSelector configured\n                            \
         ↳ alwaysInjectSelector in the embedded default configuration\n  \
         ✔ policy                  policy is enabled and the pod does not opt out  ← decided\n                            \
         ↳ policy in the embedded default configuration\n  \
         facts:\n    \
         namespace web labels: istio-injection=enabled (from namespace-wide-per-pod-opt-out.yaml: document 1)\n    \
         webhook configurations: istio-sidecar-injector (assumed: the webhook selectors Istio installs for revision default)\n    \
         injector configuration: the embedded default configuration (assumed: policy enabled, no selectors (no injector configuration was read))\n"
    );
    // A targeted explain does not mention the Service it skipped.
    assert!(out.get_output().stderr.is_empty());
}

#[test]
fn text_gives_a_conditional_hint_when_the_namespace_labels_are_unknown() {
    let out = util::bin()
        .args(["explain", "pod/plain", "-n", "shop", "-f"])
        .arg(case("per-pod-opt-in"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with(
        "Pod shop/plain: will not be injected (decided by webhook)\n  ✘ webhook  namespace shop has no injection label (istio-injection or istio.io/rev) (its labels were not read)",
    ), "{stdout}");
    assert!(
        stdout.contains("    namespace shop labels: none (assumed: no labels (the namespace is not in the input))\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("  hint: if namespace shop really has no injection label (its labels were not read; give them with --namespace-labels, a Namespace in -f, or read them from the cluster): run `kubectl label namespace shop istio-injection=enabled`\n",),
        "{stdout}"
    );
    // Labels given by a flag are known: the hint is plain, and says no more than needed.
    let out = util::bin()
        .args([
            "explain",
            "pod/plain",
            "-n",
            "shop",
            "--namespace-labels",
            "team=a",
            "-f",
        ])
        .arg(case("per-pod-opt-in"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("    namespace shop labels: 1 labels, no injection label (from flag --namespace-labels)\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("  hint: run `kubectl label namespace shop istio-injection=enabled`\n"),
        "{stdout}"
    );
}

#[test]
fn text_reports_findings_and_the_misplaced_opt_in() {
    let out = util::bin()
        .args(["explain", "deploy/misplaced", "-f"])
        .arg(case("per-pod-opt-in"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(
        "  note: [KI104] sidecar.istio.io/inject=true is a label at metadata.labels, which the webhook never sees (it reads the pod's own metadata): move it to spec.template.metadata.labels\n",
    ), "{stdout}");
    assert!(stdout.ends_with(
        "  hint: move `sidecar.istio.io/inject: \"true\"` from the Deployment's metadata.labels to spec.template.metadata.labels\n",
    ), "{stdout}");
}

#[test]
fn unsupported_kinds_are_noted_on_stderr() {
    util::bin()
        .current_dir(util::testdata("policy"))
        .args(["explain", "-f", "namespace-wide-per-pod-opt-out.yaml"])
        .assert()
        .code(0)
        .stderr(
            "note: namespace-wide-per-pod-opt-out.yaml: document 5 (Service web/productpage): a Service is not a pod or workload; skipped\n",
        );
}

#[test]
fn json_is_one_object_for_one_input_and_an_array_for_several() {
    let one = util::bin()
        .args(["explain", "-o", "json", "pod/legacy-optout", "-f"])
        .arg(case("namespace-wide-per-pod-opt-out"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(v["kind"], "Pod");
    assert_eq!(v["namespace"], "web");
    assert_eq!(v["name"], "legacy-optout");
    assert_eq!(v["inject"], false);
    assert_eq!(v["decidedBy"], "pod-annotation");
    assert_eq!(
        v["reason"],
        "annotation sidecar.istio.io/inject=\"false\" opts the pod out"
    );
    let rules: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "webhook",
            "host-network",
            "ignored-namespace",
            "pod-label",
            "pod-annotation"
        ]
    );

    let many = util::bin()
        .args(["explain", "-o", "json", "-f"])
        .arg(case("namespace-wide-per-pod-opt-out"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&many.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["productpage", "batch", "legacy-optout"]);

    let yaml = util::bin()
        .args(["explain", "-o", "yaml", "-f"])
        .arg(case("namespace-wide-per-pod-opt-out"))
        .output()
        .unwrap();
    let y: Value = serde_yaml::from_slice(&yaml.stdout).unwrap();
    assert_eq!(y, v);
}

#[test]
fn explain_reads_namespace_config_and_webhooks_from_the_input() {
    // The ConfigMap in the case is the config; it is context, not an object to explain.
    let out = util::bin()
        .args(["explain", "-o", "json", "-f"])
        .arg(case("never-inject-build-pods"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let build = &v.as_array().unwrap()[1];
    assert_eq!(build["decidedBy"], "never-inject-selector");
    assert_eq!(
        build["reason"],
        "neverInjectSelector[0] (openshift.io/build.name) matches the pod labels"
    );
    assert_eq!(build["findings"][0]["code"], "offline-inject-differs");
}

#[test]
fn managed_mode_uses_its_own_rules() {
    let out = util::bin()
        .args([
            "explain",
            "-o",
            "json",
            "pod/plain-app",
            "--mode",
            "managed",
            "-f",
        ])
        .arg(case("managed-include-opt-out"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decidedBy"], "namespace-condition");
    assert_eq!(v["steps"][0]["rule"], "protected-namespace");
    // The input does not hold namespace plain: its labels were assumed, and the hint says so.
    assert_eq!(v["facts"][0]["fact"], "namespace plain labels");
    assert_eq!(v["facts"][0]["assumed"], true);
    assert_eq!(
        v["hint"],
        "if namespace plain really has no injection label (its labels were not read; give them with --namespace-labels, a Namespace in -f, or read them from the cluster): run `kubectl label namespace plain istio-injection=enabled`"
    );
}

#[test]
fn errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let svc = dir.path().join("svc.yaml");
    std::fs::write(&svc, "kind: Service\nmetadata: {name: s}\n").unwrap();
    let rows: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["-f".into(), svc.display().to_string()],
            "error: the input holds no pod or workload to explain\n\nhint: supported kinds:",
        ),
        (
            vec![
                "-f".into(),
                case("per-pod-opt-in").display().to_string(),
                "deploy/nope".into(),
            ],
            "error: deploy/nope is not in the input\n\nhint: the input holds: pod/opted-in, pod/plain, pod/annotated-only, deployment/misplaced\n",
        ),
        (
            vec![
                "-f".into(),
                case("per-pod-opt-in").display().to_string(),
                "ns/web".into(),
            ],
            "error: ns/web: namespaces can only be checked against a cluster\n",
        ),
        (
            // Live mode with an unreadable kubeconfig: a clear error, never a fake answer.
            vec![
                "pod/x".into(),
                "--kubeconfig".into(),
                dir.path().join("missing").display().to_string(),
            ],
            "error: connecting to the cluster\n  Caused by: cannot load the kubeconfig:",
        ),
        (vec![], "error: nothing to explain\n"),
    ];
    for (args, want) in rows {
        let out = util::bin().arg("explain").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
        assert!(stderr.starts_with(want), "{args:?}:\n{stderr}");
    }
}
