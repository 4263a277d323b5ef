//! The Kubernetes (Go) types the injector reads and writes, one table per type: for each
//! field its JSON name, its Go type (and so its zero value), whether it is a pointer,
//! whether its tag says `omitempty`, and its strategic-merge `patchStrategy` /
//! `patchMergeKey`. Three views are derived from it and nothing else:
//!
//! - the strategic merge patch (`inject::smp`): list strategies and merge keys;
//! - Go's typed round trip (`inject::gotypes`): which zero values Go emits, which it drops,
//!   what its typed decoding accepts;
//! - the template data (`template::data`): Go field names and the zero values templates
//!   see.
//!
//! How each view reads these facts (Go's decoding quirks, what is zero-filled) stays in the
//! view. A type the table does not describe (`Opaque`, `OpaqueList`) is kept as it is.
//! `tests` holds the table against k8s-openapi's types: every field of a described type,
//! its JSON name, integer width and element type.
//!
//! Pure: no I/O.

use std::sync::OnceLock;

/// The Go types the table describes.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Ty {
    /// A type the table does not describe.
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
    ConfigMapProjection,
    KeyToPath,
    DownwardApiVolume,
    DownwardApiProjection,
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

impl Ty {
    /// How many types there are: `Ty` is fieldless, so `ty as usize` indexes per-type arrays.
    pub const COUNT: usize = Ty::List as usize + 1;

    /// The type's fields in Go declaration order (the order `encoding/json` writes them).
    pub fn fields(self) -> &'static [Field] {
        fields(self)
    }

    /// The field named `json`, if the table describes it.
    pub fn field(self, json: &str) -> Option<&'static Field> {
        let sorted = by_name(self);
        sorted
            .binary_search_by(|f| f.json.cmp(json))
            .ok()
            .and_then(|i| sorted.get(i))
            .copied()
    }

    /// The Go types this table stands for (a few share one table), as k8s-openapi (and Go)
    /// name them.
    pub fn go_names(self) -> &'static [&'static str] {
        go_names(self)
    }

    /// Whether the table lists every field of the type (else only those the injector needs,
    /// the others kept as they are).
    pub fn complete(self) -> bool {
        !matches!(
            self,
            Ty::Unknown | Ty::PodStatus | Ty::JobStatus | Ty::CronJobStatus | Ty::Volume
        )
    }
}

/// A field's Go type, as far as the table needs it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// `string` (and string-typed enums).
    Str,
    Int32,
    Int64,
    Bool,
    /// `intstr.IntOrString`.
    IntOrString,
    /// `resource.Quantity`: a string or a number in JSON.
    Quantity,
    /// `metav1.Time`: a string in JSON, `null` when zero.
    Time,
    /// `map[string]string`.
    StringMap,
    /// `map[string]resource.Quantity` (`ResourceList`).
    QuantityMap,
    /// `[]string`.
    StringList,
    /// A struct the table describes.
    Struct(Ty),
    /// A struct the table does not describe.
    Opaque,
    /// A slice of structs the table describes.
    List(Ty),
    /// A slice of structs the table does not describe.
    OpaqueList,
}

/// A list field's `patchStrategy` (strategic merge patch).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Patch {
    /// No strategy: the patch's list replaces the original's.
    Replace,
    /// `patchStrategy:"merge"`: lists of structs merge by this `patchMergeKey`, lists of
    /// scalars (`None`) as sets.
    Merge(Option<&'static str>),
}

/// One field of a Go struct.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Field {
    /// The JSON name (the tag's name).
    pub json: &'static str,
    pub kind: Kind,
    /// A Go pointer (`*T`): nil is not the zero value.
    pub pointer: bool,
    /// The tag says `omitempty`.
    pub omitempty: bool,
    pub patch: Patch,
}

impl Field {
    /// The Go field name (`HTTPGet` for `httpGet`).
    pub fn go_name(&self) -> String {
        go_name(self.json)
    }

    /// The described element or struct type, `Ty::Unknown` for anything else.
    pub fn ty(&self) -> Ty {
        match self.kind {
            Kind::Struct(t) | Kind::List(t) => t,
            _ => Ty::Unknown,
        }
    }

    /// A `map[string]…` field: its keys are data, not field names.
    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::StringMap | Kind::QuantityMap)
    }

    const fn merge(self, key: &'static str) -> Field {
        Field {
            patch: Patch::Merge(Some(key)),
            ..self
        }
    }

    const fn merge_set(self) -> Field {
        Field {
            patch: Patch::Merge(None),
            ..self
        }
    }
}

const fn field(json: &'static str, kind: Kind, pointer: bool, omitempty: bool) -> Field {
    Field {
        json,
        kind,
        pointer,
        omitempty,
        patch: Patch::Replace,
    }
}

/// `T json:",omitempty"`.
const fn omit(json: &'static str, kind: Kind) -> Field {
    field(json, kind, false, true)
}

/// `*T json:",omitempty"`.
const fn ptr(json: &'static str, kind: Kind) -> Field {
    field(json, kind, true, true)
}

/// `T json:""`: always written, its zero value when unset.
const fn req(json: &'static str, kind: Kind) -> Field {
    field(json, kind, false, false)
}

/// A struct-valued `T json:",omitempty"` (Go writes a struct even so).
const fn val(json: &'static str, kind: Kind) -> Field {
    omit(json, kind)
}

