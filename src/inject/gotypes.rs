//! What a round trip through Go's typed Kubernetes structs does to an object, emulated on
//! JSON: kube-inject decodes every workload into `k8s.io/api` structs and marshals it back, so
//! the goldens carry the zero structs Go always emits (`status: {}`, `strategy: {}`,
//! `resources: {}`, `metadata: {}`), non-`omitempty` fields at their zero value
//! (`replicas: 0` in a ReplicaSet status, `test: false` in a DeploymentConfig), and lose
//! `null`s and `omitempty` zero values (`value: ""` of an env var, `paused: false`).
//!
//! The schema below covers the types a pod template and the injectable workloads are made
//! of. Fields it does not know keep their value (only `null` is dropped): unknown input is
//! never silently lost, which is the one place we deliberately differ from Go (it drops them).

use std::cmp::Ordering;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// How Go serialises one field.
#[derive(Clone, Copy)]
enum F {
    /// A non-pointer struct: always emitted, `{}` when empty.
    Obj(Ty),
    /// A pointer to a struct (or an inline-optional struct): dropped when null.
    Ptr(Ty),
    /// A slice of structs, `omitempty`.
    List(Ty),
    /// A slice without `omitempty`: emitted as `null` when absent.
    ReqList(Ty),
    /// A scalar, map or slice of scalars with `omitempty`: dropped when zero or empty.
    Omit,
    /// A pointer scalar: dropped only when null (`privileged: false` stays).
    Keep,
    /// A non-pointer, non-`omitempty` string: emitted, `""` when absent.
    ReqStr,
    /// A non-pointer, non-`omitempty` integer: emitted, `0` when absent.
    ReqInt,
    /// A non-pointer, non-`omitempty` bool: emitted, `false` when absent.
    ReqBool,
    /// A `resource.Quantity` struct field: always emitted, `"0"` when absent.
    ReqQuantity,
}

/// The Go types the schema knows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ty {
    Unknown,
    ObjectMeta,
    ListMeta,
    LabelSelector,
    LabelSelectorRequirement,
    Pod,
    PodStatus,
    PodTemplateSpec,
    PodSpec,
    Container,
    ContainerPort,
    EnvVar,
    EnvVarSource,
    ObjectFieldSelector,
    ResourceFieldSelector,
    KeySelector,
    ResourceRequirements,
    VolumeMount,
    Probe,
    HttpGet,
    HttpHeader,
    TcpSocket,
    Grpc,
    Exec,
    Prober,
    Lifecycle,
    LifecycleHandler,
    SecurityContext,
    Capabilities,
    Volume,
    EmptyDir,
    HostPath,
    SecretVolume,
    ConfigMapVolume,
    KeyToPath,
    DownwardApiVolume,
    DownwardApiFile,
    Projected,
    VolumeProjection,
    ServiceAccountToken,
    Csi,
    PvcSource,
    LocalObjectReference,
    Deployment,
    DeploymentSpec,
    DeploymentStrategy,
    DeploymentStatus,
    StatefulSet,
    StatefulSetSpec,
    StatefulSetUpdateStrategy,
    StatefulSetStatus,
    DaemonSet,
    DaemonSetSpec,
    DaemonSetUpdateStrategy,
    DaemonSetStatus,
    ReplicaSet,
    ReplicaSetSpec,
    ReplicaSetStatus,
    ReplicationController,
    ReplicationControllerSpec,
    ReplicationControllerStatus,
    Job,
    JobSpec,
    JobStatus,
    CronJob,
    CronJobSpec,
    JobTemplateSpec,
    CronJobStatus,
    DeploymentConfig,
    DeploymentConfigSpec,
    DeploymentConfigStrategy,
    DeploymentConfigStatus,
    List,
}

