//! App probe rewriting (Istio's `app_probe.go`): the kubelet's HTTP, TCP and gRPC probes (and
//! HTTP/TCP lifecycle hooks) of the app containers are pointed at the agent on the status
//! port, and the originals go to the agent in `ISTIO_KUBE_APP_PROBERS`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::gotypes::{Ty, to_go_json};
use super::pod::{self, List};
use crate::model::istio::{PROXY_CONTAINER, REWRITE_PROBES_ANNOTATION, STATUS_PORT_ANNOTATION};

pub const ENV: &str = "ISTIO_KUBE_APP_PROBERS";

/// Whether to rewrite: the annotation when it parses as a bool, else the config default.
pub fn should_rewrite(pod: &Value, default: bool) -> bool {
    pod::annotation(pod, REWRITE_PROBES_ANNOTATION)
        .and_then(crate::go::strconv::parse_bool)
        .unwrap_or(default)
}

const PROBES: [(&str, &str); 3] = [
    ("readinessProbe", "readyz"),
    ("livenessProbe", "livez"),
    ("startupProbe", "startupz"),
];
const HOOKS: [(&str, &str); 2] = [("preStop", "prestopz"), ("postStart", "poststartz")];

fn health_url(container: &str, what: &str) -> String {
    format!("/app-health/{container}/{what}")
}
fn lifecycle_url(container: &str, what: &str) -> String {
    format!("/app-lifecycle/{container}/{what}")
}

/// Every container but the proxy: init containers first, then containers.
fn app_containers(pod: &Value) -> impl Iterator<Item = &Value> {
    pod::containers(pod, List::InitContainers)
        .iter()
        .chain(pod::containers(pod, List::Containers))
        .filter(|c| pod::name_of(c) != PROXY_CONTAINER)
}

/// One prober for the agent, in Go's `Prober` field order; `None` when the probe is not
/// rewritable (exec), names an unknown port, or already targets the status port.
fn prober(
    handler: &Value,
    ports: &BTreeMap<String, i64>,
    status_port: i64,
    timeout: bool,
    tcp: bool,
) -> Option<String> {
    let resolve = |action: &Value| -> Option<Value> {
        let mut action = action.clone();
        match action.get("port") {
            Some(Value::String(name)) => {
                let n = *ports.get(name)?;
                pod::as_object(&mut action).insert("port".into(), json!(n));
            }
            Some(p) if p.as_i64() == Some(status_port) => return None,
            _ => {}
        }
        Some(action)
    };
    let mut fields = Vec::new();
    if let Some(grpc) = handler.get("grpc").filter(|g| !g.is_null()) {
        let mut g = grpc.clone();
        // Go's GRPCAction.Service has no omitempty: an absent service marshals as null.
        pod::as_object(&mut g)
            .entry("service")
            .or_insert(Value::Null);
        fields.push(format!("\"grpc\":{}", to_go_json(&g, Ty::Unknown)));
    } else if let Some(h) = handler.get("httpGet").filter(|h| !h.is_null()) {
        fields.push(format!(
            "\"httpGet\":{}",
            to_go_json(&resolve(h)?, Ty::HttpGet)
        ));
    } else if let Some(t) = handler.get("tcpSocket").filter(|t| tcp && !t.is_null()) {
        fields.push(format!(
            "\"tcpSocket\":{}",
            to_go_json(&resolve(t)?, Ty::TcpSocket)
        ));
    } else {
        return None;
    }
    if timeout
        && let Some(t) = handler
            .get("timeoutSeconds")
            .and_then(Value::as_i64)
            .filter(|t| *t != 0)
    {
        fields.push(format!("\"timeoutSeconds\":{t}"));
    }
    Some(format!("{{{}}}", fields.join(",")))
}

/// Istio's `DumpAppProbers`: the JSON for `ISTIO_KUBE_APP_PROBERS`, `None` when empty.
/// `tcp`: tcpSocket probes are rewritten too (istiod's `REWRITE_TCP_PROBES`).
pub fn dump_app_probers(pod: &Value, status_port: i64, tcp: bool) -> Option<String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for c in app_containers(pod) {
        let name = pod::name_of(c);
        let ports: BTreeMap<String, i64> = c
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let n = p.get("name")?.as_str().filter(|n| !n.is_empty())?;
                Some((n.to_string(), p.get("containerPort")?.as_i64()?))
            })
            .collect();
        for (field, what) in PROBES {
            if let Some(p) = c.get(field).filter(|p| p.is_object())
                && let Some(j) = prober(p, &ports, status_port, true, tcp)
            {
                out.insert(health_url(name, what), j);
            }
        }
        for (field, what) in HOOKS {
            if let Some(h) = c
                .get("lifecycle")
                .and_then(|l| l.get(field))
                .filter(|h| h.is_object())
                && let Some(j) = prober(h, &ports, status_port, false, tcp)
            {
                out.insert(lifecycle_url(name, what), j);
            }
        }
    }
    if out.is_empty() {
        return None;
    }
    let body: Vec<String> = out
        .iter()
        .map(|(k, v)| format!("{}:{v}", crate::go::json::marshal(k)))
        .collect();
    Some(format!("{{{}}}", body.join(",")))
}

