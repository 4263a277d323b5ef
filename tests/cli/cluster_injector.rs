//! `check --injector` against the real test API server: a webhook left behind without its
//! service, overlapping webhooks, machine output, and a user who may not read webhooks.

use serde_json::Value;

use crate::cluster_live::{apply, cluster};
use crate::util;

fn hook(name: &str, ns: &str, svc: &str, rev: &str) -> String {
    format!(
        "- name: {name}\n  clientConfig:\n    service: {{namespace: {ns}, name: {svc}, path: /inject, port: 443}}\n    caBundle: Q0E=\n  failurePolicy: Ignore\n  sideEffects: None\n  admissionReviewVersions: [v1]\n  rules:\n  - {{operations: [CREATE], apiGroups: [\"\"], apiVersions: [v1], resources: [pods]}}\n  namespaceSelector:\n    matchExpressions:\n    - {{key: istio.io/rev, operator: In, values: [{rev}]}}\n    - {{key: istio-injection, operator: DoesNotExist}}\n  objectSelector:\n    matchExpressions:\n    - {{key: sidecar.istio.io/inject, operator: NotIn, values: [\"false\"]}}\n"
    )
}

fn mwc(name: &str, rev: &str, hooks: &str) -> String {
    format!(
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata:\n  name: {name}\n  labels: {{istio.io/rev: {rev}}}\nwebhooks:\n{hooks}---\n"
    )
}

fn check(args: &[&str]) -> (Option<i32>, Value, String) {
    let out = util::cluster_bin()
        .args(["check", "--injector", "-o", "json"])
        .args(args)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), json, stderr)
}

fn descriptions(r: &Value, status: &str) -> Vec<String> {
    r["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["checks"].as_array().into_iter().flatten())
        .filter(|c| c["status"] == status)
        .filter_map(|c| c["description"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn injector_health_finds_a_missing_service_and_overlaps() {
    if !cluster("injector_health_finds_a_missing_service_and_overlaps") {
        return;
    }
    let mut y = String::from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hc-sys\n---\n");
    // Revision hc1: its service was deleted (left behind by an uninstall).
    y.push_str(&mwc(
        "hc-injector-hc1",
        "hc1",
        &hook(
            "rev.namespace.sidecar-injector.istio.io",
            "hc-sys",
            "istiod-hc1",
            "hc1",
        ),
    ));
    // Revision hc2: two configurations send the same pods to the injector.
    y.push_str(&mwc(
        "hc-injector-hc2",
        "hc2",
        &hook(
            "rev.namespace.sidecar-injector.istio.io",
            "hc-sys",
            "istiod-hc2",
            "hc2",
        ),
    ));
    y.push_str(&mwc(
        "hc-injector-hc2-old",
        "hc2",
        &hook(
            "rev.namespace.sidecar-injector.istio.io",
            "hc-sys",
            "istiod-hc2",
            "hc2",
        ),
    ));
    y.push_str("apiVersion: v1\nkind: Service\nmetadata:\n  name: istiod-hc2\n  namespace: hc-sys\nspec:\n  selector: {app: istiod-hc2}\n  ports:\n  - {port: 443, targetPort: 15017}\n---\n");
    apply(&y);

    let (code, r, stderr) = check(&["-r", "hc1"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(r["status"], "error");
    let errors = descriptions(&r, "error");
    assert!(
        errors.contains(&"service hc-sys/istiod-hc1 does not exist, but 1 webhooks call it: pods in the namespaces they match are created without a sidecar".to_string()),
        "{errors:#?}"
    );

    let (code, r, _) = check(&["-r", "hc2"]);
    assert_eq!(code, Some(1));
    let errors = descriptions(&r, "error");
    assert!(
        errors.iter().any(|d| d.starts_with("webhooks overlap: a pod with labels [none] in a namespace with labels [istio.io/rev=hc2] is sent to hc-injector-hc2/rev.namespace.sidecar-injector.istio.io and hc-injector-hc2-old/rev.namespace.sidecar-injector.istio.io")),
        "{errors:#?}"
    );
    assert!(descriptions(&r, "ok").contains(&"service hc-sys/istiod-hc2 exists".to_string()));
    assert!(errors.contains(&"service hc-sys/istiod-hc2 has no ready endpoints".to_string()));
    assert!(
        descriptions(&r, "warning")
            .iter()
            .any(|d| d.starts_with("failurePolicy Ignore on 2 webhooks"))
    );

    // The readable layout, linkerd-style.
    let out = util::cluster_bin()
        .args(["check", "--injector", "-r", "hc1"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("injector webhook configuration\n------------------------------\n✔ webhook configuration hc-injector-hc1 exists (1 injection webhooks)\n"), "{text}");
    assert!(
        text.contains("× service hc-sys/istiod-hc1 does not exist"),
        "{text}"
    );
    assert!(text.contains("Status check results are × failed"), "{text}");
}

#[test]
fn injector_health_without_rights_is_an_error() {
    if !cluster("injector_health_without_rights_is_an_error") {
        return;
    }
    let ctx = std::env::var("KUBECTL_INJECT_TEST_USER_CONTEXT").expect("user context");
    let out = util::cluster_bin()
        .args(["check", "--injector", "--context", &ctx])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: forbidden: cannot list mutatingwebhookconfigurations.admissionregistration.k8s.io"), "{stderr}");
}
