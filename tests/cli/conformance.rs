//! Istio's own injection golden suite (`cases.json`), run through the real binary.
//!
//! Each case injects its input with its `rendered/<config>/` configuration
//! (`--injectConfigFile`, `--valuesFile`, `--meshConfigFile` — the mesh patch applied to a
//! copy of the mesh file), native sidecars and compliance policy, and compares stdout with
//! the golden after Istio's own normalisation only: surrounding whitespace trimmed and
//! `"version":"<hex>"` in the status record redacted. Error cases must exit 2 with the
//! expected text. Cases not passing yet are listed in
//! `testdata/conformance/known-failures.txt` with a reason; the test fails when an unlisted
//! case fails or a listed one passes, so the list only shrinks.

#![allow(clippy::print_stderr, clippy::unwrap_used)] // test helpers: report, and panic on broken data

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util;

pub(super) const SUITE: &str = "istio-testdata/istio-1.32-dev-86c9f01f";

/// The case id used in the known-failures list: `TestInjection/[07] format-duration.yaml.injected`.
pub(super) fn case_id(c: &Value) -> String {
    format!(
        "{}/{}",
        c["test"].as_str().unwrap_or(""),
        c["go_subtest"].as_str().unwrap_or("")
    )
}

pub(super) fn known_failures() -> BTreeMap<String, String> {
    let text = util::read(&util::testdata("conformance/known-failures.txt"));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once(" | ").unwrap_or((l, ""));
            assert!(
                !reason.trim().is_empty(),
                "known failure without a reason: {l}"
            );
            (id.trim().to_string(), reason.trim().to_string())
        })
        .collect()
}

/// Istio's `StripVersion` + `Compare`: redact the status version, trim both sides.
pub(super) fn normalise(s: &str) -> String {
    const KEY: &str = r#"sidecar.istio.io/status: '{"version":""#;
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(KEY) {
        out.push_str(&rest[..i + KEY.len()]);
        rest = &rest[i + KEY.len()..];
        let hex = rest
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len());
        rest = &rest[hex..];
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// The mesh file with the case's patch applied as Istio's test does: field assignments on
/// the parsed MeshConfig, `proxyMetadata` entries added, `extensionProviders` appended.
fn patched_mesh(mesh_yaml: &Path, patch: &Value, dir: &Path) -> PathBuf {
    let text = util::read(mesh_yaml);
    let mut mesh: Value = serde_yaml::from_str(&text).expect("mesh.yaml parses");
    if mesh.is_null() {
        mesh = json!({});
    }
    let obj = mesh.as_object_mut().expect("mesh is a mapping");
    for (k, v) in patch.as_object().expect("patch is a mapping") {
        match k.as_str() {
            "defaultConfig" => {
                let dc = obj.entry("defaultConfig").or_insert_with(|| json!({}));
                for (dk, dv) in v.as_object().expect("defaultConfig patch") {
                    if dk == "proxyMetadata" {
                        let pm = dc
                            .as_object_mut()
                            .unwrap()
                            .entry("proxyMetadata")
                            .or_insert_with(|| json!({}));
                        for (pk, pv) in dv.as_object().unwrap() {
                            pm[pk] = pv.clone();
                        }
                    } else {
                        dc[dk] = dv.clone();
                    }
                }
            }
            "extensionProviders" => {
                let list = obj.entry("extensionProviders").or_insert_with(|| json!([]));
                list.as_array_mut()
                    .unwrap()
                    .extend(v.as_array().unwrap().iter().cloned());
            }
            _ => {
                obj.insert(k.clone(), v.clone());
            }
        }
    }
    let path = dir.join("mesh.yaml");
    std::fs::write(&path, serde_json::to_string_pretty(&mesh).unwrap()).unwrap();
    path
}

/// `inject -f input` with a case's configuration: its `rendered/` files, mesh patch,
/// native-sidecar and compliance parameters.
pub(super) fn inject_case(data: &Path, c: &Value, input: &Path, tmp: &Path) -> assert_cmd::Command {
    let rendered = data.join("rendered").join(c["config"].as_str().unwrap());
    let mesh = match c.get("mesh_patch").filter(|p| !p.is_null()) {
        Some(patch) => patched_mesh(&rendered.join("mesh.yaml"), patch, tmp),
        None => rendered.join("mesh.yaml"),
    };
    let mut cmd = util::bin();
    cmd.arg("inject")
        .arg("-f")
        .arg(input)
        .arg("--injectConfigFile")
        .arg(rendered.join("config.yaml"))
        .arg("--valuesFile")
        .arg(rendered.join("values.json"))
        .arg("--meshConfigFile")
        .arg(mesh);
    if c["native_sidecars"] == false {
        cmd.arg("--native-sidecars=false");
    }
    if let Some(p) = c["compliance_policy"].as_str().filter(|p| !p.is_empty()) {
        cmd.arg("--compliance-policy").arg(p);
    }
    cmd
}

enum Result_ {
    Pass,
    Fail(String),
    Skip(String),
}

fn run_case(data: &Path, c: &Value, tmp: &Path) -> Result_ {
    if c["skip_kube_inject"] == true {
        return Result_::Skip(format!(
            "webhook-only (platform {}: the namespace's OpenShift UID range needs the webhook path)",
            c["platform"].as_str().unwrap_or("")
        ));
    }
    let inject_dir = data.join("pkg/kube/inject/testdata/inject");
    let mut cmd = inject_case(data, c, &inject_dir.join(c["in"].as_str().unwrap()), tmp);
    let out = cmd.output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);

    if let Some(want) = c["expected_error"].as_str() {
        if out.status.code() != Some(2) {
            return Result_::Fail(format!(
                "expected exit 2 with {want:?}, got {:?}",
                out.status
            ));
        }
        if !stdout.is_empty() {
            return Result_::Fail("an error case wrote YAML".into());
        }
        if !stderr.to_lowercase().contains(want) {
            return Result_::Fail(format!("stderr lacks {want:?}: {stderr}"));
        }
        return Result_::Pass;
    }
    if !out.status.success() {
        return Result_::Fail(format!("exit {:?}: {}", out.status.code(), stderr.trim()));
    }
    if let Some(log) = c["expected_log"].as_str() {
        // Istio: `Skipping injection because Deployment "sample/x" has host networking
        // enabled`; ours: `deployment "sample/x" skipped: host networking enabled`.
        let subject = log
            .split_once("because ")
            .and_then(|(_, r)| r.split_once(" has "))
            .map(|(s, _)| s.to_string())
            .unwrap_or_default();
        let (kind, name) = subject.split_once(' ').unwrap_or(("", &subject));
        let ours = format!(
            "{} {name} skipped: host networking enabled",
            kind.to_lowercase()
        );
        if !stderr.contains(&ours) {
            return Result_::Fail(format!("stderr lacks {ours:?}: {stderr}"));
        }
    }
    let golden = util::read(&inject_dir.join(c["want"].as_str().unwrap()));
    let (got, want) = (normalise(&stdout), normalise(&golden));
    if got == want {
        return Result_::Pass;
    }
    Result_::Fail(first_difference(&got, &want))
}

