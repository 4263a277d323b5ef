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
/// The init container that sets up traffic redirection (iptables).
pub const INIT_CONTAINER: &str = "istio-init";
/// The init container that checks the CNI plugin set the redirection up.
pub const VALIDATION_CONTAINER: &str = "istio-validation";
/// The init container Istio's older templates add to allow core dumps.
pub const CORE_DUMP_CONTAINER: &str = "enable-core-dump";
/// The annotation recording the fields of `istio-proxy` a user's own container of that name
/// set, which the injector put back over the template's (Istio ≥ 1.13).
pub const OVERRIDES_ANNOTATION: &str = "proxy.istio.io/overrides";
/// The pod annotation overriding the mesh's default proxy config (YAML or JSON).
pub const PROXY_CONFIG_ANNOTATION: &str = "proxy.istio.io/config";
/// The pod annotation choosing the traffic interception mode (`REDIRECT`, `TPROXY`).
pub const INTERCEPTION_MODE_ANNOTATION: &str = "sidecar.istio.io/interceptionMode";
/// The pod annotation setting the proxy's status port.
pub const STATUS_PORT_ANNOTATION: &str = "status.sidecar.istio.io/port";
/// The pod annotation turning the rewrite of HTTP probes through the proxy on or off.
pub const REWRITE_PROBES_ANNOTATION: &str = "sidecar.istio.io/rewriteAppHTTPProbers";
/// The pod annotation choosing the proxy image's variant (`distroless`, `debug`, `default`).
pub const PROXY_IMAGE_TYPE_ANNOTATION: &str = "sidecar.istio.io/proxyImageType";
/// The pod annotations setting the proxy's CPU request and limit.
pub const PROXY_CPU_ANNOTATION: &str = "sidecar.istio.io/proxyCPU";
pub const PROXY_CPU_LIMIT_ANNOTATION: &str = "sidecar.istio.io/proxyCPULimit";
/// kubectl's default container for `exec`/`logs`, which the injector sets to the app's.
pub const DEFAULT_CONTAINER_ANNOTATION: &str = "kubectl.kubernetes.io/default-container";
pub const DEFAULT_LOGS_CONTAINER_ANNOTATION: &str = "kubectl.kubernetes.io/default-logs-container";
/// The pod labels the injector sets: the mTLS mode, the canonical service and revision, the
/// network, and the tunnel protocol.
pub const TLS_MODE_LABEL: &str = "security.istio.io/tlsMode";
pub const CANONICAL_NAME_LABEL: &str = "service.istio.io/canonical-name";
pub const CANONICAL_REVISION_LABEL: &str = "service.istio.io/canonical-revision";
pub const NETWORK_LABEL: &str = "topology.istio.io/network";
pub const TUNNEL_LABEL: &str = "networking.istio.io/tunnel";
/// The pod annotation naming the templates to inject (`inject.istio.io/templates`).
pub const TEMPLATES_ANNOTATION: &str = "inject.istio.io/templates";
/// The Prometheus scrape annotations the injector rewrites to point at the proxy's merged
/// metrics (`prometheus.io/…`).
pub const PROMETHEUS_SCRAPE: &str = "prometheus.io/scrape";
pub const PROMETHEUS_PORT: &str = "prometheus.io/port";
pub const PROMETHEUS_PATH: &str = "prometheus.io/path";
/// The annotation `kubectl rollout restart` sets on a pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// The name of an injector webhook entry ends with this (istiod's caBundle patcher and
/// `istioctl` recognise them so).
pub const INJECTOR_WEBHOOK_SUFFIX: &str = "sidecar-injector.istio.io";
/// The default injector's ConfigMap and webhook configuration name; a revision appends `-REV`.
pub const INJECTOR_NAME: &str = "istio-sidecar-injector";
/// The mesh ConfigMap's name; a revision appends `-REV`.
pub const MESH_CONFIGMAP: &str = "istio";
