//! The legacy pipeline (Istio 1.1–1.8): one `template` rendering a `SidecarInjectionSpec`
//! (`initContainers`, `containers`, `volumes`, `dnsConfig`, `imagePullSecrets`,
//! `rewriteAppHTTPProbe`, `podRedirectAnnot`, `holdApplicationUntilProxyStarts`) whose lists
//! are appended to the pod, as those injectors did with RFC 6902 `add` operations.

use serde_json::{Value, json};

use super::gotypes::{self, Ty};
use super::pipeline::{Engine, Injected, Owner, Params, PipelineError, RenderInput};
use super::pod::{self, List, Move};
use super::status::InjectionStatus;
use super::{probe, validate};
use crate::model::istio::{
    CANONICAL_NAME_LABEL, CANONICAL_REVISION_LABEL, CORE_DUMP_CONTAINER, INIT_CONTAINER,
    PROXY_CONTAINER, STATUS_ANNOTATION, TLS_MODE_LABEL,
};

/// The keys a `SidecarInjectionSpec` may have.
const SPEC_KEYS: [&str; 8] = [
    "rewriteAppHTTPProbe",
    "initContainers",
    "containers",
    "volumes",
    "dnsConfig",
    "imagePullSecrets",
    "podRedirectAnnot",
    "holdApplicationUntilProxyStarts",
];

/// The names legacy injectors assumed when a status record did not parse.
const LEGACY_INIT: [&str; 2] = [INIT_CONTAINER, CORE_DUMP_CONTAINER];

