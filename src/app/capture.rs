//! `capture`: the cluster's injection set-up in one self-describing YAML file (a bundle), and
//! the reading of bundles for every offline command (`--bundle FILE`, or a bundle inside `-f`
//! input).
//!
//! # The bundle format
//! A `v1` `List`, so `kubectl` and every YAML tool read it, marked by annotations on the
//! list's metadata:
//!
//! | annotation | value |
//! |---|---|
//! | `kubectl-inject.io/bundle` | `v1` (the format's version; what marks a List as a bundle) |
//! | `kubectl-inject.io/context` | the kubeconfig context it was captured from |
//! | `kubectl-inject.io/server` | that context's API server URL |
//! | `kubectl-inject.io/captured-at` | when (RFC 3339, UTC) |
//! | `kubectl-inject.io/default-namespace` | the context's namespace: objects of `-f` input that name none are in it, as live |
//! | `kubectl-inject.io/namespaces` | which namespaces it holds: `all`, `none`, `namespace=NS`, or `selector=SELECTOR` |
//! | `kubectl-inject.io/nodes` | how many nodes the cluster had (their kubelet versions decide istiod's native-sidecar auto-detection); absent when they could not be listed |
//!
//! Its items, trimmed to what the decision and the render read (no status, no managed
//! fields, no caBundle, never a Secret):
//! - every MutatingWebhookConfiguration of Istio's injector (its revisions and revision
//!   tags), with its webhooks' selectors and client configs;
//! - every revision's injector ConfigMap `istio-sidecar-injector[-REV]` (`config`, `values`)
//!   and mesh ConfigMap `istio[-REV]` (`mesh`), from `--istio-namespace` and the namespaces
//!   of the webhooks' services;
//! - the namespaces with their labels;
//! - one Node per distinct kubelet version (name and `status.nodeInfo.kubeletVersion` only):
//!   all the native-sidecar auto-detection needs.
//!
//! Read back, a bundle is the `Source::Bundle` layer of the facts (after the input and the
//! flags, instead of the cluster, which is then not read) and an authority: it describes
//! the whole set-up, so `-r` must name one of its revisions or tags.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Map, Value, json};

use super::Outcome;
use super::gather_live::{advise, connect, is_injector_configuration};
use crate::cli::CaptureArgs;
use crate::cluster::{Cluster, Kind, Scope};
use crate::facts::{
    Facts, Source, injector_configmap_revision, mesh_configmap_revision, revision_and_tag,
};
use crate::model::WebhookConfiguration;
use crate::policy::Selector;
use crate::report::{self, Hint};

/// The annotation that marks a `List` as a bundle, and its value.
pub const BUNDLE_ANNOTATION: &str = "kubectl-inject.io/bundle";
pub const BUNDLE_VERSION: &str = "v1";
const CONTEXT: &str = "kubectl-inject.io/context";
const SERVER: &str = "kubectl-inject.io/server";
const CAPTURED_AT: &str = "kubectl-inject.io/captured-at";
const DEFAULT_NAMESPACE: &str = "kubectl-inject.io/default-namespace";
const NAMESPACES: &str = "kubectl-inject.io/namespaces";
const NODES: &str = "kubectl-inject.io/nodes";

pub fn run(args: &CaptureArgs) -> Result<Outcome> {
    let selector = args.selector.as_deref().map(Selector::parse).transpose()?;
    let cluster = connect(&args.kube).map_err(advise)?;
    let bundle = capture(&cluster, args, selector.is_some()).map_err(advise)?;
    let text = format!(
        "# kubectl-inject bundle: the injection set-up of context {:?}, captured {}.\n# Read it with `kubectl inject check|explain|inject --bundle FILE` (no cluster needed).\n{}",
        cluster.context(),
        annotation(&bundle, CAPTURED_AT).unwrap_or(""),
        crate::yaml::to_string(&bundle)
    );
    match &args.output_file {
        Some(path) => write_atomically(path, &text)?,
        None => report::stdout(&text)?,
    }
    report::stderr(&summary(&bundle, cluster.context()));
    Ok(Outcome::Success)
}

