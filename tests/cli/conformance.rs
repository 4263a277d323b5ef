//! Istio's own injection golden suites (`cases.json`), every release, run through the real
//! binary.
//!
//! Every `istio-<release>/` folder under `../shared/istio-testdata/` is a suite (a new
//! release folder is a new suite, with no code change; `legacy/` is not one), injected as
//! that release: `--istio-version` from the folder name. Each case injects its input with
//! its `rendered/<config>/` configuration (`--injectConfigFile`, `--valuesFile`,
//! `--meshConfigFile` — the mesh patch applied to a copy of the mesh file), native sidecars
//! (`--native-sidecars=false` when off), compliance policy and Go-side settings
//! ([`go_feature_flags`]), and compares stdout with the golden after Istio's own
//! normalisation only: surrounding whitespace trimmed and `"version":"<hex>"` in the status
//! record redacted. Error cases must exit 2 with the expected text. Each suite prints
//! `conformance istio-1.24.6: N passed, N failed, N skipped`. Cases not passing yet are
//! listed in `testdata/conformance/known-failures.txt` under their release with a reason;
//! the test fails when an unlisted case fails or a listed one passes, so the list only
//! shrinks.

#![allow(clippy::print_stderr, clippy::unwrap_used)] // test helpers: report, and panic on broken data

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{golden, util};

pub(super) const SUITE: &str = "istio-testdata/istio-1.32-dev-86c9f01f";

/// The case id used in the known-failures list: `TestInjection/[07] format-duration.yaml.injected`.
pub(super) fn case_id(c: &Value) -> String {
    format!(
        "{}/{}",
        c["test"].as_str().unwrap_or(""),
        c["go_subtest"].as_str().unwrap_or("")
    )
}

/// The known failures of the current suite ([`SUITE`]), by [`case_id`].
pub(super) fn known_failures() -> BTreeMap<String, String> {
    let suite = SUITE.rsplit('/').next().unwrap_or(SUITE);
    known_failures_of(suite)
}

/// The known failures of one release's suite (`istio-1.24.6`), by [`case_id`]. Lines read
/// `<suite>: <test>/<go_subtest> | <why>`, so cases of different releases cannot collide.
pub(super) fn known_failures_of(suite: &str) -> BTreeMap<String, String> {
    let text = util::read(&util::testdata("conformance/known-failures.txt"));
    let mut out = BTreeMap::new();
    for l in text.lines().map(str::trim) {
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (key, reason) = l.split_once(" | ").unwrap_or((l, ""));
        assert!(
            !reason.trim().is_empty(),
            "known failure without a reason: {l}"
        );
        let Some((release, id)) = key.split_once(": ") else {
            panic!("known failure without its suite (`istio-X.Y.Z: <test>/<subtest> | why`): {l}");
        };
        if release.trim() == suite {
            out.insert(id.trim().to_string(), reason.trim().to_string());
        }
    }
    out
}

/// The suites under `istio-testdata/`: every `istio-*` folder with a `cases.json`, sorted.
fn suites(shared: &Path) -> Vec<PathBuf> {
    let dir = shared.join("istio-testdata");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("istio-"))
                && p.join("cases.json").is_file()
        })
        .collect();
    found.sort();
    found
}

/// The release a suite folder holds: `istio-1.24.6` → `1.24.6`, `istio-1.32-dev-86c9f01f`
/// → `1.32-dev-86c9f01f` (which `--istio-version` reads as 1.32, as it reads tags).
fn release_of(data: &Path) -> String {
    let name = data.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.strip_prefix("istio-").unwrap_or(name).to_string()
}

