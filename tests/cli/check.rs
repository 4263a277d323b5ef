//! Tests of `check`; see main.rs. Also the policy corpus (`testdata/policy/`, see its README).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{golden, util};

/// One expectation of a corpus case header: `NAME=inject@RULE`.
struct Expected {
    name: String,
    inject: bool,
    rule: String,
}

struct Header {
    args: Vec<String>,
    expect: Vec<Expected>,
}

fn header(case: &Path, text: &str) -> Header {
    let mut args = Vec::new();
    let mut expect = Vec::new();
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        if let Some(rest) = line.strip_prefix("# args:") {
            args.extend(rest.split_whitespace().map(String::from));
        } else if let Some(rest) = line.strip_prefix("# expect:") {
            for item in rest.split_whitespace() {
                let (name, verdict) = item
                    .split_once('=')
                    .unwrap_or_else(|| panic!("{}: bad expectation {item:?}", case.display()));
                let (answer, rule) = verdict
                    .split_once('@')
                    .unwrap_or_else(|| panic!("{}: bad expectation {item:?}", case.display()));
                let inject = match answer {
                    "inject" => true,
                    "skip" => false,
                    other => panic!("{}: {other:?} is not inject or skip", case.display()),
                };
                expect.push(Expected {
                    name: name.to_string(),
                    inject,
                    rule: rule.to_string(),
                });
            }
        }
    }
    assert!(
        !expect.is_empty(),
        "{}: no `# expect:` header",
        case.display()
    );
    Header { args, expect }
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(util::testdata("policy"))
        .expect("testdata/policy exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    cases
}

