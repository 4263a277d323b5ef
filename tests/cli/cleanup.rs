//! `cleanup -f`: stripping manifests through the real binary.
//!
//! Conformance: (1) every Istio golden (`*.injected`, read in place) stripped with `cleanup -f`
//! and injected again with its case's configuration equals the golden — stripping loses
//! nothing injection needs; (2) 1.18's kube-uninject goldens (input `X.yaml.injected`,
//! expected `X.yaml`), compared where our documented rules coincide with 1.18's.

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::path::Path;

use serde_json::Value;

use crate::conformance::{SUITE, case_id, inject_case, known_failures, normalise};
use crate::{golden, util};

fn cleanup(file: &Path) -> std::process::Output {
    util::bin()
        .arg("cleanup")
        .arg("-f")
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn strip_then_inject_gives_the_golden_injection() {
    let Some(shared) = util::shared("cleanup::strip_then_inject_gives_the_golden_injection") else {
        return;
    };
    let data = shared.join(SUITE);
    let cases: Vec<Value> = serde_json::from_str(&util::read(&data.join("cases.json"))).unwrap();
    let known = known_failures();
    let tmp = tempfile::tempdir().unwrap();
    let inject_dir = data.join("pkg/kube/inject/testdata/inject");
    // The golden's *input* was itself injected (an older proxy with `--concurrency 2`,
    // `JWT_POLICY`, extra probers): re-injecting it merged those leftovers of the earlier
    // injection in, and a strip rightly removes them, so injecting again cannot bring them back.
    let not_a_round_trip = ["TestInjection/[56] merge-probers.yaml.injected"];
    // Custom templates that patch the app's own container list it in the status record,
    // so Istio's strip would delete the app: cleanup refuses (the record does not own it).
    let record_names_the_app = [
        "TestInjection/[53] custom-template.yaml.injected",
        "TestInjection/[82] grpc-agent.yaml.injected",
        "TestInjection/[83] grpc-simple.yaml.injected",
    ];
    let (mut passed, mut problems) = (0, Vec::new());
    for (i, c) in cases.iter().enumerate() {
        // Only cases whose injection we reproduce: the golden is then our own injection.
        if c["skip_kube_inject"] == true
            || !c["expected_error"].is_null()
            || known.contains_key(&case_id(c))
            || not_a_round_trip.contains(&case_id(c).as_str())
        {
            continue;
        }
        let golden = inject_dir.join(c["want"].as_str().unwrap());
        let stripped_out = cleanup(&golden);
        if record_names_the_app.contains(&case_id(c).as_str()) {
            let err = String::from_utf8_lossy(&stripped_out.stderr);
            if stripped_out.status.code() != Some(2) || !err.contains("lists every container") {
                problems.push(format!("{}: not refused: {err}", case_id(c)));
            }
            continue;
        }
        if !stripped_out.status.success() {
            problems.push(format!(
                "{}: cleanup failed: {}",
                case_id(c),
                String::from_utf8_lossy(&stripped_out.stderr)
            ));
            continue;
        }
        let dir = tmp.path().join(i.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let stripped = dir.join("stripped.yaml");
        std::fs::write(&stripped, &stripped_out.stdout).unwrap();
        // Nothing the injector records may survive the strip.
        let text = String::from_utf8_lossy(&stripped_out.stdout);
        for gone in [
            "sidecar.istio.io/status",
            "security.istio.io/tlsMode: istio",
        ] {
            if text.contains(gone) {
                problems.push(format!("{}: {gone} survived the strip", case_id(c)));
            }
        }
        let mut cmd = inject_case(&data, c, &stripped, &dir);
        let out = cmd.output().unwrap();
        let got = normalise(&String::from_utf8_lossy(&out.stdout));
        let want = normalise(&util::read(&golden));
        match golden::mismatch(&golden.display().to_string(), &want, &got) {
            None => passed += 1,
            Some(diff) => problems.push(format!("{}: {diff}", case_id(c))),
        }
    }
    eprintln!("cleanup round trip: {passed} passed");
    assert!(passed > 95, "too few round trips ran: {passed}");
    assert!(problems.is_empty(), "round trip:\n{}", problems.join("\n"));
}

/// Where 1.18's rules and ours differ by design, normalised away on both sides: 1.18 deleted
/// every `*sidecar.istio.io*` annotation and forced `sidecar.istio.io/inject: "false"` (we keep
/// user settings and add nothing), and Go of that time emitted `creationTimestamp: null`.
/// The nested `dnsConfig: {}` below (1.18 left it emptied; we drop it) is the same kind.
fn comparable(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(a)) = m.get_mut("annotations") {
                a.retain(|k, _| !k.contains("sidecar.istio.io"));
                if a.is_empty() {
                    m.remove("annotations");
                }
            }
            if let Some(Value::Object(l)) = m.get_mut("labels") {
                l.remove("sidecar.istio.io/inject");
                if l.is_empty() {
                    m.remove("labels");
                }
            }
            // 1.18 left an emptied `dnsConfig: {}` behind (in List items); we drop it.
            if m.get("dnsConfig")
                .is_some_and(|d| d.as_object().is_some_and(|d| d.is_empty()))
            {
                m.remove("dnsConfig");
            }
            if m.get("creationTimestamp") == Some(&Value::Null) {
                m.remove("creationTimestamp");
            }
            m.values_mut().for_each(comparable);
        }
        Value::Array(a) => a.iter_mut().for_each(comparable),
        _ => {}
    }
}

