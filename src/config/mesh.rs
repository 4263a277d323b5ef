//! Istio's `MeshConfig` and `ProxyConfig` (`istio.io/api` `mesh/v1alpha1`), as typed structs
//! in protojson (camelCase) form: the `mesh` key of the `istio` ConfigMap applied over
//! `mesh.DefaultMeshConfig()`, and a `proxy.istio.io/config` annotation applied over
//! `defaultConfig`.
//!
//! Fields the injector reads are typed; every other field is kept in `other` so nothing a
//! user wrote is lost. Merging follows Istio: top-level mesh fields replace the default,
//! `defaultConfig` merges field by field, and within a `ProxyConfig` each field present in
//! the overlay replaces the base's.
//!
//! Pure: parses text handed to it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A `mesh`/`proxy.istio.io/config` text that does not parse, named by its source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeshError {
    #[error("{source_name}: not valid YAML: {message}")]
    Yaml {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: expected a mapping of MeshConfig fields")]
    NotAMapping { source_name: String },
    #[error("{source_name}: field `{field}`: {message}")]
    Field {
        source_name: String,
        field: String,
        message: String,
    },
    /// A duration field that `ValidateMeshConfig` refuses.
    #[error("{source_name}: field `{field}`: {error}")]
    Duration {
        source_name: String,
        field: String,
        error: DurationError,
    },
}

/// Why a protobuf JSON duration is refused (the value as written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{0:?} is not a duration such as \"45s\" or \"0.5s\"")]
    Syntax(String),
    #[error("{0:?} is shorter than 1ms")]
    TooShort(String),
}

/// `meshconfig.ProxyConfig`. Durations are protojson strings (`"45s"`), enums their names,
/// wrapper types (`Int32Value`, `BoolValue`) `Option`s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProxyConfig {
    pub config_path: String,
    pub binary_path: String,
    pub service_cluster: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drain_duration: Option<String>,
    pub discovery_address: String,
    pub proxy_admin_port: i32,
    pub control_plane_auth_policy: String,
    pub custom_config_file: String,
    pub stat_name_length: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<i32>,
    pub proxy_bootstrap_template_path: String,
    /// `REDIRECT` (the enum's zero), `TPROXY` or `NONE`.
    pub interception_mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envoy_access_log_service: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envoy_metrics_service: Option<serde_json::Value>,
    pub proxy_metadata: BTreeMap<String, String>,
    pub runtime_values: BTreeMap<String, String>,
    pub status_port: i32,
    pub extra_stat_tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_drain_duration: Option<String>,
    pub mesh_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_application_until_proxy_starts: Option<bool>,
    pub ca_certificates_pem: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<serde_json::Value>,
    /// Every other ProxyConfig field, as written.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl Default for ProxyConfig {
    /// `mesh.DefaultProxyConfig()`.
    fn default() -> Self {
        ProxyConfig {
            config_path: "./etc/istio/proxy".into(),
            binary_path: "/usr/local/bin/envoy".into(),
            service_cluster: "istio-proxy".into(),
            drain_duration: Some("45s".into()),
            discovery_address: "istiod.istio-system.svc:15012".into(),
            proxy_admin_port: 15000,
            control_plane_auth_policy: "MUTUAL_TLS".into(),
            custom_config_file: String::new(),
            stat_name_length: 189,
            concurrency: None,
            proxy_bootstrap_template_path: String::new(),
            interception_mode: "REDIRECT".into(),
            tracing: Some(serde_json::json!({"zipkin": {"address": "zipkin.istio-system:9411"}})),
            envoy_access_log_service: None,
            envoy_metrics_service: None,
            proxy_metadata: BTreeMap::new(),
            runtime_values: BTreeMap::new(),
            status_port: 15020,
            extra_stat_tags: Vec::new(),
            termination_drain_duration: Some("5s".into()),
            mesh_id: String::new(),
            hold_application_until_proxy_starts: None,
            ca_certificates_pem: Vec::new(),
            image: None,
            other: BTreeMap::new(),
        }
    }
}

