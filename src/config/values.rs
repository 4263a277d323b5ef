//! The injector's `values` (the `values` key of the `istio-sidecar-injector` ConfigMap):
//! JSON or YAML, read as Istio reads it with `sigs.k8s.io/yaml` into `map[string]any`, so
//! every number is a float64 (`.Values.x` of 1000000 prints `1e+06` in a template).
//!
//! Pure: parses text handed to it.

/// A values text that does not parse, named by its source.
#[derive(Debug, thiserror::Error)]
pub enum ValuesError {
    #[error("{source_name}: not valid JSON or YAML values: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: values must be a mapping, not {found}")]
    NotAMapping { source_name: String, found: String },
}

/// Parses values text (JSON is YAML) into a JSON object whose numbers are all float64.
/// Empty text is an empty object.
pub fn parse_values(source_name: &str, text: &str) -> Result<serde_json::Value, ValuesError> {
    let value: serde_json::Value = serde_yaml::from_str(text).map_err(|e| ValuesError::Parse {
        source_name: source_name.to_string(),
        message: e.to_string(),
    })?;
    match value {
        serde_json::Value::Null => Ok(serde_json::Value::Object(serde_json::Map::new())),
        v @ serde_json::Value::Object(_) => Ok(floats(v)),
        other => Err(ValuesError::NotAMapping {
            source_name: source_name.to_string(),
            found: match other {
                serde_json::Value::Array(_) => "a list".into(),
                _ => format!("`{other}`"),
            },
        }),
    }
}

fn floats(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(serde_json::Value::Number(n), serde_json::Value::Number),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(floats).collect())
        }
        serde_json::Value::Object(o) => {
            serde_json::Value::Object(o.into_iter().map(|(k, v)| (k, floats(v))).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_floats() {
        for text in ["{\"a\": {\"b\": 1000000}}", "a:\n  b: 1000000\n"] {
            let v = parse_values("values.json", text).unwrap();
            assert!(v["a"]["b"].is_f64(), "{text}");
            assert_eq!(v["a"]["b"].as_f64(), Some(1e6));
        }
    }

    #[test]
    fn empty_is_an_empty_mapping_and_lists_are_refused() {
        assert_eq!(parse_values("v", "").unwrap(), serde_json::json!({}));
        let e = parse_values("v.yaml", "- 1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "v.yaml: values must be a mapping, not a list"
        );
        let e = parse_values("v.yaml", "a: [").unwrap_err();
        assert!(e.to_string().starts_with("v.yaml: not valid"), "{e}");
    }
}
