//! Finding codes: the docs table against the code, the run-to-completion warning (KI110) in
//! `check`, `explain` and `inject`, `--suppress` by code and by object, and SARIF output
//! validated against the SARIF 2.1.0 JSON schema.

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util;

fn jobs() -> PathBuf {
    util::testdata("findings/jobs.yaml")
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = util::bin().args(args).output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The KI110 lines of stderr, each cut after the object.
fn ki110(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| l.contains("[KI110]"))
        .map(|l| {
            l.split(": a ")
                .next()
                .unwrap_or(l)
                .split(": the pod")
                .next()
                .unwrap_or(l)
                .to_string()
        })
        .collect()
}

const BEGIN: &str = "<!-- codes:begin -->\n";
const END: &str = "<!-- codes:end -->\n";

#[test]
fn findings_doc_table_is_generated_from_the_code() {
    let path = util::root().join("docs/findings.md");
    let text = util::read(&path);
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        panic!("docs/findings.md lacks the {BEGIN:?} / {END:?} markers");
    };
    let want = kubectl_inject::findings::markdown_table();
    let have = &text[b + BEGIN.len()..e];
    if have != want {
        if std::env::var_os("KUBECTL_INJECT_UPDATE_DOCS").is_some() {
            let new = format!("{}{BEGIN}{want}{}", &text[..b], &text[e..]);
            std::fs::write(&path, new).unwrap();
            return;
        }
        panic!(
            "docs/findings.md's table differs from src/findings/mod.rs: run `KUBECTL_INJECT_UPDATE_DOCS=1 cargo test --test cli findings_doc`"
        );
    }
}

