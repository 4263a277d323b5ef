//! YAML emission byte-compatible with Go's `sigs.k8s.io/yaml` (go-yaml v2) (pure).
//!
//! `sigs.k8s.io/yaml.Marshal(obj)` is `json.Marshal(obj)`, then go-yaml v2 reads that JSON
//! (picking int, uint or float64 for each number) and marshals it as a YAML document. Istio's
//! `kube-inject` output and the injector template function `toYaml` both come out of it, so
//! byte-exact goldens need the same keys order, quoting, block scalars and line folding:
//!
//! - keys sorted by go-yaml's `keyList.Less` (digit runs compared as numbers, letters after
//!   other characters) — [`keys`];
//! - a string is plain unless it would read back as another type (`"true"`, `"15001"`,
//!   `""`, `"2024-01-02"`, `"1:20"`) — [`resolve`] —, and libyaml's emitter then falls back to
//!   single quotes (indicators, `: `, ` #`, surrounding spaces) or double quotes (control,
//!   non-BMP or other unprintable characters) — [`emitter`];
//! - strings with `\n` become literal blocks (`|`, `|-`, `|+`);
//! - plain and quoted scalars fold at spaces past column 80, as libyaml's `best_width` does
//!   (sigs.k8s.io/yaml never turns go-yaml's line wrapping off: Istio's goldens show it);
//! - numbers print as go-yaml prints what Go's `encoding/json` wrote — [`number`].
//!
//! Pure: no I/O; imports nothing but serde_json and `crate::go` (Go's strconv).

mod emitter;
pub mod fast;
mod keys;
pub mod kube;
mod number;
pub mod pool;
mod resolve;

use serde_json::Value;

/// The YAML document Go's `sigs.k8s.io/yaml.Marshal` prints for this JSON value, ending
/// with a newline (no `---` separator: callers that write streams add it).
pub fn to_string(value: &Value) -> String {
    emitter::Emitter::document(value)
}

#[cfg(test)]
mod tests;
