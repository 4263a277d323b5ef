//! `explain`: the step-by-step injection decision for each pod or workload of `-f` input,
//! or for one object of the cluster (`explain deploy/web -n shop`) with its running pods.
//!
//! Machine output: `-o json` prints one object when the input holds one pod or workload, and a
//! JSON array of such objects when it holds several; `-o yaml` is the same data as YAML. Each
//! object has `kind`, `namespace`, `name`, `inject`, `decidedBy`, `reason`, `steps`
//! (`{rule, matched, decided, detail, field}`), `findings` (`{code, message}`), `source`,
//! `facts` (`{fact, value, source, assumed}`), and, when set, `revision`, `tag`, `webhook`,
//! `config` and `hint`. A live object adds `pods`, `drift` and `remedy`.

use std::collections::BTreeSet;

use anyhow::Result;

use super::Outcome;
use super::gather;
use super::gather_live::{self, advise, connect, match_labels_selector};
use crate::cli::{ExplainArgs, OutputFormat};
use crate::cluster::{Kind, Scope};
use crate::facts::Facts;
use crate::manifest::{ResourceType, Target, UNSUPPORTED_KIND_HINT};
use crate::policy::{Evaluated, Subject, pod_of};
use crate::report::check::pods_text;
use crate::report::decision::{ObjectReport, explain_text, terminal_width};
use crate::report::{self, Hint, Output};

pub fn run(mut args: ExplainArgs) -> Result<Outcome> {
    let suppress = super::codes::suppressions(&args.policy.suppress)?;
    args.output = super::resolve_output(&args.output)?;
    let targets = gather::targets(&args.targets)?;
    if args.input.filenames.is_empty() {
        if let Some(bundle) = &args.policy.bundle {
            return Err(anyhow::anyhow!(
                "--bundle {} decides on manifests: nothing to explain",
                bundle.display()
            )
            .hint(
                "give the manifest with -f (`kubectl inject explain -f app.yaml --bundle b.yaml`)",
            ));
        }
        if !targets.is_empty() {
            let mut out = String::new();
            for target in &targets {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(&live(&args, target, &suppress).map_err(advise)?);
            }
            report::stdout(&out)?;
            return Ok(Outcome::Success);
        }
        return Err(anyhow::anyhow!("nothing to explain")
            .hint("give a manifest (`kubectl inject explain -f deploy.yaml`) or an object of the cluster (`kubectl inject explain deploy/web -n shop`)"));
    }
    let mut g = gather::from_files(
        &args.input,
        &args.policy,
        &args.kube,
        &args.istio_namespace,
        false,
    )?;
    if targets.is_empty() {
        gather::namespace_matches(&g, &args.kube)?;
    }
    report::warnings(&g.warnings);
    let decider = gather::decider(&g.facts, &args.policy)?;
    let mut selection = gather::Selection::new(&targets, args.kube.namespace.as_deref());
    let mut out = Explained::new(&args.output)?;
    // One object at a time: decided, explained, written out (a trace is most of a decision).
    for subject in g.subjects.iter()? {
        let subject = subject?;
        if !selection.keeps(&subject) {
            continue;
        }
        let mut e = decider.engine.evaluate(&g.facts, subject);
        super::codes::suppress(std::slice::from_mut(&mut e), &suppress);
        out.add(e, &decider, args.policy.mode)?;
    }
    selection.finish(|| g.subjects.iter()?.collect())?;
    if out.count == 0 {
        return Err(
            anyhow::anyhow!("the input holds no pod or workload to explain")
                .hint(UNSUPPORTED_KIND_HINT),
        );
    }
    let out = out.finish(&decider, &args)?;
    // Notes about skipped kinds only when explaining the whole input, not one target.
    if targets.is_empty() {
        let notes: String = g
            .skipped
            .iter()
            .map(|s| {
                let kind = if s.kind.is_empty() {
                    "document without kind"
                } else {
                    &s.kind
                };
                format!(
                    "note: {}: a {kind} is not a pod or workload; skipped\n",
                    s.at
                )
            })
            .collect();
        report::stderr(&notes);
    }
    out.finish()?;
    Ok(Outcome::Success)
}

/// `explain -f`'s output as the decisions are made: text and names written out one object
/// at a time; JSON and YAML one object for one, a list for several (the first waits for a
/// second); a query over the whole holds every decision.
struct Explained {
    count: usize,
    out: report::Spill,
    width: Option<usize>,
    format: OutputFormat,
    /// JSON/YAML: the first object, printed alone unless a second one comes.
    first: Option<Evaluated>,
    /// JSON/YAML once a second object came: the list being written.
    list: Option<report::ListOut>,
    whole: Vec<Evaluated>,
}

impl Explained {
    fn new(format: &OutputFormat) -> Result<Explained> {
        Ok(Explained {
            count: 0,
            out: report::Spill::new(super::spill_threshold()?),
            width: terminal_width(),
            format: format.clone(),
            first: None,
            list: None,
            whole: Vec::new(),
        })
    }

