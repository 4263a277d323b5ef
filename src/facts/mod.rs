//! What a decision is based on, and where each piece came from.
//!
//! Every command decides on the same facts: the namespaces' labels, the injector's
//! MutatingWebhookConfigurations (and so its revisions and revision tags), and for each
//! revision its injector configuration (`istio-sidecar-injector[-REV]`: `config`, `values`)
//! and mesh configuration (`istio[-REV]`: `mesh`). They are gathered from several sources,
//! and the first source that knows a fact wins:
//!
//! | fact | precedence (first wins) |
//! |---|---|
//! | a namespace's labels | a Namespace object in the input → `--namespace-labels` → `--bundle` → the cluster → assumed unlabelled |
//! | the webhook configurations | objects in the input and `--webhook` files → `--bundle` → the cluster → the selectors Istio installs for `-r` (assumed) |
//! | a revision's injector configuration | `--config` (every revision) → an injector ConfigMap in the input → `--bundle` → the cluster → the embedded default (assumed) |
//! | a revision's mesh configuration | a mesh ConfigMap in the input → `--bundle` → the cluster → the embedded default (assumed) |
//! | whether a revision makes native sidecars | `--native-sidecars` → `pilot.env.ENABLE_NATIVE_SIDECARS` in its values → off for a release before 1.27 (`config::release`) → on (assumed) |
//!
//! Explicit flags beat the bundle and the cluster: they say what the user wants assumed. An
//! object in the input is the object itself and beats the flags that fill in for missing
//! ones (`--namespace-labels` is for namespaces the input does not hold).
//!
//! Pure: the command code reads the sources and hands their documents over, in order of
//! precedence; this module keeps the first of each fact with its [`Source`].

mod revisions;

pub use revisions::{RevisionError, RevisionInfo};

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::config::{ConfigError, InjectorConfig};
use crate::model::webhook::{REV_LABEL, TAG_LABEL};
use crate::model::{StringMap, WebhookConfiguration, WebhookError};

/// Where a fact came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Source {
    /// An object in the `-f` input: `deploy.yaml: document 2`.
    Input { at: String },
    /// A command-line flag, as typed (`--namespace-labels`).
    Flag { flag: String },
    /// A `--bundle` file (what `kubectl inject capture` wrote).
    Bundle { file: String },
    /// The cluster of a kubeconfig context.
    Cluster { context: String },
    /// Nothing said it: a documented default was assumed.
    Default { what: String },
}

impl Source {
    pub fn flag(flag: &str) -> Source {
        Source::Flag { flag: flag.into() }
    }

    pub fn default(what: &str) -> Source {
        Source::Default { what: what.into() }
    }

    /// True when nothing said it and a default was assumed.
    pub fn assumed(&self) -> bool {
        matches!(self, Source::Default { .. })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Input { at } => write!(f, "{at}"),
            Source::Flag { flag } => write!(f, "flag {flag}"),
            Source::Bundle { file } => write!(f, "bundle {file}"),
            Source::Cluster { context } if context.is_empty() => f.write_str("cluster"),
            Source::Cluster { context } => write!(f, "cluster (context {context})"),
            Source::Default { what } => write!(f, "assumed: {what}"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Fact<T> {
    pub fn new(value: T, source: Source) -> Self {
        Fact { value, source }
    }
}

/// Whether an injector makes native sidecars, and what said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeSidecars {
    pub on: bool,
    /// `pilot.env.ENABLE_NATIVE_SIDECARS=false in the values of configmap …`.
    pub why: String,
}

/// The injector ConfigMap of one revision: its `config` (parsed for the policy, kept as text
/// for rendering) and `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct InjectorFacts {
    /// What the source calls it: `configmap istio-system/istio-sidecar-injector`.
    pub name: String,
    pub config: InjectorConfig,
    pub config_text: Option<String>,
    pub values_text: Option<String>,
}

/// What is known of one revision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RevisionFacts {
    pub injector: Option<Fact<InjectorFacts>>,
    /// The `mesh` key of `istio[-REV]`: (name, text).
    pub mesh: Option<Fact<(String, String)>>,
}

