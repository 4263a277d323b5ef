//! `inject` with no configuration file reads the cluster's ConfigMaps — config, values and
//! mesh — as the webhook does; an unreachable cluster falls back to the embedded default and
//! says so.

use crate::cluster_live::{apply, cluster};
use crate::util;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  containers:\n  - name: app\n    image: nginx\n";

#[test]
fn inject_reads_the_injector_configmaps_from_the_cluster() {
    if !cluster("inject_reads_the_injector_configmaps_from_the_cluster") {
        return;
    }
    // A tiny template that prints what it read from values and mesh, in its own namespace.
    apply(concat!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: inj-sys\n---\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-sidecar-injector\n  namespace: inj-sys\ndata:\n",
        "  config: |\n    policy: enabled\n    templates:\n      sidecar: |\n        spec:\n          containers:\n          - name: istio-proxy\n            image: {{ .Values.global.hub }}/proxyv2:{{ .Values.global.tag }}\n            args: [\"--domain\", \"{{ .MeshConfig.TrustDomain }}\"]\n",
        "  values: '{\"global\":{\"hub\":\"cluster.example/istio\",\"tag\":\"9.9.9\"}}'\n---\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n  namespace: inj-sys\ndata:\n  mesh: |\n    trustDomain: cluster.example\n",
    ));
    let out = util::cluster_bin()
        .args(["inject", "--istio-namespace", "inj-sys", "-f", "-"])
        .write_stdin(POD)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("using injector configuration configmap inj-sys/istio-sidecar-injector (config), values configmap inj-sys/istio-sidecar-injector (values), mesh configmap inj-sys/istio (mesh)"),
        "{stderr}"
    );
    assert!(
        stdout.contains("image: cluster.example/istio/proxyv2:9.9.9"),
        "{stdout}"
    );
    assert!(stdout.contains("- cluster.example\n"), "{stdout}");

    // --ignore-cluster: the embedded default, whatever the cluster holds.
    let out = util::cluster_bin()
        .args(["inject", "--ignore-cluster", "-f", "-"])
        .write_stdin(POD)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("using the embedded default configuration"),
        "{stderr}"
    );

    // No ConfigMap in that namespace: said, then the embedded default.
    let out = util::cluster_bin()
        .args(["inject", "--istio-namespace", "inj-none", "-f", "-"])
        .write_stdin(POD)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    assert!(stderr.starts_with("warning: no ConfigMap inj-none/istio-sidecar-injector (revision default) in the cluster; using the embedded default\nusing the embedded default configuration"), "{stderr}");
}

#[test]
fn an_unreachable_cluster_falls_back_to_the_embedded_default() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let cfg = dir.path().join("kubeconfig");
    std::fs::write(
        &cfg,
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\nusers:\n- name: u\n  user: {{}}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\n"),
    )
    .expect("write");
    let out = util::cluster_bin()
        .args(["inject", "--kubeconfig"])
        .arg(&cfg)
        .args(["-f", "-"])
        .write_stdin(POD)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.starts_with("warning: cannot read the injector configuration from the cluster (cannot reach the API server at"), "{stderr}");
    assert!(
        stderr.contains("\nusing the embedded default configuration"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("name: istio-proxy"));
}
