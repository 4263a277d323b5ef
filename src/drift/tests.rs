//! Drift without a cluster: pods injected by the embedded default configuration, then
//! altered as an older template or the API server would have left them.

use serde_json::{Value, json};

use super::*;
use crate::inject::engine::{ConfigSource, Setup};

fn setup() -> Setup {
    Setup::load(ConfigSource::default()).expect("the embedded default loads")
}

/// A pod as a ReplicaSet of Deployment `web` creates it.
fn pod(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": "web-5d8f9c7b6-",
            "namespace": "shop",
            "labels": {"app": "web", "pod-template-hash": "5d8f9c7b6"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": "web-5d8f9c7b6", "uid": "u-1", "controller": true}],
        },
        "spec": {"containers": [{"name": "web", "image": "nginx:1.25",
            "ports": [{"containerPort": 80}],
            "readinessProbe": {"httpGet": {"path": "/ready", "port": 80}}}]},
    })
}

/// The pod injected now, as the API server stores it: defaults applied, and the fields it
/// and the scheduler fill in per pod.
fn running(name: &str, injector: &Injector<'_>, token_suffix: &str) -> Value {
    let mut p = inject(&pod(name), injector).expect("injects");
    apply_defaults(&mut p);
    p["metadata"]["uid"] = json!(format!("uid-{name}"));
    p["metadata"]["resourceVersion"] = json!("42");
    p["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    p["spec"]["nodeName"] = json!("node-1");
    p["status"] = json!({"phase": "Running"});
    let token = format!("kube-api-access-{token_suffix}");
    p["spec"]["volumes"]
        .as_array_mut()
        .expect("volumes")
        .push(json!({"name": token, "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}));
    p["spec"]["containers"][0]["volumeMounts"] = json!([{"name": token, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}]);
    p
}

fn proxy(p: &mut Value) -> &mut Value {
    p["spec"]["containers"]
        .as_array_mut()
        .expect("containers")
        .iter_mut()
        .find(|c| c["name"] == "istio-proxy")
        .expect("istio-proxy")
}

#[test]
fn a_pod_injected_with_the_same_config_has_no_drift() {
    let setup = setup();
    let injector = Injector::new(&setup, None, false);
    let fresh = inject(&pod("web-5d8f9c7b6-abcde"), &injector).expect("injects");
    assert_eq!(stale(&fresh, &injector), Ok(None));
    // As the API server keeps it: defaults, bookkeeping, the service-account token.
    let stored = running("web-5d8f9c7b6-abcde", &injector, "x7k2p");
    assert_eq!(stale(&stored, &injector), Ok(None));
    // Natively injected the same.
    let native = Injector::new(&setup, None, true);
    let fresh = inject(&pod("web-5d8f9c7b6-abcde"), &native).expect("injects");
    assert_eq!(stale(&fresh, &native), Ok(None));
}

#[test]
fn a_pod_that_is_not_injected_has_no_drift_to_report() {
    let setup = setup();
    let injector = Injector::new(&setup, None, false);
    assert_eq!(stale(&pod("web-1"), &injector), Ok(None));
}

#[test]
fn an_older_template_with_one_more_volume_and_mount_is_exactly_that() {
    let setup = setup();
    let injector = Injector::new(&setup, None, false);
    let mut old = running("web-5d8f9c7b6-abcde", &injector, "x7k2p");
    // The older template mounted the workload certificates from a secret too.
    old["spec"]["volumes"]
        .as_array_mut()
        .expect("volumes")
        .push(json!({"name": "istio-certs", "secret": {"secretName": "istio.default", "optional": true}}));
    proxy(&mut old)["volumeMounts"]
        .as_array_mut()
        .expect("mounts")
        .push(json!({"name": "istio-certs", "mountPath": "/etc/certs", "readOnly": true}));
    let mut record: Value = serde_json::from_str(
        old["metadata"]["annotations"]["sidecar.istio.io/status"]
            .as_str()
            .expect("record"),
    )
    .expect("json");
    record["volumes"]
        .as_array_mut()
        .expect("volumes")
        .push(json!("istio-certs"));
    old["metadata"]["annotations"]["sidecar.istio.io/status"] = json!(record.to_string());

    let drift = stale(&old, &injector).expect("renders").expect("drift");
    assert_eq!(
        drift.summary,
        "stale template: istio-proxy volume mount istio-certs at /etc/certs removed; volume istio-certs removed"
    );
    assert_eq!(
        serde_json::to_value(&drift.differences).expect("json"),
        json!([
            {"kind": "removed",
             "path": "spec.containers[istio-proxy].volumeMounts[istio-certs at /etc/certs]",
             "words": "istio-proxy volume mount istio-certs at /etc/certs removed",
             "actual": {"name": "istio-certs", "mountPath": "/etc/certs", "readOnly": true}},
            {"kind": "removed",
             "path": "spec.volumes[istio-certs]",
             "words": "volume istio-certs removed",
             "actual": {"name": "istio-certs", "secret": {"secretName": "istio.default", "optional": true, "defaultMode": 420}}},
        ])
    );
}

#[test]
fn a_changed_and_a_new_env_var_are_named() {
    let setup = setup();
    let injector = Injector::new(&setup, None, false);
    let mut old = running("web-5d8f9c7b6-abcde", &injector, "x7k2p");
    let env = proxy(&mut old)["env"].as_array_mut().expect("env");
    let i = env
        .iter()
        .position(|e| e["name"] == "ISTIO_META_CLUSTER_ID")
        .expect("cluster id");
    let now = env[i]["value"].as_str().expect("value").to_string();
    env[i]["value"] = json!("old-cluster");
    let j = env
        .iter()
        .position(|e| e["name"] == "ISTIO_META_MESH_ID")
        .expect("mesh id");
    env.remove(j);
    let drift = stale(&old, &injector).expect("renders").expect("drift");
    assert_eq!(
        drift.summary,
        format!(
            "stale template: istio-proxy env ISTIO_META_CLUSTER_ID changed: old-cluster → {now}; istio-proxy env ISTIO_META_MESH_ID added"
        )
    );
    assert_eq!(
        serde_json::to_value(&drift.differences[0]).expect("json"),
        json!({"kind": "changed", "path": "spec.containers[istio-proxy].env[ISTIO_META_CLUSTER_ID]",
               "words": format!("istio-proxy env ISTIO_META_CLUSTER_ID changed: old-cluster → {now}"),
               "actual": "old-cluster", "predicted": now})
    );
}

#[test]
fn another_revision_or_image_is_drift_too() {
    let setup = setup();
    let injector = Injector::new(&setup, None, false);
    let canary = Injector::new(&setup, Some("canary"), false);
    let stored = running("web-5d8f9c7b6-abcde", &canary, "x7k2p");
    assert_eq!(stale(&stored, &canary), Ok(None));
    let drift = stale(&stored, &injector).expect("renders").expect("drift");
    assert_eq!(
        describe(&drift.differences),
        "annotation istio.io/rev changed: canary → default; injected by revision canary → default"
    );
}

#[test]
fn compare_names_a_missing_sidecar_and_ignores_server_fields() {
    let setup = setup();
    let injector = Injector::new(&setup, None, false);
    let injected = inject(&pod("p"), &injector).expect("injects");
    let words = describe(&compare(&pod("p"), &injected));
    // The app's probe is rewritten to the agent; the record appears as a whole.
    assert_eq!(
        words,
        "init container istio-init added; web readinessProbe changed; container istio-proxy added; \
         volume workload-socket added; volume credential-socket added; volume workload-certs added; \
         volume istio-envoy added; volume istio-data added; volume istio-podinfo added; \
         volume istio-token added; volume istiod-ca-cert added; volume istio-ca-crl added; \
         annotation istio.io/rev added; annotation kubectl.kubernetes.io/default-container added; \
         annotation kubectl.kubernetes.io/default-logs-container added; \
         annotation prometheus.io/path added; annotation prometheus.io/port added; \
         annotation prometheus.io/scrape added; annotation sidecar.istio.io/status added; \
         label security.istio.io/tlsMode added; label service.istio.io/canonical-name added; \
         label service.istio.io/canonical-revision added"
    );
    // Server defaults on one side only are no difference.
    let mut defaulted = injected.clone();
    apply_defaults(&mut defaulted);
    assert_eq!(compare(&defaulted, &injected), vec![]);
}

#[test]
fn the_cache_renders_once_per_template_and_revision() {
    let setup = setup();
    let injector = Injector::new(&setup, None, false);
    let canary = Injector::new(&setup, Some("canary"), false);
    let mut cache = Cache::new();
    let a = running("web-5d8f9c7b6-aaaaa", &injector, "aaaaa");
    let b = running("web-5d8f9c7b6-bbbbb", &injector, "bbbbb");
    assert_eq!(cache.stale(&a, &injector), Ok(None));
    assert_eq!(cache.stale(&b, &injector), Ok(None));
    assert_eq!(cache.renders(), 1);
    // Another revision is another render, and another answer.
    assert!(cache.stale(&b, &canary).expect("renders").is_some());
    assert_eq!(cache.renders(), 2);
    // A pod injected differently is another key.
    let mut c = running("web-5d8f9c7b6-ccccc", &injector, "ccccc");
    proxy(&mut c)["image"] = json!("docker.io/istio/proxyv2:1.0.0");
    let drift = cache.stale(&c, &injector).expect("renders").expect("drift");
    assert!(
        drift.summary.starts_with(
            "stale template: istio-proxy image changed: docker.io/istio/proxyv2:1.0.0 → "
        ),
        "{}",
        drift.summary
    );
    assert_eq!(cache.renders(), 3);
}

#[test]
fn a_bare_pod_keeps_its_name_in_the_cache_key() {
    let mut bare = pod("one");
    bare["metadata"]
        .as_object_mut()
        .expect("meta")
        .remove("ownerReferences");
    let mut other = bare.clone();
    other["metadata"]["name"] = json!("two");
    assert_ne!(
        canonical(&cache_form(&bare)),
        canonical(&cache_form(&other))
    );
    let owned_a = pod("web-5d8f9c7b6-aaaaa");
    let owned_b = pod("web-5d8f9c7b6-bbbbb");
    assert_eq!(
        canonical(&cache_form(&owned_a)),
        canonical(&cache_form(&owned_b))
    );
}

/// A pod injected from a manifest (`kube-inject`, before the API server defaulted it) prints
/// its ports and probes into ISTIO_META_POD_PORTS and ISTIO_KUBE_APP_PROBERS without the
/// server's defaults; re-rendered from the running (defaulted) pod they carry them. That is
/// no drift; a real change inside the same JSON still is.
#[test]
fn json_env_values_that_differ_only_by_server_defaults_are_no_drift() {
    let setup = setup();
    let injector = Injector::new(&setup, None, false);
    let mut stored = running("web-5d8f9c7b6-abcde", &injector, "x7k2p");
    let set = |p: &mut Value, name: &str, value: &str| {
        let env = proxy(p)["env"].as_array_mut().expect("env");
        match env.iter_mut().find(|e| e["name"] == name) {
            Some(e) => e["value"] = json!(value),
            None => env.push(json!({"name": name, "value": value})),
        }
    };
    set(
        &mut stored,
        "ISTIO_META_POD_PORTS",
        "[\n    {\"containerPort\":8080}\n]",
    );
    set(
        &mut stored,
        "ISTIO_KUBE_APP_PROBERS",
        "{\"/app-health/web/readyz\":{\"httpGet\":{\"path\":\"/ready\",\"port\":8080}}}",
    );
    let mut predicted = stored.clone();
    set(
        &mut predicted,
        "ISTIO_META_POD_PORTS",
        "[\n    {\"containerPort\":8080,\"protocol\":\"TCP\"}\n]",
    );
    set(
        &mut predicted,
        "ISTIO_KUBE_APP_PROBERS",
        "{\"/app-health/web/readyz\":{\"httpGet\":{\"path\":\"/ready\",\"port\":8080,\"scheme\":\"HTTP\"},\"timeoutSeconds\":1}}",
    );
    assert_eq!(compare(&stored, &predicted), vec![]);

    // Another port, or a timeout that is not the default, is a change.
    set(
        &mut predicted,
        "ISTIO_META_POD_PORTS",
        "[\n    {\"containerPort\":9090,\"protocol\":\"TCP\"}\n]",
    );
    set(
        &mut predicted,
        "ISTIO_KUBE_APP_PROBERS",
        "{\"/app-health/web/readyz\":{\"httpGet\":{\"path\":\"/ready\",\"port\":8080},\"timeoutSeconds\":5}}",
    );
    let words = describe(&compare(&stored, &predicted));
    assert!(
        words.contains("istio-proxy env ISTIO_META_POD_PORTS changed"),
        "{words}"
    );
    assert!(
        words.contains("istio-proxy env ISTIO_KUBE_APP_PROBERS changed"),
        "{words}"
    );
}
