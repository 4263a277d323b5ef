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
            "error: deployment/nope is not in the input\n\nhint: the input holds: pod/opted-in, pod/plain, pod/annotated-only, deployment/misplaced\n",
        ),
        (
            vec![
                "-f".into(),
                case("per-pod-opt-in").display().to_string(),
                "ns/web".into(),
            ],
            "error: namespace web is not in the input\n",
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

/// Every step names the field it read, at the place each kind keeps its pod template.
#[test]
fn steps_name_the_field_read_for_every_workload_kind() {
    let kinds = [
        ("v1", "Pod", ""),
        ("apps/v1", "Deployment", "spec.template."),
        ("apps/v1", "StatefulSet", "spec.template."),
        ("apps/v1", "DaemonSet", "spec.template."),
        ("apps/v1", "ReplicaSet", "spec.template."),
        ("v1", "ReplicationController", "spec.template."),
        ("batch/v1", "Job", "spec.template."),
        ("batch/v1", "CronJob", "spec.jobTemplate.spec.template."),
        ("apps.openshift.io/v1", "DeploymentConfig", "spec.template."),
    ];
    let mut input = String::new();
    for (api, kind, _) in kinds {
        let pod = "{metadata: {labels: {app: x}}, spec: {containers: [{name: app, image: x}]}}";
        let body = match kind {
            "Pod" => "spec: {containers: [{name: app, image: x}]}".to_string(),
            "CronJob" => format!("spec: {{jobTemplate: {{spec: {{template: {pod}}}}}}}"),
            _ => format!("spec: {{template: {pod}}}"),
        };
        input.push_str(&format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: w}}\n{body}\n---\n"
        ));
    }
    let out = util::bin()
        .args([
            "explain",
            "-n",
            "web",
            "--namespace-labels",
            "istio-injection=enabled",
            "-o",
            "json",
            "-f",
            "-",
        ])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v.as_array().expect("an array for several objects");
    assert_eq!(items.len(), kinds.len());
    for (item, (_, kind, prefix)) in items.iter().zip(kinds) {
        assert_eq!(item["kind"], kind);
        let field = |rule: &str| {
            item["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["rule"] == rule)
                .map(|s| s["field"].as_str().unwrap_or("").to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            field("pod-label"),
            format!("{prefix}metadata.labels[\"sidecar.istio.io/inject\"]"),
            "{kind}"
        );
        assert_eq!(
            field("pod-annotation"),
            format!("{prefix}metadata.annotations[\"sidecar.istio.io/inject\"]"),
            "{kind}"
        );
        assert_eq!(
            field("host-network"),
            format!("{prefix}spec.hostNetwork"),
            "{kind}"
        );
        assert_eq!(
            field("webhook"),
            format!("namespace web labels; {prefix}metadata.labels"),
            "{kind}"
        );
    }
}

/// The opt-in written on a CronJob's job template (or its own metadata) is found at both
/// levels, with the right path to move it to.
#[test]
fn cronjob_opt_in_in_the_wrong_place_at_either_level() {
    for (level, path) in [
        ("metadata", "metadata.labels"),
        ("jobTemplate", "spec.jobTemplate.metadata.labels"),
    ] {
        let meta = if level == "metadata" {
            "metadata: {name: c, labels: {sidecar.istio.io/inject: \"true\"}}\nspec: {jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: x}]}}}}}"
        } else {
            "metadata: {name: c}\nspec: {jobTemplate: {metadata: {labels: {sidecar.istio.io/inject: \"true\"}}, spec: {template: {spec: {containers: [{name: a, image: x}]}}}}}"
        };
        let out = util::bin()
            .args(["explain", "-n", "web", "-f", "-"])
            .write_stdin(format!("apiVersion: batch/v1\nkind: CronJob\n{meta}\n"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!(
                "  note: [KI104] sidecar.istio.io/inject=true is a label at {path}, which the webhook never sees (it reads the pod's own metadata): move it to spec.jobTemplate.spec.template.metadata.labels\n"
            )),
            "{level}: {text}"
        );
        assert!(
            text.ends_with(&format!(
                "  hint: move `sidecar.istio.io/inject: \"true\"` from the CronJob's {path} to spec.jobTemplate.spec.template.metadata.labels\n"
            )),
            "{level}: {text}"
        );
    }
}
