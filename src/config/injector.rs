//! The injector's `Config` (`pkg/kube/inject` `Config`): what the `config` key of the
//! `istio-sidecar-injector` ConfigMap holds. Accepts the key's text, or a whole ConfigMap
//! (YAML) whose `data.config` holds it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{LabelSelector, StringMap};

/// `policy: enabled|disabled`. Anything else disables injection (Istio logs
/// "Illegal value for autoInject"), so the raw value is kept to be reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum InjectionPolicy {
    #[default]
    Enabled,
    Disabled,
    Other(String),
}

impl From<String> for InjectionPolicy {
    fn from(s: String) -> Self {
        match s.as_str() {
            "enabled" => InjectionPolicy::Enabled,
            "disabled" => InjectionPolicy::Disabled,
            _ => InjectionPolicy::Other(s),
        }
    }
}

impl From<InjectionPolicy> for String {
    fn from(p: InjectionPolicy) -> String {
        match p {
            InjectionPolicy::Enabled => "enabled".into(),
            InjectionPolicy::Disabled => "disabled".into(),
            InjectionPolicy::Other(s) => s,
        }
    }
}

/// The injector configuration. Field names follow the ConfigMap's YAML.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InjectorConfig {
    #[serde(default)]
    pub policy: InjectionPolicy,
    /// Modern (Istio ≥ 1.9) named templates, each rendering a partial Pod.
    #[serde(default)]
    pub templates: BTreeMap<String, String>,
    /// Templates used when the pod has no `inject.istio.io/templates` annotation.
    #[serde(default)]
    pub default_templates: Vec<String>,
    /// `name → [template, …]` expansion of template names (not recursive).
    #[serde(default)]
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Legacy (Istio ≤ 1.8) single template rendering a `SidecarInjectionSpec`. Modern charts
    /// set it to a poison string so a pre-1.9 injector fails loudly.
    #[serde(default)]
    pub template: Option<String>,
    #[serde(default)]
    pub never_inject_selector: Vec<LabelSelector>,
    #[serde(default)]
    pub always_inject_selector: Vec<LabelSelector>,
    #[serde(default)]
    pub injected_annotations: StringMap,
    /// The labels of the ConfigMap the configuration was read from, when it was given whole
    /// (they may name the Istio release: `config::release::detect`).
    #[serde(skip)]
    pub configmap_labels: Option<StringMap>,
}

/// A configuration that does not parse, named by where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{source_name}: not an injector configuration: {message}")]
    Parse {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: ConfigMap {name} has no `data.config` key")]
    NoConfigKey { source_name: String, name: String },
    #[error("{source_name}: {message}")]
    NotAConfig {
        source_name: String,
        message: String,
    },
}

/// The top-level keys of an injector `Config`: a mapping with any of them is a configuration
/// (and its errors are errors), never a bare template.
const CONFIG_KEYS: &[&str] = &[
    "policy",
    "templates",
    "defaultTemplates",
    "aliases",
    "template",
    "neverInjectSelector",
    "alwaysInjectSelector",
    "injectedAnnotations",
];
/// Keys only a mesh config (`MeshConfig`) has at its top level.
const MESH_KEYS: &[&str] = &[
    "defaultConfig",
    "trustDomain",
    "enableTracing",
    "accessLogFile",
    "outboundTrafficPolicy",
    "inboundTrafficPolicy",
    "rootNamespace",
    "extensionProviders",
    "defaultProviders",
    "proxyListenPort",
    "enablePrometheusMerge",
    "meshMTLS",
    "ingressClass",
];
/// Keys only the injector's values (`values.json`, Helm values) have at their top level.
const VALUES_KEYS: &[&str] = &["global", "sidecarInjectorWebhook", "istio_cni", "pilot"];

impl InjectorConfig {
    /// The embedded default decision config: `policy: enabled`, no selectors, no templates.
    pub fn default_policy() -> InjectorConfig {
        InjectorConfig::default()
    }

