//! The injector set up from configuration text: the `config` (templates), `values` and
//! `mesh` keys, each from a file the user captured or from the embedded default, and the
//! [`Engine`] the pipeline renders through (the template module's `SidecarTemplateData`).
//!
//! Pure: takes texts already read.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use super::pipeline::{Engine, Params, RenderError, RenderInput, Settings};
use super::pod;
use super::validate::Reason;
use crate::config::release::{self, Change, Chosen, Clues, Version};
use crate::config::{
    ConfigError, InjectorConfig, MeshConfig, MeshError, ProxyConfig, embedded, parse_values,
};
use crate::model::StringMap;
use crate::model::istio::PROXY_CONFIG_ANNOTATION;
use crate::template::{FuncSet, Host, Template, TemplateError, data};

/// The configuration texts, each `(source name, text)`; `None` means the embedded default.
#[derive(Debug, Clone, Default)]
pub struct ConfigSource {
    pub inject_config: Option<(String, String)>,
    pub mesh: Option<(String, String)>,
    pub values: Option<(String, String)>,
    /// istiod's `COMPLIANCE_POLICY`.
    pub compliance_policy: String,
    /// `--istio-version`: the release to reproduce, whatever the configuration says.
    pub istio_version: Option<Version>,
    /// The injector ConfigMap's labels, when it was read whole (they may name the release).
    pub labels: Option<StringMap>,
    /// The revision asked for (`-r`), which may be named after a release.
    pub revision: Option<String>,
    /// istiod's environment as templates read it (`config::env::injector_env`).
    pub env: BTreeMap<String, String>,
}

/// Configuration that cannot be used, naming its source.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Mesh(String),
    #[error("{0}")]
    Values(String),
    // The cause (with its position and excerpt) is in the message, so it is not also a
    // `#[source]`: the chain would print it twice (tests/cli/badinput.rs checks).
    #[error("{source_name}: {error}")]
    Template {
        source_name: String,
        error: TemplateError,
    },
}

/// A ready injector: parsed templates, values and mesh.
#[derive(Debug)]
pub struct Setup {
    config: InjectorConfig,
    templates: BTreeMap<String, Template>,
    legacy: Option<Template>,
    values: Value,
    mesh: MeshConfig,
    /// `.Values`, `.MeshConfig` and the default `.ProxyConfig`, converted once.
    constants: data::Constants,
    compliance_policy: String,
    described: String,
    /// The Istio release reproduced, and where that was read.
    release: Chosen,
    /// What templates' `env` reads.
    env: std::sync::Arc<BTreeMap<String, String>>,
}

impl Setup {
    pub fn load(src: ConfigSource) -> Result<Setup, SetupError> {
        let (config_name, config) = match &src.inject_config {
            None => (embedded::SOURCE.to_string(), embedded::config()),
            // A full config with `templates` (or a legacy `template`), else — as istioctl
            // accepts — the file is one bare template, used as `sidecar`.
            Some((name, text)) => match InjectorConfig::read_file(name, text)? {
                Some(c) => (name.clone(), c),
                None => (
                    name.clone(),
                    InjectorConfig {
                        templates: [("sidecar".to_string(), text.clone())].into(),
                        ..InjectorConfig::default()
                    },
                ),
            },
        };
        let (values_name, values_text) = src
            .values
            .clone()
            .unwrap_or_else(|| (embedded::SOURCE.into(), embedded::VALUES.into()));
        let values = parse_values(&values_name, &values_text)
            .map_err(|e| SetupError::Values(e.to_string()))?;
        let chosen = release::detect(&Clues {
            flag: src.istio_version,
            values: Some(&values),
            // A whole ConfigMap given as the config file carries its labels too.
            labels: src.labels.as_ref().or(config.configmap_labels.as_ref()),
            revision: src.revision.as_deref(),
            embedded: src.inject_config.is_none() && src.values.is_none(),
        });
        let host = Host {
            env: std::sync::Arc::new(src.env.clone()),
            release: chosen.release,
        };
        let mut templates = BTreeMap::new();
        let mut legacy = None;
        if config.is_legacy() {
            let text = config.template.as_deref().unwrap_or("");
            legacy = Some(
                Template::parse_for("template", text, FuncSet::Legacy, &host).map_err(|error| {
                    SetupError::Template {
                        source_name: config_name.clone(),
                        error,
                    }
                })?,
            );
        } else {
            for (name, text) in &config.templates {
                let t =
                    Template::parse_for(name, text, FuncSet::Current, &host).map_err(|error| {
                        SetupError::Template {
                            source_name: config_name.clone(),
                            error,
                        }
                    })?;
                templates.insert(name.clone(), t);
            }
        }
        let (mesh_name, mesh_text) = src
            .mesh
            .clone()
            .unwrap_or_else(|| (embedded::SOURCE.into(), embedded::MESH.into()));
        let mesh = MeshConfig::parse(&mesh_name, &mesh_text)
            .map_err(|e| SetupError::Mesh(e.to_string()))?;
        let described = match (&src.inject_config, &src.mesh, &src.values) {
            (None, None, None) => format!("the {}", embedded::DESCRIPTION),
            _ => format!(
                "injector configuration {config_name}, values {values_name}, mesh {mesh_name}"
            ),
        };
        let constants = data::Constants::new(&mesh, &values).for_release(chosen.release);
        Ok(Setup {
            config,
            templates,
            legacy,
            values,
            mesh,
            constants,
            compliance_policy: src.compliance_policy,
            described,
            release: chosen,
            env: host.env,
        })
    }

