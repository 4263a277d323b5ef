//! From parsed manifest documents to what the engine decides on: the pods (each workload's
//! pod template, as the webhook would see the pod), and the context the input carries —
//! Namespace documents, an injector ConfigMap, MutatingWebhookConfigurations.
//!
//! `v1` `List` documents (and `*List` kinds with `items`) are walked item by item. Kinds the
//! decision does not apply to (Service, other ConfigMaps, …) are returned as `skipped`.

use serde_json::Value;

use super::{Namespace, Pod};
use crate::config::{ConfigError, InjectorConfig};
use crate::manifest::{Document, WorkloadKind};
use crate::model::{StringMap, WebhookConfiguration, WebhookError};

/// One pod to decide on: a Pod, or the pod template of a workload.
#[derive(Debug, Clone)]
pub struct Subject {
    /// `app.yaml: document 2 (Deployment web/productpage)`.
    pub at: String,
    pub kind: WorkloadKind,
    pub name: String,
    /// The workload's `metadata.namespace`, else the default given to `gather`.
    pub namespace: String,
    pub pod: Pod,
}

/// An input object that is not a pod, a workload or context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub at: String,
    pub kind: String,
    pub name: String,
}

/// Everything found in the input, in input order.
#[derive(Debug, Default)]
pub struct Gathered {
    pub subjects: Vec<Subject>,
    pub namespaces: Vec<Namespace>,
    pub webhooks: Vec<WebhookConfiguration>,
    /// Injector configurations from `istio-sidecar-injector*` ConfigMaps: (where, config).
    pub configs: Vec<(String, InjectorConfig)>,
    pub skipped: Vec<Skipped>,
}

/// An input object the decision cannot use, naming file, document and field.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{at}: {path}: {message}")]
    Field {
        at: String,
        path: String,
        message: String,
    },
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Walks the documents. `default_namespace` is the namespace of objects that name none
/// (`-n`, else `default`).
pub fn gather(docs: &[Document], default_namespace: &str) -> Result<Gathered, InputError> {
    let mut g = Gathered::default();
    for doc in docs {
        visit(&mut g, &doc.at.to_string(), &doc.value, default_namespace)?;
    }
    Ok(g)
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn visit(g: &mut Gathered, base: &str, value: &Value, default_ns: &str) -> Result<(), InputError> {
    if value.is_null() {
        return Ok(()); // a document holding only comments
    }
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    let name = str_at(value, "/metadata/name")
        .or_else(|| str_at(value, "/metadata/generateName"))
        .unwrap_or("")
        .to_string();
    let namespace = str_at(value, "/metadata/namespace")
        .filter(|n| !n.is_empty())
        .unwrap_or(default_ns)
        .to_string();
    let at = if kind == "Namespace" || kind == "MutatingWebhookConfiguration" {
        format!("{base} ({kind} {name})")
    } else {
        format!("{base} ({kind} {namespace}/{name})")
    };
    let field = |path: &str, message: String| InputError::Field {
        at: at.clone(),
        path: path.to_string(),
        message,
    };

    if let Some(items) = value.get("items").filter(|_| kind.ends_with("List")) {
        let items = items
            .as_array()
            .ok_or_else(|| field("items", "must be a list".into()))?;
        for (i, item) in items.iter().enumerate() {
            visit(g, &format!("{base}, items[{i}]"), item, default_ns)?;
        }
        return Ok(());
    }
    match kind {
        "Namespace" => {
            let labels = string_map(value.pointer("/metadata/labels"), "metadata.labels", &field)?;
            g.namespaces.push(Namespace { name, labels });
        }
        "MutatingWebhookConfiguration" => {
            g.webhooks
                .push(WebhookConfiguration::from_value(&at, value)?);
        }
        "ConfigMap" if name.starts_with("istio-sidecar-injector") => {
            let text = str_at(value, "/data/config").ok_or_else(|| {
                field(
                    "data.config",
                    "missing: an injector ConfigMap keeps its configuration under data.config"
                        .into(),
                )
            })?;
            let source = format!("{at}: data.config");
            let config = InjectorConfig::parse(&source, text)?;
            g.configs.push((source, config));
        }
        _ => match WorkloadKind::from_kind(kind) {
            Some(workload) => {
                let pod = pod_of(value, workload, &field)?;
                g.subjects.push(Subject {
                    at,
                    kind: workload,
                    name,
                    namespace,
                    pod,
                });
            }
            None => g.skipped.push(Skipped {
                at,
                kind: kind.to_string(),
                name,
            }),
        },
    }
    Ok(())
}

/// `/spec/template` → `spec.template.`; `""` → `""`.
fn dotted(pointer: &str) -> String {
    let mut s = pointer.trim_start_matches('/').replace('/', ".");
    if !s.is_empty() {
        s.push('.');
    }
    s
}

fn pod_of(
    value: &Value,
    kind: WorkloadKind,
    field: &dyn Fn(&str, String) -> InputError,
) -> Result<Pod, InputError> {
    let ptr = kind.pod_template_pointer();
    let prefix = dotted(ptr);
    let template = if ptr.is_empty() {
        Some(value)
    } else {
        value.pointer(ptr).filter(|t| !t.is_null())
    };
    let template = template.ok_or_else(|| {
        field(
            prefix.trim_end_matches('.'),
            format!("missing: a {kind} needs a pod template"),
        )
    })?;
    let sub = |p: &str| format!("{prefix}{p}");
    let labels = string_map(
        template.pointer("/metadata/labels"),
        &sub("metadata.labels"),
        field,
    )?;
    let annotations = string_map(
        template.pointer("/metadata/annotations"),
        &sub("metadata.annotations"),
        field,
    )?;
    let host_network = match template.pointer("/spec/hostNetwork") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(field(
                &sub("spec.hostNetwork"),
                format!("must be true or false, got {other}"),
            ));
        }
    };
    let (workload_labels, workload_annotations) = if kind == WorkloadKind::Pod {
        (StringMap::new(), StringMap::new())
    } else {
        (
            string_map(value.pointer("/metadata/labels"), "metadata.labels", field)?,
            string_map(
                value.pointer("/metadata/annotations"),
                "metadata.annotations",
                field,
            )?,
        )
    };
    Ok(Pod {
        labels,
        annotations,
        host_network,
        workload_kind: kind.as_str().to_string(),
        workload_labels,
        workload_annotations,
    })
}

