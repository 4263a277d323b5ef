//! What `inject` knows beyond its templates: the webhook's decision for each object, with
//! the same facts and engine as `check` (the input's context, then a bundle or the cluster).
//! `inject` follows `istioctl kube-inject` — no policy, no selectors, a CronJob's opt-out read
//! at `spec.jobTemplate.metadata` — and reports where the webhook would decide otherwise
//! (KI106); `--respect-policy` skips exactly what the webhook skips. A pod that runs to
//! completion and gets a classic sidecar is a warning (KI110) either way.

use serde_json::Value;

use super::capture::{Bundle, is_bundle};
use crate::facts::{Fact, Facts, NativeSidecars, Source};
use crate::findings::{Coded, Suppressions, code};
use crate::inject::{Screen, Screened};
use crate::manifest::{DocRef, WorkloadKind};
use crate::model::webhook::INJECT_KEY;
use crate::policy::{Engine, FindingCode, Namespace, RuleId, pod_of, run_to_completion};

/// Kinds whose documents can carry context; only documents naming one are parsed twice.
const CONTEXT_WORDS: [&str; 4] = [
    "Namespace",
    "MutatingWebhookConfiguration",
    "ConfigMap",
    "List",
];

/// Whether `text` names a kind that can carry context (the documents worth parsing for it).
pub(super) fn mentions_context(text: &str) -> bool {
    CONTEXT_WORDS.iter().any(|w| text.contains(w))
}

/// One input as the context pass needs it (see `app/docstream.rs`, which reads it): whether
/// any of its text names a context kind, and its documents that do (1-based index, text) —
/// or the bad separator that keeps it from being split.
pub(super) struct ContextDocs {
    pub name: String,
    pub mentions: bool,
    pub docs: Result<Vec<(usize, String)>, crate::manifest::SplitError>,
}

/// The input's context (namespaces, webhook configurations, injector ConfigMaps) and the
/// bundles inside it, with the documents that held them (they configure the run; they are
/// not manifests to print).
pub(super) struct InputContext {
    pub facts: Facts,
    pub bundles: Vec<Bundle>,
    /// `(input index, document index)` of each bundle document.
    pub bundle_docs: Vec<(usize, usize)>,
}

pub(super) fn input_context(inputs: &[ContextDocs]) -> anyhow::Result<InputContext> {
    let mut facts = Facts::new();
    let mut webhooks = Vec::new();
    let mut bundles = Vec::new();
    let mut bundle_docs = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        // An input that names no context kind is not split here: its bad separator, if
        // any, is met with its documents.
        if !input.mentions {
            continue;
        }
        let name = input.name.as_str();
        let docs = input
            .docs
            .as_ref()
            .map_err(|error| crate::manifest::ManifestError::Split {
                source_name: name.to_string(),
                error: error.clone(),
            })?;
        for (n, raw) in docs {
            let doc = crate::manifest::parse_document(name, *n, raw.clone())?;
            if is_bundle(&doc.value) {
                bundle_docs.push((i, *n));
                bundles.push(Bundle {
                    file: doc.at.to_string(),
                    value: doc.value,
                });
                continue;
            }
            let at = doc.at.to_string();
            facts.take_context(
                &at,
                &doc.value,
                &Source::Input { at: at.clone() },
                &mut webhooks,
            )?;
        }
    }
    facts.add_webhooks(
        webhooks,
        Source::Input {
            at: "the input".into(),
        },
    );
    Ok(InputContext {
        facts,
        bundles,
        bundle_docs,
    })
}

/// The webhook's view of each object `inject` sees.
pub(super) struct PolicyScreen<'a> {
    pub engine: Engine,
    pub facts: &'a Facts,
    /// The namespace of objects that name none.
    pub default_namespace: String,
    pub respect_policy: bool,
    pub suppress: &'a Suppressions,
    /// Whether `inject` renders native sidecars (`--native-sidecars`).
    pub native: Fact<NativeSidecars>,
}

impl PolicyScreen<'_> {
    fn silenced(&self, f: FindingCode, ns: &str, name: &str) -> bool {
        self.suppress
            .covers(code(Coded::Finding(f)), Some(ns), Some(name))
    }
}

impl Screen for PolicyScreen<'_> {
    fn screen(
        &self,
        _at: &DocRef,
        kind: WorkloadKind,
        object: &Value,
        skip: Option<&str>,
    ) -> Screened {
        let own = Screened {
            skip: skip.map(str::to_string),
            notes: Vec::new(),
        };
        // An object the policy cannot read is left to kube-inject's own rules (and errors).
        let Ok(pod) = pod_of(object, kind) else {
            return own;
        };
        let s = |p: &str| object.pointer(p).and_then(Value::as_str).unwrap_or("");
        let ns = match s("/metadata/namespace") {
            "" => self.default_namespace.as_str(),
            n => n,
        };
        let name = s("/metadata/name");
        let namespace = Namespace::from(self.facts.namespace(ns));
        let d = self.engine.decide(&namespace, &pod);
        let what = format!("{kind} {ns}/{name}");
        let mut notes = Vec::new();
        // Without the namespace's labels the webhook's answer is not known (say nothing),
        // unless the pod itself opts out, which holds in any namespace.
        let opts_out = [pod.labels.get(INJECT_KEY), pod.annotations.get(INJECT_KEY)]
            .into_iter()
            .flatten()
            .any(|v| v == "false");
        let unknown = d.decided_by == RuleId::Webhook && namespace.assumed() && !opts_out;
        let skip = if self.respect_policy {
            (!d.inject).then(|| format!("the webhook would not inject it: {}", d.reason))
        } else {
            if !unknown && !self.silenced(FindingCode::OfflineInjectDiffers, ns, name) {
                let code = code(Coded::Finding(FindingCode::OfflineInjectDiffers));
                match (skip, d.inject) {
                    (None, false) => notes.push(format!(
                        "[{code}] {what}: injected as `istioctl kube-inject` does, but the webhook would not inject it (decided by {}: {}); --respect-policy skips it",
                        d.decided_by, d.reason
                    )),
                    (Some(why), true) => notes.push(format!(
                        "[{code}] {what}: skipped as `istioctl kube-inject` does ({why}), but the webhook would inject it; --respect-policy injects it"
                    )),
                    _ => {}
                }
            }
            own.skip
        };
        // The render reads `sidecar.istio.io/nativeSidecar` where kube-inject reads the pod's
        // metadata (a CronJob's at spec.jobTemplate.metadata): judge by what it reads.
        let rendered = crate::policy::Pod {
            annotations: object
                .pointer(&format!("{}/annotations", kind.inject_metadata_pointer()))
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            ..pod.clone()
        };
        if skip.is_none()
            && !self.silenced(FindingCode::RunToCompletion, ns, name)
            && let Some(f) = run_to_completion(&rendered, &self.native)
        {
            notes.push(format!(
                "[{}] {what}: {}",
                code(Coded::Finding(f.code)),
                f.message
            ));
        }
        Screened { skip, notes }
    }
}