    /// The Istio release whose behaviour is reproduced, and where that was read.
    pub fn release(&self) -> &Chosen {
        &self.release
    }

    /// Which configuration is in use, for stderr.
    pub fn describe(&self) -> &str {
        &self.described
    }

    pub fn config(&self) -> &InjectorConfig {
        &self.config
    }

    pub fn is_legacy(&self) -> bool {
        self.legacy.is_some()
    }

    /// The pipeline parameters. `webhook` adds what only the webhook applies
    /// (`injectedAnnotations`); kube-inject, like istioctl, leaves them out.
    pub fn params(&self, native_sidecars: bool, revision: Option<&str>, webhook: bool) -> Params {
        Params {
            default_templates: self.config.default_templates.clone(),
            aliases: self.config.aliases.clone(),
            native_sidecars,
            revision: match revision {
                Some("default") | None => String::new(),
                Some(r) => r.to_string(),
            },
            injected_annotations: if webhook {
                self.config.injected_annotations.clone()
            } else {
                BTreeMap::new()
            },
            proxy_envs: BTreeMap::new(),
            release: self.release.release,
        }
    }

    /// A template of the user's, parsed as this injector parses its own (its release's
    /// functions, istiod's environment): what `inject --render-only` renders.
    pub fn parse_template(&self, name: &str, text: &str) -> Result<Template, TemplateError> {
        let host = Host {
            env: self.env.clone(),
            release: self.release.release,
        };
        let funcs = if self.is_legacy() {
            FuncSet::Legacy
        } else {
            FuncSet::Current
        };
        Template::parse_for(name, text, funcs, &host)
    }

    /// The `SidecarTemplateData` this injector renders its templates with for `input` (the
    /// pod as the pipeline prepared it): the one place it is built, for `inject` and for
    /// `inject --render-only`.
    pub fn template_data(&self, input: &RenderInput<'_>) -> Result<gotmpl::Value, MeshError> {
        let pc = self.proxy_config(input.pod)?;
        let owner = input.owner;
        let ti = data::TemplateInput {
            type_meta: data::TypeMeta {
                kind: owner.kind.clone(),
                api_version: owner.api_version.clone(),
            },
            deployment_meta: data::DeploymentMeta {
                name: owner.name.clone(),
                namespace: owner.namespace.clone(),
                labels: owner.labels.clone(),
                annotations: owner.annotations.clone(),
            },
            object_meta: input.pod.get("metadata").unwrap_or(&Value::Null),
            spec: input.pod.get("spec").unwrap_or(&Value::Null),
            proxy_config: &pc,
            mesh: &self.mesh,
            values: &self.values,
            revision: input.revision.to_string(),
            native_sidecars: input.native_sidecars,
            proxy_uid: 1337,
            proxy_gid: 1337,
            compliance_policy: self.compliance_policy.clone(),
        };
        Ok(data::build_with(&ti, &self.constants))
    }

