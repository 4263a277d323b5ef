//! Prometheus metrics merging (Istio's `applyPrometheusMerge`): the app's scrape annotations
//! are handed to the agent in `ISTIO_PROMETHEUS_ANNOTATIONS` and the pod is pointed at the
//! agent's merged endpoint on the status port.

use serde::Serialize;
use serde_json::Value;

use super::pod;
use crate::go::json::marshal as go_json;
use crate::model::istio::{PROMETHEUS_PATH, PROMETHEUS_PORT, PROMETHEUS_SCRAPE};

const TARGETS: &str = "prometheus.istio.io/scrape-targets";
const MERGE: &str = "prometheus.istio.io/merge-metrics";
pub const ENV: &str = "ISTIO_PROMETHEUS_ANNOTATIONS";

/// Ports the agent and Envoy own; a scrape target may not use them.
const RESERVED: [u16; 9] = [
    15000, 15001, 15004, 15006, 15008, 15020, 15021, 15053, 15090,
];

/// Prometheus' label sanitisation: anything outside `[a-zA-Z0-9_]` becomes `_`, so
/// `prometheus.io/port` and `prometheus_io_port` name the same setting.
fn sanitize(k: &str) -> impl Iterator<Item = char> + '_ {
    k.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
}

/// Whether two keys sanitise to the same label (without building either).
fn same_label(a: &str, b: &str) -> bool {
    sanitize(a).eq(sanitize(b))
}

/// The value of an annotation under any of its sanitised spellings; the exact key wins.
fn lookup<'a>(pod: &'a Value, key: &str) -> Option<&'a str> {
    if let Some(v) = pod::annotation(pod, key) {
        return Some(v);
    }
    pod::annotations(pod)
        .into_iter()
        .find(|(k, _)| same_label(k, key))
        .map(|(_, v)| v)
}

/// The pod's Prometheus port annotation.
pub fn port(pod: &Value) -> Option<&str> {
    lookup(pod, PROMETHEUS_PORT)
}

/// Removes `prometheus.io/{scrape,port,path}` in every spelling.
pub fn clear(pod: &mut Value) {
    remove_variants(pod, &[PROMETHEUS_SCRAPE, PROMETHEUS_PORT, PROMETHEUS_PATH]);
}

fn remove_variants(pod: &mut Value, keys: &[&str]) {
    let doomed: Vec<String> = pod::annotations(pod)
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| keys.iter().any(|w| same_label(k, w)))
        .map(str::to_string)
        .collect();
    for k in doomed {
        pod::remove_annotation(pod, &k);
    }
}

#[derive(Debug, Default, PartialEq, Serialize)]
struct Target {
    port: String,
    path: String,
}

/// The agent's scrape configuration (`status.PrometheusScrapeConfiguration`).
#[derive(Debug, Default, PartialEq, Serialize)]
struct ScrapeConfig {
    scrape: String,
    path: String,
    port: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    targets: Vec<Target>,
}

/// An annotation the merge cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrometheusError {
    #[error(
        "invalid value '{value}' for annotation '{TARGETS}': port {port:?} is not a port number"
    )]
    NotAPort { value: String, port: String },
    #[error("invalid value '{value}' for annotation '{key}': port {port} is reserved by Istio")]
    Reserved {
        key: &'static str,
        value: String,
        port: u16,
    },
}

/// Applies the merge when it is on (no `prometheus.io/scrape: "false"`; the
/// `merge-metrics` annotation, else the mesh's `enablePrometheusMerge`, default true).
pub fn apply_merge(
    pod: &mut Value,
    mesh_enable: Option<bool>,
    status_port: i64,
) -> Result<(), PrometheusError> {
    if lookup(pod, PROMETHEUS_SCRAPE) == Some("false") {
        return Ok(());
    }
    let enabled = match pod::annotation(pod, MERGE) {
        Some(v) => crate::go::strconv::parse_bool(v).unwrap_or(false),
        None => mesh_enable.unwrap_or(true),
    };
    if !enabled {
        return Ok(());
    }
    let target = status_port.to_string();
    if port(pod) == Some(target.as_str()) {
        // Already pointed at the agent: the user controls it, or this is a re-injection.
        return Ok(());
    }
    let mut cfg = ScrapeConfig {
        scrape: lookup(pod, PROMETHEUS_SCRAPE).unwrap_or("").to_string(),
        path: lookup(pod, PROMETHEUS_PATH).unwrap_or("").to_string(),
        port: lookup(pod, PROMETHEUS_PORT).unwrap_or("").to_string(),
        targets: parse_targets(pod::annotation(pod, TARGETS).unwrap_or(""))?,
    };
    if let Some(first) = cfg.targets.first() {
        if cfg.port.is_empty() {
            cfg.port = first.port.clone();
        }
        if cfg.path.is_empty() {
            cfg.path = first.path.clone();
        }
    }
    check_reserved(PROMETHEUS_PORT, &cfg.port)?;
    if cfg != ScrapeConfig::default()
        && let Some(sidecar) = pod::sidecar_mut(pod)
    {
        pod::env_mut(sidecar).push(pod::env_var(ENV, &go_json(&cfg)));
    }
    remove_variants(
        pod,
        &[PROMETHEUS_SCRAPE, PROMETHEUS_PORT, PROMETHEUS_PATH, TARGETS],
    );
    pod::set_annotation(pod, PROMETHEUS_PORT, target);
    pod::set_annotation(pod, PROMETHEUS_PATH, "/stats/prometheus");
    pod::set_annotation(pod, PROMETHEUS_SCRAPE, "true");
    Ok(())
}

