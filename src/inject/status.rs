//! The `sidecar.istio.io/status` record, and strip: removing a previous injection so that
//! injecting again is idempotent (Istio's `stripPod`, `reinsertOverrides`, `parseStatus`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::pod::{self, List, Move};

pub const STATUS: &str = "sidecar.istio.io/status";
pub const OVERRIDES: &str = "proxy.istio.io/overrides";

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
        // The five names were written by us; only a name that is not valid UTF-8 could fail,
        // and a String cannot hold one.
        let s = serde_json::to_string(&StatusOut {
            init_containers: opt(&self.init_containers),
            containers: opt(&self.containers),
            volumes: opt(&self.volumes),
            image_pull_secrets: opt(&self.image_pull_secrets),
            revision: &self.revision,
        })
        .unwrap_or_default();
        go_json_escape(&s)
    }

    /// Parses the annotation as Istio does: any JSON object; anything else is no status.
    pub fn parse(s: &str) -> Option<InjectionStatus> {
        serde_json::from_str(s).ok()
    }
}

/// Go's `encoding/json` escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings; those
/// characters only ever appear inside strings in JSON text, so a plain replace is exact.
pub fn go_json_escape(s: &str) -> String {
    if !s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return s.to_string();
    }
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Go's `json.Marshal` of a serializable value.
pub fn go_json<T: Serialize>(v: &T) -> String {
    go_json_escape(&serde_json::to_string(v).unwrap_or_default())
}

/// The previous injection of a pod, if its status annotation parses.
pub fn previous(pod: &Value) -> Option<InjectionStatus> {
    pod::annotation(pod, STATUS).and_then(InjectionStatus::parse)
}

/// Istio's `stripPod`: remove the containers a previous injection lists, clear the
/// Prometheus annotations it set (when they point at the status port) and the record itself.
/// Volumes stay: the strategic merge re-merges them by name.
pub fn strip(pod: &Value, status_port: &str) -> Value {
    let Some(prev) = previous(pod) else {
        return pod.clone();
    };
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
    pod::remove_annotation(&mut out, STATUS);
    out
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
    pub fn of(pod: &Value) -> Result<Overrides, String> {
        match pod::annotation(pod, OVERRIDES) {
            None => Ok(Overrides::default()),
            Some(s) => serde_json::from_str(s)
                .map_err(|e| format!("annotation {OVERRIDES} is not valid JSON: {e}")),
        }
    }
}

/// Istio's `reinsertOverrides`: containers recorded in `proxy.istio.io/overrides` and missing
/// from the pod are appended back.
pub fn reinsert_overrides(mut out: Value) -> Result<Value, String> {
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
    }

    #[test]
    fn go_escapes_html_characters() {
        assert_eq!(go_json(&"a<b>&"), r#""a\u003cb\u003e\u0026""#);
    }

    #[test]
    fn strip_removes_listed_containers_and_record() {
        let pod = json!({
            "metadata": {"annotations": {
                STATUS: r#"{"initContainers":["istio-init"],"containers":["istio-proxy"]}"#,
                "prometheus.io/port": "15020", "prometheus.io/scrape": "true", "keep": "x"}},
            "spec": {"initContainers": [{"name": "istio-init"}, {"name": "mine"}],
                     "containers": [{"name": "app"}, {"name": "istio-proxy"}]}
        });
        let out = strip(&pod, "15020");
        assert_eq!(
            out,
            json!({"metadata": {"annotations": {"keep": "x"}},
                   "spec": {"initContainers": [{"name": "mine"}], "containers": [{"name": "app"}]}})
        );
        // Without a record nothing changes.
        let plain = json!({"spec": {"containers": [{"name": "istio-proxy"}]}});
        assert_eq!(strip(&plain, "15020"), plain);
    }

    #[test]
    fn overrides_are_reinserted_when_missing() {
        let pod = json!({
            "metadata": {"annotations": {OVERRIDES: r#"{"containers":[{"name":"istio-proxy","image":"x"}]}"#}},
            "spec": {"containers": [{"name": "app"}]}
        });
        let out = reinsert_overrides(pod).unwrap();
        assert_eq!(pod::containers(&out, List::Containers).len(), 2);
        let bad = json!({"metadata": {"annotations": {OVERRIDES: "{"}}});
        assert!(reinsert_overrides(bad).is_err());
    }
}