/// Points one probe or hook at the agent; `false` when it is not an HTTP/TCP/gRPC one
/// (gRPC only for probes: hooks have none).
fn rewrite_handler(h: &mut Value, url: &str, status_port: i64, grpc_too: bool, tcp: bool) -> bool {
    let Some(map) = h.as_object_mut() else {
        return false;
    };
    let present = |m: &Map<String, Value>, k: &str| m.get(k).is_some_and(|v| !v.is_null());
    if let Some(get) = map.get_mut("httpGet").filter(|g| !g.is_null()) {
        let get = pod::as_object(get);
        get.insert("port".into(), json!(status_port));
        get.insert("path".into(), json!(url));
        if get.get("scheme").and_then(Value::as_str) == Some("HTTPS") {
            get.insert("scheme".into(), json!("HTTP"));
        }
        return true;
    }
    let other = if tcp && present(map, "tcpSocket") {
        "tcpSocket"
    } else if grpc_too && present(map, "grpc") {
        "grpc"
    } else {
        return false;
    };
    map.remove(other);
    map.insert("httpGet".into(), json!({"path": url, "port": status_port}));
    true
}

/// Istio's `patchRewriteProbe`: rewrite every app container's probes and HTTP/TCP hooks.
/// `status.sidecar.istio.io/port` on the pod overrides the mesh status port.
pub fn rewrite_probes(pod: &mut Value, status_port: i64, tcp: bool) {
    let port = pod::annotation(pod, STATUS_PORT_ANNOTATION)
        .map(|p| p.trim().parse::<i64>().unwrap_or(0))
        .unwrap_or(status_port);
    for list in [List::InitContainers, List::Containers] {
        if pod::containers(pod, list).is_empty() {
            continue;
        }
        for c in pod::containers_mut(pod, list) {
            let name = pod::name_of(c).to_string();
            if name == PROXY_CONTAINER {
                continue;
            }
            for (field, what) in PROBES {
                if let Some(p) = c.get_mut(field) {
                    rewrite_handler(p, &health_url(&name, what), port, true, tcp);
                }
            }
            for (field, what) in HOOKS {
                if let Some(h) = c.get_mut("lifecycle").and_then(|l| l.get_mut(field)) {
                    rewrite_handler(h, &lifecycle_url(&name, what), port, false, tcp);
                }
            }
        }
    }
}

/// Istio's `applyRewrite`: the env var on the proxy, then the rewrite itself.
/// `previously_injected` (the original pod had a status record) merges with the probers the
/// proxy already carries instead of appending.
pub fn apply_rewrite(
    pod: &mut Value,
    default_rewrite: bool,
    tcp: bool,
    status_port: i64,
    previously_injected: bool,
) {
    if pod::sidecar(pod).is_none() || !should_rewrite(pod, default_rewrite) {
        return;
    }
    if let Some(probers) = dump_app_probers(pod, status_port, tcp)
        && let Some(sidecar) = pod::sidecar_mut(pod)
    {
        merge_or_append(pod::env_mut(sidecar), previously_injected, probers);
    }
    rewrite_probes(pod, status_port, tcp);
}

