//! kube-inject over manifests (Istio's `IntoResourceFile` / `IntoObject`): each document is
//! a registered workload kind (its pod template is injected and the object re-emitted the
//! way Go marshals it), a `v1/List` (items handled one by one), or anything else (passed
//! through byte for byte).

use serde_json::{Value, json};

use super::gotypes::{self, Ty};
use super::legacy;
use super::pipeline::{self, Engine, Injected, Owner, Params, PipelineError};
use super::pod;
use crate::config::InjectorConfig;
use crate::config::release::{Change, Release};
use crate::manifest::{self, DocRef, Document, ManifestError, WorkloadKind};
use crate::model::StringMap;
use crate::model::webhook::{Webhook, WebhookConfiguration};
use crate::policy::{self, RuleId};

/// What happened to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Injected,
    /// Not injected; the reason in words (`host networking enabled`).
    Skipped(String),
}

/// One workload seen in the input (a document, or an item of a List).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectReport {
    pub at: DocRef,
    pub kind: String,
    /// `namespace/name`, or `name` without a namespace (Istio's `fullName`).
    pub full_name: String,
    pub outcome: Outcome,
}

impl ObjectReport {
    /// `deployment "ns/x" skipped: host networking enabled`.
    pub fn skip_line(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Skipped(why) => Some(format!(
                "{} {:?} skipped: {why}",
                self.kind.to_ascii_lowercase(),
                self.full_name
            )),
            Outcome::Injected => None,
        }
    }
}

/// The output for one document.
#[derive(Debug, Clone, PartialEq)]
pub enum DocOutput {
    /// Not a kind kube-inject knows: its text as read.
    Raw(String),
    /// A workload or List, to be emitted as Go's `sigs.k8s.io/yaml` would.
    Object(Value),
}

#[derive(Debug, Clone)]
pub struct DocResult {
    pub at: DocRef,
    pub output: DocOutput,
    pub objects: Vec<ObjectReport>,
    pub warnings: Vec<String>,
}

/// A document that could not be injected, naming it and the object.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot inject {at}{}", object.as_ref().map(|o| format!(" ({o})")).unwrap_or_default())]
pub struct InjectError {
    pub at: DocRef,
    /// `Deployment default/web`.
    pub object: Option<String>,
    #[source]
    pub error: PipelineError,
}

/// Why a set of manifests could not be injected: a document that does not parse, or one
/// that cannot be injected.
#[derive(Debug, thiserror::Error)]
pub enum ManifestsError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Inject(#[from] InjectError),
}

/// A document between the two halves of its injection.
struct Started {
    result: DocResult,
    body: Body,
}

enum Body {
    /// Passed through as read.
    Raw,
    Object(Stage),
    /// The list, and its workload items by position, each started or failed.
    List(Value, Vec<(usize, Result<Stage, InjectError>)>),
}

/// An object between the two halves of its injection.
enum Stage {
    /// Nothing left to do: skipped, or injected by the legacy pipeline in one go.
    Done(Done),
    /// Its templates rendered: the object without its pod, where to put the pod back, and
    /// the rendered pod.
    Rendered(Box<(Value, Placing, pipeline::Rendered)>),
}

impl Started {
    /// Reads its objects' rendered templates (see [`pipeline::Rendered::read`]).
    fn read(&mut self) {
        match &mut self.body {
            Body::Raw => {}
            Body::Object(stage) => stage.read(),
            Body::List(_, items) => items
                .iter_mut()
                .filter_map(|(_, stage)| stage.as_mut().ok())
                .for_each(Stage::read),
        }
    }
}

impl Stage {
    fn read(&mut self) {
        if let Stage::Rendered(pending) = self {
            pending.2.read();
        }
    }
}

/// An object with its pod in place, and what its injection reports.
struct Done {
    obj: Value,
    report: ObjectReport,
    warnings: Vec<String>,
}

