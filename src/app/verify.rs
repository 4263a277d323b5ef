//! `verify TYPE/NAME` / `verify -f FILE`: is the simulation right for this cluster?
//!
//! For each workload (or pod): build the pod its controller would create ([`pod_for`]),
//! send it to the API server as a server-side dry-run create (`dryRun=All`: defaulting and
//! every admission webhook run — Istio's declares `sideEffects: None`, so it is called —
//! and nothing is stored), and compare what comes back with the offline prediction for the
//! same pod: the decision (`explain`'s, on the cluster's namespace, webhook configurations
//! and injector ConfigMap) and, when it says inject, the render (`drift::inject`, the
//! `inject` pipeline as the webhook runs it). The comparison is `drift::compare`: injected
//! containers, init containers, volumes, annotations and labels the injector owns, with the
//! API server's defaults applied to both sides.
//!
//! Exit 0 when everything matches, 1 on a difference, 2 when the API server refuses the
//! dry run (its message is the error: a webhook that is down or denies) or on any other
//! error. `-o json|yaml`: one object per pod (an array for several), with `matches`,
//! `webhookInjected`, `predictedInjected` and `differences` (`drift::Difference`).

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use colored::Colorize;
use serde::Serialize;
use serde_json::{Value, json};

use crate::cli::{OutputFormat, PolicyArgs, VerifyArgs};
use crate::cluster::{Cluster, Kind};
use crate::drift::{self, Difference};
use crate::manifest::{ResourceType, UNSUPPORTED_KIND_HINT, WorkloadKind, parse_documents};
use crate::report::{self, Hint};

use super::gather_live::{advise, connect, namespace as context_namespace};
use super::templates::revision_setup;
use super::{Outcome, read_inputs};
use crate::facts::Facts;
use crate::policy::{Subject, pod_of};

/// The result for one pod.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Verdict {
    kind: String,
    namespace: String,
    name: String,
    /// True when the webhook's answer and the prediction agree.
    matches: bool,
    /// Whether the pod the API server returned carries an injection.
    webhook_injected: bool,
    /// Whether the offline decision says inject.
    predicted_injected: bool,
    /// The rule that decided the prediction, and why.
    decided_by: String,
    reason: String,
    /// What going from the webhook's answer to the prediction changes; empty when they match.
    differences: Vec<Difference>,
}

pub(super) fn run(args: &VerifyArgs) -> Result<Outcome> {
    verify(args).map_err(advise)
}

fn verify(args: &VerifyArgs) -> Result<Outcome> {
    let format = super::resolve_output(&args.output)?;
    let cluster = connect(&args.kube)?;
    let default_ns = context_namespace(&cluster, &args.kube);
    let subjects = subjects(&cluster, args, &default_ns)?;
    if let Some(flag) = &args.kube.namespace {
        for (_, object) in &subjects {
            if let Some(ns) = object
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
            {
                super::gather::check_namespace(ns, flag, "")?;
            }
        }
    }
    let namespace_of = |object: &Value| {
        object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or(&default_ns)
            .to_string()
    };
    // Every dry run first: an API server that refuses one is the answer, before anything
    // else is read.
    let mut sent = Vec::new();
    for (kind, object) in &subjects {
        let ns = namespace_of(object);
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let pod = pod_for(*kind, object, &ns);
        let returned = cluster
            .dry_run_create(Kind::Pod, &ns, &pod)
            .with_context(|| {
                format!(
                    "the API server did not admit the dry-run pod of {} {ns}/{name}",
                    kind.as_str().to_ascii_lowercase()
                )
            })
            .hint("a webhook that is down or denies the pod: `kubectl inject check --injector`")?;
        sent.push((*kind, ns, name, pod, returned));
    }
    let namespaces: BTreeSet<String> = sent.iter().map(|(_, ns, ..)| ns.clone()).collect();
    let context = gather(&cluster, args, &namespaces)?;
    let mut verdicts = Vec::new();
    for (kind, ns, name, pod, returned) in sent {
        let prediction = predict(&context, args, &pod, &ns)?;
        let differences = drift::compare(&returned, &prediction.pod);
        let webhook_injected = is_injected(&returned);
        verdicts.push(Verdict {
            kind: kind.as_str().to_string(),
            namespace: ns,
            name,
            matches: differences.is_empty() && webhook_injected == prediction.inject,
            webhook_injected,
            predicted_injected: prediction.inject,
            decided_by: prediction.decided_by,
            reason: prediction.reason,
            differences,
        });
    }
    let out = match &format {
        OutputFormat::Table => verdicts.iter().map(render).collect(),
        // json, yaml, jsonpath: one object for one pod, a list for several.
        format => match verdicts.as_slice() {
            [one] => super::report_output(format, one, &verdicts, true)?,
            many => super::report_output(format, many, &verdicts, true)?,
        }
        .unwrap_or_default(),
    };
    report::stdout(&out)?;
    Ok(if verdicts.iter().all(|v| v.matches) {
        Outcome::Success
    } else {
        Outcome::No
    })
}

