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
    setups: BTreeMap<String, Result<Setup, String>>,
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

    /// The injector set-up of `revision`.
    pub fn setup(&mut self, revision: &str) -> &Result<Setup, String> {
        let facts = self.facts;
        self.setups
            .entry(revision.to_string())
            .or_insert_with(|| revision_setup(facts, revision))
    }
}

/// A revision's injector from its ConfigMaps' texts, as the facts hold them.
pub(super) fn revision_setup(facts: &Facts, revision: &str) -> Result<Setup, String> {
    let injector = facts.injector(revision);
    let Some(config) = injector.value.config_text.clone() else {
        return Err(format!(
            "the injector configuration of revision {revision} was not read"
        ));
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
        compliance_policy: String::new(),
    };
    Setup::load(source).map_err(|e| format!("revision {revision}'s configuration: {e}"))
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
    fn changes(&mut self, pod: &Value, revision: &str) -> Result<Vec<Difference>, String> {
        let native = native(pod);
        self.setup(revision);
        let Some(Ok(setup)) = self.setups.get(revision) else {
            return Err(match self.setups.get(revision) {
                Some(Err(e)) => e.clone(),
                _ => format!("revision {revision} has no injector"),
            });
        };
        let injector = drift::Injector::new(setup, Some(revision), native);
        match self.cache.stale(pod, &injector) {
            Ok(None) => Ok(Vec::new()),
            Ok(Some(d)) => Ok(d.differences),
            Err(e) => Err(e.to_string()),
        }
    }
}
