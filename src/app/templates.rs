//! Template drift for live commands: each revision's injector, set up once from the facts
//! (its `config`, `values` and `mesh` texts), re-rendering injected pods through
//! `drift::Cache` (once per distinct pod and revision).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::drift::state::TemplateCheck;
use crate::drift::{self, Cache, Difference};
use crate::facts::Facts;
use crate::inject::engine::{ConfigSource, Setup};
use crate::model::istio::PROXY_CONTAINER;

/// Each revision's injector, built on first use; a revision whose configuration was not read
/// (or does not load) cannot be compared, and says why.
pub(super) struct RevisionTemplates<'f> {
    facts: &'f Facts,
    /// By revision and whether it renders native sidecars (templates of Istio 1.19–1.26 read
    /// that from istiod's environment, which a setup is parsed with).
    setups: BTreeMap<(String, bool), Result<Setup, RevisionError>>,
    cache: Cache,
}

impl<'f> RevisionTemplates<'f> {
    pub fn new(facts: &'f Facts) -> Self {
        RevisionTemplates {
            facts,
            setups: BTreeMap::new(),
            cache: Cache::new(),
        }
    }
}

/// Why a revision's injector cannot be set up (or a pod of it not rendered again). Kept
/// per revision and given again to each of its pods, so it is `Clone` and holds the
/// setup's message as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum RevisionError {
    #[error("the injector configuration of revision {revision} was not read")]
    NotRead { revision: String },
    #[error(transparent)]
    Env(#[from] crate::config::env::EnvError),
    #[error("revision {revision}'s configuration: {message}")]
    Setup { revision: String, message: String },
    /// A pod of the revision could not be rendered again.
    #[error(transparent)]
    Stale(#[from] drift::Error),
}

/// A revision's injector from its ConfigMaps' texts, as the facts hold them, with istiod's
/// environment for native sidecars on or off.
pub(super) fn revision_setup(
    facts: &Facts,
    revision: &str,
    native_sidecars: bool,
) -> Result<Setup, RevisionError> {
    let injector = facts.injector(revision);
    let Some(config) = injector.value.config_text.clone() else {
        return Err(RevisionError::NotRead {
            revision: revision.into(),
        });
    };
    let name = &injector.value.name;
    let source = ConfigSource {
        inject_config: Some((format!("{name} (config)"), config)),
        values: injector
            .value
            .values_text
            .clone()
            .map(|v| (format!("{name} (values)"), v)),
        mesh: facts.mesh(revision).map(|m| m.value.clone()),
        // The release, as inject finds it: the values' tag, the ConfigMap's labels, the
        // revision's name.
        labels: injector.value.config.configmap_labels.clone(),
        revision: Some(revision.to_string()),
        env: crate::config::env::injector_env(native_sidecars, &[])?,
        ..ConfigSource::default()
    };
    Setup::load(source).map_err(|e| RevisionError::Setup {
        revision: revision.into(),
        message: e.to_string(),
    })
}

/// A running pod has native sidecars when its proxy is an init container: re-render it the
/// way it was made.
fn native(pod: &Value) -> bool {
    pod.pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.get("name").and_then(Value::as_str) == Some(PROXY_CONTAINER))
        })
}

impl TemplateCheck for RevisionTemplates<'_> {
    type Error = RevisionError;

    fn changes(&mut self, pod: &Value, revision: &str) -> Result<Vec<Difference>, RevisionError> {
        let native = native(pod);
        let facts = self.facts;
        let setup = match self
            .setups
            .entry((revision.to_string(), native))
            .or_insert_with(|| revision_setup(facts, revision, native))
        {
            Ok(setup) => &*setup,
            Err(e) => return Err(e.clone()),
        };
        let injector = drift::Injector::new(setup, Some(revision), native);
        match self.cache.stale(pod, &injector) {
            Ok(None) => Ok(Vec::new()),
            Ok(Some(d)) => Ok(d.differences),
            Err(e) => Err(e.into()),
        }
    }
}
