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
    let dir = shared_dir();
    if dir.is_none() {
        skip(test, SHARED_ABSENT);
    }
    dir
}

/// [`shared`] for a test that runs its other parts without it (one case of a corpus).
pub fn shared_part(test: &str) -> Option<PathBuf> {
    let dir = shared_dir();
    if dir.is_none() {
        skip_part(test, SHARED_ABSENT);
    }
    dir
}

const SHARED_ABSENT: &str = "../shared/ is not present beside the project";

fn shared_dir() -> Option<PathBuf> {
    Some(root().join("..").join("shared")).filter(|d| d.is_dir())
}

/// Reports a skipped test (the caller returns without asserting anything); under CI a skip
/// is a failure. Every skip goes through here (or [`skip_part`]) so that it is counted: see
/// [`SKIP_LOG`].
pub fn skip(test: &str, why: &str) {
    record(Skip::Whole, test, why);
}

/// Reports that part of a test was skipped (one case of a corpus, one oracle of several)
/// while the rest of it ran and asserted; under CI a failure like [`skip`].
pub fn skip_part(test: &str, why: &str) {
    record(Skip::Part, test, why);
}

/// The environment variable naming a file to which every skip appends one line,
/// `<test>\t<whole|part>\t<reason>`; `scripts/test-summary.sh` (`make test`) reads it to print
/// `N passed, N failed, N skipped`, since cargo's own closing line counts a skipped test as
/// passed.
pub const SKIP_LOG: &str = "KUBECTL_INJECT_SKIP_LOG";

#[derive(Clone, Copy)]
enum Skip {
    Whole,
    Part,
}

#[allow(clippy::print_stderr)] // a skip must be visible in the test output
fn record(kind: Skip, test: &str, why: &str) {
    assert!(!in_ci(), "{test}: cannot be skipped under CI=true: {why}");
    // libtest names each test's thread after the test (`module::name`): the name cargo
    // prints, whatever label the caller passed.
    let name = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .map_or_else(|| test.to_owned(), str::to_owned);
    let (word, kind) = match kind {
        Skip::Whole => ("skipped", "whole"),
        Skip::Part => ("partly skipped", "part"),
    };
    eprintln!("{test}: {word}: {why}");
    if let Some(log) = std::env::var_os(SKIP_LOG) {
        use std::io::Write as _;
        // The caller's label only when it adds something to the name (a case, an oracle).
        let why = why.replace(['\n', '\t'], " ");
        let reason = if name.ends_with(test) {
            why
        } else {
            format!("{test}: {why}")
        };
        let line = format!("{name}\t{kind}\t{reason}\n");
        // One write of one short line with O_APPEND: lines from parallel tests do not mix.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            panic!("{name}: cannot record the skip in {}: {e}", log.display());
        }
    }
}

/// Reads a file to a string, naming it on failure.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The error chains in a command's stderr (`error: …` then `  Caused by: …` lines, each
/// message running on until the next one, a blank line or a `hint:`), and every place where a
/// cause repeats its parent: a `Caused by:` whose text is contained in the message above it
/// (a cause put both in an error's message and in its `#[source]`). Empty when none does.
pub fn repeated_causes(stderr: &str) -> Vec<String> {
    let mut chains: Vec<Vec<String>> = Vec::new();
    let mut open = false;
    for line in stderr.lines() {
        if let Some(top) = line.strip_prefix("error: ") {
            chains.push(vec![top.to_owned()]);
            open = true;
        } else if let Some(cause) = line.strip_prefix("  Caused by: ").filter(|_| open) {
            if let Some(chain) = chains.last_mut() {
                chain.push(cause.to_owned());
            }
        } else if line.is_empty() || line.starts_with("hint: ") || line.starts_with("warning: ") {
            open = false;
        } else if open && let Some(last) = chains.last_mut().and_then(|c| c.last_mut()) {
            last.push('\n');
            last.push_str(line);
        }
    }
    let mut found = Vec::new();
    for chain in &chains {
        for pair in chain.windows(2) {
            let (parent, cause) = (&pair[0], pair[1].trim());
            if !cause.is_empty() && parent.contains(cause) {
                found.push(format!("{cause:?} repeats its parent {parent:?}"));
            }
        }
    }
    found
}

#[test]
fn repeated_causes_finds_a_cause_inside_its_parent() {
    let ok = "error: reading a.yaml\n  Caused by: document 2\n  Caused by: bad indent\n\nhint: x\n";
    assert!(repeated_causes(ok).is_empty());
    let twice = "error: template x: line 3: bad\n  3 | {{ .x }}\n  Caused by: line 3: bad\n";
    assert_eq!(
        repeated_causes(twice),
        ["\"line 3: bad\" repeats its parent \"template x: line 3: bad\\n  3 | {{ .x }}\""]
    );
    // The excerpt under a message is part of it: a cause repeating the excerpt is found too.
    let excerpt =
        "error: bad\n  3 | {{ .x }}\n      ^\n  Caused by: bad\n  3 | {{ .x }}\n      ^\n";
    assert_eq!(repeated_causes(excerpt).len(), 1);
}
