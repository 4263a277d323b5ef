//! `check --injector` against the real test API server: a webhook left behind without its
//! service, overlapping webhooks, the blast radius of a failurePolicy, caBundles that are
//! garbage or expired (certificates generated here), a serving secret the caBundle does not
//! verify, machine output, and a user who may not read webhooks.

use serde_json::Value;

use crate::cluster_live::{apply, cluster};
use crate::util;

fn hook(name: &str, ns: &str, svc: &str, rev: &str) -> String {
    hook_with_ca(name, ns, svc, rev, "Q0E=")
}

fn hook_with_ca(name: &str, ns: &str, svc: &str, rev: &str, ca: &str) -> String {
    format!(
        "- name: {name}\n  clientConfig:\n    service: {{namespace: {ns}, name: {svc}, path: /inject, port: 443}}\n    caBundle: {ca}\n  failurePolicy: Ignore\n  sideEffects: None\n  admissionReviewVersions: [v1]\n  rules:\n  - {{operations: [CREATE], apiGroups: [\"\"], apiVersions: [v1], resources: [pods]}}\n  namespaceSelector:\n    matchExpressions:\n    - {{key: istio.io/rev, operator: In, values: [{rev}]}}\n    - {{key: istio-injection, operator: DoesNotExist}}\n  objectSelector:\n    matchExpressions:\n    - {{key: sidecar.istio.io/inject, operator: NotIn, values: [\"false\"]}}\n"
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

fn checks(r: &Value) -> Vec<Value> {
    r["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["checks"].as_array().into_iter().flatten())
        .cloned()
        .collect()
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
    // A namespace that routes through revision hc2, with a pod that opted out by annotation.
    y.push_str("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hc-app\n  labels: {istio.io/rev: hc2}\n---\n");
    apply(&y);
    apply(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: optout\n  namespace: hc-app\n  annotations: {sidecar.istio.io/inject: \"false\"}\nspec:\n  containers:\n  - {name: app, image: nginx}\n",
    );

    let (code, r, stderr) = check(&["-r", "hc1"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(r["status"], "error");
    let errors = descriptions(&r, "error");
    assert!(
        errors.contains(&"service hc-sys/istiod-hc1 does not exist, but 1 webhooks of hc-injector-hc1 (revision hc1) call it: pods in the namespaces they match are created without a sidecar".to_string()),
        "{errors:#?}"
    );
    let missing = checks(&r)
        .into_iter()
        .find(|c| c["id"] == "service-exists" && c["status"] == "error")
        .expect("the missing service");
    assert_eq!(missing["configuration"], "hc-injector-hc1");
    assert_eq!(missing["revision"], "hc1");
    assert_eq!(
        missing["hint"],
        "left behind by an uninstall of revision hc1? remove its webhook configuration: `kubectl delete mutatingwebhookconfiguration hc-injector-hc1` (see --dry-run), or reinstall revision hc1"
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
    let warnings = descriptions(&r, "warning");
    for configuration in ["hc-injector-hc2", "hc-injector-hc2-old"] {
        let line = format!(
            "{configuration}/rev.namespace.sidecar-injector.istio.io (revision hc2): failurePolicy Ignore, 1 namespace routes through it (hc-app): while its injector is down, pods there are created without a sidecar, silently; 1 pod there opted out by annotation only and still depends on it"
        );
        assert!(warnings.contains(&line), "{line}\n{warnings:#?}");
    }

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

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A self-signed CA valid over the given years, as PEM.
fn ca_pem(cn: &str, from: i32, to: i32) -> String {
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.not_before = rcgen::date_time_ymd(from, 1, 1);
    p.not_after = rcgen::date_time_ymd(to, 1, 1);
    let key = rcgen::KeyPair::generate().expect("key");
    p.self_signed(&key).expect("cert").pem()
}

#[test]
fn injector_health_reads_the_ca_bundle() {
    if !cluster("injector_health_reads_the_ca_bundle") {
        return;
    }
    let garbage = "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n";
    let expired = ca_pem("hc-expired-ca", 2019, 2021);
    let serving_ca = ca_pem("hc-serving-ca", 2020, 2090);
    let mut y = String::from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hc-ca\n---\n");
    for (rev, bundle) in [("hcgarbage", garbage), ("hcexpired", expired.as_str())] {
        y.push_str(&mwc(
            &format!("istio-sidecar-injector-{rev}"),
            rev,
            &hook_with_ca(
                "rev.namespace.sidecar-injector.istio.io",
                "hc-ca",
                &format!("istiod-{rev}"),
                rev,
                &b64(bundle.as_bytes()),
            ),
        ));
        y.push_str(&format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: istiod-{rev}\n  namespace: hc-ca\nspec:\n  selector: {{app: istiod-{rev}}}\n  ports:\n  - {{port: 443, targetPort: 15017}}\n---\n"));
    }
    // The CA istiod signs its serving certificate with: not the one in the caBundle.
    y.push_str(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: istio-ca-secret\n  namespace: hc-ca\ndata:\n  ca-cert.pem: {}\n---\n",
        b64(serving_ca.as_bytes())
    ));
    apply(&y);

    let (code, r, stderr) = check(&["-r", "hcgarbage"]);
    assert_eq!(code, Some(1), "{stderr}");
    let invalid: Vec<Value> = checks(&r)
        .into_iter()
        .filter(|c| c["id"] == "ca-bundle-valid")
        .collect();
    assert_eq!(
        invalid,
        vec![serde_json::json!({
            "id": "ca-bundle-valid",
            "kiCode": "KI303",
            "status": "error",
            "description": "caBundle of istio-sidecar-injector-hcgarbage (revision hcgarbage) holds a PEM block that is not a valid X.509 certificate (block 1): the API server cannot call these webhooks",
            "configuration": "istio-sidecar-injector-hcgarbage",
            "revision": "hcgarbage",
            "hint": "istiod of revision hcgarbage writes caBundle when it starts: `kubectl -n hc-ca rollout restart deployment/istiod-hcgarbage`"
        })]
    );

    let (code, r, stderr) = check(&["-r", "hcexpired"]);
    assert_eq!(code, Some(1), "{stderr}");
    let errors = descriptions(&r, "error");
    assert!(
        errors.contains(&"caBundle of istio-sidecar-injector-hcexpired (revision hcexpired): certificate CN=hc-expired-ca expired on 2021-01-01: the API server rejects the webhook's TLS".to_string()),
        "{errors:#?}"
    );
    assert!(
        errors.contains(&"caBundle of istio-sidecar-injector-hcexpired (revision hcexpired) does not verify the certificate in secret hc-ca/istio-ca-secret (CN=hc-serving-ca): the API server refuses the webhook's TLS".to_string()),
        "{errors:#?}"
    );

    // The readable form, and --fail-on stays an exit 1.
    let out = util::cluster_bin()
        .args(["check", "--injector", "-r", "hcexpired"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text.contains("× caBundle of istio-sidecar-injector-hcexpired (revision hcexpired): certificate CN=hc-expired-ca expired on 2021-01-01: the API server rejects the webhook's TLS\n    hint: rotate the mesh CA if it expired, then let istiod re-patch caBundle: `kubectl -n hc-ca rollout restart deployment/istiod-hcexpired`\n"),
        "{text}"
    );
}
