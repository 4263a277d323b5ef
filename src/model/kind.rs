//! The Kubernetes kinds the tool reads or changes, with their API coordinates taken from
//! k8s-openapi's resource metadata (group, version, kind, plural, scope) rather than written
//! down a second time.

use std::any::TypeId;

use k8s_openapi::api::admissionregistration::v1::MutatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, Endpoints, Namespace, Node, Pod, ReplicationController, Secret, Service,
    ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::{NamespaceResourceScope, Resource};

use crate::manifest::WorkloadKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespace,
    /// Read for the kubelet versions that decide Istio's native-sidecar auto-detection.
    Node,
    Pod,
    Deployment,
    StatefulSet,
    DaemonSet,
    ReplicaSet,
    ReplicationController,
    Job,
    CronJob,
    ConfigMap,
    Secret,
    Service,
    Endpoints,
    ServiceAccount,
    ClusterRole,
    ClusterRoleBinding,
    MutatingWebhookConfiguration,
}

/// (group, version, kind, plural, namespaced) of a k8s-openapi resource.
struct Coordinates {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
}

fn of<R: Resource>() -> Coordinates
where
    R::Scope: 'static,
{
    Coordinates {
        group: R::GROUP,
        version: R::VERSION,
        kind: R::KIND,
        plural: R::URL_PATH_SEGMENT,
        namespaced: TypeId::of::<R::Scope>() == TypeId::of::<NamespaceResourceScope>(),
    }
}

impl Kind {
    fn coordinates(self) -> Coordinates {
        match self {
            Kind::Namespace => of::<Namespace>(),
            Kind::Node => of::<Node>(),
            Kind::Pod => of::<Pod>(),
            Kind::Deployment => of::<Deployment>(),
            Kind::StatefulSet => of::<StatefulSet>(),
            Kind::DaemonSet => of::<DaemonSet>(),
            Kind::ReplicaSet => of::<ReplicaSet>(),
            Kind::ReplicationController => of::<ReplicationController>(),
            Kind::Job => of::<Job>(),
            Kind::CronJob => of::<CronJob>(),
            Kind::ConfigMap => of::<ConfigMap>(),
            Kind::Secret => of::<Secret>(),
            Kind::Service => of::<Service>(),
            Kind::Endpoints => of::<Endpoints>(),
            Kind::ServiceAccount => of::<ServiceAccount>(),
            Kind::ClusterRole => of::<ClusterRole>(),
            Kind::ClusterRoleBinding => of::<ClusterRoleBinding>(),
            Kind::MutatingWebhookConfiguration => of::<MutatingWebhookConfiguration>(),
        }
    }

    pub fn kind(self) -> &'static str {
        self.coordinates().kind
    }

    pub fn group(self) -> &'static str {
        self.coordinates().group
    }

    pub fn version(self) -> &'static str {
        self.coordinates().version
    }

    /// The plural resource name (`pods`, `deployments`).
    pub fn plural(self) -> &'static str {
        self.coordinates().plural
    }

    /// The resource name used in RBAC and in messages (`pods`, `deployments.apps`).
    pub fn resource(self) -> String {
        let c = self.coordinates();
        if c.group.is_empty() {
            c.plural.to_string()
        } else {
            format!("{}.{}", c.plural, c.group)
        }
    }

    pub fn namespaced(self) -> bool {
        self.coordinates().namespaced
    }

    /// `v1`, `apps/v1`.
    pub fn api_version(self) -> String {
        let c = self.coordinates();
        if c.group.is_empty() {
            c.version.to_string()
        } else {
            format!("{}/{}", c.group, c.version)
        }
    }

    /// The cluster kind for a workload kind of the manifest model, where one exists.
    pub fn from_workload(kind: WorkloadKind) -> Option<Kind> {
        use WorkloadKind as W;
        Some(match kind {
            W::Pod => Kind::Pod,
            W::Deployment => Kind::Deployment,
            W::StatefulSet => Kind::StatefulSet,
            W::DaemonSet => Kind::DaemonSet,
            W::ReplicaSet => Kind::ReplicaSet,
            W::ReplicationController => Kind::ReplicationController,
            W::Job => Kind::Job,
            W::CronJob => Kind::CronJob,
            W::DeploymentConfig => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_come_from_k8s_openapi() {
        assert_eq!(Kind::Pod.resource(), "pods");
        assert_eq!(Kind::Deployment.resource(), "deployments.apps");
        assert_eq!(
            Kind::MutatingWebhookConfiguration.resource(),
            "mutatingwebhookconfigurations.admissionregistration.k8s.io"
        );
        assert_eq!(
            Kind::ClusterRole.api_version(),
            "rbac.authorization.k8s.io/v1"
        );
        assert_eq!(Kind::CronJob.api_version(), "batch/v1");
        assert!(!Kind::Namespace.namespaced());
        assert!(!Kind::MutatingWebhookConfiguration.namespaced());
        assert!(Kind::Secret.namespaced());
        assert_eq!(Kind::Endpoints.plural(), "endpoints");
    }

    #[test]
    fn every_workload_kind_the_cluster_serves_maps_to_its_kind() {
        for wk in WorkloadKind::ALL {
            if let Some(k) = Kind::from_workload(wk) {
                assert_eq!(k.kind(), wk.as_str());
                assert_eq!(k.api_version(), wk.api_version(), "{wk}");
            }
        }
    }
}