/// istiod's native-sidecar auto-detection (`ENABLE_NATIVE_SIDECARS` unset, Istio ≥ 1.27) for a
/// pod not yet scheduled, as the webhook sees it: on only when the cluster has nodes and every
/// node's kubelet is 1.33 or later (a version it cannot read counts as older).
pub fn native_by_kubelets(nodes: &[(String, String)]) -> NativeSidecars {
    const MIN_MINOR: u64 = 33;
    let minor = |v: &str| -> Option<u64> {
        let v = v.strip_prefix('v').unwrap_or(v);
        let mut parts = v.split(['.', '-', '+']);
        let major = parts.next()?.parse::<u64>().ok()?;
        let minor = parts.next()?.parse::<u64>().ok()?;
        (major == 1).then_some(minor)
    };
    if nodes.is_empty() {
        return NativeSidecars {
            on: false,
            why: "the cluster has no nodes, and istiod's auto-detection needs every node's kubelet at 1.33 or later".into(),
        };
    }
    let old = nodes
        .iter()
        .filter(|(_, v)| minor(v).is_none_or(|m| m < MIN_MINOR))
        .min_by_key(|(_, v)| minor(v));
    match old {
        Some((name, version)) => NativeSidecars {
            on: false,
            why: format!(
                "node {name} runs kubelet {}, older than the 1.33 istiod's auto-detection needs on every node",
                if version.is_empty() {
                    "of unknown version"
                } else {
                    version
                }
            ),
        },
        None => NativeSidecars {
            on: true,
            why: format!(
                "every node's kubelet is 1.33 or later ({} nodes), so istiod's auto-detection turns them on",
                nodes.len()
            ),
        },
    }
}

/// A context document that cannot be used, naming where and which field.
#[derive(Debug, thiserror::Error)]
pub enum FactError {
    #[error("{at}: {path}: {problem}")]
    Field {
        at: String,
        path: String,
        problem: FieldProblem,
    },
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// What is wrong with one field of a context document.
#[derive(Debug, thiserror::Error)]
pub enum FieldProblem {
    #[error("must be a string, got {0}")]
    NotAString(Value),
    #[error("must be a mapping of strings")]
    NotAStringMap,
    /// One entry of a label or annotation map.
    #[error("{key}: values must be strings, got {value}")]
    NotAStringValue { key: String, value: Value },
    #[error("must be a list")]
    NotAList,
    #[error("missing: an injector ConfigMap keeps its configuration under data.config")]
    NoInjectorConfig,
}

/// Everything the decision and the render are based on, with sources.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    namespaces: BTreeMap<String, Fact<StringMap>>,
    /// Labels for namespaces no source knows: `--namespace-labels`, else none (assumed).
    other_namespaces: Option<Fact<StringMap>>,
    webhooks: Option<Fact<Vec<WebhookConfiguration>>>,
    /// `--config`: replaces every revision's injector configuration.
    config_override: Option<Fact<InjectorFacts>>,
    revisions: BTreeMap<String, RevisionFacts>,
    /// The first source that described the cluster's injection set-up as a whole (a cluster
    /// or a bundle): only then is a revision it does not have an error.
    authority: Option<Source>,
    /// `--native-sidecars`: whether every revision's injector makes native sidecars.
    native_override: Option<Fact<bool>>,
    /// Every node's (name, kubelet version), when a source listed them all: what istiod's
    /// native-sidecar auto-detection reads.
    kubelets: Option<Fact<Vec<(String, String)>>>,
}

/// A namespace as the decision sees it, with where its labels came from.
#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceFacts {
    pub name: String,
    pub labels: Fact<StringMap>,
}

/// The revision an injector ConfigMap serves, from its name: `istio-sidecar-injector` is the
/// default revision, `istio-sidecar-injector-canary` serves `canary`.
pub fn injector_configmap_revision(name: &str) -> Option<&str> {
    match name.strip_prefix("istio-sidecar-injector") {
        Some("") => Some("default"),
        Some(rest) => rest.strip_prefix('-').filter(|r| !r.is_empty()),
        None => None,
    }
}