/// The fields of a type, by JSON name. `None` for a type whose content is kept as is.
fn fields(ty: Ty) -> &'static [(&'static str, F)] {
    use F::*;
    match ty {
        Ty::Unknown => &[],
        Ty::ObjectMeta => &[
            ("name", Omit),
            ("generateName", Omit),
            ("namespace", Omit),
            ("selfLink", Omit),
            ("uid", Omit),
            ("resourceVersion", Omit),
            ("generation", Omit),
            ("creationTimestamp", Keep),
            ("deletionTimestamp", Keep),
            ("deletionGracePeriodSeconds", Keep),
            ("labels", Omit),
            ("annotations", Omit),
            ("ownerReferences", Omit),
            ("finalizers", Omit),
            ("managedFields", Omit),
        ],
        Ty::ListMeta => &[
            ("selfLink", Omit),
            ("resourceVersion", Omit),
            ("continue", Omit),
            ("remainingItemCount", Keep),
        ],
        Ty::LabelSelector => &[
            ("matchLabels", Omit),
            ("matchExpressions", List(Ty::LabelSelectorRequirement)),
        ],
        Ty::LabelSelectorRequirement => &[("key", ReqStr), ("operator", ReqStr), ("values", Omit)],
        Ty::Pod => &[
            ("apiVersion", Omit),
            ("kind", Omit),
            ("metadata", Obj(Ty::ObjectMeta)),
            ("spec", Obj(Ty::PodSpec)),
            ("status", Obj(Ty::PodStatus)),
        ],
        Ty::PodStatus => &[],
        Ty::PodTemplateSpec => &[
            ("metadata", Obj(Ty::ObjectMeta)),
            ("spec", Obj(Ty::PodSpec)),
        ],
        Ty::PodSpec => &[
            ("volumes", List(Ty::Volume)),
            ("initContainers", List(Ty::Container)),
            ("containers", ReqList(Ty::Container)),
            ("ephemeralContainers", Omit),
            ("restartPolicy", Omit),
            ("terminationGracePeriodSeconds", Keep),
            ("activeDeadlineSeconds", Keep),
            ("dnsPolicy", Omit),
            ("nodeSelector", Omit),
            ("serviceAccountName", Omit),
            ("serviceAccount", Omit),
            ("automountServiceAccountToken", Keep),
            ("nodeName", Omit),
            ("hostNetwork", Omit),
            ("hostPID", Omit),
            ("hostIPC", Omit),
            ("shareProcessNamespace", Keep),
            ("securityContext", Keep),
            ("imagePullSecrets", List(Ty::LocalObjectReference)),
            ("hostname", Omit),
            ("subdomain", Omit),
            ("affinity", Keep),
            ("schedulerName", Omit),
            ("tolerations", Omit),
            ("hostAliases", Omit),
            ("priorityClassName", Omit),
            ("priority", Keep),
            ("dnsConfig", Keep),
            ("readinessGates", Omit),
            ("runtimeClassName", Keep),
            ("enableServiceLinks", Keep),
            ("preemptionPolicy", Keep),
            ("overhead", Omit),
            ("topologySpreadConstraints", Omit),
            ("setHostnameAsFQDN", Keep),
            ("os", Keep),
            ("hostUsers", Keep),
            ("schedulingGates", Omit),
            ("resourceClaims", Omit),
            ("resources", Keep),
            ("hostnameOverride", Keep),
        ],
        Ty::Container => &[
            ("name", ReqStr),
            ("image", Omit),
            ("command", Omit),
            ("args", Omit),
            ("workingDir", Omit),
            ("ports", List(Ty::ContainerPort)),
            ("envFrom", Omit),
            ("env", List(Ty::EnvVar)),
            ("resources", Obj(Ty::ResourceRequirements)),
            ("resizePolicy", Omit),
            ("restartPolicy", Keep),
            ("restartPolicyRules", Omit),
            ("volumeMounts", List(Ty::VolumeMount)),
            ("volumeDevices", Omit),
            ("livenessProbe", Ptr(Ty::Probe)),
            ("readinessProbe", Ptr(Ty::Probe)),
            ("startupProbe", Ptr(Ty::Probe)),
            ("lifecycle", Ptr(Ty::Lifecycle)),
            ("terminationMessagePath", Omit),
            ("terminationMessagePolicy", Omit),
            ("imagePullPolicy", Omit),
            ("securityContext", Ptr(Ty::SecurityContext)),
            ("stdin", Omit),
            ("stdinOnce", Omit),
            ("tty", Omit),
        ],
        Ty::ContainerPort => &[
            ("name", Omit),
            ("hostPort", Omit),
            ("containerPort", ReqInt),
            ("protocol", Omit),
            ("hostIP", Omit),
        ],
        Ty::EnvVar => &[
            ("name", ReqStr),
            ("value", Omit),
            ("valueFrom", Ptr(Ty::EnvVarSource)),
        ],
        Ty::EnvVarSource => &[
            ("fieldRef", Ptr(Ty::ObjectFieldSelector)),
            ("resourceFieldRef", Ptr(Ty::ResourceFieldSelector)),
            ("configMapKeyRef", Ptr(Ty::KeySelector)),
            ("secretKeyRef", Ptr(Ty::KeySelector)),
            ("fileKeyRef", Keep),
        ],
        Ty::ObjectFieldSelector => &[("apiVersion", Omit), ("fieldPath", ReqStr)],
        Ty::ResourceFieldSelector => &[
            ("containerName", Omit),
            ("resource", ReqStr),
            ("divisor", ReqQuantity),
        ],
        Ty::KeySelector => &[("name", Omit), ("key", ReqStr), ("optional", Keep)],
        Ty::ResourceRequirements => &[("limits", Omit), ("requests", Omit), ("claims", Omit)],
        Ty::VolumeMount => &[
            ("name", ReqStr),
            ("readOnly", Omit),
            ("recursiveReadOnly", Keep),
            ("mountPath", ReqStr),
            ("subPath", Omit),
            ("mountPropagation", Keep),
            ("subPathExpr", Omit),
        ],
        Ty::Probe => &[
            ("exec", Ptr(Ty::Exec)),
            ("httpGet", Ptr(Ty::HttpGet)),
            ("tcpSocket", Ptr(Ty::TcpSocket)),
            ("grpc", Ptr(Ty::Grpc)),
            ("initialDelaySeconds", Omit),
            ("timeoutSeconds", Omit),
            ("periodSeconds", Omit),
            ("successThreshold", Omit),
            ("failureThreshold", Omit),
            ("terminationGracePeriodSeconds", Keep),
        ],
        Ty::HttpGet => &[
            ("path", Omit),
            ("port", Keep),
            ("host", Omit),
            ("scheme", Omit),
            ("httpHeaders", List(Ty::HttpHeader)),
        ],
        Ty::HttpHeader => &[("name", ReqStr), ("value", ReqStr)],
        Ty::TcpSocket => &[("port", Keep), ("host", Omit)],
        Ty::Grpc => &[("port", ReqInt), ("service", Keep)],
        Ty::Exec => &[("command", Omit)],
        // Istio's `Prober` (the values of ISTIO_KUBE_APP_PROBERS).
        Ty::Prober => &[
            ("httpGet", Ptr(Ty::HttpGet)),
            ("tcpSocket", Ptr(Ty::TcpSocket)),
            ("grpc", Ptr(Ty::Grpc)),
            ("timeoutSeconds", Omit),
        ],
        Ty::Lifecycle => &[
            ("postStart", Ptr(Ty::LifecycleHandler)),
            ("preStop", Ptr(Ty::LifecycleHandler)),
            ("stopSignal", Keep),
        ],
        Ty::LifecycleHandler => &[
            ("exec", Ptr(Ty::Exec)),
            ("httpGet", Ptr(Ty::HttpGet)),
            ("tcpSocket", Ptr(Ty::TcpSocket)),
            ("sleep", Keep),
        ],
        Ty::SecurityContext => &[
            ("capabilities", Ptr(Ty::Capabilities)),
            ("privileged", Keep),
            ("seLinuxOptions", Keep),
            ("windowsOptions", Keep),
            ("runAsUser", Keep),
            ("runAsGroup", Keep),
            ("runAsNonRoot", Keep),
            ("readOnlyRootFilesystem", Keep),
            ("allowPrivilegeEscalation", Keep),
            ("procMount", Keep),
            ("seccompProfile", Keep),
            ("appArmorProfile", Keep),
        ],
        Ty::Capabilities => &[("add", Omit), ("drop", Omit)],
        Ty::Volume => &[
            ("name", ReqStr),
            ("hostPath", Ptr(Ty::HostPath)),
            ("emptyDir", Ptr(Ty::EmptyDir)),
            ("secret", Ptr(Ty::SecretVolume)),
            ("persistentVolumeClaim", Ptr(Ty::PvcSource)),
            ("downwardAPI", Ptr(Ty::DownwardApiVolume)),
            ("configMap", Ptr(Ty::ConfigMapVolume)),
            ("projected", Ptr(Ty::Projected)),
            ("csi", Ptr(Ty::Csi)),
        ],
        Ty::EmptyDir => &[("medium", Omit), ("sizeLimit", Keep)],
        Ty::HostPath => &[("path", ReqStr), ("type", Keep)],
        Ty::SecretVolume => &[
            ("secretName", Omit),
            ("items", List(Ty::KeyToPath)),
            ("defaultMode", Keep),
            ("optional", Keep),
        ],
        Ty::ConfigMapVolume => &[
            ("name", Omit),
            ("items", List(Ty::KeyToPath)),
            ("defaultMode", Keep),
            ("optional", Keep),
        ],
        Ty::KeyToPath => &[("key", ReqStr), ("path", ReqStr), ("mode", Keep)],
        Ty::DownwardApiVolume => &[("items", List(Ty::DownwardApiFile)), ("defaultMode", Keep)],
        Ty::DownwardApiFile => &[
            ("path", ReqStr),
            ("fieldRef", Ptr(Ty::ObjectFieldSelector)),
            ("resourceFieldRef", Ptr(Ty::ResourceFieldSelector)),
            ("mode", Keep),
        ],
        Ty::Projected => &[
            ("sources", List(Ty::VolumeProjection)),
            ("defaultMode", Keep),
        ],
        Ty::VolumeProjection => &[
            ("secret", Keep),
            ("downwardAPI", Ptr(Ty::DownwardApiVolume)),
            ("configMap", Ptr(Ty::ConfigMapVolume)),
            ("serviceAccountToken", Ptr(Ty::ServiceAccountToken)),
            ("clusterTrustBundle", Keep),
            ("podCertificate", Keep),
        ],
        Ty::ServiceAccountToken => &[
            ("audience", Omit),
            ("expirationSeconds", Keep),
            ("path", ReqStr),
        ],
        Ty::Csi => &[
            ("driver", ReqStr),
            ("readOnly", Keep),
            ("fsType", Keep),
            ("volumeAttributes", Omit),
            ("nodePublishSecretRef", Keep),
        ],
        Ty::PvcSource => &[("claimName", ReqStr), ("readOnly", Omit)],
        Ty::LocalObjectReference => &[("name", Omit)],
        Ty::Deployment => workload(Ty::DeploymentSpec, Ty::DeploymentStatus),
        Ty::DeploymentSpec => &[
            ("replicas", Keep),
            ("selector", Ptr(Ty::LabelSelector)),
            ("template", Obj(Ty::PodTemplateSpec)),
            ("strategy", Obj(Ty::DeploymentStrategy)),
            ("minReadySeconds", Omit),
            ("revisionHistoryLimit", Keep),
            ("paused", Omit),
            ("progressDeadlineSeconds", Keep),
        ],
        Ty::DeploymentStrategy => &[("type", Omit), ("rollingUpdate", Keep)],
        Ty::DeploymentStatus => &[
            ("observedGeneration", Omit),
            ("replicas", Omit),
            ("updatedReplicas", Omit),
            ("readyReplicas", Omit),
            ("availableReplicas", Omit),
            ("unavailableReplicas", Omit),
            ("terminatingReplicas", Keep),
            ("conditions", Omit),
            ("collisionCount", Keep),
        ],
        Ty::StatefulSet => workload(Ty::StatefulSetSpec, Ty::StatefulSetStatus),
        Ty::StatefulSetSpec => &[
            ("replicas", Keep),
            ("selector", Ptr(Ty::LabelSelector)),
            ("template", Obj(Ty::PodTemplateSpec)),
            ("volumeClaimTemplates", Omit),
            ("serviceName", Omit),
            ("podManagementPolicy", Omit),
            ("updateStrategy", Obj(Ty::StatefulSetUpdateStrategy)),
            ("revisionHistoryLimit", Keep),
            ("minReadySeconds", Omit),
            ("persistentVolumeClaimRetentionPolicy", Keep),
            ("ordinals", Keep),
        ],
        Ty::StatefulSetUpdateStrategy | Ty::DaemonSetUpdateStrategy => {
            &[("type", Omit), ("rollingUpdate", Keep)]
        }
        Ty::StatefulSetStatus => &[
            ("observedGeneration", Omit),
            ("replicas", ReqInt),
            ("readyReplicas", Omit),
            ("currentReplicas", Omit),
            ("updatedReplicas", Omit),
            ("currentRevision", Omit),
            ("updateRevision", Omit),
            ("collisionCount", Keep),
            ("conditions", Omit),
            ("availableReplicas", ReqInt),
        ],
        Ty::DaemonSet => workload(Ty::DaemonSetSpec, Ty::DaemonSetStatus),
        Ty::DaemonSetSpec => &[
            ("selector", Ptr(Ty::LabelSelector)),
            ("template", Obj(Ty::PodTemplateSpec)),
            ("updateStrategy", Obj(Ty::DaemonSetUpdateStrategy)),
            ("minReadySeconds", Omit),
            ("revisionHistoryLimit", Keep),
        ],
        Ty::DaemonSetStatus => &[
            ("currentNumberScheduled", ReqInt),
            ("numberMisscheduled", ReqInt),
            ("desiredNumberScheduled", ReqInt),
            ("numberReady", ReqInt),
            ("observedGeneration", Omit),
            ("updatedNumberScheduled", Omit),
            ("numberAvailable", Omit),
            ("numberUnavailable", Omit),
            ("collisionCount", Keep),
            ("conditions", Omit),
        ],
        Ty::ReplicaSet => workload(Ty::ReplicaSetSpec, Ty::ReplicaSetStatus),
        Ty::ReplicaSetSpec => &[
            ("replicas", Keep),
            ("minReadySeconds", Omit),
            ("selector", Ptr(Ty::LabelSelector)),
            ("template", Obj(Ty::PodTemplateSpec)),
        ],
        Ty::ReplicaSetStatus | Ty::ReplicationControllerStatus => &[
            ("replicas", ReqInt),
            ("fullyLabeledReplicas", Omit),
            ("readyReplicas", Omit),
            ("availableReplicas", Omit),
            ("terminatingReplicas", Keep),
            ("observedGeneration", Omit),
            ("conditions", Omit),
        ],
        Ty::ReplicationController => workload(
            Ty::ReplicationControllerSpec,
            Ty::ReplicationControllerStatus,
        ),
        Ty::ReplicationControllerSpec => &[
            ("replicas", Keep),
            ("minReadySeconds", Omit),
            ("selector", Omit),
            ("template", Ptr(Ty::PodTemplateSpec)),
        ],
        Ty::Job => workload(Ty::JobSpec, Ty::JobStatus),
        Ty::JobSpec => &[
            ("parallelism", Keep),
            ("completions", Keep),
            ("activeDeadlineSeconds", Keep),
            ("podFailurePolicy", Keep),
            ("successPolicy", Keep),
            ("backoffLimit", Keep),
            ("backoffLimitPerIndex", Keep),
            ("maxFailedIndexes", Keep),
            ("selector", Ptr(Ty::LabelSelector)),
            ("manualSelector", Keep),
            ("template", Obj(Ty::PodTemplateSpec)),
            ("ttlSecondsAfterFinished", Keep),
            ("completionMode", Keep),
            ("suspend", Keep),
            ("podReplacementPolicy", Keep),
            ("managedBy", Keep),
        ],
        Ty::JobStatus | Ty::CronJobStatus => &[],
        Ty::CronJob => workload(Ty::CronJobSpec, Ty::CronJobStatus),
        Ty::CronJobSpec => &[
            ("schedule", ReqStr),
            ("timeZone", Keep),
            ("startingDeadlineSeconds", Keep),
            ("concurrencyPolicy", Omit),
            ("suspend", Keep),
            ("jobTemplate", Obj(Ty::JobTemplateSpec)),
            ("successfulJobsHistoryLimit", Keep),
            ("failedJobsHistoryLimit", Keep),
        ],
        Ty::JobTemplateSpec => &[
            ("metadata", Obj(Ty::ObjectMeta)),
            ("spec", Obj(Ty::JobSpec)),
        ],
        Ty::DeploymentConfig => workload(Ty::DeploymentConfigSpec, Ty::DeploymentConfigStatus),
        Ty::DeploymentConfigSpec => &[
            ("strategy", Obj(Ty::DeploymentConfigStrategy)),
            ("minReadySeconds", Omit),
            ("triggers", ReqList(Ty::Unknown)),
            ("replicas", ReqInt),
            ("revisionHistoryLimit", Keep),
            ("test", ReqBool),
            ("paused", Omit),
            ("selector", Omit),
            ("template", Ptr(Ty::PodTemplateSpec)),
        ],
        Ty::DeploymentConfigStrategy => &[
            ("type", Omit),
            ("customParams", Keep),
            ("recreateParams", Keep),
            ("rollingParams", Keep),
            ("resources", Obj(Ty::ResourceRequirements)),
            ("labels", Omit),
            ("annotations", Omit),
            ("activeDeadlineSeconds", Keep),
        ],
        Ty::DeploymentConfigStatus => &[
            ("latestVersion", ReqInt),
            ("observedGeneration", ReqInt),
            ("replicas", ReqInt),
            ("updatedReplicas", ReqInt),
            ("availableReplicas", ReqInt),
            ("unavailableReplicas", ReqInt),
            ("details", Keep),
            ("conditions", Omit),
            ("readyReplicas", Omit),
        ],
        Ty::List => &[
            ("apiVersion", Omit),
            ("kind", Omit),
            ("metadata", Obj(Ty::ListMeta)),
            ("items", ReqList(Ty::Unknown)),
        ],
    }
}