/// The flags that reproduce a case's Go-side settings (`go_features`: `setup` lines of the
/// Go test), or the first line no flag expresses.
fn go_feature_flags(c: &Value) -> Result<Vec<String>, String> {
    let mut flags = Vec::new();
    for line in c["go_features"].as_array().into_iter().flatten() {
        let line = line.as_str().unwrap_or("");
        match line {
            // istiod's REWRITE_TCP_PROBES feature (Istio <= 1.18).
            "test.SetForTest(t, &features.RewriteTCPProbes, false)" => {
                flags.extend(["--env".into(), "REWRITE_TCP_PROBES=false".into()]);
            }
            other => return Err(format!("no flag for the Go-side setting `{other}`")),
        }
    }
    Ok(flags)
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

/// `inject -f input` with a case's configuration: its suite's release, its `rendered/`
/// files, mesh patch, native-sidecar and compliance parameters (not its Go-side settings:
/// see [`go_feature_flags`]).
pub(super) fn inject_case(data: &Path, c: &Value, input: &Path, tmp: &Path) -> assert_cmd::Command {
    let rendered = data.join("rendered").join(c["config"].as_str().unwrap());
    let mesh = match c.get("mesh_patch").filter(|p| !p.is_null()) {
        Some(patch) => patched_mesh(&rendered.join("mesh.yaml"), patch, tmp),
        None => rendered.join("mesh.yaml"),
    };
    let mut cmd = util::bin();
    cmd.arg("inject")
        .arg("--istio-version")
        .arg(release_of(data))
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
    match go_feature_flags(c) {
        Ok(flags) => {
            cmd.args(flags);
        }
        Err(why) => return Result_::Fail(why),
    }
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
    let golden_path = inject_dir.join(c["want"].as_str().unwrap());
    let golden = util::read(&golden_path);
    let (got, want) = (normalise(&stdout), normalise(&golden));
    // Compared after Istio's own normalisation (version redacted, ends trimmed).
    match golden::mismatch(&golden_path.display().to_string(), &want, &got) {
        None => Result_::Pass,
        Some(diff) => Result_::Fail(diff),
    }
}

/// One suite: `(passed, failed, skipped)` and the problems (unlisted failures, listed
/// passes, listed cases that do not exist).
fn run_suite(data: &Path, tmp: &Path, only: Option<&str>) -> ((usize, usize, usize), Vec<String>) {
    let suite = data.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let cases: Vec<Value> =
        serde_json::from_str(&util::read(&data.join("cases.json"))).expect("cases.json parses");
    let known = known_failures_of(suite);
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for c in &cases {
        let id = case_id(c);
        if only.is_some_and(|o| !id.contains(o)) {
            continue;
        }
        seen.push(id.clone());
        let dir = tmp.join(suite).join(seen.len().to_string());
        std::fs::create_dir_all(&dir).unwrap();
        match (run_case(data, c, &dir), known.get(&id)) {
            (Result_::Skip(why), _) => {
                skipped += 1;
                eprintln!("conformance {suite}: skipped {id}: {why}");
            }
            (Result_::Pass, None) => passed += 1,
            (Result_::Pass, Some(_)) => {
                passed += 1;
                problems.push(format!(
                    "{suite}: {id}: passes now; remove it from known-failures.txt"
                ));
            }
            (Result_::Fail(why), Some(reason)) => {
                failed += 1;
                eprintln!("conformance {suite}: known failure {id} ({reason}): {why}");
            }
            (Result_::Fail(why), None) => {
                failed += 1;
                problems.push(format!("{suite}: {id}: {why}"));
            }
        }
    }
    if only.is_none() {
        for id in known.keys() {
            if !seen.contains(id) {
                problems.push(format!(
                    "{suite}: {id}: listed in known-failures.txt but not a case"
                ));
            }
        }
    }
    ((passed, failed, skipped), problems)
}

#[test]
fn istio_golden_suites_of_every_release() {
    let Some(shared) = util::shared("conformance::istio_golden_suites_of_every_release") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // CONFORMANCE_ONLY=<text> runs the cases whose id contains it; CONFORMANCE_SUITE=<text>
    // the suites whose folder name contains it.
    let only = std::env::var("CONFORMANCE_ONLY").ok();
    let only_suite = std::env::var("CONFORMANCE_SUITE").ok();
    let all = suites(&shared);
    assert!(
        all.iter()
            .any(|s| s.ends_with(SUITE.rsplit('/').next().unwrap())),
        "the current suite {SUITE} is missing from {}",
        shared.join("istio-testdata").display()
    );
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for data in &all {
        let suite = data.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if only_suite.as_deref().is_some_and(|o| !suite.contains(o)) {
            continue;
        }
        let ((passed, failed, skipped), mut found) = run_suite(data, tmp.path(), only.as_deref());
        let line =
            format!("conformance {suite}: {passed} passed, {failed} failed, {skipped} skipped");
        eprintln!("{line}");
        lines.push(line);
        problems.append(&mut found);
    }
    // Known failures of a suite that is not there (a release folder renamed or removed).
    let text = util::read(&util::testdata("conformance/known-failures.txt"));
    for l in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let suite = l.split_once(": ").map_or(l, |(s, _)| s);
        if !all.iter().any(|d| d.ends_with(suite)) {
            problems.push(format!("known failure of a suite that does not exist: {l}"));
        }
    }
    eprintln!("{}", lines.join("\n"));
    assert!(problems.is_empty(), "conformance:\n{}", problems.join("\n"));
}