/// The workloads and pods to verify: from `-f` (all of them, or the one `TYPE/NAME`
/// names), else the object `TYPE/NAME` names in the cluster.
fn subjects(
    cluster: &Cluster,
    args: &VerifyArgs,
    default_ns: &str,
) -> Result<Vec<(WorkloadKind, Value)>> {
    let targets = super::gather::targets(&args.targets)?;
    let wanted = match targets.as_slice() {
        [] => None,
        [t] => {
            let ResourceType::Workload(kind) = t.ty else {
                return Err(anyhow::anyhow!("verify takes a workload or a pod")
                    .hint("name one: `kubectl inject verify deploy/web -n shop`"));
            };
            Some((kind, t.name.clone()))
        }
        _ => {
            return Err(
                anyhow::anyhow!("verify takes one workload or pod at a time")
                    .hint("or verify every workload of a manifest with -f FILE"),
            );
        }
    };
    if args.input.filenames.is_empty() {
        let Some((kind, Some(name))) = wanted else {
            return Err(anyhow::anyhow!("nothing to verify").hint(
                "name a workload (`kubectl inject verify deploy/web -n shop`) or give -f FILE",
            ));
        };
        let ckind = Kind::from_workload(kind)
            .ok_or_else(|| anyhow::anyhow!("{kind} objects cannot be read from the cluster"))?;
        let object = cluster
            .get(ckind, Some(default_ns), &name)?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{} {name:?} not found in namespace {default_ns:?}",
                    kind.as_str().to_ascii_lowercase()
                )
                .hint(format!(
                    "list them with `kubectl get {} -n {default_ns}`",
                    kind.as_str().to_ascii_lowercase()
                ))
            })?;
        return Ok(vec![(kind, object)]);
    }
    let mut out = Vec::new();
    for src in read_inputs(&args.input)? {
        for doc in parse_documents(&src.name, &src.text)? {
            collect(&doc.value, &mut out);
        }
    }
    if let Some((kind, name)) = &wanted {
        out.retain(|(k, o)| {
            k == kind
                && name
                    .as_deref()
                    .is_none_or(|n| o.pointer("/metadata/name").and_then(Value::as_str) == Some(n))
        });
    }
    if out.is_empty() {
        return Err(
            anyhow::anyhow!("the input holds no pod or workload to verify")
                .hint(UNSUPPORTED_KIND_HINT),
        );
    }
    Ok(out)
}

fn collect(value: &Value, out: &mut Vec<(WorkloadKind, Value)>) {
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind.ends_with("List") {
        for item in value
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect(item, out);
        }
    } else if let Some(k) = WorkloadKind::from_kind(kind) {
        out.push((k, value.clone()));
    }
}

/// The placeholder uid of an owner that the dry run only names (ownerReferences need one;
/// nothing is stored, so nothing is ever collected by it).
const OWNER_UID: &str = "00000000-0000-0000-0000-000000000000";