/// The revision a mesh ConfigMap serves: `istio` (default) or `istio-REV`.
pub fn mesh_configmap_revision(name: &str) -> Option<&str> {
    match name.strip_prefix("istio") {
        Some("") => Some("default"),
        Some(rest) => rest
            .strip_prefix('-')
            .filter(|r| !r.is_empty() && !r.starts_with("sidecar-injector")),
        None => None,
    }
}

/// `""` and `default` are the default revision.
pub fn normalise_revision(rev: &str) -> &str {
    if rev.is_empty() { "default" } else { rev }
}

impl Facts {
    pub fn new() -> Facts {
        Facts::default()
    }

    /// Records a namespace's labels unless a source before this one did.
    pub fn add_namespace(&mut self, name: &str, labels: StringMap, source: Source) {
        self.namespaces
            .entry(name.to_string())
            .or_insert_with(|| Fact::new(labels, source));
    }

    /// `--namespace-labels`: the labels of every namespace no source describes.
    pub fn set_other_namespaces(&mut self, labels: StringMap, source: Source) {
        self.other_namespaces = Some(Fact::new(labels, source));
    }

    /// Records a whole set of webhook configurations unless a source before this one did.
    /// An empty set is no information.
    pub fn add_webhooks(&mut self, webhooks: Vec<WebhookConfiguration>, source: Source) {
        if self.webhooks.is_none() && !webhooks.is_empty() {
            self.webhooks = Some(Fact::new(webhooks, source));
        }
    }

    /// `--config`: this injector configuration for every revision.
    pub fn set_config_override(&mut self, injector: InjectorFacts, source: Source) {
        self.config_override = Some(Fact::new(injector, source));
    }

    /// Records a revision's injector ConfigMap unless a source before this one did.
    pub fn add_injector(&mut self, revision: &str, injector: InjectorFacts, source: Source) {
        let r = self
            .revisions
            .entry(normalise_revision(revision).to_string())
            .or_default();
        if r.injector.is_none() {
            r.injector = Some(Fact::new(injector, source));
        }
    }

    /// Records a revision's mesh configuration unless a source before this one did.
    pub fn add_mesh(&mut self, revision: &str, name: &str, text: String, source: Source) {
        let r = self
            .revisions
            .entry(normalise_revision(revision).to_string())
            .or_default();
        if r.mesh.is_none() {
            r.mesh = Some(Fact::new((name.to_string(), text), source));
        }
    }

    /// Marks a source (a cluster, a bundle) as describing the whole injection set-up.
    pub fn set_authority(&mut self, source: Source) {
        if self.authority.is_none() {
            self.authority = Some(source);
        }
    }

    /// Adds the facts of a later source (`below`: a bundle's, a cluster's read on their own)
    /// under these: each fact of `below` counts only where no fact of these does.
    pub fn layer(&mut self, below: Facts) {
        for (name, f) in below.namespaces {
            self.add_namespace(&name, f.value, f.source);
        }
        if self.other_namespaces.is_none() {
            self.other_namespaces = below.other_namespaces;
        }
        if let Some(w) = below.webhooks {
            self.add_webhooks(w.value, w.source);
        }
        if self.config_override.is_none() {
            self.config_override = below.config_override;
        }
        for (rev, r) in below.revisions {
            if let Some(i) = r.injector {
                self.add_injector(&rev, i.value, i.source);
            }
            if let Some(m) = r.mesh {
                self.add_mesh(&rev, &m.value.0, m.value.1, m.source);
            }
        }
        if let Some(a) = below.authority {
            self.set_authority(a);
        }
        if self.native_override.is_none() {
            self.native_override = below.native_override;
        }
        if self.kubelets.is_none() {
            self.kubelets = below.kubelets;
        }
    }

    /// The source that described the whole set-up, if any.
    pub fn authority(&self) -> Option<&Source> {
        self.authority.as_ref()
    }

    /// `--native-sidecars`: every revision's injector makes (or does not make) native
    /// sidecars, whatever its configuration says.
    pub fn set_native_sidecars(&mut self, native: bool, source: Source) {
        self.native_override = Some(Fact::new(native, source));
    }

