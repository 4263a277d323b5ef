//! Gathering for every command: the objects to decide on, and the facts to decide with —
//! from the `-f` input, the flags, a bundle and the cluster, first source wins (the table in
//! the `facts` module header). Each fact keeps its source, so `explain` can say what was read
//! and what was assumed.
//!
//! For `-f` input the cluster is optional: when a kubeconfig is configured and `--offline`
//! is not given, its namespaces, injector webhook configurations and per-revision ConfigMaps
//! complete the input; an unreachable or unreadable cluster is said once on stderr and the
//! run goes on with what it has. A bundle (`--bundle`, or one inside the input; see
//! `capture`) stands in for the cluster, which is then not read.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use serde_json::Value;

use super::docstream::{DocReader, ReadError};
use crate::cli::{InputArgs, KubeArgs, PolicyArgs};
use crate::cluster::{Cluster, ClusterError, Kind, Scope};
use crate::config::InjectorConfig;
use crate::config::release;
use crate::facts::{Fact, Facts, InjectorFacts, Source};
use crate::manifest::{
    DocRef, Document, ResourceType, Target, UNSUPPORTED_KIND_HINT, WorkloadKind, parse_documents,
    parse_targets,
};
use crate::model::{WebhookConfiguration, parse_label_list};
use crate::policy::{Compat, Engine, Evaluated, Options, Skipped, Subject};
use crate::report::Hint;

/// What a command decides on, and with.
pub(super) struct Gathered {
    pub facts: Facts,
    pub subjects: Subjects,
    pub skipped: Vec<Skipped>,
    /// Said once on stderr: what could not be read and what was assumed instead.
    pub warnings: Vec<String>,
    /// The input's documents, each at the line its content starts on (for SARIF: only when
    /// asked for, one per document).
    pub documents: Vec<DocRef>,
}

/// The input's subjects, in order, waiting (in memory, past a threshold in a temporary
/// file) until the facts they are decided on are complete: a subject may come before the
/// Namespace or configuration it depends on, and 100,000 pods must not be held at once.
pub(super) struct Subjects {
    records: crate::report::Records<Subject>,
    /// The namespace of objects that name none, put in place as each is read back.
    default_ns: String,
    /// Each namespace of a subject, with the first subject in it (its number and place).
    namespaces: BTreeMap<String, (usize, String)>,
}

impl Subjects {
    fn new(threshold: usize) -> Subjects {
        Subjects {
            records: crate::report::Records::new(threshold),
            default_ns: DEFAULT_NS.to_string(),
            namespaces: BTreeMap::new(),
        }
    }

    fn push(&mut self, subject: &Subject) -> Result<()> {
        if !self.namespaces.contains_key(&subject.namespace) {
            self.namespaces.insert(
                subject.namespace.clone(),
                (self.records.len(), subject.at.clone()),
            );
        }
        self.records.push(subject)
    }

    /// Puts the default namespace in place of the placeholder, in every subject read back.
    fn set_default_namespace(&mut self, ns: &str) {
        self.default_ns = ns.to_string();
        if let Some(first) = self.namespaces.remove(DEFAULT_NS) {
            let at = first.1.replace(DEFAULT_NS, ns);
            match self.namespaces.get_mut(ns) {
                Some(have) if have.0 < first.0 => {}
                Some(have) => *have = (first.0, at),
                None => {
                    self.namespaces.insert(ns.to_string(), (first.0, at));
                }
            }
        }
    }

    /// The namespaces the subjects are in.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.namespaces.keys().map(String::as_str)
    }

    /// Every subject, in input order.
    pub fn iter(&mut self) -> Result<impl Iterator<Item = Result<Subject>> + '_> {
        let ns = self.default_ns.as_str();
        Ok(self.records.iter()?.map(move |s| {
            s.map(|mut s| {
                if s.namespace == DEFAULT_NS {
                    s.namespace = ns.to_string();
                }
                if s.at.contains(DEFAULT_NS) {
                    s.at = s.at.replace(DEFAULT_NS, ns);
                }
                s
            })
        }))
    }
}