    /// Parses the `config` key's text, or a ConfigMap whose `data.config` holds it.
    /// `source_name` names the origin in errors (`inject-config.yaml`, `configmap ns/name`).
    pub fn parse(source_name: &str, text: &str) -> Result<InjectorConfig, ConfigError> {
        let err = |message: String| ConfigError::Parse {
            source_name: source_name.to_string(),
            message,
        };
        let value: serde_yaml::Value =
            serde_yaml::from_str(text).map_err(|e| err(e.to_string()))?;
        if value.get("kind").and_then(|k| k.as_str()) == Some("ConfigMap") {
            let name = value
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(|n| n.as_str())
                .unwrap_or("")
                .to_string();
            let inner = value
                .get("data")
                .and_then(|d| d.get("config"))
                .and_then(|c| c.as_str())
                .ok_or_else(|| ConfigError::NoConfigKey {
                    source_name: source_name.to_string(),
                    name,
                })?;
            let mut config = InjectorConfig::parse(&format!("{source_name}: data.config"), inner)?;
            config.configmap_labels = value
                .get("metadata")
                .and_then(|m| m.get("labels"))
                .and_then(|l| l.as_mapping())
                .map(|l| {
                    l.iter()
                        .filter_map(|(k, v)| {
                            Some((k.as_str()?.to_string(), v.as_str()?.to_string()))
                        })
                        .collect()
                });
            return Ok(config);
        }
        if !value.is_mapping() {
            return Err(err(
                "expected a mapping with keys such as `policy` and `templates`".into(),
            ));
        }
        serde_yaml::from_value(value.clone()).map_err(|e| {
            // Name the field: each key alone, the first that does not fit its type.
            let field = value.as_mapping().and_then(|m| {
                m.iter().find_map(|(k, v)| {
                    let mut one = serde_yaml::Mapping::new();
                    one.insert(k.clone(), v.clone());
                    serde_yaml::from_value::<InjectorConfig>(serde_yaml::Value::Mapping(one))
                        .err()
                        .map(|e| (k.as_str().unwrap_or("?").to_string(), e.to_string()))
                })
            });
            match field {
                Some((k, m)) => err(format!("field `{k}`: {m}")),
                None => err(e.to_string()),
            }
        })
    }

    /// Reads an `--injectConfigFile`: an injector configuration (the `config` key's text,
    /// or a whole ConfigMap), or — as istioctl accepts — a bare template (`Ok(None)`, used
    /// as `sidecar`). Only text that is no injector configuration at all is a bare
    /// template: a mapping with any configuration key is parsed strictly (a type error names
    /// the field), a ConfigMap must have `data.config`, a configuration needs templates, and
    /// a mesh config or values file given here is an error saying which flag takes it.
    pub fn read_file(source_name: &str, text: &str) -> Result<Option<InjectorConfig>, ConfigError> {
        let not = |message: String| ConfigError::NotAConfig {
            source_name: source_name.to_string(),
            message,
        };
        if text.trim().is_empty() {
            return Err(not(
                "empty: neither an injector configuration nor a template".into(),
            ));
        }
        let value = match serde_yaml::from_str::<serde_yaml::Value>(text) {
            Ok(v) => v,
            Err(e) => {
                // Template syntax is rarely valid YAML; a configuration with a YAML error
                // still shows its keys at the start of a line.
                let config_line = text.lines().any(|l| {
                    CONFIG_KEYS
                        .iter()
                        .any(|k| l.strip_prefix(k).is_some_and(|r| r.starts_with(':')))
                });
                if config_line && !text.contains("{{") {
                    return Err(not(format!("not valid YAML: {e}")));
                }
                return Ok(None);
            }
        };
        let Some(map) = value.as_mapping() else {
            return Ok(None);
        };
        let has = |keys: &[&str]| {
            map.keys()
                .filter_map(serde_yaml::Value::as_str)
                .find(|k| keys.contains(k))
                .map(str::to_string)
        };
        if value.get("kind").and_then(|k| k.as_str()) == Some("ConfigMap")
            || has(CONFIG_KEYS).is_some()
        {
            let config = InjectorConfig::parse(source_name, text)?;
            if config.templates.is_empty() && !config.is_legacy() {
                return Err(not(
                    "an injector configuration without `templates` (nor a legacy `template`): \
                     nothing to inject"
                        .into(),
                ));
            }
            return Ok(Some(config));
        }
        if let Some(k) = has(MESH_KEYS) {
            return Err(not(format!(
                "a mesh configuration (it has `{k}`), not an injector configuration: pass it \
                 with --meshConfigFile"
            )));
        }
        if let Some(k) = has(VALUES_KEYS) {
            return Err(not(format!(
                "injector values (it has `{k}`), not an injector configuration: pass them with \
                 --valuesFile"
            )));
        }
        Ok(None)
    }

