//! Istio's `injectPod` over one pod: validate annotations, strip a previous injection, render
//! the selected templates and strategically merge each onto the pod, re-apply the user's
//! container customisations, then post-process (cluster env, Prometheus, probes, metadata,
//! container order).
//!
//! Rendering is behind the [`Engine`] trait so this file drives no template engine and reads
//! no configuration (it names only their error types), and can be tested with canned
//! template output.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::gotypes::{self, Ty};
use super::pod::{self, List, Move};
use super::status::{self, InjectionStatus, Overrides};
use super::{merge, probe, prometheus, validate};
use crate::config::MeshError;
use crate::config::release::{Change, Release};
use crate::model::istio::{
    CORE_DUMP_CONTAINER, INIT_CONTAINER, INTERCEPTION_MODE_ANNOTATION, NATIVE_SIDECAR_ANNOTATION,
    NETWORK_LABEL, OVERRIDES_ANNOTATION, PROXY_CONTAINER, STATUS_ANNOTATION, TEMPLATES_ANNOTATION,
    VALIDATION_CONTAINER,
};
use crate::template::TemplateError;

/// What the pipeline needs to know from the mesh, the values and the pod's
/// `proxy.istio.io/config`, computed per pod by the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `defaultConfig.statusPort` (after the pod's proxy config).
    pub status_port: i64,
    /// The mesh's `enablePrometheusMerge` when set.
    pub prometheus_merge: Option<bool>,
    /// `defaultConfig.interceptionMode` is TPROXY.
    pub tproxy: bool,
    /// `holdApplicationUntilProxyStarts` from the proxy config or the values.
    pub hold_application: bool,
    /// `values.sidecarInjectorWebhook.rewriteAppHTTPProbe` (default true).
    pub rewrite_probes: bool,
    /// tcpSocket probes are rewritten too (istiod's `REWRITE_TCP_PROBES`, Istio ≤ 1.18;
    /// always since).
    pub rewrite_tcp_probes: bool,
    /// `values.global.multiCluster.clusterName`.
    pub cluster: String,
    /// `values.global.network`.
    pub network: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            status_port: 15020,
            prometheus_merge: None,
            tproxy: false,
            hold_application: false,
            rewrite_probes: true,
            rewrite_tcp_probes: true,
            cluster: String::new(),
            network: String::new(),
        }
    }
}

/// The workload a pod template belongs to (Istio's `TypeMeta` and `DeploymentMeta`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// The workload's own labels and annotations, for legacy templates that read
    /// `.DeploymentMeta.Labels`.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// Everything a template is rendered with, before the template module turns it into its
/// data model.
#[derive(Debug, Clone)]
pub struct RenderInput<'a> {
    pub owner: &'a Owner,
    /// The pod after strip and override re-insertion (what `.ObjectMeta` / `.Spec` show).
    pub pod: &'a Value,
    pub native_sidecars: bool,
    pub revision: &'a str,
}

/// Why a template could not be rendered: the template's own error keeps its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("no template {0:?}")]
    NoTemplate(String),
    /// The template data could not be built (a `proxy.istio.io/config` that does not parse);
    /// boxed as the template's error.
    #[error(transparent)]
    Data(Box<MeshError>),
    /// Boxed: a pipeline error travels in every document's result.
    #[error(transparent)]
    Template(Box<TemplateError>),
}

impl From<MeshError> for RenderError {
    fn from(e: MeshError) -> RenderError {
        RenderError::Data(Box::new(e))
    }
}

impl From<TemplateError> for RenderError {
    fn from(e: TemplateError) -> RenderError {
        RenderError::Template(Box::new(e))
    }
}

/// Template rendering and per-pod settings: implemented over the template engine and the
/// mesh/values configuration by the caller.
pub trait Engine: Sync {
    /// The settings for this pod (mesh ⊕ `proxy.istio.io/config`, values).
    fn settings(&self, pod: &Value) -> Result<Settings, MeshError>;
    /// The names of the configured templates, sorted.
    fn template_names(&self) -> Vec<String>;
    /// Renders template `name`; the text is YAML for a partial Pod.
    fn render(&self, name: &str, input: &RenderInput<'_>) -> Result<String, RenderError>;
    /// Annotation checks that need configuration types (`proxy.istio.io/config`, quantities);
    /// `None` leaves the annotation to the built-in rules.
    fn check_annotation(&self, key: &str, value: &str) -> Option<Result<(), validate::Reason>>;
}

/// How to inject, beyond the engine: Istio's `InjectionParameters` knobs.
#[derive(Debug, Clone, Default)]
pub struct Params {
    /// Templates used without `inject.istio.io/templates` (kube-inject: `[sidecar]`).
    pub default_templates: Vec<String>,
    /// `name → [templates]`, not recursive.
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Native sidecars for pods without `sidecar.istio.io/nativeSidecar`.
    pub native_sidecars: bool,
    /// The injector revision (`""` for the default).
    pub revision: String,
    /// `injectedAnnotations` of the config (deprecated), applied last.
    pub injected_annotations: BTreeMap<String, String>,
    /// Cluster and network from the webhook URL path, overriding the values.
    pub proxy_envs: BTreeMap<String, String>,
    /// The Istio release whose behaviour to reproduce.
    pub release: Release,
}

/// Why a pod could not be injected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PipelineError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Annotations(Vec<validate::AnnotationError>),
    #[error("requested template {name:?} not found; have {have}")]
    UnknownTemplate { name: String, have: String },
    /// The render's error in the message, not as a source: it is printed once.
    #[error("template {name:?}: {error}")]
    Render { name: String, error: RenderError },
    #[error("template {name:?} did not produce a partial Pod: {message}")]
    Output { name: String, message: String },
    /// A previous injection's record or overrides that cannot be used (boxed, as the
    /// render's error: a pipeline error travels in every document's result).
    #[error(transparent)]
    Status(Box<status::StatusError>),
    #[error(transparent)]
    Prometheus(Box<super::prometheus::PrometheusError>),
    /// The pod's `proxy.istio.io/config` does not apply over the mesh's `defaultConfig`.
    #[error(transparent)]
    ProxyConfig(Box<MeshError>),
    #[error("{0}")]
    Other(String),
}

