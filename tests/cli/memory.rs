//! `inject`'s output past the spill threshold (`KUBECTL_INJECT_SPILL_BYTES`, set low here):
//! still all or nothing, byte for byte what the in-memory path prints, and no temporary
//! file left behind. The memory figures themselves are in `cargo bench --bench inject --
//! --scaling`.

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::path::Path;

use crate::util;

/// The hidden threshold (bytes of output held in memory before a temporary file is used).
const SPILL_ENV: &str = "KUBECTL_INJECT_SPILL_BYTES";

fn deployment(i: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n"
    )
}

/// Many documents of every sort inject handles: workloads, one skipped (host network), a
/// pass-through Service with a comment, a comment-only document, a List, CRLF line ends.
fn large_input() -> String {
    let mut text = String::new();
    for i in 0..150 {
        text.push_str(&deployment(i));
        text.push_str("---\n");
        if i % 50 == 0 {
            text.push_str("kind: Service\napiVersion: v1\nmetadata:\n  name: web   # kept as is\n---\n# only a comment\n---\n");
            text.push_str(
                &deployment(1000 + i)
                    .replace("    spec:\n", "    spec:\n      hostNetwork: true\n"),
            );
            text.push_str("---\r\napiVersion: v1\r\nkind: List\r\nitems:\r\n");
            for line in deployment(2000 + i).lines() {
                let indent = if line.starts_with("apiVersion") {
                    "- "
                } else {
                    "  "
                };
                text.push_str(&format!("{indent}{line}\r\n"));
            }
            text.push_str("---\n");
        }
    }
    text
}

/// `COMMAND… -f file ARGS…` with the spill threshold, in a fresh TMPDIR: (exit code,
/// stdout, stderr, what is left in TMPDIR).
fn spilled(
    command: &[&str],
    file: &Path,
    threshold: usize,
    args: &[&str],
) -> (Option<i32>, Vec<u8>, String, usize) {
    let tmp = tempfile::tempdir().unwrap();
    let out = util::bin()
        .args(command)
        .arg("-f")
        .arg(file)
        .args(args)
        .env(SPILL_ENV, threshold.to_string())
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    let left = std::fs::read_dir(tmp.path()).unwrap().count();
    (
        out.status.code(),
        out.stdout,
        String::from_utf8(out.stderr).unwrap(),
        left,
    )
}

fn inject(file: &Path, threshold: usize, args: &[&str]) -> (Option<i32>, Vec<u8>, String, usize) {
    spilled(&["inject", "--ignore-cluster"], file, threshold, args)
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn spilled_output_is_what_the_in_memory_path_prints() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "large.yaml", &large_input());
    for args in [&[][..], &["-o", "json"][..]] {
        let (code, in_memory, err_memory, _) = inject(&file, 1 << 30, args);
        assert_eq!(code, Some(0), "{args:?}: {err_memory}");
        // Far past the threshold: most of the output goes through the temporary file.
        assert!(
            in_memory.len() > 100 * 4096,
            "{args:?}: {}",
            in_memory.len()
        );
        for threshold in [0, 4096] {
            let (code, spilled, err, left) = inject(&file, threshold, args);
            assert_eq!(code, Some(0), "{args:?} {threshold}: {err}");
            assert!(spilled == in_memory, "{args:?} {threshold}: output differs");
            // The skip line and the rest of stderr are the same too.
            assert_eq!(err, err_memory, "{args:?} {threshold}");
            assert_eq!(left, 0, "{args:?} {threshold}: temporary files left");
        }
        assert!(
            err_memory.contains("skipped: host networking enabled"),
            "{err_memory}"
        );
    }
}

#[test]
fn an_error_in_the_last_document_prints_nothing_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let large = large_input();
    let documents = large.matches("\n---").count();
    let cases = [
        // Cannot be injected: a Deployment asking for a template the injector lacks.
        (
            "unknown-template.yaml",
            format!(
                "{large}apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: broken\nspec:\n  template:\n    metadata:\n      annotations:\n        inject.istio.io/templates: nope\n    spec:\n      containers:\n      - name: a\n"
            ),
            "cannot inject",
        ),
        // Does not parse.
        (
            "bad-yaml.yaml",
            format!("{large}kind: Deployment\nmetadata: [\n"),
            "invalid YAML",
        ),
    ];
    for (name, text, why) in cases {
        let file = write(dir.path(), name, &text);
        for args in [&[][..], &["-o", "json"][..]] {
            let (code, stdout, err, left) = inject(&file, 4096, args);
            assert_eq!(code, Some(2), "{name} {args:?}: {err}");
            assert!(stdout.is_empty(), "{name} {args:?}: stdout not empty");
            assert!(err.contains(why), "{name} {args:?}: {err}");
            // The last document is the one named.
            assert!(
                err.contains(&format!("document {}", documents + 1)),
                "{name} {args:?}: {err}"
            );
            assert_eq!(left, 0, "{name} {args:?}: temporary files left");
        }
    }
}