/// `port:path,port:path` (a missing path means `/metrics`).
fn parse_targets(s: &str) -> Result<Vec<Target>, PrometheusError> {
    let mut out = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (port, path) = match item.split_once(':') {
            Some((p, path)) => (p.trim(), path.trim()),
            None => (item, "/metrics"),
        };
        if port.parse::<u16>().is_err() {
            return Err(PrometheusError::NotAPort {
                value: s.to_string(),
                port: port.to_string(),
            });
        }
        check_reserved(TARGETS, port)?;
        out.push(Target {
            port: port.to_string(),
            path: if path.is_empty() { "/metrics" } else { path }.to_string(),
        });
    }
    Ok(out)
}

fn check_reserved(key: &'static str, port: &str) -> Result<(), PrometheusError> {
    match port.parse::<u16>() {
        Ok(p) if RESERVED.contains(&p) => Err(PrometheusError::Reserved {
            key,
            value: port.to_string(),
            port: p,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(annotations: Value) -> Value {
        json!({"metadata": {"annotations": annotations}, "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]}})
    }

    fn proxy_env(p: &Value) -> Option<String> {
        pod::sidecar(p)?
            .get("env")?
            .as_array()?
            .iter()
            .find(|e| e["name"] == ENV)
            .map(|e| e["value"].as_str().unwrap_or("").to_string())
    }

    #[test]
    fn merge_table() {
        let cases = [
            (
                "no annotations: point at the agent, no env",
                json!({}),
                None,
                Some("15020"),
            ),
            (
                "user scrape config is handed over",
                json!({"prometheus.io/port": "8080", "prometheus.io/scrape": "true"}),
                Some(r#"{"scrape":"true","path":"","port":"8080"}"#),
                Some("15020"),
            ),
            (
                "targets fill port and path",
                json!({"prometheus.istio.io/scrape-targets": "8080:/metrics,9100:/custom"}),
                Some(
                    r#"{"scrape":"","path":"/metrics","port":"8080","targets":[{"port":"8080","path":"/metrics"},{"port":"9100","path":"/custom"}]}"#,
                ),
                Some("15020"),
            ),
            (
                "scrape false (sanitised key) disables",
                json!({"prometheus.io.scrape": "false"}),
                None,
                None,
            ),
            (
                "merge-metrics false disables",
                json!({"prometheus.istio.io/merge-metrics": "false"}),
                None,
                None,
            ),
            (
                "already pointed at the agent: untouched",
                json!({"prometheus.io/port": "15020"}),
                None,
                Some("15020"),
            ),
        ];
        for (name, ann, env, port_after) in cases {
            let mut p = pod(ann);
            apply_merge(&mut p, None, 15020).unwrap();
            assert_eq!(proxy_env(&p).as_deref(), env, "{name}");
            assert_eq!(port(&p), port_after, "{name}");
            assert!(
                pod::annotation(&p, TARGETS).is_none() || port_after.is_none(),
                "{name}"
            );
        }
    }

    #[test]
    fn reserved_target_port_is_an_error() {
        let mut p = pod(json!({"prometheus.istio.io/scrape-targets": "15090:/stats"}));
        assert_eq!(
            apply_merge(&mut p, None, 15020).unwrap_err().to_string(),
            "invalid value '15090' for annotation 'prometheus.istio.io/scrape-targets': port 15090 is reserved by Istio"
        );
    }

    #[test]
    fn mesh_setting_applies_without_annotation() {
        let mut p = pod(json!({}));
        apply_merge(&mut p, Some(false), 15020).unwrap();
        assert_eq!(port(&p), None);
    }
}
