//! Istio's (and Kubernetes') well-known names: labels, annotations, containers and
//! namespaces that the decision, the render, drift and cleanup all read or write. One
//! definition each; the reference (`istio-injection.md`) says where Istio defines them.

/// The label holding the revision a webhook configuration (or a namespace, or a pod) selects.
pub const REV_LABEL: &str = "istio.io/rev";
/// The label of a revision tag's webhook configuration (`istio-revision-tag-TAG`).
pub const TAG_LABEL: &str = "istio.io/tag";
/// The namespace label of the non-revisioned webhooks.
pub const INJECTION_LABEL: &str = "istio-injection";
/// The pod label (and, deprecated, annotation) that opts a pod in or out.
pub const INJECT_KEY: &str = "sidecar.istio.io/inject";
/// The label the API server sets on every namespace (Kubernetes ≥ 1.21); the `auto.` webhook
/// relies on it.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";
/// The never-matching label `istioctl` writes into deactivated webhooks.
pub const DEACTIVATED_LABEL: &str = "istio.io/deactivated";
pub const NEVER_MATCH: &str = "never-match";
/// Namespaces the injector never injects (Istio ≥ 1.9, `IgnoredNamespaces`).
pub const IGNORED_NAMESPACES: [&str; 4] = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "local-path-storage",
];
/// The pod annotation that overrides the injector's native-sidecar mode ("true"/"false").
pub const NATIVE_SIDECAR_ANNOTATION: &str = "sidecar.istio.io/nativeSidecar";
/// The annotation the injector writes on pods it injected: what it added, and its revision.
pub const STATUS_ANNOTATION: &str = "sidecar.istio.io/status";
/// The sidecar container the injector adds.
pub const PROXY_CONTAINER: &str = "istio-proxy";
/// The annotation `kubectl rollout restart` sets on a pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// The name of an injector webhook entry ends with this (istiod's caBundle patcher and
/// `istioctl` recognise them so).
pub const INJECTOR_WEBHOOK_SUFFIX: &str = "sidecar-injector.istio.io";
/// The default injector's ConfigMap and webhook configuration name; a revision appends `-REV`.
pub const INJECTOR_NAME: &str = "istio-sidecar-injector";
/// The mesh ConfigMap's name; a revision appends `-REV`.
pub const MESH_CONFIGMAP: &str = "istio";