#[test]
fn check_warns_about_run_to_completion_pods_with_classic_sidecars() {
    let f = jobs();
    let (code, stdout, stderr) = run(&["check", "-f", path(&f), "--native-sidecars", "false"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "NAMESPACE   KIND         NAME      INJECT   RULE\n\
         batch       Job          pi        yes      policy\n\
         batch       CronJob      nightly   yes      policy\n\
         batch       Pod          once      yes      policy\n\
         batch       Deployment   web       yes      policy\n"
    );
    assert_eq!(
        ki110(&stderr),
        vec![
            "warning: [KI110] Job batch/pi",
            "warning: [KI110] CronJob batch/nightly",
            "warning: [KI110] Pod batch/once",
        ],
        "{stderr}"
    );
    assert!(stderr.contains("warning: [KI110] Job batch/pi: a Job's pods run to completion, but istio-proxy would be a classic sidecar in spec.containers (native sidecars are off: --native-sidecars false): it keeps running after the other containers exit, so the pod never completes."), "{stderr}");
    assert!(
        stderr.contains(
            "[KI110] Pod batch/once: the pod runs to completion (spec.restartPolicy: Never)"
        ),
        "{stderr}"
    );

    // JSON carries the code and severity on the finding.
    let (_, stdout, _) = run(&[
        "check",
        "-f",
        path(&f),
        "--native-sidecars",
        "false",
        "-o",
        "json",
    ]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let job = &v["items"][0];
    assert_eq!(job["findings"][0]["code"], "run-to-completion");
    assert_eq!(job["findings"][0]["kiCode"], "KI110");
    assert_eq!(job["findings"][0]["severity"], "warning");
    assert_eq!(
        v["items"][3]["findings"],
        serde_json::json!([]),
        "the Deployment has none"
    );

    // Native sidecars (assumed, as inject renders by default): nothing to warn about.
    let (code, _, stderr) = run(&["check", "-f", path(&f)]);
    assert_eq!(code, Some(0));
    assert!(ki110(&stderr).is_empty(), "{stderr}");
}

#[test]
fn explain_says_why_a_job_would_never_complete() {
    let f = jobs();
    let (code, stdout, stderr) = run(&[
        "explain",
        "-f",
        path(&f),
        "cronjob/nightly",
        "--native-sidecars",
        "false",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("  note: [KI110] a CronJob's pods run to completion, but istio-proxy would be a classic sidecar"),
        "{stdout}"
    );
    // The remedies are in the note.
    for remedy in [
        "sidecar.istio.io/nativeSidecar: \"true\"",
        "sidecar.istio.io/inject: \"false\"",
        "http://localhost:15020/quitquitquit",
    ] {
        assert!(stdout.contains(remedy), "{remedy}: {stdout}");
    }
    let (_, stdout, _) = run(&[
        "explain",
        "-f",
        path(&f),
        "deploy/web",
        "--native-sidecars",
        "false",
    ]);
    assert!(!stdout.contains("KI110"), "{stdout}");
}

#[test]
fn inject_warns_about_jobs_it_gives_a_classic_sidecar() {
    let f = jobs();
    let (code, stdout, stderr) = run(&["inject", "-f", path(&f), "--native-sidecars", "false"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("name: istio-proxy"), "it injected");
    let file = path(&f);
    assert_eq!(
        ki110(&stderr),
        vec![
            format!("warning: {file}: document 2: [KI110] Job batch/pi"),
            format!("warning: {file}: document 3: [KI110] CronJob batch/nightly"),
            format!("warning: {file}: document 4: [KI110] Pod batch/once"),
        ],
        "{stderr}"
    );
    assert!(
        stderr.contains("(native sidecars are off: inject renders with --native-sidecars false)"),
        "{stderr}"
    );
    // Native sidecars (the default): the proxy is an init container, nothing to say.
    let (code, _, stderr) = run(&["inject", "-f", path(&f)]);
    assert_eq!(code, Some(0));
    assert!(ki110(&stderr).is_empty(), "{stderr}");
    // The annotation opts a pod in to native sidecars, whatever the flag says.
    let annotated = util::read(&f).replace(
        "  name: once\n  namespace: batch\n",
        "  name: once\n  namespace: batch\n  annotations: {sidecar.istio.io/nativeSidecar: \"true\"}\n",
    );
    let out = util::bin()
        .args(["inject", "-f", "-", "--native-sidecars", "false"])
        .write_stdin(annotated)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(ki110(&stderr).len(), 2, "{stderr}");
    assert!(!stderr.contains("Pod batch/once"), "{stderr}");
}

#[test]
fn suppress_by_code_by_name_and_by_object() {
    let f = jobs();
    let base = ["check", "-f", path(&f), "--native-sidecars", "false"];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        let (code, _, stderr) = run(&a);
        assert_eq!(code, Some(0), "{stderr}");
        ki110(&stderr)
    };
    assert!(with(&["--suppress", "KI110"]).is_empty());
    assert!(with(&["-S", "run-to-completion"]).is_empty());
    assert_eq!(
        with(&["--suppress", "KI110=batch/pi"]),
        vec![
            "warning: [KI110] CronJob batch/nightly",
            "warning: [KI110] Pod batch/once"
        ]
    );
    assert_eq!(
        with(&[
            "--suppress",
            "KI110=nightly",
            "--suppress",
            "ki110=batch/o*"
        ]),
        vec!["warning: [KI110] Job batch/pi"]
    );
    assert_eq!(
        with(&["--suppress", "KI110=web/pi"]).len(),
        3,
        "another namespace"
    );
    assert_eq!(with(&["--suppress", "KI101"]).len(), 3, "another code");

    // Suppressed findings are gone from JSON too.
    let (_, stdout, _) = run(&[
        "check",
        "-f",
        path(&f),
        "--native-sidecars",
        "false",
        "-S",
        "KI110=batch/pi",
        "-o",
        "json",
    ]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["items"][0]["findings"], serde_json::json!([]));
    assert_eq!(v["items"][1]["findings"][0]["kiCode"], "KI110");

    // explain and inject take the same flag.
    let (_, stdout, _) = run(&[
        "explain",
        "-f",
        path(&f),
        "job/pi",
        "--native-sidecars",
        "false",
        "-S",
        "KI110",
    ]);
    assert!(!stdout.contains("KI110"), "{stdout}");
    let (_, _, stderr) = run(&[
        "inject",
        "-f",
        path(&f),
        "--native-sidecars",
        "false",
        "-S",
        "KI110=batch/pi",
    ]);
    assert_eq!(ki110(&stderr).len(), 2, "{stderr}");

    // A code that does not exist is a usage error.
    let (code, _, stderr) = run(&["check", "-f", path(&f), "--suppress", "KI999"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("error: --suppress \"KI999\": unknown code (codes are KI101… or their names, see docs/findings.md)"),
        "{stderr}"
    );
}

fn sarif_schema() -> jsonschema::Validator {
    // rtm.5's `run.language` pattern has a stray `]` (`…{2}]?$`) that ECMA-262 reads as a
    // literal and Rust's regex refuses; the intended form is put in its place. Our output
    // has no `language`, so this changes nothing that is checked.
    let text = util::read(&util::testdata("schemas/sarif-2.1.0-rtm.5.json"));
    let broken = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
    assert!(text.contains(broken), "the schema's known defect moved");
    let text = text.replace(broken, r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#);
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

pub(crate) fn assert_valid_sarif(text: &str) -> Value {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON ({e}): {text}"));
    let validator = sarif_schema();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
    v
}

#[test]
fn check_sarif_is_valid_and_points_at_file_and_line() {
    let f = jobs();
    let (code, stdout, stderr) = run(&[
        "check",
        "-f",
        path(&f),
        "--native-sidecars",
        "false",
        "-o",
        "sarif",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let v = assert_valid_sarif(&stdout);
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    let located: Vec<(String, String, u64)> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                loc["logicalLocations"][0]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                loc["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    // Each document's first line of content (after the separator; the file's comment skipped).
    assert_eq!(
        located,
        vec![
            ("KI110".to_string(), "Job batch/pi".to_string(), 9),
            ("KI110".to_string(), "CronJob batch/nightly".to_string(), 23),
            ("KI110".to_string(), "Pod batch/once".to_string(), 39),
        ]
    );
    let uri = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("testdata/findings/jobs.yaml"), "{uri}");
    assert_eq!(results[0]["level"], "warning");
    // Every code is a rule; each result's ruleIndex names its rule.
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), kubectl_inject::findings::CODES.len());
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }

    // A clean run is valid SARIF with no results; a suppressed finding is not reported.
    let (_, stdout, _) = run(&["check", "-f", path(&f), "-o", "sarif"]);
    assert_eq!(
        assert_valid_sarif(&stdout)["runs"][0]["results"],
        serde_json::json!([])
    );
    let (_, stdout, _) = run(&[
        "check",
        "-f",
        path(&f),
        "--native-sidecars",
        "false",
        "-S",
        "KI110",
        "-o",
        "sarif",
    ]);
    assert_eq!(
        assert_valid_sarif(&stdout)["runs"][0]["results"],
        serde_json::json!([])
    );
}

#[test]
fn inject_says_where_it_differs_from_the_webhook_and_respect_policy_follows_it() {
    let sample = util::testdata("sample/app.yaml");
    let (code, stdout, stderr) = run(&["inject", "-f", path(&sample)]);
    assert_eq!(code, Some(0), "{stderr}");
    let file = path(&sample);
    assert!(
        stderr.contains(&format!("warning: {file}: document 3: [KI106] CronJob shop/report: injected as `istioctl kube-inject` does, but the webhook would not inject it (decided by webhook: ")),
        "{stderr}"
    );
    assert!(stderr.contains("--respect-policy skips it"), "{stderr}");
    assert_eq!(
        stdout.matches("name: istio-proxy").count(),
        2,
        "kube-inject injects both"
    );

    let (code, stdout, stderr) = run(&[
        "inject",
        "-f",
        path(&sample),
        "--respect-policy",
        "--namespace-labels",
        "istio-injection=enabled",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.matches("name: istio-proxy").count(),
        1,
        "only the Deployment"
    );
    assert!(
        stderr.contains("cronjob \"shop/report\" skipped: the webhook would not inject it: "),
        "{stderr}"
    );
    assert!(!stderr.contains("[KI106]"), "{stderr}");

    // check says the same, and names the difference.
    let (_, stdout, _) = run(&["check", "-f", path(&sample), "-o", "json"]);
    let v: Value = serde_json::from_str(&stdout).unwrap();
    let cron = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "CronJob")
        .unwrap();
    assert_eq!(cron["inject"], false);
    assert!(
        cron["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kiCode"] == "KI106"),
        "{cron:#}"
    );
    // Suppressed, the note goes.
    let (_, _, stderr) = run(&["inject", "-f", path(&sample), "-S", "KI106=shop/report"]);
    assert!(!stderr.contains("[KI106]"), "{stderr}");
}

#[test]
fn inject_reports_every_rule_kube_inject_ignores_and_respect_policy_follows_them() {
    let tmp = tempfile::tempdir().unwrap();
    let template = "templates:\n  sidecar: |\n    spec:\n      containers:\n      - {name: istio-proxy, image: proxy}\n";
    let app = "apiVersion: v1\nkind: Namespace\nmetadata: {name: web, labels: {istio-injection: enabled}}\n---\n\
apiVersion: v1\nkind: Pod\nmetadata: {name: plain, namespace: web}\nspec: {containers: [{name: a, image: x}]}\n---\n\
apiVersion: v1\nkind: Pod\nmetadata: {name: optin, namespace: web, annotations: {sidecar.istio.io/inject: \"true\"}}\nspec: {containers: [{name: a, image: x}]}\n---\n\
apiVersion: v1\nkind: Pod\nmetadata: {name: build, namespace: web, labels: {skip: me}}\nspec: {containers: [{name: a, image: x}]}\n";
    let app_file = tmp.path().join("app.yaml");
    std::fs::write(&app_file, app).unwrap();
    let run = |config: &str, extra: &[&str]| {
        let cfg = tmp.path().join("config.yaml");
        std::fs::write(&cfg, format!("{config}{template}")).unwrap();
        let out = util::bin()
            .args(["inject", "-f"])
            .arg(&app_file)
            .arg("--injectConfigFile")
            .arg(&cfg)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        (
            String::from_utf8_lossy(&out.stdout)
                .matches("name: istio-proxy")
                .count(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let ki106 = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .filter(|l| l.contains("[KI106]"))
            .map(|l| {
                l.split(": injected as")
                    .next()
                    .unwrap()
                    .rsplit("[KI106] ")
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    // policy: disabled — kube-inject ignores it; only the opt-in is injected by the webhook.
    let (injected, stderr) = run("policy: disabled\n", &[]);
    assert_eq!(injected, 3, "kube-inject injects all");
    assert_eq!(
        ki106(&stderr),
        vec!["Pod web/plain", "Pod web/build"],
        "{stderr}"
    );
    assert!(
        stderr.contains("but the webhook would not inject it (decided by policy: "),
        "{stderr}"
    );
    let (injected, stderr) = run("policy: disabled\n", &["--respect-policy"]);
    assert_eq!(injected, 1, "{stderr}");
    assert!(
        stderr.contains("pod \"web/plain\" skipped: the webhook would not inject it: "),
        "{stderr}"
    );
    // neverInjectSelector — kube-inject ignores selectors.
    let never = "policy: enabled\nneverInjectSelector:\n- matchLabels: {skip: me}\n";
    let (injected, stderr) = run(never, &[]);
    assert_eq!(injected, 3);
    assert_eq!(ki106(&stderr), vec!["Pod web/build"], "{stderr}");
    assert!(
        stderr.contains("(decided by never-inject-selector: "),
        "{stderr}"
    );
    let (injected, _) = run(never, &["--respect-policy"]);
    assert_eq!(injected, 2);
}

#[test]
fn inject_judges_a_cronjob_by_the_metadata_it_renders_with() {
    // kube-inject reads a CronJob's pod metadata at spec.jobTemplate.metadata: the
    // nativeSidecar annotation counts there, and not on the pod template.
    let cronjob = |at_job_template: bool| {
        let ann = "{annotations: {sidecar.istio.io/nativeSidecar: \"true\"}}";
        let (job, pod) = if at_job_template {
            (ann, "{}")
        } else {
            ("{}", ann)
        };
        format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: c, namespace: b}}\nspec:\n  schedule: \"* * * * *\"\n  jobTemplate:\n    metadata: {job}\n    spec:\n      template:\n        metadata: {pod}\n        spec:\n          restartPolicy: Never\n          containers: [{{name: a, image: x}}]\n"
        )
    };
    for (at_job_template, native) in [(true, true), (false, false)] {
        let out = util::bin()
            .args(["inject", "--native-sidecars", "false", "-f", "-"])
            .write_stdin(cronjob(at_job_template))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stdout.contains("restartPolicy: Always"),
            native,
            "the render: {stdout}"
        );
        assert_eq!(
            stderr.contains("[KI110] CronJob b/c"),
            !native,
            "the warning follows the render: {stderr}"
        );
    }
}