    fn add(
        &mut self,
        e: Evaluated,
        decider: &gather::Decider,
        mode: crate::policy::Mode,
    ) -> Result<()> {
        self.count += 1;
        match &self.format {
            OutputFormat::Table => {
                if self.count > 1 {
                    self.out.write("\n")?;
                }
                let r = ObjectReport::new(&e, &decider.webhooks, mode);
                self.out.write(&explain_text(&r, self.width))?;
            }
            OutputFormat::Name => {
                self.out
                    .write(&gather::kubectl_name(e.subject.kind, &e.subject.name))?;
                self.out.write("\n")?;
            }
            OutputFormat::Json | OutputFormat::Yaml => {
                if self.list.is_none() {
                    let Some(first) = self.first.take() else {
                        self.first = Some(e);
                        return Ok(());
                    };
                    let mut list = if self.format == OutputFormat::Json {
                        report::ListOut::json(report::JsonList::array(), &mut self.out)?
                    } else {
                        report::ListOut::yaml(report::YamlList::sequence())
                    };
                    list.item(
                        &mut self.out,
                        &ObjectReport::new(&first, &decider.webhooks, mode),
                    )?;
                    self.list = Some(list);
                }
                if let Some(list) = &mut self.list {
                    list.item(
                        &mut self.out,
                        &ObjectReport::new(&e, &decider.webhooks, mode),
                    )?;
                }
            }
            _ => self.whole.push(e),
        }
        Ok(())
    }

    /// The output, whole (copied out by its `finish`).
    fn finish(mut self, decider: &gather::Decider, args: &ExplainArgs) -> Result<Output> {
        let mode = args.policy.mode;
        if let Some(list) = self.list.take() {
            list.end(&mut self.out)?;
        } else if let Some(one) = self.first.take() {
            let r = ObjectReport::new(&one, &decider.webhooks, mode);
            let text = super::report_output(&self.format, &r, std::slice::from_ref(&r), true)?
                .unwrap_or_default();
            self.out.write(&text)?;
        } else if !self.whole.is_empty() {
            let reports: Vec<ObjectReport<'_>> = self
                .whole
                .iter()
                .map(|e| ObjectReport::new(e, &decider.webhooks, mode))
                .collect();
            // jsonpath: one object for one, a list for several (cli rejects the rest).
            let text = match reports.as_slice() {
                [one] => super::report_output(&self.format, one, &reports, true)?,
                many => super::report_output(&self.format, many, &reports, true)?,
            }
            .unwrap_or_default();
            return Ok(Output::Text(text));
        }
        Ok(Output::Spilled(self.out))
    }
}

/// `explain TYPE/NAME`: the object, its namespace and the injector's set-up from the cluster,
/// then its running pods (read by its selector, each decided as itself). Returns what to
/// print on stdout; warnings are printed.
fn live(
    args: &ExplainArgs,
    target: &Target,
    suppress: &crate::findings::Suppressions,
) -> Result<String> {
    let (ResourceType::Workload(kind), Some(name)) = (target.ty, target.name.clone()) else {
        return Err(anyhow::anyhow!("explain needs a pod or workload by name")
            .hint("name it: `kubectl inject explain deploy/web -n shop` (or `deploy web`)"));
    };
    let cluster = connect(&args.kube)?;
    let ns = gather_live::namespace(&cluster, &args.kube);
    let ckind = Kind::from_workload(kind)
        .ok_or_else(|| anyhow::anyhow!("{kind} objects cannot be read from the cluster"))?;
    let object = cluster
        .get(ckind, Some(&ns), &name)?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{} {name:?} not found in namespace {ns:?}",
                kind.as_str().to_ascii_lowercase()
            )
        })
        .hint(format!(
            "list them with `kubectl get {} -n {ns}`",
            kind.as_str().to_ascii_lowercase()
        ))?;

    let mut facts = Facts::new();
    let (decider, mut warnings) = gather::live_facts(
        &cluster,
        &mut facts,
        &args.policy,
        &args.istio_namespace,
        Some(&BTreeSet::from([ns.clone()])),
    )?;
    let pod = pod_of(&object, kind)
        .map_err(|(path, message)| anyhow::anyhow!("{kind} {ns}/{name}: {path}: {message}"))?;
    let subject = Subject {
        at: format!("cluster {} {ns}/{name}", kind.as_str().to_ascii_lowercase()),
        kind,
        name: name.clone(),
        namespace: ns.clone(),
        pod,
    };
    let mut item = decider.engine.evaluate(&facts, subject);
    super::codes::suppress(std::slice::from_mut(&mut item), suppress);

    let pods = if kind == crate::manifest::WorkloadKind::Pod {
        vec![object.clone()]
    } else {
        match match_labels_selector(&object) {
            Some(selector) => gather_live::soft(
                cluster.list(Kind::Pod, Scope::Namespace(&ns), Some(&selector)),
                &mut warnings,
                "its pods are not summarised",
            )?
            .unwrap_or_default(),
            None => Vec::new(),
        }
    };
    let mut templates = super::templates::RevisionTemplates::new(&facts);
    let states: Vec<_> = pods
        .iter()
        .map(|p| {
            let decision = pod_of(p, crate::manifest::WorkloadKind::Pod)
                .ok()
                .map(|pod| {
                    decider
                        .engine
                        .decide(&crate::policy::Namespace::from(facts.namespace(&ns)), &pod)
                });
            crate::drift::state::pod_state(p, decision.as_ref(), &mut templates)
        })
        .collect();
    let workload = crate::drift::state::Workload {
        kind,
        namespace: ns.clone(),
        name: name.clone(),
        manual: crate::drift::state::manually_injected(&object, kind),
    };
    let live = super::check::live_item(&item, &decider, args.policy.mode, &workload, states);
    let out = match &args.output {
        OutputFormat::Name => format!("{}\n", gather::kubectl_name(kind, &name)),
        OutputFormat::Table => {
            let mut s = explain_text(&live.object, terminal_width());
            s.push_str(&pods_text(&live.pods));
            if let Some(r) = &live.remedy {
                use colored::Colorize;
                s.push_str(&format!("  {} {r}\n", "remedy:".cyan().bold()));
            }
            s
        }
        format => super::report_output(format, &live, &[&live], true)?.unwrap_or_default(),
    };
    report::warnings(&warnings);
    Ok(out)
}
