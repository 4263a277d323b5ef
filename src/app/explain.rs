//! `explain -f`: the step-by-step injection decision for each pod or workload in the input.
//!
//! Also the gathering `check -f` shares: read the files, take the Namespace documents,
//! injector ConfigMap and MutatingWebhookConfigurations found in them (or given by flags) as
//! context, decide every pod, and keep the results in input order.
//!
//! Machine output: `-o json` prints one object when the input holds one pod or workload, and a
//! JSON array of such objects when it holds several; `-o yaml` is the same data as YAML. Each
//! object has `kind`, `namespace`, `name`, `inject`, `decidedBy`, `reason`, `steps`
//! (`{rule, matched, decided, detail}`), `findings` (`{code, message}`), `source`, and, when
//! set, `revision` and `hint`.

use anyhow::{Context, Result};
use colored::Colorize;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{ExplainArgs, InputArgs, OutputFormat, PolicyArgs};
use crate::config::InjectorConfig;
use crate::manifest::{
    ResourceType, UNSUPPORTED_KIND_HINT, WorkloadKind, parse_documents, parse_type_name,
};
use crate::model::{WebhookConfiguration, parse_label_list};
use crate::policy::{Decision, Engine, Gathered, Namespace, Options, Skipped, Subject, gather};
use crate::report::{self, Hint};

use super::{Outcome, read_inputs};

/// One pod or workload and its decision.
pub(super) struct Evaluated {
    pub subject: Subject,
    pub decision: Decision,
}

/// Everything the input held, decided.
pub(super) struct Batch {
    pub items: Vec<Evaluated>,
    pub skipped: Vec<Skipped>,
}

/// The machine-readable form of one decision.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ObjectReport<'a> {
    kind: &'a str,
    namespace: &'a str,
    name: &'a str,
    #[serde(flatten)]
    decision: &'a Decision,
    source: &'a str,
}

impl ObjectReport<'_> {
    pub(super) fn kind(&self) -> &str {
        self.kind
    }
    pub(super) fn namespace(&self) -> &str {
        self.namespace
    }
    pub(super) fn name(&self) -> &str {
        self.name
    }
    pub(super) fn inject(&self) -> bool {
        self.decision.inject
    }
    pub(super) fn decided_by(&self) -> &str {
        self.decision.decided_by.as_str()
    }
    pub(super) fn reason(&self) -> &str {
        &self.decision.reason
    }
}

impl Evaluated {
    pub(super) fn report(&self) -> ObjectReport<'_> {
        ObjectReport {
            kind: self.subject.kind.as_str(),
            namespace: &self.subject.namespace,
            name: &self.subject.name,
            decision: &self.decision,
            source: &self.subject.at,
        }
    }
}

/// kubectl's `-o name` form: `deployment.apps/web`.
pub(super) fn kubectl_name(kind: WorkloadKind, name: &str) -> String {
    let group = match kind.api_version().rsplit_once('/') {
        Some((group, _)) => format!(".{group}"),
        None => String::new(),
    };
    format!(
        "{}{group}/{}",
        kind.as_str().to_ascii_lowercase(),
        crate::report::escape(name)
    )
}

pub fn run(args: ExplainArgs) -> Result<Outcome> {
    if args.input.filenames.is_empty() {
        if let Some(target) = &args.target {
            return super::live_cmd::explain(&args, target).map_err(super::live::advise);
        }
        return Err(anyhow::anyhow!("nothing to explain")
            .hint("give a manifest: `kubectl inject explain -f deploy.yaml`"));
    }
    let mut batch = evaluate(&args.input, &args.policy, args.kube.namespace.as_deref())?;
    if let Some(target) = &args.target {
        batch.items = select(
            batch.items,
            std::slice::from_ref(target),
            args.kube.namespace.as_deref(),
        )?;
    }
    if batch.items.is_empty() {
        return Err(
            anyhow::anyhow!("the input holds no pod or workload to explain")
                .hint(UNSUPPORTED_KIND_HINT),
        );
    }
    let out = match args.output {
        OutputFormat::Table | OutputFormat::Wide => batch
            .items
            .iter()
            .map(render_text)
            .collect::<Vec<_>>()
            .join("\n"),
        OutputFormat::Name => batch
            .items
            .iter()
            .map(|e| format!("{}\n", kubectl_name(e.subject.kind, &e.subject.name)))
            .collect(),
        OutputFormat::Json => {
            let mut s = match batch.items.as_slice() {
                [one] => serde_json::to_string_pretty(&one.report()),
                many => serde_json::to_string_pretty(
                    &many.iter().map(Evaluated::report).collect::<Vec<_>>(),
                ),
            }?;
            s.push('\n');
            s
        }
        OutputFormat::Yaml => match batch.items.as_slice() {
            [one] => serde_yaml::to_string(&one.report()),
            many => serde_yaml::to_string(&many.iter().map(Evaluated::report).collect::<Vec<_>>()),
        }?,
    };
    // Notes about skipped kinds only when explaining the whole input, not one target.
    let skipped = if args.target.is_some() {
        &[][..]
    } else {
        &batch.skipped[..]
    };
    let notes: String = skipped
        .iter()
        .map(|s| {
            format!(
                "note: {}: a {} is not a pod or workload; skipped\n",
                s.at,
                display_kind(&s.kind)
            )
        })
        .collect();
    report::stderr(&notes);
    report::stdout(&out)?;
    Ok(Outcome::Success)
}

