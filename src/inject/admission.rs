//! Admission simulation: an `admission.k8s.io/v1` (or `v1beta1`) AdmissionReview in, the
//! response the injector webhook would return out, in the review's own version (the API
//! server expects the version it sent) — the decision engine first (the configured policy
//! and selectors, as the webhook applies them), then the pipeline, then an RFC 6902 diff of
//! the pod *as received* and the injected pod, base64-encoded: the API server applies the
//! patch to the object it sent, so a diff against a normalised copy (zero structs added, a
//! namespace filled in) would not apply.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Value, json};

use super::gotypes::{self, Ty};
use super::jsonpatch;
use super::pipeline::{self, Engine, Owner, Params};
use crate::config::InjectorConfig;
use crate::model::StringMap;
use crate::model::webhook::{Webhook, WebhookConfiguration};
use crate::policy;

/// A review that cannot be answered at all (not a v1 AdmissionReview with a Pod).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdmissionError {
    #[error("not an admission.k8s.io/v1 or v1beta1 AdmissionReview (apiVersion {0:?}, kind {1:?})")]
    NotAReview(String, String),
    #[error("the AdmissionReview has no request")]
    NoRequest,
    #[error("request.object is not a Pod (kind {0:?})")]
    NotAPod(String),
    #[error("request.object: {0}")]
    Invalid(String),
    #[error("the injector configuration's selectors do not compile: {0}")]
    Config(String),
}

#[derive(Serialize)]
struct Status {
    message: String,
}

/// `AdmissionResponse` in Go's field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    uid: String,
    allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch_type: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Review {
    api_version: &'static str,
    kind: &'static str,
    response: Response,
}

/// What the simulation did, for the report on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub injected: bool,
    /// The decision engine's reason (or the error) in words.
    pub reason: String,
}

/// Answers one AdmissionReview. Injection errors become a denying response carrying the
/// message, as the webhook answers; only an unusable review is an `Err`.
pub fn review(
    engine: &dyn Engine,
    config: &InjectorConfig,
    params: &Params,
    review: &Value,
) -> Result<(Value, Verdict), AdmissionError> {
    let api = review
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = review.get("kind").and_then(Value::as_str).unwrap_or("");
    let version: &'static str = match api {
        "admission.k8s.io/v1" => "admission.k8s.io/v1",
        "admission.k8s.io/v1beta1" => "admission.k8s.io/v1beta1",
        _ => return Err(AdmissionError::NotAReview(api.into(), kind.into())),
    };
    if kind != "AdmissionReview" {
        return Err(AdmissionError::NotAReview(api.into(), kind.into()));
    }
    let request = review.get("request").ok_or(AdmissionError::NoRequest)?;
    let uid = request
        .get("uid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let object = request.get("object").cloned().unwrap_or(Value::Null);
    let object_kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let request_kind = request
        .pointer("/kind/kind")
        .and_then(Value::as_str)
        .unwrap_or(object_kind);
    if request_kind != "Pod" || !object.is_object() {
        return Err(AdmissionError::NotAPod(request_kind.to_string()));
    }
    super::validate::object(&object, "").map_err(|e| AdmissionError::Invalid(e.to_string()))?;
    // The patch is a diff against this, the object as the API server sent it.
    let received = object.clone();
    let mut pod = object;
    gotypes::normalize(&mut pod, Ty::Pod);
    let namespace = request
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if pod
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
        .is_empty()
        && !namespace.is_empty()
    {
        super::pod::as_object(super::pod::object_field(&mut pod, "metadata"))
            .insert("namespace".into(), json!(namespace));
    }

    let decider = decider(config)?;
    let ns = policy::Namespace::known(&namespace, StringMap::new());
    let p = policy::Pod {
        labels: super::pod::string_map(pod.pointer("/metadata/labels")),
        annotations: super::pod::string_map(pod.pointer("/metadata/annotations")),
        host_network: pod.pointer("/spec/hostNetwork") == Some(&Value::Bool(true)),
        ..policy::Pod::default()
    };
    let decision = decider.decide(&ns, &p);
    let respond = |response: Response| -> Value {
        serde_json::to_value(Review {
            api_version: version,
            kind: "AdmissionReview",
            response,
        })
        .unwrap_or(Value::Null)
    };
    if !decision.inject {
        let r = Response {
            uid,
            allowed: true,
            status: None,
            patch: None,
            patch_type: None,
        };
        return Ok((
            respond(r),
            Verdict {
                injected: false,
                reason: decision.reason,
            },
        ));
    }

    let owner = deploy_meta_from_pod(&pod);
    let pod_part = json!({
        "metadata": pod.get("metadata").cloned().unwrap_or_else(|| json!({})),
        "spec": pod.get("spec").cloned().unwrap_or_else(|| json!({})),
    });
    match pipeline::inject_pod(engine, &owner, pod_part, params) {
        Ok(injected) => {
            let mut after = pod.clone();
            if let Some(m) = after.as_object_mut() {
                for key in ["metadata", "spec"] {
                    if let Some(v) = injected.pod.get(key) {
                        m.insert(key.into(), v.clone());
                    }
                }
            }
            gotypes::normalize(&mut after, Ty::Pod);
            // The namespace was filled in from the request to decide and render; the webhook
            // does not add it to the pod.
            if received.pointer("/metadata/namespace").is_none()
                && let Some(meta) = after.get_mut("metadata").and_then(Value::as_object_mut)
            {
                meta.remove("namespace");
            }
            let ops = jsonpatch::diff(&received, &after);
            let patch = base64::engine::general_purpose::STANDARD.encode(jsonpatch::to_json(&ops));
            Ok((
                respond(Response {
                    uid,
                    allowed: true,
                    status: None,
                    patch: Some(patch),
                    patch_type: Some("JSONPatch"),
                }),
                Verdict {
                    injected: true,
                    reason: decision.reason,
                },
            ))
        }
        Err(e) => {
            let message = format!("failed to run injection template: {e}");
            Ok((
                respond(Response {
                    uid,
                    allowed: false,
                    status: Some(Status {
                        message: message.clone(),
                    }),
                    patch: None,
                    patch_type: None,
                }),
                Verdict {
                    injected: false,
                    reason: message,
                },
            ))
        }
    }
}