    /// True when this is a legacy (Istio ≤ 1.8) configuration: a real `template`, no `templates`.
    pub fn is_legacy(&self) -> bool {
        self.templates.is_empty()
            && self
                .template
                .as_deref()
                .is_some_and(|t| !t.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_config_key() {
        let c = InjectorConfig::parse(
            "cfg.yaml",
            "policy: disabled\nneverInjectSelector:\n- matchExpressions:\n  - {key: a, operator: Exists}\ntemplates:\n  sidecar: |\n    spec: {}\n",
        )
        .unwrap();
        assert_eq!(c.policy, InjectionPolicy::Disabled);
        assert_eq!(c.never_inject_selector.len(), 1);
        assert_eq!(c.templates["sidecar"], "spec: {}\n");
        assert!(!c.is_legacy());
    }

    #[test]
    fn unknown_policy_is_kept_verbatim() {
        let c = InjectorConfig::parse("c", "policy: sometimes\n").unwrap();
        assert_eq!(c.policy, InjectionPolicy::Other("sometimes".into()));
    }

    #[test]
    fn reads_a_whole_configmap() {
        let c = InjectorConfig::parse(
            "cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-sidecar-injector}\ndata:\n  config: |\n    policy: disabled\n",
        )
        .unwrap();
        assert_eq!(c.policy, InjectionPolicy::Disabled);
        assert_eq!(c.configmap_labels, None);
        let labelled = InjectorConfig::parse(
            "cm.yaml",
            "kind: ConfigMap\nmetadata:\n  labels: {app.kubernetes.io/version: 1.24.6, n: 3}\ndata:\n  config: 'policy: enabled'\n",
        )
        .unwrap();
        // Only string labels (a number is not one a ConfigMap can carry).
        assert_eq!(
            labelled.configmap_labels,
            Some(
                [(
                    "app.kubernetes.io/version".to_string(),
                    "1.24.6".to_string()
                )]
                .into()
            )
        );
        let key_text = InjectorConfig::parse("c.yaml", "policy: enabled\n").unwrap();
        assert_eq!(key_text.configmap_labels, None);
    }

    #[test]
    fn config_files_are_configs_templates_or_errors() {
        // (text, Ok(true) = config, Ok(false) = bare template, Err(substring))
        let rows: &[(&str, Result<bool, &str>)] = &[
            ("templates:\n  sidecar: |\n    spec: {}\n", Ok(true)),
            ("spec:\n  containers:\n  - name: istio-proxy\n", Ok(false)),
            ("spec:\n  containers:\n  - name: {{ .x }}\n", Ok(false)),
            ("{{ if .x }}spec: {}{{ end }}\n", Ok(false)),
            (
                "neverInjectSelector:\n  a: b\ntemplates: {sidecar: x}\n",
                Err("neverInjectSelector"),
            ),
            ("policy: [x]\ntemplates: {sidecar: x}\n", Err("x.yaml")),
            ("policy: enabled\n", Err("without `templates`")),
            (
                "kind: ConfigMap\nmetadata: {name: c}\ndata: {values: x}\n",
                Err("data.config"),
            ),
            (
                "defaultConfig:\n  statusPort: 15020\n",
                Err("--meshConfigFile"),
            ),
            ("global:\n  hub: x\n", Err("--valuesFile")),
            ("", Err("empty")),
            (
                "policy: enabled\ntemplates:\n  sidecar: |\n  bad: [\n",
                Err("not valid YAML"),
            ),
        ];
        for (text, want) in rows {
            let got = InjectorConfig::read_file("x.yaml", text);
            match (got, want) {
                (Ok(c), Ok(is_config)) => assert_eq!(c.is_some(), *is_config, "{text:?}"),
                (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{text:?}: {e}"),
                (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn not_a_config_names_the_source() {
        let e = InjectorConfig::parse("x.yaml", "- a\n- b\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x.yaml: not an injector configuration"),
            "{e}"
        );
        let e = InjectorConfig::parse("x.yaml", "policy: [1]\n").unwrap_err();
        assert!(e.to_string().contains("x.yaml"), "{e}");
    }
}