/// The Go field name of a Kubernetes JSON field: the JSON name with its first letter
/// upper-cased, but for the initialisms and renames of `k8s.io/api` listed here. Used for
/// fields the table does not describe too (a pod's `securityContext.fsGroup`).
pub fn go_name(json: &str) -> String {
    const EXCEPTIONS: &[(&str, &str)] = &[
        ("httpGet", "HTTPGet"),
        ("tcpSocket", "TCPSocket"),
        ("grpc", "GRPC"),
        ("dnsConfig", "DNSConfig"),
        ("dnsPolicy", "DNSPolicy"),
        ("fsGroup", "FSGroup"),
        ("fsGroupChangePolicy", "FSGroupChangePolicy"),
        ("seLinuxOptions", "SELinuxOptions"),
        ("seLinuxChangePolicy", "SELinuxChangePolicy"),
        ("serviceAccount", "DeprecatedServiceAccount"),
        ("uid", "UID"),
        ("tty", "TTY"),
        ("os", "OS"),
        ("ip", "IP"),
        ("iscsi", "ISCSI"),
        ("nfs", "NFS"),
        ("rbd", "RBD"),
        ("cephfs", "CephFS"),
        ("fc", "FC"),
        ("csi", "CSI"),
        ("gcePersistentDisk", "GCEPersistentDisk"),
        ("awsElasticBlockStore", "AWSElasticBlockStore"),
        ("apiVersion", "APIVersion"),
        ("gmsaCredentialSpec", "GMSACredentialSpec"),
        ("gmsaCredentialSpecName", "GMSACredentialSpecName"),
        ("storageos", "StorageOS"),
        ("targetWWNs", "TargetWWNs"),
        ("wwids", "WWIDs"),
        ("iqn", "IQN"),
        ("fsType", "FSType"),
        ("volumeID", "VolumeID"),
        ("pdID", "PDID"),
        ("podIP", "PodIP"),
        ("hostIP", "HostIP"),
    ];
    if let Some((_, g)) = EXCEPTIONS.iter().find(|(j, _)| *j == json) {
        return (*g).to_string();
    }
    let mut c = json.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A type's fields sorted by JSON name, for lookups.
fn by_name(ty: Ty) -> &'static [&'static Field] {
    static SORTED: [OnceLock<Box<[&'static Field]>>; Ty::COUNT] =
        [const { OnceLock::new() }; Ty::COUNT];
    SORTED[ty as usize].get_or_init(|| {
        let mut sorted: Box<[&'static Field]> = fields(ty).iter().collect();
        sorted.sort_unstable_by_key(|f| f.json);
        sorted
    })
}

use Kind::*;

const OBJECT_META: &[Field] = &[
    omit("name", Str),
    omit("generateName", Str),
    omit("namespace", Str),
    omit("selfLink", Str),
    omit("uid", Str),
    omit("resourceVersion", Str),
    omit("generation", Int64),
    omit("creationTimestamp", Time),
    ptr("deletionTimestamp", Time),
    ptr("deletionGracePeriodSeconds", Int64),
    omit("labels", StringMap),
    omit("annotations", StringMap),
    omit("ownerReferences", OpaqueList).merge("uid"),
    omit("finalizers", StringList).merge_set(),
    omit("managedFields", OpaqueList),
];

const LIST_META: &[Field] = &[
    omit("selfLink", Str),
    omit("resourceVersion", Str),
    omit("continue", Str),
    ptr("remainingItemCount", Int64),
];

const LABEL_SELECTOR: &[Field] = &[
    omit("matchLabels", StringMap),
    omit("matchExpressions", List(Ty::LabelSelectorRequirement)),
];

const LABEL_SELECTOR_REQUIREMENT: &[Field] = &[
    req("key", Str),
    req("operator", Str),
    omit("values", StringList),
];

const POD: &[Field] = &[
    omit("apiVersion", Str),
    omit("kind", Str),
    val("metadata", Struct(Ty::ObjectMeta)),
    val("spec", Struct(Ty::PodSpec)),
    val("status", Struct(Ty::PodStatus)),
];

/// Only what the merge needs; the rest is kept as it is.
const POD_STATUS: &[Field] = &[omit("conditions", OpaqueList).merge("type")];

const POD_TEMPLATE_SPEC: &[Field] = &[
    val("metadata", Struct(Ty::ObjectMeta)),
    val("spec", Struct(Ty::PodSpec)),
];

const POD_SPEC: &[Field] = &[
    omit("volumes", List(Ty::Volume)).merge("name"),
    omit("initContainers", List(Ty::Container)).merge("name"),
    req("containers", List(Ty::Container)).merge("name"),
    // `EphemeralContainer`: a `Container` and its `targetContainerName`.
    omit("ephemeralContainers", List(Ty::Container)).merge("name"),
    omit("restartPolicy", Str),
    ptr("terminationGracePeriodSeconds", Int64),
    ptr("activeDeadlineSeconds", Int64),
    omit("dnsPolicy", Str),
    omit("nodeSelector", StringMap),
    omit("serviceAccountName", Str),
    omit("serviceAccount", Str),
    ptr("automountServiceAccountToken", Bool),
    omit("nodeName", Str),
    omit("hostNetwork", Bool),
    omit("hostPID", Bool),
    omit("hostIPC", Bool),
    ptr("shareProcessNamespace", Bool),
    ptr("securityContext", Opaque),
    omit("imagePullSecrets", List(Ty::LocalObjectReference)).merge("name"),
    omit("hostname", Str),
    omit("subdomain", Str),
    ptr("affinity", Opaque),
    omit("schedulerName", Str),
    omit("tolerations", OpaqueList),
    omit("hostAliases", OpaqueList).merge("ip"),
    omit("priorityClassName", Str),
    ptr("priority", Int32),
    ptr("dnsConfig", Opaque),
    omit("readinessGates", OpaqueList),
    ptr("runtimeClassName", Str),
    ptr("enableServiceLinks", Bool),
    ptr("preemptionPolicy", Str),
    omit("overhead", QuantityMap),
    omit("topologySpreadConstraints", OpaqueList).merge("topologyKey"),
    ptr("setHostnameAsFQDN", Bool),
    ptr("os", Opaque),
    ptr("hostUsers", Bool),
    omit("schedulingGates", OpaqueList).merge("name"),
    omit("resourceClaims", OpaqueList).merge("name"),
    ptr("resources", Opaque),
    ptr("hostnameOverride", Str),
];

const CONTAINER: &[Field] = &[
    req("name", Str),
    omit("image", Str),
    omit("command", StringList),
    omit("args", StringList),
    omit("workingDir", Str),
    omit("ports", List(Ty::ContainerPort)).merge("containerPort"),
    omit("envFrom", OpaqueList),
    omit("env", List(Ty::EnvVar)).merge("name"),
    val("resources", Struct(Ty::ResourceRequirements)),
    omit("resizePolicy", OpaqueList),
    ptr("restartPolicy", Str),
    omit("restartPolicyRules", OpaqueList),
    omit("volumeMounts", List(Ty::VolumeMount)).merge("mountPath"),
    omit("volumeDevices", OpaqueList).merge("devicePath"),
    ptr("livenessProbe", Struct(Ty::Probe)),
    ptr("readinessProbe", Struct(Ty::Probe)),
    ptr("startupProbe", Struct(Ty::Probe)),
    ptr("lifecycle", Struct(Ty::Lifecycle)),
    omit("terminationMessagePath", Str),
    omit("terminationMessagePolicy", Str),
    omit("imagePullPolicy", Str),
    ptr("securityContext", Struct(Ty::SecurityContext)),
    omit("stdin", Bool),
    omit("stdinOnce", Bool),
    omit("tty", Bool),
];

const CONTAINER_PORT: &[Field] = &[
    omit("name", Str),
    omit("hostPort", Int32),
    req("containerPort", Int32),
    omit("protocol", Str),
    omit("hostIP", Str),
];

const ENV_VAR: &[Field] = &[
    req("name", Str),
    omit("value", Str),
    ptr("valueFrom", Struct(Ty::EnvVarSource)),
];

const ENV_VAR_SOURCE: &[Field] = &[
    ptr("fieldRef", Struct(Ty::ObjectFieldSelector)),
    ptr("resourceFieldRef", Struct(Ty::ResourceFieldSelector)),
    ptr("configMapKeyRef", Struct(Ty::KeySelector)),
    ptr("secretKeyRef", Struct(Ty::KeySelector)),
    ptr("fileKeyRef", Opaque),
];

const OBJECT_FIELD_SELECTOR: &[Field] = &[omit("apiVersion", Str), req("fieldPath", Str)];

const RESOURCE_FIELD_SELECTOR: &[Field] = &[
    omit("containerName", Str),
    req("resource", Str),
    omit("divisor", Quantity),
];

const KEY_SELECTOR: &[Field] = &[omit("name", Str), req("key", Str), ptr("optional", Bool)];

const RESOURCE_REQUIREMENTS: &[Field] = &[
    omit("limits", QuantityMap),
    omit("requests", QuantityMap),
    omit("claims", OpaqueList),
];

const VOLUME_MOUNT: &[Field] = &[
    req("name", Str),
    omit("readOnly", Bool),
    ptr("recursiveReadOnly", Str),
    req("mountPath", Str),
    omit("subPath", Str),
    ptr("mountPropagation", Str),
    omit("subPathExpr", Str),
];

const PROBE: &[Field] = &[
    ptr("exec", Struct(Ty::Exec)),
    ptr("httpGet", Struct(Ty::HttpGet)),
    ptr("tcpSocket", Struct(Ty::TcpSocket)),
    ptr("grpc", Struct(Ty::Grpc)),
    omit("initialDelaySeconds", Int32),
    omit("timeoutSeconds", Int32),
    omit("periodSeconds", Int32),
    omit("successThreshold", Int32),
    omit("failureThreshold", Int32),
    ptr("terminationGracePeriodSeconds", Int64),
];

const HTTP_GET: &[Field] = &[
    omit("path", Str),
    req("port", IntOrString),
    omit("host", Str),
    omit("scheme", Str),
    omit("httpHeaders", List(Ty::HttpHeader)),
];

const HTTP_HEADER: &[Field] = &[req("name", Str), req("value", Str)];

const TCP_SOCKET: &[Field] = &[req("port", IntOrString), omit("host", Str)];

const GRPC: &[Field] = &[req("port", Int32), ptr("service", Str)];

const EXEC: &[Field] = &[omit("command", StringList)];

const PROBER: &[Field] = &[
    ptr("httpGet", Struct(Ty::HttpGet)),
    ptr("tcpSocket", Struct(Ty::TcpSocket)),
    ptr("grpc", Struct(Ty::Grpc)),
    omit("timeoutSeconds", Int32),
];

const LIFECYCLE: &[Field] = &[
    ptr("postStart", Struct(Ty::LifecycleHandler)),
    ptr("preStop", Struct(Ty::LifecycleHandler)),
    ptr("stopSignal", Str),
];

const LIFECYCLE_HANDLER: &[Field] = &[
    ptr("exec", Struct(Ty::Exec)),
    ptr("httpGet", Struct(Ty::HttpGet)),
    ptr("tcpSocket", Struct(Ty::TcpSocket)),
    ptr("sleep", Opaque),
];

const SECURITY_CONTEXT: &[Field] = &[
    ptr("capabilities", Struct(Ty::Capabilities)),
    ptr("privileged", Bool),
    ptr("seLinuxOptions", Opaque),
    ptr("windowsOptions", Opaque),
    ptr("runAsUser", Int64),
    ptr("runAsGroup", Int64),
    ptr("runAsNonRoot", Bool),
    ptr("readOnlyRootFilesystem", Bool),
    ptr("allowPrivilegeEscalation", Bool),
    ptr("procMount", Str),
    ptr("seccompProfile", Opaque),
    ptr("appArmorProfile", Opaque),
];

const CAPABILITIES: &[Field] = &[omit("add", StringList), omit("drop", StringList)];

/// The volume sources the injector's templates and checks read; the others are kept as
/// they are.
const VOLUME: &[Field] = &[
    req("name", Str),
    ptr("hostPath", Struct(Ty::HostPath)),
    ptr("emptyDir", Struct(Ty::EmptyDir)),
    ptr("secret", Struct(Ty::SecretVolume)),
    ptr("persistentVolumeClaim", Struct(Ty::PvcSource)),
    ptr("downwardAPI", Struct(Ty::DownwardApiVolume)),
    ptr("configMap", Struct(Ty::ConfigMapVolume)),
    ptr("projected", Struct(Ty::Projected)),
    ptr("csi", Struct(Ty::Csi)),
];

const EMPTY_DIR: &[Field] = &[omit("medium", Str), ptr("sizeLimit", Quantity)];

const HOST_PATH: &[Field] = &[req("path", Str), ptr("type", Str)];

const SECRET_VOLUME: &[Field] = &[
    omit("secretName", Str),
    omit("items", List(Ty::KeyToPath)),
    ptr("defaultMode", Int32),
    ptr("optional", Bool),
];

const CONFIG_MAP_VOLUME: &[Field] = &[
    omit("name", Str),
    omit("items", List(Ty::KeyToPath)),
    ptr("defaultMode", Int32),
    ptr("optional", Bool),
];

const CONFIG_MAP_PROJECTION: &[Field] = &[
    omit("name", Str),
    omit("items", List(Ty::KeyToPath)),
    ptr("optional", Bool),
];

const KEY_TO_PATH: &[Field] = &[req("key", Str), req("path", Str), ptr("mode", Int32)];

const DOWNWARD_API_VOLUME: &[Field] = &[
    omit("items", List(Ty::DownwardApiFile)),
    ptr("defaultMode", Int32),
];

const DOWNWARD_API_PROJECTION: &[Field] = &[omit("items", List(Ty::DownwardApiFile))];

const DOWNWARD_API_FILE: &[Field] = &[
    req("path", Str),
    ptr("fieldRef", Struct(Ty::ObjectFieldSelector)),
    ptr("resourceFieldRef", Struct(Ty::ResourceFieldSelector)),
    ptr("mode", Int32),
];

const PROJECTED: &[Field] = &[
    omit("sources", List(Ty::VolumeProjection)),
    ptr("defaultMode", Int32),
];

const VOLUME_PROJECTION: &[Field] = &[
    ptr("secret", Opaque),
    ptr("downwardAPI", Struct(Ty::DownwardApiProjection)),
    ptr("configMap", Struct(Ty::ConfigMapProjection)),
    ptr("serviceAccountToken", Struct(Ty::ServiceAccountToken)),
    ptr("clusterTrustBundle", Opaque),
    ptr("podCertificate", Opaque),
];

const SERVICE_ACCOUNT_TOKEN: &[Field] = &[
    omit("audience", Str),
    ptr("expirationSeconds", Int64),
    req("path", Str),
];

const CSI: &[Field] = &[
    req("driver", Str),
    ptr("readOnly", Bool),
    ptr("fsType", Str),
    omit("volumeAttributes", StringMap),
    ptr("nodePublishSecretRef", Opaque),
];

const PVC_SOURCE: &[Field] = &[req("claimName", Str), omit("readOnly", Bool)];

const LOCAL_OBJECT_REFERENCE: &[Field] = &[omit("name", Str)];

const DEPLOYMENT_SPEC: &[Field] = &[
    ptr("replicas", Int32),
    ptr("selector", Struct(Ty::LabelSelector)),
    val("template", Struct(Ty::PodTemplateSpec)),
    val("strategy", Struct(Ty::DeploymentStrategy)),
    omit("minReadySeconds", Int32),
    ptr("revisionHistoryLimit", Int32),
    omit("paused", Bool),
    ptr("progressDeadlineSeconds", Int32),
];

const DEPLOYMENT_STRATEGY: &[Field] = &[omit("type", Str), ptr("rollingUpdate", Opaque)];

const DEPLOYMENT_STATUS: &[Field] = &[
    omit("observedGeneration", Int64),
    omit("replicas", Int32),
    omit("updatedReplicas", Int32),
    omit("readyReplicas", Int32),
    omit("availableReplicas", Int32),
    omit("unavailableReplicas", Int32),
    ptr("terminatingReplicas", Int32),
    omit("conditions", OpaqueList),
    ptr("collisionCount", Int32),
];

const STATEFUL_SET_SPEC: &[Field] = &[
    ptr("replicas", Int32),
    ptr("selector", Struct(Ty::LabelSelector)),
    val("template", Struct(Ty::PodTemplateSpec)),
    omit("volumeClaimTemplates", OpaqueList),
    omit("serviceName", Str),
    omit("podManagementPolicy", Str),
    val("updateStrategy", Struct(Ty::StatefulSetUpdateStrategy)),
    ptr("revisionHistoryLimit", Int32),
    omit("minReadySeconds", Int32),
    ptr("persistentVolumeClaimRetentionPolicy", Opaque),
    ptr("ordinals", Opaque),
];

const STATEFUL_SET_UPDATE_STRATEGY: &[Field] = &[omit("type", Str), ptr("rollingUpdate", Opaque)];

const STATEFUL_SET_STATUS: &[Field] = &[
    omit("observedGeneration", Int64),
    req("replicas", Int32),
    omit("readyReplicas", Int32),
    omit("currentReplicas", Int32),
    omit("updatedReplicas", Int32),
    omit("currentRevision", Str),
    omit("updateRevision", Str),
    ptr("collisionCount", Int32),
    omit("conditions", OpaqueList),
    req("availableReplicas", Int32),
];

const DAEMON_SET_SPEC: &[Field] = &[
    ptr("selector", Struct(Ty::LabelSelector)),
    val("template", Struct(Ty::PodTemplateSpec)),
    val("updateStrategy", Struct(Ty::DaemonSetUpdateStrategy)),
    omit("minReadySeconds", Int32),
    ptr("revisionHistoryLimit", Int32),
];

const DAEMON_SET_STATUS: &[Field] = &[
    req("currentNumberScheduled", Int32),
    req("numberMisscheduled", Int32),
    req("desiredNumberScheduled", Int32),
    req("numberReady", Int32),
    omit("observedGeneration", Int64),
    omit("updatedNumberScheduled", Int32),
    omit("numberAvailable", Int32),
    omit("numberUnavailable", Int32),
    ptr("collisionCount", Int32),
    omit("conditions", OpaqueList),
];

const REPLICA_SET_SPEC: &[Field] = &[
    ptr("replicas", Int32),
    omit("minReadySeconds", Int32),
    ptr("selector", Struct(Ty::LabelSelector)),
    val("template", Struct(Ty::PodTemplateSpec)),
];

const REPLICA_SET_STATUS: &[Field] = &[
    req("replicas", Int32),
    omit("fullyLabeledReplicas", Int32),
    omit("readyReplicas", Int32),
    omit("availableReplicas", Int32),
    ptr("terminatingReplicas", Int32),
    omit("observedGeneration", Int64),
    omit("conditions", OpaqueList),
];

const REPLICATION_CONTROLLER_STATUS: &[Field] = &[
    req("replicas", Int32),
    omit("fullyLabeledReplicas", Int32),
    omit("readyReplicas", Int32),
    omit("availableReplicas", Int32),
    omit("observedGeneration", Int64),
    omit("conditions", OpaqueList),
];

const REPLICATION_CONTROLLER_SPEC: &[Field] = &[
    ptr("replicas", Int32),
    omit("minReadySeconds", Int32),
    omit("selector", StringMap),
    ptr("template", Struct(Ty::PodTemplateSpec)),
];

const JOB_SPEC: &[Field] = &[
    ptr("parallelism", Int32),
    ptr("completions", Int32),
    ptr("activeDeadlineSeconds", Int64),
    ptr("podFailurePolicy", Opaque),
    ptr("successPolicy", Opaque),
    ptr("backoffLimit", Int32),
    ptr("backoffLimitPerIndex", Int32),
    ptr("maxFailedIndexes", Int32),
    ptr("selector", Struct(Ty::LabelSelector)),
    ptr("manualSelector", Bool),
    val("template", Struct(Ty::PodTemplateSpec)),
    ptr("ttlSecondsAfterFinished", Int32),
    ptr("completionMode", Str),
    ptr("suspend", Bool),
    ptr("podReplacementPolicy", Str),
    ptr("managedBy", Str),
];

const CRON_JOB_SPEC: &[Field] = &[
    req("schedule", Str),
    ptr("timeZone", Str),
    ptr("startingDeadlineSeconds", Int64),
    omit("concurrencyPolicy", Str),
    ptr("suspend", Bool),
    val("jobTemplate", Struct(Ty::JobTemplateSpec)),
    ptr("successfulJobsHistoryLimit", Int32),
    ptr("failedJobsHistoryLimit", Int32),
];

const JOB_TEMPLATE_SPEC: &[Field] = &[
    val("metadata", Struct(Ty::ObjectMeta)),
    val("spec", Struct(Ty::JobSpec)),
];

const DEPLOYMENT_CONFIG_SPEC: &[Field] = &[
    val("strategy", Struct(Ty::DeploymentConfigStrategy)),
    omit("minReadySeconds", Int32),
    req("triggers", OpaqueList),
    req("replicas", Int32),
    ptr("revisionHistoryLimit", Int32),
    req("test", Bool),
    omit("paused", Bool),
    omit("selector", StringMap),
    ptr("template", Struct(Ty::PodTemplateSpec)),
];

const DEPLOYMENT_CONFIG_STRATEGY: &[Field] = &[
    omit("type", Str),
    ptr("customParams", Opaque),
    ptr("recreateParams", Opaque),
    ptr("rollingParams", Opaque),
    val("resources", Struct(Ty::ResourceRequirements)),
    omit("labels", StringMap),
    omit("annotations", StringMap),
    ptr("activeDeadlineSeconds", Int64),
];

const DEPLOYMENT_CONFIG_STATUS: &[Field] = &[
    req("latestVersion", Int64),
    req("observedGeneration", Int64),
    req("replicas", Int32),
    req("updatedReplicas", Int32),
    req("availableReplicas", Int32),
    req("unavailableReplicas", Int32),
    ptr("details", Opaque),
    omit("conditions", OpaqueList),
    omit("readyReplicas", Int32),
];

const LIST: &[Field] = &[
    omit("apiVersion", Str),
    omit("kind", Str),
    val("metadata", Struct(Ty::ListMeta)),
    req("items", OpaqueList),
];

/// Nothing is described.
const NONE: &[Field] = &[];

/// A workload: `TypeMeta`, `ObjectMeta`, its spec and status.
const fn workload(spec: Ty, status: Ty) -> [Field; 5] {
    [
        omit("apiVersion", Str),
        omit("kind", Str),
        val("metadata", Struct(Ty::ObjectMeta)),
        val("spec", Struct(spec)),
        val("status", Struct(status)),
    ]
}

const DEPLOYMENT: &[Field] = &workload(Ty::DeploymentSpec, Ty::DeploymentStatus);
const STATEFUL_SET: &[Field] = &workload(Ty::StatefulSetSpec, Ty::StatefulSetStatus);
const DAEMON_SET: &[Field] = &workload(Ty::DaemonSetSpec, Ty::DaemonSetStatus);
const REPLICA_SET: &[Field] = &workload(Ty::ReplicaSetSpec, Ty::ReplicaSetStatus);
const REPLICATION_CONTROLLER: &[Field] = &workload(
    Ty::ReplicationControllerSpec,
    Ty::ReplicationControllerStatus,
);
const JOB: &[Field] = &workload(Ty::JobSpec, Ty::JobStatus);
const CRON_JOB: &[Field] = &workload(Ty::CronJobSpec, Ty::CronJobStatus);
const DEPLOYMENT_CONFIG: &[Field] = &workload(Ty::DeploymentConfigSpec, Ty::DeploymentConfigStatus);

fn fields(ty: Ty) -> &'static [Field] {
    match ty {
        Ty::Unknown | Ty::JobStatus | Ty::CronJobStatus => NONE,
        Ty::ObjectMeta => OBJECT_META,
        Ty::ListMeta => LIST_META,
        Ty::LabelSelector => LABEL_SELECTOR,
        Ty::LabelSelectorRequirement => LABEL_SELECTOR_REQUIREMENT,
        Ty::Pod => POD,
        Ty::PodStatus => POD_STATUS,
        Ty::PodTemplateSpec => POD_TEMPLATE_SPEC,
        Ty::PodSpec => POD_SPEC,
        Ty::Container => CONTAINER,
        Ty::ContainerPort => CONTAINER_PORT,
        Ty::EnvVar => ENV_VAR,
        Ty::EnvVarSource => ENV_VAR_SOURCE,
        Ty::ObjectFieldSelector => OBJECT_FIELD_SELECTOR,
        Ty::ResourceFieldSelector => RESOURCE_FIELD_SELECTOR,
        Ty::KeySelector => KEY_SELECTOR,
        Ty::ResourceRequirements => RESOURCE_REQUIREMENTS,
        Ty::VolumeMount => VOLUME_MOUNT,
        Ty::Probe => PROBE,
        Ty::HttpGet => HTTP_GET,
        Ty::HttpHeader => HTTP_HEADER,
        Ty::TcpSocket => TCP_SOCKET,
        Ty::Grpc => GRPC,
        Ty::Exec => EXEC,
        Ty::Prober => PROBER,
        Ty::Lifecycle => LIFECYCLE,
        Ty::LifecycleHandler => LIFECYCLE_HANDLER,
        Ty::SecurityContext => SECURITY_CONTEXT,
        Ty::Capabilities => CAPABILITIES,
        Ty::Volume => VOLUME,
        Ty::EmptyDir => EMPTY_DIR,
        Ty::HostPath => HOST_PATH,
        Ty::SecretVolume => SECRET_VOLUME,
        Ty::ConfigMapVolume => CONFIG_MAP_VOLUME,
        Ty::ConfigMapProjection => CONFIG_MAP_PROJECTION,
        Ty::KeyToPath => KEY_TO_PATH,
        Ty::DownwardApiVolume => DOWNWARD_API_VOLUME,
        Ty::DownwardApiProjection => DOWNWARD_API_PROJECTION,
        Ty::DownwardApiFile => DOWNWARD_API_FILE,
        Ty::Projected => PROJECTED,
        Ty::VolumeProjection => VOLUME_PROJECTION,
        Ty::ServiceAccountToken => SERVICE_ACCOUNT_TOKEN,
        Ty::Csi => CSI,
        Ty::PvcSource => PVC_SOURCE,
        Ty::LocalObjectReference => LOCAL_OBJECT_REFERENCE,
        Ty::Deployment => DEPLOYMENT,
        Ty::DeploymentSpec => DEPLOYMENT_SPEC,
        Ty::DeploymentStrategy => DEPLOYMENT_STRATEGY,
        Ty::DeploymentStatus => DEPLOYMENT_STATUS,
        Ty::StatefulSet => STATEFUL_SET,
        Ty::StatefulSetSpec => STATEFUL_SET_SPEC,
        Ty::StatefulSetUpdateStrategy | Ty::DaemonSetUpdateStrategy => STATEFUL_SET_UPDATE_STRATEGY,
        Ty::StatefulSetStatus => STATEFUL_SET_STATUS,
        Ty::DaemonSet => DAEMON_SET,
        Ty::DaemonSetSpec => DAEMON_SET_SPEC,
        Ty::DaemonSetStatus => DAEMON_SET_STATUS,
        Ty::ReplicaSet => REPLICA_SET,
        Ty::ReplicaSetSpec => REPLICA_SET_SPEC,
        Ty::ReplicaSetStatus => REPLICA_SET_STATUS,
        Ty::ReplicationController => REPLICATION_CONTROLLER,
        Ty::ReplicationControllerSpec => REPLICATION_CONTROLLER_SPEC,
        Ty::ReplicationControllerStatus => REPLICATION_CONTROLLER_STATUS,
        Ty::Job => JOB,
        Ty::JobSpec => JOB_SPEC,
        Ty::CronJob => CRON_JOB,
        Ty::CronJobSpec => CRON_JOB_SPEC,
        Ty::JobTemplateSpec => JOB_TEMPLATE_SPEC,
        Ty::DeploymentConfig => DEPLOYMENT_CONFIG,
        Ty::DeploymentConfigSpec => DEPLOYMENT_CONFIG_SPEC,
        Ty::DeploymentConfigStrategy => DEPLOYMENT_CONFIG_STRATEGY,
        Ty::DeploymentConfigStatus => DEPLOYMENT_CONFIG_STATUS,
        Ty::List => LIST,
    }
}

/// The Go struct names (k8s-openapi's too) a table stands for; empty for a type outside
/// `k8s.io/api` (Istio's `Prober`, OpenShift's `DeploymentConfig`, the generic `List`).
fn go_names(ty: Ty) -> &'static [&'static str] {
    match ty {
        Ty::Unknown | Ty::Prober | Ty::List => &[],
        Ty::DeploymentConfig
        | Ty::DeploymentConfigSpec
        | Ty::DeploymentConfigStrategy
        | Ty::DeploymentConfigStatus => &[],
        Ty::ObjectMeta => &["ObjectMeta"],
        Ty::ListMeta => &["ListMeta"],
        Ty::LabelSelector => &["LabelSelector"],
        Ty::LabelSelectorRequirement => &["LabelSelectorRequirement"],
        Ty::Pod => &["Pod"],
        Ty::PodStatus => &["PodStatus"],
        Ty::PodTemplateSpec => &["PodTemplateSpec"],
        Ty::PodSpec => &["PodSpec"],
        Ty::Container => &["Container", "EphemeralContainer"],
        Ty::ContainerPort => &["ContainerPort"],
        Ty::EnvVar => &["EnvVar"],
        Ty::EnvVarSource => &["EnvVarSource"],
        Ty::ObjectFieldSelector => &["ObjectFieldSelector"],
        Ty::ResourceFieldSelector => &["ResourceFieldSelector"],
        Ty::KeySelector => &["ConfigMapKeySelector", "SecretKeySelector"],
        Ty::ResourceRequirements => &["ResourceRequirements"],
        Ty::VolumeMount => &["VolumeMount"],
        Ty::Probe => &["Probe"],
        Ty::HttpGet => &["HTTPGetAction"],
        Ty::HttpHeader => &["HTTPHeader"],
        Ty::TcpSocket => &["TCPSocketAction"],
        Ty::Grpc => &["GRPCAction"],
        Ty::Exec => &["ExecAction"],
        Ty::Lifecycle => &["Lifecycle"],
        Ty::LifecycleHandler => &["LifecycleHandler"],
        Ty::SecurityContext => &["SecurityContext"],
        Ty::Capabilities => &["Capabilities"],
        Ty::Volume => &["Volume"],
        Ty::EmptyDir => &["EmptyDirVolumeSource"],
        Ty::HostPath => &["HostPathVolumeSource"],
        Ty::SecretVolume => &["SecretVolumeSource"],
        Ty::ConfigMapVolume => &["ConfigMapVolumeSource"],
        Ty::ConfigMapProjection => &["ConfigMapProjection"],
        Ty::KeyToPath => &["KeyToPath"],
        Ty::DownwardApiVolume => &["DownwardAPIVolumeSource"],
        Ty::DownwardApiProjection => &["DownwardAPIProjection"],
        Ty::DownwardApiFile => &["DownwardAPIVolumeFile"],
        Ty::Projected => &["ProjectedVolumeSource"],
        Ty::VolumeProjection => &["VolumeProjection"],
        Ty::ServiceAccountToken => &["ServiceAccountTokenProjection"],
        Ty::Csi => &["CSIVolumeSource"],
        Ty::PvcSource => &["PersistentVolumeClaimVolumeSource"],
        Ty::LocalObjectReference => &["LocalObjectReference"],
        Ty::Deployment => &["Deployment"],
        Ty::DeploymentSpec => &["DeploymentSpec"],
        Ty::DeploymentStrategy => &["DeploymentStrategy"],
        Ty::DeploymentStatus => &["DeploymentStatus"],
        Ty::StatefulSet => &["StatefulSet"],
        Ty::StatefulSetSpec => &["StatefulSetSpec"],
        Ty::StatefulSetUpdateStrategy => &["StatefulSetUpdateStrategy"],
        Ty::StatefulSetStatus => &["StatefulSetStatus"],
        Ty::DaemonSet => &["DaemonSet"],
        Ty::DaemonSetSpec => &["DaemonSetSpec"],
        Ty::DaemonSetUpdateStrategy => &["DaemonSetUpdateStrategy"],
        Ty::DaemonSetStatus => &["DaemonSetStatus"],
        Ty::ReplicaSet => &["ReplicaSet"],
        Ty::ReplicaSetSpec => &["ReplicaSetSpec"],
        Ty::ReplicaSetStatus => &["ReplicaSetStatus"],
        Ty::ReplicationController => &["ReplicationController"],
        Ty::ReplicationControllerSpec => &["ReplicationControllerSpec"],
        Ty::ReplicationControllerStatus => &["ReplicationControllerStatus"],
        Ty::Job => &["Job"],
        Ty::JobSpec => &["JobSpec"],
        Ty::JobStatus => &["JobStatus"],
        Ty::CronJob => &["CronJob"],
        Ty::CronJobSpec => &["CronJobSpec"],
        Ty::JobTemplateSpec => &["JobTemplateSpec"],
        Ty::CronJobStatus => &["CronJobStatus"],
    }
}

#[cfg(test)]
mod tests {
    //! The table held against k8s-openapi's types: their `Deserialize` impls name every
    //! field (`deserialize_struct`'s list) and ask for each field's type, which a probing
    //! deserializer records.

    use std::fmt;

    use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

    use super::*;

    /// What a type's `Deserialize` asked for.
    #[derive(Debug, Clone, PartialEq)]
    enum Shape {
        Str,
        I32,
        I64,
        Bool,
        /// `deserialize_any` (k8s-openapi's `IntOrString`).
        Any,
        Option(Box<Shape>),
        Seq(Box<Shape>),
        Map(Box<Shape>),
        Struct(&'static str, &'static [&'static str]),
        Newtype(&'static str),
        Other(&'static str),
    }

    /// The probe's way out: the shape found, or a message from the type's own code.
    #[derive(Debug)]
    enum Stop {
        Shape(Shape),
        Message(String),
    }

    impl fmt::Display for Stop {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Stop::Shape(shape) => write!(f, "stopped at {shape:?}"),
                Stop::Message(message) => f.write_str(message),
            }
        }
    }

    impl std::error::Error for Stop {}

    impl de::Error for Stop {
        fn custom<T: fmt::Display>(msg: T) -> Self {
            Stop::Message(msg.to_string())
        }
    }

    fn found<T>(shape: Shape) -> Result<T, Stop> {
        Err(Stop::Shape(shape))
    }

    /// Runs `f`, expecting it to stop at a shape, and wraps that shape.
    fn nested<T>(
        wrap: fn(Box<Shape>) -> Shape,
        f: impl FnOnce() -> Result<T, Stop>,
    ) -> Result<T, Stop> {
        match f() {
            Err(Stop::Shape(inner)) => found(wrap(Box::new(inner))),
            Err(other) => Err(other),
            Ok(_) => Err(Stop::Message("the probe was not stopped".into())),
        }
    }

    /// Records the first thing a `Deserialize` impl asks for.
    struct Probe;

    macro_rules! leaf {
        ($($method:ident => $shape:expr),* $(,)?) => {$(
            fn $method<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
                found($shape)
            }
        )*};
    }

    impl<'de> de::Deserializer<'de> for Probe {
        type Error = Stop;

        leaf! {
            deserialize_any => Shape::Any,
            deserialize_bool => Shape::Bool,
            deserialize_i8 => Shape::Other("i8"),
            deserialize_i16 => Shape::Other("i16"),
            deserialize_i32 => Shape::I32,
            deserialize_i64 => Shape::I64,
            deserialize_u8 => Shape::Other("u8"),
            deserialize_u16 => Shape::Other("u16"),
            deserialize_u32 => Shape::Other("u32"),
            deserialize_u64 => Shape::Other("u64"),
            deserialize_f32 => Shape::Other("f32"),
            deserialize_f64 => Shape::Other("f64"),
            deserialize_char => Shape::Other("char"),
            deserialize_str => Shape::Str,
            deserialize_string => Shape::Str,
            deserialize_bytes => Shape::Other("bytes"),
            deserialize_byte_buf => Shape::Other("bytes"),
            deserialize_unit => Shape::Other("unit"),
            deserialize_identifier => Shape::Other("identifier"),
            deserialize_ignored_any => Shape::Other("ignored"),
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            nested(Shape::Option, || visitor.visit_some(Probe))
        }

        fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            nested(Shape::Seq, || visitor.visit_seq(OneElement))
        }

        fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
            nested(Shape::Map, || visitor.visit_map(OneEntry { key: "k" }))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            found(Shape::Struct(name, fields))
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            _: V,
        ) -> Result<V::Value, Stop> {
            found(Shape::Newtype(name))
        }

        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            _: V,
        ) -> Result<V::Value, Stop> {
            found(Shape::Other(name))
        }

        fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Stop> {
            found(Shape::Other("tuple"))
        }

        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            _: usize,
            _: V,
        ) -> Result<V::Value, Stop> {
            found(Shape::Other(name))
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            name: &'static str,
            _: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            found(Shape::Other(name))
        }
    }

    /// A sequence whose one element is probed.
    struct OneElement;

    impl<'de> de::SeqAccess<'de> for OneElement {
        type Error = Stop;
        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, Stop> {
            seed.deserialize(Probe).map(Some)
        }
    }

    /// A map with the one key `key`, whose value is probed.
    struct OneEntry {
        key: &'static str,
    }

    impl<'de> de::MapAccess<'de> for OneEntry {
        type Error = Stop;
        fn next_key_seed<K: DeserializeSeed<'de>>(
            &mut self,
            seed: K,
        ) -> Result<Option<K::Value>, Stop> {
            let key: de::value::StrDeserializer<'_, Stop> = self.key.into_deserializer();
            seed.deserialize(key).map(Some)
        }
        fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Stop> {
            seed.deserialize(Probe)
        }
    }

    /// A struct deserializer that hands its visitor one field, `key`, to probe.
    struct FieldProbe {
        key: &'static str,
    }

    impl<'de> de::Deserializer<'de> for FieldProbe {
        type Error = Stop;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            found(Shape::Any)
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Stop> {
            visitor.visit_map(OneEntry { key: self.key })
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    /// A k8s-openapi type's name, fields, and the shape of one field.
    struct K8s {
        name: &'static str,
        fields: &'static [&'static str],
        shape: fn(&'static str) -> Shape,
    }

    fn shape_of<T: DeserializeOwned>(field: &'static str) -> Shape {
        match T::deserialize(FieldProbe { key: field }) {
            Err(Stop::Shape(s)) => s,
            other => panic!(
                "{field}: the probe did not stop at a shape: {:?}",
                other.err()
            ),
        }
    }

    fn k8s<T: DeserializeOwned>() -> K8s {
        match T::deserialize(Probe) {
            Err(Stop::Shape(Shape::Struct(name, fields))) => K8s {
                name,
                fields,
                shape: shape_of::<T>,
            },
            other => panic!("not a struct: {:?}", other.err()),
        }
    }

    /// k8s-openapi's type of a Go struct name.
    fn k8s_type(name: &str) -> Option<K8s> {
        use k8s_openapi::api::apps::v1 as apps;
        use k8s_openapi::api::batch::v1 as batch;
        use k8s_openapi::api::core::v1 as core;
        use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
        Some(match name {
            "ObjectMeta" => k8s::<meta::ObjectMeta>(),
            "ListMeta" => k8s::<meta::ListMeta>(),
            "LabelSelector" => k8s::<meta::LabelSelector>(),
            "LabelSelectorRequirement" => k8s::<meta::LabelSelectorRequirement>(),
            "Pod" => k8s::<core::Pod>(),
            "PodStatus" => k8s::<core::PodStatus>(),
            "PodTemplateSpec" => k8s::<core::PodTemplateSpec>(),
            "PodSpec" => k8s::<core::PodSpec>(),
            "Container" => k8s::<core::Container>(),
            "EphemeralContainer" => k8s::<core::EphemeralContainer>(),
            "ContainerPort" => k8s::<core::ContainerPort>(),
            "EnvVar" => k8s::<core::EnvVar>(),
            "EnvVarSource" => k8s::<core::EnvVarSource>(),
            "ObjectFieldSelector" => k8s::<core::ObjectFieldSelector>(),
            "ResourceFieldSelector" => k8s::<core::ResourceFieldSelector>(),
            "ConfigMapKeySelector" => k8s::<core::ConfigMapKeySelector>(),
            "SecretKeySelector" => k8s::<core::SecretKeySelector>(),
            "ResourceRequirements" => k8s::<core::ResourceRequirements>(),
            "VolumeMount" => k8s::<core::VolumeMount>(),
            "Probe" => k8s::<core::Probe>(),
            "HTTPGetAction" => k8s::<core::HTTPGetAction>(),
            "HTTPHeader" => k8s::<core::HTTPHeader>(),
            "TCPSocketAction" => k8s::<core::TCPSocketAction>(),
            "GRPCAction" => k8s::<core::GRPCAction>(),
            "ExecAction" => k8s::<core::ExecAction>(),
            "Lifecycle" => k8s::<core::Lifecycle>(),
            "LifecycleHandler" => k8s::<core::LifecycleHandler>(),
            "SecurityContext" => k8s::<core::SecurityContext>(),
            "Capabilities" => k8s::<core::Capabilities>(),
            "Volume" => k8s::<core::Volume>(),
            "EmptyDirVolumeSource" => k8s::<core::EmptyDirVolumeSource>(),
            "HostPathVolumeSource" => k8s::<core::HostPathVolumeSource>(),
            "SecretVolumeSource" => k8s::<core::SecretVolumeSource>(),
            "ConfigMapVolumeSource" => k8s::<core::ConfigMapVolumeSource>(),
            "ConfigMapProjection" => k8s::<core::ConfigMapProjection>(),
            "KeyToPath" => k8s::<core::KeyToPath>(),
            "DownwardAPIVolumeSource" => k8s::<core::DownwardAPIVolumeSource>(),
            "DownwardAPIProjection" => k8s::<core::DownwardAPIProjection>(),
            "DownwardAPIVolumeFile" => k8s::<core::DownwardAPIVolumeFile>(),
            "ProjectedVolumeSource" => k8s::<core::ProjectedVolumeSource>(),
            "VolumeProjection" => k8s::<core::VolumeProjection>(),
            "ServiceAccountTokenProjection" => k8s::<core::ServiceAccountTokenProjection>(),
            "CSIVolumeSource" => k8s::<core::CSIVolumeSource>(),
            "PersistentVolumeClaimVolumeSource" => k8s::<core::PersistentVolumeClaimVolumeSource>(),
            "LocalObjectReference" => k8s::<core::LocalObjectReference>(),
            "ReplicationController" => k8s::<core::ReplicationController>(),
            "ReplicationControllerSpec" => k8s::<core::ReplicationControllerSpec>(),
            "ReplicationControllerStatus" => k8s::<core::ReplicationControllerStatus>(),
            "Deployment" => k8s::<apps::Deployment>(),
            "DeploymentSpec" => k8s::<apps::DeploymentSpec>(),
            "DeploymentStrategy" => k8s::<apps::DeploymentStrategy>(),
            "DeploymentStatus" => k8s::<apps::DeploymentStatus>(),
            "StatefulSet" => k8s::<apps::StatefulSet>(),
            "StatefulSetSpec" => k8s::<apps::StatefulSetSpec>(),
            "StatefulSetUpdateStrategy" => k8s::<apps::StatefulSetUpdateStrategy>(),
            "StatefulSetStatus" => k8s::<apps::StatefulSetStatus>(),
            "DaemonSet" => k8s::<apps::DaemonSet>(),
            "DaemonSetSpec" => k8s::<apps::DaemonSetSpec>(),
            "DaemonSetUpdateStrategy" => k8s::<apps::DaemonSetUpdateStrategy>(),
            "DaemonSetStatus" => k8s::<apps::DaemonSetStatus>(),
            "ReplicaSet" => k8s::<apps::ReplicaSet>(),
            "ReplicaSetSpec" => k8s::<apps::ReplicaSetSpec>(),
            "ReplicaSetStatus" => k8s::<apps::ReplicaSetStatus>(),
            "Job" => k8s::<batch::Job>(),
            "JobSpec" => k8s::<batch::JobSpec>(),
            "JobStatus" => k8s::<batch::JobStatus>(),
            "CronJob" => k8s::<batch::CronJob>(),
            "CronJobSpec" => k8s::<batch::CronJobSpec>(),
            "JobTemplateSpec" => k8s::<batch::JobTemplateSpec>(),
            "CronJobStatus" => k8s::<batch::CronJobStatus>(),
            _ => return None,
        })
    }

    /// Fields of Kubernetes releases after the one k8s-openapi is built for (1.33 here),
    /// which the table already knows: (type, field).
    const NEWER: &[(&str, &str)] = &[
        ("Container", "restartPolicyRules"),
        ("EphemeralContainer", "restartPolicyRules"),
        ("PodSpec", "hostnameOverride"),
        ("EnvVarSource", "fileKeyRef"),
        ("VolumeProjection", "podCertificate"),
    ];

    /// Fields of a complete type the table leaves undescribed (kept as they are): (type,
    /// field).
    const UNDESCRIBED: &[(&str, &str)] = &[
        // An `EphemeralContainer` is read as a `Container`.
        ("EphemeralContainer", "targetContainerName"),
    ];

    /// Whether k8s-openapi's shape of a field is the table's kind.
    fn agrees(kind: Kind, shape: &Shape) -> bool {
        let names = |t: Ty, name: &str| t.go_names().is_empty() || t.go_names().contains(&name);
        match (kind, shape) {
            (_, Shape::Option(inner)) => agrees(kind, inner),
            (Kind::Str, Shape::Str)
            | (Kind::Int32, Shape::I32)
            | (Kind::Int64, Shape::I64)
            | (Kind::Bool, Shape::Bool)
            | (Kind::IntOrString, Shape::Any)
            | (Kind::Quantity, Shape::Newtype("Quantity"))
            | (Kind::Time, Shape::Newtype("Time"))
            | (Kind::Opaque, Shape::Struct(..)) => true,
            (Kind::StringMap, Shape::Map(v)) => **v == Shape::Str,
            (Kind::QuantityMap, Shape::Map(v)) => **v == Shape::Newtype("Quantity"),
            (Kind::StringList, Shape::Seq(v)) => **v == Shape::Str,
            (Kind::Struct(t), Shape::Struct(name, _)) => names(t, name),
            (Kind::List(t), Shape::Seq(v)) => {
                matches!(**v, Shape::Struct(name, _) if names(t, name))
            }
            (Kind::OpaqueList, Shape::Seq(v)) => matches!(**v, Shape::Struct(..)),
            _ => false,
        }
    }

    #[test]
    fn table_agrees_with_k8s_openapi() {
        let mut problems = Vec::new();
        let mut checked = 0;
        for ty in reachable() {
            for go in ty.go_names() {
                let Some(k) = k8s_type(go) else {
                    problems.push(format!("{ty:?}: no k8s-openapi type {go} to check against"));
                    continue;
                };
                if k.name != *go {
                    problems.push(format!("{ty:?}: k8s-openapi calls {go} {}", k.name));
                }
                let newer = |f: &str| NEWER.contains(&(*go, f));
                if ty.complete() {
                    for f in k.fields {
                        if ty.field(f).is_none() && !UNDESCRIBED.contains(&(*go, *f)) {
                            problems.push(format!("{go}.{f}: missing from the table"));
                        }
                    }
                }
                for f in ty.fields() {
                    if !k.fields.contains(&f.json) {
                        if !newer(f.json) {
                            problems.push(format!("{go}.{}: not a field of {go}", f.json));
                        }
                        continue;
                    }
                    checked += 1;
                    let shape = (k.shape)(f.json);
                    if !agrees(f.kind, &shape) {
                        problems.push(format!(
                            "{go}.{}: table {:?}, k8s-openapi {shape:?}",
                            f.json, f.kind
                        ));
                    }
                    // A field k8s-openapi always writes is one Go always writes: not
                    // `omitempty` (a struct is written anyway; TypeMeta is k8s-openapi's).
                    let required = !matches!(shape, Shape::Option(_));
                    let typemeta = matches!(f.json, "apiVersion" | "kind");
                    if required && f.omitempty && !typemeta && !matches!(f.kind, Kind::Struct(_)) {
                        problems.push(format!(
                            "{go}.{}: required in k8s-openapi, omitempty in the table",
                            f.json
                        ));
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert!(checked > 300, "only {checked} fields checked");
    }

    /// Every type the table describes, from the objects the injector reads.
    fn reachable() -> Vec<Ty> {
        let mut seen = vec![
            Ty::Pod,
            Ty::Deployment,
            Ty::StatefulSet,
            Ty::DaemonSet,
            Ty::ReplicaSet,
            Ty::ReplicationController,
            Ty::Job,
            Ty::CronJob,
            Ty::DeploymentConfig,
            Ty::List,
            Ty::Prober,
        ];
        let mut i = 0;
        while let Some(ty) = seen.get(i).copied() {
            for f in ty.fields() {
                if let Kind::Struct(t) | Kind::List(t) = f.kind
                    && !seen.contains(&t)
                {
                    seen.push(t);
                }
            }
            i += 1;
        }
        seen
    }

    #[test]
    fn merge_keys_are_fields_of_the_element() {
        for ty in reachable() {
            for f in ty.fields() {
                if let (Patch::Merge(Some(key)), Kind::List(t)) = (f.patch, f.kind) {
                    assert!(t.field(key).is_some(), "{ty:?}.{}: merge key {key}", f.json);
                }
            }
        }
        assert_eq!(
            reachable().len(),
            Ty::COUNT - 1,
            "every type but Unknown is reached"
        );
    }

    #[test]
    fn go_names_follow_k8s_io_api() {
        for (json, go) in [
            ("httpGet", "HTTPGet"),
            ("serviceAccount", "DeprecatedServiceAccount"),
            ("containers", "Containers"),
            ("fsGroup", "FSGroup"),
        ] {
            assert_eq!(go_name(json), go);
        }
        let port = Ty::Container.field("ports").map(Field::go_name);
        assert_eq!(port.as_deref(), Some("Ports"));
    }
}
