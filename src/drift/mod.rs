//! Drift by re-rendering (pure): is a running pod what its injector would make of it now?
//!
//! - [`compare`] two pods over what the injector owns (see `compare.rs` for the scope), after
//!   applying the API server's defaults ([`defaults`]) to both, so a field the server filled
//!   in never counts. Each [`Difference`] says what going from the first pod to the second
//!   would change: `added` is in the second only.
//! - [`stale`]: strip a running pod by its status record (`inject::uninject`), inject it
//!   again through the same pipeline as `inject` (`inject::pipeline::inject_pod`, the
//!   workload named as the webhook names it), and compare. [`Cache`] does that once per
//!   distinct pod and revision.
//! - [`Drift`] and [`describe`] put the differences in words:
//!   `stale template: istio-proxy env ISTIO_META_X added; volume istio-certs removed`.
//! - [`state`] classifies each running pod against its decision (missing, unexpected, stale
//!   revision, stale template) and says what fixes it per workload.
//!
//! Pure: no I/O; imports neither `app`, `cluster` nor `report`.

mod compare;
pub mod defaults;
pub mod state;

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::inject::engine::Setup;
use crate::inject::pipeline::{self, Params, PipelineError};
use crate::inject::status::StatusError;
use crate::inject::{admission, uninject};

pub use compare::{OWNED_ANNOTATIONS, OWNED_LABELS, is_api_access_volume};
pub use defaults::apply_defaults;

/// What going from the first pod to the second does to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Change {
    /// Only the second (predicted) pod has it.
    Added,
    /// Only the first (actual) pod has it.
    Removed,
    Changed,
}

/// One difference: its kind, where (`spec.containers[istio-proxy].env[ISTIO_META_X]`), the
/// words (`istio-proxy env ISTIO_META_X added`), and the two values when they exist.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    pub kind: Change,
    pub path: String,
    pub words: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicted: Option<Value>,
}

/// Compares two pods (whole Pods or `{metadata, spec}`) over what the injector owns, with
/// the API server's defaults applied to both; `[]` when they agree.
pub fn compare(actual: &Value, predicted: &Value) -> Vec<Difference> {
    let mut a = actual.clone();
    let mut p = predicted.clone();
    apply_defaults(&mut a);
    apply_defaults(&mut p);
    compare::compare(&a, &p)
}

/// The differences as one line of words, `; `-separated.
pub fn describe(differences: &[Difference]) -> String {
    differences
        .iter()
        .map(|d| d.words.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A running pod that its injector would now inject differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// `stale template: …`, the words of every difference.
    pub summary: String,
    pub differences: Vec<Difference>,
}

impl Drift {
    fn new(differences: Vec<Difference>) -> Drift {
        Drift {
            summary: format!("stale template: {}", describe(&differences)),
            differences,
        }
    }
}

/// Why a pod could not be rendered again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("cannot strip the previous injection: {0}")]
    Strip(StatusError),
    // Not `#[from]`: that would make the error also the `#[source]`, printed twice.
    #[error("cannot inject it again: {0}")]
    Inject(PipelineError),
}

/// One revision's injector: its configuration and how it injects (the webhook's way:
/// with `injectedAnnotations`).
pub struct Injector<'a> {
    setup: &'a Setup,
    params: Params,
    revision: String,
}

