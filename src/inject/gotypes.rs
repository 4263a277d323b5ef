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
    Omit(S),
    /// A pointer scalar: dropped only when null (`privileged: false` stays).
    Keep(S),
    /// A non-pointer, non-`omitempty` string: emitted, `""` when absent.
    ReqStr,
    /// A non-pointer, non-`omitempty` integer: emitted, `0` when absent.
    ReqInt,
    /// A non-pointer, non-`omitempty` bool: emitted, `false` when absent.
    ReqBool,
    /// A `resource.Quantity` struct field: always emitted, `"0"` when absent.
    ReqQuantity,
}

/// The Go type of a field the round trip does not descend into, for [`check`]: what
/// Go's typed decoding accepts there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum S {
    /// `string` (and `metav1.Time`, which is one in JSON).
    Str,
    /// Any integer type; a float with an integral value is accepted, as Go's decoder reads
    /// the `1` that sigs.k8s.io/yaml writes for YAML's `1.0`. An `int64` in Go when the
    /// field is in [`INT64_FIELDS`], else an `int32`.
    Int,
    /// An `Int` field checked as Go's `int32`.
    Int32,
    Bool,
    /// `intstr.IntOrString`.
    IntOrStr,
    /// `map[string]string`.
    StrMap,
    /// `[]string`.
    StrList,
    /// `resource.Quantity`: a string or a number.
    Quantity,
    /// `map[string]resource.Quantity` (`ResourceList`).
    QuantityMap,
    /// A struct the schema does not describe further.
    AnyObj,
    /// A slice of structs the schema does not describe further.
    AnyList,
}

