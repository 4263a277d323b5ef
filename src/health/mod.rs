//! Health of the sidecar injector itself (`check --injector`), in the style of `linkerd
//! check`: categories of checks, each ok / warning / error with words and a hint.
//!
//! Pure: works on the cluster objects it is handed (as manifest-shaped JSON); the command
//! gathers them. Must not import `app`, `cluster`, `report` or do I/O.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::model::StringMap;
use crate::model::webhook::{INJECT_KEY, INJECTION_LABEL, REV_LABEL};
use crate::policy::Selector;

/// What a check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Error,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub status: Status,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A titled group of checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub name: String,
    pub checks: Vec<Check>,
}

/// The whole report; `status` is the worst check's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub status: Status,
    pub categories: Vec<Category>,
}

/// The objects the checks read.
#[derive(Debug, Default)]
pub struct Input {
    /// The injector's MutatingWebhookConfigurations (already filtered to Istio injection ones).
    pub webhook_configurations: Vec<Value>,
    /// Services named by the webhooks, found or not: `(namespace, name) → Some(service)`.
    pub services: BTreeMap<(String, String), Option<Value>>,
    /// Endpoints of those services, same keys.
    pub endpoints: BTreeMap<(String, String), Option<Value>>,
    /// Deployments in the services' namespaces.
    pub deployments: Vec<Value>,
    /// All namespaces (for the double-label check); `None` when they could not be read.
    pub namespaces: Option<Vec<Value>>,
}

fn ok(description: impl Into<String>) -> Check {
    Check {
        status: Status::Ok,
        description: description.into(),
        hint: None,
    }
}

fn warning(description: impl Into<String>, hint: impl Into<String>) -> Check {
    Check {
        status: Status::Warning,
        description: description.into(),
        hint: Some(hint.into()),
    }
}

fn error(description: impl Into<String>, hint: impl Into<String>) -> Check {
    Check {
        status: Status::Error,
        description: description.into(),
        hint: Some(hint.into()),
    }
}

fn s<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn labels(v: &Value) -> StringMap {
    v.pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// One webhook entry with what the checks need.
struct Hook<'a> {
    configuration: &'a str,
    revision: String,
    value: &'a Value,
    name: &'a str,
}

fn hooks(input: &Input) -> Vec<Hook<'_>> {
    input
        .webhook_configurations
        .iter()
        .flat_map(|mwc| {
            let configuration = s(mwc, "/metadata/name").unwrap_or("");
            let revision = labels(mwc)
                .get(REV_LABEL)
                .cloned()
                .unwrap_or_else(|| "default".into());
            mwc.get("webhooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(move |w| Hook {
                    configuration,
                    revision: revision.clone(),
                    value: w,
                    name: s(w, "/name").unwrap_or(""),
                })
        })
        .collect()
}

/// The service a webhook calls, when it calls one (not a `url:`).
fn service_of(hook: &Value) -> Option<(String, String)> {
    let svc = hook.pointer("/clientConfig/service")?;
    Some((
        s(svc, "/namespace")?.to_string(),
        s(svc, "/name")?.to_string(),
    ))
}

/// Everything `check --injector` reports.
pub fn check(input: &Input) -> Report {
    let hooks = hooks(input);
    let mut categories = vec![webhook_checks(&hooks)];
    if !hooks.is_empty() {
        categories.push(service_checks(input, &hooks));
        categories.push(deployment_checks(input, &hooks));
    }
    categories.push(namespace_checks(input));
    let status = categories
        .iter()
        .flat_map(|c| &c.checks)
        .map(|c| c.status)
        .max()
        .unwrap_or(Status::Ok);
    Report { status, categories }
}

