//! kubectl's output habits over the reports: `-o jsonpath=`/`jsonpath-file=`,
//! `-o custom-columns=`/`custom-columns-file=`, `--sort-by`, `--no-headers`, `-L` and
//! `--show-labels`; `cleanup -f -o json`. Offline, on `testdata/examples/`.

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use crate::util;

/// Runs the plugin in `testdata/examples/`: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = util::bin()
        .current_dir(util::testdata("examples"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    stdout
}

#[test]
fn jsonpath_over_the_json_report() {
    assert_eq!(
        ok(&[
            "check",
            "-f",
            "app.yaml",
            "-o",
            r#"jsonpath={range .items[*]}{.kind}/{.name}{"\t"}{.inject}{"\n"}{end}"#,
        ]),
        "Deployment/web\tfalse\nCronJob/report\tfalse\n"
    );
    // Several results of one action are separated by a space; no newline is added.
    assert_eq!(
        ok(&[
            "check",
            "-f",
            "k8s/",
            "-R",
            "-o",
            "jsonpath={.items[*].name}"
        ]),
        "db web"
    );
    // Filters, names with dots and slashes, objects as compact JSON.
    assert_eq!(
        ok(&[
            "check",
            "-f",
            "k8s/",
            "-R",
            "-o",
            r#"jsonpath={.items[?(@.name=="web")].facts[0]}"#,
        ]),
        r#"{"assumed":true,"fact":"namespace shop labels","source":{"kind":"default","what":"no labels (the namespace is not in the input)"},"value":"none"}"#
    );
    // explain: one object for one input object.
    assert_eq!(
        ok(&[
            "explain",
            "-f",
            "deploy.yaml",
            "--namespace-labels",
            "istio-injection=enabled",
            "-o",
            r#"jsonpath={.decidedBy} {.inject} {.steps[?(@.decided==true)].rule}{"\n"}"#,
        ]),
        "policy true policy\n"
    );
    // A missing field prints nothing (kubectl's --allow-missing-template-keys=true).
    assert_eq!(
        ok(&[
            "check",
            "-f",
            "app.yaml",
            "-o",
            "jsonpath={.items[0].nothing}"
        ]),
        ""
    );
}

#[test]
fn jsonpath_and_custom_columns_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("names.jsonpath");
    std::fs::write(&template, "{range .items[*]}{.name}{\"\\n\"}{end}\n").unwrap();
    let columns = dir.path().join("columns.txt");
    std::fs::write(&columns, "NAME      RULE\n.name     {.decidedBy}\n").unwrap();
    assert_eq!(
        ok(&[
            "check",
            "-f",
            "app.yaml",
            "-o",
            &format!("jsonpath-file={}", template.display()),
        ]),
        "web\nreport\n"
    );
    assert_eq!(
        ok(&[
            "check",
            "-f",
            "app.yaml",
            "-o",
            &format!("custom-columns-file={}", columns.display()),
        ]),
        "NAME     RULE\nweb      webhook\nreport   webhook\n"
    );
    // A file that does not parse is an error naming it.
    std::fs::write(&columns, "NAME RULE\n.name\n").unwrap();
    let (code, stdout, stderr) = run(&[
        "check",
        "-f",
        "app.yaml",
        "-o",
        &format!("custom-columns-file={}", columns.display()),
    ]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        format!(
            "error: -o custom-columns-file={0}\n  Caused by: 2 headers but 1 paths in \"{0}\"\n",
            columns.display()
        )
    );
}

