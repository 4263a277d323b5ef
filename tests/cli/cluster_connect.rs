//! kubectl's connection flags and `-v`: `--server`, `--token` and `--certificate-authority`
//! reach the test API server without a kubeconfig; `--insecure-skip-tls-verify` skips the
//! CA; `--as` impersonates (and so is refused what that user may not read); `-v 6` logs each
//! request on stderr.

use base64::Engine as _;
use serde_json::Value;

use crate::cluster_live::cluster;
use crate::util;

/// (server, CA in PEM, admin token) of the test cluster's kubeconfig.
fn credentials() -> (String, Vec<u8>, String) {
    let path = std::env::var("KUBECONFIG").expect("KUBECONFIG");
    let kc: Value = serde_yaml::from_str(&util::read(std::path::Path::new(&path))).expect("yaml");
    let server = kc["clusters"][0]["cluster"]["server"]
        .as_str()
        .expect("server")
        .to_string();
    let ca = base64::engine::general_purpose::STANDARD
        .decode(
            kc["clusters"][0]["cluster"]["certificate-authority-data"]
                .as_str()
                .expect("ca"),
        )
        .expect("base64");
    let user = kc["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["name"] == "admin")
        .expect("admin user");
    let token = user["user"]["token"].as_str().expect("token").to_string();
    (server, ca, token)
}

#[test]
fn connection_flags_reach_the_server_without_a_kubeconfig() {
    if !cluster("connection_flags_reach_the_server_without_a_kubeconfig") {
        return;
    }
    let (server, ca, token) = credentials();
    let dir = tempfile::tempdir().expect("tmp");
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, ca).expect("write");
    // util::bin(): no KUBECONFIG, no home: only the flags say where and who.
    let run = |extra: &[&str]| {
        util::bin()
            .args([
                "check",
                "-n",
                "kube-system",
                "--server",
                &server,
                "--token",
                &token,
            ])
            .args(extra)
            .output()
            .expect("runs")
    };
    let ca_arg = ca_path.display().to_string();
    for extra in [
        vec!["--certificate-authority", ca_arg.as_str()],
        vec!["--insecure-skip-tls-verify"],
    ] {
        let out = run(&extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{extra:?}: {stderr}"
        );
        assert!(!stderr.contains("error:"), "{extra:?}: {stderr}");
    }
    // Without the CA the server's certificate is not trusted.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: cannot reach the API server at {server}")),
        "{stderr}"
    );
    // A CA file that does not exist is named.
    let out = run(&["--certificate-authority", "/nonexistent/ca.pem"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--certificate-authority /nonexistent/ca.pem: no such file"),
    );
}

#[test]
fn as_impersonates_and_v6_logs_requests() {
    if !cluster("as_impersonates_and_v6_logs_requests") {
        return;
    }
    // The admin impersonating the user without bindings is refused what that user is.
    let out = util::cluster_bin()
        .args(["check", "-n", "default", "--as", "unprivileged"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(
            "error: forbidden: cannot list any workload or pod in namespace \"default\""
        ),
        "{stderr}"
    );
    let out = util::cluster_bin()
        .args(["check", "-n", "default", "-v", "6", "-o", "json"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().any(|l| l.starts_with(
            "GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations?limit=500 OK in "
        ) && l.ends_with(" milliseconds")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("GET /api/v1/namespaces/default/pods?limit=500 OK in ")),
        "{stderr}"
    );
    // Without -v, and with stderr not a terminal: not a word of progress.
    let out = util::cluster_bin()
        .args(["check", "-n", "default", "-o", "json"])
        .output()
        .expect("runs");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
