//! `kubectl inject test`: the shipped example suites pass; a wrong decision and a changed
//! golden fail (exit 1, with a unified diff); invalid suites are exit 2 naming file and
//! field; `--update-golden` rewrites deliberately; JUnit output is valid against the JUnit
//! XML schema (libxml2's `xmllint --schema` against testdata/schemas/junit-10.xsd) and reads
//! back with roxmltree.

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util;

fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = util::bin()
        .current_dir(dir)
        .arg("test")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of `examples/<name>` in a fresh temporary directory.
fn copy_example(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join(name);
    copy_dir(&util::root().join("examples").join(name), &dst);
    (tmp, dst)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

const SUITE_HEAD: &str =
    "apiVersion: kubectl-inject.io/v1alpha1\nkind: Test\nresources: [app.yaml]\n";

const APP: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n  labels: {istio-injection: enabled}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: front\n  namespace: web\nspec:\n  selector: {matchLabels: {app: front}}\n  template:\n    metadata:\n      labels: {app: front}\n    spec:\n      containers:\n      - {name: front, image: nginx}\n";

/// A suite directory with `app.yaml` and the given suite text.
fn suite_dir(suite: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("app.yaml"), APP).unwrap();
    std::fs::write(tmp.path().join("kubectl-inject-test.yaml"), suite).unwrap();
    tmp
}

#[test]
fn the_example_suites_pass() {
    let (code, stdout, stderr) = run_in(&util::root(), &["examples"]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("SUITE       TEST                            RESULT   REASON\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("revisions   Job payments/settle             pass"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\nSummary: 8 passed, 0 failed\n"),
        "{stdout}"
    );
    assert_eq!(stderr, "", "nothing updated, nothing warned");
}

