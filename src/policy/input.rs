//! From parsed manifest documents to what the engine decides on: the pods (each workload's
//! pod template, as the webhook would see the pod). The context the input carries —
//! Namespace documents, injector and mesh ConfigMaps, MutatingWebhookConfigurations — goes to
//! [`Facts`], with its source.
//!
//! `v1` `List` documents (and `*List` kinds with `items`) are walked item by item. Kinds the
//! decision does not apply to (Service, other ConfigMaps, …) are returned as `skipped`.

use serde_json::Value;

use super::{Misplaced, Pod};
use crate::facts::{FactError, Facts, Source};
use crate::manifest::{Document, WorkloadKind};
use crate::model::webhook::INJECT_KEY;
use crate::model::{StringMap, WebhookConfiguration};

/// One pod to decide on: a Pod, or the pod template of a workload. Serializable so that a
/// large input's subjects can wait in a temporary file until the facts are complete.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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

/// The pods and workloads found in the input, in input order, and what was skipped.
#[derive(Debug, Default)]
pub struct Gathered {
    pub subjects: Vec<Subject>,
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
    Fact(#[from] FactError),
}

/// Walks the documents: pods and workloads become subjects, context goes to `facts` (its
/// webhook configurations to `webhooks`, to be added as one set). `default_namespace` is the
/// namespace of objects that name none (`-n`, else `default`); `source` says where a
/// document's facts come from.
pub fn gather(
    docs: &[Document],
    default_namespace: &str,
    facts: &mut Facts,
    webhooks: &mut Vec<WebhookConfiguration>,
    source: &dyn Fn(&Document) -> Source,
) -> Result<Gathered, InputError> {
    let mut g = Gathered::default();
    for doc in docs {
        let at = doc.at.to_string();
        let src = source(doc);
        visit(
            &mut g,
            &at,
            &doc.value,
            default_namespace,
            facts,
            webhooks,
            &src,
        )?;
    }
    Ok(g)
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn visit(
    g: &mut Gathered,
    base: &str,
    value: &Value,
    default_ns: &str,
    facts: &mut Facts,
    webhooks: &mut Vec<WebhookConfiguration>,
    source: &Source,
) -> Result<(), InputError> {
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
    let at = format!("{base} ({kind} {namespace}/{name})");
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
            visit(
                g,
                &format!("{base}, items[{i}]"),
                item,
                default_ns,
                facts,
                webhooks,
                source,
            )?;
        }
        return Ok(());
    }
    if facts.take_context(base, value, source, webhooks)? {
        return Ok(());
    }
    match WorkloadKind::from_kind(kind) {
        Some(workload) => {
            let pod = pod_of(value, workload).map_err(|(path, message)| field(&path, message))?;
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
    }
    Ok(())
}

/// The pod a workload's template describes, as the webhook will see it, with the
/// `sidecar.istio.io/inject` values written on metadata the webhook never sees. An error
/// names the field path and what is wrong.
pub fn pod_of(value: &Value, kind: WorkloadKind) -> Result<Pod, (String, String)> {
    let prefix = kind.pod_template_path();
    let sub = |p: &str| {
        if prefix.is_empty() {
            p.to_string()
        } else {
            format!("{prefix}.{p}")
        }
    };
    let ptr = kind.pod_template_pointer();
    let template = if ptr.is_empty() {
        Some(value)
    } else {
        value.pointer(ptr).filter(|t| !t.is_null())
    };
    let template = template.ok_or_else(|| {
        (
            prefix.to_string(),
            format!("missing: a {kind} needs a pod template"),
        )
    })?;
    if !template.is_object() {
        return Err((
            prefix.to_string(),
            format!("must be a pod template (a mapping), got {template}"),
        ));
    }
    let labels = string_map(
        template.pointer("/metadata/labels"),
        &sub("metadata.labels"),
    )?;
    let annotations = string_map(
        template.pointer("/metadata/annotations"),
        &sub("metadata.annotations"),
    )?;
    let host_network = match template.pointer("/spec/hostNetwork") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err((
                sub("spec.hostNetwork"),
                format!("must be true or false, got {other}"),
            ));
        }
    };
    // Every level of metadata a user might write the opt-in to, other than the pod's own.
    let mut levels = Vec::new();
    if kind != WorkloadKind::Pod {
        levels.push(("/metadata", "metadata".to_string()));
    }
    if kind == WorkloadKind::CronJob {
        levels.push((
            "/spec/jobTemplate/metadata",
            "spec.jobTemplate.metadata".to_string(),
        ));
    }
    let mut misplaced = Vec::new();
    for (ptr, path) in levels {
        for map in ["labels", "annotations"] {
            let at = format!("{path}.{map}");
            let found = string_map(value.pointer(&format!("{ptr}/{map}")), &at)?;
            if let Some(v) = found.get(INJECT_KEY) {
                misplaced.push(Misplaced {
                    path: at,
                    value: v.clone(),
                });
            }
        }
    }
    let restart_policy = template
        .pointer("/spec/restartPolicy")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(Pod {
        labels,
        annotations,
        host_network,
        kind,
        misplaced,
        restart_policy,
    })
}