/// Injects one pod with a legacy template (rendered by the engine under the name `""`).
pub fn inject_pod(
    engine: &dyn Engine,
    owner: &Owner,
    pod: &Value,
    params: &Params,
) -> Result<Injected, PipelineError> {
    let mut original = pod.clone();
    gotypes::normalize(&mut original, Ty::Pod);
    validate::validate_annotations(pod::annotations(&original), &|k, v| {
        engine.check_annotation(k, v)
    })
    .map_err(PipelineError::Annotations)?;
    let settings = engine.settings(&original)?;
    // Legacy templates do not carry the probers of a previous injection: keep them, so the
    // app's already-rewritten probes are not lost on re-injection.
    let old_probers = pod::sidecar(&original)
        .and_then(|c| c.get("env"))
        .and_then(Value::as_array)
        .and_then(|e| e.iter().find(|e| e["name"] == probe::ENV).cloned())
        .filter(|_| pod::annotation(&original, STATUS_ANNOTATION).is_some());
    let stripped = strip(&original);

    let input = RenderInput {
        owner,
        pod: &stripped,
        native_sidecars: false,
        revision: &params.revision,
    };
    let text = engine
        .render("", &input)
        .map_err(|error| PipelineError::Render {
            name: "template".into(),
            error,
        })?;
    let spec = crate::manifest::read_yaml(&text).map_err(|e| PipelineError::Output {
        name: "template".into(),
        message: e.to_string(),
    })?;
    let spec = match spec {
        Value::Null => json!({}),
        Value::Object(m) => {
            if let Some(k) = m.keys().find(|k| !SPEC_KEYS.contains(&k.as_str())) {
                return Err(PipelineError::Output {
                    name: "template".into(),
                    message: format!("unknown field {k:?} in a SidecarInjectionSpec"),
                });
            }
            Value::Object(m)
        }
        _ => {
            return Err(PipelineError::Output {
                name: "template".into(),
                message: "the output is not a SidecarInjectionSpec mapping".into(),
            });
        }
    };

    let mut out = stripped;
    let list = |key: &str| -> Vec<Value> {
        let mut items = spec
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if key.ends_with("ontainers") {
            items.iter_mut().for_each(drop_pre_1_9_unknowns);
        }
        items
    };
    let spec_obj = pod::object_field(&mut out, "spec");
    for key in [
        "initContainers",
        "containers",
        "volumes",
        "imagePullSecrets",
    ] {
        let items = list(key);
        if !items.is_empty() {
            pod::array_field(spec_obj, key).extend(items);
        }
    }
    if let Some(dns) = spec.get("dnsConfig").filter(|d| !d.is_null()) {
        pod::as_object(spec_obj).insert("dnsConfig".into(), dns.clone());
    }
    if let Some(annots) = spec.get("podRedirectAnnot").and_then(Value::as_object) {
        for (k, v) in annots {
            if let Some(v) = v.as_str() {
                pod::set_annotation(&mut out, k, v);
            }
        }
    }
    gotypes::normalize(&mut out, Ty::Pod);

    let rewrite_default = spec
        .get("rewriteAppHTTPProbe")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let has_probers_env = pod::sidecar(&out)
        .and_then(|c| c.get("env"))
        .and_then(Value::as_array)
        .is_some_and(|e| e.iter().any(|e| e["name"] == probe::ENV));
    if has_probers_env {
        // The template wrote the probers itself (1.4–1.8 templates do).
        if probe::should_rewrite(&out, rewrite_default) {
            probe::rewrite_probes(&mut out, settings.status_port, settings.rewrite_tcp_probes);
        }
    } else {
        let merge = match (old_probers, pod::sidecar_mut(&mut out)) {
            (Some(env), Some(sidecar)) => {
                pod::env_mut(sidecar).push(env);
                true
            }
            _ => false,
        };
        probe::apply_rewrite(
            &mut out,
            rewrite_default,
            settings.rewrite_tcp_probes,
            settings.status_port,
            merge,
        );
    }

    // The labels 1.5–1.8 injectors added besides the template's output.
    let label = |k: &str| pod::label(&out, k).map(str::to_string);
    let name = label("app.kubernetes.io/name")
        .or_else(|| label("app"))
        .unwrap_or_else(|| owner.name.clone());
    let revision = label("app.kubernetes.io/version")
        .or_else(|| label("version"))
        .unwrap_or_else(|| "latest".into());
    let labels = pod::meta_map_mut(&mut out, "labels");
    for (k, v) in [
        (TLS_MODE_LABEL, "istio".to_string()),
        (CANONICAL_NAME_LABEL, name),
        (CANONICAL_REVISION_LABEL, revision),
    ] {
        labels.entry(k).or_insert_with(|| json!(v));
    }
    let canonical = json!({"spec": {
        "initContainers": list("initContainers"),
        "containers": list("containers"),
        "volumes": list("volumes"),
        "imagePullSecrets": list("imagePullSecrets"),
    }});
    let record = InjectionStatus::from_template_pod(&canonical, &params.revision);
    pod::set_annotation(&mut out, STATUS_ANNOTATION, record.to_annotation());
    for (k, v) in &params.injected_annotations {
        pod::set_annotation(&mut out, k, v.clone());
    }
    let hold = spec
        .get("holdApplicationUntilProxyStarts")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        || settings.hold_application;
    if hold && !pod::containers(&out, List::Containers).is_empty() {
        pod::modify(
            pod::containers_mut(&mut out, List::Containers),
            PROXY_CONTAINER,
            Move::First,
        );
    }
    gotypes::normalize(&mut out, Ty::Pod);
    Ok(Injected {
        pod: out,
        warnings: Vec::new(),
    })
}

/// Fields a legacy template may write that the Kubernetes types of its era did not have,
/// so its injector dropped them when decoding: `restartPolicy: Always` on a container
/// (1.8's istio-init has it) would make a native sidecar on a current cluster, and
/// `fsGroup` is not a container security-context field.
fn drop_pre_1_9_unknowns(container: &mut Value) {
    if let Some(c) = container.as_object_mut() {
        c.remove("restartPolicy");
        if let Some(sc) = c.get_mut("securityContext").and_then(Value::as_object_mut) {
            sc.remove("fsGroup");
        }
    }
}