/// The engine for the gathered facts and the options the flags give, with the webhook
/// configurations it consults and the revision `-r` names (checked against the cluster's
/// when the facts describe one).
pub(super) struct Decider {
    pub engine: Engine,
    pub webhooks: Fact<Vec<WebhookConfiguration>>,
    /// The revision answers are narrowed to: `-r` when the webhook configurations are known
    /// (without them, `-r` only says whose default selectors to assume).
    pub narrow: Option<String>,
}

/// True when a kubeconfig (or in-cluster credentials) could point at a cluster: the cluster
/// is then read to complete `-f` input. With none at all this is skipped silently (the
/// laptop case).
pub(super) fn kubeconfig_configured(kube: &KubeArgs) -> bool {
    kube.kubeconfig.is_some()
        || kube.context.is_some()
        || std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty())
        || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        || std::env::var_os("HOME")
            .is_some_and(|h| std::path::Path::new(&h).join(".kube/config").is_file())
}

/// The source of facts read from `cluster`.
pub(super) fn cluster_source(cluster: &Cluster) -> Source {
    Source::Cluster {
        context: cluster.context().to_string(),
    }
}

/// `-f` input: the objects, the input's context, the flags, then (unless `--offline`) the
/// cluster's facts.
///
/// The input is read and parsed one document at a time, each gathered (into a subject, a
/// fact, or a skipped object) and dropped: memory holds the subjects, not every parsed
/// document. Errors keep the order of reading everything first: an input that cannot be
/// read, then a bad separator or YAML (the first input with one), then a document Kubernetes
/// would refuse, then `--bundle`, then what gathering found wrong.
pub(super) fn from_files(
    input: &InputArgs,
    policy: &PolicyArgs,
    kube: &KubeArgs,
    istio_namespace: &str,
    keep_documents: bool,
) -> Result<Gathered> {
    let sources = super::input::walk_streaming(input)?;
    let mut unparsed: Option<anyhow::Error> = None;
    let mut invalid: Option<anyhow::Error> = None;
    let mut ungathered: Option<anyhow::Error> = None;
    let mut in_input = Vec::new();
    let mut documents = Vec::new();
    let mut facts = Facts::new();
    let mut webhooks = Vec::new();
    let mut subjects = Subjects::new(super::spill_threshold()?);
    let mut skipped = Vec::new();
    for src in &sources {
        let mut reader = DocReader::open(src)?;
        // This input's first bad document; a bad separator anywhere in it comes first (the
        // whole input is split before any document is parsed).
        let mut bad: Option<anyhow::Error> = None;
        while let Some(next) = reader.next() {
            let raw = match next {
                Ok(raw) => raw,
                Err(ReadError::Read(e)) => return Err(e),
                Err(ReadError::Split(error)) => {
                    reader.drain()?;
                    bad = Some(
                        crate::manifest::ManifestError::Split {
                            source_name: src.name.clone(),
                            error,
                        }
                        .into(),
                    );
                    break;
                }
            };
            if bad.is_some() || unparsed.is_some() {
                continue; // read on, for an input that cannot be read
            }
            let mut doc = match crate::manifest::parse_document(&src.name, raw.index, raw.raw) {
                Ok(d) => d,
                Err(e) => {
                    bad = Some(e.into());
                    continue;
                }
            };
            doc.at.line = raw.line;
            // Typed as Kubernetes decodes them, as inject does: one answer for one file.
            if let Err(e) = crate::inject::validate::document(&doc) {
                invalid.get_or_insert(e.into());
            }
            if invalid.is_some() {
                continue;
            }
            // Bundles: `--bundle`, then any inside the input. They stand in for the cluster.
            if super::capture::is_bundle(&doc.value) {
                in_input.push(super::capture::Bundle {
                    file: doc.at.to_string(),
                    value: doc.value,
                });
                continue;
            }
            if keep_documents {
                documents.push(content_start(&doc));
            }
            if ungathered.is_some() {
                continue;
            }
            // The default namespace is known only once the bundles and the cluster are: a
            // placeholder stands for it until then (see `DEFAULT_NS`).
            let source = Source::Input {
                at: doc.at.to_string(),
            };
            match crate::policy::gather(
                std::slice::from_ref(&doc),
                DEFAULT_NS,
                &mut facts,
                &mut webhooks,
                &|_| source.clone(),
            ) {
                Ok(one) => {
                    for subject in &one.subjects {
                        subjects.push(subject)?;
                    }
                    skipped.extend(one.skipped);
                }
                Err(e) => ungathered = Some(e.into()),
            }
        }
        if let Some(e) = bad {
            unparsed.get_or_insert(e);
        }
    }
    if let Some(e) = unparsed.or(invalid) {
        return Err(e);
    }
    let mut bundles = Vec::new();
    if let Some(path) = &policy.bundle {
        bundles.push(super::capture::read_bundle(path)?);
    }
    bundles.extend(in_input);
    let mut warnings = Vec::new();
    // Connect first: objects without a namespace are in the context's, as for kubectl.
    let cluster = if policy.offline || !bundles.is_empty() || !kubeconfig_configured(kube) {
        None
    } else {
        // A complement to the input, not the command's purpose: bound it tightly.
        let mut probe = kube.clone();
        probe.request_timeout = probe.request_timeout.min(std::time::Duration::from_secs(5));
        match Cluster::connect(&probe) {
            Ok(mut c) => {
                super::gather_live::observe(&mut c, kube);
                Some(c)
            }
            Err(e) => {
                warnings.push(format!(
                    "cannot read the cluster ({e}); deciding on the input, flags and defaults only (--offline skips the cluster)"
                ));
                None
            }
        }
    };
    let default_ns = kube
        .namespace
        .clone()
        .or_else(|| cluster.as_ref().map(|c| c.default_namespace().to_string()))
        .or_else(|| {
            bundles
                .first()
                .and_then(|b| b.default_namespace().map(str::to_string))
        })
        .unwrap_or_else(|| "default".into());

    if let Some(e) = ungathered {
        return Err(e);
    }
    subjects.set_default_namespace(&default_ns);
    for skipped in &mut skipped {
        skipped.at = skipped.at.replace(DEFAULT_NS, &default_ns);
    }
    flag_facts(policy, &mut facts, &mut webhooks)?;
    let source = if policy.webhooks.is_empty() {
        Source::Input {
            at: "the input".into(),
        }
    } else {
        Source::flag("--webhook")
    };
    facts.add_webhooks(webhooks, source);
    for b in &bundles {
        b.take(&mut facts)?;
    }
    if let Some(b) = bundles.first().filter(|b| b.all_namespaces()) {
        warnings.extend(missing_namespaces(&facts, policy, &subjects, b));
    }

    if let Some(cluster) = &cluster {
        let needed: BTreeSet<String> = subjects.namespaces().map(str::to_string).collect();
        match cluster_facts(cluster, &mut facts, istio_namespace, Some(&needed)) {
            Ok(w) => warnings.extend(w),
            Err(e) => warnings.push(format!(
                "cannot read the cluster ({e:#}); deciding on the input, flags and defaults only (--offline skips the cluster)"
            )),
        }
    }
    Ok(Gathered {
        facts,
        subjects,
        skipped,
        warnings,
        documents,
    })
}