#[test]
fn normalise_redacts_version_and_trims() {
    assert_eq!(
        normalise("\n a: 1\nsidecar.istio.io/status: '{\"version\":\"a1b2\",\"x\":1}'\n---\n"),
        "a: 1\nsidecar.istio.io/status: '{\"version\":\"\",\"x\":1}'\n---"
    );
}

/// Re-injecting an already-injected Deployment with native sidecars off, with the current
/// release (a case Istio's current suite lacks: its only re-injection case has native
/// sidecars on). Input: the current suite's `merge-probers.yaml`, whose old `istio-proxy`
/// carries `JWT_POLICY=third-party-jwt`, a variable today's template no longer writes, and
/// `--concurrency 2` in its args; configuration `hold-app`, as Istio's case uses.
///
/// The expectation (`testdata/conformance/reinjection/merge-probers-native-off.yaml.injected`)
/// follows from Istio's `RunTemplate` and `reapplyOverwrittenContainers`, unchanged in
/// current Istio:
/// - the templates render over the stripped pod (old `istio-proxy` and `istio-init` removed,
///   so `ISTIO_META_APP_CONTAINERS` is `hello,world,new` and `ISTIO_META_POD_PORTS` lists
///   8008 too), but are merged onto the pod as it came (`mergedPod = params.pod`);
/// - that strategic merge meets the old `istio-proxy` by name: `env` merges by name, so
///   `JWT_POLICY`, absent from the template, stays, and apimachinery's
///   `normalizeElementOrder` keeps it where it was, first; the template's new variables
///   (`ISTIO_CPU_LIMIT`, `GOMEMLIMIT`) take their template positions among the others;
///   `args` has no merge strategy, so the template's replace the old ones (no
///   `--concurrency`);
/// - `reapplyOverwrittenContainers` skips `istio-proxy` and `istio-init`: the old status
///   record lists them, so the old container is not laid over the result (unlike the
///   native case, where `istio-proxy` moved to the init containers is not in the old
///   record's `initContainers` and is laid over again).
///
/// Cross-checks: the `env` names come out in exactly the order of Istio's own golden for
/// the native case of this input (the same merge, after the move); and the goldens of
/// Istio 1.22.8 `[43]`, 1.24.6 `[46]` and 1.26.8 `[47]` (the same Go code, native off) keep
/// `JWT_POLICY` in the same way — they pass in `istio_golden_suites_of_every_release`.
/// Before the fix the templates were merged onto the stripped pod and `JWT_POLICY` was
/// lost; the rest of the output was the same.
#[test]
fn reinjection_without_native_sidecars_keeps_the_old_proxy_fields() {
    let Some(shared) =
        util::shared("conformance::reinjection_without_native_sidecars_keeps_the_old_proxy_fields")
    else {
        return;
    };
    let data = shared.join(SUITE);
    let rendered = data.join("rendered/hold-app");
    let out = util::bin()
        .arg("inject")
        .arg("-f")
        .arg(data.join("pkg/kube/inject/testdata/inject/merge-probers.yaml"))
        .arg("--injectConfigFile")
        .arg(rendered.join("config.yaml"))
        .arg("--valuesFile")
        .arg(rendered.join("values.json"))
        .arg("--meshConfigFile")
        .arg(rendered.join("mesh.yaml"))
        .arg("--native-sidecars=false")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).unwrap();
    let want = util::read(&util::testdata(
        "conformance/reinjection/merge-probers-native-off.yaml.injected",
    ));
    golden::assert_text(
        "testdata/conformance/reinjection/merge-probers-native-off.yaml.injected",
        &want,
        &got,
    );
    // The facts the expectation rests on, spelled out.
    let env_names: Vec<&str> = got
        .lines()
        .skip_while(|l| l.trim() != "env:")
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("image:"))
        .filter_map(|l| l.trim().strip_prefix("- name: "))
        .collect();
    assert_eq!(env_names.first(), Some(&"JWT_POLICY"), "{env_names:?}");
    assert!(got.contains("value: hello,world,new"));
    assert!(!got.contains("--concurrency"));
}