impl From<status::StatusError> for PipelineError {
    fn from(e: status::StatusError) -> PipelineError {
        PipelineError::Status(Box::new(e))
    }
}

impl From<MeshError> for PipelineError {
    fn from(e: MeshError) -> PipelineError {
        PipelineError::ProxyConfig(Box::new(e))
    }
}

impl From<super::prometheus::PrometheusError> for PipelineError {
    fn from(e: super::prometheus::PrometheusError) -> PipelineError {
        PipelineError::Prometheus(Box::new(e))
    }
}

/// The outcome for one pod.
#[derive(Debug, Clone)]
pub struct Injected {
    pub pod: Value,
    pub warnings: Vec<String>,
}

/// Istio's `selectTemplates`: the annotation's comma list (trimmed) or the defaults, each
/// expanded through the aliases once.
pub fn select_templates(pod: &Value, params: &Params) -> Vec<String> {
    let names: Vec<String> = match pod::annotation(pod, TEMPLATES_ANNOTATION) {
        Some(a) => a.split(',').map(|n| n.trim().to_string()).collect(),
        None if params.default_templates.is_empty() => vec!["sidecar".into()],
        None => params.default_templates.clone(),
    };
    names
        .into_iter()
        .flat_map(|n| match params.aliases.get(&n) {
            Some(expanded) => expanded.clone(),
            None => vec![n],
        })
        .collect()
}

/// Whether this pod gets native sidecars: the annotation wins over the global mode (from
/// `Change::NativeSidecarAnnotation` on).
pub fn native_sidecars(pod: &Value, global: bool, release: Release) -> bool {
    if !release.has(Change::NativeSidecarAnnotation) {
        return global;
    }
    match pod::annotation(pod, NATIVE_SIDECAR_ANNOTATION) {
        Some("true") => true,
        Some("false") => false,
        _ => global,
    }
}

/// The pod as Go's typed round trip leaves it: zero structs, omitempty, and canonical
/// resource quantities (an unparsable quantity fails, as decoding it does in Go).
fn typed_pod(mut v: Value) -> Result<Value, PipelineError> {
    gotypes::normalize(&mut v, Ty::Pod);
    crate::model::quantity::canonicalize_pod(&mut v)
        .map_err(|e| PipelineError::Other(e.to_string()))?;
    Ok(v)
}

/// A template's rendered YAML, straight into serde_json: the fast reader for the shapes
/// templates render, serde_yaml for anything else (and for the error message). Debug builds
/// check every fast answer against serde_yaml, so the golden suite doubles as a differential
/// test of `yaml::fast`.
fn read_rendered(name: &str, text: &str) -> Result<Value, PipelineError> {
    let Some(fast) = crate::yaml::fast::parse(text) else {
        return serde_yaml::from_str::<Value>(text).map_err(|e| PipelineError::Output {
            name: name.to_string(),
            message: e.to_string(),
        });
    };
    if cfg!(debug_assertions) {
        let disagreement = match serde_yaml::from_str::<Value>(text) {
            Ok(slow) if slow == fast => None,
            Ok(slow) => Some(format!("serde_yaml reads {slow}, the fast reader {fast}")),
            Err(e) => Some(format!(
                "serde_yaml fails ({e}), the fast reader reads {fast}"
            )),
        };
        if let Some(detail) = disagreement {
            return Err(PipelineError::Other(format!(
                "template {name:?}: the fast YAML reader disagrees with serde_yaml on the rendered output (a bug in yaml::fast): {detail}"
            )));
        }
    }
    Ok(fast)
}

/// Runs the whole pipeline on one pod (`{metadata, spec}`), returning the injected pod.
pub fn inject_pod(
    engine: &dyn Engine,
    owner: &Owner,
    pod: Value,
    params: &Params,
) -> Result<Injected, PipelineError> {
    let mut pod = pod;
    gotypes::normalize(&mut pod, Ty::Pod);
    inject_typed_pod(engine, owner, pod, params)
}