/// The namespace of objects that name none, while it is not known yet: a string no input
/// holds (YAML cannot write a NUL character raw, and no namespace name has one), replaced
/// in each subject once the default namespace is known.
const DEFAULT_NS: &str = "\u{0}default namespace\u{0}";

/// A document's place, at the first line that is neither blank nor a comment.
fn content_start(doc: &Document) -> DocRef {
    let mut at = doc.at.clone();
    if at.line > 0 {
        at.line += doc
            .raw
            .lines()
            .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            .count();
    }
    at
}

/// A bundle that holds every namespace of its cluster: the namespaces of the subjects it
/// lacks did not exist when it was captured (what the cluster would say, live).
fn missing_namespaces(
    facts: &Facts,
    policy: &PolicyArgs,
    subjects: &Subjects,
    bundle: &super::capture::Bundle,
) -> Vec<String> {
    if policy.namespace_labels.is_some() {
        return Vec::new();
    }
    let known: BTreeSet<&str> = facts.known_namespaces().map(|(n, _)| n).collect();
    let wanted: BTreeSet<&str> = subjects.namespaces().collect();
    wanted
        .difference(&known)
        .map(|ns| {
            format!(
                "namespace {ns:?} is not in bundle {} (it did not exist when captured); deciding as if it had no labels",
                bundle.file
            )
        })
        .collect()
}