fn documents(text: &str) -> Vec<Value> {
    text.split("\n---")
        .filter_map(|d| serde_yaml::from_str::<Value>(d).ok())
        .filter(|v| !v.is_null())
        .map(|mut v| {
            comparable(&mut v);
            v
        })
        .collect()
}

#[test]
fn kube_uninject_1_18_goldens_where_the_rules_coincide() {
    let Some(shared) = util::shared("cleanup::kube_uninject_1_18_goldens") else {
        return;
    };
    let dir = shared.join("istio-testdata/legacy/1.18.0/istioctl/cmd/testdata/uninject");
    // Divergences by design, each asserted below rather than skipped.
    let refused = ["enable-core-dump.yaml.injected"]; // no status record: we refuse
    let differs = ["deploymentconfig-app-probe.yaml.injected"]; // 1.18 invents probes
    let mut compared = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(base) = name.strip_suffix(".injected") else {
            continue;
        };
        let out = cleanup(&path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if refused.contains(&name.as_str()) {
            assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
            assert!(out.stdout.is_empty(), "{name}: wrote output");
            assert!(
                stderr.contains("no sidecar.istio.io/status record"),
                "{stderr}"
            );
            continue;
        }
        assert!(out.status.success(), "{name}: {stderr}");
        let got = documents(&String::from_utf8_lossy(&out.stdout));
        let want = documents(&util::read(&dir.join(base)));
        if differs.contains(&name.as_str()) {
            // 1.18 adds probes from ISTIO_KUBE_APP_PROBERS to a container that had none
            // rewritten; we restore only probes that point at the agent.
            assert_ne!(got, want, "{name}: now coincides; remove it from `differs`");
            continue;
        }
        golden::assert_values(
            &format!("{} (as documents)", dir.join(base).display()),
            &want,
            &got,
        );
        compared += 1;
    }
    eprintln!("kube-uninject 1.18: {compared} compared");
    assert!(compared >= 10, "only {compared} compared");
}

#[test]
fn not_injected_documents_pass_through_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("in.yaml");
    let text = "apiVersion: v1\nkind: Service\nmetadata:  {name: s}   # odd spacing kept\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n";
    std::fs::write(&file, text).unwrap();
    let out = cleanup(&file);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(
            "apiVersion: v1\nkind: Service\nmetadata:  {name: s}   # odd spacing kept\n---\n"
        ),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("pod \"p\" unchanged: not injected"));
}

