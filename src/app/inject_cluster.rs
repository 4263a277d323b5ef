//! `inject`'s configuration from the cluster, when no file is given: the ConfigMaps the
//! webhook itself reads — `istio-sidecar-injector[-REV]` (`config`, `values`) and
//! `istio[-REV]` (`mesh`) — of the revision `-r` names (a tag resolves to its revision), or
//! of the cluster's default revision (the `default` tag's, as istioctl's
//! `RevisionOrDefault`). Unlike istioctl's fallback, the values are read too.
//!
//! Optional by nature: with no kubeconfig at all this is skipped silently (the laptop case);
//! a cluster that cannot be read is said on stderr and the embedded default is used. But a
//! revision named with `-r` that a readable cluster does not have is an error.

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
}

pub(super) fn configuration(args: &InjectArgs) -> Result<Option<Found>> {
    if args.ignore_cluster || !gather::kubeconfig_configured(&args.kube) {
        return Ok(None);
    }
    // A probe, not the command's purpose: bound it tighter than kubectl's default.
    let mut kube = args.kube.clone();
    kube.request_timeout = kube.request_timeout.min(std::time::Duration::from_secs(5));
    let cluster = match Cluster::connect(&kube) {
        Ok(mut c) => {
            super::gather_live::observe(&mut c, &kube);
            c
        }
        Err(e) => return Ok(unreadable(&e.to_string())),
    };
    let mut facts = Facts::new();
    let none = Default::default();
    let warnings = match cluster_facts(&cluster, &mut facts, &args.istio_namespace, Some(&none)) {
        Ok(w) => w,
        Err(e) => return Ok(unreadable(&format!("{e:#}"))),
    };
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
    report::warnings(&warnings);
    let Some(config) = injector.value.config_text.clone() else {
        let name = match revision.as_str() {
            "default" => INJECTOR_NAME.to_string(),
            r => format!("{INJECTOR_NAME}-{r}"),
        };
        report::stderr(&format!(
            "warning: no ConfigMap {}/{name} (revision {revision}) in the cluster; using the embedded default\n",
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
    }))
}

fn unreadable(why: &str) -> Option<Found> {
    report::stderr(&format!(
        "warning: cannot read the injector configuration from the cluster ({why}); using the embedded default (--ignore-cluster skips the cluster)\n"
    ));
    None
}