/// [`inject_pod`] for a pod whose metadata and spec are already in Go's typed form: the pod
/// template of a workload normalised as a whole, which a second pass would only walk again.
/// Debug builds (the golden suite) check that claim.
pub(crate) fn inject_typed_pod(
    engine: &dyn Engine,
    owner: &Owner,
    pod: Value,
    params: &Params,
) -> Result<Injected, PipelineError> {
    finish(render_typed_pod(engine, owner, pod, params)?, params)
}

/// A pod with its templates rendered, not yet merged: [`finish`] does the rest (reading
/// the output first, unless [`Rendered::read`] already has).
/// Between the two, a batch of pods can have all its templates rendered in a row.
pub(crate) struct Rendered {
    original: Value,
    stripped: Value,
    /// Strip and override re-insertion changed nothing (no previous injection, no recorded
    /// overrides): the stripped pod can be the merge base as it is.
    stripped_is_original: bool,
    patches: Patches,
    native: bool,
    settings: Settings,
    proxy_envs: BTreeMap<String, String>,
    warnings: Vec<String>,
}

/// The templates' output: as rendered, then as read ([`Rendered::read`]).
enum Patches {
    Texts(Vec<(String, String)>),
    Read(Result<Vec<Value>, PipelineError>),
}

impl Rendered {
    /// Reads the rendered templates, if not done yet; an error waits for [`finish`]. Kept
    /// apart from rendering so that a batch's outputs can be read in a row too.
    pub(crate) fn read(&mut self) {
        if let Patches::Texts(texts) = &mut self.patches {
            let texts = std::mem::take(texts);
            self.patches = Patches::Read(read_patches(texts));
        }
    }
}

/// Each template's output, read; each must be a mapping (or empty).
fn read_patches(texts: Vec<(String, String)>) -> Result<Vec<Value>, PipelineError> {
    let mut patches = Vec::with_capacity(texts.len());
    for (name, text) in texts {
        let patch = read_rendered(&name, &text);
        crate::yaml::pool::give_back(text);
        patches.push(match patch? {
            Value::Null => json!({}),
            p @ Value::Object(_) => p,
            _ => {
                return Err(PipelineError::Output {
                    name,
                    message: "the output is not a mapping".into(),
                });
            }
        });
    }
    Ok(patches)
}

/// The first half of [`inject_typed_pod`]: everything up to the templates' output.
pub(crate) fn render_typed_pod(
    engine: &dyn Engine,
    owner: &Owner,
    pod: Value,
    params: &Params,
) -> Result<Rendered, PipelineError> {
    if cfg!(debug_assertions) {
        let mut typed = pod.clone();
        gotypes::normalize(&mut typed, Ty::Pod);
        if ["metadata", "spec"]
            .iter()
            .any(|k| typed.get(k) != pod.get(k))
        {
            return Err(PipelineError::Other(
                "internal error: the pod given as typed was not normalised".into(),
            ));
        }
    }
    let mut original = pod;
    crate::model::quantity::canonicalize_pod(&mut original)
        .map_err(|e| PipelineError::Other(e.to_string()))?;
    let mut warnings = Vec::new();
    if let Some(policy) = original
        .get("spec")
        .and_then(|s| s.get("dnsPolicy"))
        .and_then(Value::as_str)
        .filter(|p| *p != "ClusterFirst")
    {
        warnings.push(format!(
            "dnsPolicy {policy} will be overridden by DNS capture in the sidecar if it is enabled"
        ));
    }

    validate::validate_annotations(pod::annotations(&original), &|k, v| {
        engine.check_annotation(k, v)
    })
    .map_err(PipelineError::Annotations)?;
    let settings = engine.settings(&original)?;

    let proxy_envs = proxy_envs(&original, &settings, params);
    let status_port = settings.status_port.to_string();
    let stripped = status::strip(&original, &status_port).and_then(status::reinsert_overrides)?;
    let stripped_is_original = status::previous(&original).is_none()
        && pod::annotation(&original, OVERRIDES_ANNOTATION).is_none();
    let native = native_sidecars(&original, params.native_sidecars, params.release);

    let input = RenderInput {
        owner,
        pod: &stripped,
        native_sidecars: native,
        revision: &params.revision,
    };
    let names = engine.template_names();
    // Every template renders over the same stripped pod, so all are rendered (and read, see
    // `Rendered::read`) before the merges: the stripped pod, when it equals the original,
    // then becomes the merge base without a copy.
    let mut texts = Vec::new();
    for name in select_templates(&original, params) {
        let text = if names.contains(&name) {
            engine
                .render(&name, &input)
                .map_err(|error| PipelineError::Render {
                    name: name.clone(),
                    error,
                })
        } else {
            Err(PipelineError::UnknownTemplate {
                name: name.clone(),
                have: names.join(", "),
            })
        };
        match text {
            Ok(text) => texts.push((name, text)),
            Err(e) => {
                // Istio reads each output before it turns to the next template: an earlier
                // output that does not read is the error it meets first.
                read_patches(texts)?;
                return Err(e);
            }
        }
    }
    Ok(Rendered {
        original,
        stripped,
        stripped_is_original,
        patches: Patches::Texts(texts),
        native,
        settings,
        proxy_envs,
        warnings,
    })
}

