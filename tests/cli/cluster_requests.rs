//! How many requests a live `check -A` makes, read from the test API server's audit log:
//! one paginated LIST per kind (the pages chained by `continue`), never a GET per pod.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cluster_live::{apply, cluster};
use crate::util;

#[test]
fn check_lists_each_kind_once_in_pages_and_gets_no_pod() {
    if !cluster("check_lists_each_kind_once_in_pages_and_gets_no_pod") {
        return;
    }
    let Some(log) = std::env::var_os("KUBECTL_INJECT_TEST_AUDIT_LOG") else {
        util::skip(
            "check_lists_each_kind_once_in_pages_and_gets_no_pod",
            "the test API server has no audit log",
        );
        return;
    };
    let mut y = String::new();
    for ns in ["req-a", "req-b", "req-c"] {
        y.push_str(&format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels: {{istio-injection: enabled}}\n---\n"));
        for i in 0..10 {
            y.push_str(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  namespace: {ns}\nspec:\n  containers:\n  - name: app\n    image: nginx\n---\n"
            ));
        }
    }
    apply(&y);

    // A page size no other test uses marks this run's LISTs in the shared audit log.
    let out = util::cluster_bin()
        .args(["check", "-A", "--chunk-size", "7", "-o", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "30 pods without sidecars are drift: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let ours = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| {
            i["namespace"]
                .as_str()
                .is_some_and(|n| n.starts_with("req-"))
        })
        .count();
    assert_eq!(ours, 30, "every pod of the three namespaces is a row");

    let text = std::fs::read_to_string(&log).expect("audit log");
    let events: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let by_us = |e: &&Value| {
        e["userAgent"]
            .as_str()
            .is_some_and(|ua| ua.starts_with("kubectl-inject/"))
    };
    let mut first_pages: BTreeMap<String, usize> = BTreeMap::new();
    let mut pages: BTreeMap<String, usize> = BTreeMap::new();
    for e in events.iter().filter(by_us) {
        let uri = e["requestURI"].as_str().unwrap_or("");
        if e["verb"] != "list" || !uri.contains("limit=7") {
            continue;
        }
        let resource = e["objectRef"]["resource"]
            .as_str()
            .unwrap_or("")
            .to_string();
        *pages.entry(resource.clone()).or_default() += 1;
        if !uri.contains("continue=") {
            *first_pages.entry(resource).or_default() += 1;
        }
    }
    for kind in [
        "namespaces",
        "pods",
        "deployments",
        "replicasets",
        "mutatingwebhookconfigurations",
    ] {
        assert_eq!(
            first_pages.get(kind),
            Some(&1),
            "one LIST of {kind}: {first_pages:?}"
        );
    }
    assert!(
        pages["pods"] >= 30usize.div_ceil(7),
        "at least 30 pods in pages of 7 need 5 requests: {pages:?}"
    );
    let pod_gets = events
        .iter()
        .filter(by_us)
        .filter(|e| e["verb"] == "get" && e["objectRef"]["resource"] == "pods")
        .filter(|e| {
            e["objectRef"]["namespace"]
                .as_str()
                .is_some_and(|n| n.starts_with("req-"))
        })
        .count();
    assert_eq!(pod_gets, 0, "no GET per pod");
}
