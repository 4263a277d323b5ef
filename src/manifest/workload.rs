//! Workload kinds and where each keeps the pod template the webhook will eventually see.

use std::fmt;

/// The kinds kube-inject registers (Istio's scheme), plus Namespace for `check ns/x`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
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
    /// kubectl's names: singular, plural and short forms, case-insensitive, optionally with
    /// the API group (`deployment.apps`, `cronjobs.batch`, `pods`).
    pub fn parse(s: &str) -> Option<ResourceType> {
        use WorkloadKind::*;
        let lower = s.to_ascii_lowercase();
        let (name, group) = match lower.split_once('.') {
            Some((n, g)) => (n, Some(g)),
            None => (lower.as_str(), None),
        };
        let t = match name {
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
        match group {
            None => Some(t),
            Some(g) if g == t.group() => Some(t),
            Some(_) => None,
        }
    }

    /// The API group kubectl qualifies the type with (`apps`), `""` for the core group.
    pub fn group(self) -> &'static str {
        match self {
            ResourceType::Namespace => "",
            ResourceType::Workload(k) => match k.api_version().rsplit_once('/') {
                Some((group, _)) => group,
                None => "",
            },
        }
    }
}

/// `TYPE/NAME` (or a bare `TYPE`) from the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeNameError {
    #[error("unknown resource type {0:?}")]
    UnknownType(String),
    #[error("{0:?}: the name after the slash is empty")]
    EmptyName(String),
    #[error(
        "there is no need to give a resource type as a separate argument when passing arguments in TYPE/NAME form ({0:?})"
    )]
    MixedForms(String),
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

/// One object (or every object of a type) named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub ty: ResourceType,
    pub name: Option<String>,
}

/// kubectl's resource arguments: each `TYPE/NAME` (`deploy/web`, `deployment.apps/web`),
/// or `TYPE[,TYPE…] [NAME…]` (`deploy web api`, `deploy,sts`). The two forms do not mix.
pub fn parse_targets(args: &[String]) -> Result<Vec<Target>, TypeNameError> {
    let Some(first) = args.first() else {
        return Ok(Vec::new());
    };
    if args.iter().any(|a| a.contains('/')) {
        if let Some(bare) = args.iter().find(|a| !a.contains('/')) {
            return Err(TypeNameError::MixedForms(bare.clone()));
        }
        return args
            .iter()
            .map(|a| parse_type_name(a).map(|(ty, name)| Target { ty, name }))
            .collect();
    }
    let types: Vec<ResourceType> = first
        .split(',')
        .map(|t| ResourceType::parse(t).ok_or_else(|| TypeNameError::UnknownType(t.to_string())))
        .collect::<Result<_, _>>()?;
    let names = &args[1..];
    let mut out = Vec::new();
    for ty in types {
        if names.is_empty() {
            out.push(Target { ty, name: None });
        }
        for n in names {
            out.push(Target {
                ty,
                name: Some(n.clone()),
            });
        }
    }
    Ok(out)
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
    fn kubectl_resource_argument_forms() {
        let t = |ty, name: Option<&str>| Target {
            ty,
            name: name.map(str::to_string),
        };
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        use ResourceType::{Namespace, Workload};
        use WorkloadKind::*;
        let rows: &[(&[&str], Vec<Target>)] = &[
            (&["deploy/web"], vec![t(Workload(Deployment), Some("web"))]),
            (
                &["deployment.apps/web"],
                vec![t(Workload(Deployment), Some("web"))],
            ),
            (
                &["cronjobs.batch/c", "po/p"],
                vec![t(Workload(CronJob), Some("c")), t(Workload(Pod), Some("p"))],
            ),
            (
                &["deploy", "web", "api"],
                vec![
                    t(Workload(Deployment), Some("web")),
                    t(Workload(Deployment), Some("api")),
                ],
            ),
            (
                &["deploy,sts"],
                vec![
                    t(Workload(Deployment), None),
                    t(Workload(StatefulSet), None),
                ],
            ),
            (&["ns/web"], vec![t(Namespace, Some("web"))]),
            (&["pods"], vec![t(Workload(Pod), None)]),
        ];
        for (a, want) in rows {
            assert_eq!(&parse_targets(&args(a)).unwrap(), want, "{a:?}");
        }
        assert!(matches!(
            parse_targets(&args(&["deploy", "deploy/web"])),
            Err(TypeNameError::MixedForms(_))
        ));
        assert!(matches!(
            parse_targets(&args(&["deployment.batch/web"])),
            Err(TypeNameError::UnknownType(_))
        ));
        // Every kind's `-o name` form (`deployment.apps/web`) reads back as that kind.
        for kind in WorkloadKind::ALL {
            let group = match kind.api_version().rsplit_once('/') {
                Some((g, _)) => format!(".{g}"),
                None => String::new(),
            };
            let name = format!("{}{group}/x", kind.as_str().to_ascii_lowercase());
            assert_eq!(
                parse_type_name(&name).unwrap(),
                (Workload(kind), Some("x".into())),
                "{name}"
            );
        }
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