/// The integer fields of the schema that are `int64` in Go; the others are `int32`.
const INT64_FIELDS: &[&str] = &[
    "generation",
    "deletionGracePeriodSeconds",
    "terminationGracePeriodSeconds",
    "activeDeadlineSeconds",
    "runAsUser",
    "runAsGroup",
    "expirationSeconds",
    "observedGeneration",
    "startingDeadlineSeconds",
    "remainingItemCount",
    "latestVersion",
];

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
    use S::*;
    match ty {
        Ty::Unknown => &[],
        Ty::ObjectMeta => &[
            ("name", Omit(Str)),
            ("generateName", Omit(Str)),
            ("namespace", Omit(Str)),
            ("selfLink", Omit(Str)),
            ("uid", Omit(Str)),
            ("resourceVersion", Omit(Str)),
            ("generation", Omit(Int)),
            ("creationTimestamp", Keep(Str)),
            ("deletionTimestamp", Keep(Str)),
            ("deletionGracePeriodSeconds", Keep(Int)),
            ("labels", Omit(StrMap)),
            ("annotations", Omit(StrMap)),
            ("ownerReferences", Omit(AnyList)),
            ("finalizers", Omit(StrList)),
            ("managedFields", Omit(AnyList)),
        ],
        Ty::ListMeta => &[
            ("selfLink", Omit(Str)),
            ("resourceVersion", Omit(Str)),
            ("continue", Omit(Str)),
            ("remainingItemCount", Keep(Int)),
        ],
        Ty::LabelSelector => &[
            ("matchLabels", Omit(StrMap)),
            ("matchExpressions", List(Ty::LabelSelectorRequirement)),
        ],
        Ty::LabelSelectorRequirement => &[
            ("key", ReqStr),
            ("operator", ReqStr),
            ("values", Omit(StrList)),
        ],
        Ty::Pod => &[
            ("apiVersion", Omit(Str)),
            ("kind", Omit(Str)),
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
            ("ephemeralContainers", Omit(AnyList)),
            ("restartPolicy", Omit(Str)),
            ("terminationGracePeriodSeconds", Keep(Int)),
            ("activeDeadlineSeconds", Keep(Int)),
            ("dnsPolicy", Omit(Str)),
            ("nodeSelector", Omit(StrMap)),
            ("serviceAccountName", Omit(Str)),
            ("serviceAccount", Omit(Str)),
            ("automountServiceAccountToken", Keep(Bool)),
            ("nodeName", Omit(Str)),
            ("hostNetwork", Omit(Bool)),
            ("hostPID", Omit(Bool)),
            ("hostIPC", Omit(Bool)),
            ("shareProcessNamespace", Keep(Bool)),
            ("securityContext", Keep(AnyObj)),
            ("imagePullSecrets", List(Ty::LocalObjectReference)),
            ("hostname", Omit(Str)),
            ("subdomain", Omit(Str)),
            ("affinity", Keep(AnyObj)),
            ("schedulerName", Omit(Str)),
            ("tolerations", Omit(AnyList)),
            ("hostAliases", Omit(AnyList)),
            ("priorityClassName", Omit(Str)),
            ("priority", Keep(Int)),
            ("dnsConfig", Keep(AnyObj)),
            ("readinessGates", Omit(AnyList)),
            ("runtimeClassName", Keep(Str)),
            ("enableServiceLinks", Keep(Bool)),
            ("preemptionPolicy", Keep(Str)),
            ("overhead", Omit(QuantityMap)),
            ("topologySpreadConstraints", Omit(AnyList)),
            ("setHostnameAsFQDN", Keep(Bool)),
            ("os", Keep(AnyObj)),
            ("hostUsers", Keep(Bool)),
            ("schedulingGates", Omit(AnyList)),
            ("resourceClaims", Omit(AnyList)),
            ("resources", Keep(AnyObj)),
            ("hostnameOverride", Keep(Str)),
        ],
        Ty::Container => &[
            ("name", ReqStr),
            ("image", Omit(Str)),
            ("command", Omit(StrList)),
            ("args", Omit(StrList)),
            ("workingDir", Omit(Str)),
            ("ports", List(Ty::ContainerPort)),
            ("envFrom", Omit(AnyList)),
            ("env", List(Ty::EnvVar)),
            ("resources", Obj(Ty::ResourceRequirements)),
            ("resizePolicy", Omit(AnyList)),
            ("restartPolicy", Keep(Str)),
            ("restartPolicyRules", Omit(AnyList)),
            ("volumeMounts", List(Ty::VolumeMount)),
            ("volumeDevices", Omit(AnyList)),
            ("livenessProbe", Ptr(Ty::Probe)),
            ("readinessProbe", Ptr(Ty::Probe)),
            ("startupProbe", Ptr(Ty::Probe)),
            ("lifecycle", Ptr(Ty::Lifecycle)),
            ("terminationMessagePath", Omit(Str)),
            ("terminationMessagePolicy", Omit(Str)),
            ("imagePullPolicy", Omit(Str)),
            ("securityContext", Ptr(Ty::SecurityContext)),
            ("stdin", Omit(Bool)),
            ("stdinOnce", Omit(Bool)),
            ("tty", Omit(Bool)),
        ],
        Ty::ContainerPort => &[
            ("name", Omit(Str)),
            ("hostPort", Omit(Int)),
            ("containerPort", ReqInt),
            ("protocol", Omit(Str)),
            ("hostIP", Omit(Str)),
        ],
        Ty::EnvVar => &[
            ("name", ReqStr),
            ("value", Omit(Str)),
            ("valueFrom", Ptr(Ty::EnvVarSource)),
        ],
        Ty::EnvVarSource => &[
            ("fieldRef", Ptr(Ty::ObjectFieldSelector)),
            ("resourceFieldRef", Ptr(Ty::ResourceFieldSelector)),
            ("configMapKeyRef", Ptr(Ty::KeySelector)),
            ("secretKeyRef", Ptr(Ty::KeySelector)),
            ("fileKeyRef", Keep(AnyObj)),
        ],
        Ty::ObjectFieldSelector => &[("apiVersion", Omit(Str)), ("fieldPath", ReqStr)],
        Ty::ResourceFieldSelector => &[
            ("containerName", Omit(Str)),
            ("resource", ReqStr),
            ("divisor", ReqQuantity),
        ],
        Ty::KeySelector => &[
            ("name", Omit(Str)),
            ("key", ReqStr),
            ("optional", Keep(Bool)),
        ],
        Ty::ResourceRequirements => &[
            ("limits", Omit(QuantityMap)),
            ("requests", Omit(QuantityMap)),
            ("claims", Omit(AnyList)),
        ],
        Ty::VolumeMount => &[
            ("name", ReqStr),
            ("readOnly", Omit(Bool)),
            ("recursiveReadOnly", Keep(Str)),
            ("mountPath", ReqStr),
            ("subPath", Omit(Str)),
            ("mountPropagation", Keep(Str)),
            ("subPathExpr", Omit(Str)),
        ],
        Ty::Probe => &[
            ("exec", Ptr(Ty::Exec)),
            ("httpGet", Ptr(Ty::HttpGet)),
            ("tcpSocket", Ptr(Ty::TcpSocket)),
            ("grpc", Ptr(Ty::Grpc)),
            ("initialDelaySeconds", Omit(Int)),
            ("timeoutSeconds", Omit(Int)),
            ("periodSeconds", Omit(Int)),
            ("successThreshold", Omit(Int)),
            ("failureThreshold", Omit(Int)),
            ("terminationGracePeriodSeconds", Keep(Int)),
        ],
        Ty::HttpGet => &[
            ("path", Omit(Str)),
            ("port", Keep(IntOrStr)),
            ("host", Omit(Str)),
            ("scheme", Omit(Str)),
            ("httpHeaders", List(Ty::HttpHeader)),
        ],
        Ty::HttpHeader => &[("name", ReqStr), ("value", ReqStr)],
        Ty::TcpSocket => &[("port", Keep(IntOrStr)), ("host", Omit(Str))],
        Ty::Grpc => &[("port", ReqInt), ("service", Keep(Str))],
        Ty::Exec => &[("command", Omit(StrList))],
        // Istio's `Prober` (the values of ISTIO_KUBE_APP_PROBERS).
        Ty::Prober => &[
            ("httpGet", Ptr(Ty::HttpGet)),
            ("tcpSocket", Ptr(Ty::TcpSocket)),
            ("grpc", Ptr(Ty::Grpc)),
            ("timeoutSeconds", Omit(Int)),
        ],
        Ty::Lifecycle => &[
            ("postStart", Ptr(Ty::LifecycleHandler)),
            ("preStop", Ptr(Ty::LifecycleHandler)),
            ("stopSignal", Keep(Str)),
        ],
        Ty::LifecycleHandler => &[
            ("exec", Ptr(Ty::Exec)),
            ("httpGet", Ptr(Ty::HttpGet)),
            ("tcpSocket", Ptr(Ty::TcpSocket)),
            ("sleep", Keep(AnyObj)),
        ],
        Ty::SecurityContext => &[
            ("capabilities", Ptr(Ty::Capabilities)),
            ("privileged", Keep(Bool)),
            ("seLinuxOptions", Keep(AnyObj)),
            ("windowsOptions", Keep(AnyObj)),
            ("runAsUser", Keep(Int)),
            ("runAsGroup", Keep(Int)),
            ("runAsNonRoot", Keep(Bool)),
            ("readOnlyRootFilesystem", Keep(Bool)),
            ("allowPrivilegeEscalation", Keep(Bool)),
            ("procMount", Keep(Str)),
            ("seccompProfile", Keep(AnyObj)),
            ("appArmorProfile", Keep(AnyObj)),
        ],
        Ty::Capabilities => &[("add", Omit(StrList)), ("drop", Omit(StrList))],
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
        Ty::EmptyDir => &[("medium", Omit(Str)), ("sizeLimit", Keep(Quantity))],
        Ty::HostPath => &[("path", ReqStr), ("type", Keep(Str))],
        Ty::SecretVolume => &[
            ("secretName", Omit(Str)),
            ("items", List(Ty::KeyToPath)),
            ("defaultMode", Keep(Int)),
            ("optional", Keep(Bool)),
        ],
        Ty::ConfigMapVolume => &[
            ("name", Omit(Str)),
            ("items", List(Ty::KeyToPath)),
            ("defaultMode", Keep(Int)),
            ("optional", Keep(Bool)),
        ],
        Ty::KeyToPath => &[("key", ReqStr), ("path", ReqStr), ("mode", Keep(Int))],
        Ty::DownwardApiVolume => &[
            ("items", List(Ty::DownwardApiFile)),
            ("defaultMode", Keep(Int)),
        ],
        Ty::DownwardApiFile => &[
            ("path", ReqStr),
            ("fieldRef", Ptr(Ty::ObjectFieldSelector)),
            ("resourceFieldRef", Ptr(Ty::ResourceFieldSelector)),
            ("mode", Keep(Int)),
        ],
        Ty::Projected => &[
            ("sources", List(Ty::VolumeProjection)),
            ("defaultMode", Keep(Int)),
        ],
        Ty::VolumeProjection => &[
            ("secret", Keep(AnyObj)),
            ("downwardAPI", Ptr(Ty::DownwardApiVolume)),
            ("configMap", Ptr(Ty::ConfigMapVolume)),
            ("serviceAccountToken", Ptr(Ty::ServiceAccountToken)),
            ("clusterTrustBundle", Keep(AnyObj)),
            ("podCertificate", Keep(AnyObj)),
        ],
        Ty::ServiceAccountToken => &[
            ("audience", Omit(Str)),
            ("expirationSeconds", Keep(Int)),
            ("path", ReqStr),
        ],
        Ty::Csi => &[
            ("driver", ReqStr),
            ("readOnly", Keep(Bool)),
            ("fsType", Keep(Str)),
            ("volumeAttributes", Omit(StrMap)),
            ("nodePublishSecretRef", Keep(AnyObj)),
        ],
        Ty::PvcSource => &[("claimName", ReqStr), ("readOnly", Omit(Bool))],
        Ty::LocalObjectReference => &[("name", Omit(Str))],
        Ty::Deployment => workload(Ty::DeploymentSpec, Ty::DeploymentStatus),
        Ty::DeploymentSpec => &[
            ("replicas", Keep(Int)),
            ("selector", Ptr(Ty::LabelSelector)),
            ("template", Obj(Ty::PodTemplateSpec)),
            ("strategy", Obj(Ty::DeploymentStrategy)),
            ("minReadySeconds", Omit(Int)),
            ("revisionHistoryLimit", Keep(Int)),
            ("paused", Omit(Bool)),
            ("progressDeadlineSeconds", Keep(Int)),
        ],
        Ty::DeploymentStrategy => &[("type", Omit(Str)), ("rollingUpdate", Keep(AnyObj))],
        Ty::DeploymentStatus => &[
            ("observedGeneration", Omit(Int)),
            ("replicas", Omit(Int)),
            ("updatedReplicas", Omit(Int)),
            ("readyReplicas", Omit(Int)),
            ("availableReplicas", Omit(Int)),
            ("unavailableReplicas", Omit(Int)),
            ("terminatingReplicas", Keep(Int)),
            ("conditions", Omit(AnyList)),
            ("collisionCount", Keep(Int)),
        ],
        Ty::StatefulSet => workload(Ty::StatefulSetSpec, Ty::StatefulSetStatus),
        Ty::StatefulSetSpec => &[
            ("replicas", Keep(Int)),
            ("selector", Ptr(Ty::LabelSelector)),
            ("template", Obj(Ty::PodTemplateSpec)),
            ("volumeClaimTemplates", Omit(AnyList)),
            ("serviceName", Omit(Str)),
            ("podManagementPolicy", Omit(Str)),
            ("updateStrategy", Obj(Ty::StatefulSetUpdateStrategy)),
            ("revisionHistoryLimit", Keep(Int)),
            ("minReadySeconds", Omit(Int)),
            ("persistentVolumeClaimRetentionPolicy", Keep(AnyObj)),
            ("ordinals", Keep(AnyObj)),
        ],
        Ty::StatefulSetUpdateStrategy | Ty::DaemonSetUpdateStrategy => {
            &[("type", Omit(Str)), ("rollingUpdate", Keep(AnyObj))]
        }
        Ty::StatefulSetStatus => &[
            ("observedGeneration", Omit(Int)),
            ("replicas", ReqInt),
            ("readyReplicas", Omit(Int)),
            ("currentReplicas", Omit(Int)),
            ("updatedReplicas", Omit(Int)),
            ("currentRevision", Omit(Str)),
            ("updateRevision", Omit(Str)),
            ("collisionCount", Keep(Int)),
            ("conditions", Omit(AnyList)),
            ("availableReplicas", ReqInt),
        ],
        Ty::DaemonSet => workload(Ty::DaemonSetSpec, Ty::DaemonSetStatus),
        Ty::DaemonSetSpec => &[
            ("selector", Ptr(Ty::LabelSelector)),
            ("template", Obj(Ty::PodTemplateSpec)),
            ("updateStrategy", Obj(Ty::DaemonSetUpdateStrategy)),
            ("minReadySeconds", Omit(Int)),
            ("revisionHistoryLimit", Keep(Int)),
        ],
        Ty::DaemonSetStatus => &[
            ("currentNumberScheduled", ReqInt),
            ("numberMisscheduled", ReqInt),
            ("desiredNumberScheduled", ReqInt),
            ("numberReady", ReqInt),
            ("observedGeneration", Omit(Int)),
            ("updatedNumberScheduled", Omit(Int)),
            ("numberAvailable", Omit(Int)),
            ("numberUnavailable", Omit(Int)),
            ("collisionCount", Keep(Int)),
            ("conditions", Omit(AnyList)),
        ],
        Ty::ReplicaSet => workload(Ty::ReplicaSetSpec, Ty::ReplicaSetStatus),
        Ty::ReplicaSetSpec => &[
            ("replicas", Keep(Int)),
            ("minReadySeconds", Omit(Int)),
            ("selector", Ptr(Ty::LabelSelector)),
            ("template", Obj(Ty::PodTemplateSpec)),
        ],
        Ty::ReplicaSetStatus | Ty::ReplicationControllerStatus => &[
            ("replicas", ReqInt),
            ("fullyLabeledReplicas", Omit(Int)),
            ("readyReplicas", Omit(Int)),
            ("availableReplicas", Omit(Int)),
            ("terminatingReplicas", Keep(Int)),
            ("observedGeneration", Omit(Int)),
            ("conditions", Omit(AnyList)),
        ],
        Ty::ReplicationController => workload(
            Ty::ReplicationControllerSpec,
            Ty::ReplicationControllerStatus,
        ),
        Ty::ReplicationControllerSpec => &[
            ("replicas", Keep(Int)),
            ("minReadySeconds", Omit(Int)),
            ("selector", Omit(StrMap)),
            ("template", Ptr(Ty::PodTemplateSpec)),
        ],
        Ty::Job => workload(Ty::JobSpec, Ty::JobStatus),
        Ty::JobSpec => &[
            ("parallelism", Keep(Int)),
            ("completions", Keep(Int)),
            ("activeDeadlineSeconds", Keep(Int)),
            ("podFailurePolicy", Keep(AnyObj)),
            ("successPolicy", Keep(AnyObj)),
            ("backoffLimit", Keep(Int)),
            ("backoffLimitPerIndex", Keep(Int)),
            ("maxFailedIndexes", Keep(Int)),
            ("selector", Ptr(Ty::LabelSelector)),
            ("manualSelector", Keep(Bool)),
            ("template", Obj(Ty::PodTemplateSpec)),
            ("ttlSecondsAfterFinished", Keep(Int)),
            ("completionMode", Keep(Str)),
            ("suspend", Keep(Bool)),
            ("podReplacementPolicy", Keep(Str)),
            ("managedBy", Keep(Str)),
        ],
        Ty::JobStatus | Ty::CronJobStatus => &[],
        Ty::CronJob => workload(Ty::CronJobSpec, Ty::CronJobStatus),
        Ty::CronJobSpec => &[
            ("schedule", ReqStr),
            ("timeZone", Keep(Str)),
            ("startingDeadlineSeconds", Keep(Int)),
            ("concurrencyPolicy", Omit(Str)),
            ("suspend", Keep(Bool)),
            ("jobTemplate", Obj(Ty::JobTemplateSpec)),
            ("successfulJobsHistoryLimit", Keep(Int)),
            ("failedJobsHistoryLimit", Keep(Int)),
        ],
        Ty::JobTemplateSpec => &[
            ("metadata", Obj(Ty::ObjectMeta)),
            ("spec", Obj(Ty::JobSpec)),
        ],
        Ty::DeploymentConfig => workload(Ty::DeploymentConfigSpec, Ty::DeploymentConfigStatus),
        Ty::DeploymentConfigSpec => &[
            ("strategy", Obj(Ty::DeploymentConfigStrategy)),
            ("minReadySeconds", Omit(Int)),
            ("triggers", ReqList(Ty::Unknown)),
            ("replicas", ReqInt),
            ("revisionHistoryLimit", Keep(Int)),
            ("test", ReqBool),
            ("paused", Omit(Bool)),
            ("selector", Omit(StrMap)),
            ("template", Ptr(Ty::PodTemplateSpec)),
        ],
        Ty::DeploymentConfigStrategy => &[
            ("type", Omit(Str)),
            ("customParams", Keep(AnyObj)),
            ("recreateParams", Keep(AnyObj)),
            ("rollingParams", Keep(AnyObj)),
            ("resources", Obj(Ty::ResourceRequirements)),
            ("labels", Omit(StrMap)),
            ("annotations", Omit(StrMap)),
            ("activeDeadlineSeconds", Keep(Int)),
        ],
        Ty::DeploymentConfigStatus => &[
            ("latestVersion", ReqInt),
            ("observedGeneration", ReqInt),
            ("replicas", ReqInt),
            ("updatedReplicas", ReqInt),
            ("availableReplicas", ReqInt),
            ("unavailableReplicas", ReqInt),
            ("details", Keep(AnyObj)),
            ("conditions", Omit(AnyList)),
            ("readyReplicas", Omit(Int)),
        ],
        Ty::List => &[
            ("apiVersion", Omit(Str)),
            ("kind", Omit(Str)),
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
            ("apiVersion", F::Omit(S::Str)),
            ("kind", F::Omit(S::Str)),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::DeploymentSpec)),
            ("status", F::Obj(Ty::DeploymentStatus)),
        ],
        (Ty::StatefulSetSpec, _) => &[
            ("apiVersion", F::Omit(S::Str)),
            ("kind", F::Omit(S::Str)),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::StatefulSetSpec)),
            ("status", F::Obj(Ty::StatefulSetStatus)),
        ],
        (Ty::DaemonSetSpec, _) => &[
            ("apiVersion", F::Omit(S::Str)),
            ("kind", F::Omit(S::Str)),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::DaemonSetSpec)),
            ("status", F::Obj(Ty::DaemonSetStatus)),
        ],
        (Ty::ReplicaSetSpec, _) => &[
            ("apiVersion", F::Omit(S::Str)),
            ("kind", F::Omit(S::Str)),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::ReplicaSetSpec)),
            ("status", F::Obj(Ty::ReplicaSetStatus)),
        ],
        (Ty::ReplicationControllerSpec, _) => &[
            ("apiVersion", F::Omit(S::Str)),
            ("kind", F::Omit(S::Str)),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::ReplicationControllerSpec)),
            ("status", F::Obj(Ty::ReplicationControllerStatus)),
        ],
        (Ty::JobSpec, _) => &[
            ("apiVersion", F::Omit(S::Str)),
            ("kind", F::Omit(S::Str)),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::JobSpec)),
            ("status", F::Obj(Ty::JobStatus)),
        ],
        (Ty::CronJobSpec, _) => &[
            ("apiVersion", F::Omit(S::Str)),
            ("kind", F::Omit(S::Str)),
            ("metadata", F::Obj(Ty::ObjectMeta)),
            ("spec", F::Obj(Ty::CronJobSpec)),
            ("status", F::Obj(Ty::CronJobStatus)),
        ],
        _ => &[
            ("apiVersion", F::Omit(S::Str)),
            ("kind", F::Omit(S::Str)),
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
        F::Omit(_) => !is_zero(v),
        F::Keep(_) => !v.is_null(),
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

/// A value Go's typed decoding would refuse: where (a field path from the object's root,
/// `spec.template.spec.containers[0].image`) and what was found there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TypeError {
    pub path: String,
    pub message: String,
}