/// The webhook was called, so the API server's selectors matched: one entry that matches
/// everything, then the configured policy and never/always selectors.
fn decider(config: &InjectorConfig) -> Result<policy::Engine, AdmissionError> {
    let called = WebhookConfiguration {
        name: "admission-review".into(),
        labels: StringMap::new(),
        webhooks: vec![Webhook {
            name: "sidecar-injector.istio.io".into(),
            namespace_selector: None,
            object_selector: None,
        }],
        source: "<admission review>".into(),
    };
    policy::Engine::new(
        config,
        "injector configuration",
        &[called],
        policy::Options::default(),
    )
    .map_err(|e| AdmissionError::Config(e.to_string()))
}

/// Istio's `GetDeployMetaFromPod`: the workload a pod belongs to, from its controller
/// owner reference (a ReplicaSet named `<deployment>-<pod-template-hash>` is a Deployment's,
/// a Job named `<cronjob>-<8 to 10 digits>` a CronJob's).
pub fn deploy_meta_from_pod(pod: &Value) -> Owner {
    let meta = |k: &str| {
        pod.pointer(&format!("/metadata/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut owner = Owner {
        api_version: "v1".into(),
        kind: "Pod".into(),
        name: meta("name"),
        namespace: meta("namespace"),
        ..Owner::default()
    };
    let controller = pod
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .and_then(|refs| {
            refs.iter()
                .find(|r| r.get("controller") == Some(&Value::Bool(true)))
        });
    if let (false, Some(r)) = (meta("generateName").is_empty(), controller) {
        let get = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        owner.api_version = get("apiVersion");
        owner.kind = get("kind");
        owner.name = get("name");
        let label = |k: &str| super::pod::label(pod, k).map(str::to_string);
        match owner.kind.as_str() {
            "ReplicaSet" => {
                if let Some(hash) = label("pod-template-hash") {
                    if let Some(base) = owner.name.strip_suffix(&format!("-{hash}")) {
                        owner.name = base.to_string();
                        owner.kind = "Deployment".into();
                        owner.api_version = "apps/v1".into();
                    }
                } else if let Some(hash) = label("rollouts-pod-template-hash")
                    && let Some(base) = owner.name.strip_suffix(&format!("-{hash}"))
                {
                    owner.name = base.to_string();
                    owner.kind = "Rollout".into();
                    owner.api_version = "v1alpha1".into();
                }
            }
            "ReplicationController" => {
                if let Some(dc) = label("deploymentconfig") {
                    owner.name = dc;
                    owner.kind = "DeploymentConfig".into();
                    owner.api_version = "v1".into();
                }
            }
            "Job" => {
                if let Some((base, digits)) = owner.name.rsplit_once('-')
                    && (8..=10).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && !base.is_empty()
                {
                    owner.name = base.to_string();
                    owner.kind = "CronJob".into();
                    owner.api_version = "batch/v1".into();
                }
            }
            _ => {}
        }
    }
    if owner.name.is_empty() {
        owner.name = meta("name");
    }
    owner
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The response's patch, applied to the object exactly as it was sent.
    fn answer(api: &str, object: Value) -> (Value, Value) {
        let setup = crate::inject::engine::Setup::load(Default::default()).unwrap();
        let params = setup.params(false, None, true);
        let review = json!({"apiVersion": api, "kind": "AdmissionReview",
            "request": {"uid": "u1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
                        "namespace": "shop", "operation": "CREATE", "object": object}});
        let (resp, verdict) = review_fn(&setup, setup.config(), &params, &review).unwrap();
        assert!(verdict.injected, "{}", verdict.reason);
        let patch = resp["response"]["patch"].as_str().unwrap();
        let ops: Vec<Value> = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(patch)
                .unwrap(),
        )
        .unwrap();
        let ops: Vec<jsonpatch::Op> = ops
            .into_iter()
            .map(|o| jsonpatch::Op {
                op: match o["op"].as_str().unwrap() {
                    "add" => "add",
                    "remove" => "remove",
                    _ => "replace",
                },
                path: o["path"].as_str().unwrap().to_string(),
                value: o.get("value").cloned(),
            })
            .collect();
        let patched = jsonpatch::apply(&object, &ops).unwrap();
        (resp, patched)
    }

    use super::review as review_fn;

    #[test]
    fn v1beta1_reviews_are_answered_in_v1beta1() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                         "spec": {"containers": [{"name": "app", "image": "nginx"}]}});
        for api in ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] {
            let (resp, _) = answer(api, pod.clone());
            assert_eq!(resp["apiVersion"], api);
            assert_eq!(resp["response"]["uid"], "u1");
        }
    }

    #[test]
    fn the_patch_applies_to_the_object_as_sent() {
        // No namespace, no resources, no status, no empty structs: the normalised pod
        // differs from this one in many places the patch must not assume.
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": 80}]}]}});
        let (_, patched) = answer("admission.k8s.io/v1", pod);
        let names: Vec<&str> = patched["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["app", "istio-proxy"]);
        assert_eq!(patched["spec"]["containers"][0]["image"], "nginx");
        assert!(patched["metadata"].get("namespace").is_none());
    }

    #[test]
    fn other_review_versions_are_refused() {
        let setup = crate::inject::engine::Setup::load(Default::default()).unwrap();
        let params = setup.params(false, None, true);
        let review =
            json!({"apiVersion": "admission.k8s.io/v2", "kind": "AdmissionReview", "request": {}});
        assert!(matches!(
            review_fn(&setup, setup.config(), &params, &review),
            Err(AdmissionError::NotAReview(..))
        ));
    }

    #[test]
    fn deploy_meta_table() {
        let pod = |generate: &str, labels: Value, kind: &str, name: &str| {
            json!({"metadata": {"name": "p", "generateName": generate, "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": kind, "name": name, "controller": true}]}})
        };
        for (p, kind, name) in [
            (
                pod(
                    "web-",
                    json!({"pod-template-hash": "abc"}),
                    "ReplicaSet",
                    "web-abc",
                ),
                "Deployment",
                "web",
            ),
            (
                pod("x-", json!({}), "ReplicaSet", "plain"),
                "ReplicaSet",
                "plain",
            ),
            (
                pod("j-", json!({}), "Job", "backup-28812345"),
                "CronJob",
                "backup",
            ),
            (pod("j-", json!({}), "Job", "backup-1"), "Job", "backup-1"),
            (
                pod(
                    "r-",
                    json!({"deploymentconfig": "dc"}),
                    "ReplicationController",
                    "dc-1",
                ),
                "DeploymentConfig",
                "dc",
            ),
            (pod("", json!({}), "ReplicaSet", "web-abc"), "Pod", "p"),
        ] {
            let o = deploy_meta_from_pod(&p);
            assert_eq!((o.kind.as_str(), o.name.as_str()), (kind, name), "{p}");
        }
    }
}