/// kubectl's rule for `-f` with `-n` (when no resource argument narrows the input: then
/// `-n` is the namespace of the named objects), over every subject of `g`.
pub(super) fn namespace_matches(g: &Gathered, kube: &KubeArgs) -> Result<()> {
    if let Some(flag) = &kube.namespace {
        // The first object, in input order, in another namespace.
        let first = g
            .subjects
            .namespaces
            .iter()
            .filter(|(ns, _)| *ns != flag)
            .min_by_key(|(_, (n, _))| *n);
        if let Some((ns, (_, at))) = first {
            check_namespace(ns, flag, at)?;
        }
    }
    Ok(())
}

/// kubectl's rule for `-f` with `-n`: an object that names another namespace is an error,
/// not listed beside the others (objects without a namespace are in `-n`'s).
pub(super) fn check_namespace(object: &str, flag: &str, at: &str) -> Result<()> {
    if object == flag {
        return Ok(());
    }
    let err = anyhow::anyhow!(
        "the namespace from the provided object {object:?} does not match the namespace {flag:?}. You must pass '--namespace={object}' to perform this operation."
    );
    Err(if at.is_empty() {
        err
    } else {
        err.hint(format!(
            "{at} sets metadata.namespace; drop -n to take every object in its own namespace"
        ))
    })
}

/// The facts the flags give: `--namespace-labels`, `--config`, `--webhook`,
/// `--native-sidecars`.
pub(super) fn flag_facts(
    policy: &PolicyArgs,
    facts: &mut Facts,
    webhooks: &mut Vec<WebhookConfiguration>,
) -> Result<()> {
    if let Some(text) = &policy.namespace_labels {
        let labels = parse_label_list(text).context("--namespace-labels")?;
        facts.set_other_namespaces(labels, Source::flag("--namespace-labels"));
    }
    if let Some(path) = &policy.config {
        let injector = load_config(path)?;
        facts.set_config_override(injector, Source::flag("--config"));
    }
    for path in &policy.webhooks {
        webhooks.extend(load_webhooks(path)?);
    }
    if let Some(native) = policy.native_sidecars {
        facts.set_native_sidecars(native, Source::flag("--native-sidecars"));
    }
    Ok(())
}