/// Checks `value`, read as a `ty`, the way decoding it into `k8s.io/api`'s Go structs would:
/// structs are objects, slices arrays (of objects where the element is a struct), strings
/// strings, integers integral numbers, booleans booleans, `map[string]string` maps of
/// strings. `null` is Go's zero value and always accepted; fields the schema does not know
/// are not checked (the round trip keeps them as they are). The first error is returned.
pub(crate) fn check(value: &Value, ty: Ty, path: &str) -> Result<(), TypeError> {
    let Value::Object(map) = value else {
        return if value.is_null() {
            Ok(())
        } else {
            Err(mismatch(path, "an object", value))
        };
    };
    let fields = &sorted(ty).fields;
    for (key, v) in map {
        let Ok(i) = fields.binary_search_by(|(n, _)| (*n).cmp(key.as_str())) else {
            continue;
        };
        let Some((_, field)) = fields.get(i) else {
            continue;
        };
        let here = join(path, key);
        // Go's integer fields are int32 but for a few int64 ones: a value out of range
        // does not decode.
        let field = match *field {
            F::ReqInt | F::Omit(S::Int) | F::Keep(S::Int)
                if !INT64_FIELDS.contains(&key.as_str()) =>
            {
                F::Keep(S::Int32)
            }
            f => f,
        };
        check_field(v, field, &here)?;
    }
    Ok(())
}

