//! Workload kinds and where each keeps the pod template the webhook will eventually see.

use std::fmt;

/// The kinds kube-inject registers (Istio's scheme), plus Namespace for `check ns/x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
    DeploymentConfig,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 9] = [
        WorkloadKind::Pod,
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
        WorkloadKind::ReplicaSet,
        WorkloadKind::ReplicationController,
        WorkloadKind::Job,
        WorkloadKind::CronJob,
        WorkloadKind::DeploymentConfig,
    ];

    /// The kind as written in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "Pod",
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::ReplicationController => "ReplicationController",
            WorkloadKind::Job => "Job",
            WorkloadKind::CronJob => "CronJob",
            WorkloadKind::DeploymentConfig => "DeploymentConfig",
        }
    }

    /// The apiVersion Istio's kube-inject scheme registers the kind under.
    pub fn api_version(self) -> &'static str {
        match self {
            WorkloadKind::Pod | WorkloadKind::ReplicationController => "v1",
            WorkloadKind::Deployment
            | WorkloadKind::StatefulSet
            | WorkloadKind::DaemonSet
            | WorkloadKind::ReplicaSet => "apps/v1",
            WorkloadKind::Job | WorkloadKind::CronJob => "batch/v1",
            WorkloadKind::DeploymentConfig => "apps.openshift.io/v1",
        }
    }

    /// The kind for a document, exactly as kube-inject's scheme matches it (apiVersion and
    /// kind). Any other pair (`extensions/v1beta1` Deployment, `batch/v1beta1` CronJob, a CRD)
    /// is not a workload to kube-inject and passes through unchanged.
    pub fn from_type_meta(api_version: &str, kind: &str) -> Option<WorkloadKind> {
        WorkloadKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind && k.api_version() == api_version)
    }

    /// The kind for a document by its kind name alone, for policy decisions on manifests
    /// written for older API versions (`extensions/v1beta1` Deployment still makes pods).
    pub fn from_kind(kind: &str) -> Option<WorkloadKind> {
        WorkloadKind::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// JSON pointer of the pod template (`{metadata, spec}`) inside the object; `""` for a Pod.
    pub fn pod_template_pointer(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "",
            WorkloadKind::CronJob => "/spec/jobTemplate/spec/template",
            _ => "/spec/template",
        }
    }

    /// The pod template's path in kubectl's dotted form (`spec.template`,
    /// `spec.jobTemplate.spec.template`); `""` for a Pod.
    pub fn pod_template_path(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "",
            WorkloadKind::CronJob => "spec.jobTemplate.spec.template",
            _ => "spec.template",
        }
    }

    /// JSON pointer of the metadata that kube-inject writes injected labels and annotations
    /// to. Differs from the pod template's for CronJob: Istio uses `spec.jobTemplate.metadata`
    /// (a quirk the goldens encode).
    pub fn inject_metadata_pointer(self) -> &'static str {
        match self {
            WorkloadKind::Pod => "/metadata",
            WorkloadKind::CronJob => "/spec/jobTemplate/metadata",
            _ => "/spec/template/metadata",
        }
    }
}

impl fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const UNSUPPORTED_KIND_HINT: &str = "supported kinds: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob, DeploymentConfig, List";

/// A resource type as typed on the command line (`deploy`, `pods`, `sts`, `ns`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    Workload(WorkloadKind),
    Namespace,
}

impl ResourceType {
    /// kubectl's names: singular, plural and short forms, case-insensitive.
    pub fn parse(s: &str) -> Option<ResourceType> {
        use WorkloadKind::*;
        let t = match s.to_ascii_lowercase().as_str() {
            "po" | "pod" | "pods" => ResourceType::Workload(Pod),
            "deploy" | "deployment" | "deployments" => ResourceType::Workload(Deployment),
            "sts" | "statefulset" | "statefulsets" => ResourceType::Workload(StatefulSet),
            "ds" | "daemonset" | "daemonsets" => ResourceType::Workload(DaemonSet),
            "rs" | "replicaset" | "replicasets" => ResourceType::Workload(ReplicaSet),
            "rc" | "replicationcontroller" | "replicationcontrollers" => {
                ResourceType::Workload(ReplicationController)
            }
            "job" | "jobs" => ResourceType::Workload(Job),
            "cj" | "cronjob" | "cronjobs" => ResourceType::Workload(CronJob),
            "dc" | "deploymentconfig" | "deploymentconfigs" => {
                ResourceType::Workload(DeploymentConfig)
            }
            "ns" | "namespace" | "namespaces" => ResourceType::Namespace,
            _ => return None,
        };
        Some(t)
    }
}

/// `TYPE/NAME` (or a bare `TYPE`) from the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeNameError {
    #[error("unknown resource type {0:?}")]
    UnknownType(String),
    #[error("{0:?}: the name after the slash is empty")]
    EmptyName(String),
}

/// Parses `deploy/web` into its type and name; a bare type gives no name.
pub fn parse_type_name(arg: &str) -> Result<(ResourceType, Option<String>), TypeNameError> {
    let (ty, name) = match arg.split_once('/') {
        Some((t, "")) => return Err(TypeNameError::EmptyName(t.to_string())),
        Some((t, n)) => (t, Some(n.to_string())),
        None => (arg, None),
    };
    let ty = ResourceType::parse(ty).ok_or_else(|| TypeNameError::UnknownType(ty.to_string()))?;
    Ok((ty, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_inject_scheme_matches_api_version_and_kind() {
        assert_eq!(
            WorkloadKind::from_type_meta("apps/v1", "Deployment"),
            Some(WorkloadKind::Deployment)
        );
        assert_eq!(
            WorkloadKind::from_type_meta("extensions/v1beta1", "Deployment"),
            None
        );
        assert_eq!(
            WorkloadKind::from_type_meta("batch/v1beta1", "CronJob"),
            None
        );
        assert_eq!(
            WorkloadKind::from_type_meta("apps.openshift.io/v1", "DeploymentConfig"),
            Some(WorkloadKind::DeploymentConfig)
        );
    }

    #[test]
    fn short_names_resolve() {
        for (arg, kind) in [
            ("pod/x", WorkloadKind::Pod),
            ("deploy/y", WorkloadKind::Deployment),
            ("sts/z", WorkloadKind::StatefulSet),
            ("DS/a", WorkloadKind::DaemonSet),
            ("cj/b", WorkloadKind::CronJob),
        ] {
            let (t, name) = parse_type_name(arg).unwrap();
            assert_eq!(t, ResourceType::Workload(kind));
            assert!(name.is_some());
        }
        assert_eq!(
            parse_type_name("ns").unwrap(),
            (ResourceType::Namespace, None)
        );
        assert!(matches!(
            parse_type_name("svc/x"),
            Err(TypeNameError::UnknownType(_))
        ));
        assert!(matches!(
            parse_type_name("pod/"),
            Err(TypeNameError::EmptyName(_))
        ));
    }

    #[test]
    fn cronjob_pod_template_and_inject_metadata_differ() {
        assert_eq!(
            WorkloadKind::CronJob.pod_template_pointer(),
            "/spec/jobTemplate/spec/template"
        );
        assert_eq!(
            WorkloadKind::CronJob.inject_metadata_pointer(),
            "/spec/jobTemplate/metadata"
        );
    }
}