const fn workload(spec: Ty, status: Ty) -> &'static [(&'static str, F)] {
    // One static table per (spec, status) pair: a `match` keeps them `'static` without
    // allocating.
    match (spec, status) {
        (Ty::DeploymentSpec, _) => &[
            ("apiVersion", F::Omit),
            ("kind", F::Omit),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::DeploymentSpec)),
            ("status", F::Obj(Ty::DeploymentStatus)),
        ],
        (Ty::StatefulSetSpec, _) => &[
            ("apiVersion", F::Omit),
            ("kind", F::Omit),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::StatefulSetSpec)),
            ("status", F::Obj(Ty::StatefulSetStatus)),
        ],
        (Ty::DaemonSetSpec, _) => &[
            ("apiVersion", F::Omit),
            ("kind", F::Omit),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::DaemonSetSpec)),
            ("status", F::Obj(Ty::DaemonSetStatus)),
        ],
        (Ty::ReplicaSetSpec, _) => &[
            ("apiVersion", F::Omit),
            ("kind", F::Omit),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::ReplicaSetSpec)),
            ("status", F::Obj(Ty::ReplicaSetStatus)),
        ],
        (Ty::ReplicationControllerSpec, _) => &[
            ("apiVersion", F::Omit),
            ("kind", F::Omit),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::ReplicationControllerSpec)),
            ("status", F::Obj(Ty::ReplicationControllerStatus)),
        ],
        (Ty::JobSpec, _) => &[
            ("apiVersion", F::Omit),
            ("kind", F::Omit),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::JobSpec)),
            ("status", F::Obj(Ty::JobStatus)),
        ],
        (Ty::CronJobSpec, _) => &[
            ("apiVersion", F::Omit),
            ("kind", F::Omit),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::CronJobSpec)),
            ("status", F::Obj(Ty::CronJobStatus)),
        ],
        _ => &[
            ("apiVersion", F::Omit),
            ("kind", F::Omit),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::DeploymentConfigSpec)),
            ("status", F::Obj(Ty::DeploymentConfigStatus)),
        ],
    }
}