    /// Every node of the cluster with its kubelet version (a complete list: none is a cluster
    /// without nodes).
    pub fn set_kubelets(&mut self, nodes: Vec<(String, String)>, source: Source) {
        self.kubelets = Some(Fact::new(nodes, source));
    }

    /// Whether some source listed the nodes.
    pub fn kubelets_known(&self) -> bool {
        self.kubelets.is_some()
    }

    /// Whether `revision`'s injector makes native sidecars (istio-proxy as an init container
    /// with `restartPolicy: Always`) for pods without the `sidecar.istio.io/nativeSidecar`
    /// annotation, and why: `--native-sidecars`, else `pilot.env.ENABLE_NATIVE_SIDECARS` in
    /// the revision's values (`true`/`false`), else off when its configuration names an Istio
    /// release before native sidecars were on by default (`config::release`: the values'
    /// `global.tag`, the ConfigMap's version labels, a revision named after a release), else
    /// on, assumed — Istio ≥ 1.27 turns them on by itself on Kubernetes ≥ 1.33, and `inject`
    /// assumes the same. The source is where the deciding text came from.
    pub fn native_sidecars(&self, revision: &str) -> Fact<NativeSidecars> {
        use crate::config::release::{self, Change};
        if self.native_override.is_some() {
            return self.fallback_native_sidecars();
        }
        let injector = self.injector(revision);
        if injector.source.assumed() {
            return self.fallback_native_sidecars();
        }
        let name = injector.value.name.clone();
        let known =
            |on: bool, why: String| Fact::new(NativeSidecars { on, why }, injector.source.clone());
        let values = injector
            .value
            .values_text
            .as_deref()
            .and_then(|t| crate::config::parse_values(&name, t).ok());
        let env = values
            .as_ref()
            .and_then(|v| v.pointer("/pilot/env/ENABLE_NATIVE_SIDECARS"))
            .map(|v| match v {
                Value::String(s) => s.to_ascii_lowercase(),
                other => other.to_string(),
            });
        if let Some(v @ ("true" | "false")) = env.as_deref() {
            return known(
                v == "true",
                format!("pilot.env.ENABLE_NATIVE_SIDECARS={v} in the values of {name}"),
            );
        }
        let chosen = release::detect(&release::Clues {
            flag: None,
            values: values.as_ref(),
            labels: injector.value.config.configmap_labels.as_ref(),
            revision: Some(revision).filter(|r| *r != "default"),
            embedded: false,
        });
        if env.is_none()
            && chosen.release.version().is_some()
            && !chosen.release.has(Change::NativeSidecarsByDefault)
        {
            return known(
                false,
                format!(
                    "{name} is {chosen}, whose istiod leaves ENABLE_NATIVE_SIDECARS off by default"
                ),
            );
        }
        self.fallback_native_sidecars()
    }

    /// Native sidecars for a revision whose values say nothing: `--native-sidecars`, else
    /// istiod's auto-detection over the nodes' kubelet versions when they were read, else on,
    /// assumed.
    pub fn fallback_native_sidecars(&self) -> Fact<NativeSidecars> {
        if let Some(f) = &self.native_override {
            return Fact::new(
                NativeSidecars {
                    on: f.value,
                    why: format!("--native-sidecars {}", f.value),
                },
                f.source.clone(),
            );
        }
        if let Some(k) = &self.kubelets {
            return Fact::new(native_by_kubelets(&k.value), k.source.clone());
        }
        Fact::new(
            NativeSidecars {
                on: true,
                why: "native sidecars were assumed".into(),
            },
            Source::default(
                "native sidecars, as Istio ≥ 1.27 makes them on Kubernetes ≥ 1.33 (--native-sidecars false for older clusters)",
            ),
        )
    }