fn check_field(v: &Value, field: F, path: &str) -> Result<(), TypeError> {
    if v.is_null() {
        return Ok(());
    }
    match field {
        F::Obj(ty) | F::Ptr(ty) => check(v, ty, path),
        F::List(ty) | F::ReqList(ty) => {
            let Value::Array(items) = v else {
                return Err(mismatch(path, "a list", v));
            };
            for (n, item) in items.iter().enumerate() {
                let here = format!("{path}[{n}]");
                if !item.is_object() {
                    return Err(mismatch(&here, "an object", item));
                }
                check(item, ty, &here)?;
            }
            Ok(())
        }
        F::ReqStr => scalar(v, S::Str, path),
        F::ReqInt => scalar(v, S::Int, path),
        F::ReqBool => scalar(v, S::Bool, path),
        F::ReqQuantity => scalar(v, S::Quantity, path),
        F::Omit(s) | F::Keep(s) => scalar(v, s, path),
    }
}

fn scalar(v: &Value, s: S, path: &str) -> Result<(), TypeError> {
    let ok = match (s, v) {
        (_, Value::Null) => true,
        (S::Str, Value::String(_)) | (S::Bool, Value::Bool(_)) => true,
        (S::Int, Value::Number(n)) => is_integral(n),
        (S::Int32, Value::Number(n)) => {
            is_integral(n)
                && n.as_f64()
                    .is_some_and(|f| (-2_147_483_648.0..=2_147_483_647.0).contains(&f))
        }
        (S::IntOrStr, Value::String(_)) => true,
        (S::IntOrStr, Value::Number(n)) => {
            is_integral(n)
                && n.as_f64()
                    .is_some_and(|f| (-2_147_483_648.0..=2_147_483_647.0).contains(&f))
        }
        (S::Quantity, Value::String(_) | Value::Number(_)) => true,
        (S::AnyObj, Value::Object(_)) => true,
        (S::AnyList, Value::Array(items)) => {
            for (n, item) in items.iter().enumerate() {
                if !item.is_object() {
                    return Err(mismatch(&format!("{path}[{n}]"), "an object", item));
                }
            }
            true
        }
        (S::StrMap, Value::Object(m)) => {
            for (k, item) in m {
                if !item.is_string() && !item.is_null() {
                    let text = item.to_string();
                    return Err(TypeError {
                        path: join(path, k),
                        message: format!(
                            "values must be strings, got {text} (quote it: {})",
                            Value::from(text.as_str())
                        ),
                    });
                }
            }
            true
        }
        (S::QuantityMap, Value::Object(m)) => {
            for (k, item) in m {
                scalar(item, S::Quantity, &join(path, k))?;
            }
            true
        }
        (S::StrList, Value::Array(items)) => {
            for (n, item) in items.iter().enumerate() {
                if !item.is_string() {
                    return Err(mismatch(&format!("{path}[{n}]"), "a string", item));
                }
            }
            true
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let wanted = match s {
        S::Str => "a string",
        S::Int => "an integer",
        S::Int32 => "an integer from -2147483648 to 2147483647",
        S::Bool => "a boolean (true or false)",
        S::IntOrStr => "an integer or a string",
        S::StrMap => "a map of strings",
        S::StrList => "a list of strings",
        S::Quantity => "a quantity (a string such as \"100m\" or a number)",
        S::QuantityMap => "a map of quantities",
        S::AnyObj => "an object",
        S::AnyList => "a list",
    };
    Err(mismatch(path, wanted, v))
}

fn is_integral(n: &serde_json::Number) -> bool {
    n.is_i64()
        || n.is_u64()
        || n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.is_finite())
}

/// `path.key` (kubectl's field paths: a key with dots stays as it is).
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The error for a value of the wrong JSON type, quoting what was found.
fn mismatch(path: &str, wanted: &str, found: &Value) -> TypeError {
    let shown = |v: &Value| {
        let t = v.to_string();
        if t.chars().count() > 40 {
            format!("{}…", t.chars().take(40).collect::<String>())
        } else {
            t
        }
    };
    let what = match found {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", shown(&Value::from(s.as_str()))),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a map".to_string(),
    };
    let mut message = format!("must be {wanted}, got {what}");
    if wanted == "a string" && matches!(found, Value::Bool(_) | Value::Number(_)) {
        let text = found.to_string();
        message.push_str(&format!(" (quote it: {})", Value::from(text.as_str())));
    }
    TypeError {
        path: if path.is_empty() {
            "(document)".into()
        } else {
            path.to_string()
        },
        message,
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