#[test]
fn custom_columns_sort_by_and_no_headers() {
    let spec = "custom-columns=NAME:.name,INJECT:.inject,RULE:.decidedBy,STEPS:.steps[*].rule";
    assert_eq!(
        ok(&["check", "-f", "k8s/", "-R", "-o", spec]),
        "NAME   INJECT   RULE      STEPS\n\
         db     false    webhook   webhook\n\
         web    false    webhook   webhook\n"
    );
    // Deployment before StatefulSet.
    assert_eq!(
        ok(&[
            "check",
            "-f",
            "k8s/",
            "-R",
            "-o",
            spec,
            "--sort-by",
            ".kind",
            "--no-headers"
        ]),
        "web   false   webhook   webhook\n\
         db    false   webhook   webhook\n"
    );
    // --sort-by orders every output, json included; natural order, missing first.
    let json = ok(&[
        "check",
        "-f",
        "k8s/",
        "-R",
        "-o",
        "json",
        "--sort-by={.kind}",
    ]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web", "db"]);
    // A path no row has is an error, as kubectl's.
    let (code, stdout, stderr) = run(&["check", "-f", "app.yaml", "--sort-by", ".nothing"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert_eq!(
        stderr,
        "error: --sort-by\n  Caused by: no object of the list has a field at this path in \".nothing\"\n"
    );
    // Values that are missing print <none>.
    assert_eq!(
        ok(&[
            "check",
            "-f",
            "app.yaml",
            "-o",
            "custom-columns=NAME:.name,REV:.revision"
        ]),
        "NAME     REV\nweb      <none>\nreport   <none>\n"
    );
}

#[test]
fn label_columns_and_show_labels_on_the_table() {
    assert_eq!(
        ok(&[
            "check",
            "-f",
            "app.yaml",
            "-L",
            "app,version",
            "--no-headers"
        ]),
        "shop   Deployment   web      no   webhook   web   v1\n\
         shop   CronJob      report   no   webhook\n"
    );
    assert_eq!(
        ok(&["check", "-f", "app.yaml", "-L", "app", "--show-labels"]),
        "NAMESPACE   KIND         NAME     INJECT   RULE      APP   LABELS\n\
         shop        Deployment   web      no       webhook   web   app=web,version=v1\n\
         shop        CronJob      report   no       webhook         sidecar.istio.io/inject=false\n"
    );
    // The header is the key's last segment, as kubectl's.
    let out = ok(&["check", "-f", "app.yaml", "-L", "sidecar.istio.io/inject"]);
    assert!(
        out.starts_with("NAMESPACE   KIND         NAME     INJECT   RULE      INJECT\n"),
        "{out}"
    );
}

#[test]
fn formats_each_command_does_not_print_are_refused_with_the_list() {
    for (args, message) in [
        (
            &["explain", "-f", "pod.yaml", "-o", "wide"][..],
            "error: invalid value 'wide' for '--output <FORMAT>': this command has no wide output; it prints table, json, yaml, name, jsonpath=, jsonpath-file=",
        ),
        (
            &["explain", "-f", "pod.yaml", "-o", "custom-columns=A:.a"],
            "error: invalid value 'custom-columns=A:.a' for '--output <FORMAT>': this command has no custom-columns=… output; it prints table, json, yaml, name, jsonpath=, jsonpath-file=",
        ),
        (
            &["verify", "deploy/web", "-o", "name"],
            "error: invalid value 'name' for '--output <FORMAT>': this command has no name output; it prints table, json, yaml, jsonpath=, jsonpath-file=",
        ),
        (
            &["uninstall", "-o", "wide"],
            "error: invalid value 'wide' for '--output <FORMAT>': this command has no wide output; it prints table, json, yaml, name, jsonpath=, jsonpath-file=, custom-columns=, custom-columns-file=",
        ),
        (
            &["check", "-f", "app.yaml", "-o", "nope"],
            "error: invalid value 'nope' for '--output <FORMAT>': unknown output format \"nope\"; this command prints table, wide, json, yaml, name, jsonpath=, jsonpath-file=, custom-columns=, custom-columns-file=, sarif",
        ),
        (
            &["check", "-f", "app.yaml", "-o", "jsonpath"],
            "error: invalid value 'jsonpath' for '--output <FORMAT>': jsonpath: give its template after `=` (jsonpath=…)",
        ),
        (
            &["check", "-f", "app.yaml", "-o", "jsonpath={.items"],
            "error: invalid value 'jsonpath={.items' for '--output <FORMAT>': unclosed `{` in \"{.items\"",
        ),
        (
            &[
                "check",
                "-f",
                "app.yaml",
                "-o",
                "jsonpath={range .items[*]}{.name}",
            ],
            "error: invalid value 'jsonpath={range .items[*]}{.name}' for '--output <FORMAT>': `{range}` without `{end}` in \"{range .items[*]}{.name}\"",
        ),
        (
            &["check", "-f", "app.yaml", "-o", "custom-columns=NAME"],
            "error: invalid value 'custom-columns=NAME' for '--output <FORMAT>': column \"NAME\" is not HEADER:JSONPATH (e.g. NAME:.name) in \"NAME\"",
        ),
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!((code, stdout.as_str()), (2, ""), "{args:?}");
        assert_eq!(stderr.lines().next(), Some(message), "{args:?}");
    }
}

/// `cleanup -f -o json` prints the stripped manifests as JSON (it printed YAML); with -i,
/// -o json is the report of what was stripped.
#[test]
fn cleanup_f_o_json_prints_json_manifests() {
    let out = ok(&["cleanup", "-f", "injected.yaml", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["kind"], "List");
    let deploy = &v["items"][0];
    assert_eq!(deploy["metadata"]["name"], "frontend");
    let containers = deploy["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 1);
    assert_eq!(containers[0]["name"], "frontend");
    assert!(deploy["spec"]["template"]["spec"]["initContainers"].is_null());
    // The same as the YAML, read back.
    let yaml = ok(&["cleanup", "-f", "injected.yaml"]);
    let from_yaml: serde_json::Value =
        serde_yaml::from_str(yaml.trim_end_matches("---\n")).unwrap();
    assert_eq!(&from_yaml, deploy);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("injected.yaml");
    std::fs::copy(util::testdata("examples/injected.yaml"), &file).unwrap();
    let out = util::bin()
        .args(["cleanup", "-i", "-o", "json", "-f"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["objects"][0]["name"], "web/frontend");
    assert_eq!(report["objects"][0]["stripped"], true);
}

/// `inject -i` and `cleanup -i` keep each file's format: JSON stays JSON (it was rewritten
/// as YAML), YAML stays YAML, and a JSON object nothing changed keeps its exact text.
#[test]
fn in_place_keeps_each_files_format() {
    let dir = tempfile::tempdir().unwrap();
    let deploy_yaml = util::read(&util::testdata("examples/deploy.yaml"));
    let deploy: serde_json::Value = serde_yaml::from_str(&deploy_yaml).unwrap();
    let json = dir.path().join("deploy.json");
    std::fs::write(&json, serde_json::to_string(&deploy).unwrap()).unwrap();
    let yaml = dir.path().join("deploy.yaml");
    std::fs::write(&yaml, &deploy_yaml).unwrap();
    let service = dir.path().join("svc.json");
    let service_text = "{ \"apiVersion\": \"v1\", \"kind\": \"Service\",\n  \"metadata\": {\"name\": \"web\"}, \"spec\": {\"ports\": [{\"port\": 80}]} }\n";
    std::fs::write(&service, service_text).unwrap();

    let out = util::bin()
        .args(["inject", "-i", "-f"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let injected: serde_json::Value =
        serde_json::from_str(&util::read(&json)).expect("deploy.json is still JSON");
    let containers = |v: &serde_json::Value| -> Vec<String> {
        let spec = &v["spec"]["template"]["spec"];
        ["initContainers", "containers"]
            .iter()
            .flat_map(|k| spec[k].as_array().cloned().unwrap_or_default())
            .map(|c| c["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        containers(&injected),
        ["istio-init", "istio-proxy", "frontend"]
    );
    assert!(util::read(&json).starts_with("{\n  \"apiVersion\": \"apps/v1\",\n"));
    assert!(util::read(&yaml).starts_with("apiVersion: apps/v1\n"));
    let from_yaml: serde_json::Value =
        serde_yaml::from_str(util::read(&yaml).trim_end_matches("---\n")).unwrap();
    assert_eq!(from_yaml, injected, "the same injection in both formats");
    assert_eq!(
        util::read(&service),
        service_text,
        "untouched, byte for byte"
    );

    let out = util::bin()
        .args(["cleanup", "-i", "-f"])
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let clean: serde_json::Value =
        serde_json::from_str(&util::read(&json)).expect("still JSON after cleanup -i");
    assert_eq!(containers(&clean), ["frontend"]);
}
