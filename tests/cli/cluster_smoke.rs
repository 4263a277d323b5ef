//! The test cluster itself, through real `kubectl`: `scripts/test-apiserver.sh run -- cargo
//! test` starts a real kube-apiserver and sets `KUBECONFIG`, `KUBECTL_INJECT_TEST_CLUSTER=1`
//! and `KUBECTL_INJECT_TEST_USER_CONTEXT`; without them these tests say "skipped", which
//! fails under CI=true.
//!
//! The helpers (`TestCluster`, `TestNamespace`) are for every cluster test: one server is
//! shared, so each test works in its own uniquely named namespace, deleted on drop.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::util;

/// The cluster the test script configured: `KUBECONFIG` (inherited by every `kubectl`) plus
/// the name of the context whose user has no RBAC bindings.
pub struct TestCluster {
    pub user_context: String,
}

impl TestCluster {
    /// The configured test cluster, or `None` after reporting `test` as skipped (a failure
    /// under CI) when `KUBECTL_INJECT_TEST_CLUSTER` is not set.
    pub fn get(test: &str) -> Option<Self> {
        if std::env::var_os("KUBECTL_INJECT_TEST_CLUSTER").is_none() {
            util::skip(
                test,
                "no test cluster configured (run through `scripts/test-apiserver.sh run --`)",
            );
            return None;
        }
        let user_context = std::env::var("KUBECTL_INJECT_TEST_USER_CONTEXT")
            .expect("KUBECTL_INJECT_TEST_USER_CONTEXT is set with KUBECTL_INJECT_TEST_CLUSTER");
        Some(Self { user_context })
    }

    /// Runs `kubectl ARGS` as the admin (the kubeconfig's current context).
    pub fn kubectl(&self, args: &[&str]) -> Output {
        kubectl(args, None)
    }

    /// Runs `kubectl ARGS` as the admin and fails the test unless it succeeds; its stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        success(args, kubectl(args, None))
    }

    /// Runs `kubectl ARGS` as the admin with `stdin` as input; fails the test unless it
    /// succeeds.
    pub fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> String {
        success(args, kubectl(args, Some(stdin)))
    }

    /// Runs `kubectl --context <user without bindings> ARGS`.
    pub fn kubectl_as_user(&self, args: &[&str]) -> Output {
        let mut all = vec!["--context", self.user_context.as_str()];
        all.extend_from_slice(args);
        kubectl(&all, None)
    }

    /// A new namespace with a name unique to this run, deleted (without waiting) on drop.
    pub fn namespace(&self, prefix: &str) -> TestNamespace {
        let name = unique_name(prefix);
        self.kubectl_ok(&["create", "namespace", &name]);
        TestNamespace { name }
    }
}

/// A namespace owned by one test.
pub struct TestNamespace {
    pub name: String,
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        // Best effort: a failing test must still not leave its namespace behind.
        let _ = Command::new("kubectl")
            .args(["delete", "namespace", &self.name, "--wait=false"])
            .args(["--ignore-not-found", "--request-timeout=30s"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// `PREFIX-<pid>-<seconds>-<n>`: unique across tests of one run and across runs that share
/// a long-lived cluster; a valid DNS label.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() % 1_000_000);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{secs}-{n}", std::process::id())
}

fn kubectl(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new("kubectl")
        .args(args)
        .arg("--request-timeout=30s")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running kubectl {args:?}: {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("writing to kubectl {args:?}: {e}"));
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("waiting for kubectl {args:?}: {e}"))
}

fn success(args: &[&str], out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kubectl {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: app
    image: registry.invalid/app:1
    ports:
    - containerPort: 8080
";

#[test]
fn admin_creates_and_lists_a_pod_stored_as_written() {
    let Some(cluster) = TestCluster::get("admin_creates_and_lists_a_pod_stored_as_written") else {
        return;
    };
    let ns = cluster.namespace("smoke-pod");
    cluster.kubectl_stdin(&["create", "-n", &ns.name, "-f", "-"], POD);

    let names = cluster.kubectl_ok(&[
        "get",
        "pods",
        "-n",
        &ns.name,
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ]);
    assert_eq!(names, "web");

    // No scheduler or kubelet: the pod stays Pending. ServiceAccount admission is off, so no
    // token volume is added: what the server stores is the spec as written.
    let pod = cluster.kubectl_ok(&[
        "get",
        "pod",
        "web",
        "-n",
        &ns.name,
        "-o",
        "jsonpath={.status.phase} {.spec.containers[*].name} volumes=[{.spec.volumes}]",
    ]);
    assert_eq!(pod, "Pending app volumes=[]");
}

#[test]
fn user_without_bindings_is_forbidden() {
    let Some(cluster) = TestCluster::get("user_without_bindings_is_forbidden") else {
        return;
    };
    let ns = cluster.namespace("smoke-rbac");

    let out = cluster.kubectl_as_user(&["get", "pods", "-n", &ns.name]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "listing pods was allowed");
    assert!(
        stderr.contains("Error from server (Forbidden)")
            && stderr.contains("User \"unprivileged\" cannot list resource \"pods\""),
        "not a 403 for the unprivileged user:\n{stderr}"
    );

    // Authenticated, not anonymous: discovery (allowed to every authenticated user) works,
    // so the 403 above is RBAC's answer, not a bad token (401).
    let out = cluster.kubectl_as_user(&["get", "--raw", "/api"]);
    assert!(
        out.status.success(),
        "discovery failed for the unprivileged user:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn controller_manager_serves_namespaces() {
    let Some(cluster) = TestCluster::get("controller_manager_serves_namespaces") else {
        return;
    };
    let ns = cluster.namespace("smoke-ns");
    cluster.kubectl_stdin(&["create", "-n", &ns.name, "-f", "-"], POD);

    // The serviceaccount controller gives every namespace its `default` account.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cluster
        .kubectl(&["get", "serviceaccount", "default", "-n", &ns.name])
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "no default service account in {} after 60 s",
            ns.name
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    // Without the namespace controller, deletion would hang in Terminating.
    cluster.kubectl_ok(&["delete", "namespace", &ns.name, "--timeout=60s"]);
    let out = cluster.kubectl(&["get", "namespace", &ns.name]);
    assert!(!out.status.success(), "namespace {} still exists", ns.name);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NotFound"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