/// The second half of [`inject_typed_pod`]: the merges and the post-processing.
pub(crate) fn finish(rendered: Rendered, params: &Params) -> Result<Injected, PipelineError> {
    let Rendered {
        original,
        stripped,
        stripped_is_original,
        patches,
        native,
        settings,
        proxy_envs,
        warnings,
    } = rendered;
    let patches = match patches {
        Patches::Read(read) => read?,
        Patches::Texts(texts) => read_patches(texts)?,
    };
    // What the templates added, by name only: see `names_only`.
    let mut template_pod = json!({});
    // Istio merges the templates onto the pod as it came (`mergedPod = params.pod` in
    // `RunTemplate`); the stripped pod only feeds the template data. On a re-injection the
    // old proxy's fields the new template does not set (an env entry such as JWT_POLICY, a
    // volume) therefore survive the merge.
    let mut merged = if stripped_is_original {
        stripped
    } else {
        crate::yaml::pool::recycle(stripped);
        original.clone()
    };
    for patch in patches {
        template_pod = merge::merge_pod(std::mem::take(&mut template_pod), names_only(&patch))
            .map_err(|e| PipelineError::Other(format!("failed applying injection overlay: {e}")))?;
        // With native sidecars the template puts istio-proxy in initContainers; a user's
        // istio-proxy customisation in containers moves there first so the two merge.
        if native
            && pod::has(&template_pod, List::InitContainers, PROXY_CONTAINER)
            && pod::has(&merged, List::Containers, PROXY_CONTAINER)
        {
            move_proxy_to_init(&mut merged);
        }
        merged = typed_pod(merge::merge_pod(std::mem::take(&mut merged), patch).map_err(|e| {
            PipelineError::Other(format!(
                "failed parsing generated injected YAML (check Istio sidecar injector configuration): {e}"
            ))
        })?)?;
    }

    let mut merged = reapply_overwritten_containers(merged, &original, &template_pod)?;
    adjust_init_container_user(&mut merged, &original, &settings);
    let previously_injected = pod::annotation(&original, STATUS_ANNOTATION).is_some();
    if previously_injected {
        keep_recorded_probers(&mut merged, &original);
    }
    post_process(
        &mut merged,
        &template_pod,
        &settings,
        &proxy_envs,
        params,
        previously_injected,
    )?;
    // What follows the last typed merge (user ids, recorded probers, post-processing) only
    // adds values already in Go's typed form (strings, names, ports, non-empty lists), so
    // the pod needs no further pass. Debug builds (the golden suite) check that claim.
    if cfg!(debug_assertions) && typed_pod(merged.clone())? != merged {
        return Err(PipelineError::Other(
            "internal error: post-processing left the pod not normalised".into(),
        ));
    }
    crate::yaml::pool::recycle(original);
    crate::yaml::pool::recycle(template_pod);
    Ok(Injected {
        pod: merged,
        warnings,
    })
}