/// Labels or annotations: a mapping of strings. `inject: true` unquoted is a boolean, which
/// Kubernetes rejects; say so rather than guess.
fn string_map(v: Option<&Value>, path: &str) -> Result<StringMap, (String, String)> {
    match v {
        None | Some(Value::Null) => Ok(StringMap::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err((
                    format!("{path}.{k}"),
                    format!("values must be strings, got {other} (quote it: \"{other}\")"),
                )),
            })
            .collect(),
        Some(_) => Err((path.to_string(), "must be a mapping of strings".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::parse_documents;

    fn gather_text(text: &str) -> Result<(Gathered, Facts, Vec<WebhookConfiguration>), InputError> {
        let mut facts = Facts::new();
        let mut webhooks = Vec::new();
        let docs = parse_documents("in.yaml", text).unwrap();
        let g = gather(&docs, "dflt", &mut facts, &mut webhooks, &|d| {
            Source::Input {
                at: d.at.to_string(),
            }
        })?;
        Ok((g, facts, webhooks))
    }

    #[test]
    fn pod_templates_per_kind() {
        let (g, ..) = gather_text(
            "kind: Pod\nmetadata: {name: p, labels: {a: '1'}}\nspec: {hostNetwork: true}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: web, labels: {sidecar.istio.io/inject: 'true'}}\n\
             spec: {template: {metadata: {labels: {b: '2'}, annotations: {x: z}}}}\n---\n\
             kind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {metadata: {annotations: {sidecar.istio.io/inject: 'false'}}, spec: {template: {metadata: {labels: {c: '3'}}}}}}\n",
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
        assert_eq!(
            s[1].pod.misplaced,
            [Misplaced {
                path: "metadata.labels".into(),
                value: "true".into()
            }]
        );
        assert_eq!(s[1].at, "in.yaml: document 2 (Deployment web/d)");
        assert_eq!(s[2].pod.labels["c"], "3");
        assert_eq!(
            s[2].pod.misplaced,
            [Misplaced {
                path: "spec.jobTemplate.metadata.annotations".into(),
                value: "false".into()
            }]
        );
        assert_eq!(
            s[2].pod.path("metadata.labels"),
            "spec.jobTemplate.spec.template.metadata.labels"
        );
    }

    #[test]
    fn lists_context_and_skips() {
        let (g, facts, webhooks) = gather_text(
            "apiVersion: v1\nkind: List\nitems:\n- kind: Service\n  metadata: {name: s}\n- kind: StatefulSet\n  metadata: {name: st}\n  spec: {template: {}}\n---\n\
             kind: Namespace\nmetadata: {name: web, labels: {istio-injection: enabled}}\n---\n\
             kind: ConfigMap\nmetadata: {name: istio-sidecar-injector}\ndata: {config: 'policy: disabled'}\n---\n\
             kind: ConfigMap\nmetadata: {name: app}\ndata: {config: 'x'}\n---\n\
             kind: MutatingWebhookConfiguration\nmetadata: {name: m}\nwebhooks: [{name: a.sidecar-injector.istio.io}]\n---\n# only a comment\n",
        )
        .unwrap();
        assert_eq!(g.subjects.len(), 1);
        assert_eq!(
            g.subjects[0].at,
            "in.yaml: document 1, items[1] (StatefulSet dflt/st)"
        );
        let web = facts.namespace("web");
        assert_eq!(web.labels.value["istio-injection"], "enabled");
        assert_eq!(web.labels.source.to_string(), "in.yaml: document 2");
        assert_eq!(
            facts.injector("default").value.config.policy,
            crate::config::InjectionPolicy::Disabled
        );
        assert_eq!(webhooks[0].webhooks.len(), 1);
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
                "kind: Deployment\nmetadata: {name: d}\nspec: {template: 5}\n",
                "in.yaml: document 1 (Deployment dflt/d): spec.template: must be a pod template (a mapping), got 5",
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
                "in.yaml: document 1 (ConfigMap istio-sidecar-injector): data.config: missing: an injector ConfigMap keeps its configuration under data.config",
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
