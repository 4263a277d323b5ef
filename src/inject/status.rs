//! The `sidecar.istio.io/status` record, and strip: removing a previous injection so that
//! injecting again is idempotent (Istio's `stripPod`, `reinsertOverrides`, `parseStatus`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::pod::{self, List, Move};
use crate::model::istio::{
    DEFAULT_CONTAINER_ANNOTATION, OVERRIDES_ANNOTATION, PROXY_CONTAINER, STATUS_ANNOTATION,
};

/// What a previous injection added, by name (Go's `SidecarInjectionStatus`). Empty lists
/// marshal as `null`, as Go's nil slices do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InjectionStatus {
    #[serde(default, deserialize_with = "null_as_empty")]
    pub init_containers: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub containers: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub volumes: Vec<String>,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub image_pull_secrets: Vec<String>,
    #[serde(default)]
    pub revision: String,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

/// Go's marshalling of the record: nil lists as `null`, fields in declaration order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusOut<'a> {
    init_containers: Option<&'a [String]>,
    containers: Option<&'a [String]>,
    volumes: Option<&'a [String]>,
    image_pull_secrets: Option<&'a [String]>,
    revision: &'a str,
}

impl InjectionStatus {
    /// The names the template pod (the merged template outputs) contributes.
    pub fn from_template_pod(template_pod: &Value, revision: &str) -> InjectionStatus {
        let names = |ptr: &str| -> Vec<String> {
            pod::at(template_pod, ptr)
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|c| pod::name_of(c).to_string()).collect())
                .unwrap_or_default()
        };
        InjectionStatus {
            init_containers: names("/spec/initContainers"),
            containers: names("/spec/containers"),
            volumes: names("/spec/volumes"),
            image_pull_secrets: names("/spec/imagePullSecrets"),
            revision: if revision.is_empty() {
                "default".into()
            } else {
                revision.into()
            },
        }
    }

    /// The annotation value, byte for byte what Go's `json.Marshal` writes.
    pub fn to_annotation(&self) -> String {
        fn opt(v: &[String]) -> Option<&[String]> {
            if v.is_empty() { None } else { Some(v) }
        }
        crate::go::json::marshal(&StatusOut {
            init_containers: opt(&self.init_containers),
            containers: opt(&self.containers),
            volumes: opt(&self.volumes),
            image_pull_secrets: opt(&self.image_pull_secrets),
            revision: &self.revision,
        })
    }

    /// Parses the annotation as Istio does: any JSON object; anything else is no status.
    /// (serde would also read a struct from a JSON array, `[]` as an empty record: an array
    /// is not an object to Go.)
    pub fn parse(s: &str) -> Option<InjectionStatus> {
        match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => serde_json::from_value(v).ok(),
            _ => None,
        }
    }

    /// Whether the record names nothing the injection added.
    pub fn is_empty(&self) -> bool {
        self.containers.is_empty()
            && self.init_containers.is_empty()
            && self.volumes.is_empty()
            && self.image_pull_secrets.is_empty()
    }
}

/// Why a previous injection's record cannot be stripped, or its overrides not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    #[error(
        "the {STATUS_ANNOTATION} record lists {list} {name:?}, and the pod has two of that name; \
         refusing to guess which one was injected"
    )]
    AmbiguousName { list: &'static str, name: String },
    #[error(
        "the {STATUS_ANNOTATION} record lists every container of the pod ({}); removing them \
         would leave the app without one, so the record cannot be the injector's",
        .names.join(", ")
    )]
    EveryContainer { names: Vec<String> },
    #[error(
        "the {STATUS_ANNOTATION} record lists container {name:?}, which \
         kubectl.kubernetes.io/default-container names as the app's own; refusing to remove it"
    )]
    DefaultContainer { name: String },
    #[error(
        "the {STATUS_ANNOTATION} record lists volume {volume:?}, which container {container:?} \
         (not added by the injection) still mounts; refusing to remove it"
    )]
    MountedVolume { volume: String, container: String },
    /// The overrides annotation is not JSON (serde's message in the text, as Istio prints it).
    #[error("annotation {OVERRIDES_ANNOTATION} is not valid JSON: {0}")]
    Overrides(String),
    /// Istio's containers without a record of what put them there.
    #[error(
        "has container {} but no {STATUS_ANNOTATION} record; refusing to guess what was injected \
         (remove the sidecar by hand, or inject with a recent Istio to get a record)",
        .found.join(", ")
    )]
    NoRecord { found: Vec<String> },
    /// The record as written (`raw`) is not a JSON object.
    #[error(
        "annotation {STATUS_ANNOTATION} is not a JSON object ({raw:?}); refusing to guess what was injected"
    )]
    NotAnObject { raw: String },
    /// The record (`raw`) names nothing to remove.
    #[error(
        "annotation {STATUS_ANNOTATION} lists no container, init container, volume or pull secret \
         ({raw:?}); refusing to report a strip that removes nothing of the sidecar"
    )]
    EmptyRecord { raw: String },
}

/// The previous injection of a pod, if its status annotation parses.
pub fn previous(pod: &Value) -> Option<InjectionStatus> {
    pod::annotation(pod, STATUS_ANNOTATION).and_then(InjectionStatus::parse)
}

