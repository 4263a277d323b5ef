//! `--suppress CODE[=NAMESPACE/NAME]` (repeatable, and `suppress:` in a test suite), as
//! `istioctl analyze -S`: the code is a `KI…` code or its kebab-case name; without an object
//! it silences that code everywhere. The object is `NAMESPACE/NAME`, or `NAME` for any
//! namespace (and for cluster-scoped objects such as webhook configurations); `*` in either
//! part matches any run of characters.

use super::{CodeInfo, lookup};

/// A suppression that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuppressionError {
    #[error(
        "--suppress {0:?}: unknown code (codes are KI101… or their names, see docs/findings.md)"
    )]
    UnknownCode(String),
    #[error("--suppress {0:?}: the object after `=` is empty (write CODE or CODE=NAMESPACE/NAME)")]
    EmptyObject(String),
}

/// One `CODE[=NAMESPACE/NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub code: &'static CodeInfo,
    /// `(namespace pattern, name pattern)`; `None` for every object.
    object: Option<(Option<String>, String)>,
    text: String,
}

impl Suppression {
    pub fn parse(text: &str) -> Result<Suppression, SuppressionError> {
        let (code, object) = match text.split_once('=') {
            Some((c, o)) => (c.trim(), Some(o.trim())),
            None => (text.trim(), None),
        };
        let info = lookup(code).ok_or_else(|| SuppressionError::UnknownCode(text.to_string()))?;
        let object = match object {
            None => None,
            Some("") => return Err(SuppressionError::EmptyObject(text.to_string())),
            Some(o) => Some(match o.split_once('/') {
                Some((ns, name)) => (Some(ns.to_string()), name.to_string()),
                None => (None, o.to_string()),
            }),
        };
        Ok(Suppression {
            code: info,
            object,
            text: text.to_string(),
        })
    }

    /// True when this silences `code` on the object `namespace/name` (`namespace` is `None`
    /// for a cluster-scoped object, `name` is `None` when the finding concerns no object).
    pub fn covers(&self, code: &str, namespace: Option<&str>, name: Option<&str>) -> bool {
        if self.code.code != code {
            return false;
        }
        match (&self.object, name) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some((ns_pattern, name_pattern)), Some(name)) => {
                glob(name_pattern, name)
                    && match (ns_pattern, namespace) {
                        (None, _) => true,
                        (Some(p), Some(ns)) => glob(p, ns),
                        (Some(p), None) => p == "*" || p.is_empty(),
                    }
            }
        }
    }

    /// As written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Every suppression a command was given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suppressions(Vec<Suppression>);

impl Suppressions {
    pub fn parse<S: AsRef<str>>(texts: &[S]) -> Result<Suppressions, SuppressionError> {
        texts
            .iter()
            .map(|t| Suppression::parse(t.as_ref()))
            .collect::<Result<Vec<_>, _>>()
            .map(Suppressions)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the suppressions of `other` (a suite's list beside the command line's).
    pub fn extend(&mut self, other: Suppressions) {
        self.0.extend(other.0);
    }

    /// True when some suppression silences `code` (a `KI…` code) on `namespace/name`.
    pub fn covers(&self, code: &str, namespace: Option<&str>, name: Option<&str>) -> bool {
        self.0.iter().any(|s| s.covers(code, namespace, name))
    }
}

/// `*` matches any run of characters (also none); everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text;
    };
    if parts.len() == 1 {
        return pattern == text;
    }
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_both_work_and_unknown_ones_are_refused() {
        let by_code = Suppression::parse("KI110").unwrap();
        let by_name = Suppression::parse("run-to-completion").unwrap();
        assert_eq!(by_code.code.code, "KI110");
        assert_eq!(by_name.code.code, "KI110");
        assert!(by_code.covers("KI110", Some("shop"), Some("report")));
        assert!(!by_code.covers("KI101", Some("shop"), Some("report")));
        assert_eq!(
            Suppression::parse("KI999").unwrap_err().to_string(),
            "--suppress \"KI999\": unknown code (codes are KI101… or their names, see docs/findings.md)"
        );
        assert!(matches!(
            Suppression::parse("KI110="),
            Err(SuppressionError::EmptyObject(_))
        ));
    }

    #[test]
    fn objects_narrow_by_namespace_and_name_with_globs() {
        let s = Suppression::parse("KI110=shop/report").unwrap();
        assert!(s.covers("KI110", Some("shop"), Some("report")));
        assert!(!s.covers("KI110", Some("web"), Some("report")));
        assert!(!s.covers("KI110", Some("shop"), Some("nightly")));
        assert!(!s.covers("KI110", Some("shop"), None));
        let any_ns = Suppression::parse("KI110=report").unwrap();
        assert!(any_ns.covers("KI110", Some("web"), Some("report")));
        assert!(!any_ns.covers("KI301", None, Some("report")));
        let globbed = Suppression::parse("ki110=shop-*/*-job").unwrap();
        assert!(globbed.covers("KI110", Some("shop-eu"), Some("nightly-job")));
        assert!(!globbed.covers("KI110", Some("web"), Some("nightly-job")));
        assert!(!globbed.covers("KI110", Some("shop-eu"), Some("nightly")));
        let cluster = Suppression::parse("KI316=istio-sidecar-injector").unwrap();
        assert!(cluster.covers("KI316", None, Some("istio-sidecar-injector")));
    }

    #[test]
    fn glob_matches_like_a_shell() {
        for (p, t, want) in [
            ("a", "a", true),
            ("a", "b", false),
            ("*", "", true),
            ("*", "abc", true),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a*c", "abc", true),
            ("a*c", "ac", true),
            ("a*b*c", "axbyc", true),
            ("a*b*c", "axcyb", false),
            ("ab*ba", "aba", false),
        ] {
            assert_eq!(glob(p, t), want, "{p} ~ {t}");
        }
    }
}
