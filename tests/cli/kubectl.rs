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

#[test]
fn plugin_manifest_is_valid_for_krew() {
    let text = util::read(&util::root().join("plugin.yaml"));
    let doc: serde_json::Value = serde_yaml::from_str(&text).expect("plugin.yaml parses");
    assert_eq!(
        doc["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(doc["kind"], "Plugin");
    assert_eq!(doc["metadata"]["name"], "inject");
    let spec = &doc["spec"];
    let version = spec["version"].as_str().expect("version");
    assert_eq!(
        version,
        format!("v{}", env!("CARGO_PKG_VERSION")),
        "plugin.yaml version follows Cargo.toml"
    );
    assert!(
        spec["homepage"]
            .as_str()
            .is_some_and(|h| h.starts_with("https://"))
    );
    let short = spec["shortDescription"].as_str().expect("shortDescription");
    assert!(
        !short.is_empty() && short.len() <= 50,
        "shortDescription: {short:?}"
    );
    assert!(
        spec["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    );
    assert!(
        spec["caveats"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    );
    let platforms = spec["platforms"].as_array().expect("platforms");
    let mut seen = Vec::new();
    for p in platforms {
        let labels = &p["selector"]["matchLabels"];
        let (os, arch) = (
            labels["os"].as_str().expect("os"),
            labels["arch"].as_str().expect("arch"),
        );
        seen.push(format!("{os}/{arch}"));
        let uri = p["uri"].as_str().expect("uri");
        assert!(
            uri.starts_with("https://") && uri.contains(version),
            "{uri}"
        );
        assert!(
            uri.contains(&format!("{os}_{arch}")),
            "{uri} is for {os}/{arch}"
        );
        let sha = p["sha256"].as_str().expect("sha256");
        assert!(
            sha.len() == 64
                && sha
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "sha256 must be 64 lowercase hex digits: {sha}"
        );
        assert_eq!(p["bin"], "kubectl-inject");
    }
    seen.sort();
    assert_eq!(
        seen,
        ["darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64"]
    );
}