/// Removes a previous injection: the listed containers (the legacy names when the record
/// does not parse) and the volumes and pull secrets it lists.
fn strip(pod: &Value) -> Value {
    let Some(raw) = pod::annotation(pod, STATUS_ANNOTATION) else {
        return pod.clone();
    };
    let prev = InjectionStatus::parse(raw)
        .filter(|s| !(s.containers.is_empty() && s.init_containers.is_empty()))
        .unwrap_or_else(|| InjectionStatus {
            init_containers: LEGACY_INIT.iter().map(|s| s.to_string()).collect(),
            containers: vec![PROXY_CONTAINER.into()],
            volumes: vec!["istio-certs".into(), "istio-envoy".into()],
            ..InjectionStatus::default()
        });
    let mut out = pod.clone();
    for (list, names) in [
        (List::Containers, &prev.containers),
        (List::InitContainers, &prev.init_containers),
    ] {
        for n in names {
            pod::modify(pod::containers_mut(&mut out, list), n, Move::Remove);
        }
    }
    let spec = pod::object_field(&mut out, "spec");
    for (key, names) in [
        ("volumes", &prev.volumes),
        ("imagePullSecrets", &prev.image_pull_secrets),
    ] {
        if let Some(items) = spec.get_mut(key).and_then(Value::as_array_mut) {
            items.retain(|v| !names.iter().any(|n| n == pod::name_of(v)));
        }
    }
    pod::remove_annotation(&mut out, STATUS_ANNOTATION);
    gotypes::normalize(&mut out, Ty::Pod);
    out
}

#[cfg(test)]
mod tests {
    use super::super::pipeline::{RenderError, Settings};
    use super::*;
    use crate::model::istio::INTERCEPTION_MODE_ANNOTATION;

    struct Canned(&'static str);
    impl Engine for Canned {
        fn settings(&self, _: &Value) -> Result<Settings, crate::config::MeshError> {
            Ok(Settings::default())
        }
        fn template_names(&self) -> Vec<String> {
            vec![]
        }
        fn render(&self, _: &str, _: &RenderInput<'_>) -> Result<String, RenderError> {
            Ok(self.0.to_string())
        }
        fn check_annotation(
            &self,
            _: &str,
            _: &str,
        ) -> Option<Result<(), crate::inject::validate::Reason>> {
            None
        }
    }

    const SPEC: &str = "initContainers:\n- name: istio-init\n  image: proxy_init\ncontainers:\n- name: istio-proxy\n  image: proxyv2\nvolumes:\n- name: istio-envoy\n  emptyDir: {medium: Memory}\npodRedirectAnnot:\n  sidecar.istio.io/interceptionMode: REDIRECT\nrewriteAppHTTPProbe: true\n";

    fn app() -> Value {
        json!({"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [
            {"name": "app", "readinessProbe": {"httpGet": {"port": 8080}}}]}})
    }

    #[test]
    fn spec_lists_are_appended_and_probes_rewritten() {
        let out = inject_pod(&Canned(SPEC), &Owner::default(), &app(), &Params::default()).unwrap();
        let p = &out.pod;
        let names = |l| {
            pod::containers(p, l)
                .iter()
                .map(pod::name_of)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(List::Containers), vec!["app", "istio-proxy"]);
        assert_eq!(names(List::InitContainers), vec!["istio-init"]);
        assert_eq!(
            pod::annotation(p, INTERCEPTION_MODE_ANNOTATION),
            Some("REDIRECT")
        );
        assert_eq!(pod::label(p, "security.istio.io/tlsMode"), Some("istio"));
        assert_eq!(
            p["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"],
            "/app-health/app/readyz"
        );
        assert!(
            pod::annotation(p, STATUS_ANNOTATION)
                .unwrap()
                .contains(r#""containers":["istio-proxy"]"#)
        );
    }

    #[test]
    fn reinjection_is_idempotent() {
        let engine = Canned(SPEC);
        let once = inject_pod(&engine, &Owner::default(), &app(), &Params::default())
            .unwrap()
            .pod;
        let twice = inject_pod(&engine, &Owner::default(), &once, &Params::default())
            .unwrap()
            .pod;
        assert_eq!(once, twice);
    }

    #[test]
    fn unknown_spec_field_is_an_error() {
        let e = inject_pod(
            &Canned("metadata: {}\nspec: {}\n"),
            &Owner::default(),
            &app(),
            &Params::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("unknown field \"metadata\""), "{e}");
    }
}