#[test]
fn output_past_the_threshold_goes_through_a_temporary_file() {
    // TMPDIR names no directory: the small threshold makes inject need it, the default
    // one does not (the output stays in memory).
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "large.yaml", &large_input());
    let missing = dir.path().join("no-such-dir");
    let run = |threshold: usize| {
        util::bin()
            .args(["inject", "--ignore-cluster", "-f"])
            .arg(&file)
            .env(SPILL_ENV, threshold.to_string())
            .env("TMPDIR", &missing)
            .output()
            .unwrap()
    };
    let out = run(4096);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains("cannot create a temporary file for the output"),
        "{err}"
    );
    let out = run(1 << 30);
    assert_eq!(out.status.code(), Some(0));
    assert!(!out.stdout.is_empty());
}

#[test]
fn stdin_and_several_files_stream_as_one_input() {
    // Two files and stdin, injected together: the same bytes as the files joined in one.
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.yaml",
        &(deployment(1) + "---\n" + &deployment(2)),
    );
    let b = write(dir.path(), "b.yaml", &deployment(3));
    let together = write(
        dir.path(),
        "all.yaml",
        &format!(
            "{}---\n{}---\n{}---\n{}",
            deployment(1),
            deployment(2),
            deployment(3),
            deployment(4)
        ),
    );
    let split = util::bin()
        .args(["inject", "--ignore-cluster", "-f"])
        .arg(&a)
        .arg("-f")
        .arg(&b)
        .args(["-f", "-"])
        .write_stdin(deployment(4))
        .env(SPILL_ENV, "0")
        .output()
        .unwrap();
    assert_eq!(split.status.code(), Some(0));
    let (code, whole, err, _) = inject(&together, 0, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(split.stdout == whole, "several inputs differ from one");
}

/// `check -f` input whose context comes after the objects it decides: pods in two
/// namespaces, a CronJob (a finding), a List, and the Namespace that enables injection last.
fn check_input() -> String {
    let mut text = String::new();
    for i in 0..120 {
        let ns = if i % 2 == 0 { "shop" } else { "lab" };
        text.push_str(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: {ns}\n  labels: {{app: web-{}}}\nspec:\n  containers:\n  - name: app\n    image: nginx\n---\n",
            i % 3
        ));
    }
    text.push_str("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: report\n  namespace: shop\nspec:\n  schedule: '@daily'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: r\n            image: busybox\n---\n");
    text.push_str("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: listed, namespace: lab}\n  spec:\n    containers: [{name: a, image: b}]\n---\n");
    text.push_str("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {istio-injection: enabled}\n");
    text
}

fn check(file: &Path, threshold: usize, args: &[&str]) -> (Option<i32>, Vec<u8>, String, usize) {
    spilled(&["check", "--offline"], file, threshold, args)
}

#[test]
fn check_decides_every_object_on_the_complete_facts_spilled_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "pods.yaml", &check_input());
    for args in [
        &[][..],
        &["-o", "wide"],
        &["-o", "json"],
        &["-o", "yaml"],
        &["-o", "name"],
        &["-o", "sarif"],
        &["-L", "app", "--show-labels"],
        &["--sort-by", ".name"],
        &["-o", "jsonpath={.items[*].name}"],
        &["--expect", "inject"],
        &["-l", "app=web-1", "pod/pod-1", "pod/pod-4"],
    ] {
        let held = check(&file, 1 << 30, args);
        let spilled = check(&file, 0, args);
        assert!(!held.1.is_empty(), "{args:?}: no output; {}", held.2);
        assert_eq!(held.0, spilled.0, "{args:?}: exit codes");
        assert_eq!(
            String::from_utf8_lossy(&held.1),
            String::from_utf8_lossy(&spilled.1),
            "{args:?}: stdout"
        );
        assert_eq!(held.2, spilled.2, "{args:?}: stderr");
        assert_eq!(spilled.3, 0, "{args:?}: a temporary file was left");
    }
    // The Namespace at the end decided the pods before it.
    let (code, out, _, _) = check(&file, 0, &[]);
    assert_eq!(code, Some(0));
    let out = String::from_utf8(out).unwrap();
    let line = |name: &str| {
        out.lines()
            .find(|l| l.split_whitespace().nth(2) == Some(name))
            .unwrap_or_else(|| panic!("{name} in {out}"))
            .split_whitespace()
            .nth(3)
            .unwrap()
            .to_string()
    };
    assert_eq!(line("pod-0"), "yes");
    assert_eq!(line("pod-1"), "no");
    assert_eq!(line("listed"), "no");
    assert_eq!(out.lines().count(), 1 + 120 + 2);
    // JSON and YAML written item by item are the whole report.
    let (_, json, _, _) = check(&file, 0, &["-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 122);
    let (_, yaml, _, _) = check(&file, 0, &["-o", "yaml"]);
    let y: serde_json::Value = serde_yaml::from_slice(&yaml).unwrap();
    assert_eq!(y, v);
    // Byte for byte what the emitter prints for the whole report (long reasons are folded
    // by column).
    assert_eq!(
        String::from_utf8(yaml).unwrap(),
        kubectl_inject::yaml::to_string(&v)
    );
}

#[test]
fn check_with_a_bad_last_document_prints_nothing_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = check_input();
    text.push_str("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\nspec:\n  containers: {name: x}\n");
    let file = write(dir.path(), "pods.yaml", &text);
    for args in [&[][..], &["-o", "json"], &["-o", "name"]] {
        let (code, out, err, left) = check(&file, 0, args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            out.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out)
        );
        assert!(err.contains("document 124"), "{args:?}: {err}");
        assert_eq!(left, 0, "{args:?}");
    }
}

