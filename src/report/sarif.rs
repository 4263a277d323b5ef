//! SARIF 2.1.0 (the OASIS format code hosts read to annotate pull requests): one run of the
//! `kubectl-inject` tool whose rules are every code of `docs/findings.md`, and one result per
//! finding, drift or failed check, located at the file and line of the offending document
//! when it came from a file, and always named as an object (`CronJob shop/report`).

use serde_json::{Value, json};

use crate::findings::{CODES, CodeInfo, help_uri};

/// One result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SarifResult {
    pub code: &'static CodeInfo,
    pub message: String,
    /// The file the object came from, as given on the command line (relative stays relative).
    pub file: Option<String>,
    /// The line its document starts on (1-based).
    pub line: Option<usize>,
    /// `CronJob shop/report`, `MutatingWebhookConfiguration istio-sidecar-injector`.
    pub object: Option<String>,
}

/// A path as a relative URI reference: `/` kept, everything outside RFC 3986's unreserved
/// characters percent-encoded.
fn uri(path: &str) -> String {
    let mut s = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                s.push(char::from(b));
            }
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

fn rule(c: &CodeInfo) -> Value {
    json!({
        "id": c.code,
        "name": c.name,
        "shortDescription": {"text": c.summary},
        "fullDescription": {"text": format!("{} {}", c.summary, c.remedy)},
        "help": {"text": c.remedy},
        "helpUri": help_uri(c.code),
        "defaultConfiguration": {"level": c.severity.sarif_level()},
        "properties": {"tags": ["kubernetes", "istio", "sidecar-injection"]},
    })
}

/// The SARIF log, as pretty JSON text with a final newline.
pub fn render(results: &[SarifResult]) -> anyhow::Result<String> {
    let rules: Vec<Value> = CODES.iter().map(rule).collect();
    let results: Vec<Value> = results
        .iter()
        .map(|r| {
            let index = CODES
                .iter()
                .position(|c| c.code == r.code.code)
                .unwrap_or(0);
            let mut location = serde_json::Map::new();
            if let Some(file) = &r.file {
                let mut physical = json!({"artifactLocation": {"uri": uri(file)}});
                if let Some(line) = r.line.filter(|l| *l > 0) {
                    physical["region"] = json!({"startLine": line});
                }
                location.insert("physicalLocation".into(), physical);
            }
            if let Some(object) = &r.object {
                location.insert(
                    "logicalLocations".into(),
                    json!([{"name": object, "fullyQualifiedName": object, "kind": "object"}]),
                );
            }
            let mut result = json!({
                "ruleId": r.code.code,
                "ruleIndex": index,
                "level": r.code.severity.sarif_level(),
                "message": {"text": r.message},
            });
            if !location.is_empty() {
                result["locations"] = json!([Value::Object(location)]);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubectl-inject",
                "informationUri": env!("CARGO_PKG_HOMEPAGE"),
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log)?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::lookup;

    #[test]
    fn a_result_points_at_its_file_line_and_object() {
        let code = lookup("KI110").unwrap();
        let text = render(&[SarifResult {
            code,
            message: "never completes".into(),
            file: Some("deploy/my app.yaml".into()),
            line: Some(12),
            object: Some("CronJob shop/report".into()),
        }])
        .unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let r = &v["runs"][0]["results"][0];
        assert_eq!(r["ruleId"], "KI110");
        assert_eq!(r["level"], "warning");
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "deploy/my%20app.yaml"
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            12
        );
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            v["runs"][0]["tool"]["driver"]["rules"][index]["id"],
            "KI110"
        );
    }
}