/// Every case: the header's answers and rules hold, and the whole JSON matches the golden.
#[test]
fn policy_corpus() {
    let cases = cases();
    assert!(cases.len() >= 15, "the corpus shrank: {}", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let text = util::read(case);
        let h = header(case, &text);
        let mut args = h.args.clone();
        if args.iter().any(|a| a.contains("{shared}")) {
            let Some(shared) = util::shared_part(&format!("policy_corpus ({})", case.display()))
            else {
                continue;
            };
            let shared = shared.display().to_string();
            for a in &mut args {
                *a = a.replace("{shared}", &shared);
            }
        }
        let file = case
            .file_name()
            .and_then(|f| f.to_str())
            .expect("utf-8 name");
        let out = util::bin()
            .current_dir(util::testdata("policy"))
            .args(["check", "-f", file, "-o", "json"])
            .args(&args)
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        if !out.status.success() {
            failures.push(format!(
                "{file}: exit {:?}\n{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let json: Value = serde_json::from_str(&stdout).expect("check -o json prints JSON");
        let items = json["items"].as_array().cloned().unwrap_or_default();
        for item in &items {
            let name = item["name"].as_str().unwrap_or("");
            let Some(want) = h.expect.iter().find(|e| e.name == name) else {
                failures.push(format!("{file}: {name} is not in the `# expect:` header"));
                continue;
            };
            let got = (item["inject"].as_bool(), item["decidedBy"].as_str());
            if got != (Some(want.inject), Some(want.rule.as_str())) {
                failures.push(format!(
                    "{file}: {name}: expected inject={} by {}, got inject={:?} by {:?}: {}",
                    want.inject, want.rule, got.0, got.1, item["reason"]
                ));
            }
        }
        for want in &h.expect {
            if !items.iter().any(|i| i["name"] == want.name.as_str()) {
                failures.push(format!("{file}: expected object {} is missing", want.name));
            }
        }
        if let Err(diff) = golden::check_file(&case.with_extension("json"), &stdout) {
            failures.push(format!("{file}: {diff}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn sample() -> PathBuf {
    util::testdata("policy/namespace-wide-per-pod-opt-out.yaml")
}

#[test]
fn table_is_kubectl_style() {
    util::bin()
        .arg("check")
        .arg("-f")
        .arg(sample())
        .assert()
        .code(0)
        .stdout(
            "NAMESPACE   KIND         NAME            INJECT   RULE\n\
             web         Deployment   productpage     yes      policy\n\
             web         Deployment   batch           no       webhook\n\
             web         Pod          legacy-optout   no       pod-annotation\n",
        )
        // The Service is skipped silently by check.
        .stderr("");
}

#[test]
fn wide_table_adds_the_reason() {
    let out = util::bin()
        .args(["check", "-o", "wide", "-f"])
        .arg(sample())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].ends_with("RULE             REASON"),
        "{}",
        lines[0]
    );
    assert!(
        lines[3].ends_with(
            "pod-annotation   annotation sidecar.istio.io/inject=\"false\" opts the pod out"
        ),
        "{}",
        lines[3]
    );
}

#[test]
fn output_name_is_kind_group_slash_name() {
    util::bin()
        .args(["check", "-o", "name", "-f"])
        .arg(sample())
        .assert()
        .code(0)
        .stdout("deployment.apps/productpage\ndeployment.apps/batch\npod/legacy-optout\n");
}

#[test]
fn json_and_yaml_carry_the_same_items() {
    let json = util::bin()
        .args(["check", "-o", "json", "-f"])
        .arg(sample())
        .output()
        .unwrap();
    let yaml = util::bin()
        .args(["check", "-o", "yaml", "-f"])
        .arg(sample())
        .output()
        .unwrap();
    let j: Value = serde_json::from_slice(&json.stdout).unwrap();
    let y: Value = serde_yaml::from_slice(&yaml.stdout).unwrap();
    assert_eq!(j, y);
    let items = j["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        for key in [
            "kind",
            "namespace",
            "name",
            "inject",
            "decidedBy",
            "reason",
            "steps",
        ] {
            assert!(item.get(key).is_some(), "{key} missing in {item}");
        }
        let decided: Vec<&Value> = item["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["decided"] == true)
            .collect();
        assert_eq!(decided.len(), 1);
        assert_eq!(decided[0]["rule"], item["decidedBy"]);
    }
}

#[test]
fn expect_exit_codes() {
    // All three in the sample: one injected, two not.
    util::bin()
        .args(["check", "--expect", "inject", "-l", "app=productpage", "-f"])
        .arg(sample())
        .assert()
        .code(0);
    let out = util::bin()
        .args(["check", "--expect", "inject", "-f"])
        .arg(sample())
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(
        stderr.starts_with("expected inject: 2 of 3 objects differ\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  Deployment web/batch: skipped by webhook: pod label sidecar.istio.io/inject=false prevents the call"),
        "{stderr}"
    );
    util::bin()
        .args([
            "check",
            "--expect",
            "skip",
            "-o",
            "name",
            "deploy/batch",
            "pod/legacy-optout",
            "-f",
        ])
        .arg(sample())
        .assert()
        .code(0)
        .stdout("deployment.apps/batch\npod/legacy-optout\n");
    util::bin()
        .args(["check", "--expect", "skip", "-f"])
        .arg(sample())
        .assert()
        .code(1);
}

#[test]
fn label_selector_filters_pods() {
    util::bin()
        .args([
            "check",
            "-o",
            "name",
            "-l",
            "app in (batch, productpage),sidecar.istio.io/inject!=false",
            "-f",
        ])
        .arg(sample())
        .assert()
        .code(0)
        .stdout("deployment.apps/productpage\n");
}

#[test]
fn nothing_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("svc.yaml");
    std::fs::write(&f, "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n").unwrap();
    util::bin()
        .arg("check")
        .arg("-f")
        .arg(&f)
        .assert()
        .code(0)
        .stdout("")
        .stderr("No resources found.\n");
    util::bin()
        .args(["check", "-o", "json", "-f"])
        .arg(&f)
        .assert()
        .code(0)
        .stdout("{\n  \"items\": []\n}\n");
    util::bin()
        .args(["check", "--expect", "inject", "-o", "json", "-f"])
        .arg(&f)
        .assert()
        .code(1);
}

#[test]
fn errors_exit_2_and_print_nothing_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let bad_yaml = dir.path().join("bad.yaml");
    std::fs::write(&bad_yaml, "kind: Pod\nmetadata: {name: a}\n---\nkind: [\n").unwrap();
    let bad_label = dir.path().join("label.yaml");
    std::fs::write(
        &bad_label,
        "kind: Deployment\nmetadata: {name: d, namespace: web}\nspec:\n  template:\n    metadata:\n      labels: {sidecar.istio.io/inject: true}\n",
    )
    .unwrap();
    let bad_op = dir.path().join("cfg.yaml");
    std::fs::write(
        &bad_op,
        "policy: enabled\nalwaysInjectSelector:\n- matchExpressions:\n  - {key: app, operator: Equals, values: [x]}\n",
    )
    .unwrap();
    let bad_mwc = dir.path().join("mwc.yaml");
    std::fs::write(
        &bad_mwc,
        "kind: MutatingWebhookConfiguration\nmetadata: {name: m}\nwebhooks:\n- name: a.sidecar-injector.istio.io\n  namespaceSelector:\n    matchExpressions:\n    - {key: istio-injection, operator: In}\n",
    )
    .unwrap();
    let not_config = sample();
    let rows: Vec<(Vec<String>, String)> = vec![
        (
            vec!["-f".into(), bad_yaml.display().to_string()],
            format!("error: {}: document 2: invalid YAML", bad_yaml.display()),
        ),
        (
            vec!["-f".into(), bad_label.display().to_string()],
            format!(
                "error: {}: document 1 (Deployment web/d): spec.template.metadata.labels.sidecar.istio.io/inject: values must be strings, got true (quote it: \"true\")\n",
                bad_label.display()
            ),
        ),
        (
            vec!["-f".into(), sample().display().to_string(), "--config".into(), bad_op.display().to_string()],
            format!(
                "error: {}: alwaysInjectSelector[0].matchExpressions[0].operator: \"Equals\" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)\n",
                bad_op.display()
            ),
        ),
        (
            vec!["-f".into(), sample().display().to_string(), "--webhook".into(), bad_mwc.display().to_string()],
            format!(
                "error: {}: document 1 (MutatingWebhookConfiguration m): webhooks[0].namespaceSelector.matchExpressions[0].values: must be specified when `operator` is In\n",
                bad_mwc.display()
            ),
        ),
        (
            vec!["-f".into(), sample().display().to_string(), "--config".into(), not_config.display().to_string()],
            format!("error: {}: not an injector configuration", not_config.display()),
        ),
        (
            vec!["-f".into(), sample().display().to_string(), "--webhook".into(), not_config.display().to_string()],
            format!("error: {}: document 1 (Namespace web)", not_config.display()).replace(" (Namespace web)", ": a Namespace is not a MutatingWebhookConfiguration"),
        ),
        (
            vec!["-f".into(), sample().display().to_string(), "-l".into(), "app in (a".into()],
            "error: --selector: unbalanced '(' in \"app in (a\"\n".into(),
        ),
        (
            vec!["-f".into(), sample().display().to_string(), "--namespace-labels".into(), "istio-injection".into()],
            "error: --namespace-labels\n  Caused by: \"istio-injection\" is not of the form key=value\n".into(),
        ),
        (
            vec!["-f".into(), sample().display().to_string(), "svc/productpage".into()],
            "error: unknown resource type \"svc\"\n".into(),
        ),
        (
            vec![
                "deploy/web".into(),
                "--kubeconfig".into(),
                "/nonexistent/kubeconfig".into(),
            ],
            "error: connecting to the cluster\n  Caused by: cannot load the kubeconfig:".into(),
        ),
    ];
    for (args, want) in rows {
        let out = util::bin().arg("check").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: stdout not empty");
        assert!(
            stderr.starts_with(&want),
            "{args:?}:\n{stderr}\nwanted prefix:\n{want}"
        );
    }
}

/// istioctl's check-inject fixtures, read in place: a pod labelled for revision 1-16 in an
/// unlabelled namespace is served by the 1-16 MWC only, and the JSON names that revision.
#[test]
fn real_check_inject_webhooks_name_the_revision() {
    let Some(shared) = util::shared("real_check_inject_webhooks_name_the_revision") else {
        return;
    };
    let dir = shared.join(
        "istio-testdata/istio-1.32-dev-86c9f01f/istioctl/pkg/checkinject/testdata/check-inject",
    );
    let tmp = tempfile::tempdir().unwrap();
    let pod = tmp.path().join("pod.yaml");
    std::fs::write(
        &pod,
        "kind: Pod\nmetadata: {name: p, namespace: apps, labels: {istio.io/rev: 1-16}}\n",
    )
    .unwrap();
    let out = util::bin()
        .args(["check", "-o", "json", "-f"])
        .arg(&pod)
        .arg("--webhook")
        .arg(dir.join("default-injector.yaml"))
        .arg("--webhook")
        .arg(dir.join("rev-16-injector.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    let item = &j["items"][0];
    assert_eq!(item["inject"], true);
    assert_eq!(item["revision"], "1-16");
    let step = item["steps"][0]["detail"].as_str().unwrap();
    assert!(
        step.starts_with("rev.object.sidecar-injector.istio.io of istio-sidecar-injector-1-16 (revision 1-16) calls the injector"),
        "{step}"
    );
}

/// kubectl's resource argument forms select the same objects, and `-o name` output is
/// valid input again.
#[test]
fn resource_arguments_in_kubectl_forms_and_o_name_round_trips() {
    let names = |args: &[&str]| -> Vec<String> {
        let out = util::bin()
            .arg("check")
            .args(args)
            .args(["-o", "name", "-f"])
            .arg(util::testdata("policy/workload-kinds.yaml"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let all = names(&[]);
    assert!(all.len() >= 9, "{all:?}");
    // Every -o name line is accepted back, as TYPE.GROUP/NAME, and names itself.
    for line in &all {
        assert_eq!(&names(&[line.as_str()]), &vec![line.clone()], "{line}");
    }
    assert_eq!(names(&["deploy", "deploy"]), ["deployment.apps/deploy"]);
    assert_eq!(
        names(&["deployments.apps/deploy"]),
        ["deployment.apps/deploy"]
    );
    assert_eq!(
        names(&["sts,ds"]),
        ["statefulset.apps/sts", "daemonset.apps/ds"]
    );
    // ns/NAME keeps that namespace's objects (those without one are in `default`).
    assert_eq!(names(&["ns/default"]), all);
    let out = util::bin()
        .args(["check", "deploy", "deploy/x", "-f"])
        .arg(util::testdata("policy/workload-kinds.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with(
            "error: there is no need to give a resource type as a separate argument when passing arguments in TYPE/NAME form (\"deploy\")"
        )
    );
}
