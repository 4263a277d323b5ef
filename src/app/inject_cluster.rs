//! `inject`'s configuration from the cluster, when no file is given: the ConfigMaps the
//! webhook itself reads — `istio-sidecar-injector[-REV]` (`config`, `values`) and
//! `istio[-REV]` (`mesh`) — of the revision `-r` names (a tag resolves to its revision), or
//! of the cluster's default revision (the `default` tag's, as istioctl's
//! `RevisionOrDefault`). Unlike istioctl's fallback, the values are read too.
//!
//! Optional by nature: with no kubeconfig at all this is skipped silently (the laptop case);
//! a cluster that cannot be read is said on stderr and the embedded default is used. But a
//! revision named with `-r` that a readable cluster does not have is an error. A bundle
//! (`--bundle`) is chosen from the same way, and then the cluster is not read.

use anyhow::Result;

use super::gather::{self, cluster_facts};
use crate::cli::InjectArgs;
use crate::cluster::Cluster;
use crate::facts::Facts;
use crate::model::istio::INJECTOR_NAME;
use crate::report::{self, Hint};

/// The texts found, each with the name of its source, and the revision they serve.
pub(super) struct Found {
    pub config: (String, String),
    pub values: Option<(String, String)>,
    pub mesh: Option<(String, String)>,
    pub revision: String,
    /// The injector ConfigMap's labels (they may name the Istio release).
    pub labels: Option<crate::model::StringMap>,
}

/// The cluster's facts for `inject` (its webhook configurations, every revision's
/// ConfigMaps, and its namespaces, for `--respect-policy` and the report), or `None` when the
/// cluster is not read: `--ignore-cluster`, no kubeconfig, or a cluster that cannot be read
/// (said on stderr).
pub(super) fn cluster_facts_for_inject(args: &InjectArgs) -> Option<Facts> {
    if args.ignore_cluster || !gather::kubeconfig_configured(&args.kube) {
        return None;
    }
    // A probe, not the command's purpose: bound it tighter than kubectl's default.
    let mut kube = args.kube.clone();
    kube.request_timeout = kube.request_timeout.min(std::time::Duration::from_secs(5));
    let cluster = match Cluster::connect(&kube) {
        Ok(mut c) => {
            super::gather_live::observe(&mut c, &kube);
            c
        }
        Err(e) => {
            unreadable(&e.to_string());
            return None;
        }
    };
    let mut facts = Facts::new();
    match cluster_facts(&cluster, &mut facts, &args.istio_namespace, None) {
        Ok(w) => report::warnings(&w),
        Err(e) => {
            unreadable(&format!("{e:#}"));
            return None;
        }
    }
    Some(facts)
}

/// The configuration of the revision `-r` names (a tag resolved), else of the default
/// revision (the `default` tag's, as istioctl's `RevisionOrDefault`), from facts that describe
/// a set-up (a cluster's, a bundle's). `place` says where in messages (`in the cluster`,
/// `in bundle b.yaml`). `None` (said on stderr) when that revision has no injector ConfigMap.
pub(super) fn choose(facts: &Facts, args: &InjectArgs, place: &str) -> Result<Option<Found>> {
    let info = facts.revision_info();
    let revision = match (&args.revision, facts.authority()) {
        (Some(r), Some(authority)) => info
            .resolve(r, &authority.to_string())
            .map_err(anyhow::Error::new)
            .hint("name one of them with -r, or pass the configuration with --injectConfigFile")?,
        (Some(r), None) => crate::facts::normalise_revision(r).to_string(),
        // istioctl's RevisionOrDefault: the revision the `default` tag points at.
        (None, _) => info
            .tags
            .get("default")
            .cloned()
            .unwrap_or_else(|| "default".into()),
    };
    let injector = facts.injector(&revision);
    let Some(config) = injector.value.config_text.clone() else {
        let name = match revision.as_str() {
            "default" => INJECTOR_NAME.to_string(),
            r => format!("{INJECTOR_NAME}-{r}"),
        };
        report::stderr(&format!(
            "warning: no ConfigMap {}/{name} (revision {revision}) {place}; using the embedded default\n",
            args.istio_namespace
        ));
        return Ok(None);
    };
    let name = injector.value.name.clone();
    Ok(Some(Found {
        config: (format!("{name} (config)"), config),
        values: injector
            .value
            .values_text
            .clone()
            .map(|text| (format!("{name} (values)"), text)),
        mesh: facts
            .mesh(&revision)
            .map(|m| (format!("{} (mesh)", m.value.0), m.value.1.clone())),
        revision,
        labels: injector.value.config.configmap_labels.clone(),
    }))
}

fn unreadable(why: &str) {
    report::stderr(&format!(
        "warning: cannot read the injector configuration from the cluster ({why}); using the embedded default (--ignore-cluster skips the cluster)\n"
    ));
}