/// The top-level type of a workload kind.
pub(crate) fn workload_type(kind: crate::manifest::WorkloadKind) -> Ty {
    use crate::manifest::WorkloadKind as K;
    match kind {
        K::Pod => Ty::Pod,
        K::Deployment => Ty::Deployment,
        K::StatefulSet => Ty::StatefulSet,
        K::DaemonSet => Ty::DaemonSet,
        K::ReplicaSet => Ty::ReplicaSet,
        K::ReplicationController => Ty::ReplicationController,
        K::Job => Ty::Job,
        K::CronJob => Ty::CronJob,
        K::DeploymentConfig => Ty::DeploymentConfig,
    }
}

/// A type's fields sorted by name, in the order of an object's keys.
struct Sorted {
    fields: Box<[(&'static str, F)]>,
}

/// Whether a field absent from the input is present after the round trip.
fn is_required(field: F) -> bool {
    matches!(
        field,
        F::Obj(_) | F::ReqList(_) | F::ReqStr | F::ReqInt | F::ReqBool | F::ReqQuantity
    )
}

fn sorted(ty: Ty) -> &'static Sorted {
    static SORTED: [OnceLock<Sorted>; Ty::List as usize + 1] =
        [const { OnceLock::new() }; Ty::List as usize + 1];
    // `Ty` is fieldless, so its discriminant indexes the array; `List` is the last variant.
    SORTED[ty as usize].get_or_init(|| {
        let mut fields: Box<[(&'static str, F)]> = fields(ty).into();
        fields.sort_unstable_by_key(|(name, _)| *name);
        Sorted { fields }
    })
}

/// Applies Go's typed round trip to `value`, read as a `ty`.
///
/// The object's keys and the type's fields are both in byte order, so one merged pass over
/// the two finds each key's field and the required fields that are absent: pods are
/// normalised several times per injection, and looking up every key in the table (or
/// every field in the object) dominated the cost.
pub(crate) fn normalize(value: &mut Value, ty: Ty) {
    let Value::Object(map) = value else {
        return;
    };
    let fields = &sorted(ty).fields;
    let mut next = 0;
    // Both are rare (an already normalised object has neither), so they are collected and
    // applied afterwards rather than paying for `retain` on every object.
    let mut dropped = Vec::new();
    let mut missing = Vec::new();
    for (key, v) in map.iter_mut() {
        let mut field = None;
        while let Some((name, f)) = fields.get(next) {
            match by_name(name, key) {
                Ordering::Less => {
                    if is_required(*f) {
                        missing.push((*name, *f));
                    }
                    next += 1;
                }
                Ordering::Equal => {
                    field = Some(*f);
                    next += 1;
                    break;
                }
                Ordering::Greater => break,
            }
        }
        let kept = match field {
            Some(field) => keep(v, field),
            // Unknown fields: Go would drop them; we keep them and drop only nulls.
            None => !v.is_null(),
        };
        if !kept {
            dropped.push(key.clone());
        }
    }
    missing.extend(
        fields
            .get(next..)
            .unwrap_or_default()
            .iter()
            .filter(|(_, f)| is_required(*f)),
    );
    for key in dropped {
        map.remove(&key);
    }
    for (name, field) in missing {
        let mut v = zero(field);
        if let F::Obj(ty) = field {
            normalize(&mut v, ty);
        }
        map.insert(crate::yaml::pool::string(name), v);
    }
}

/// Go's typed round trip before k8s.io/apimachinery v0.34: every `ObjectMeta` it marshals
/// carries `creationTimestamp: null` when unset (the zero `metav1.Time` marshals as `null`,
/// and `omitempty` does not drop a struct). Applied after [`normalize`], which drops nulls.
pub(crate) fn null_creation_timestamps(value: &mut Value, ty: Ty) {
    let Value::Object(map) = value else {
        return;
    };
    if ty == Ty::ObjectMeta {
        map.entry("creationTimestamp").or_insert(Value::Null);
        return;
    }
    if !holds_object_meta(ty) {
        return;
    }
    for (name, field) in fields(ty) {
        match (*field, map.get_mut(*name)) {
            (F::Obj(t) | F::Ptr(t), Some(v)) => null_creation_timestamps(v, t),
            (F::List(t) | F::ReqList(t), Some(Value::Array(items))) => items
                .iter_mut()
                .for_each(|i| null_creation_timestamps(i, t)),
            _ => {}
        }
    }
}

/// Whether a value of type `ty` can hold an `ObjectMeta` (itself or in a field's type).
fn holds_object_meta(ty: Ty) -> bool {
    static HOLDS: [OnceLock<bool>; Ty::List as usize + 1] =
        [const { OnceLock::new() }; Ty::List as usize + 1];
    // The schema has no cycles: a type's answer only asks about its fields' types.
    *HOLDS[ty as usize].get_or_init(|| {
        ty == Ty::ObjectMeta
            || fields(ty).iter().any(|(_, f)| match f {
                F::Obj(t) | F::Ptr(t) | F::List(t) | F::ReqList(t) => holds_object_meta(*t),
                _ => false,
            })
    })
}

/// Byte order of two names, deciding on the first byte without a call to `memcmp` when it
/// differs, as it does for most pairs of field names.
fn by_name(a: &str, b: &str) -> Ordering {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

/// Normalises one present field in place; `false` when the round trip drops it.
fn keep(v: &mut Value, field: F) -> bool {
    match field {
        F::Obj(ty) => {
            if v.is_null() {
                *v = Value::Object(Map::new());
            }
            normalize(v, ty);
            true
        }
        F::Ptr(ty) => {
            normalize(v, ty);
            !v.is_null()
        }
        F::List(ty) => match v {
            Value::Array(items) if !items.is_empty() => {
                items.iter_mut().for_each(|i| normalize(i, ty));
                true
            }
            Value::Array(_) | Value::Null => false,
            _ => true,
        },
        F::ReqList(ty) => {
            if let Value::Array(items) = v {
                items.iter_mut().for_each(|i| normalize(i, ty));
            }
            true
        }
        F::Omit => !is_zero(v),
        F::Keep => !v.is_null(),
        F::ReqStr | F::ReqInt | F::ReqBool | F::ReqQuantity => {
            if v.is_null() {
                *v = zero(field);
            }
            true
        }
    }
}

/// What Go emits for a required field that is absent or null.
fn zero(field: F) -> Value {
    match field {
        F::Obj(_) => Value::Object(Map::new()),
        F::ReqStr => Value::String(String::new()),
        F::ReqInt => Value::from(0),
        F::ReqBool => Value::Bool(false),
        F::ReqQuantity => Value::String("0".into()),
        _ => Value::Null,
    }
}

/// Go's `omitempty` zero: false, 0, "", an empty slice or map, nil.
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Go's `json.Marshal` of a typed value: struct fields in declaration order (the schema's
/// order), then fields the schema does not know in sorted order; maps sorted. The value is
/// expected to be normalised already.
pub(crate) fn to_go_json(value: &Value, ty: Ty) -> String {
    let mut out = String::new();
    write_go_json(&mut out, value, ty);
    out
}

fn write_go_json(out: &mut String, value: &Value, ty: Ty) {
    match value {
        Value::Object(map) => {
            let table = fields(ty);
            out.push('{');
            let mut first = true;
            let mut entry = |out: &mut String, k: &str, v: &Value, ty: Ty| {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(&super::status::go_json(&k));
                out.push(':');
                write_go_json(out, v, ty);
            };
            for (name, field) in table {
                if let Some(v) = map.get(*name) {
                    entry(out, name, v, field_type(*field));
                }
            }
            for (k, v) in map {
                if !table.iter().any(|(n, _)| n == k) {
                    entry(out, k, v, Ty::Unknown);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_go_json(out, item, ty);
            }
            out.push(']');
        }
        other => out.push_str(&super::status::go_json(other)),
    }
}

fn field_type(f: F) -> Ty {
    match f {
        F::Obj(t) | F::Ptr(t) | F::List(t) | F::ReqList(t) => t,
        _ => Ty::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_creation_timestamps_in_every_object_meta() {
        let mut cron = json!({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "c", "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"jobTemplate": {"spec": {"template": {"metadata": {}, "spec": {
                "containers": [{"name": "app"}]}}}}}
        });
        normalize(&mut cron, Ty::CronJob);
        null_creation_timestamps(&mut cron, Ty::CronJob);
        // A set timestamp stays; every unset one is null, the job template's included.
        assert_eq!(
            cron["metadata"]["creationTimestamp"],
            "2024-01-01T00:00:00Z"
        );
        assert_eq!(
            cron["spec"]["jobTemplate"]["metadata"],
            json!({"creationTimestamp": null})
        );
        assert_eq!(
            cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"],
            json!({"creationTimestamp": null})
        );
        // Containers hold no ObjectMeta: nothing is added there.
        assert_eq!(
            cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0],
            json!({"name": "app", "resources": {}})
        );
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": []}});
        null_creation_timestamps(&mut pod, Ty::Pod);
        assert_eq!(
            pod["metadata"],
            json!({"name": "p", "creationTimestamp": null})
        );
        assert!(!holds_object_meta(Ty::PodSpec));
    }