#[test]
fn a_wrong_decision_fails_with_exit_1_and_says_what_differs() {
    let tmp = suite_dir(&format!(
        "{SUITE_HEAD}results:\n- {{kind: Deployment, name: front, inject: false}}\n- {{kind: Deployment, name: front, namespace: web, inject: true, decidedBy: webhook}}\n- {{kind: Deployment, name: missing, inject: true}}\n"
    ));
    let (code, stdout, stderr) = run_in(tmp.path(), &[]);
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let name = tmp.path().file_name().unwrap().to_str().unwrap();
    let rows: Vec<&str> = stdout.lines().skip(1).take(3).collect();
    assert!(
        rows[0].starts_with(name),
        "the suite is named after its directory: {stdout}"
    );
    assert!(
        rows[0].contains(
            "Deployment web/front   fail     inject: expected false, got true (decided by policy: "
        ),
        "{stdout}"
    );
    assert!(
        rows[1].contains("fail     decidedBy: expected webhook, got policy ("),
        "{stdout}"
    );
    assert!(
        rows[2].contains("Deployment */missing   fail     not found in the resources"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\nSummary: 0 passed, 3 failed\n"),
        "{stdout}"
    );
}

#[test]
fn a_changed_golden_fails_with_a_unified_diff_until_updated() {
    let (_tmp, dir) = copy_example("shop");
    let golden = dir.join("golden/web.yaml");
    let good = std::fs::read_to_string(&golden).unwrap();
    let bad = good.replacen("- image: nginx:1.27", "- image: nginx:1.25", 1);
    assert_ne!(good, bad);
    std::fs::write(&golden, &bad).unwrap();

    let (code, stdout, _) = run_in(&dir, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.contains("Deployment shop/web"))
        .unwrap();
    assert!(row.starts_with("shop "), "{row}");
    assert!(
        row.ends_with(" fail     injected: the render differs from ./golden/web.yaml (see the diff; --update-golden rewrites it)"),
        "{row}"
    );
    assert!(
        stdout.contains(
            "\n--- Deployment shop/web (shop):\n--- ./golden/web.yaml\n+++ rendered\n@@ "
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("\n-      - image: nginx:1.25\n+      - image: nginx:1.27\n"),
        "{stdout}"
    );

    // JSON carries the same diff.
    let (_, stdout, _) = run_in(&dir, &["-o", "json"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["failed"], 1);
    let web = &v["suites"][0]["tests"][0];
    assert_eq!(web["name"], "Deployment shop/web");
    assert_eq!(web["passed"], false);
    assert!(
        web["diff"]
            .as_str()
            .unwrap()
            .contains("+      - image: nginx:1.27\n")
    );

    // --update-golden rewrites it, says so, and passes; then there is nothing to update.
    let (code, _, stderr) = run_in(&dir, &["--update-golden"]);
    assert_eq!(code, Some(0));
    assert_eq!(stderr, "updated golden ./golden/web.yaml\n");
    assert_eq!(
        std::fs::read_to_string(&golden).unwrap(),
        good,
        "byte for byte"
    );
    let (code, _, stderr) = run_in(&dir, &["--update-golden"]);
    assert_eq!((code, stderr.as_str()), (Some(0), ""));
}

#[test]
fn a_missing_golden_fails_until_written() {
    let tmp = suite_dir(&format!(
        "{SUITE_HEAD}results:\n- {{kind: Deployment, name: front, inject: true, injected: front.golden.yaml}}\n"
    ));
    let (code, stdout, _) = run_in(tmp.path(), &[]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("injected: golden file ./front.golden.yaml does not exist (write it with --update-golden)"), "{stdout}");
    let (code, _, stderr) = run_in(tmp.path(), &["--update-golden"]);
    assert_eq!(
        (code, stderr.as_str()),
        (Some(0), "updated golden ./front.golden.yaml\n")
    );
    let written = std::fs::read_to_string(tmp.path().join("front.golden.yaml")).unwrap();
    assert!(written.contains("name: istio-proxy"), "{written}");
}

#[test]
fn invalid_suites_are_exit_2_naming_file_and_field() {
    let cases: &[(&str, &str)] = &[
        (
            "apiVersion: kubectl-inject.io/v1alpha1\nkind: Test\nresources: [app.yaml]\nresults:\n- {kind: Deployment, name: front, injct: true}\n",
            "kubectl-inject-test.yaml: results[0]: unknown field `injct`",
        ),
        (
            "apiVersion: v1\nkind: Test\nresources: [app.yaml]\nresults:\n- {kind: Deployment, name: front, inject: true}\n",
            "kubectl-inject-test.yaml: apiVersion: \"v1\": expected kubectl-inject.io/v1alpha1",
        ),
        (
            "apiVersion: kubectl-inject.io/v1alpha1\nkind: Test\nresources: [app.yaml, nothere.yaml]\nresults:\n- {kind: Deployment, name: front, inject: true}\n",
            "kubectl-inject-test.yaml: resources[1]: ./nothere.yaml does not exist",
        ),
        (
            "apiVersion: kubectl-inject.io/v1alpha1\nkind: Test\nresources: [app.yaml]\nresults:\n- {kind: Deployment, name: front, inject: true, decidedBy: polcy}\n",
            "kubectl-inject-test.yaml: results[0].decidedBy: unknown rule \"polcy\" (rules: webhook, host-network,",
        ),
        (
            "apiVersion: kubectl-inject.io/v1alpha1\nkind: Test\nresources: [app.yaml]\nresults:\n- {kind: Deployment, name: front, inject: true, findings: [KI110, KI999]}\n",
            "kubectl-inject-test.yaml: results[0].findings[1]: unknown code \"KI999\"",
        ),
        (
            "apiVersion: kubectl-inject.io/v1alpha1\nkind: Test\nresources: [app.yaml]\noptions: {mode: istioo}\nresults:\n- {kind: Deployment, name: front, inject: true}\n",
            "kubectl-inject-test.yaml: options.mode: unknown value \"istioo\" (one of: istio, managed)",
        ),
        (
            "apiVersion: kubectl-inject.io/v1alpha1\nkind: Test\nresources: [app.yaml]\nsuppress: [KI110, nonsense]\nresults:\n- {kind: Deployment, name: front, inject: true}\n",
            "kubectl-inject-test.yaml: suppress[1]: --suppress \"nonsense\": unknown code",
        ),
        (
            "apiVersion: kubectl-inject.io/v1alpha1\nkind: Test\nresources: [app.yaml]\nresults:\n- {kind: Service, name: front, inject: true}\n",
            "kubectl-inject-test.yaml: results[0].kind: \"Service\" is not a pod or workload kind",
        ),
        (
            "apiVersion: kubectl-inject.io/v1alpha1\nkind: Test\nresources: [app.yaml]\nresults:\n- {kind: Deployment, name: front, inject: yes please}\n",
            "kubectl-inject-test.yaml: results[0].inject: invalid type: string \"yes please\", expected a boolean",
        ),
    ];
    for (suite, want) in cases {
        let tmp = suite_dir(suite);
        let (code, stdout, stderr) = run_in(tmp.path(), &["."]);
        assert_eq!(code, Some(2), "{suite}\n{stderr}");
        assert_eq!(stdout, "", "nothing runs");
        let want = format!("error: ./{want}");
        assert!(
            stderr.starts_with(&want),
            "{suite}\nwanted: {want}\ngot: {stderr}"
        );
    }
    // No suite at all is an error too.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_in(empty.path(), &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("error: no kubectl-inject-test.yaml under ."),
        "{stderr}"
    );
}

#[test]
fn suites_are_found_recursively_and_hidden_directories_are_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let pass = format!("{SUITE_HEAD}results:\n- {{kind: Deployment, name: front, inject: true}}\n");
    for d in ["a", "b/c", ".hidden"] {
        let dir = tmp.path().join(d);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("app.yaml"), APP).unwrap();
        std::fs::write(dir.join("kubectl-inject-test.yaml"), &pass).unwrap();
    }
    let (code, stdout, _) = run_in(tmp.path(), &["-o", "json"]);
    assert_eq!(code, Some(0), "{stdout}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let files: Vec<&str> = v["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        vec![
            "./a/kubectl-inject-test.yaml",
            "./b/c/kubectl-inject-test.yaml"
        ]
    );
}