fn webhook_checks(hooks: &[Hook]) -> Category {
    let mut checks = Vec::new();
    if hooks.is_empty() {
        checks.push(error(
            "no Istio sidecar-injector MutatingWebhookConfiguration found",
            "is Istio installed? `kubectl get mutatingwebhookconfigurations -l app=sidecar-injector`; check --revision",
        ));
        return Category {
            name: "injector webhook configuration".into(),
            checks,
        };
    }
    let names: BTreeSet<&str> = hooks.iter().map(|h| h.configuration).collect();
    checks.push(ok(format!(
        "webhook configuration {} exists ({} injection webhooks)",
        names.iter().copied().collect::<Vec<_>>().join(", "),
        hooks.len()
    )));

    let no_ca: Vec<String> = hooks
        .iter()
        .filter(|h| {
            h.value.pointer("/clientConfig/service").is_some()
                && s(h.value, "/clientConfig/caBundle").is_none_or(str::is_empty)
        })
        .map(|h| format!("{}/{}", h.configuration, h.name))
        .collect();
    checks.push(if no_ca.is_empty() {
        ok("caBundle is set on every webhook that calls a service")
    } else {
        error(
            format!("caBundle is empty on {}", no_ca.join(", ")),
            "istiod patches caBundle when it runs: is istiod (of that revision) running and allowed to patch webhook configurations?",
        )
    });

    // failurePolicy defaults to Fail in admissionregistration/v1.
    let (fail, ignore): (Vec<&Hook>, Vec<&Hook>) = hooks
        .iter()
        .partition(|h| s(h.value, "/failurePolicy").unwrap_or("Fail") == "Fail");
    if !fail.is_empty() {
        checks.push(warning(
            format!(
                "failurePolicy Fail on {} webhooks: while the injector is down, pod creation in the namespaces they match is blocked",
                fail.len()
            ),
            "run the injector with at least 2 ready replicas and a PodDisruptionBudget",
        ));
    }
    if !ignore.is_empty() {
        checks.push(warning(
            format!(
                "failurePolicy Ignore on {} webhooks: while the injector is down, pods are created without a sidecar, silently",
                ignore.len()
            ),
            "watch for drift with `kubectl inject check -A` and restart affected workloads",
        ));
    }

    let slow: Vec<String> = hooks
        .iter()
        .filter_map(|h| {
            let t = h
                .value
                .pointer("/timeoutSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(10);
            (t > 10).then(|| format!("{}/{} ({t}s)", h.configuration, h.name))
        })
        .collect();
    checks.push(if slow.is_empty() {
        ok("timeoutSeconds is at most 10s on every webhook")
    } else {
        warning(
            format!("long timeoutSeconds on {}", slow.join(", ")),
            "a slow injector delays every pod creation by up to this long; 10s is the default",
        )
    });

    checks.extend(overlap_checks(hooks));
    Category {
        name: "injector webhook configuration".into(),
        checks,
    }
}

/// Label combinations (as `istioctl analyze` IST0139 tries them) matched by more than one
/// Istio webhook: such pods would be injected twice.
fn overlap_checks(hooks: &[Hook]) -> Vec<Check> {
    let compiled: Vec<(&Hook, Option<Selector>, Option<Selector>)> = hooks
        .iter()
        .map(|h| {
            let compile = |ptr: &str| -> Option<Selector> {
                match h.value.pointer(ptr) {
                    None | Some(Value::Null) => Some(Selector::everything()),
                    Some(v) => serde_json::from_value(v.clone())
                        .ok()
                        .and_then(|ls| Selector::compile(&ls, ptr).ok()),
                }
            };
            (h, compile("/namespaceSelector"), compile("/objectSelector"))
        })
        .collect();
    let invalid: Vec<String> = compiled
        .iter()
        .filter(|(_, ns, obj)| ns.is_none() || obj.is_none())
        .map(|(h, ..)| format!("{}/{}", h.configuration, h.name))
        .collect();
    let mut out = Vec::new();
    if !invalid.is_empty() {
        out.push(error(
            format!("invalid selectors on {}", invalid.join(", ")),
            "the API server rejects or mis-applies these webhooks; re-install the injector",
        ));
    }
    let revisions: BTreeSet<String> = hooks.iter().map(|h| h.revision.clone()).collect();
    let ns_sets = label_sets(INJECTION_LABEL, ["enabled", "disabled"], &revisions);
    let pod_sets = label_sets(INJECT_KEY, ["true", "false"], &revisions);
    let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
    for ns in &ns_sets {
        for pod in &pod_sets {
            let matching: Vec<String> = compiled
                .iter()
                .filter(|(_, n, o)| {
                    n.as_ref().is_some_and(|n| n.matches(ns))
                        && o.as_ref().is_some_and(|o| o.matches(pod))
                })
                .map(|(h, ..)| format!("{}/{}", h.configuration, h.name))
                .collect();
            if matching.len() > 1 && seen.insert(matching.clone()) {
                out.push(error(
                    format!(
                        "webhooks overlap: a pod with labels [{}] in a namespace with labels [{}] is sent to {}",
                        show(pod),
                        show(ns),
                        matching.join(" and ")
                    ),
                    "such pods would be injected twice: remove the stale webhook configuration (`kubectl inject uninstall -r REV`) or fix the labels",
                ));
            }
        }
    }
    if out.is_empty() {
        out.push(ok("no two webhooks match the same pod"));
    }
    out
}

/// Every combination of `key` ∈ {absent, values…} × `istio.io/rev` ∈ {absent, revisions…}.
fn label_sets(key: &str, values: [&str; 2], revisions: &BTreeSet<String>) -> Vec<StringMap> {
    let mut sets = Vec::new();
    for value in std::iter::once(None).chain(values.into_iter().map(Some)) {
        for rev in std::iter::once(None).chain(revisions.iter().map(Some)) {
            let mut m = StringMap::new();
            if let Some(v) = value {
                m.insert(key.into(), v.into());
            }
            if let Some(r) = rev {
                m.insert(REV_LABEL.into(), r.clone());
            }
            sets.push(m);
        }
    }
    sets
}

fn show(m: &StringMap) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn service_checks(input: &Input, hooks: &[Hook]) -> Category {
    let mut checks = Vec::new();
    let mut by_service: BTreeMap<(String, String), Vec<&Hook>> = BTreeMap::new();
    for h in hooks {
        if let Some(svc) = service_of(h.value) {
            by_service.entry(svc).or_default().push(h);
        } else if let Some(url) = s(h.value, "/clientConfig/url") {
            checks.push(ok(format!(
                "{}/{} calls {url} directly",
                h.configuration, h.name
            )));
        }
    }
    for ((ns, name), hs) in &by_service {
        let fail = hs
            .iter()
            .any(|h| s(h.value, "/failurePolicy").unwrap_or("Fail") == "Fail");
        match input.services.get(&(ns.clone(), name.clone())) {
            Some(Some(_)) => checks.push(ok(format!("service {ns}/{name} exists"))),
            _ => {
                let effect = if fail {
                    "every pod creation in the namespaces they match is rejected"
                } else {
                    "pods in the namespaces they match are created without a sidecar"
                };
                checks.push(error(
                    format!(
                        "service {ns}/{name} does not exist, but {} webhooks call it: {effect}",
                        hs.len()
                    ),
                    "left behind by an uninstall? remove the webhook configuration: `kubectl inject uninstall` (see --dry-run), or reinstall the injector",
                ));
                continue;
            }
        }
        let ready = input
            .endpoints
            .get(&(ns.clone(), name.clone()))
            .and_then(Option::as_ref)
            .map(|ep| {
                ep.get("subsets")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.get("addresses").and_then(Value::as_array))
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .unwrap_or(0);
        checks.push(if ready > 0 {
            ok(format!("service {ns}/{name} has {ready} ready endpoints"))
        } else {
            error(
                format!("service {ns}/{name} has no ready endpoints"),
                format!("the injector pods are not ready: `kubectl -n {ns} get pods`"),
            )
        });
    }
    Category {
        name: "injector service".into(),
        checks,
    }
}

fn deployment_checks(input: &Input, hooks: &[Hook]) -> Category {
    let mut checks = Vec::new();
    let services: BTreeSet<(String, String)> =
        hooks.iter().filter_map(|h| service_of(h.value)).collect();
    for (ns, name) in services {
        let Some(Some(svc)) = input.services.get(&(ns.clone(), name.clone())) else {
            continue;
        };
        let selector: StringMap = svc
            .pointer("/spec/selector")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let backing: Vec<&Value> = input
            .deployments
            .iter()
            .filter(|d| {
                s(d, "/metadata/namespace") == Some(ns.as_str())
                    && !selector.is_empty()
                    && d.pointer("/spec/template/metadata/labels")
                        .and_then(Value::as_object)
                        .is_some_and(|l| {
                            selector
                                .iter()
                                .all(|(k, v)| l.get(k).and_then(Value::as_str) == Some(v))
                        })
            })
            .collect();
        if backing.is_empty() {
            checks.push(warning(
                format!("no deployment in {ns} backs service {ns}/{name}"),
                "the injector may run elsewhere (remote istiod); otherwise reinstall it",
            ));
            continue;
        }
        for d in backing {
            let dname = s(d, "/metadata/name").unwrap_or("");
            let want = d
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let ready = d
                .pointer("/status/readyReplicas")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            checks.push(if ready >= want && want > 0 {
                ok(format!("deployment {ns}/{dname} is ready ({ready}/{want})"))
            } else {
                error(
                    format!("deployment {ns}/{dname} is not ready ({ready}/{want})"),
                    format!("`kubectl -n {ns} describe deployment {dname}`"),
                )
            });
            if want < 2 {
                checks.push(warning(
                    format!("deployment {ns}/{dname} runs {want} replica"),
                    "run at least 2 replicas (the managed-mesh guidance), so a restart or an eviction does not stop injection",
                ));
            }
            let unbounded: Vec<&str> = d
                .pointer("/spec/template/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| {
                    c.pointer("/resources/requests")
                        .is_none_or(|r| r.as_object().is_none_or(|m| m.is_empty()))
                        || c.pointer("/resources/limits")
                            .is_none_or(|r| r.as_object().is_none_or(|m| m.is_empty()))
                })
                .filter_map(|c| s(c, "/name"))
                .collect();
            checks.push(if unbounded.is_empty() {
                ok(format!("deployment {ns}/{dname} sets resource requests and limits"))
            } else {
                warning(
                    format!(
                        "deployment {ns}/{dname}: containers without resource requests or limits: {}",
                        unbounded.join(", ")
                    ),
                    "set requests so the injector is scheduled with room, and limits so it cannot starve its node",
                )
            });
        }
    }
    Category {
        name: "injector deployment".into(),
        checks,
    }
}

fn namespace_checks(input: &Input) -> Category {
    let mut checks = Vec::new();
    match &input.namespaces {
        None => checks.push(warning(
            "namespaces could not be read",
            "the double-label check needs `list namespaces`",
        )),
        Some(list) => {
            let both: Vec<String> = list
                .iter()
                .filter(|n| {
                    let l = labels(n);
                    l.contains_key(INJECTION_LABEL) && l.contains_key(REV_LABEL)
                })
                .filter_map(|n| s(n, "/metadata/name").map(str::to_string))
                .collect();
            checks.push(if both.is_empty() {
                ok("no namespace has both istio-injection and istio.io/rev labels")
            } else {
                warning(
                    format!(
                        "namespaces with both istio-injection and istio.io/rev labels: {}",
                        both.join(", ")
                    ),
                    "istio-injection wins over istio.io/rev; remove one: `kubectl label namespace NAME istio-injection-`",
                )
            });
        }
    }
    Category {
        name: "namespaces".into(),
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mwc(name: &str, rev: &str, hooks: Value) -> Value {
        json!({"metadata": {"name": name, "labels": {"istio.io/rev": rev}}, "webhooks": hooks})
    }

    fn hook(name: &str, svc: &str, ns_sel: Value, obj_sel: Value, policy: &str) -> Value {
        json!({"name": name, "clientConfig": {"service": {"namespace": "istio-system", "name": svc}, "caBundle": "Q0E="},
               "failurePolicy": policy, "namespaceSelector": ns_sel, "objectSelector": obj_sel})
    }

    fn rev_ns(rev: &str) -> Value {
        json!({"matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": [rev]},
                                    {"key": "istio-injection", "operator": "DoesNotExist"}]})
    }

    fn not_false() -> Value {
        json!({"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]})
    }

    fn healthy() -> Input {
        let svc = json!({"metadata": {"name": "istiod", "namespace": "istio-system"}, "spec": {"selector": {"app": "istiod"}}});
        let ep = json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]}]});
        let dep = json!({"metadata": {"name": "istiod", "namespace": "istio-system"},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "istiod"}},
                "spec": {"containers": [{"name": "discovery", "resources": {"requests": {"cpu": "500m"}, "limits": {"cpu": "1"}}}]}}},
            "status": {"readyReplicas": 2}});
        let key = ("istio-system".to_string(), "istiod".to_string());
        Input {
            webhook_configurations: vec![mwc(
                "istio-sidecar-injector",
                "default",
                json!([hook(
                    "rev.namespace.sidecar-injector.istio.io",
                    "istiod",
                    rev_ns("default"),
                    not_false(),
                    "Ignore"
                )]),
            )],
            services: [(key.clone(), Some(svc))].into(),
            endpoints: [(key, Some(ep))].into(),
            deployments: vec![dep],
            namespaces: Some(vec![
                json!({"metadata": {"name": "web", "labels": {"istio-injection": "enabled"}}}),
            ]),
        }
    }

    fn statuses(r: &Report) -> Vec<(Status, String)> {
        r.categories
            .iter()
            .flat_map(|c| &c.checks)
            .map(|c| (c.status, c.description.clone()))
            .collect()
    }

    #[test]
    fn a_healthy_injector_has_only_the_failure_policy_warning() {
        let r = check(&healthy());
        let bad: Vec<_> = statuses(&r)
            .into_iter()
            .filter(|(s, _)| *s != Status::Ok)
            .collect();
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].1.starts_with("failurePolicy Ignore on 1 webhooks"));
        assert_eq!(r.status, Status::Warning);
    }

    #[test]
    fn a_missing_service_is_an_error_that_names_its_blast_radius() {
        let mut input = healthy();
        input.services.clear();
        input.webhook_configurations[0]["webhooks"][0]["failurePolicy"] = "Fail".into();
        let r = check(&input);
        assert_eq!(r.status, Status::Error);
        assert!(statuses(&r).iter().any(|(s, d)| *s == Status::Error
            && d == "service istio-system/istiod does not exist, but 1 webhooks call it: every pod creation in the namespaces they match is rejected"));
    }

    #[test]
    fn overlapping_webhooks_are_found() {
        let mut input = healthy();
        input.webhook_configurations.push(mwc(
            "istio-sidecar-injector-old",
            "default",
            json!([hook(
                "rev.namespace.sidecar-injector.istio.io",
                "istiod",
                rev_ns("default"),
                not_false(),
                "Ignore"
            )]),
        ));
        let r = check(&input);
        let overlaps: Vec<_> = statuses(&r)
            .into_iter()
            .filter(|(_, d)| d.starts_with("webhooks overlap"))
            .collect();
        assert!(!overlaps.is_empty());
        assert!(
            overlaps[0]
                .1
                .contains("in a namespace with labels [istio.io/rev=default]"),
            "{overlaps:?}"
        );
    }

    #[test]
    fn single_replica_unready_no_resources_no_ca_and_double_labels() {
        let mut input = healthy();
        input.deployments[0]["spec"]["replicas"] = 1.into();
        input.deployments[0]["status"]["readyReplicas"] = 0.into();
        input.deployments[0]["spec"]["template"]["spec"]["containers"][0]["resources"] = json!({});
        input.webhook_configurations[0]["webhooks"][0]["clientConfig"]["caBundle"] = "".into();
        input.endpoints.clear();
        input.namespaces = Some(vec![
            json!({"metadata": {"name": "web", "labels": {"istio-injection": "enabled", "istio.io/rev": "canary"}}}),
        ]);
        let st = statuses(&check(&input));
        let has =
            |s: Status, prefix: &str| st.iter().any(|(x, d)| *x == s && d.starts_with(prefix));
        assert!(
            has(
                Status::Error,
                "deployment istio-system/istiod is not ready (0/1)"
            ),
            "{st:?}"
        );
        assert!(has(
            Status::Warning,
            "deployment istio-system/istiod runs 1 replica"
        ));
        assert!(has(
            Status::Warning,
            "deployment istio-system/istiod: containers without resource requests or limits: discovery"
        ));
        assert!(has(
            Status::Error,
            "caBundle is empty on istio-sidecar-injector/rev.namespace"
        ));
        assert!(has(
            Status::Error,
            "service istio-system/istiod has no ready endpoints"
        ));
        assert!(has(
            Status::Warning,
            "namespaces with both istio-injection and istio.io/rev labels: web"
        ));
    }

    #[test]
    fn no_webhook_is_an_error() {
        let r = check(&Input::default());
        assert_eq!(r.status, Status::Error);
        assert_eq!(
            r.categories[0].checks[0].description,
            "no Istio sidecar-injector MutatingWebhookConfiguration found"
        );
    }
}