/// Where an injected pod goes, and what to call the object.
struct Placing {
    at: DocRef,
    kind: WorkloadKind,
    /// `Deployment default/web`.
    object_name: String,
    report: ObjectReport,
    /// The screen's notes, for the report.
    notes: Vec<String>,
}

impl Placing {
    fn fail(&self, error: PipelineError) -> InjectError {
        InjectError {
            at: self.at.clone(),
            object: Some(self.object_name.clone()),
            error,
        }
    }
}

/// Documents per unit of work of [`Injector::inject_all`]: enough for the code's caches to
/// pay, few enough that a batch's rendered pods stay in the core's own cache.
const BATCH: usize = 16;
/// A batch ends early past this much text, so large documents are not held parsed together.
const BATCH_BYTES: usize = 256 << 10;
/// Documents per thread in a window of [`Injector::inject_stream`]: enough batches that the
/// threads finish a window together, few enough that its outputs stay small.
const WINDOW_DOCS: usize = 4 * BATCH;
/// A window ends early past this much input text (its output is about ten times more).
const WINDOW_BYTES: usize = 1 << 20;

/// One document to inject, as split: the index of its input, the input's name, its 1-based
/// position there and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending<'a> {
    pub input: usize,
    pub source: &'a str,
    pub index: usize,
    pub raw: String,
}

/// `threads` (`None`: one per core), at least one.
fn thread_count(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// The caller's say over each workload object before it is injected: `inject
/// --respect-policy` skips what the webhook would skip, and `inject`'s report notes where
/// the webhook and kube-inject differ.
pub trait Screen: Sync {
    /// `skip` is kube-inject's own reason to skip `object` (normalised, pod in place), if
    /// any. Returns the reason to skip it (`None`: inject it) and notes for the report.
    fn screen(
        &self,
        at: &DocRef,
        kind: WorkloadKind,
        object: &Value,
        skip: Option<&str>,
    ) -> Screened;
}

/// What a [`Screen`] says of one object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Screened {
    pub skip: Option<String>,
    /// Warnings for the report (they go to the document's `warnings`).
    pub notes: Vec<String>,
}

/// Injects manifests with one engine and one set of parameters.
pub struct Injector<'a> {
    engine: &'a dyn Engine,
    params: Params,
    legacy: bool,
    decider: policy::Engine,
    screen: Option<&'a dyn Screen>,
}