#[test]
fn explain_writes_each_object_out_and_prints_what_holding_them_printed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "pods.yaml", &check_input());
    let explain = |threshold: usize, args: &[&str]| {
        let (code, out, err, left) = spilled(&["explain", "--offline"], &file, threshold, args);
        assert_eq!(left, 0, "{args:?}: a temporary file was left");
        (code, out, err)
    };
    for args in [
        &[][..],
        &["-o", "json"],
        &["-o", "yaml"],
        &["-o", "name"],
        &["-o", "json", "pod/pod-0"],
        &["-o", "yaml", "pod/pod-0"],
        &["-o", "json", "pod/pod-0", "pod/pod-2"],
        &["-o", "jsonpath={.name}", "pod/pod-0"],
        &["pod/pod-0", "cronjob/report"],
    ] {
        let held = explain(1 << 30, args);
        let spilled = explain(0, args);
        assert_eq!(held, spilled, "{args:?}");
        assert_eq!(held.0, Some(0), "{args:?}");
        assert!(!held.1.is_empty(), "{args:?}");
    }
    // One object alone, several as a list; the Namespace at the end decided pod-0.
    let (_, one, _) = explain(0, &["-o", "json", "pod/pod-0"]);
    let one: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!(one["name"], "pod-0");
    assert_eq!(one["inject"], true);
    let (_, all, _) = explain(0, &["-o", "json"]);
    let all: serde_json::Value = serde_json::from_slice(&all).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 122);
    let (_, yaml, _) = explain(0, &["-o", "yaml"]);
    assert_eq!(
        String::from_utf8(yaml.clone()).unwrap(),
        kubectl_inject::yaml::to_string(&all)
    );
    let yaml: serde_json::Value = serde_yaml::from_slice(&yaml).unwrap();
    assert_eq!(yaml, all);
}

#[test]
fn stdin_past_the_threshold_waits_in_a_file_and_reads_as_a_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let text = large_input();
    let file = write(dir.path(), "in.yaml", &text);
    for (command, extra) in [
        ("inject", &["--ignore-cluster"][..]),
        ("check", &["--offline", "-o", "wide"]),
        ("explain", &["--offline", "-o", "json"]),
    ] {
        let from_file = util::bin()
            .arg(command)
            .args(extra)
            .arg("-f")
            .arg(&file)
            .output()
            .unwrap();
        for threshold in ["0", "1000", "1000000000"] {
            let tmp = tempfile::tempdir().unwrap();
            let piped = util::bin()
                .arg(command)
                .args(extra)
                .args(["-f", "-"])
                .write_stdin(text.clone())
                .env(SPILL_ENV, threshold)
                .env("TMPDIR", tmp.path())
                .output()
                .unwrap();
            assert_eq!(piped.status.code(), from_file.status.code(), "{command}");
            // The same bytes, but for the input's name.
            let name = file.display().to_string();
            assert_eq!(
                String::from_utf8_lossy(&piped.stdout),
                String::from_utf8_lossy(&from_file.stdout).replace(&name, "<stdin>"),
                "{command}, threshold {threshold}"
            );
            assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
        }
    }
    // Text that is not UTF-8 is the same error however it is kept: the byte's offset.
    let mut bytes = text.clone().into_bytes();
    let at = bytes.len() - 10;
    bytes[at] = 0xff;
    let errors: Vec<String> = ["0", "1000000000"]
        .iter()
        .map(|threshold| {
            let out = util::bin()
                .args(["check", "--offline", "-f", "-"])
                .write_stdin(bytes.clone())
                .env(SPILL_ENV, threshold)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2));
            assert!(out.stdout.is_empty());
            String::from_utf8(out.stderr).unwrap()
        })
        .collect();
    assert_eq!(errors[0], errors[1]);
    assert!(errors[0].contains(&at.to_string()), "{}", errors[0]);
}