/// The pod `kind`'s controller would create from `object` in namespace `ns` — the shape
/// Istio's `GetDeployMetaFromPod` reads to name the workload:
/// - Pod: itself, without what the server and the scheduler filled in (status, uid,
///   resourceVersion, creationTimestamp, managedFields, nodeName, the per-pod
///   `kube-api-access-*` volume and mounts, which the ServiceAccount plugin adds anew);
/// - Deployment: owned by ReplicaSet `<name>-<hash>` with label `pod-template-hash`,
///   generateName `<name>-<hash>-` (the hash is of the template here, not the
///   controller's own, and only its form matters to the webhook);
/// - StatefulSet: named `<name>-0`, owned by the StatefulSet (no generateName, so Istio
///   names the workload after the pod);
/// - CronJob: owned by Job `<name>-<8 digits>`; DeploymentConfig: by ReplicationController
///   `<name>-1` with label `deploymentconfig`;
/// - the others: owned by the object itself, generateName `<name>-`.
///
/// The template's labels and annotations are kept; its name is not (controllers ignore it).
pub(super) fn pod_for(kind: WorkloadKind, object: &Value, ns: &str) -> Value {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if kind == WorkloadKind::Pod {
        return bare_pod(object, ns);
    }
    let template = object
        .pointer(kind.pod_template_pointer())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut metadata = serde_json::Map::new();
    for key in ["labels", "annotations"] {
        if let Some(v) = template.pointer(&format!("/metadata/{key}")) {
            metadata.insert(key.into(), v.clone());
        }
    }
    metadata.insert("namespace".into(), json!(ns));
    let owner = |api: &str, kind: &str, owner_name: &str| {
        json!([{"apiVersion": api, "kind": kind, "name": owner_name, "uid": OWNER_UID,
                "controller": true, "blockOwnerDeletion": true}])
    };
    let mut label = |k: &str, v: &str| {
        let labels = metadata.entry("labels").or_insert_with(|| json!({}));
        if let Some(l) = labels.as_object_mut() {
            l.insert(k.into(), json!(v));
        }
    };
    let (generate, owner_refs) = match kind {
        WorkloadKind::Deployment => {
            let hash = template_hash(&template);
            label("pod-template-hash", &hash);
            let rs = format!("{name}-{hash}");
            (Some(format!("{rs}-")), owner("apps/v1", "ReplicaSet", &rs))
        }
        WorkloadKind::StatefulSet => {
            label("statefulset.kubernetes.io/pod-name", &format!("{name}-0"));
            (None, owner("apps/v1", "StatefulSet", name))
        }
        WorkloadKind::CronJob => {
            let job = format!("{name}-28000000");
            (Some(format!("{job}-")), owner("batch/v1", "Job", &job))
        }
        WorkloadKind::DeploymentConfig => {
            label("deploymentconfig", name);
            let rc = format!("{name}-1");
            (
                Some(format!("{rc}-")),
                owner("v1", "ReplicationController", &rc),
            )
        }
        other => (
            Some(format!("{name}-")),
            owner(other.api_version(), other.as_str(), name),
        ),
    };
    match generate {
        Some(g) => metadata.insert("generateName".into(), json!(g)),
        None => metadata.insert("name".into(), json!(format!("{name}-0"))),
    };
    metadata.insert("ownerReferences".into(), owner_refs);
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": template.get("spec").cloned().unwrap_or_else(|| json!({})),
    })
}

fn bare_pod(object: &Value, ns: &str) -> Value {
    let mut pod = object.clone();
    let Some(root) = pod.as_object_mut() else {
        return pod;
    };
    root.remove("status");
    root.insert("apiVersion".into(), json!("v1"));
    root.insert("kind".into(), json!("Pod"));
    if let Some(meta) = root.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
            "selfLink",
            "generation",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            meta.remove(k);
        }
        meta.insert("namespace".into(), json!(ns));
    }
    if let Some(spec) = root.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("nodeName");
        if let Some(vols) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
            vols.retain(|v| !drift::is_api_access_volume(name_of(v)));
        }
        for list in ["containers", "initContainers"] {
            for c in spec
                .get_mut(list)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(m) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
                    m.retain(|m| !drift::is_api_access_volume(name_of(m)));
                }
            }
        }
    }
    pod
}

fn name_of(v: &Value) -> &str {
    v.get("name").and_then(Value::as_str).unwrap_or("")
}