impl<'a> Injector<'a> {
    /// `legacy` selects the Istio ≤ 1.8 pipeline (a `SidecarInjectionSpec` appended).
    pub fn new(engine: &'a dyn Engine, params: Params, legacy: bool) -> Injector<'a> {
        // kube-inject decides with `Config{Policy: enabled}` and no webhook in the way: one
        // webhook entry that matches everything, and the default (enabled) policy.
        let everything = WebhookConfiguration {
            name: "kube-inject".into(),
            labels: StringMap::new(),
            webhooks: vec![Webhook {
                name: "sidecar-injector.istio.io".into(),
                namespace_selector: None,
                object_selector: None,
            }],
            source: "<kube-inject>".into(),
        };
        // The pod's `sidecar.istio.io/inject` is read as the release reads it.
        let options = policy::Options {
            compat: policy::Compat::for_release(None, params.release),
            ..policy::Options::default()
        };
        let decider = policy::Engine::new(
            &InjectorConfig::default_policy(),
            "<kube-inject>",
            &[everything],
            options,
        );
        // The default policy has no selectors, so compiling cannot fail; fall back to an
        // engine without webhooks only to stay panic-free.
        let decider = match decider {
            Ok(d) => d,
            Err(_) => unreachable!("the default policy has no selectors to reject"),
        };
        Injector {
            engine,
            params,
            legacy,
            decider,
            screen: None,
        }
    }

    /// Lets `screen` decide, object by object, what is skipped and what the report notes.
    pub fn with_screen(mut self, screen: &'a dyn Screen) -> Injector<'a> {
        self.screen = Some(screen);
        self
    }

    /// Injects every document of `inputs` (`(source name, text)` pairs) on up to `threads`
    /// threads (`None`: every core): `(input index, result)` per document, in input order,
    /// or the first error in input order — what a sequential run gives. With `as_text`,
    /// objects come back as their YAML text, a fraction of a parsed object's size.
    pub fn inject_all(
        &self,
        inputs: &[(&str, &str)],
        threads: Option<usize>,
        as_text: bool,
    ) -> Result<Vec<(usize, DocResult)>, ManifestsError> {
        // Splitting is cheap and sequential; parsing and injecting run in parallel.
        let mut work = Vec::new();
        for (i, (name, text)) in inputs.iter().enumerate() {
            for (d, raw) in manifest::split(name, text)?.into_iter().enumerate() {
                work.push(Pending {
                    input: i,
                    source: name,
                    index: d + 1,
                    raw,
                });
            }
        }
        self.inject_work(&work, thread_count(threads), as_text)
    }

    /// [`Injector::inject_all`] over documents as they come, a window at a time, each
    /// result handed to `sink` in input order as soon as its window is done: memory holds
    /// one window, not the input or the output. The first error in input order (from `docs`,
    /// an injection or `sink`) ends it; nothing of its window or later is handed on.
    pub fn inject_stream<'d, E>(
        &self,
        docs: impl IntoIterator<Item = Result<Pending<'d>, E>>,
        threads: Option<usize>,
        as_text: bool,
        mut sink: impl FnMut(usize, DocResult) -> Result<(), E>,
    ) -> Result<(), E>
    where
        E: From<ManifestsError>,
    {
        let threads = thread_count(threads);
        let mut docs = docs.into_iter();
        let mut window = Vec::new();
        let mut bytes = 0;
        loop {
            let next = docs.next().transpose()?;
            let end = next.is_none();
            if let Some(doc) = next {
                bytes += doc.raw.len();
                window.push(doc);
            }
            let full = window.len() >= threads * WINDOW_DOCS || bytes >= WINDOW_BYTES;
            if !window.is_empty() && (end || full) {
                for (i, r) in self.inject_work(&window, threads, as_text)? {
                    sink(i, r)?;
                }
                window.clear();
                bytes = 0;
            }
            if end {
                return Ok(());
            }
        }
    }

    /// Injects `work` on `threads` threads, in order (see [`Injector::inject_all`]).
    fn inject_work(
        &self,
        work: &[Pending<'_>],
        threads: usize,
        as_text: bool,
    ) -> Result<Vec<(usize, DocResult)>, ManifestsError> {
        // Documents go to the threads in batches, each parsed in full before any is injected:
        // the YAML reader then runs with its code and tables still in the caches, as it
        // does when reading a file alone, instead of after each pod's injection evicted them.
        // The template engine likewise renders a batch's pods in a row.
        // Batches shrink towards the end so that the threads run out of work together.
        let mut batches = Vec::new();
        let (mut start, mut bytes) = (0, 0);
        for (n, doc) in work.iter().enumerate() {
            let size = ((work.len() - start) / (2 * threads)).clamp(1, BATCH);
            if n - start == size || bytes > BATCH_BYTES {
                batches.push(&work[start..n]);
                (start, bytes) = (n, 0);
            }
            bytes += doc.raw.len();
        }
        if start < work.len() {
            batches.push(&work[start..]);
        }
        let done = crate::par::try_map(&batches, Some(threads), |batch| {
            let parsed: Vec<_> = batch
                .iter()
                .map(|d| manifest::parse_document(d.source, d.index, d.raw.clone()))
                .collect();
            // The same for the templates: all are rendered before any pod is merged. Errors
            // wait for their turn, so the first one in input order is the one returned.
            let mut started: Vec<_> = parsed
                .into_iter()
                .map(|doc| Ok::<_, ManifestsError>(self.start_document(doc?)?))
                .collect();
            // And their outputs are read in a row, by the YAML reader alone.
            started.iter_mut().flatten().for_each(Started::read);
            let mut out = Vec::with_capacity(batch.len());
            for (doc, started) in batch.iter().zip(started) {
                let mut r = self.finish_document(started?)?;
                if as_text && let DocOutput::Object(v) = &r.output {
                    let text = DocOutput::Raw(crate::yaml::to_string(v));
                    if let DocOutput::Object(v) = std::mem::replace(&mut r.output, text) {
                        crate::yaml::pool::recycle(v);
                    }
                }
                out.push((doc.input, r));
            }
            Ok::<_, ManifestsError>(out)
        })?;
        Ok(done.into_iter().flatten().collect())
    }

    /// Injects one document.
    pub fn inject_document(&self, doc: Document) -> Result<DocResult, InjectError> {
        self.finish_document(self.start_document(doc)?)
    }

    /// The first half of [`Injector::inject_document`]: its objects' templates rendered.
    fn start_document(&self, doc: Document) -> Result<Started, InjectError> {
        // Typed first, as Go decodes it: nothing is rendered for an object Go would refuse.
        super::validate::document(&doc)
            .and_then(|()| super::validate::injectable(&doc))
            .map_err(|e| InjectError {
                at: e.at.clone(),
                object: e.object.clone(),
                error: PipelineError::Other(e.error.to_string()),
            })?;
        let is_list = doc.api_version() == "v1" && doc.kind() == "List";
        let release = self.params.release;
        let kind = kube_inject_kind(doc.api_version(), doc.kind(), release);
        let Document { at, raw, value } = doc;
        let result = DocResult {
            at: at.clone(),
            output: DocOutput::Raw(raw),
            objects: Vec::new(),
            warnings: Vec::new(),
        };
        if is_list {
            let mut list = value;
            let mut items = Vec::new();
            if let Some(list_items) = list.get_mut("items").and_then(Value::as_array_mut) {
                for (n, item) in list_items.iter_mut().enumerate() {
                    let api = item.get("apiVersion").and_then(Value::as_str).unwrap_or("");
                    let kind = item.get("kind").and_then(Value::as_str).unwrap_or("");
                    // Items of kinds kube-inject does not register stay as they are.
                    if let Some(k) = kube_inject_kind(api, kind, release) {
                        // An item's error waits for the items before it to be finished.
                        items.push((n, self.start_object(&at, k, item.take())));
                    }
                }
            }
            return Ok(Started {
                result,
                body: Body::List(list, items),
            });
        }
        let body = match kind {
            Some(k) => Body::Object(self.start_object(&at, k, value)?),
            None => Body::Raw,
        };
        Ok(Started { result, body })
    }

    /// The second half of [`Injector::inject_document`]: merges, post-processing.
    fn finish_document(&self, started: Started) -> Result<DocResult, InjectError> {
        let Started { mut result, body } = started;
        match body {
            Body::Raw => {}
            Body::Object(stage) => {
                let out = self.finish_object(stage, &mut result)?;
                result.output = DocOutput::Object(out);
            }
            Body::List(mut list, items) => {
                for (n, stage) in items {
                    let out = self.finish_object(stage?, &mut result)?;
                    if let Some(slot) = list.get_mut("items").and_then(|i| i.get_mut(n)) {
                        *slot = out;
                    }
                }
                gotypes::normalize(&mut list, Ty::List);
                result.output = DocOutput::Object(list);
            }
        }
        Ok(result)
    }

    /// The first half of injecting one workload object: its templates rendered, or the whole
    /// of it when it is skipped or goes through the legacy pipeline.
    fn start_object(
        &self,
        at: &DocRef,
        kind: WorkloadKind,
        object: Value,
    ) -> Result<Stage, InjectError> {
        let mut obj = object;
        gotypes::normalize(&mut obj, gotypes::workload_type(kind));
        let str_at = |v: &Value, p: &str| {
            pod::at(v, p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let owner = Owner {
            api_version: str_at(&obj, "/apiVersion"),
            kind: str_at(&obj, "/kind"),
            name: str_at(&obj, "/metadata/name"),
            namespace: str_at(&obj, "/metadata/namespace"),
            labels: pod::string_map(pod::at(&obj, "/metadata/labels")),
            annotations: pod::string_map(pod::at(&obj, "/metadata/annotations")),
        };
        // A Pod's workload is found through its controller, as the webhook does
        // (`truncate-canonical-name-custom-controller-pod` in Istio's suite).
        let pod_owner = (kind == WorkloadKind::Pod).then(|| Owner {
            labels: owner.labels.clone(),
            annotations: owner.annotations.clone(),
            ..super::admission::deploy_meta_from_pod(&obj)
        });
        let template_owner = pod_owner.as_ref().unwrap_or(&owner);
        let template_ptr = kind.pod_template_pointer();
        let meta_ptr = kind.inject_metadata_pointer();
        let object_name = format!(
            "{} {}",
            owner.kind,
            if owner.namespace.is_empty() {
                owner.name.clone()
            } else {
                format!("{}/{}", owner.namespace, owner.name)
            }
        );
        let fail = |error: PipelineError| InjectError {
            at: at.clone(),
            object: Some(object_name.clone()),
            error,
        };
        if pod::at(&obj, template_ptr).is_none_or(Value::is_null) {
            return Err(fail(PipelineError::Other(
                "spec.template is required value".into(),
            )));
        }
        // The pod's parts are moved out of the object (and back when it is skipped): the
        // injected ones take their places.
        let spec_ptr = format!("{template_ptr}/spec");
        let own_skip = self.skip_reason(pod::at(&obj, meta_ptr), pod::at(&obj, &spec_ptr), &owner);
        let Screened { skip, notes } = match self.screen {
            Some(screen) => screen.screen(at, kind, &obj, own_skip.as_deref()),
            None => Screened {
                skip: own_skip,
                notes: Vec::new(),
            },
        };
        let mut take_out = |ptr: &str| pod::at_mut(&mut obj, ptr).map(Value::take);
        let metadata = take_out(meta_ptr);
        let spec = take_out(&spec_ptr);
        let mut pod = json!({
            "metadata": metadata.unwrap_or_else(|| json!({})),
            "spec": spec.unwrap_or_else(|| json!({})),
        });

        let name = pod::at(&pod, "/metadata/name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or(&owner.name)
            .to_string();
        let full_name = if owner.namespace.is_empty() {
            name
        } else {
            format!("{}/{}", owner.namespace, name)
        };
        let mut report = ObjectReport {
            at: at.clone(),
            kind: owner.kind.clone(),
            full_name,
            outcome: Outcome::Injected,
        };

        if let Some(why) = skip {
            report.outcome = Outcome::Skipped(why);
            put_pod(&mut obj, kind, &mut pod);
            self.release_metadata(&mut obj, kind);
            return Ok(Stage::Done(Done {
                obj,
                report,
                warnings: notes,
            }));
        }
        let placing = Placing {
            at: at.clone(),
            kind,
            object_name,
            report,
            notes,
        };
        if self.legacy {
            return match legacy::inject_pod(self.engine, template_owner, &pod, &self.params) {
                Ok(injected) => self.place(obj, placing, injected).map(Stage::Done),
                Err(error) => Err(placing.fail(error)),
            };
        }
        // The pod's parts were normalised with the whole object above.
        match pipeline::render_typed_pod(self.engine, template_owner, pod, &self.params) {
            Ok(rendered) => Ok(Stage::Rendered(Box::new((obj, placing, rendered)))),
            Err(error) => Err(placing.fail(error)),
        }
    }

    /// The second half of injecting one workload object: the object is returned as Go
    /// re-emits it.
    fn finish_object(&self, stage: Stage, result: &mut DocResult) -> Result<Value, InjectError> {
        let mut done = match stage {
            Stage::Done(done) => done,
            Stage::Rendered(pending) => {
                let (obj, placing, rendered) = *pending;
                match pipeline::finish(rendered, &self.params) {
                    Ok(injected) => self.place(obj, placing, injected)?,
                    Err(error) => return Err(placing.fail(error)),
                }
            }
        };
        result.warnings.append(&mut done.warnings);
        result.objects.push(done.report);
        Ok(done.obj)
    }

    /// Puts the injected pod's parts in the object's place for them.
    fn place(&self, obj: Value, placing: Placing, injected: Injected) -> Result<Done, InjectError> {
        let mut obj = obj;
        let kind = placing.kind;
        let template_ptr = kind.pod_template_pointer();
        let fail = |error| placing.fail(error);
        let mut injected = injected;
        put_pod(&mut obj, kind, &mut injected.pod);
        // The pipeline returns its pod typed (normalised, quantities canonical) and the rest
        // of the object was normalised above, so only the legacy pipeline's pod needs the
        // whole object done again. Debug builds (the test suite) check that claim.
        let before = (!self.legacy && cfg!(debug_assertions)).then(|| obj.clone());
        if self.legacy || before.is_some() {
            gotypes::normalize(&mut obj, gotypes::workload_type(kind));
            if let Some(template) = pod::at_mut(&mut obj, template_ptr) {
                crate::model::quantity::canonicalize_pod(template)
                    .map_err(|e| fail(PipelineError::Other(e.to_string())))?;
            }
        }
        if before.is_some_and(|b| b != obj) {
            return Err(fail(PipelineError::Other(
                "internal error: the injected pod came back not normalised".into(),
            )));
        }
        self.release_metadata(&mut obj, kind);
        let mut warnings = injected.warnings;
        warnings.extend(placing.notes);
        Ok(Done {
            obj,
            report: placing.report,
            warnings,
        })
    }

    /// The zero metadata fields the release's Kubernetes libraries write: before
    /// `Change::OmitZeroCreationTimestamp`, `creationTimestamp: null` in every ObjectMeta.
    fn release_metadata(&self, obj: &mut Value, kind: WorkloadKind) {
        if !self.params.release.has(Change::OmitZeroCreationTimestamp) {
            gotypes::null_creation_timestamps(obj, gotypes::workload_type(kind));
        }
    }

    /// kube-inject's own checks, through the decision engine `explain` uses: host networking,
    /// ignored namespaces (only a Pod's own namespace counts, as in Istio), and the pod's
    /// `sidecar.istio.io/inject`. The configured policy and selectors do not apply here.
    fn skip_reason(
        &self,
        metadata: Option<&Value>,
        spec: Option<&Value>,
        owner: &Owner,
    ) -> Option<String> {
        let meta = |p: &str| metadata.and_then(|m| pod::at(m, p));
        let ns = policy::Namespace::known(
            meta("/namespace").and_then(Value::as_str).unwrap_or(""),
            StringMap::new(),
        );
        let p = policy::Pod {
            labels: pod::string_map(meta("/labels")),
            annotations: pod::string_map(meta("/annotations")),
            host_network: spec.and_then(|s| pod::at(s, "/hostNetwork")) == Some(&Value::Bool(true)),
            kind: WorkloadKind::from_kind(&owner.kind).unwrap_or(WorkloadKind::Pod),
            ..policy::Pod::default()
        };
        let d = self.decider.decide(&ns, &p);
        if d.inject {
            return None;
        }
        Some(match d.decided_by {
            RuleId::HostNetwork => "host networking enabled".into(),
            RuleId::PodLabel => "injection disabled by label".into(),
            RuleId::PodAnnotation => "injection disabled by annotation".into(),
            RuleId::IgnoredNamespace => {
                format!("namespace {:?} is ignored by the injector", ns.name)
            }
            _ => d.reason,
        })
    }
}

impl Injector<'_> {
    /// True for a document of a kind kube-inject injects in this injector's release.
    pub fn injects(&self, doc: &Document) -> bool {
        kube_inject_kind(doc.api_version(), doc.kind(), self.params.release).is_some()
    }
}

/// The kinds kube-inject registers: the manifest module's list, plus OpenShift's legacy
/// group-less `v1` DeploymentConfig, which Istio's scheme also decodes
/// (`deploymentconfig-with-canonical-service-label` in Istio's suite). CronJobs are
/// `batch/v1` or, before `Change::CronJobBatchV1`, only `batch/v2alpha1`.
fn kube_inject_kind(api_version: &str, kind: &str, release: Release) -> Option<WorkloadKind> {
    if kind == "CronJob" {
        let registered = if release.has(Change::CronJobBatchV1) {
            "batch/v1"
        } else {
            "batch/v2alpha1"
        };
        return (api_version == registered).then_some(WorkloadKind::CronJob);
    }
    WorkloadKind::from_type_meta(api_version, kind)
        .or((api_version == "v1" && kind == "DeploymentConfig")
            .then_some(WorkloadKind::DeploymentConfig))
}

/// Moves a pod's `metadata` and `spec` (`{}` when absent) into the places `kind` has for
/// them in `obj`.
fn put_pod(obj: &mut Value, kind: WorkloadKind, pod: &mut Value) {
    let spec_ptr = format!("{}/spec", kind.pod_template_pointer());
    for (ptr, key) in [
        (kind.inject_metadata_pointer(), "metadata"),
        (&spec_ptr, "spec"),
    ] {
        if let Some(slot) = pod::at_mut(obj, ptr) {
            *slot = pod.get_mut(key).map_or_else(|| json!({}), Value::take);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inject::engine::{ConfigSource, Setup};

    fn deployment(name: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: app\n        image: app:1\n"
        )
    }

    fn error_of(injector: &Injector, text: &str, threads: usize) -> String {
        match injector.inject_all(&[("in.yaml", text)], Some(threads), true) {
            Ok(_) => "no error".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn streamed_windows_give_what_one_run_gives() {
        let setup = Setup::load(ConfigSource::default()).unwrap();
        let injector = Injector::new(&setup, setup.params(true, None, false), setup.is_legacy());
        // More documents than three windows of two threads hold.
        let docs: Vec<String> = (0..6 * WINDOW_DOCS + 7)
            .map(|i| deployment(&format!("d{i}")))
            .collect();
        let text = docs.join("---\n");
        let whole = injector
            .inject_all(&[("in.yaml", &text)], Some(2), true)
            .unwrap();
        let pending = || {
            docs.iter().enumerate().map(|(n, raw)| {
                Ok::<_, ManifestsError>(Pending {
                    input: 0,
                    source: "in.yaml",
                    index: n + 1,
                    raw: raw.clone(),
                })
            })
        };
        let mut streamed = Vec::new();
        injector
            .inject_stream(pending(), Some(2), true, |i, r| {
                streamed.push((i, r));
                Ok(())
            })
            .unwrap();
        assert_eq!(streamed.len(), whole.len());
        for ((_, a), (_, b)) in whole.iter().zip(&streamed) {
            assert_eq!((&a.at, &a.output), (&b.at, &b.output));
        }
        // An error in the last window: earlier windows were handed on, in order, and
        // nothing from the error on.
        let last = docs.len() - 3;
        let mut seen = Vec::new();
        let err = injector
            .inject_stream(
                pending().map(|d| {
                    d.map(|mut d| {
                        if d.index == last {
                            d.raw = "kind: [\n".into();
                        }
                        d
                    })
                }),
                Some(2),
                true,
                |_, r| {
                    seen.push(r.at.index);
                    Ok(())
                },
            )
            .unwrap_err();
        assert!(
            err.to_string().contains(&format!("document {last}")),
            "{err}"
        );
        assert!(!seen.is_empty() && seen.len() < last, "{}", seen.len());
        assert_eq!(seen, (1..=seen.len()).collect::<Vec<_>>());
    }

    #[test]
    fn batches_keep_the_order_and_the_first_error_of_a_sequential_run() {
        let setup = Setup::load(ConfigSource::default()).unwrap();
        let injector = Injector::new(&setup, setup.params(true, None, false), setup.is_legacy());
        // More documents than two batches hold, a ConfigMap among them.
        let mut docs: Vec<String> = (0..2 * BATCH + 5)
            .map(|i| deployment(&format!("d{i}")))
            .collect();
        docs[BATCH + 1] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n".into();
        let text = docs.join("---\n");
        let one = injector
            .inject_all(&[("in.yaml", &text)], Some(1), true)
            .unwrap();
        let three = injector
            .inject_all(&[("in.yaml", &text)], Some(3), true)
            .unwrap();
        assert_eq!(one.len(), docs.len());
        for (n, ((_, a), (_, b))) in one.iter().zip(&three).enumerate() {
            assert_eq!(a.at.index, n + 1);
            assert_eq!((&a.at, &a.output), (&b.at, &b.output));
        }
        assert_eq!(
            one[BATCH + 1].1.output,
            DocOutput::Raw(docs[BATCH + 1].clone())
        );

        // In one batch: an object that cannot be injected (document 3) comes before a
        // document that does not parse (document 4), though the batch parses first.
        let unknown_template = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  template:\n    metadata:\n      annotations:\n        inject.istio.io/templates: nope\n    spec:\n      containers:\n      - name: a\n";
        let mut bad = docs.clone();
        bad[2] = unknown_template.into();
        bad[3] = "kind: [\n".into();
        for threads in [1, 3] {
            let err = error_of(&injector, &bad.join("---\n"), threads);
            assert!(
                err.starts_with("cannot inject in.yaml: document 3 (Deployment bad)"),
                "{err}"
            );
        }
        // Across batches: the later batch's error is not the one reported.
        let mut bad = docs.clone();
        bad[BATCH + 2] = unknown_template.into();
        bad[2 * BATCH + 1] = "kind: [\n".into();
        for threads in [1, 3] {
            let err = error_of(&injector, &bad.join("---\n"), threads);
            let want = format!("cannot inject in.yaml: document {}", BATCH + 3);
            assert!(err.starts_with(&want), "{err}");
        }
        bad[3] = "kind: [\n".into();
        assert!(
            error_of(&injector, &bad.join("---\n"), 3)
                .starts_with("in.yaml: document 4: invalid YAML")
        );
    }

    #[test]
    fn a_lists_items_report_in_order_though_rendered_before_merged() {
        let setup = Setup::load(ConfigSource::default()).unwrap();
        let injector = Injector::new(&setup, setup.params(true, None, false), setup.is_legacy());
        let indent = |d: String| d.replace('\n', "\n    ");
        let host = deployment("b").replace("    spec:\n", "    spec:\n      hostNetwork: true\n");
        let list = format!(
            "apiVersion: v1\nkind: List\nitems:\n  - {}\n  - {}\n  - {}\n",
            indent(deployment("a")).trim_end(),
            indent(host).trim_end(),
            indent(deployment("c")).trim_end(),
        );
        let out = injector
            .inject_all(&[("in.yaml", &list)], Some(1), true)
            .unwrap();
        let reports: Vec<_> = out[0]
            .1
            .objects
            .iter()
            .map(|o| (o.full_name.as_str(), o.outcome.clone()))
            .collect();
        assert_eq!(
            reports,
            [
                ("a", Outcome::Injected),
                ("b", Outcome::Skipped("host networking enabled".into())),
                ("c", Outcome::Injected),
            ]
        );
        let DocOutput::Raw(text) = &out[0].1.output else {
            panic!("a List comes back as text");
        };
        assert_eq!(text.matches("name: istio-proxy").count(), 2, "{text}");
    }
}