    #[test]
    fn go_round_trip_table() {
        let cases = [
            (
                "deployment gets zero structs",
                Ty::Deployment,
                json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}}),
                json!({"kind": "Deployment", "metadata": {}, "status": {}, "spec": {"strategy": {}, "template": {"metadata": {}, "spec": {"containers": [{"name": "a", "resources": {}}]}}}}),
            ),
            (
                "omitempty zeros go, pointer zeros stay",
                Ty::Container,
                json!({"name": "a", "env": [{"name": "X", "value": ""}], "securityContext": {"privileged": false, "runAsUser": 0}, "stdin": false}),
                json!({"name": "a", "env": [{"name": "X"}], "resources": {}, "securityContext": {"privileged": false, "runAsUser": 0}}),
            ),
            (
                "null volume source is dropped, empty one kept",
                Ty::Volume,
                json!({"name": "v", "emptyDir": null, "configMap": {}}),
                json!({"name": "v", "configMap": {}}),
            ),
            (
                "non-omitempty status counters appear",
                Ty::DaemonSetStatus,
                json!({}),
                json!({"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}),
            ),
            (
                "unknown fields are kept, their nulls dropped",
                Ty::PodSpec,
                json!({"containers": [], "futureField": 3, "other": null, "hostNetwork": false}),
                json!({"containers": [], "futureField": 3}),
            ),
            (
                "missing containers is null, as Go emits it",
                Ty::PodSpec,
                json!({}),
                json!({"containers": null}),
            ),
            (
                "deploymentconfig defaults",
                Ty::DeploymentConfigSpec,
                json!({"paused": false, "minReadySeconds": 0, "strategy": {"type": "Rolling"}}),
                json!({"strategy": {"type": "Rolling", "resources": {}}, "triggers": null, "replicas": 0, "test": false}),
            ),
        ];
        for (name, ty, mut input, want) in cases {
            normalize(&mut input, ty);
            assert_eq!(input, want, "{name}");
        }
    }

    #[test]
    fn go_json_follows_declaration_order() {
        let mut c = json!({"readinessProbe": {"httpGet": {"port": 80}}, "name": "hello", "zz": 1, "image": "x<y"});
        normalize(&mut c, Ty::Container);
        assert_eq!(
            to_go_json(&c, Ty::Container),
            r#"{"name":"hello","image":"x\u003cy","resources":{},"readinessProbe":{"httpGet":{"port":80}},"zz":1}"#
        );
    }

    #[test]
    fn non_objects_are_left_alone() {
        let mut v = json!([1, 2]);
        normalize(&mut v, Ty::Pod);
        assert_eq!(v, json!([1, 2]));
    }
}