/// Istio's `stripPod`: remove the containers a previous injection lists, clear the
/// Prometheus annotations it set (when they point at the status port) and the record itself.
/// Volumes stay: the strategic merge re-merges them by name.
///
/// Unlike Istio, a record that names something the app still needs is an error rather than
/// a deletion (see [`check_owned`]): a hand-edited or copied record must not cost the user a
/// container.
pub fn strip(pod: &Value, status_port: &str) -> Result<Value, StatusError> {
    let Some(prev) = previous(pod) else {
        return Ok(pod.clone());
    };
    check_owned(pod, &prev)?;
    let mut out = pod.clone();
    for name in &prev.containers {
        pod::modify(
            pod::containers_mut(&mut out, List::Containers),
            name,
            Move::Remove,
        );
    }
    for name in &prev.init_containers {
        pod::modify(
            pod::containers_mut(&mut out, List::InitContainers),
            name,
            Move::Remove,
        );
    }
    if super::prometheus::port(&out) == Some(status_port) {
        super::prometheus::clear(&mut out);
    }
    pod::remove_annotation(&mut out, STATUS_ANNOTATION);
    Ok(out)
}

/// Whether everything `record` names belongs to the injection alone, so removing it loses
/// nothing of the app's. Refused, naming the field:
/// - a record naming every container of the pod (the app would have none left);
/// - a record naming the container `kubectl.kubernetes.io/default-container` points at
///   (the injector sets it to the first *app* container);
/// - a name the pod has twice in one list (which one was injected?);
/// - a volume the record names that a container staying in the pod still mounts.
pub fn check_owned(pod: &Value, record: &InjectionStatus) -> Result<(), StatusError> {
    for (list, names, what) in [
        (List::Containers, &record.containers, "containers"),
        (
            List::InitContainers,
            &record.init_containers,
            "initContainers",
        ),
    ] {
        let present = pod::containers(pod, list);
        for n in names {
            if present.iter().filter(|c| pod::name_of(c) == n).count() > 1 {
                return Err(StatusError::AmbiguousName {
                    list: what,
                    name: n.clone(),
                });
            }
        }
        // A gateway's only container is its own `istio-proxy`, which the gateway template
        // completes: removing it is Istio's re-injection, not a loss of the app.
        if list == List::Containers
            && !present.is_empty()
            && present
                .iter()
                .all(|c| names.iter().any(|n| n == pod::name_of(c)))
            && present.iter().any(|c| pod::name_of(c) != PROXY_CONTAINER)
        {
            return Err(StatusError::EveryContainer {
                names: names.clone(),
            });
        }
    }
    if let Some(app) = pod::annotation(pod, DEFAULT_CONTAINER_ANNOTATION)
        && record.containers.iter().any(|n| n == app)
        && app != PROXY_CONTAINER
    {
        return Err(StatusError::DefaultContainer {
            name: app.to_string(),
        });
    }
    for (list, removed) in [
        (List::Containers, &record.containers),
        (List::InitContainers, &record.init_containers),
    ] {
        for c in pod::containers(pod, list) {
            let name = pod::name_of(c);
            if removed.iter().any(|n| n == name) {
                continue;
            }
            let mounts = c
                .get("volumeMounts")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for m in mounts {
                let v = pod::name_of(m);
                if record.volumes.iter().any(|n| n == v) {
                    return Err(StatusError::MountedVolume {
                        volume: v.to_string(),
                        container: name.to_string(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Containers to keep across re-injection (`proxy.istio.io/overrides`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overrides {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Value>,
}

impl Overrides {
    /// The pod's overrides annotation; an annotation that is not JSON is an error, as in Istio.
    pub fn of(pod: &Value) -> Result<Overrides, StatusError> {
        match pod::annotation(pod, OVERRIDES_ANNOTATION) {
            None => Ok(Overrides::default()),
            Some(s) => serde_json::from_str(s).map_err(|e| StatusError::Overrides(e.to_string())),
        }
    }
}

/// Istio's `reinsertOverrides`: containers recorded in `proxy.istio.io/overrides` and missing
/// from the pod are appended back.
pub fn reinsert_overrides(mut out: Value) -> Result<Value, StatusError> {
    let ov = Overrides::of(&out)?;
    for (list, items) in [
        (List::Containers, &ov.containers),
        (List::InitContainers, &ov.init_containers),
    ] {
        for c in items {
            if !pod::has(&out, list, pod::name_of(c)) {
                pod::containers_mut(&mut out, list).push(c.clone());
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_marshals_like_go() {
        let tp = json!({"spec": {"initContainers": [{"name": "istio-init"}, {"name": "istio-proxy"}], "volumes": [{"name": "a"}]}});
        let s = InjectionStatus::from_template_pod(&tp, "");
        assert_eq!(
            s.to_annotation(),
            r#"{"initContainers":["istio-init","istio-proxy"],"containers":null,"volumes":["a"],"imagePullSecrets":null,"revision":"default"}"#
        );
        assert_eq!(InjectionStatus::parse(&s.to_annotation()), Some(s));
    }

    #[test]
    fn parse_accepts_any_object_and_rejects_non_json() {
        let s =
            InjectionStatus::parse(r#"{"version":"abc","containers":["istio-proxy"]}"#).unwrap();
        assert_eq!(s.containers, vec!["istio-proxy"]);
        assert!(InjectionStatus::parse("not json").is_none());
        assert!(InjectionStatus::parse("[]").is_none());
        assert!(InjectionStatus::parse(r#"["istio-proxy"]"#).is_none());
        assert!(InjectionStatus::parse("{}").unwrap().is_empty());
    }

    #[test]
    fn strip_removes_listed_containers_and_record() {
        let pod = json!({
            "metadata": {"annotations": {
                STATUS_ANNOTATION: r#"{"initContainers":["istio-init"],"containers":["istio-proxy"]}"#,
                "prometheus.io/port": "15020", "prometheus.io/scrape": "true", "keep": "x"}},
            "spec": {"initContainers": [{"name": "istio-init"}, {"name": "mine"}],
                     "containers": [{"name": "app"}, {"name": "istio-proxy"}]}
        });
        let out = strip(&pod, "15020").unwrap();
        assert_eq!(
            out,
            json!({"metadata": {"annotations": {"keep": "x"}},
                   "spec": {"initContainers": [{"name": "mine"}], "containers": [{"name": "app"}]}})
        );
        // Without a record nothing changes.
        let plain = json!({"spec": {"containers": [{"name": "istio-proxy"}]}});
        assert_eq!(strip(&plain, "15020").unwrap(), plain);
    }

    #[test]
    fn records_naming_what_the_app_needs_are_refused() {
        let rec = |r: &str, spec: Value, ann: Value| {
            let mut a = ann;
            a[STATUS_ANNOTATION] = Value::from(r);
            json!({"metadata": {"annotations": a}, "spec": spec})
        };
        // (case, pod, expected error substring or None when the strip is safe)
        let cases = [
            (
                "the app's only container",
                rec(
                    r#"{"containers":["web"]}"#,
                    json!({"containers": [{"name": "web"}]}),
                    json!({}),
                ),
                Some("every container"),
            ),
            (
                "every container, proxy included",
                rec(
                    r#"{"containers":["web","istio-proxy"]}"#,
                    json!({"containers": [{"name": "web"}, {"name": "istio-proxy"}]}),
                    json!({}),
                ),
                Some("every container"),
            ),
            (
                "the default container",
                rec(
                    r#"{"containers":["istio-proxy","web"]}"#,
                    json!({"containers": [{"name": "web"}, {"name": "istio-proxy"}, {"name": "log"}]}),
                    json!({DEFAULT_CONTAINER_ANNOTATION: "web"}),
                ),
                Some("default-container"),
            ),
            (
                "a volume the app mounts",
                rec(
                    r#"{"containers":["istio-proxy"],"volumes":["data"]}"#,
                    json!({"containers": [{"name": "web", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}, {"name": "istio-proxy"}],
                           "volumes": [{"name": "data"}]}),
                    json!({}),
                ),
                Some("volume \"data\""),
            ),
            (
                "a volume an app init container mounts",
                rec(
                    r#"{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["data"]}"#,
                    json!({"initContainers": [{"name": "setup", "volumeMounts": [{"name": "data"}]}, {"name": "istio-init"}],
                           "containers": [{"name": "web"}, {"name": "istio-proxy"}], "volumes": [{"name": "data"}]}),
                    json!({}),
                ),
                Some("setup"),
            ),
            (
                "two containers of a listed name",
                rec(
                    r#"{"containers":["istio-proxy"]}"#,
                    json!({"containers": [{"name": "web"}, {"name": "istio-proxy"}, {"name": "istio-proxy"}]}),
                    json!({}),
                ),
                Some("two of that name"),
            ),
            (
                "a real injection",
                rec(
                    r#"{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"]}"#,
                    json!({"initContainers": [{"name": "istio-init"}],
                           "containers": [{"name": "web"}, {"name": "istio-proxy", "volumeMounts": [{"name": "istio-envoy"}]}],
                           "volumes": [{"name": "istio-envoy"}]}),
                    json!({DEFAULT_CONTAINER_ANNOTATION: "web"}),
                ),
                None,
            ),
        ];
        for (case, pod, want) in cases {
            match (strip(&pod, "15020"), want) {
                (Ok(_), None) => {}
                (Err(e), Some(w)) => assert!(e.to_string().contains(w), "{case}: {e}"),
                (got, want) => panic!("{case}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn overrides_are_reinserted_when_missing() {
        let pod = json!({
            "metadata": {"annotations": {OVERRIDES_ANNOTATION: r#"{"containers":[{"name":"istio-proxy","image":"x"}]}"#}},
            "spec": {"containers": [{"name": "app"}]}
        });
        let out = reinsert_overrides(pod).unwrap();
        assert_eq!(pod::containers(&out, List::Containers).len(), 2);
        let bad = json!({"metadata": {"annotations": {OVERRIDES_ANNOTATION: "{"}}});
        assert!(reinsert_overrides(bad).is_err());
    }
}