/// The part of a rendered patch that Istio's `templatePod` is used for: the names (and
/// strategic-merge directives) of the containers, init containers, volumes and image pull
/// secrets the templates add, which go into the status record and decide which containers
/// the user overrides. Merging and typing a copy of the whole rendered sidecar for that
/// was a tenth of the injection; names and directives are all that order and membership
/// of merged lists depend on. An item without a name is kept whole, so the merge fails on
/// it with the same message.
fn names_only(patch: &Value) -> Value {
    const LISTS: [&str; 4] = [
        "containers",
        "initContainers",
        "volumes",
        "imagePullSecrets",
    ];
    let directive = |k: &str| k.starts_with('$');
    let item = |i: &Value| match i {
        Value::Object(m) if m.contains_key("name") => Value::Object(
            m.iter()
                .filter(|(k, _)| *k == "name" || directive(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    let spec = |spec: &Value| match spec {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| directive(k) || LISTS.contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = match v {
                        Value::Array(items) if !directive(k) => {
                            Value::Array(items.iter().map(item).collect())
                        }
                        other => other.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    };
    match patch {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| *k == "spec" || directive(k))
                .map(|(k, v)| {
                    let v = if k == "spec" { spec(v) } else { v.clone() };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Cluster and network for `ISTIO_META_CLUSTER_ID` / `ISTIO_META_NETWORK`: the values, then
/// the webhook path, then (network only) the pod's `topology.istio.io/network` label.
fn proxy_envs(pod: &Value, settings: &Settings, params: &Params) -> BTreeMap<String, String> {
    let mut cluster = settings.cluster.clone();
    let mut network = settings.network.clone();
    if let Some(c) = params
        .proxy_envs
        .get("ISTIO_META_CLUSTER_ID")
        .filter(|c| !c.is_empty())
    {
        cluster = c.clone();
    }
    if let Some(n) = params
        .proxy_envs
        .get("ISTIO_META_NETWORK")
        .filter(|n| !n.is_empty())
    {
        network = n.clone();
    }
    if let Some(n) = pod::label(pod, NETWORK_LABEL) {
        network = n.to_string();
    }
    let mut envs = params.proxy_envs.clone();
    if !cluster.is_empty() {
        envs.insert("ISTIO_META_CLUSTER_ID".into(), cluster);
    }
    if !network.is_empty() {
        envs.insert("ISTIO_META_NETWORK".into(), network);
    }
    envs
}

fn move_proxy_to_init(pod: &mut Value) {
    let containers = pod::containers_mut(pod, List::Containers);
    let Some(i) = containers
        .iter()
        .position(|c| pod::name_of(c) == PROXY_CONTAINER)
    else {
        return;
    };
    let c = containers.remove(i);
    pod::containers_mut(pod, List::InitContainers).push(c);
}

/// Istio's `reapplyOverwrittenContainers`: a container the templates produced that the user
/// also declared (or recorded in `proxy.istio.io/overrides`), and that is not a leftover of a
/// previous injection, is merged back on top so the user's fields win.
fn reapply_overwritten_containers(
    mut merged: Value,
    original: &Value,
    template_pod: &Value,
) -> Result<Value, PipelineError> {
    let existing = Overrides::of(original)?;
    let previous = status::previous(original);
    let already_injected = pod::annotation(original, STATUS_ANNOTATION).is_some();
    let mut applied = Overrides::default();
    for list in [List::Containers, List::InitContainers] {
        let (prev_names, recorded) = match list {
            List::Containers => (
                previous.as_ref().map(|p| &p.containers),
                &existing.containers,
            ),
            List::InitContainers => (
                previous.as_ref().map(|p| &p.init_containers),
                &existing.init_containers,
            ),
        };
        for c in pod::containers(template_pod, list) {
            let name = pod::name_of(c);
            if prev_names.is_some_and(|p| p.iter().any(|n| n == name)) {
                continue;
            }
            let found = recorded
                .iter()
                .find(|r| pod::name_of(r) == name)
                .or_else(|| pod::find(original, List::Containers, name))
                .or_else(|| pod::find(original, List::InitContainers, name));
            let Some(found) = found else {
                continue;
            };
            let mut overlay = found.clone();
            if overlay.get("image").and_then(Value::as_str) == Some("auto") {
                pod::as_object(&mut overlay).remove("image");
            }
            gotypes::normalize(&mut overlay, Ty::Container);
            let patch = json!({"spec": {list.key(): [overlay.clone()]}});
            merged = typed_pod(
                merge::merge_pod(std::mem::take(&mut merged), patch).map_err(|e| {
                    PipelineError::Other(format!("failed to apply sidecar container: {e}"))
                })?,
            )?;
            match list {
                List::Containers => applied.containers.push(overlay),
                List::InitContainers => applied.init_containers.push(overlay),
            }
        }
    }
    if !already_injected && (!applied.containers.is_empty() || !applied.init_containers.is_empty())
    {
        pod::set_annotation(&mut merged, OVERRIDES_ANNOTATION, overrides_json(&applied));
    }
    Ok(merged)
}

/// The overrides record as Go marshals it: containers in `corev1.Container` field order.
fn overrides_json(o: &Overrides) -> String {
    let list = |items: &[Value]| {
        let parts: Vec<String> = items
            .iter()
            .map(|c| gotypes::to_go_json(c, Ty::Container))
            .collect();
        format!("[{}]", parts.join(","))
    };
    let mut fields = Vec::new();
    if !o.containers.is_empty() {
        fields.push(format!("\"containers\":{}", list(&o.containers)));
    }
    if !o.init_containers.is_empty() {
        fields.push(format!("\"initContainers\":{}", list(&o.init_containers)));
    }
    format!("{{{}}}", fields.join(","))
}

/// Istio's `adjustInitContainerUser`: a user who sets the proxy's uid/gid gets iptables rules
/// for that uid (`-u`), the validation container under the same ids, and — in TPROXY mode,
/// where the proxy needs root — a proxy running as uid 0.
fn adjust_init_container_user(pod: &mut Value, original: &Value, settings: &Settings) {
    let Some(user_sc) = pod::sidecar(original).and_then(|c| c.get("securityContext")) else {
        return;
    };
    let uid = user_sc.get("runAsUser").and_then(Value::as_i64);
    let gid = user_sc.get("runAsGroup").and_then(Value::as_i64);
    if uid.is_none() && gid.is_none() {
        return;
    }
    let tproxy = settings.tproxy
        || pod::annotation(original, INTERCEPTION_MODE_ANNOTATION) == Some("TPROXY");
    if tproxy && let Some(sidecar) = pod::sidecar_mut(pod) {
        pod::as_object(pod::object_field(sidecar, "securityContext"))
            .insert("runAsUser".into(), json!(0));
    }
    for c in pod::containers_mut(pod, List::InitContainers) {
        let name = pod::name_of(c).to_string();
        if name != INIT_CONTAINER && name != VALIDATION_CONTAINER {
            continue;
        }
        if name == VALIDATION_CONTAINER && !tproxy {
            let sc = pod::as_object(pod::object_field(c, "securityContext"));
            if let Some(u) = uid {
                sc.insert("runAsUser".into(), json!(u));
            }
            if let Some(g) = gid {
                sc.insert("runAsGroup".into(), json!(g));
            }
        }
        if let Some(u) = uid.filter(|u| *u != 0)
            && let Some(args) = c.get_mut("args").and_then(Value::as_array_mut)
            && let Some(i) = args.iter().position(|a| a == "-u")
            && let Some(v) = args.get_mut(i + 1)
        {
            *v = json!(u.to_string());
        }
    }
}

/// Beyond Istio: on re-injection the app's probes already point at the agent, so they
/// cannot be dumped again; the previous proxy's `ISTIO_KUBE_APP_PROBERS` is carried over
/// (and merged with any new probers later) so that injecting twice changes nothing.
fn keep_recorded_probers(pod: &mut Value, original: &Value) {
    let old = pod::sidecar(original)
        .and_then(|c| c.get("env"))
        .and_then(Value::as_array)
        .and_then(|env| env.iter().find(|e| e["name"] == probe::ENV).cloned());
    let Some(old) = old else {
        return;
    };
    if let Some(sidecar) = pod::sidecar_mut(pod) {
        let env = pod::env_mut(sidecar);
        if !env.iter().any(|e| e["name"] == probe::ENV) {
            env.push(old);
        }
    }
}

/// Istio's `postProcessPod`.
fn post_process(
    pod: &mut Value,
    template_pod: &Value,
    settings: &Settings,
    proxy_envs: &BTreeMap<String, String>,
    params: &Params,
    previously_injected: bool,
) -> Result<(), PipelineError> {
    // overwriteClusterInfo: cluster/network envs move to the end, sorted by name.
    if !proxy_envs.is_empty()
        && let Some(sidecar) = pod::sidecar_mut(pod)
    {
        let env = pod::env_mut(sidecar);
        env.retain(|e| {
            !e.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| proxy_envs.contains_key(n))
        });
        env.extend(proxy_envs.iter().map(|(k, v)| pod::env_var(k, v)));
    }
    prometheus::apply_merge(pod, settings.prometheus_merge, settings.status_port)?;
    apply_secure_prometheus_annotation(pod);
    probe::apply_rewrite(
        pod,
        settings.rewrite_probes,
        settings.rewrite_tcp_probes,
        settings.status_port,
        previously_injected,
    );
    // applyMetadata
    if let Some(net) = proxy_envs.get("ISTIO_META_NETWORK") {
        pod::meta_map_mut(pod, "labels").insert(NETWORK_LABEL.into(), json!(net));
    }
    let status = InjectionStatus::from_template_pod(template_pod, &params.revision);
    pod::set_annotation(pod, STATUS_ANNOTATION, status.to_annotation());
    for (k, v) in &params.injected_annotations {
        pod::set_annotation(pod, k, v.clone());
    }
    reorder(pod, settings.hold_application);
    Ok(())
}

/// Istio's `applySecurePrometheusAnnotation`: advertise the proxy's secure merged-metrics port.
fn apply_secure_prometheus_annotation(pod: &mut Value) {
    const KEY: &str = "prometheus.istio.io/secure-port";
    let port = pod::sidecar(pod)
        .and_then(|c| c.get("env"))
        .and_then(Value::as_array)
        .and_then(|env| {
            env.iter()
                .find(|e| e["name"] == "ENVOY_SECURE_MERGED_METRICS_PORT")
                .and_then(|e| e.get("value"))
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty() && *v != "0")
                .map(str::to_string)
        });
    if let Some(port) = port
        && pod::annotation(pod, KEY).is_none()
    {
        pod::set_annotation(pod, KEY, port);
    }
}

/// Istio's `reorderPod`: the proxy last among containers (first when the app must wait for
/// it); with a native sidecar `istio-init, istio-validation, istio-proxy, enable-core-dump`
/// lead the init containers, otherwise validation leads and iptables setup comes last.
pub fn reorder(pod: &mut Value, hold_application: bool) {
    let proxy_at = if hold_application {
        Move::First
    } else {
        Move::Last
    };
    if !pod::containers(pod, List::Containers).is_empty() {
        pod::modify(
            pod::containers_mut(pod, List::Containers),
            PROXY_CONTAINER,
            proxy_at,
        );
    }
    if pod::containers(pod, List::InitContainers).is_empty() {
        return;
    }
    let native = pod::has(pod, List::InitContainers, PROXY_CONTAINER);
    let init = pod::containers_mut(pod, List::InitContainers);
    if native {
        for name in [
            CORE_DUMP_CONTAINER,
            PROXY_CONTAINER,
            VALIDATION_CONTAINER,
            INIT_CONTAINER,
        ] {
            pod::modify(init, name, Move::First);
        }
    } else {
        pod::modify(init, INIT_CONTAINER, Move::Last);
        pod::modify(init, VALIDATION_CONTAINER, Move::First);
        pod::modify(init, CORE_DUMP_CONTAINER, Move::Last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pod: &Value, list: List) -> Vec<&str> {
        pod::containers(pod, list)
            .iter()
            .map(pod::name_of)
            .collect()
    }

    /// Templates by name: `Ok` renders the text, `Err` fails rendering.
    struct Templates(Vec<(&'static str, Result<&'static str, &'static str>)>);
    impl Engine for Templates {
        fn settings(&self, _: &Value) -> Result<Settings, MeshError> {
            Ok(Settings::default())
        }
        fn template_names(&self) -> Vec<String> {
            self.0.iter().map(|(n, _)| n.to_string()).collect()
        }
        fn render(&self, name: &str, _: &RenderInput<'_>) -> Result<String, RenderError> {
            match self.0.iter().find(|(n, _)| *n == name) {
                Some((_, Ok(text))) => Ok(text.to_string()),
                Some((_, Err(e))) => Err(RenderError::from(MeshError::Yaml {
                    source_name: name.to_string(),
                    message: e.to_string(),
                })),
                None => Err(RenderError::NoTemplate(name.to_string())),
            }
        }
        fn check_annotation(&self, _: &str, _: &str) -> Option<Result<(), validate::Reason>> {
            None
        }
    }

    #[test]
    fn the_first_failing_template_in_order_is_the_error() {
        let engine = Templates(vec![
            ("list", Ok("- not a mapping\n")),
            ("fails", Err("boom")),
            ("fine", Ok("metadata: {}\n")),
        ]);
        let pod = |templates: &str| json!({"metadata": {"annotations": {"inject.istio.io/templates": templates}}, "spec": {"containers": [{"name": "app"}]}});
        let error = |templates: &str| match inject_pod(
            &engine,
            &Owner::default(),
            pod(templates),
            &Params::default(),
        ) {
            Ok(_) => "injected".to_string(),
            Err(e) => e.to_string(),
        };
        let not_a_map = error("list");
        assert!(not_a_map.contains("not a mapping"), "{not_a_map}");
        // An output that does not read comes before a later template's failure...
        assert_eq!(error("fine,list,fails"), not_a_map);
        assert_eq!(error("list,nope"), not_a_map);
        // ... and after an earlier one's.
        let failed = error("fails");
        assert!(failed.contains("boom"), "{failed}");
        assert_eq!(error("fine,fails,list"), failed);
        assert!(
            error("nope,list").contains("\"nope\" not found"),
            "{}",
            error("nope,list")
        );
        assert_eq!(error("fine"), "injected");
    }

    /// Istio merges the templates onto the pod as it came, not onto the stripped pod: on a
    /// re-injection an env entry only the old proxy has survives (first, where it was),
    /// while the template's values win for the entries both have.
    #[test]
    fn reinjection_merges_onto_the_pod_as_it_came() {
        let engine = Templates(vec![(
            "sidecar",
            Ok(
                "spec:\n  containers:\n  - name: istio-proxy\n    env:\n    - name: SHARED\n      value: new\n    - name: ADDED\n      value: \"1\"\n",
            ),
        )]);
        let proxy_env = |pod: &Value| -> Vec<(String, String)> {
            pod::sidecar(pod)
                .and_then(|c| c["env"].as_array())
                .into_iter()
                .flatten()
                .map(|e| {
                    (
                        e["name"].as_str().unwrap_or("").to_string(),
                        e["value"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        };
        let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
        let injected = json!({
            "metadata": {"annotations": {STATUS_ANNOTATION: r#"{"containers":["istio-proxy"],"revision":"default"}"#}},
            "spec": {"containers": [
                {"name": "app"},
                {"name": "istio-proxy", "env": [
                    {"name": "STALE", "value": "old"},
                    {"name": "SHARED", "value": "old"},
                ]},
            ]}
        });
        let again = inject_pod(&engine, &Owner::default(), injected, &Params::default()).unwrap();
        assert_eq!(
            proxy_env(&again.pod),
            [
                pair("STALE", "old"),
                pair("SHARED", "new"),
                pair("ADDED", "1")
            ]
        );
        let fresh = json!({"spec": {"containers": [{"name": "app"}]}});
        let first = inject_pod(&engine, &Owner::default(), fresh, &Params::default()).unwrap();
        assert_eq!(
            proxy_env(&first.pod),
            [pair("SHARED", "new"), pair("ADDED", "1")]
        );
    }

    #[test]
    fn template_selection_table() {
        let aliases: BTreeMap<String, Vec<String>> =
            [("both".to_string(), vec!["a".to_string(), "b".to_string()])].into();
        let params = Params {
            aliases,
            ..Params::default()
        };
        for (annotation, want) in [
            (None, vec!["sidecar"]),
            (Some("gateway"), vec!["gateway"]),
            (Some(" sidecar , spire"), vec!["sidecar", "spire"]),
            (Some("sidecar,sidecar"), vec!["sidecar", "sidecar"]),
            (Some("both,c"), vec!["a", "b", "c"]),
        ] {
            let pod = match annotation {
                Some(a) => json!({"metadata": {"annotations": {"inject.istio.io/templates": a}}}),
                None => json!({}),
            };
            assert_eq!(select_templates(&pod, &params), want, "{annotation:?}");
        }
    }

    #[test]
    fn reorder_table() {
        let c = |n: &[&str]| n.iter().map(|n| json!({"name": n})).collect::<Vec<_>>();
        for (hold, containers, init, want_c, want_i) in [
            (
                false,
                vec!["istio-proxy", "app"],
                vec!["mine", "istio-init"],
                vec!["app", "istio-proxy"],
                vec!["mine", "istio-init"],
            ),
            (
                true,
                vec!["app", "istio-proxy"],
                vec![],
                vec!["istio-proxy", "app"],
                vec![],
            ),
            (
                false,
                vec!["app"],
                vec!["mine", "istio-proxy", "enable-core-dump", "istio-init"],
                vec!["app"],
                vec!["istio-init", "istio-proxy", "enable-core-dump", "mine"],
            ),
            (
                false,
                vec!["app", "istio-proxy"],
                vec!["istio-init", "mine", "istio-validation", "enable-core-dump"],
                vec!["app", "istio-proxy"],
                vec!["istio-validation", "mine", "istio-init", "enable-core-dump"],
            ),
        ] {
            let mut pod =
                json!({"spec": {"containers": c(&containers), "initContainers": c(&init)}});
            reorder(&mut pod, hold);
            assert_eq!(names(&pod, List::Containers), want_c);
            assert_eq!(names(&pod, List::InitContainers), want_i);
        }
    }

    #[test]
    fn native_annotation_overrides_global() {
        let on = json!({"metadata": {"annotations": {NATIVE_SIDECAR_ANNOTATION: "true"}}});
        let off = json!({"metadata": {"annotations": {NATIVE_SIDECAR_ANNOTATION: "false"}}});
        let newest = Release::newest();
        assert!(native_sidecars(&on, false, newest));
        assert!(!native_sidecars(&off, true, newest));
        assert!(native_sidecars(&json!({}), true, newest));
        // Before the annotation existed only the global setting counts.
        let old = Release::of("1.22.8".parse().unwrap());
        assert!(!native_sidecars(&on, false, old));
        assert!(native_sidecars(&off, true, old));
    }

    #[test]
    fn user_uid_reaches_iptables_and_validation() {
        let original = json!({"spec": {"containers": [{"name": "istio-proxy", "securityContext": {"runAsUser": 1234, "runAsGroup": 4321}}]}});
        let injected = json!({"spec": {
            "initContainers": [
                {"name": "istio-validation", "args": ["-u", "1337"], "securityContext": {"runAsUser": 1337}},
                {"name": "istio-proxy", "securityContext": {"runAsUser": 1234}}]}});
        let mut p = injected.clone();
        adjust_init_container_user(&mut p, &original, &Settings::default());
        assert_eq!(
            p["spec"]["initContainers"][0]["args"],
            json!(["-u", "1234"])
        );
        assert_eq!(
            p["spec"]["initContainers"][0]["securityContext"],
            json!({"runAsUser": 1234, "runAsGroup": 4321})
        );
        let mut p = injected;
        let tproxy = Settings {
            tproxy: true,
            ..Settings::default()
        };
        adjust_init_container_user(&mut p, &original, &tproxy);
        assert_eq!(
            p["spec"]["initContainers"][1]["securityContext"]["runAsUser"],
            0
        );
        assert_eq!(
            p["spec"]["initContainers"][0]["securityContext"]["runAsUser"],
            1337
        );
    }

    #[test]
    fn cluster_envs_follow_precedence() {
        let settings = Settings {
            cluster: "c1".into(),
            network: "n1".into(),
            ..Settings::default()
        };
        let pod = json!({"metadata": {"labels": {"topology.istio.io/network": "n2"}}});
        let envs = proxy_envs(&pod, &settings, &Params::default());
        assert_eq!(envs["ISTIO_META_CLUSTER_ID"], "c1");
        assert_eq!(envs["ISTIO_META_NETWORK"], "n2");
        assert!(proxy_envs(&json!({}), &Settings::default(), &Params::default()).is_empty());
    }

    /// Merging names only gives the lists the status record and the override check read
    /// in the same order and membership as merging the whole patches.
    #[test]
    fn names_only_merges_like_whole_patches() {
        let first = json!({
            "metadata": {"annotations": {"a": "b"}},
            "spec": {
                "initContainers": [{"name": "istio-init", "image": "x", "args": ["-p"]}],
                "containers": [
                    {"name": "istio-proxy", "image": "p", "env": [{"name": "A", "value": "1"}]},
                ],
                "volumes": [{"name": "v1", "emptyDir": {}}, {"name": "v2", "secret": {}}],
                "securityContext": {"runAsUser": 1},
            }
        });
        let second = json!({
            "spec": {
                "containers": [
                    {"name": "extra", "image": "e"},
                    {"name": "istio-proxy", "image": "q"},
                ],
                "volumes": [{"name": "v1", "$patch": "delete"}, {"name": "v3"}],
                "$setElementOrder/volumes": [{"name": "v3"}, {"name": "v2"}],
                "imagePullSecrets": [{"name": "s"}],
            }
        });
        let mut whole = json!({});
        let mut names = json!({});
        for patch in [&first, &second] {
            whole = merge::merge_pod(whole, patch.clone()).unwrap();
            names = merge::merge_pod(names, names_only(patch)).unwrap();
        }
        for list in [
            "initContainers",
            "containers",
            "volumes",
            "imagePullSecrets",
        ] {
            let of = |v: &Value| -> Vec<String> {
                v["spec"][list]
                    .as_array()
                    .map(|a| a.iter().map(|c| pod::name_of(c).to_string()).collect())
                    .unwrap_or_default()
            };
            assert_eq!(of(&names), of(&whole), "{list}");
        }
        assert_eq!(
            names["spec"]["containers"].as_array().map(Vec::len),
            Some(2),
            "{names}"
        );
    }
}