/// Reads the cluster into a bundle. Every read is required: a bundle stands for the whole
/// set-up, so one that silently missed a part would mislead every later decision.
fn capture(cluster: &Cluster, args: &CaptureArgs, by_selector: bool) -> Result<Value> {
    let mut items = Vec::new();
    let mwcs = cluster
        .list(Kind::MutatingWebhookConfiguration, Scope::All, None)
        .context("reading the webhook configurations")?;
    let mut config_namespaces = std::collections::BTreeSet::from([args.istio_namespace.clone()]);
    for mwc in mwcs.iter().filter(|m| is_injector_configuration(m)) {
        for hook in mwc
            .get("webhooks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(ns) = hook
                .pointer("/clientConfig/service/namespace")
                .and_then(Value::as_str)
            {
                config_namespaces.insert(ns.to_string());
            }
        }
        items.push(trim_webhook_configuration(mwc));
    }
    for ns in &config_namespaces {
        let cms = cluster
            .list(Kind::ConfigMap, Scope::Namespace(ns), None)
            .with_context(|| format!("reading the injector ConfigMaps in namespace {ns:?}"))?;
        for cm in &cms {
            let name = str_at(cm, "/metadata/name");
            let injector = injector_configmap_revision(name).is_some();
            let mesh = mesh_configmap_revision(name).is_some()
                && cm.pointer("/data/mesh").is_some_and(Value::is_string);
            if injector || mesh {
                items.push(trim_configmap(cm));
            }
        }
    }
    let (namespaces, which) = if args.no_namespaces {
        (Vec::new(), "none".to_string())
    } else if let Some(ns) = &args.kube.namespace {
        let one = cluster
            .get(Kind::Namespace, None, ns)?
            .ok_or_else(|| anyhow::anyhow!("namespace {ns:?} not found"))
            .hint("list them with `kubectl get namespaces`")?;
        (vec![one], format!("namespace={ns}"))
    } else {
        let selector = args.selector.as_deref().filter(|_| by_selector);
        let list = cluster
            .list(Kind::Namespace, Scope::All, selector)
            .context("reading the namespaces")
            .hint("capture without them with --no-namespaces, and give labels when deciding")?;
        let which = match selector {
            Some(s) => format!("selector={s}"),
            None => "all".to_string(),
        };
        (list, which)
    };
    items.extend(namespaces.iter().map(trim_namespace));

    // One node per kubelet version; a forbidden list leaves the decision to an assumption,
    // said when the bundle is read (no `nodes` annotation).
    let mut versions = std::collections::BTreeMap::new();
    let mut node_count = 0usize;
    let listed = cluster.list_pages(Kind::Node, Scope::All, None, |page| {
        for n in &page {
            node_count += 1;
            versions
                .entry(str_at(n, "/status/nodeInfo/kubeletVersion").to_string())
                .or_insert_with(|| str_at(n, "/metadata/name").to_string());
        }
        Ok(())
    });
    let nodes = match listed {
        Ok(()) => {
            items.extend(versions.iter().map(|(version, name)| {
                json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
                       "status": {"nodeInfo": {"kubeletVersion": version}}})
            }));
            Some(node_count.to_string())
        }
        Err(e) if e.is_forbidden() => {
            report::warnings(&[format!(
                "{e}; the bundle says nothing of the nodes, and deciding with it assumes native sidecars"
            )]);
            None
        }
        Err(e) => return Err(e.into()),
    };

    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let annotations = json!({
        BUNDLE_ANNOTATION: BUNDLE_VERSION,
        CONTEXT: cluster.context(),
        SERVER: cluster.server(),
        CAPTURED_AT: now,
        DEFAULT_NAMESPACE: cluster.default_namespace(),
        NAMESPACES: which,
    });
    let mut annotations = annotations;
    if let (Some(n), Some(a)) = (nodes, annotations.as_object_mut()) {
        a.insert(NODES.into(), Value::String(n));
    }
    Ok(json!({
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"annotations": annotations},
        "items": items,
    }))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `metadata` with only `name`, `namespace` and `labels`.
fn trim_metadata(v: &Value) -> Value {
    let mut m = Map::new();
    for key in ["name", "namespace", "labels"] {
        if let Some(x) = v
            .pointer(&format!("/metadata/{key}"))
            .filter(|x| !x.is_null())
        {
            m.insert(key.to_string(), x.clone());
        }
    }
    Value::Object(m)
}