/// `meshconfig.MeshConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MeshConfig {
    pub proxy_listen_port: i32,
    pub proxy_inbound_listen_port: i32,
    pub proxy_http_port: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<String>,
    pub enable_tracing: bool,
    pub access_log_file: String,
    pub default_config: ProxyConfig,
    pub root_namespace: String,
    pub trust_domain: String,
    pub trust_domain_aliases: Vec<String>,
    pub inbound_traffic_policy: TrafficPolicy,
    pub outbound_traffic_policy: TrafficPolicy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_prometheus_merge: Option<bool>,
    pub extension_providers: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_providers: Option<serde_json::Value>,
    /// Every other MeshConfig field, as written.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// `{mode: …}` of `inboundTrafficPolicy` / `outboundTrafficPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TrafficPolicy {
    pub mode: String,
}

impl Default for MeshConfig {
    /// `mesh.DefaultMeshConfig()` (the fields the injector and its templates read).
    fn default() -> Self {
        MeshConfig {
            proxy_listen_port: 15001,
            proxy_inbound_listen_port: 15006,
            proxy_http_port: 0,
            connect_timeout: Some("10s".into()),
            enable_tracing: true,
            access_log_file: String::new(),
            default_config: ProxyConfig::default(),
            root_namespace: "istio-system".into(),
            trust_domain: "cluster.local".into(),
            trust_domain_aliases: Vec::new(),
            inbound_traffic_policy: TrafficPolicy {
                mode: "PASSTHROUGH".into(),
            },
            outbound_traffic_policy: TrafficPolicy {
                mode: "ALLOW_ANY".into(),
            },
            enable_prometheus_merge: Some(true),
            extension_providers: Vec::new(),
            default_providers: None,
            other: BTreeMap::new(),
        }
    }
}