/// Reads the cluster's injection set-up into `facts`: the injector webhook configurations
/// (and so its revisions and tags), the injector and mesh ConfigMaps of every revision (in
/// `--istio-namespace` and wherever a webhook's service lives), and the namespaces (all of
/// them with one LIST, or those named with one GET each; none for an empty set). A read that is forbidden becomes a warning saying what is assumed
/// instead; any other failure is an error.
pub(super) fn cluster_facts(
    cluster: &Cluster,
    facts: &mut Facts,
    istio_namespace: &str,
    namespaces: Option<&BTreeSet<String>>,
) -> Result<Vec<String>> {
    let source = cluster_source(cluster);
    let mut warnings = Vec::new();
    let soft =
        |r: Result<Vec<Value>, ClusterError>, instead: &str, warnings: &mut Vec<String>| match r {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_forbidden() || e.is_not_served() => {
                warnings.push(format!("{e}; {instead}"));
                Ok(None)
            }
            Err(e) => Err(e),
        };

    let mwcs = soft(
        cluster.list(Kind::MutatingWebhookConfiguration, Scope::All, None),
        "assuming the webhook selectors Istio installs",
        &mut warnings,
    )?;
    let mut webhooks = Vec::new();
    let mut config_namespaces = BTreeSet::from([istio_namespace.to_string()]);
    if let Some(list) = &mwcs {
        for mwc in list {
            let at = format!("mutatingwebhookconfiguration {}", name_of(mwc));
            facts.take_context(&at, mwc, &source, &mut webhooks)?;
        }
        for w in &webhooks {
            config_namespaces.extend(service_namespaces(list, &w.name));
        }
    }
    facts.add_webhooks(webhooks, source.clone());
    if mwcs.is_some() {
        // The cluster's list of webhook configurations is complete: it says which
        // revisions exist, even when that is none (each decision then says no webhook is
        // configured).
        facts.set_authority(source.clone());
    }

    // istiod turns native sidecars on by itself only when every node's kubelet is ≥ 1.33:
    // read the versions (a page at a time, keeping two strings per node).
    let mut kubelets = Vec::new();
    let nodes = cluster.list_pages(Kind::Node, Scope::All, None, |page| {
        kubelets.extend(page.iter().map(|n| {
            let version = n
                .pointer("/status/nodeInfo/kubeletVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            (name_of(n).to_string(), version.to_string())
        }));
        Ok(())
    });
    if soft(
        nodes.map(|()| Vec::new()),
        "assuming native sidecars (on, as istiod's auto-detection on Kubernetes ≥ 1.33 nodes; --native-sidecars false for older clusters)",
        &mut warnings,
    )?
    .is_some()
    {
        facts.set_kubelets(kubelets, source.clone());
    }

    for ns in &config_namespaces {
        let cms = soft(
            cluster.list(Kind::ConfigMap, Scope::Namespace(ns), None),
            "assuming the embedded default injector configuration for revisions configured there",
            &mut warnings,
        )?;
        for cm in cms.into_iter().flatten() {
            let at = format!("configmap {ns}/{}", name_of(&cm));
            facts.take_context(&at, &cm, &source, &mut Vec::new())?;
        }
    }

    match namespaces {
        // Every namespace: one LIST.
        None => {
            let list = soft(
                cluster.list(Kind::Namespace, Scope::All, None),
                "deciding as if no namespace had labels",
                &mut warnings,
            )?;
            for ns in list.into_iter().flatten() {
                facts.take_context("namespace", &ns, &source, &mut Vec::new())?;
            }
        }
        // The few a command needs: one GET each.
        Some(names) => {
            for name in names {
                match cluster.get(Kind::Namespace, None, name) {
                    Ok(Some(ns)) => {
                        facts.take_context("namespace", &ns, &source, &mut Vec::new())?;
                    }
                    Ok(None) => warnings.push(format!(
                        "namespace {name:?} does not exist in the cluster; deciding as if it had no labels"
                    )),
                    Err(e) if e.is_forbidden() => warnings.push(format!(
                        "{e}; deciding as if namespace {name:?} had no labels"
                    )),
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(warnings)
}

fn name_of(obj: &Value) -> &str {
    obj.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The namespaces of the services the webhooks of configuration `name` call (istiod's, where
/// its revision's ConfigMaps are).
fn service_namespaces<'a>(list: &'a [Value], name: &str) -> impl Iterator<Item = String> + 'a {
    let name = name.to_string();
    list.iter()
        .filter(move |m| name_of(m) == name)
        .flat_map(|m| {
            m.get("webhooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|h| {
            h.pointer("/clientConfig/service/namespace")
                .and_then(Value::as_str)
        })
        .map(str::to_string)
}

/// The facts of a live command — the flags first (they beat the cluster), then the
/// cluster's — and the engine, with the warnings of what could not be read.
pub(super) fn live_facts(
    cluster: &Cluster,
    facts: &mut Facts,
    policy: &PolicyArgs,
    istio_namespace: &str,
    namespaces: Option<&BTreeSet<String>>,
) -> Result<(Decider, Vec<String>)> {
    let mut webhooks = Vec::new();
    flag_facts(policy, facts, &mut webhooks)?;
    facts.add_webhooks(webhooks, Source::flag("--webhook"));
    let warnings = cluster_facts(cluster, facts, istio_namespace, namespaces)?;
    Ok((decider(facts, policy)?, warnings))
}

/// kubectl's `-o name` form: `deployment.apps/web`.
pub(super) fn kubectl_name(kind: WorkloadKind, name: &str) -> String {
    let group = match kind.api_version().rsplit_once('/') {
        Some((group, _)) => format!(".{group}"),
        None => String::new(),
    };
    format!(
        "{}{group}/{}",
        kind.as_str().to_ascii_lowercase(),
        crate::report::escape(name)
    )
}

/// Parses kubectl's resource arguments, with the supported kinds as the hint on a bad one.
pub(super) fn targets(args: &[String]) -> Result<Vec<Target>> {
    parse_targets(args)
        .map_err(anyhow::Error::new)
        .hint(UNSUPPORTED_KIND_HINT)
}

/// Keeps the objects the targets name (`deploy/web`, every Deployment for `deploy`, every
/// object of namespace web for `ns/web`); a named object that is not there is an error
/// listing what is.
pub(super) fn select(
    items: Vec<Evaluated>,
    targets: &[Target],
    namespace: Option<&str>,
) -> Result<Vec<Evaluated>> {
    let mut selection = Selection::new(targets, namespace);
    let kept: Vec<bool> = items.iter().map(|e| selection.keeps(&e.subject)).collect();
    selection.finish(|| Ok(items.iter().map(|e| e.subject.clone()).collect()))?;
    Ok(items
        .into_iter()
        .zip(kept)
        .filter_map(|(e, keep)| keep.then_some(e))
        .collect())
}

/// Resource arguments applied to objects one at a time: which to keep, and at the end
/// whether each named one was met.
pub(super) struct Selection<'t> {
    targets: &'t [Target],
    namespace: Option<&'t str>,
    met: Vec<bool>,
}

impl<'t> Selection<'t> {
    /// Keeps everything when there are no targets.
    pub fn new(targets: &'t [Target], namespace: Option<&'t str>) -> Selection<'t> {
        Selection {
            targets,
            namespace,
            met: vec![false; targets.len()],
        }
    }

    fn hit(&self, s: &Subject, t: &Target) -> bool {
        self.namespace.is_none_or(|ns| ns == s.namespace)
            && match t.ty {
                ResourceType::Namespace => t.name.as_ref().is_none_or(|n| *n == s.namespace),
                ResourceType::Workload(kind) => {
                    s.kind == kind && t.name.as_ref().is_none_or(|n| *n == s.name)
                }
            }
    }

    /// Whether a target names `s` (every object without targets).
    pub fn keeps(&mut self, s: &Subject) -> bool {
        if self.targets.is_empty() {
            return true;
        }
        let mut keep = false;
        for (i, t) in self.targets.iter().enumerate() {
            if self.hit(s, t) {
                self.met[i] = true;
                keep = true;
            }
        }
        keep
    }

    /// The error for the first named target no object met, listing the input's objects
    /// (`all`, only read then).
    pub fn finish(&self, all: impl FnOnce() -> Result<Vec<Subject>>) -> Result<()> {
        let Some(t) = self
            .targets
            .iter()
            .zip(&self.met)
            .find(|(t, met)| t.name.is_some() && !**met)
            .map(|(t, _)| t)
        else {
            return Ok(());
        };
        let shown = match (&t.ty, &t.name) {
            (ResourceType::Namespace, Some(n)) => format!("namespace {n}"),
            (ResourceType::Workload(k), Some(n)) => {
                format!("{}/{n}", k.as_str().to_ascii_lowercase())
            }
            _ => String::new(),
        };
        let found: Vec<String> = all()?
            .iter()
            .map(|s| format!("{}/{}", s.kind.as_str().to_ascii_lowercase(), s.name))
            .collect();
        let hint = if found.is_empty() {
            "the input holds no pod or workload".to_string()
        } else {
            format!("the input holds: {}", found.join(", "))
        };
        Err(anyhow::anyhow!("{shown} is not in the input").hint(hint))
    }
}

/// The engine for these facts, and `-r` resolved against what the facts describe: a
/// revision (or tag) that a cluster or bundle does not have is an error listing what it has.
pub(super) fn decider(facts: &Facts, policy: &PolicyArgs) -> Result<Decider> {
    // The webhook configurations are known (input, --webhook, a bundle, a cluster): `-r`
    // must name one of their revisions or tags, and narrows the answers to it. Unknown, `-r`
    // says whose default selectors to assume.
    let known = facts.webhooks_known();
    let revision = match &policy.revision {
        Some(r) if known => {
            let what = facts.authority().map_or_else(
                || "the webhook configurations given".to_string(),
                Source::to_string,
            );
            Some(
                facts
                    .revision_info()
                    .resolve(r, &what)
                    .map_err(anyhow::Error::new)
                    .hint("name one of them with -r, or drop -r to decide with what each pod's webhook chooses")?,
            )
        }
        Some(r) => Some(crate::facts::normalise_revision(r).to_string()),
        None => None,
    };
    let webhooks = facts.webhooks(revision.as_deref(), policy.enable_namespaces_by_default);
    // How `sidecar.istio.io/inject` is read follows the injector's release: --istio-version,
    // else what its configuration says (values' tag, ConfigMap labels, revision name).
    let injector = facts.injector(revision.as_deref().unwrap_or(""));
    let values = injector
        .value
        .values_text
        .as_deref()
        .and_then(|t| crate::config::parse_values(&injector.value.name, t).ok());
    let release = release::detect(&release::Clues {
        flag: policy.release.istio_version,
        values: values.as_ref(),
        labels: injector.value.config.configmap_labels.as_ref(),
        revision: revision.as_deref(),
        embedded: false,
    });
    let options = Options {
        mode: policy.mode,
        namespace_condition: policy.namespace_condition,
        pod_condition: policy.pod_condition,
        compat: Compat::for_release(policy.compat, release.release),
        revision: revision.clone(),
    };
    let engine = Engine::from_facts(facts, &webhooks.value, options)?;
    Ok(Decider {
        engine,
        webhooks,
        narrow: revision.filter(|_| known),
    })
}

const CONFIG_KEYS: [&str; 8] = [
    "policy",
    "templates",
    "template",
    "defaultTemplates",
    "aliases",
    "neverInjectSelector",
    "alwaysInjectSelector",
    "injectedAnnotations",
];

/// `--config`: the `config` key's text or a whole ConfigMap. Anything else (a Deployment, an
/// unrelated mapping) is refused rather than read as an empty, all-defaults configuration.
fn load_config(path: &std::path::Path) -> Result<InjectorFacts> {
    let name = path.display().to_string();
    let text = fs_err::read_to_string(path)?;
    let hint = "--config takes the `config` key of the istio-sidecar-injector ConfigMap, or the whole ConfigMap";
    let value: Value = crate::manifest::read_yaml(&text)
        .map_err(|e| anyhow::anyhow!("{name}: not an injector configuration: {e}").hint(hint))?;
    match value.get("kind").and_then(Value::as_str) {
        Some("ConfigMap") | None => {}
        Some(kind) => {
            return Err(anyhow::anyhow!(
                "{name}: not an injector configuration: a {kind} document"
            )
            .hint(hint));
        }
    }
    if value.get("kind").is_none()
        && !value
            .as_object()
            .is_some_and(|m| CONFIG_KEYS.iter().any(|k| m.contains_key(*k)))
    {
        return Err(anyhow::anyhow!(
            "{name}: not an injector configuration: none of the keys {} is present",
            CONFIG_KEYS.join(", ")
        )
        .hint(hint));
    }
    let config = InjectorConfig::parse(&name, &text).hint(hint)?;
    Ok(InjectorFacts {
        name,
        config,
        config_text: None,
        values_text: None,
    })
}

/// `--webhook`: one or more MutatingWebhookConfigurations (multi-document, or a List).
fn load_webhooks(path: &std::path::Path) -> Result<Vec<WebhookConfiguration>> {
    let name = path.display().to_string();
    let text = fs_err::read_to_string(path)?;
    let docs = parse_documents(&name, &text)?;
    let mut out = Vec::new();
    for doc in &docs {
        collect_webhooks(&doc.at.to_string(), &doc.value, &mut out)?;
    }
    if out.is_empty() {
        return Err(
            anyhow::anyhow!("{name}: holds no MutatingWebhookConfiguration")
                .hint("--webhook takes `kubectl get mutatingwebhookconfiguration NAME -o yaml`"),
        );
    }
    Ok(out)
}

fn collect_webhooks(at: &str, value: &Value, out: &mut Vec<WebhookConfiguration>) -> Result<()> {
    match value.get("kind").and_then(Value::as_str) {
        Some("MutatingWebhookConfiguration") => {
            out.push(WebhookConfiguration::from_value(
                &format!("{at} (MutatingWebhookConfiguration {})", name_of(value)),
                value,
            )?);
        }
        Some(k) if k.ends_with("List") => {
            for (i, item) in value
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                collect_webhooks(&format!("{at}, items[{i}]"), item, out)?;
            }
        }
        None if value.is_null() => {}
        other => {
            let kind = match other {
                Some("") | None => "document without kind",
                Some(k) => k,
            };
            return Err(
                anyhow::anyhow!("{at}: a {kind} is not a MutatingWebhookConfiguration").hint(
                    "--webhook takes `kubectl get mutatingwebhookconfiguration NAME -o yaml`",
                ),
            );
        }
    }
    Ok(())
}