/// A pod-template-hash shaped value: FNV-1a of the template's JSON, in the alphabet
/// Kubernetes' `SafeEncodeString` uses (no vowels, no look-alike digits).
fn template_hash(template: &Value) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h: u32 = 0x811c_9dc5;
    for b in template.to_string().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let mut out = String::new();
    let mut n = h;
    for _ in 0..10 {
        out.push(char::from(ALPHABET[(n % 27) as usize]));
        n /= 27;
    }
    out
}

/// Whether a pod carries an injection: a status record, or the proxy container.
fn is_injected(pod: &Value) -> bool {
    crate::inject::status::previous(pod).is_some()
        || ["containers", "initContainers"].iter().any(|l| {
            pod.pointer(&format!("/spec/{l}"))
                .and_then(Value::as_array)
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|c| name_of(c) == crate::model::istio::PROXY_CONTAINER)
                })
        })
}

/// The offline prediction for one pod.
struct Prediction {
    inject: bool,
    decided_by: String,
    reason: String,
    pod: Value,
}

/// What the prediction reads from the cluster.
struct Gathered {
    facts: Facts,
    decider: super::gather::Decider,
}

/// Everything the prediction reads from the cluster: the facts every live command reads
/// (the pods' namespaces, the injector webhook configurations, every revision's injector and
/// mesh ConfigMaps) and the engine; each pod's revision is the one whose webhook is called.
fn gather(cluster: &Cluster, args: &VerifyArgs, namespaces: &BTreeSet<String>) -> Result<Gathered> {
    let policy = PolicyArgs {
        revision: args.revision.clone(),
        ..PolicyArgs::default()
    };
    let mut facts = Facts::new();
    // A bundle predicts with the set-up it captured: does the live webhook still do that?
    if let Some(path) = &args.bundle {
        super::capture::read_bundle(path)?.take(&mut facts)?;
        let decider = super::gather::decider(&facts, &policy)?;
        return Ok(Gathered { facts, decider });
    }
    let (decider, warnings) = super::gather::live_facts(
        cluster,
        &mut facts,
        &policy,
        &args.istio_namespace,
        Some(namespaces),
    )?;
    report::warnings(&warnings);
    Ok(Gathered { facts, decider })
}