/// Labels or annotations: a mapping of strings. `inject: true` unquoted is a boolean, which
/// Kubernetes rejects; say so rather than guess.
fn string_map(
    v: Option<&Value>,
    path: &str,
    field: &dyn Fn(&str, String) -> InputError,
) -> Result<StringMap, InputError> {
    match v {
        None | Some(Value::Null) => Ok(StringMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(field(
                    &format!("{path}.{k}"),
                    format!("values must be strings, got {other} (quote it: \"{other}\")"),
                )),
            })
            .collect(),
        Some(_) => Err(field(path, "must be a mapping of strings".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_documents;

    fn gather_text(text: &str) -> Result<Gathered, InputError> {
        gather(&parse_documents("in.yaml", text).unwrap(), "dflt")
    }

    #[test]
    fn pod_templates_per_kind() {
        let g = gather_text(
            "kind: Pod\nmetadata: {name: p, labels: {a: '1'}}\nspec: {hostNetwork: true}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: web, labels: {sidecar.istio.io/inject: 'true'}}\n\
             spec: {template: {metadata: {labels: {b: '2'}, annotations: {x: z}}}}\n---\n\
             kind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {template: {metadata: {labels: {c: '3'}}}}}}\n",
        )
        .unwrap();
        let s = &g.subjects;
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[0].kind, s[0].namespace.as_str()),
            (WorkloadKind::Pod, "dflt")
        );
        assert!(s[0].pod.host_network);
        assert_eq!(s[0].pod.labels["a"], "1");
        assert_eq!(s[1].namespace, "web");
        assert_eq!(s[1].pod.labels["b"], "2");
        assert_eq!(s[1].pod.annotations["x"], "z");
        assert_eq!(s[1].pod.workload_labels["sidecar.istio.io/inject"], "true");
        assert_eq!(s[1].at, "in.yaml: document 2 (Deployment web/d)");
        assert_eq!(s[2].pod.labels["c"], "3");
    }

    #[test]
    fn lists_context_and_skips() {
        let g = gather_text(
            "apiVersion: v1\nkind: List\nitems:\n- kind: Service\n  metadata: {name: s}\n- kind: StatefulSet\n  metadata: {name: st}\n  spec: {template: {}}\n---\n\
             kind: Namespace\nmetadata: {name: web, labels: {istio-injection: enabled}}\n---\n\
             kind: ConfigMap\nmetadata: {name: istio-sidecar-injector}\ndata: {config: 'policy: disabled'}\n---\n\
             kind: ConfigMap\nmetadata: {name: app}\ndata: {config: 'x'}\n---\n\
             kind: MutatingWebhookConfiguration\nmetadata: {name: m}\nwebhooks: [{name: a.istio.io}]\n---\n# only a comment\n",
        )
        .unwrap();
        assert_eq!(g.subjects.len(), 1);
        assert_eq!(
            g.subjects[0].at,
            "in.yaml: document 1, items[1] (StatefulSet dflt/st)"
        );
        assert_eq!(g.namespaces[0].labels["istio-injection"], "enabled");
        assert_eq!(g.configs.len(), 1);
        assert_eq!(
            g.configs[0].1.policy,
            crate::config::InjectionPolicy::Disabled
        );
        assert_eq!(g.webhooks[0].webhooks.len(), 1);
        let kinds: Vec<&str> = g.skipped.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(kinds, ["Service", "ConfigMap"]);
    }

    #[test]
    fn bad_fields_are_named() {
        let rows = [
            (
                "kind: Deployment\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {sidecar.istio.io/inject: true}}}}\n",
                "in.yaml: document 1 (Deployment dflt/d): spec.template.metadata.labels.sidecar.istio.io/inject: values must be strings, got true (quote it: \"true\")",
            ),
            (
                "kind: Deployment\nmetadata: {name: d}\nspec: {}\n",
                "in.yaml: document 1 (Deployment dflt/d): spec.template: missing: a Deployment needs a pod template",
            ),
            (
                "kind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: 'yes'}\n",
                "in.yaml: document 1 (Pod dflt/p): spec.hostNetwork: must be true or false, got \"yes\"",
            ),
            (
                "kind: Pod\nmetadata: {name: p, annotations: [a]}\n",
                "in.yaml: document 1 (Pod dflt/p): metadata.annotations: must be a mapping of strings",
            ),
            (
                "kind: ConfigMap\nmetadata: {name: istio-sidecar-injector}\ndata: {values: '{}'}\n",
                "in.yaml: document 1 (ConfigMap dflt/istio-sidecar-injector): data.config: missing: an injector ConfigMap keeps its configuration under data.config",
            ),
            (
                "kind: List\nitems: 3\n",
                "in.yaml: document 1 (List dflt/): items: must be a list",
            ),
        ];
        for (text, want) in rows {
            let e = gather_text(text).unwrap_err();
            assert_eq!(e.to_string(), want);
        }
    }
}