fn yaml_object(
    source_name: &str,
    text: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, MeshError> {
    let value: serde_json::Value = serde_yaml::from_str(text).map_err(|e| MeshError::Yaml {
        source_name: source_name.to_string(),
        message: e.to_string(),
    })?;
    match value {
        serde_json::Value::Object(m) => Ok(m),
        serde_json::Value::Null => Ok(serde_json::Map::new()),
        _ => Err(MeshError::NotAMapping {
            source_name: source_name.to_string(),
        }),
    }
}

/// Applies `overlay`'s fields over `base` (each present field replaces), then re-reads the
/// typed struct, naming the first field that does not fit.
fn apply<T: Serialize + for<'de> Deserialize<'de>>(
    source_name: &str,
    prefix: &str,
    base: &T,
    overlay: serde_json::Map<String, serde_json::Value>,
    mut merge_field: impl FnMut(
        &str,
        &serde_json::Value,
        serde_json::Value,
    ) -> Result<serde_json::Value, MeshError>,
) -> Result<T, MeshError> {
    let field_err = |field: &str, message: String| MeshError::Field {
        source_name: source_name.to_string(),
        field: format!("{prefix}{field}"),
        message,
    };
    let mut merged = match serde_json::to_value(base) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    for (k, v) in overlay {
        let v = match merged.get(&k) {
            Some(old) => merge_field(&k, old, v)?,
            None => v,
        };
        // Check each field on its own first, so the error names it.
        let mut probe = serde_json::to_value(base)
            .ok()
            .and_then(|b| b.as_object().cloned())
            .unwrap_or_default();
        probe.insert(k.clone(), v.clone());
        if let Err(e) = serde_json::from_value::<T>(serde_json::Value::Object(probe)) {
            return Err(field_err(&k, e.to_string()));
        }
        merged.insert(k, v);
    }
    serde_json::from_value(serde_json::Value::Object(merged))
        .map_err(|e| field_err("", e.to_string()))
}

/// A protobuf JSON duration (`"45s"`, `"0.001s"`, up to nine decimals) of at least 1 ms,
/// as Istio's `ValidateDuration` requires.
fn check_duration(v: &str) -> Result<(), DurationError> {
    let bad = || DurationError::Syntax(v.to_string());
    let num = v.strip_suffix('s').ok_or_else(bad)?;
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > 9 {
        return Err(bad());
    }
    let secs: f64 = num.parse().map_err(|_| bad())?;
    if secs < 0.001 {
        return Err(DurationError::TooShort(v.to_string()));
    }
    Ok(())
}

impl ProxyConfig {
    /// Applies a `proxy.istio.io/config` annotation (YAML or JSON) over this config, as
    /// kube-inject does over the mesh's `defaultConfig`.
    pub fn merge_annotation(
        &self,
        source_name: &str,
        text: &str,
    ) -> Result<ProxyConfig, MeshError> {
        let overlay = yaml_object(source_name, text)?;
        apply(source_name, "", self, overlay, |_, _, new| Ok(new))
    }
}

impl MeshConfig {
    /// Parses the `mesh` text over `DefaultMeshConfig()`, then validates it as istioctl
    /// does ([`MeshConfig::validate`]); `source_name` names the origin in errors
    /// (`mesh.yaml`, `configmap istio-system/istio`).
    pub fn parse(source_name: &str, text: &str) -> Result<MeshConfig, MeshError> {
        let mesh = MeshConfig::parse_unchecked(source_name, text)?;
        mesh.validate(source_name)?;
        Ok(mesh)
    }

    /// Istio's `ValidateMeshConfig` for the fields the injector reads: ports in 1..=65535
    /// (`proxyHttpPort` may be 0, unset), durations in protobuf's JSON form (`45s`,
    /// `0.5s`) of at least 1 ms, a non-negative concurrency. The first bad field is the error.
    pub fn validate(&self, source_name: &str) -> Result<(), MeshError> {
        let field = |field: &str, message: String| MeshError::Field {
            source_name: source_name.to_string(),
            field: field.to_string(),
            message,
        };
        let port = |name: &str, p: i32, zero_ok: bool| {
            if (1..=65535).contains(&p) || (zero_ok && p == 0) {
                Ok(())
            } else {
                Err(field(
                    name,
                    format!("port number {p} must be in the range 1..65535"),
                ))
            }
        };
        port("proxyListenPort", self.proxy_listen_port, false)?;
        port(
            "proxyInboundListenPort",
            self.proxy_inbound_listen_port,
            true,
        )?;
        port("proxyHttpPort", self.proxy_http_port, true)?;
        let d = &self.default_config;
        port("defaultConfig.statusPort", d.status_port, false)?;
        port("defaultConfig.proxyAdminPort", d.proxy_admin_port, false)?;
        for (name, value) in [
            ("connectTimeout", &self.connect_timeout),
            ("defaultConfig.drainDuration", &d.drain_duration),
            (
                "defaultConfig.terminationDrainDuration",
                &d.termination_drain_duration,
            ),
        ] {
            if let Some(v) = value {
                check_duration(v).map_err(|error| MeshError::Duration {
                    source_name: source_name.to_string(),
                    field: name.to_string(),
                    error,
                })?;
            }
        }
        if let Some(c) = d.concurrency
            && c < 0
        {
            return Err(field(
                "defaultConfig.concurrency",
                format!("{c} must not be negative"),
            ));
        }
        Ok(())
    }

    fn parse_unchecked(source_name: &str, text: &str) -> Result<MeshConfig, MeshError> {
        let overlay = yaml_object(source_name, text)?;
        apply(
            source_name,
            "",
            &MeshConfig::default(),
            overlay,
            |k, old, new| {
                if k != "defaultConfig" {
                    return Ok(new);
                }
                // `defaultConfig` merges field by field over DefaultProxyConfig().
                let base: ProxyConfig = serde_json::from_value(old.clone()).unwrap_or_default();
                let serde_json::Value::Object(fields) = new else {
                    return Err(MeshError::Field {
                        source_name: source_name.to_string(),
                        field: "defaultConfig".into(),
                        message: "expected a mapping of ProxyConfig fields".into(),
                    });
                };
                let merged = apply(source_name, "defaultConfig.", &base, fields, |_, _, n| {
                    Ok(n)
                })?;
                serde_json::to_value(merged).map_err(|e| MeshError::Field {
                    source_name: source_name.to_string(),
                    field: "defaultConfig".into(),
                    message: e.to_string(),
                })
            },
        )
    }

    /// `LOCALHOST` inbound policy gives `"localhost"`, anything else `"passthrough"`
    /// (`SidecarTemplateData.InboundTrafficPolicyMode`).
    pub fn inbound_traffic_policy_mode(&self) -> &'static str {
        if self.inbound_traffic_policy.mode == "LOCALHOST" {
            "localhost"
        } else {
            "passthrough"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mesh_is_validated_as_istioctl_does() {
        let rows = [
            (
                "defaultConfig:\n  statusPort: 70000\n",
                "defaultConfig.statusPort",
            ),
            (
                "defaultConfig:\n  statusPort: 0\n",
                "defaultConfig.statusPort",
            ),
            (
                "defaultConfig:\n  proxyAdminPort: -1\n",
                "defaultConfig.proxyAdminPort",
            ),
            ("proxyListenPort: 65536\n", "proxyListenPort"),
            (
                "defaultConfig:\n  drainDuration: 1m\n",
                "defaultConfig.drainDuration",
            ),
            (
                "defaultConfig:\n  drainDuration: 0s\n",
                "defaultConfig.drainDuration",
            ),
            ("connectTimeout: abc\n", "connectTimeout"),
            (
                "defaultConfig:\n  concurrency: -2\n",
                "defaultConfig.concurrency",
            ),
        ];
        for (text, field) in rows {
            let e = MeshConfig::parse("mesh.yaml", text).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with(&format!("mesh.yaml: field `{field}`")),
                "{text:?}: {e}"
            );
        }
        for ok in [
            "defaultConfig:\n  statusPort: 15021\n  drainDuration: 45s\n",
            "connectTimeout: 0.5s\nproxyHttpPort: 0\n",
        ] {
            MeshConfig::parse("mesh.yaml", ok).unwrap();
        }
    }

    #[test]
    fn default_mesh_matches_istio_defaults() {
        let m = MeshConfig::default();
        assert_eq!(m.proxy_listen_port, 15001);
        assert_eq!(m.proxy_inbound_listen_port, 15006);
        assert_eq!(m.trust_domain, "cluster.local");
        assert_eq!(m.default_config.status_port, 15020);
        assert_eq!(m.default_config.interception_mode, "REDIRECT");
        assert_eq!(m.enable_prometheus_merge, Some(true));
        assert_eq!(m.inbound_traffic_policy_mode(), "passthrough");
    }

    #[test]
    fn mesh_text_overrides_and_default_config_merges() {
        let m = MeshConfig::parse(
            "mesh.yaml",
            "trustDomain: example.org\ninboundTrafficPolicy: {mode: LOCALHOST}\ndefaultConfig:\n  discoveryAddress: foo:123\n  holdApplicationUntilProxyStarts: true\nextensionProviders: [{name: x}]\n",
        )
        .unwrap();
        assert_eq!(m.trust_domain, "example.org");
        assert_eq!(m.inbound_traffic_policy_mode(), "localhost");
        assert_eq!(m.default_config.discovery_address, "foo:123");
        assert_eq!(
            m.default_config.hold_application_until_proxy_starts,
            Some(true)
        );
        // Untouched defaultConfig fields keep DefaultProxyConfig().
        assert_eq!(m.default_config.status_port, 15020);
        assert_eq!(m.root_namespace, "istio-system");
        assert_eq!(m.extension_providers.len(), 1);
    }

    #[test]
    fn annotation_merges_over_default_config() {
        let p = ProxyConfig::default()
            .merge_annotation(
                "annotation proxy.istio.io/config",
                "{\"interceptionMode\": \"TPROXY\", \"concurrency\": 0}",
            )
            .unwrap();
        assert_eq!(p.interception_mode, "TPROXY");
        assert_eq!(p.concurrency, Some(0));
        assert_eq!(p.config_path, "./etc/istio/proxy");
    }

    #[test]
    fn errors_name_source_and_field() {
        let e = MeshConfig::parse("mesh.yaml", "defaultConfig:\n  statusPort: abc\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("mesh.yaml: field `defaultConfig.statusPort`: invalid type"),
            "{e}"
        );
        let e = MeshConfig::parse("m", "- 1\n").unwrap_err();
        assert!(e.to_string().starts_with("m: expected a mapping"), "{e}");
        let e = MeshConfig::parse("m", "a: [").unwrap_err();
        assert!(e.to_string().starts_with("m: not valid YAML"), "{e}");
    }
}