    /// The mesh `defaultConfig` with the pod's `proxy.istio.io/config` applied.
    /// Borrowed in the common case: it is asked for twice per pod.
    fn proxy_config(&self, pod: &Value) -> Result<Cow<'_, ProxyConfig>, MeshError> {
        match pod::annotation(pod, PROXY_CONFIG_ANNOTATION) {
            Some(text) => self
                .mesh
                .default_config
                .merge_annotation(&format!("annotation {PROXY_CONFIG_ANNOTATION}"), text)
                .map(Cow::Owned),
            None => Ok(Cow::Borrowed(&self.mesh.default_config)),
        }
    }

    fn value(&self, path: &str) -> Option<&Value> {
        pod::at(&self.values, path)
    }
}

impl Engine for Setup {
    fn settings(&self, pod: &Value) -> Result<Settings, MeshError> {
        let pc = self.proxy_config(pod)?;
        let s = |p: &str| {
            self.value(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        Ok(Settings {
            status_port: i64::from(pc.status_port),
            prometheus_merge: self.mesh.enable_prometheus_merge,
            tproxy: pc.interception_mode == "TPROXY",
            hold_application: pc.hold_application_until_proxy_starts.unwrap_or(false)
                || self.value("/global/proxy/holdApplicationUntilProxyStarts")
                    == Some(&Value::Bool(true)),
            rewrite_probes: self
                .value("/sidecarInjectorWebhook/rewriteAppHTTPProbe")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            // istiod's REWRITE_TCP_PROBES, until the feature was removed.
            rewrite_tcp_probes: self.release.release.has(Change::TcpProbesAlwaysRewritten)
                || self
                    .env
                    .get(crate::config::env::REWRITE_TCP_PROBES)
                    .and_then(|v| crate::go::strconv::parse_bool(v))
                    .unwrap_or(true),
            cluster: s("/global/multiCluster/clusterName"),
            network: s("/global/network"),
        })
    }

    fn template_names(&self) -> Vec<String> {
        self.templates.keys().cloned().collect()
    }

    fn render(&self, name: &str, input: &RenderInput<'_>) -> Result<String, RenderError> {
        let template = if name.is_empty() {
            self.legacy.as_ref()
        } else {
            self.templates.get(name)
        }
        .ok_or_else(|| RenderError::NoTemplate(name.to_string()))?;
        let data = self.template_data(input)?;
        Ok(template.render(&data)?)
    }

    fn check_annotation(&self, key: &str, value: &str) -> Option<Result<(), Reason>> {
        match key {
            PROXY_CONFIG_ANNOTATION => Some(
                self.mesh
                    .default_config
                    .merge_annotation("", value)
                    .map(|_| ())
                    .map_err(Reason::ProxyConfig),
            ),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;
    use crate::inject::pipeline::Owner;

    fn with_template(text: &str) -> ConfigSource {
        ConfigSource {
            inject_config: Some(("t.tmpl".into(), text.into())),
            ..ConfigSource::default()
        }
    }

    #[test]
    fn a_broken_template_prints_its_excerpt_once() {
        let Err(err) = Setup::load(with_template("spec:\n  x: {{ if }}\n")) else {
            panic!("the template parses");
        };
        assert!(matches!(err, SetupError::Template { .. }), "{err:?}");
        // The message carries the template's error and excerpt; no cause repeats it.
        assert!(err.source().is_none(), "{err}");
        assert!(
            err.to_string()
                .starts_with("t.tmpl: template sidecar: line 2"),
            "{err}"
        );
    }

    #[test]
    fn a_render_error_keeps_its_position() {
        let setup = Setup::load(with_template("spec:\n  x: {{ index 1 2 }}\n")).expect("parses");
        let owner = Owner::default();
        let pod = serde_json::json!({"metadata": {}, "spec": {"containers": [{"name": "a"}]}});
        let input = RenderInput {
            owner: &owner,
            pod: &pod,
            native_sidecars: false,
            revision: "",
        };
        let Err(RenderError::Template(e)) = setup.render("sidecar", &input) else {
            panic!("not a template error");
        };
        assert_eq!(e.position().map(|(line, _)| line), Some(2), "{e}");
    }
}