/// On a re-injection, merge with the probers already recorded (old entries win).
fn merge_or_append(env: &mut Vec<Value>, previously_injected: bool, probers: String) {
    if previously_injected && let Some(existing) = env.iter_mut().find(|e| e["name"] == ENV) {
        let old: Map<String, Value> = existing
            .get("value")
            .and_then(Value::as_str)
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let mut merged: Map<String, Value> = serde_json::from_str(&probers).unwrap_or_default();
        merged.extend(old);
        let body: Vec<String> = merged
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}:{}",
                    crate::go::json::marshal(k),
                    to_go_json(v, Ty::Prober)
                )
            })
            .collect();
        existing["value"] = Value::String(format!("{{{}}}", body.join(",")));
        return;
    }
    env.push(pod::env_var(ENV, &probers));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Value {
        json!({"spec": {
        "initContainers": [{"name": "other", "readinessProbe": {"httpGet": {"port": 3333}}}],
        "containers": [
            {"name": "hello", "ports": [{"name": "http", "containerPort": 80}],
             "livenessProbe": {"tcpSocket": {"port": "http"}},
             "readinessProbe": {"httpGet": {"port": 3333, "scheme": "HTTPS", "path": "/r"}, "timeoutSeconds": 5},
             "startupProbe": {"exec": {"command": ["true"]}},
             "lifecycle": {"preStop": {"httpGet": {"port": 91}}}},
            {"name": "world", "livenessProbe": {"grpc": {"port": 90}},
             "readinessProbe": {"httpGet": {"port": "nope"}}},
            {"name": "istio-proxy", "readinessProbe": {"httpGet": {"port": 15021}}}
        ]}})
    }

    #[test]
    fn dump_collects_in_sorted_order_with_go_field_order() {
        assert_eq!(
            dump_app_probers(&pod(), 15020, true).unwrap(),
            concat!(
                r#"{"/app-health/hello/livez":{"tcpSocket":{"port":80}},"#,
                r#""/app-health/hello/readyz":{"httpGet":{"path":"/r","port":3333,"scheme":"HTTPS"},"timeoutSeconds":5},"#,
                r#""/app-health/other/readyz":{"httpGet":{"port":3333}},"#,
                r#""/app-health/world/livez":{"grpc":{"port":90,"service":null}},"#,
                r#""/app-lifecycle/hello/prestopz":{"httpGet":{"port":91}}}"#
            )
        );
    }

    #[test]
    fn probes_already_on_the_status_port_are_not_dumped() {
        let p = json!({"spec": {"containers": [{"name": "a", "readinessProbe": {"httpGet": {"port": 15020, "path": "/app-health/a/readyz"}}}]}});
        assert_eq!(dump_app_probers(&p, 15020, true), None);
    }

    #[test]
    fn rewrite_points_everything_at_the_agent() {
        let mut p = pod();
        apply_rewrite(&mut p, true, true, 15020, false);
        let hello = &p["spec"]["containers"][0];
        assert_eq!(
            hello["livenessProbe"],
            json!({"httpGet": {"path": "/app-health/hello/livez", "port": 15020}})
        );
        assert_eq!(
            hello["readinessProbe"]["httpGet"],
            json!({"path": "/app-health/hello/readyz", "port": 15020, "scheme": "HTTP"})
        );
        assert_eq!(
            hello["startupProbe"],
            json!({"exec": {"command": ["true"]}})
        );
        assert_eq!(
            hello["lifecycle"]["preStop"]["httpGet"]["path"],
            "/app-lifecycle/hello/prestopz"
        );
        assert_eq!(
            p["spec"]["containers"][1]["livenessProbe"],
            json!({"httpGet": {"path": "/app-health/world/livez", "port": 15020}})
        );
        assert_eq!(
            p["spec"]["initContainers"][0]["readinessProbe"]["httpGet"]["port"],
            15020
        );
        assert_eq!(
            p["spec"]["containers"][2]["readinessProbe"]["httpGet"]["port"],
            15021
        );
        let env = &p["spec"]["containers"][2]["env"][0];
        assert_eq!(env["name"], ENV);
    }

    #[test]
    fn reinjection_merges_with_recorded_probers() {
        let mut p = json!({"spec": {"containers": [
            {"name": "new", "livenessProbe": {"httpGet": {"port": 8008, "path": "/l"}}},
            {"name": "istio-proxy", "env": [{"name": ENV, "value": r#"{"/app-health/old/livez":{"httpGet":{"scheme":"HTTP","port":80}}}"#}]}]}});
        apply_rewrite(&mut p, true, true, 15020, true);
        assert_eq!(
            p["spec"]["containers"][1]["env"],
            json!([{"name": ENV, "value": r#"{"/app-health/new/livez":{"httpGet":{"path":"/l","port":8008}},"/app-health/old/livez":{"httpGet":{"port":80,"scheme":"HTTP"}}}"#}])
        );
    }

    #[test]
    fn annotation_turns_rewrite_off() {
        let mut p = pod();
        p["metadata"] = json!({"annotations": {REWRITE_PROBES_ANNOTATION: "false"}});
        let before = p.clone();
        apply_rewrite(&mut p, true, true, 15020, false);
        assert_eq!(p, before);
    }
}