/// Without `--istio-version`, the release is read from the configuration as a cluster's
/// would carry it, said on stderr, and reproduces that release's golden: the values'
/// `global.tag` (Istio's suites have `latest`, so a copy names the release), and the
/// version label of a whole ConfigMap given as the config file.
#[test]
fn the_release_is_read_from_the_configuration() {
    let Some(shared) = util::shared("conformance::the_release_is_read_from_the_configuration")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = shared.join("istio-testdata/istio-1.22.8");
    let rendered = data.join("rendered/default");
    let inject_dir = data.join("pkg/kube/inject/testdata/inject");
    let golden_path = inject_dir.join("cronjob.yaml.injected");
    let golden_name = golden_path.display().to_string();
    let want = normalise(&util::read(&golden_path));
    let run = |config: &Path, values: &Path| {
        let out = util::bin()
            .arg("inject")
            .arg("-f")
            .arg(inject_dir.join("cronjob.yaml"))
            .arg("--injectConfigFile")
            .arg(config)
            .arg("--valuesFile")
            .arg(values)
            .arg("--meshConfigFile")
            .arg(rendered.join("mesh.yaml"))
            .arg("--native-sidecars=false")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            normalise(&String::from_utf8_lossy(&out.stdout)),
            String::from_utf8(out.stderr).unwrap(),
        )
    };

    let mut values: Value =
        serde_json::from_str(&util::read(&rendered.join("values.json"))).unwrap();
    values["global"]["tag"] = json!("1.22.8-distroless");
    let tagged = tmp.path().join("values.json");
    std::fs::write(&tagged, values.to_string()).unwrap();
    let (got, stderr) = run(&rendered.join("config.yaml"), &tagged);
    assert!(
        stderr.contains("istio release 1.22 (from values global.tag 1.22.8-distroless)"),
        "{stderr}"
    );
    // The image tag changes with it; everything else is 1.22.8's golden (a batch/v2alpha1
    // CronJob injected, `creationTimestamp: null`).
    golden::assert_text(
        &golden_name,
        &want,
        &got.replace(":latest-distroless", ":latest")
            .replace(":1.22.8-distroless", ":latest"),
    );

    let configmap = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "istio-sidecar-injector", "namespace": "istio-system",
                     "labels": {"app.kubernetes.io/version": "1.22.8", "istio.io/rev": "default"}},
        "data": {"config": util::read(&rendered.join("config.yaml"))},
    });
    let whole = tmp.path().join("configmap.yaml");
    std::fs::write(&whole, serde_yaml::to_string(&configmap).unwrap()).unwrap();
    let (got, stderr) = run(&whole, &rendered.join("values.json"));
    assert!(
        stderr.contains(
            "istio release 1.22 (from the injector ConfigMap's label app.kubernetes.io/version=1.22.8)"
        ),
        "{stderr}"
    );
    golden::assert_text(&golden_name, &want, &got);

    // Nothing says: the newest behaviour, and 1.22.8's golden is not reproduced.
    let (got, stderr) = run(&rendered.join("config.yaml"), &rendered.join("values.json"));
    assert!(
        stderr.contains("istio release: newest behaviour"),
        "{stderr}"
    );
    assert_ne!(got, want);
}

/// `explain` reads `sidecar.istio.io/inject` as the injector's release does: the release
/// from the injector ConfigMap's version label in the input, `--istio-version` over it, and
/// `--compat` over both.
#[test]
fn explain_reads_inject_values_as_the_release_does() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.yaml");
    let write = |version: &str| {
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  namespace: istio-system\n  labels:\n    app.kubernetes.io/version: \"{version}\"\ndata:\n  config: |\n    policy: disabled\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: web\n  annotations:\n    sidecar.istio.io/inject: \"YES\"\nspec:\n  containers:\n  - name: app\n    image: app\n"
        );
        std::fs::write(&input, text).unwrap();
    };
    let inject = |extra: &[&str]| -> bool {
        let out = util::bin()
            .args([
                "explain",
                "-o",
                "json",
                "--namespace-labels",
                "istio-injection=enabled",
                "-f",
            ])
            .arg(&input)
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["inject"].as_bool().unwrap()
    };
    // Istio <= 1.26 read "YES" as yes; >= 1.27 only "true", else the policy (disabled here).
    write("1.24.6");
    assert!(inject(&[]));
    assert!(!inject(&["--istio-version", "1.27"]));
    assert!(!inject(&["--compat", "current"]));
    write("1.28.0");
    assert!(!inject(&[]));
    assert!(inject(&["--istio-version", "1.26"]));
}
