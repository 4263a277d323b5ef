//! `uninstall` against the real test API server (`scripts/test-apiserver.sh run -- cargo
//! test --test cli uninstall`). Each test installs its own injector objects under a unique
//! name and namespace (`--name`, `--istio-namespace`): tests share one server and run in
//! parallel. Without the server they say skipped (and fail under CI=true).

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::util;

pub(crate) fn cluster(test: &str) -> bool {
    if std::env::var_os("KUBECTL_INJECT_TEST_CLUSTER").is_some() {
        return true;
    }
    util::skip(
        test,
        "no test cluster (run under scripts/test-apiserver.sh run)",
    );
    false
}

pub(crate) fn kubectl(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new("kubectl")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

/// `kubectl apply`, retried: a fresh server can still be settling.
pub(crate) fn apply(yaml: &str) {
    let mut last = String::new();
    for _ in 0..10 {
        let out = kubectl(&["apply", "-f", "-"], Some(yaml));
        if out.status.success() {
            return;
        }
        last = String::from_utf8_lossy(&out.stderr).into_owned();
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    panic!("kubectl apply failed: {last}\n{yaml}");
}

const LABELS: &str = "{app: sidecarInjectorWebhook, istio: sidecar-injector}";

/// The standalone injector's seven objects, named after `name` in namespace `ns`.
fn install(name: &str, ns: &str, labels: &str) -> Vec<(String, Option<String>, String)> {
    let mut y = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n---\n");
    y.push_str(&format!("apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: {name}\n  labels: {labels}\nwebhooks: []\n---\n"));
    y.push_str(&format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {labels}\nspec:\n  replicas: 0\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: injector\n        image: nginx\n---\n"));
    y.push_str(&format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {labels}\nspec:\n  ports:\n  - port: 443\n---\n"));
    for sa in [name.to_string(), format!("{name}-service-account")] {
        y.push_str(&format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {sa}\n  namespace: {ns}\n  labels: {labels}\n---\n"));
    }
    y.push_str(&format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}-{ns}\n  labels: {labels}\nrules: []\n---\n"));
    y.push_str(&format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}-admin-role-binding-{ns}\n  labels: {labels}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {name}-{ns}\nsubjects:\n- kind: ServiceAccount\n  name: {name}-service-account\n  namespace: {ns}\n"));
    apply(&y);
    vec![
        ("mutatingwebhookconfiguration".into(), None, name.into()),
        ("deployment".into(), Some(ns.into()), name.into()),
        ("service".into(), Some(ns.into()), name.into()),
        ("serviceaccount".into(), Some(ns.into()), name.into()),
        (
            "serviceaccount".into(),
            Some(ns.into()),
            format!("{name}-service-account"),
        ),
        ("clusterrole".into(), None, format!("{name}-{ns}")),
        (
            "clusterrolebinding".into(),
            None,
            format!("{name}-admin-role-binding-{ns}"),
        ),
    ]
}

/// `kind/name` → resourceVersion, `None` when the object does not exist.
fn versions(objs: &[(String, Option<String>, String)]) -> Vec<Option<String>> {
    objs.iter()
        .map(|(kind, ns, name)| {
            let mut args = vec![
                "get",
                kind.as_str(),
                name.as_str(),
                "-o",
                "jsonpath={.metadata.resourceVersion}",
                "--ignore-not-found",
            ];
            if let Some(ns) = ns {
                args.extend(["-n", ns.as_str()]);
            }
            let out = kubectl(&args, None);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (!v.is_empty()).then_some(v)
        })
        .collect()
}

fn uninstall(name: &str, ns: &str, extra: &[&str]) -> Output {
    util::cluster_bin()
        .args(["uninstall", "--name", name, "--istio-namespace", ns])
        .args(extra)
        .output()
        .unwrap()
}

fn results(out: &Output) -> Vec<(String, String)> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                format!(
                    "{}/{}",
                    a["kind"].as_str().unwrap(),
                    a["name"].as_str().unwrap()
                ),
                a["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Audit events (one JSON object a line) of `verb` on any of the names.
fn audit(verb: &str, names: &[&str]) -> Vec<Value> {
    let Some(path) = std::env::var_os("KUBECTL_INJECT_TEST_AUDIT_LOG") else {
        return Vec::new();
    };
    // The log is written asynchronously: give it a moment.
    std::thread::sleep(std::time::Duration::from_secs(2));
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["verb"] == verb)
        .filter(|e| {
            names
                .iter()
                .any(|n| e["objectRef"]["name"].as_str() == Some(n))
        })
        .collect()
}

#[test]
fn full_uninstall_webhook_first_then_rerun_is_idempotent() {
    if !cluster("uninstall::full") {
        return;
    }
    let (name, ns) = ("inj-full", "rm-full");
    let objs = install(name, ns, LABELS);
    // A pod that still carries a sidecar: warned about, not touched.
    apply(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: meshed\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: nginx\n  - name: istio-proxy\n    image: proxyv2\n"
    ));

    let out = uninstall(name, ns, &["--yes", "-o", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let got = results(&out);
    assert_eq!(got.len(), 7);
    assert_eq!(got[0].0, format!("MutatingWebhookConfiguration/{name}"));
    assert!(got.iter().all(|(_, r)| r == "deleted"), "{got:?}");
    assert!(stderr.contains(&format!("{ns} (1)")), "{stderr}");
    assert!(stderr.contains("kubectl inject cleanup"), "{stderr}");
    assert!(versions(&objs).iter().all(Option::is_none));
    // The webhook's DELETE reached the server before any other.
    let deletes = audit("delete", &[name]);
    if !deletes.is_empty() {
        assert_eq!(
            deletes[0]["objectRef"]["resource"],
            "mutatingwebhookconfigurations"
        );
    }

    let again = uninstall(name, ns, &["--yes", "-o", "json"]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(results(&again).iter().all(|(_, r)| r == "alreadyGone"));
    // The sidecar was not removed.
    let pod = kubectl(&["get", "pod", "meshed", "-n", ns, "-o", "name"], None);
    assert!(pod.status.success());
}

#[test]
fn dry_runs_change_nothing() {
    if !cluster("uninstall::dry_run") {
        return;
    }
    let (name, ns) = ("inj-dry", "rm-dry");
    let objs = install(name, ns, LABELS);
    let before = versions(&objs);
    assert!(before.iter().all(Option::is_some));

    // Client: nothing but reads; -o yaml is the manifest of what would go.
    let out = uninstall(name, ns, &["--dry-run", "-o", "yaml"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        manifest.lines().filter(|l| *l == "---").count(),
        7,
        "{manifest}"
    );
    assert!(manifest.contains("kind: ClusterRoleBinding") && !manifest.contains("resourceVersion"));
    let out = uninstall(name, ns, &["--dry-run=client", "-o", "json"]);
    assert!(results(&out).iter().all(|(_, r)| r == "wouldDelete"));
    assert_eq!(versions(&objs), before);
    let names: Vec<&str> = objs.iter().map(|(_, _, n)| n.as_str()).collect();
    assert!(
        audit("delete", &names).is_empty(),
        "a client dry run sent a delete"
    );

    // Server: the deletes are sent with the API server's dry run and persist nothing.
    let out = uninstall(name, ns, &["--dry-run=server", "-o", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(results(&out).iter().all(|(_, r)| r == "wouldDelete"));
    assert_eq!(versions(&objs), before);
    // The 7 DELETEs reached the server (kube-rs sends `dryRun: [All]` in the DeleteOptions
    // body, which a Metadata-level audit log does not record), and nothing changed.
    if std::env::var_os("KUBECTL_INJECT_TEST_AUDIT_LOG").is_some() {
        let deletes = audit("delete", &names);
        assert_eq!(deletes.len(), 7, "{deletes:?}");
    }
}

#[test]
fn forbidden_deletes_are_a_partial_failure() {
    if !cluster("uninstall::partial") {
        return;
    }
    let (name, ns) = ("inj-partial", "rm-partial");
    let objs = install(name, ns, LABELS);
    // The unprivileged user may read everything here, and delete only the webhook, the
    // Deployment and the Service: not the ServiceAccounts nor the RBAC objects.
    let crb = format!("{name}-admin-role-binding-{ns}");
    let cr = format!("{name}-{ns}");
    apply(&format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: test-{name}\nrules:\n\
- apiGroups: [admissionregistration.k8s.io]\n  resources: [mutatingwebhookconfigurations]\n  resourceNames: [{name}]\n  verbs: [get, delete]\n\
- apiGroups: [rbac.authorization.k8s.io]\n  resources: [clusterroles, clusterrolebindings]\n  resourceNames: [{cr}, {crb}]\n  verbs: [get]\n---\n\
apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: test-{name}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: test-{name}\nsubjects:\n- kind: User\n  name: unprivileged\n---\n\
apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: test-{name}\n  namespace: {ns}\nrules:\n\
- apiGroups: [apps]\n  resources: [deployments]\n  verbs: [get, delete]\n\
- apiGroups: ['']\n  resources: [services]\n  verbs: [get, delete]\n\
- apiGroups: ['']\n  resources: [serviceaccounts]\n  verbs: [get]\n---\n\
apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: test-{name}\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: test-{name}\nsubjects:\n- kind: User\n  name: unprivileged\n"
    ));
    let ctx = std::env::var("KUBECTL_INJECT_TEST_USER_CONTEXT").unwrap();
    let out = uninstall(name, ns, &["--yes", "-o", "json", "--context", &ctx]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let got = results(&out);
    let want: Vec<(String, String)> = [
        ("MutatingWebhookConfiguration", name.to_string(), "deleted"),
        ("Deployment", name.to_string(), "deleted"),
        ("Service", name.to_string(), "deleted"),
        ("ServiceAccount", name.to_string(), "failed"),
        (
            "ServiceAccount",
            format!("{name}-service-account"),
            "failed",
        ),
        ("ClusterRoleBinding", crb.clone(), "failed"),
        ("ClusterRole", cr.clone(), "failed"),
    ]
    .into_iter()
    .map(|(k, n, r)| (format!("{k}/{n}"), r.to_string()))
    .collect();
    assert_eq!(got, want);
    assert!(
        stderr.contains("uninstall incomplete: 4 deletion(s) failed, 3 succeeded"),
        "{stderr}"
    );
    assert!(stderr.contains("forbidden"), "{stderr}");
    // What the report says is what the server holds.
    let now = versions(&objs);
    assert!(now[..3].iter().all(Option::is_none), "{now:?}");
    assert!(now[3..].iter().all(Option::is_some), "{now:?}");
    // Pods could not be listed: a warning, not a failure.
    assert!(
        stderr.contains("cannot check for injected pods"),
        "{stderr}"
    );
}

#[test]
fn refuses_without_a_terminal_or_yes_and_strict_refuses_with_sidecars() {
    if !cluster("uninstall::prompt") {
        return;
    }
    let (name, ns) = ("inj-prompt", "rm-prompt");
    let objs = install(name, ns, LABELS);
    let before = versions(&objs);
    // assert_cmd gives the child no terminal: stdin is not a TTY.
    let out = uninstall(name, ns, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("stdin is not a terminal"), "{stderr}");
    assert!(stderr.contains("hint: pass --yes"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "MutatingWebhookConfiguration {name}: exists: delete"
        )),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(versions(&objs), before);

    apply(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: meshed\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: nginx\n  - name: istio-proxy\n    image: proxyv2\n"
    ));
    let out = uninstall(name, ns, &["--yes", "--strict"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--strict: pods still carry injected sidecars"),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{ns} (1)")), "{stderr}");
    assert_eq!(versions(&objs), before);
}

#[test]
fn unlabelled_objects_are_kept_unless_forced() {
    if !cluster("uninstall::labels") {
        return;
    }
    let (name, ns) = ("inj-unlabelled", "rm-unlabelled");
    let objs = install(name, ns, "{app: something-else}");
    let out = uninstall(name, ns, &["--yes", "-o", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(results(&out).iter().all(|(_, r)| r == "kept"));
    assert!(versions(&objs).iter().all(Option::is_some));
    let out = uninstall(name, ns, &["--yes", "--force", "-o", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(results(&out).iter().all(|(_, r)| r == "deleted"));
    assert!(versions(&objs).iter().all(Option::is_none));
}