impl<'a> Injector<'a> {
    /// `revision` as the webhook configuration names it (`None` or `default` for the
    /// default revision); `native_sidecars` as the cluster's injector decides it.
    pub fn new(setup: &'a Setup, revision: Option<&str>, native_sidecars: bool) -> Injector<'a> {
        Injector {
            setup,
            params: setup.params(native_sidecars, revision, true),
            revision: revision.unwrap_or("default").to_string(),
        }
    }
}

/// `{metadata, spec}` of a pod, without `managedFields` (the webhook drops them first).
fn pod_part(pod: &Value) -> Value {
    let mut metadata = pod.get("metadata").cloned().unwrap_or_else(|| json!({}));
    if let Some(m) = metadata.as_object_mut() {
        m.remove("managedFields");
    }
    json!({
        "metadata": metadata,
        "spec": pod.get("spec").cloned().unwrap_or_else(|| json!({})),
    })
}

/// Injects a pod as the webhook would: the API server's defaults first (it defaults a
/// request before admission, so the webhook and its templates see them), then the pipeline
/// of `inject`, with the workload named from the pod's controller (Istio's
/// `GetDeployMetaFromPod`). Returns the pod whole, its metadata and spec replaced.
pub fn inject(pod: &Value, injector: &Injector<'_>) -> Result<Value, Error> {
    let owner = admission::deploy_meta_from_pod(pod);
    let mut part = pod_part(pod);
    apply_defaults(&mut part);
    let injected = pipeline::inject_pod(injector.setup, &owner, part, &injector.params)
        .map_err(Error::Inject)?;
    let mut out = pod.clone();
    if let Some(m) = out.as_object_mut() {
        for key in ["metadata", "spec"] {
            if let Some(v) = injected.pod.get(key) {
                m.insert(key.into(), v.clone());
            }
        }
    }
    Ok(out)
}

/// Strips a running pod by its status record and injects it again with `injector`, then
/// compares. `Ok(None)`: not injected (no record), or exactly what the injector makes now.
pub fn stale(pod: &Value, injector: &Injector<'_>) -> Result<Option<Drift>, Error> {
    if crate::inject::status::previous(pod).is_none() {
        return Ok(None);
    }
    let owner = admission::deploy_meta_from_pod(pod);
    let mut report = uninject::StripReport {
        source: String::new(),
        document: 0,
        kind: owner.kind.clone(),
        name: owner.name.clone(),
        stripped: false,
        changes: Vec::new(),
        warnings: Vec::new(),
    };
    let Some(stripped) =
        uninject::strip_pod(&pod_part(pod), &owner.name, &mut report).map_err(Error::Strip)?
    else {
        return Ok(None);
    };
    let mut bare = pod.clone();
    if let Some(m) = bare.as_object_mut() {
        for key in ["metadata", "spec"] {
            m.insert(
                key.into(),
                stripped.get(key).cloned().unwrap_or_else(|| json!({})),
            );
        }
    }
    let again = inject(&bare, injector)?;
    let differences = compare(pod, &again);
    Ok((!differences.is_empty()).then(|| Drift::new(differences)))
}

/// [`stale`] once per distinct pod and revision: pods of one ReplicaSet, injected alike,
/// share one render.
///
/// The key is the revision and the pod in a canonical form (keys sorted) without the fields
/// that differ from pod to pod but cannot change the answer:
/// - `metadata.name`, when `generateName` is set and a controller owns the pod: the
///   workload is then named from the owner, and no template reads the pod's name;
/// - `metadata.uid`, `resourceVersion`, `creationTimestamp`, `generation`, `selfLink`,
///   `managedFields`, `deletionTimestamp`, `deletionGracePeriodSeconds`: server bookkeeping,
///   absent when the webhook injects and read by no template;
/// - `ownerReferences[].uid`: only the owner's kind and name name the workload;
/// - `spec.nodeName`: set by the scheduler, after admission;
/// - `status`: the kubelet's, after admission;
/// - the `kube-api-access-*` volume and its mounts: the ServiceAccount admission plugin's,
///   with a random suffix; no template reads them and the comparison skips them.
#[derive(Default)]
pub struct Cache {
    answers: HashMap<String, Result<Option<Drift>, Error>>,
    renders: usize,
}

impl Cache {
    pub fn new() -> Cache {
        Cache::default()
    }

    /// [`stale`], from the cache when a pod of the same form was asked before.
    pub fn stale(&mut self, pod: &Value, injector: &Injector<'_>) -> Result<Option<Drift>, Error> {
        let key = format!("{}\n{}", injector.revision, canonical(&cache_form(pod)));
        if let Some(answer) = self.answers.get(&key) {
            return answer.clone();
        }
        self.renders += 1;
        let answer = stale(pod, injector);
        self.answers.insert(key, answer.clone());
        answer
    }

    /// How many pods were rendered again (cache misses).
    pub fn renders(&self) -> usize {
        self.renders
    }
}

/// The pod without its per-pod fields (see [`Cache`]).
fn cache_form(pod: &Value) -> Value {
    let mut v = pod.clone();
    let Some(root) = v.as_object_mut() else {
        return v;
    };
    root.remove("status");
    if let Some(meta) = root.get_mut("metadata").and_then(Value::as_object_mut) {
        let owned = meta
            .get("ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|refs| {
                refs.iter()
                    .any(|r| r.get("controller") == Some(&Value::Bool(true)))
            });
        let generated = meta
            .get("generateName")
            .and_then(Value::as_str)
            .is_some_and(|g| !g.is_empty());
        if owned && generated {
            meta.remove("name");
        }
        for k in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "generation",
            "selfLink",
            "managedFields",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            meta.remove(k);
        }
        if let Some(refs) = meta
            .get_mut("ownerReferences")
            .and_then(Value::as_array_mut)
        {
            for r in refs {
                if let Some(r) = r.as_object_mut() {
                    r.remove("uid");
                }
            }
        }
    }
    if let Some(spec) = root.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("nodeName");
        if let Some(vols) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
            vols.retain(|v| !is_api_access_volume(crate::inject::pod::name_of(v)));
        }
        for list in ["containers", "initContainers"] {
            for c in spec
                .get_mut(list)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(mounts) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
                    mounts.retain(|m| !is_api_access_volume(crate::inject::pod::name_of(m)));
                }
            }
        }
    }
    v
}

/// JSON with every object's keys sorted, whatever the map type keeps.
fn canonical(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<(&String, &Value)> = m.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect::<Map<String, Value>>(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(v).to_string()
}

#[cfg(test)]
mod tests;