#[test]
fn in_place_rewrites_only_when_every_object_strips() {
    let Some(shared) = util::shared("cleanup::in_place") else {
        return;
    };
    let golden = shared
        .join(SUITE)
        .join("pkg/kube/inject/testdata/inject/hello.yaml.injected");
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.yaml");
    let bad = tmp.path().join("bad.yaml");
    std::fs::copy(&golden, &good).unwrap();
    let bad_text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: istio-proxy\n";
    std::fs::write(&bad, bad_text).unwrap();
    let original = util::read(&good);

    // One object without a record: exit 2, neither file touched.
    let out = util::bin()
        .args(["cleanup", "-i", "-f"])
        .arg(&good)
        .arg("-f")
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was written"));
    assert_eq!(util::read(&good), original);
    assert_eq!(util::read(&bad), bad_text);

    // --dry-run: the report, no write.
    let out = util::bin()
        .args(["cleanup", "-i", "--dry-run", "-f"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("deployment \"hello\" would be stripped")
    );
    assert_eq!(util::read(&good), original);

    let out = util::bin()
        .args(["cleanup", "-i", "-f"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let now = util::read(&good);
    assert!(
        !now.contains("istio-proxy") && !now.contains("sidecar.istio.io/status"),
        "{now}"
    );
}

// ---- against the cluster (scripts/test-apiserver.sh run -- cargo test --test cli cleanup) ----

use crate::uninstall::{apply, cluster, kubectl};

fn ns_labels(ns: &str) -> (Value, String) {
    let out = kubectl(&["get", "namespace", ns, "-o", "json"], None);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        v["metadata"]["labels"].clone(),
        v["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

#[test]
fn namespace_labels_removed_others_kept_and_dry_runs_change_nothing() {
    if !cluster("cleanup::namespace_labels") {
        return;
    }
    apply(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cl-labels\n  labels: {istio-injection: enabled, istio.io/rev: canary, team: web, cl-sel: on-test}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: cl-labels-2\n  labels: {istio-injection: enabled, cl-sel: on-test}\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: cl-labels-3\n  labels: {istio-injection: enabled}\n",
    );
    let before = ns_labels("cl-labels");
    for dry in ["--dry-run", "--dry-run=server"] {
        let out = util::cluster_bin()
            .args(["cleanup", "-n", "cl-labels", dry, "-o", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["changes"][0]["action"], "labels would be removed", "{v}");
        assert_eq!(
            ns_labels("cl-labels"),
            before,
            "{dry} changed the namespace"
        );
    }
    // Without a terminal and without --yes: the plan is printed, nothing is changed.
    let out = util::cluster_bin()
        .args(["cleanup", "-l", "cl-sel=on-test"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("plan:\n  namespace cl-labels: remove labels istio-injection=enabled, istio.io/rev=canary\n  namespace cl-labels-2: remove labels istio-injection=enabled\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "error: refusing to make 2 change(s) without confirmation: stdin is not a terminal"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("hint: pass --yes"), "{stderr}");
    assert_eq!(ns_labels("cl-labels"), before, "nothing changed");

    // On a terminal (a pseudo-terminal from util-linux `script`) it asks: "n" cancels,
    // "y" proceeds.
    let on_a_terminal = |args: &str, answer: &[u8]| {
        let cmd = format!("{} {args}", env!("CARGO_BIN_EXE_kubectl-inject"));
        let mut child = std::process::Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("script runs");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(answer).expect("answer");
        }
        let out = child.wait_with_output().expect("script ends");
        String::from_utf8_lossy(&out.stdout).replace('\r', "")
    };
    let text = on_a_terminal("cleanup -l cl-sel=on-test", b"n\n");
    assert!(text.contains("Make 2 change(s)? (y/N) "), "{text}");
    assert!(
        text.contains("error: cancelled; nothing was changed"),
        "{text}"
    );
    assert_eq!(ns_labels("cl-labels"), before, "cancelled: nothing changed");
    let text = on_a_terminal("cleanup -n cl-labels-3", b"y\n");
    assert!(text.contains("Make 1 change(s)? (y/N) "), "{text}");
    assert!(text.contains("labels removed"), "{text}");
    assert!(
        ns_labels("cl-labels-3").0.get("istio-injection").is_none(),
        "confirmed: the label is gone"
    );

    let out = util::cluster_bin()
        .args(["cleanup", "-l", "cl-sel=on-test", "--yes"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("cl-labels ") && stdout.contains("cl-labels-2 "),
        "{stdout}"
    );
    assert!(
        !stdout.contains("cl-labels-3"),
        "the selector was ignored: {stdout}"
    );
    let (labels, _) = ns_labels("cl-labels");
    assert!(
        labels.get("istio-injection").is_none() && labels.get("istio.io/rev").is_none(),
        "{labels}"
    );
    assert_eq!(labels["team"], "web");
    assert_eq!(labels["cl-sel"], "on-test");
    // Again: nothing left to do, exit 0.
    let out = util::cluster_bin()
        .args(["cleanup", "-n", "cl-labels", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["changes"], serde_json::json!([]));
}

#[test]
fn restart_rolls_injected_workloads_only_and_lists_the_rest() {
    if !cluster("cleanup::restart") {
        return;
    }
    let ns = "cl-restart";
    let deploy = |name: &str, proxy: bool| {
        let proxy = if proxy {
            "\n      - name: istio-proxy\n        image: proxyv2"
        } else {
            ""
        };
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: app\n        image: nginx{proxy}\n---\n"
        )
    };
    let mut y = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n---\n");
    y.push_str(&deploy("meshed", true));
    y.push_str(&deploy("plain", false));
    y.push_str(&format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: nginx\n  - name: istio-proxy\n    image: proxyv2\n---\n"));
    y.push_str(&format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: batch\n  namespace: {ns}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: app\n        image: busybox\n      - name: istio-proxy\n        image: proxyv2\n"));
    apply(&y);
    let start = std::time::Instant::now();
    loop {
        let out = kubectl(&["get", "pods", "-n", ns, "-o", "name"], None);
        if String::from_utf8_lossy(&out.stdout).lines().count() >= 4 {
            break;
        }
        assert!(start.elapsed().as_secs() < 60, "pods did not appear");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let template_annotations = |name: &str| {
        let out = kubectl(
            &[
                "get",
                "deployment",
                name,
                "-n",
                ns,
                "-o",
                "jsonpath={.spec.template.metadata.annotations}",
            ],
            None,
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let out = util::cluster_bin()
        .args(["cleanup", "-n", ns, "--restart", "--dry-run", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!template_annotations("meshed").contains("restartedAt"));

    let out = util::cluster_bin()
        .args(["cleanup", "-n", ns, "--restart", "--yes", "-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, String, String)> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kind"].as_str().unwrap().to_string(),
                c["name"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The sidecar of `meshed` is in its pod template (manual injection): a restart would
    // keep it, so it is reported with the remedy instead of restarted.
    let want: Vec<(String, String, String)> = [
        ("Deployment", "meshed", "manually injected"),
        ("Job", "batch", "manual action needed"),
        ("Pod", "bare", "manual action needed"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want);
    let meshed = &v["changes"][0]["detail"];
    assert!(
        meshed
            .as_str()
            .unwrap()
            .contains("kubectl get deployment meshed -n cl-restart -o yaml | kubectl inject cleanup -f - | kubectl apply -f -"),
        "{meshed}"
    );
    assert!(!template_annotations("meshed").contains("restartedAt"));
    assert!(!template_annotations("plain").contains("restartedAt"));
    // Nothing was deleted.
    let out = kubectl(&["get", "pod", "bare", "-n", ns, "-o", "name"], None);
    assert!(out.status.success());
    let out = kubectl(&["get", "job", "batch", "-n", ns, "-o", "name"], None);
    assert!(out.status.success());
}
