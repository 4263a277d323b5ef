//! The real plugin path: the built binary first on PATH, run through the real `kubectl`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util;

/// A temporary directory holding only `kubectl-inject`, to put first on PATH.
fn plugin_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_kubectl-inject"));
    std::fs::copy(&bin, dir.path().join("kubectl-inject")).expect("copy the plugin");
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (dir, PathBuf::from(path))
}

fn kubectl(path: &Path) -> Option<Command> {
    let found = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output();
    if found.is_err() {
        util::skip("kubectl", "kubectl is not installed");
        return None;
    }
    let mut cmd = Command::new("kubectl");
    cmd.env("PATH", path).env("NO_COLOR", "1");
    // No cluster is needed: point kubectl at an empty config so nothing is contacted.
    cmd.env("KUBECONFIG", "/dev/null");
    Some(cmd)
}

#[test]
fn kubectl_finds_the_plugin_and_shows_its_help() {
    let (_dir, path) = plugin_dir();
    let Some(mut cmd) = kubectl(&path) else {
        return;
    };
    let out = cmd
        .args(["inject", "--help"])
        .output()
        .expect("run kubectl");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "kubectl inject --help failed: {out:?}"
    );
    for sub in ["check", "explain", "inject", "uninstall", "cleanup"] {
        assert!(stdout.contains(sub), "help lacks {sub}:\n{stdout}");
    }
    assert!(stdout.contains("Usage: kubectl inject"), "{stdout}");

    let Some(mut list) = kubectl(&path) else {
        return;
    };
    let out = list.args(["plugin", "list"]).output().expect("run kubectl");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("kubectl-inject"), "plugin list:\n{stdout}");
}

#[test]
fn kubectl_inject_explain_runs_offline() {
    let (_dir, path) = plugin_dir();
    let Some(mut cmd) = kubectl(&path) else {
        return;
    };
    let file = util::testdata("plugin/web.yaml");
    let out = cmd
        .args(["inject", "explain", "-o", "json", "-f"])
        .arg(&file)
        .output()
        .expect("run kubectl");
    assert!(out.status.success(), "explain failed: {out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["kind"], "Deployment");
    assert_eq!(json["name"], "frontend");
    assert_eq!(json["namespace"], "web");
    assert_eq!(json["inject"], true);
    assert_eq!(json["decidedBy"], "policy");
}