fn display_kind(kind: &str) -> &str {
    if kind.is_empty() {
        "document without kind"
    } else {
        kind
    }
}

/// The readable block for one object: a verdict line, one line per step, findings, a hint.
pub(super) fn render_text(e: &Evaluated) -> String {
    let d = &e.decision;
    let s = &e.subject;
    let verdict = if d.inject {
        "will be injected".green().bold()
    } else {
        "will not be injected".red().bold()
    };
    let mut out = format!(
        "{} {}/{}: {verdict} (decided by {})\n",
        s.kind,
        crate::report::escape(&s.namespace),
        crate::report::escape(&s.name),
        d.decided_by
    );
    let width = d
        .steps
        .iter()
        .map(|st| st.rule.as_str().len())
        .max()
        .unwrap_or(0);
    for st in &d.steps {
        let glyph = if st.matched { "✔" } else { "✘" };
        let line = format!(
            "{glyph} {}  {}",
            crate::report::pad(st.rule.as_str(), width),
            crate::report::escape(&st.detail)
        );
        if st.decided {
            let marked = format!("{line}  ← decided");
            let marked = if d.inject {
                marked.green().bold()
            } else {
                marked.red().bold()
            };
            out.push_str(&format!("  {marked}\n"));
        } else {
            out.push_str(&format!("  {line}\n"));
        }
    }
    for f in &d.findings {
        out.push_str(&format!(
            "  {} {}\n",
            "note:".yellow().bold(),
            crate::report::escape(&f.message)
        ));
    }
    if let Some(h) = &d.hint {
        out.push_str(&format!(
            "  {} {}\n",
            "hint:".cyan().bold(),
            crate::report::escape(h)
        ));
    }
    out
}

/// Keeps the objects named by `TYPE/NAME` (or all of a bare `TYPE`) targets.
pub(super) fn select(
    items: Vec<Evaluated>,
    targets: &[String],
    namespace: Option<&str>,
) -> Result<Vec<Evaluated>> {
    let mut wanted = Vec::new();
    for t in targets {
        let (ty, name) = parse_type_name(t)
            .with_context(|| format!("target {t:?}"))
            .hint(UNSUPPORTED_KIND_HINT)?;
        let ResourceType::Workload(kind) = ty else {
            return Err(
                anyhow::anyhow!("{t}: namespaces can only be checked against a cluster").hint(
                    "with -f, name the workloads (deploy/web) or give none to check them all",
                ),
            );
        };
        wanted.push((t, kind, name));
    }
    let hit = |e: &Evaluated, kind: WorkloadKind, name: &Option<String>| {
        e.subject.kind == kind
            && name.as_ref().is_none_or(|n| *n == e.subject.name)
            && namespace.is_none_or(|ns| ns == e.subject.namespace)
    };
    for (t, kind, name) in &wanted {
        if name.is_some() && !items.iter().any(|e| hit(e, *kind, name)) {
            let found: Vec<String> = items
                .iter()
                .map(|e| {
                    format!(
                        "{}/{}",
                        e.subject.kind.as_str().to_ascii_lowercase(),
                        e.subject.name
                    )
                })
                .collect();
            let hint = if found.is_empty() {
                "the input holds no pod or workload".to_string()
            } else {
                format!("the input holds: {}", found.join(", "))
            };
            return Err(anyhow::anyhow!("{t} is not in the input").hint(hint));
        }
    }
    Ok(items
        .into_iter()
        .filter(|e| wanted.iter().any(|(_, kind, name)| hit(e, *kind, name)))
        .collect())
}

/// Reads and decides everything: the part `explain -f` and `check -f` share.
pub(super) fn evaluate(
    input: &InputArgs,
    policy: &PolicyArgs,
    namespace: Option<&str>,
) -> Result<Batch> {
    let mut docs = Vec::new();
    for src in read_inputs(input)? {
        docs.extend(parse_documents(&src.name, &src.text)?);
    }
    // Typed as Kubernetes decodes them, as inject does: one answer for one file.
    for d in &docs {
        crate::inject::validate::document(d)?;
    }
    evaluate_documents(&docs, policy, namespace)
}

