//! Machine output: every command's report serialized the same way for `-o json` (pretty,
//! two-space indent, a final newline, as kubectl prints) and `-o yaml` (the project's
//! Go-compatible emitter: sorted keys, kubectl's quoting).

use serde::Serialize;

/// The machine formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    Json,
    Yaml,
}

/// A report as JSON or YAML text.
pub fn machine<T: Serialize + ?Sized>(value: &T, format: Machine) -> anyhow::Result<String> {
    Ok(match format {
        Machine::Json => {
            let mut s = serde_json::to_string_pretty(value)?;
            s.push('\n');
            s
        }
        Machine::Yaml => crate::yaml::to_string(&serde_json::to_value(value)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_yaml_of_the_same_report() {
        let v = serde_json::json!({"items": [{"name": "web", "inject": true}]});
        assert_eq!(
            machine(&v, Machine::Json).unwrap(),
            "{\n  \"items\": [\n    {\n      \"inject\": true,\n      \"name\": \"web\"\n    }\n  ]\n}\n"
        );
        assert_eq!(
            machine(&v, Machine::Yaml).unwrap(),
            "items:\n- inject: true\n  name: web\n"
        );
    }
}