#[test]
fn junit_output_is_valid_against_the_junit_schema() {
    let tmp = suite_dir(&format!(
        "{SUITE_HEAD}metadata: {{name: \"web & <friends>\"}}\nresults:\n- {{kind: Deployment, name: front, inject: true}}\n- {{kind: Deployment, name: front, inject: false, decidedBy: webhook}}\n"
    ));
    let (code, stdout, stderr) = run_in(tmp.path(), &["-o", "junit"]);
    assert_eq!(code, Some(1), "{stderr}");
    let xml_path = tmp.path().join("junit.xml");
    std::fs::write(&xml_path, &stdout).unwrap();
    let schema = util::testdata("schemas/junit-10.xsd");
    match std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&schema)
        .arg(&xml_path)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "xmllint: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => util::skip_part(
            "junit_output_is_valid_against_the_junit_schema",
            &format!("xmllint (libxml2-utils, scripts/test-deps.sh) is not installed: {e}"),
        ),
    }
    let doc = roxmltree::Document::parse(&stdout).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        (root.attribute("tests"), root.attribute("failures")),
        (Some("2"), Some("1"))
    );
    let suite = root
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        suite.attribute("name"),
        Some("web & <friends>"),
        "escaped and read back"
    );
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    assert!(cases[0].children().all(|n| !n.has_tag_name("failure")));
    let failure = cases[1]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .starts_with("inject: expected false, got true (decided by policy: "),
        "{stdout}"
    );
    assert!(
        failure
            .text()
            .unwrap()
            .contains("decidedBy: expected webhook, got policy")
    );
}

#[test]
fn a_suite_suppresses_and_expects_findings() {
    let job = "---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: once, namespace: web}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: t, image: busybox}]\n";
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("app.yaml"), format!("{APP}{job}")).unwrap();
    let suite = |extra: &str, findings: &str| {
        format!(
            "{SUITE_HEAD}options: {{nativeSidecars: false}}\n{extra}results:\n- {{kind: Job, name: once, inject: true, findings: {findings}}}\n"
        )
    };
    let file = tmp.path().join("kubectl-inject-test.yaml");
    std::fs::write(&file, suite("", "[run-to-completion]")).unwrap();
    assert_eq!(run_in(tmp.path(), &[]).0, Some(0));
    std::fs::write(&file, suite("", "[]")).unwrap();
    let (code, stdout, _) = run_in(tmp.path(), &[]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("findings: expected [], got [KI110]"),
        "{stdout}"
    );
    std::fs::write(&file, suite("suppress: [KI110=web/once]\n", "[]")).unwrap();
    assert_eq!(run_in(tmp.path(), &[]).0, Some(0));
    // --suppress on the command line adds to the suite's.
    std::fs::write(&file, suite("", "[]")).unwrap();
    assert_eq!(run_in(tmp.path(), &["--suppress", "KI110"]).0, Some(0));
}