/// Decides every pod and workload in already-parsed documents, with the context they carry:
/// what `-f` files and a live cluster snapshot have in common.
pub(super) fn evaluate_documents(
    docs: &[crate::manifest::Document],
    policy: &PolicyArgs,
    namespace: Option<&str>,
) -> Result<Batch> {
    let default_ns = namespace.unwrap_or("default");
    let gathered = gather(docs, default_ns)?;
    let Gathered {
        subjects,
        namespaces,
        webhooks: found_webhooks,
        configs,
        skipped,
    } = gathered;

    let (config, config_source) = match (&policy.config, configs.len()) {
        (Some(path), _) => load_config(path)?,
        (None, 0) => (
            InjectorConfig::default_policy(),
            "<embedded default>".to_string(),
        ),
        (None, 1) => {
            let mut configs = configs;
            let (source, config) = configs.remove(0);
            (config, source)
        }
        (None, _) => {
            let list: Vec<&str> = configs.iter().map(|(s, _)| s.as_str()).collect();
            return Err(anyhow::anyhow!(
                "the input holds {} injector configurations: {}",
                list.len(),
                list.join("; ")
            )
            .hint("choose one with --config FILE"));
        }
    };

    let mut webhooks = Vec::new();
    for path in &policy.webhooks {
        webhooks.extend(load_webhooks(path)?);
    }
    webhooks.extend(found_webhooks);
    if webhooks.is_empty() {
        webhooks.push(WebhookConfiguration::istio_default(
            policy.revision.as_deref(),
            policy.enable_namespaces_by_default,
        ));
    }

    let flag_labels = match &policy.namespace_labels {
        Some(text) => parse_label_list(text).context("--namespace-labels")?,
        None => Default::default(),
    };
    let options = Options {
        mode: policy.mode,
        namespace_condition: policy.namespace_condition,
        pod_condition: policy.pod_condition,
        compat: policy.compat,
    };
    let engine = Engine::new(&config, &config_source, &webhooks, options)?;
    let items = subjects
        .into_iter()
        .map(|subject| {
            let ns = namespaces
                .iter()
                .find(|n| n.name == subject.namespace)
                .cloned()
                .unwrap_or_else(|| Namespace {
                    name: subject.namespace.clone(),
                    labels: flag_labels.clone(),
                });
            let decision = engine.decide(&ns, &subject.pod);
            Evaluated { subject, decision }
        })
        .collect();
    Ok(Batch { items, skipped })
}

const CONFIG_KEYS: [&str; 8] = [
    "policy",
    "templates",
    "template",
    "defaultTemplates",
    "aliases",
    "neverInjectSelector",
    "alwaysInjectSelector",
    "injectedAnnotations",
];

/// `--config`: the `config` key's text or a whole ConfigMap. Anything else (a Deployment, an
/// unrelated mapping) is refused rather than read as an empty, all-defaults configuration.
fn load_config(path: &std::path::Path) -> Result<(InjectorConfig, String)> {
    let name = path.display().to_string();
    let text = fs_err::read_to_string(path)?;
    let hint = "--config takes the `config` key of the istio-sidecar-injector ConfigMap, or the whole ConfigMap";
    let value: Value = crate::manifest::parse_yaml(&text)
        .map_err(|e| anyhow::anyhow!("{name}: not an injector configuration: {e}").hint(hint))?;
    match value.get("kind").and_then(Value::as_str) {
        Some("ConfigMap") | None => {}
        Some(kind) => {
            return Err(anyhow::anyhow!(
                "{name}: not an injector configuration: a {kind} document"
            )
            .hint(hint));
        }
    }
    if value.get("kind").is_none()
        && !value
            .as_object()
            .is_some_and(|m| CONFIG_KEYS.iter().any(|k| m.contains_key(*k)))
    {
        return Err(anyhow::anyhow!(
            "{name}: not an injector configuration: none of the keys {} is present",
            CONFIG_KEYS.join(", ")
        )
        .hint(hint));
    }
    let config = InjectorConfig::parse(&name, &text).hint(hint)?;
    Ok((config, name))
}

/// `--webhook`: one or more MutatingWebhookConfigurations (multi-document, or a List).
fn load_webhooks(path: &std::path::Path) -> Result<Vec<WebhookConfiguration>> {
    let name = path.display().to_string();
    let text = fs_err::read_to_string(path)?;
    let docs = parse_documents(&name, &text)?;
    let mut out = Vec::new();
    for doc in &docs {
        collect_webhooks(&doc.at.to_string(), &doc.value, &mut out)?;
    }
    if out.is_empty() {
        return Err(
            anyhow::anyhow!("{name}: holds no MutatingWebhookConfiguration")
                .hint("--webhook takes `kubectl get mutatingwebhookconfiguration NAME -o yaml`"),
        );
    }
    Ok(out)
}

fn collect_webhooks(at: &str, value: &Value, out: &mut Vec<WebhookConfiguration>) -> Result<()> {
    match value.get("kind").and_then(Value::as_str) {
        Some("MutatingWebhookConfiguration") => {
            let name = value
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            out.push(WebhookConfiguration::from_value(
                &format!("{at} (MutatingWebhookConfiguration {name})"),
                value,
            )?);
        }
        Some(k) if k.ends_with("List") => {
            for (i, item) in value
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                collect_webhooks(&format!("{at}, items[{i}]"), item, out)?;
            }
        }
        None if value.is_null() => {}
        other => {
            return Err(anyhow::anyhow!(
                "{at}: a {} is not a MutatingWebhookConfiguration",
                display_kind(other.unwrap_or(""))
            )
            .hint("--webhook takes `kubectl get mutatingwebhookconfiguration NAME -o yaml`"));
        }
    }
    Ok(())
}
