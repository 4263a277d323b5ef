//! `inject`'s configuration from the cluster, when no file is given: the ConfigMaps the
//! webhook itself reads — `istio-sidecar-injector[-REV]` (`config`, `values`) and
//! `istio[-REV]` (`mesh`) in the control-plane namespace. Unlike istioctl's fallback, the
//! values are read too.
//!
//! Optional by nature: with no kubeconfig at all this is skipped silently (the laptop case);
//! a cluster that cannot be read is said on stderr and the embedded default is used.

use serde_json::Value;

use crate::cli::InjectArgs;
use crate::cluster::{Cluster, ClusterError, Kind};
use crate::report;

/// The texts found, each with the name of its source.
pub(super) struct Found {
    pub config: (String, String),
    pub values: Option<(String, String)>,
    pub mesh: Option<(String, String)>,
    /// The injector ConfigMap's labels (they may name the Istio release).
    pub labels: crate::model::StringMap,
}

/// True when a kubeconfig (or in-cluster credentials) could point at a cluster.
fn configured(args: &InjectArgs) -> bool {
    args.kube.kubeconfig.is_some()
        || args.kube.context.is_some()
        || std::env::var_os("KUBECONFIG").is_some_and(|v| !v.is_empty())
        || std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
        || std::env::var_os("HOME")
            .is_some_and(|h| std::path::Path::new(&h).join(".kube/config").is_file())
}

fn key(cm: &Value, key: &str) -> Option<String> {
    cm.pointer(&format!("/data/{key}"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

pub(super) fn configuration(args: &InjectArgs) -> Option<Found> {
    if args.ignore_cluster || !configured(args) {
        return None;
    }
    match read(args) {
        Ok(found) => found,
        Err(e) => {
            report::stderr(&format!(
                "warning: cannot read the injector configuration from the cluster ({e}); using the embedded default (--ignore-cluster skips the cluster)\n"
            ));
            None
        }
    }
}

fn read(args: &InjectArgs) -> Result<Option<Found>, ClusterError> {
    // A probe, not the command's purpose: bound it tighter than kubectl's default.
    let mut kube = args.kube.clone();
    kube.request_timeout = kube.request_timeout.min(std::time::Duration::from_secs(5));
    let cluster = Cluster::connect(&kube)?;
    let ns = args.istio_namespace.as_str();
    let suffix = match args.revision.as_deref() {
        None | Some("") | Some("default") => String::new(),
        Some(rev) => format!("-{rev}"),
    };
    let injector = format!("istio-sidecar-injector{suffix}");
    let Some(cm) = cluster.get(Kind::ConfigMap, Some(ns), &injector)? else {
        report::stderr(&format!(
            "warning: no ConfigMap {ns}/{injector} in the cluster; using the embedded default\n"
        ));
        return Ok(None);
    };
    let Some(config) = key(&cm, "config") else {
        report::stderr(&format!(
            "warning: ConfigMap {ns}/{injector} has no `config` key; using the embedded default\n"
        ));
        return Ok(None);
    };
    let source = |name: &str, k: &str| format!("configmap {ns}/{name} ({k})");
    let mesh_name = format!("istio{suffix}");
    let mesh = cluster
        .get(Kind::ConfigMap, Some(ns), &mesh_name)?
        .and_then(|m| key(&m, "mesh"))
        .map(|text| (source(&mesh_name, "mesh"), text));
    Ok(Some(Found {
        config: (source(&injector, "config"), config),
        values: key(&cm, "values").map(|text| (source(&injector, "values"), text)),
        mesh,
        labels: cm
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|l| {
                l.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default(),
    }))
}
