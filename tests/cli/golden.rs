//! Golden comparisons, one way for every test: byte for byte, and a mismatch says which
//! golden, shows a unified diff (golden `---`, output `+++`), and says how to regenerate the
//! golden deliberately where the golden is ours (`SNAPSHOTS=overwrite`). Istio's goldens in
//! `../shared/` are never regenerated: a mismatch there is ours to fix.

use std::path::Path;

/// True under `SNAPSHOTS=overwrite`: tests that own their golden files rewrite them instead of
/// comparing (then read the diff with `git diff`).
pub fn overwrite() -> bool {
    std::env::var("SNAPSHOTS").is_ok_and(|v| v == "overwrite")
}

/// `None` when `got` is `want` byte for byte; else a message naming the golden with a unified
/// diff (3 lines of context). Line endings and a missing final newline show in it too
/// (`similar` compares whole lines, `\r` included, and marks a last line without `\n`).
pub fn mismatch(name: &str, want: &str, got: &str) -> Option<String> {
    if want == got {
        return None;
    }
    let diff = similar::TextDiff::from_lines(want, got)
        .unified_diff()
        .context_radius(3)
        .header(name, "output")
        .to_string();
    Some(format!(
        "output differs from {name} (byte for byte):\n{diff}"
    ))
}

/// Panics with [`mismatch`]'s message unless `got` is `want` byte for byte.
#[track_caller]
pub fn assert_text(name: &str, want: &str, got: &str) {
    if let Some(m) = mismatch(name, want, got) {
        panic!("{m}");
    }
}

/// Compares `got` with the golden file `path` (ours, under `testdata/`), or rewrites the file
/// under `SNAPSHOTS=overwrite`. `Err` carries the diff and the way to regenerate.
pub fn check_file(path: &Path, got: &str) -> Result<(), String> {
    if overwrite() {
        return std::fs::write(path, got).map_err(|e| format!("writing {}: {e}", path.display()));
    }
    let name = path
        .strip_prefix(crate::util::root())
        .unwrap_or(path)
        .display()
        .to_string();
    let want = std::fs::read_to_string(path).map_err(|e| {
        format!("{name}: {e} (SNAPSHOTS=overwrite cargo test writes it; then read it)")
    })?;
    match mismatch(&name, &want, got) {
        None => Ok(()),
        Some(m) => Err(format!(
            "{m}\nIf the change is deliberate: SNAPSHOTS=overwrite cargo test --test cli <test>, then read `git diff`."
        )),
    }
}

/// For goldens compared as parsed values (where the test decides what counts, e.g. key order
/// or fields masked): unless `got == want`, panics with the unified diff of their YAML.
#[track_caller]
pub fn assert_values<T: PartialEq + serde::Serialize + std::fmt::Debug>(
    name: &str,
    want: &T,
    got: &T,
) {
    if got == want {
        return;
    }
    let yaml = |v: &T| serde_yaml::to_string(v).unwrap_or_else(|e| format!("{v:?} ({e})"));
    match mismatch(name, &yaml(want), &yaml(got)) {
        Some(m) => panic!("{m}"),
        None => panic!(
            "{name}: the values differ where their YAML does not show it:\n  want: {want:?}\n  got:  {got:?}"
        ),
    }
}

#[test]
fn a_mismatch_shows_a_unified_diff_naming_the_golden() {
    let m = mismatch(
        "golden/web.yaml",
        "a: 1\nb: 2\nc: 3\n",
        "a: 1\nb: 3\nc: 3\n",
    )
    .unwrap();
    assert_eq!(
        m,
        "output differs from golden/web.yaml (byte for byte):\n\
         --- golden/web.yaml\n+++ output\n@@ -1,3 +1,3 @@\n a: 1\n-b: 2\n+b: 3\n c: 3\n"
    );
    assert_eq!(mismatch("g", "same\n", "same\n"), None);
    // Byte for byte: a missing final newline or a CR is a difference, and is said.
    let m = mismatch("g", "a\n", "a").unwrap();
    assert!(m.contains("\\ No newline at end of file"), "{m}");
    let m = mismatch("g", "a\n", "a\r\n").unwrap();
    assert!(m.contains("-a\n+a\r\n"), "{m}");
}
