//! Shared test helpers: the binary, the project and shared/ folders, and honest skips.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The built `kubectl-inject` binary, ready for arguments, with no cluster configured: the
/// offline tests decide on their input alone even when the suite runs beside a test cluster
/// (`-f` input is otherwise completed from the kubeconfig's cluster).
pub fn bin() -> assert_cmd::Command {
    let mut cmd = cluster_bin();
    cmd.env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", "/nonexistent");
    cmd
}

/// The built binary with the environment's kubeconfig: for tests against the test cluster.
pub fn cluster_bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("kubectl-inject").expect("binary is built");
    // Tests assert plain text: never color, whatever the developer's terminal says.
    cmd.env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
    cmd
}

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `testdata/`.
pub fn testdata(rel: &str) -> PathBuf {
    root().join("testdata").join(rel)
}

/// True when running under CI, where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `../shared/` beside the project, read in place. `None` (after saying "skipped") when it
/// is absent outside CI; under CI its absence fails the test.
pub fn shared(test: &str) -> Option<PathBuf> {
    let dir = root().join("..").join("shared");
    if dir.is_dir() {
        return Some(dir);
    }
    skip(test, "../shared/ is not present beside the project");
    None
}

/// Reports a skipped test; under CI a skip is a failure.
#[allow(clippy::print_stderr)] // a skip must be visible in the test output
pub fn skip(test: &str, why: &str) {
    assert!(!in_ci(), "{test}: cannot be skipped under CI=true: {why}");
    eprintln!("{test}: skipped: {why}");
}

/// Reads a file to a string, naming it on failure.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}