/// The decision (`explain`'s, with the cluster's facts) and, when it says inject, the render
/// with the configuration of the revision that decided (`drift::inject`: the `inject`
/// pipeline as the webhook runs it).
fn predict(context: &Gathered, args: &VerifyArgs, pod: &Value, ns: &str) -> Result<Prediction> {
    let p = pod_of(pod, WorkloadKind::Pod)
        .map_err(|(path, message)| anyhow::anyhow!("the dry-run pod: {path}: {message}"))?;
    let subject = Subject {
        at: "the dry-run pod".into(),
        kind: WorkloadKind::Pod,
        name: pod
            .pointer("/metadata/name")
            .or_else(|| pod.pointer("/metadata/generateName"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        namespace: ns.to_string(),
        pod: p,
    };
    let decision = context
        .decider
        .engine
        .evaluate(&context.facts, subject)
        .decision;
    let pod = if decision.inject {
        let revision = decision.revision.as_deref().unwrap_or("default");
        let setup = revision_setup(&context.facts, revision, args.native_sidecars)
            .map_err(|e| anyhow::anyhow!("cannot predict the injected pod: {e}"))?;
        let injector = drift::Injector::new(&setup, Some(revision), args.native_sidecars);
        drift::inject(pod, &injector).context("predicting the injected pod")?
    } else {
        pod.clone()
    };
    Ok(Prediction {
        inject: decision.inject,
        decided_by: decision.decided_by.as_str().to_string(),
        reason: decision.reason,
        pod,
    })
}

/// `job/pi in default: matches (injected, as predicted)`, or the differences, one a line,
/// each from the webhook's answer to the prediction.
fn render(v: &Verdict) -> String {
    let subject = format!(
        "{}/{} in {}",
        v.kind.to_ascii_lowercase(),
        v.name,
        v.namespace
    );
    let injected = |b: bool| if b { "injected" } else { "not injected" };
    if v.matches {
        return format!(
            "{subject}: {} ({}, as predicted)\n",
            "matches".green().bold(),
            injected(v.webhook_injected)
        );
    }
    let mut out = format!(
        "{subject}: {} (the webhook's answer → the prediction)\n",
        "differs".red().bold()
    );
    if v.webhook_injected != v.predicted_injected {
        out.push_str(&format!(
            "  the webhook: {}; predicted: {} ({}: {})\n",
            injected(v.webhook_injected),
            injected(v.predicted_injected),
            v.decided_by,
            v.reason
        ));
    }
    for d in &v.differences {
        out.push_str(&format!("  {}\n", d.words));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "uid": "x"},
            "spec": {"template": {"metadata": {"name": "ignored", "labels": {"app": "web"},
                "annotations": {"a": "b"}},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})
    }

    #[test]
    fn a_deployment_pod_is_owned_by_its_replicaset() {
        let pod = pod_for(WorkloadKind::Deployment, &deployment(), "shop");
        let hash = pod["metadata"]["labels"]["pod-template-hash"]
            .as_str()
            .expect("hash")
            .to_string();
        assert_eq!(hash.len(), 10);
        assert_eq!(
            pod,
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"labels": {"app": "web", "pod-template-hash": hash},
                    "annotations": {"a": "b"}, "namespace": "shop",
                    "generateName": format!("web-{hash}-"),
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                        "name": format!("web-{hash}"), "uid": OWNER_UID, "controller": true,
                        "blockOwnerDeletion": true}]},
                "spec": {"containers": [{"name": "web", "image": "nginx"}]}})
        );
        // The webhook names the Deployment from it, as it would a real one's pod.
        let owner = crate::inject::admission::deploy_meta_from_pod(&pod);
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str()),
            ("Deployment", "web")
        );
    }

    #[test]
    fn each_kind_is_named_as_the_webhook_would_name_its_pods() {
        let object = |kind: &str, template_at: &str| {
            let mut o = json!({"kind": kind, "metadata": {"name": "w"}});
            let t = json!({"spec": {"containers": [{"name": "c"}]}});
            match template_at {
                "job" => o["spec"] = json!({"jobTemplate": {"spec": {"template": t}}}),
                _ => o["spec"] = json!({"template": t}),
            }
            o
        };
        for (kind, wk, at, want_kind, want_name) in [
            ("Job", WorkloadKind::Job, "", "Job", "w"),
            ("CronJob", WorkloadKind::CronJob, "job", "CronJob", "w"),
            ("DaemonSet", WorkloadKind::DaemonSet, "", "DaemonSet", "w"),
            (
                "ReplicaSet",
                WorkloadKind::ReplicaSet,
                "",
                "ReplicaSet",
                "w",
            ),
            ("StatefulSet", WorkloadKind::StatefulSet, "", "Pod", "w-0"),
            (
                "DeploymentConfig",
                WorkloadKind::DeploymentConfig,
                "",
                "DeploymentConfig",
                "w",
            ),
        ] {
            let pod = pod_for(wk, &object(kind, at), "ns");
            assert_eq!(pod["spec"]["containers"][0]["name"], "c", "{kind}");
            let owner = crate::inject::admission::deploy_meta_from_pod(&pod);
            assert_eq!(
                (owner.kind.as_str(), owner.name.as_str()),
                (want_kind, want_name),
                "{kind}: {pod}"
            );
        }
    }

    #[test]
    fn a_running_pod_is_sent_without_what_the_server_filled_in() {
        let running = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "old", "uid": "u", "resourceVersion": "9",
                "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [], "labels": {"a": "b"}},
            "spec": {"nodeName": "n1",
                "containers": [{"name": "c", "volumeMounts": [
                    {"name": "kube-api-access-x1y2z", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"},
                    {"name": "data", "mountPath": "/data"}]}],
                "volumes": [{"name": "kube-api-access-x1y2z", "projected": {}}, {"name": "data", "emptyDir": {}}]},
            "status": {"phase": "Running"}});
        assert_eq!(
            pod_for(WorkloadKind::Pod, &running, "shop"),
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "p", "namespace": "shop", "labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                    "volumes": [{"name": "data", "emptyDir": {}}]}})
        );
    }
}
