//! Kubernetes label syntax: qualified keys (`prefix/name`), label values, and the `k=v,k2=v2`
//! lists that `--namespace-labels` takes. The rules are apimachinery's `IsQualifiedName` and
//! `IsValidLabelValue`, so a selector Kubernetes would reject is rejected here too.

use super::StringMap;

/// A label key or value that Kubernetes would refuse, or a malformed `k=v` list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("invalid label key {key:?}: {why}")]
    Key { key: String, why: &'static str },
    #[error("invalid label value {value:?}: {why}")]
    Value { value: String, why: &'static str },
    #[error("{item:?} is not of the form key=value")]
    NotKeyValue { item: String },
}

const NAME_RULE: &str = "must be 63 characters or less, begin and end with an alphanumeric character, and contain only alphanumerics, '-', '_' or '.'";
const PREFIX_RULE: &str =
    "the prefix before '/' must be a lowercase DNS subdomain of at most 253 characters";

fn is_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    let edge_ok = |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    !b.is_empty()
        && b.len() <= 63
        && edge_ok(b.first())
        && edge_ok(b.last())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|part| {
            let b = part.as_bytes();
            let edge_ok =
                |c: Option<&u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            edge_ok(b.first())
                && edge_ok(b.last())
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// Checks a label key: `name` or `prefix/name`.
pub fn validate_key(key: &str) -> Result<(), LabelError> {
    let err = |why| LabelError::Key {
        key: key.to_string(),
        why,
    };
    match key.split_once('/') {
        Some((prefix, name)) => {
            if !is_dns_subdomain(prefix) {
                return Err(err(PREFIX_RULE));
            }
            if !is_name_part(name) {
                return Err(err(NAME_RULE));
            }
        }
        None if !is_name_part(key) => return Err(err(NAME_RULE)),
        None => {}
    }
    Ok(())
}

/// Checks a label value: empty, or a name part.
pub fn validate_value(value: &str) -> Result<(), LabelError> {
    if value.is_empty() || is_name_part(value) {
        Ok(())
    } else {
        Err(LabelError::Value {
            value: value.to_string(),
            why: NAME_RULE,
        })
    }
}

/// Parses `k=v,k2=v2` (spaces around items allowed, empty list allowed).
pub fn parse_label_list(text: &str) -> Result<StringMap, LabelError> {
    let mut out = StringMap::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| LabelError::NotKeyValue {
                item: item.to_string(),
            })?;
        let (k, v) = (k.trim(), v.trim());
        validate_key(k)?;
        validate_value(v)?;
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for (key, ok) in [
            ("app", true),
            ("sidecar.istio.io/inject", true),
            ("kubernetes.io/metadata.name", true),
            ("a_b.c-d", true),
            ("", false),
            ("-app", false),
            ("app-", false),
            ("Example.com/x", false),
            ("/x", false),
            ("a/", false),
            ("a/b/c", false),
            ("has space", false),
            (&"x".repeat(64), false),
            (&"x".repeat(63), true),
        ] {
            assert_eq!(validate_key(key).is_ok(), ok, "{key:?}");
        }
    }

    #[test]
    fn values() {
        for (value, ok) in [
            ("", true),
            ("enabled", true),
            ("1-16", true),
            ("true", true),
            ("a b", false),
            ("-x", false),
            ("x/y", false),
        ] {
            assert_eq!(validate_value(value).is_ok(), ok, "{value:?}");
        }
    }

    #[test]
    fn label_lists() {
        let m = parse_label_list(" istio-injection=enabled , istio.io/rev=canary,empty=").unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m["istio-injection"], "enabled");
        assert_eq!(m["empty"], "");
        assert!(parse_label_list("").unwrap().is_empty());
        assert!(matches!(
            parse_label_list("novalue"),
            Err(LabelError::NotKeyValue { .. })
        ));
        assert!(matches!(
            parse_label_list("a=b c"),
            Err(LabelError::Value { .. })
        ));
    }
}