fn trim_namespace(ns: &Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": trim_metadata(ns)})
}

fn trim_configmap(cm: &Value) -> Value {
    let mut data = Map::new();
    for key in ["config", "values", "mesh"] {
        if let Some(x) = cm
            .pointer(&format!("/data/{key}"))
            .filter(|x| x.is_string())
        {
            data.insert(key.to_string(), x.clone());
        }
    }
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": trim_metadata(cm), "data": data})
}

/// The webhooks as the API server matches them; the caBundle (public, but long and of no
/// use to a decision) is left out.
fn trim_webhook_configuration(mwc: &Value) -> Value {
    let mut webhooks = mwc.get("webhooks").cloned().unwrap_or_else(|| json!([]));
    for hook in webhooks.as_array_mut().into_iter().flatten() {
        if let Some(cc) = hook.get_mut("clientConfig").and_then(Value::as_object_mut) {
            cc.remove("caBundle");
        }
    }
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": trim_metadata(mwc),
        "webhooks": webhooks,
    })
}

fn annotation<'a>(bundle: &'a Value, key: &str) -> Option<&'a str> {
    bundle
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(key))
        .and_then(Value::as_str)
}

/// What was captured, for stderr.
fn summary(bundle: &Value, context: &str) -> String {
    let items = bundle
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let count = |kind: &str| items.iter().filter(|i| str_at(i, "/kind") == kind).count();
    let mut revisions = std::collections::BTreeSet::new();
    let mut tags = std::collections::BTreeSet::new();
    for i in items
        .iter()
        .filter(|i| str_at(i, "/kind") == "MutatingWebhookConfiguration")
    {
        if let Ok(mwc) = WebhookConfiguration::from_value("bundle", i) {
            let (rev, tag) = revision_and_tag(&mwc);
            match tag {
                Some(t) => tags.insert(format!("{t} → {rev}")),
                None => revisions.insert(rev),
            };
        }
    }
    let list = |s: &std::collections::BTreeSet<String>| {
        if s.is_empty() {
            "none".to_string()
        } else {
            s.iter().cloned().collect::<Vec<_>>().join(", ")
        }
    };
    format!(
        "captured from context {context:?}: {} webhook configurations (revisions: {}; tags: {}), {} ConfigMaps, {} namespaces\n",
        count("MutatingWebhookConfiguration"),
        list(&revisions),
        list(&tags),
        count("ConfigMap"),
        count("Namespace"),
    )
}

pub(super) fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.kubectl-inject.{}.tmp", std::process::id()));
    fs_err::write(&tmp, text)?;
    if let Err(e) = fs_err::rename(&tmp, path) {
        let _ = fs_err::remove_file(&tmp);
        return Err(e.into());
    }
    Ok(())
}

/// True for a document that is a bundle: a `List` with the bundle annotation.
pub(super) fn is_bundle(value: &Value) -> bool {
    str_at(value, "/kind") == "List" && annotation(value, BUNDLE_ANNOTATION).is_some()
}

/// A bundle read back: where it is, and what its annotations say.
#[derive(Debug, Clone)]
pub(super) struct Bundle {
    /// As given (`--bundle` path, or `-f` file and document).
    pub file: String,
    pub value: Value,
}

impl Bundle {
    /// The namespace of the context it was captured from.
    pub fn default_namespace(&self) -> Option<&str> {
        annotation(&self.value, DEFAULT_NAMESPACE).filter(|n| !n.is_empty())
    }

    /// True when it holds every namespace of the cluster (one it lacks did not exist).
    pub fn all_namespaces(&self) -> bool {
        annotation(&self.value, NAMESPACES) == Some("all")
    }

    pub fn source(&self) -> Source {
        Source::Bundle {
            file: self.file.clone(),
        }
    }

