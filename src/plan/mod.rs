//! Plans for the commands that change a cluster (`uninstall`, `cleanup`), made from what was
//! read and the options, then carried out through an [`Executor`] the command supplies.
//!
//! Pure: the safety rules (what may be deleted or restarted, in which order, what stops the
//! run) live here and are tested with a fake executor; only the executor touches the
//! cluster.

pub mod cleanup;
pub mod uninstall;

use serde::Serialize;

use crate::model::kind::Kind;

/// One object a plan acts on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    #[serde(serialize_with = "kind_name")]
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

fn kind_name<S: serde::Serializer>(k: &Kind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.kind())
}

impl Target {
    pub fn new(kind: Kind, namespace: Option<&str>, name: &str) -> Target {
        Target {
            kind,
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        }
    }

    /// `deployment/web -n shop`, as kubectl names it.
    pub fn kubectl(&self) -> String {
        match &self.namespace {
            Some(ns) => format!(
                "{}/{} -n {ns}",
                self.kind.kind().to_ascii_lowercase(),
                self.name
            ),
            None => format!("{}/{}", self.kind.kind().to_ascii_lowercase(), self.name),
        }
    }
}

/// How a plan is carried out: `--dry-run=client` asks nothing, `--dry-run=server` asks the API
/// server to validate without persisting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    Real,
    ClientDryRun,
    ServerDryRun,
}

/// What the plans ask of the cluster. A failed call returns the executor's own error (the
/// cluster's names the request and the API server's answer); the plans record its message
/// in the report and go on.
pub trait Executor {
    type Error: std::error::Error;
    /// Deletes an object; `Ok(false)` when it was already gone.
    fn delete(&mut self, target: &Target, server_dry_run: bool) -> Result<bool, Self::Error>;
    /// Removes the injection labels of a namespace (and nothing else).
    fn remove_namespace_labels(
        &mut self,
        namespace: &str,
        server_dry_run: bool,
    ) -> Result<(), Self::Error>;
    /// `kubectl rollout restart`: sets the pod template's restartedAt annotation.
    fn restart(&mut self, target: &Target, server_dry_run: bool) -> Result<(), Self::Error>;
}