    /// Takes the context a document carries — a Namespace, a MutatingWebhookConfiguration of
    /// Istio's injector, an injector or mesh ConfigMap — walking `List`s. Returns false for a
    /// document that is none of these (a workload, another kind). Webhook configurations are
    /// collected into `webhooks` for the caller to add as one set.
    pub fn take_context(
        &mut self,
        at: &str,
        value: &Value,
        source: &Source,
        webhooks: &mut Vec<WebhookConfiguration>,
    ) -> Result<bool, FactError> {
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
        let name = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let field = |path: &str, problem: FieldProblem| FactError::Field {
            at: format!("{at} ({kind} {name})"),
            path: path.to_string(),
            problem,
        };
        match kind {
            "Namespace" => {
                let labels = string_map(value.pointer("/metadata/labels"))
                    .map_err(|m| field("metadata.labels", m))?;
                self.add_namespace(name, labels, source.clone());
                Ok(true)
            }
            "Node" => {
                let version = value
                    .pointer("/status/nodeInfo/kubeletVersion")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                match &mut self.kubelets {
                    None => {
                        self.kubelets =
                            Some(Fact::new(vec![(name.to_string(), version)], source.clone()));
                    }
                    Some(nodes) if nodes.source == *source => {
                        nodes.value.push((name.to_string(), version));
                    }
                    // A source above this one already listed the nodes.
                    Some(_) => {}
                }
                Ok(true)
            }
            "MutatingWebhookConfiguration" => {
                let mwc =
                    WebhookConfiguration::from_value(&format!("{at} ({kind} {name})"), value)?;
                // Only Istio's injector matters; another webhook is not context for us.
                if mwc.is_injector() {
                    webhooks.push(mwc);
                }
                Ok(true)
            }
            "ConfigMap" => {
                let data = |key: &str| value.pointer(&format!("/data/{key}"));
                let text = |key: &str| -> Result<Option<String>, FactError> {
                    match data(key) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(s)) => Ok(Some(s.clone())),
                        Some(other) => Err(field(
                            &format!("data.{key}"),
                            FieldProblem::NotAString(other.clone()),
                        )),
                    }
                };
                let ns = value
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let shown = if ns.is_empty() {
                    format!("configmap {name}")
                } else {
                    format!("configmap {ns}/{name}")
                };
                if let Some(rev) = injector_configmap_revision(name) {
                    let config_text = text("config")?
                        .ok_or_else(|| field("data.config", FieldProblem::NoInjectorConfig))?;
                    let mut config = InjectorConfig::parse(
                        &format!("{at} ({shown}): data.config"),
                        &config_text,
                    )?;
                    // The ConfigMap's labels may name the Istio release (`config::release`).
                    config.configmap_labels = value
                        .pointer("/metadata/labels")
                        .and_then(Value::as_object)
                        .map(|l| {
                            l.iter()
                                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                                .collect()
                        });
                    let injector = InjectorFacts {
                        name: shown,
                        config,
                        config_text: Some(config_text),
                        values_text: text("values")?,
                    };
                    self.add_injector(rev, injector, source.clone());
                    return Ok(true);
                }
                if let Some(rev) = mesh_configmap_revision(name)
                    && let Some(mesh) = text("mesh")?
                {
                    self.add_mesh(rev, &shown, mesh, source.clone());
                    return Ok(true);
                }
                Ok(false)
            }
            k if k.ends_with("List") => {
                let Some(items) = value.get("items") else {
                    return Ok(false);
                };
                let items = items
                    .as_array()
                    .ok_or_else(|| field("items", FieldProblem::NotAList))?;
                let mut all = !items.is_empty();
                for (i, item) in items.iter().enumerate() {
                    all &=
                        self.take_context(&format!("{at}, items[{i}]"), item, source, webhooks)?;
                }
                Ok(all)
            }
            _ => Ok(false),
        }
    }

    /// A namespace as the decision sees it: its known labels, else `--namespace-labels`,
    /// else none, assumed.
    pub fn namespace(&self, name: &str) -> NamespaceFacts {
        let labels = match (self.namespaces.get(name), &self.other_namespaces) {
            (Some(f), _) => f.clone(),
            (None, Some(f)) => f.clone(),
            (None, None) => Fact::new(
                StringMap::new(),
                Source::default("no labels (the namespace is not in the input)"),
            ),
        };
        NamespaceFacts {
            name: name.to_string(),
            labels,
        }
    }

    /// The namespaces some source described, by name.
    pub fn known_namespaces(&self) -> impl Iterator<Item = (&str, &Fact<StringMap>)> {
        self.namespaces.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// True when some source gave webhook configurations (they are not assumed).
    pub fn webhooks_known(&self) -> bool {
        self.webhooks.is_some() || self.authority.is_some()
    }

    /// The webhook configurations the API server would consult, with their source; without
    /// any, the ones Istio installs for `revision` (assumed).
    pub fn webhooks(
        &self,
        revision: Option<&str>,
        enable_namespaces_by_default: bool,
    ) -> Fact<Vec<WebhookConfiguration>> {
        match &self.webhooks {
            Some(w) => w.clone(),
            None => {
                let mwc =
                    WebhookConfiguration::istio_default(revision, enable_namespaces_by_default);
                let what = format!(
                    "the webhook selectors Istio installs for revision {}",
                    mwc.revision()
                );
                Fact::new(vec![mwc], Source::Default { what })
            }
        }
    }

    /// The injector configuration that decides for `revision`: `--config`, else that
    /// revision's own, else the embedded default (assumed).
    pub fn injector(&self, revision: &str) -> Fact<InjectorFacts> {
        match (
            &self.config_override,
            self.revisions
                .get(normalise_revision(revision))
                .and_then(|r| r.injector.as_ref()),
        ) {
            (Some(o), _) => o.clone(),
            (None, Some(f)) => f.clone(),
            (None, None) => self.fallback_injector(Some(revision)),
        }
    }

    /// The configuration for a revision nothing describes: `--config`, else the embedded
    /// default policy (assumed).
    pub fn fallback_injector(&self, revision: Option<&str>) -> Fact<InjectorFacts> {
        if let Some(o) = &self.config_override {
            return o.clone();
        }
        let what = match revision {
            Some(r) => format!(
                "policy enabled, no selectors (no injector configuration of revision {} was read)",
                normalise_revision(r)
            ),
            None => "policy enabled, no selectors (no injector configuration was read)".into(),
        };
        Fact::new(
            InjectorFacts {
                name: "the embedded default configuration".into(),
                config: InjectorConfig::default_policy(),
                config_text: None,
                values_text: None,
            },
            Source::Default { what },
        )
    }

    /// The mesh configuration of `revision`, when some source holds it.
    pub fn mesh(&self, revision: &str) -> Option<&Fact<(String, String)>> {
        self.revisions
            .get(normalise_revision(revision))
            .and_then(|r| r.mesh.as_ref())
    }

    /// Revisions with an injector configuration, in name order.
    pub fn configured_revisions(&self) -> impl Iterator<Item = &str> {
        self.revisions
            .iter()
            .filter(|(_, r)| r.injector.is_some())
            .map(|(k, _)| k.as_str())
    }

    /// Revisions with an injector configuration or mesh, and whether anything is known of
    /// each (for `explain`'s "what was read").
    pub fn revision_facts(&self) -> &BTreeMap<String, RevisionFacts> {
        &self.revisions
    }

    /// The revisions and tags the known webhook configurations serve.
    pub fn revision_info(&self) -> RevisionInfo {
        RevisionInfo::from_webhooks(
            self.webhooks.as_ref().map_or(&[][..], |w| &w.value),
            self.configured_revisions(),
        )
    }
}

/// A label or annotation map, every value a string (Kubernetes refuses anything else).
fn string_map(v: Option<&Value>) -> Result<StringMap, FieldProblem> {
    match v {
        None | Some(Value::Null) => Ok(StringMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(FieldProblem::NotAStringValue {
                    key: k.clone(),
                    value: other.clone(),
                }),
            })
            .collect(),
        Some(_) => Err(FieldProblem::NotAStringMap),
    }
}

/// The labels of a webhook configuration that name its revision and tag.
pub(crate) fn revision_and_tag(mwc: &WebhookConfiguration) -> (String, Option<String>) {
    let rev = normalise_revision(mwc.labels.get(REV_LABEL).map_or("", String::as_str));
    (rev.to_string(), mwc.labels.get(TAG_LABEL).cloned())
}

#[cfg(test)]
mod tests;
