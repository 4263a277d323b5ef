//! Template drift for live commands: each revision's injector, set up once from the facts
//! (its `config`, `values` and `mesh` texts), to re-render injected pods with.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::drift::state::TemplateCheck;
use crate::facts::Facts;
use crate::inject::engine::{ConfigSource, Setup};

/// Each revision's injector, built on first use; a revision whose configuration was not read
/// (or does not load) cannot be compared, and says why.
pub(super) struct RevisionTemplates<'f> {
    facts: &'f Facts,
    setups: BTreeMap<String, Result<Setup, String>>,
}

impl<'f> RevisionTemplates<'f> {
    pub fn new(facts: &'f Facts) -> Self {
        RevisionTemplates {
            facts,
            setups: BTreeMap::new(),
        }
    }

    fn setup(&mut self, revision: &str) -> &Result<Setup, String> {
        let facts = self.facts;
        self.setups
            .entry(revision.to_string())
            .or_insert_with(|| load(facts, revision))
    }
}

fn load(facts: &Facts, revision: &str) -> Result<Setup, String> {
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

impl TemplateCheck for RevisionTemplates<'_> {
    fn changes(&mut self, pod: &Value, revision: &str) -> Result<Vec<String>, String> {
        let setup = self.setup(revision).as_ref().map_err(Clone::clone)?;
        let _ = (setup, pod);
        Err("template comparison is not available".into())
    }
}