fn first_difference(got: &str, want: &str) -> String {
    let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
    for i in 0..g.len().max(w.len()) {
        let (a, b) = (g.get(i), w.get(i));
        if a != b {
            return format!(
                "line {}: got {:?}, want {:?}",
                i + 1,
                a.unwrap_or(&"<end>"),
                b.unwrap_or(&"<end>")
            );
        }
    }
    "differs".into()
}

#[test]
fn istio_golden_suite() {
    let Some(shared) = util::shared("conformance::istio_golden_suite") else {
        return;
    };
    let data = shared.join(SUITE);
    let cases: Vec<Value> =
        serde_json::from_str(&util::read(&data.join("cases.json"))).expect("cases.json parses");
    let known = known_failures();
    let tmp = tempfile::tempdir().unwrap();
    let only = std::env::var("CONFORMANCE_ONLY").ok();

    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for c in &cases {
        let id = case_id(c);
        if only.as_deref().is_some_and(|o| !id.contains(o)) {
            continue;
        }
        seen.push(id.clone());
        let dir = tmp.path().join(seen.len().to_string());
        std::fs::create_dir_all(&dir).unwrap();
        match (run_case(&data, c, &dir), known.get(&id)) {
            (Result_::Skip(why), _) => {
                skipped += 1;
                eprintln!("conformance: skipped {id}: {why}");
            }
            (Result_::Pass, None) => passed += 1,
            (Result_::Pass, Some(_)) => {
                passed += 1;
                problems.push(format!(
                    "{id}: passes now; remove it from known-failures.txt"
                ));
            }
            (Result_::Fail(why), Some(reason)) => {
                failed += 1;
                eprintln!("conformance: known failure {id} ({reason}): {why}");
            }
            (Result_::Fail(why), None) => {
                failed += 1;
                problems.push(format!("{id}: {why}"));
            }
        }
    }
    if only.is_none() {
        for id in known.keys() {
            if !seen.contains(id) {
                problems.push(format!("{id}: listed in known-failures.txt but not a case"));
            }
        }
    }
    eprintln!("conformance: {passed} passed, {failed} failed, {skipped} skipped");
    assert!(problems.is_empty(), "conformance:\n{}", problems.join("\n"));
}

#[test]
fn normalise_redacts_version_and_trims() {
    assert_eq!(
        normalise("\n a: 1\nsidecar.istio.io/status: '{\"version\":\"a1b2\",\"x\":1}'\n---\n"),
        "a: 1\nsidecar.istio.io/status: '{\"version\":\"\",\"x\":1}'\n---"
    );
}