    /// Takes the bundle's facts (after the input and the flags, which win) and marks it as
    /// the authority on the set-up.
    pub fn take(&self, facts: &mut Facts) -> Result<()> {
        let source = self.source();
        let version = annotation(&self.value, BUNDLE_ANNOTATION).unwrap_or("");
        if version != BUNDLE_VERSION {
            return Err(anyhow::anyhow!(
                "{}: metadata.annotations[\"{BUNDLE_ANNOTATION}\"]: unknown bundle version {version:?}",
                self.file
            )
            .hint(format!(
                "this kubectl-inject reads bundles of version {BUNDLE_VERSION}: capture it again"
            )));
        }
        let items = self
            .value
            .get("items")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut webhooks = Vec::new();
        if annotation(&self.value, NODES).is_some() && !facts.kubelets_known() {
            // The nodes were listed: none at all is an answer too.
            facts.set_kubelets(Vec::new(), source.clone());
        }
        for (i, item) in items.iter().enumerate() {
            let at = format!("{}: items[{i}]", self.file);
            let taken = facts.take_context(&at, item, &source, &mut webhooks)?;
            if !taken {
                let kind = match str_at(item, "/kind") {
                    "" => "document without kind",
                    k => k,
                };
                return Err(anyhow::anyhow!(
                    "{at}: a {kind} ({}) does not belong in a bundle",
                    str_at(item, "/metadata/name")
                )
                .hint("a bundle holds webhook configurations, the injector's ConfigMaps and namespaces: capture it again with `kubectl inject capture`"));
            }
        }
        facts.add_webhooks(webhooks, source.clone());
        facts.set_authority(source);
        Ok(())
    }
}

/// Reads `--bundle FILE`: one document, a bundle.
pub(super) fn read_bundle(path: &Path) -> Result<Bundle> {
    let file = path.display().to_string();
    let text = fs_err::read_to_string(path)?;
    let docs = crate::manifest::parse_documents(&file, &text)?;
    let hint = "--bundle takes what `kubectl inject capture` wrote";
    let [doc] = docs.as_slice() else {
        return Err(anyhow::anyhow!(
            "{file}: not a bundle: {} documents, a bundle is one",
            docs.len()
        )
        .hint(hint));
    };
    if !is_bundle(&doc.value) {
        return Err(anyhow::anyhow!(
            "{file}: not a bundle: a bundle is a List annotated {BUNDLE_ANNOTATION}: {BUNDLE_VERSION}"
        )
        .hint(hint));
    }
    Ok(Bundle {
        file,
        value: doc.value.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trimmed_configuration_keeps_selectors_and_drops_noise() {
        let mwc = json!({
            "metadata": {"name": "istio-sidecar-injector", "labels": {"istio.io/rev": "default"},
                         "uid": "u", "resourceVersion": "1", "managedFields": []},
            "webhooks": [{"name": "rev.namespace.sidecar-injector.istio.io",
                          "clientConfig": {"caBundle": "LS0t", "service": {"name": "istiod", "namespace": "istio-system"}},
                          "namespaceSelector": {"matchLabels": {"istio.io/rev": "default"}}}]
        });
        let t = trim_webhook_configuration(&mwc);
        assert_eq!(
            t,
            json!({
                "apiVersion": "admissionregistration.k8s.io/v1",
                "kind": "MutatingWebhookConfiguration",
                "metadata": {"name": "istio-sidecar-injector", "labels": {"istio.io/rev": "default"}},
                "webhooks": [{"name": "rev.namespace.sidecar-injector.istio.io",
                              "clientConfig": {"service": {"name": "istiod", "namespace": "istio-system"}},
                              "namespaceSelector": {"matchLabels": {"istio.io/rev": "default"}}}]
            })
        );
    }

    #[test]
    fn a_bundle_is_a_list_with_the_annotation() {
        let b = json!({"apiVersion": "v1", "kind": "List", "metadata": {"annotations": {BUNDLE_ANNOTATION: "v1"}}, "items": []});
        assert!(is_bundle(&b));
        assert!(!is_bundle(
            &json!({"apiVersion": "v1", "kind": "List", "items": []})
        ));
    }

    #[test]
    fn a_bundle_with_a_foreign_item_is_refused_naming_it() {
        let b = Bundle {
            file: "b.yaml".into(),
            value: json!({"apiVersion": "v1", "kind": "List",
                "metadata": {"annotations": {BUNDLE_ANNOTATION: "v1"}},
                "items": [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}]}),
        };
        let err = b.take(&mut Facts::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.yaml: items[0]: a Deployment (web) does not belong in a bundle"
        );
    }
}
