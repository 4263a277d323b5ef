//! `test`: declarative injection suites, as `kyverno test` and `gator verify` test policies.
//! Each `kubectl-inject-test.yaml` found (recursively) names manifests, the set-up to decide
//! and render with (a bundle, or configuration files, namespace labels, options) and, per
//! object, the expected decision and optionally the expected injected manifest (a golden
//! file, compared byte for byte). Offline always: a suite never reads a cluster.
//!
//! The schema (`apiVersion: kubectl-inject.io/v1alpha1`, `kind: Test`) is documented in
//! `docs/testing.md`. Every suite is read and checked before any runs: an invalid one (an
//! unknown field, a missing file, an unknown rule or code) is an error naming the file and
//! the field (exit 2). Then every expectation is checked; any failure exits 1.
//!
//! Decisions come from the engine `check` uses, with the facts gathered in `check`'s order
//! (the resources' own context, then the suite's namespace labels and files, then the
//! bundle). The injected manifest is what `kubectl inject inject --respect-policy` prints for
//! the object, rendered with the configuration of the revision whose webhook is called (the
//! bundle's ConfigMaps), or the suite's files, or the embedded default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Outcome;
use super::capture::{Bundle, is_bundle, read_bundle};
use super::gather;
use crate::cli::{PolicyArgs, TestArgs, TestOutput};
use crate::facts::{Fact, Facts, NativeSidecars, Source};
use crate::findings::{Suppressions, lookup};
use crate::inject::engine::{ConfigSource, Setup};
use crate::inject::{DocOutput, Injector};
use crate::manifest::{Document, WorkloadKind, parse_documents};
use crate::model::StringMap;
use crate::policy::{Choice, Compat, Evaluated, Mode, NamespaceCondition, PodCondition, RuleId};
use crate::report::junit;
use crate::report::table::{Cell, Style, Table};
use crate::report::{self, Hint};

/// The file name suites are found by.
pub const SUITE_FILE: &str = "kubectl-inject-test.yaml";
const API_VERSION: &str = "kubectl-inject.io/v1alpha1";
const KIND: &str = "Test";

/// A suite file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SuiteFile {
    api_version: String,
    kind: String,
    #[serde(default)]
    metadata: Metadata,
    /// Manifest files or directories (read recursively), relative to the suite file.
    resources: Vec<PathBuf>,
    /// A bundle written by `kubectl inject capture`.
    bundle: Option<PathBuf>,
    /// The injector configuration (`config` key of `istio-sidecar-injector`, or the whole
    /// ConfigMap): its policy and selectors decide, its templates render.
    config: Option<PathBuf>,
    /// The render's values (`values` key) and mesh configuration (`mesh` key).
    values: Option<PathBuf>,
    mesh: Option<PathBuf>,
    /// MutatingWebhookConfigurations (as `--webhook`).
    #[serde(default)]
    webhooks: Vec<PathBuf>,
    /// Labels per namespace (`"*"`: every namespace nothing else describes).
    #[serde(default)]
    namespace_labels: BTreeMap<String, StringMap>,
    #[serde(default)]
    options: Options,
    /// `CODE` or `CODE=NAMESPACE/NAME`, as `--suppress`.
    #[serde(default)]
    suppress: Vec<String>,
    results: Vec<Expected>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Options {
    revision: Option<String>,
    mode: Option<String>,
    namespace_condition: Option<String>,
    pod_condition: Option<String>,
    compat: Option<String>,
    #[serde(default)]
    enable_namespaces_by_default: bool,
    native_sidecars: Option<bool>,
}

/// One expected object.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expected {
    kind: String,
    name: String,
    namespace: Option<String>,
    inject: bool,
    decided_by: Option<String>,
    revision: Option<String>,
    /// Exactly these finding codes (`KI…` or names), after suppression.
    findings: Option<Vec<String>>,
    /// The injected object, byte for byte (relative to the suite file).
    injected: Option<PathBuf>,
}

/// A suite read and checked, ready to run.
struct Suite {
    file: PathBuf,
    dir: PathBuf,
    name: String,
    spec: SuiteFile,
    suppress: Suppressions,
}

/// The outcome of one expected object.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CaseResult {
    /// `Deployment shop/web`.
    name: String,
    passed: bool,
    /// What did not hold, one sentence each.
    failures: Vec<String>,
    /// The unified diff from the golden file to the render, when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
    #[serde(skip)]
    seconds: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SuiteResult {
    name: String,
    file: String,
    tests: Vec<CaseResult>,
    #[serde(skip)]
    seconds: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TestReport {
    suites: Vec<SuiteResult>,
    passed: usize,
    failed: usize,
}

pub fn run(args: &TestArgs) -> Result<Outcome> {
    let extra = Suppressions::parse(&args.suppress)?;
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for root in &roots {
        discover(root, &mut files)?;
    }
    if files.is_empty() {
        return Err(anyhow::anyhow!(
            "no {SUITE_FILE} under {}",
            roots
                .iter()
                .map(|r| r.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .hint("write one (docs/testing.md), or name the directory that holds them"));
    }
    // Every suite is checked before any runs: an invalid one is exit 2 and runs nothing.
    let mut suites = Vec::new();
    for f in &files {
        let mut s = load(f)?;
        s.suppress.extend(extra.clone());
        suites.push(s);
    }
    let mut results = Vec::new();
    for s in &suites {
        results.push(run_suite(s, args.update_golden)?);
    }
    let failed = results
        .iter()
        .flat_map(|s| &s.tests)
        .filter(|t| !t.passed)
        .count();
    let passed = results.iter().map(|s| s.tests.len()).sum::<usize>() - failed;
    let report = TestReport {
        suites: results,
        passed,
        failed,
    };
    let out = match args.output {
        TestOutput::Table => render_table(&report)?,
        TestOutput::Json => report::machine(&report, report::Machine::Json)?,
        TestOutput::Yaml => report::machine(&report, report::Machine::Yaml)?,
        TestOutput::Junit => junit::render(&junit_suites(&report)),
    };
    report::stdout(&out)?;
    Ok(if failed > 0 {
        Outcome::No
    } else {
        Outcome::Success
    })
}

/// Suite files under `root` (itself, when it is one), in name order, hidden directories
/// skipped.
fn discover(root: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = fs_err::metadata(root)?;
    if meta.is_file() {
        out.push(root.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs_err::read_dir(root)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" {
                discover(&p, out)?;
            }
        } else if name == SUITE_FILE {
            out.push(p);
        }
    }
    Ok(())
}

/// An invalid suite: the file and the field.
fn invalid(file: &Path, field: &str, message: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{}: {field}: {message}", file.display())
        .hint("the suite format is in docs/testing.md")
}

/// Reads and checks one suite file.
fn load(file: &Path) -> Result<Suite> {
    let text = fs_err::read_to_string(file)?;
    let spec: SuiteFile = serde_yaml::from_str(&text).map_err(|e| {
        let message = e.to_string();
        // serde_yaml says `results[0]: unknown field …`; keep its path as the field.
        match message.split_once(": ") {
            Some((path, rest)) if !path.contains(' ') => invalid(file, path, rest),
            _ => anyhow::anyhow!("{}: {message}", file.display())
                .hint("the suite format is in docs/testing.md"),
        }
    })?;
    if spec.api_version != API_VERSION {
        return Err(invalid(
            file,
            "apiVersion",
            format!("{:?}: expected {API_VERSION}", spec.api_version),
        ));
    }
    if spec.kind != KIND {
        return Err(invalid(
            file,
            "kind",
            format!("{:?}: expected {KIND}", spec.kind),
        ));
    }
    let dir = file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    if spec.resources.is_empty() {
        return Err(invalid(file, "resources", "name at least one manifest"));
    }
    let exists = |field: String, p: &Path| -> Result<()> {
        let full = dir.join(p);
        if full.exists() {
            Ok(())
        } else {
            Err(invalid(
                file,
                &field,
                format!("{} does not exist", full.display()),
            ))
        }
    };
    for (i, r) in spec.resources.iter().enumerate() {
        exists(format!("resources[{i}]"), r)?;
    }
    for (field, p) in [
        ("bundle", &spec.bundle),
        ("config", &spec.config),
        ("values", &spec.values),
        ("mesh", &spec.mesh),
    ] {
        if let Some(p) = p {
            exists(field.to_string(), p)?;
        }
    }
    for (i, w) in spec.webhooks.iter().enumerate() {
        exists(format!("webhooks[{i}]"), w)?;
    }
    let o = &spec.options;
    choice::<Mode>(file, "options.mode", o.mode.as_deref())?;
    choice::<NamespaceCondition>(
        file,
        "options.namespaceCondition",
        o.namespace_condition.as_deref(),
    )?;
    choice::<PodCondition>(file, "options.podCondition", o.pod_condition.as_deref())?;
    choice::<Compat>(file, "options.compat", o.compat.as_deref())?;
    let suppress = Suppressions::parse(&spec.suppress).map_err(|e| {
        let i = spec
            .suppress
            .iter()
            .position(|s| crate::findings::Suppression::parse(s).is_err())
            .unwrap_or(0);
        invalid(file, &format!("suppress[{i}]"), e)
    })?;
    if spec.results.is_empty() {
        return Err(invalid(file, "results", "expect at least one object"));
    }
    for (i, r) in spec.results.iter().enumerate() {
        if WorkloadKind::from_kind(&r.kind).is_none() {
            return Err(invalid(
                file,
                &format!("results[{i}].kind"),
                format!(
                    "{:?} is not a pod or workload kind ({})",
                    r.kind,
                    crate::manifest::UNSUPPORTED_KIND_HINT
                ),
            ));
        }
        if let Some(rule) = &r.decided_by
            && !RULES.iter().any(|k| k.as_str() == rule)
        {
            return Err(invalid(
                file,
                &format!("results[{i}].decidedBy"),
                format!(
                    "unknown rule {rule:?} (rules: {})",
                    RULES
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        for (j, c) in r.findings.iter().flatten().enumerate() {
            if lookup(c).is_none() {
                return Err(invalid(
                    file,
                    &format!("results[{i}].findings[{j}]"),
                    format!("unknown code {c:?} (codes are in docs/findings.md)"),
                ));
            }
        }
    }
    // Named after its directory (`.` is the directory it stands for).
    let name = spec.metadata.name.clone().unwrap_or_else(|| {
        std::fs::canonicalize(&dir)
            .unwrap_or_else(|_| dir.clone())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string())
    });
    Ok(Suite {
        file: file.to_path_buf(),
        dir,
        name,
        spec,
        suppress,
    })
}

const RULES: [RuleId; 11] = [
    RuleId::Webhook,
    RuleId::HostNetwork,
    RuleId::IgnoredNamespace,
    RuleId::PodLabel,
    RuleId::PodAnnotation,
    RuleId::NeverInjectSelector,
    RuleId::AlwaysInjectSelector,
    RuleId::Policy,
    RuleId::ProtectedNamespace,
    RuleId::NamespaceCondition,
    RuleId::PodCondition,
];

fn choice<T: Choice + PartialEq>(
    file: &Path,
    field: &str,
    value: Option<&str>,
) -> Result<Option<T>> {
    match value {
        None => Ok(None),
        Some(v) => T::from_name(v).map(Some).ok_or_else(|| {
            invalid(
                file,
                field,
                format!(
                    "unknown value {v:?} (one of: {})",
                    T::ALL
                        .iter()
                        .map(|(_, n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        }),
    }
}

/// The flags a suite stands for, as `check` would be given them.
fn policy_args(s: &Suite) -> Result<PolicyArgs> {
    let o = &s.spec.options;
    let f = &s.file;
    let mut p = PolicyArgs {
        config: s.spec.config.as_ref().map(|c| s.dir.join(c)),
        webhooks: s.spec.webhooks.iter().map(|w| s.dir.join(w)).collect(),
        revision: o.revision.clone(),
        enable_namespaces_by_default: o.enable_namespaces_by_default,
        offline: true,
        native_sidecars: o.native_sidecars,
        ..PolicyArgs::default()
    };
    if let Some(m) = choice(f, "options.mode", o.mode.as_deref())? {
        p.mode = m;
    }
    if let Some(c) = choice(
        f,
        "options.namespaceCondition",
        o.namespace_condition.as_deref(),
    )? {
        p.namespace_condition = c;
    }
    if let Some(c) = choice(f, "options.podCondition", o.pod_condition.as_deref())? {
        p.pod_condition = c;
    }
    if let Some(c) = choice(f, "options.compat", o.compat.as_deref())? {
        p.compat = Some(c);
    }
    Ok(p)
}

/// The resources' documents, and the bundles among them.
fn read_resources(s: &Suite) -> Result<(Vec<Document>, Vec<Bundle>)> {
    let input = crate::cli::InputArgs {
        filenames: s.spec.resources.iter().map(|r| s.dir.join(r)).collect(),
        recursive: true,
    };
    let mut docs = Vec::new();
    for src in super::read_inputs(&input)? {
        docs.extend(parse_documents(&src.name, &src.text)?);
    }
    let mut bundles = Vec::new();
    docs.retain(|d| {
        let b = is_bundle(&d.value);
        if b {
            bundles.push(Bundle {
                file: d.at.to_string(),
                value: d.value.clone(),
            });
        }
        !b
    });
    Ok((docs, bundles))
}

fn run_suite(s: &Suite, update_golden: bool) -> Result<SuiteResult> {
    let started = Instant::now();
    let context = |e: anyhow::Error| e.context(format!("suite {}", s.file.display()));
    let policy = policy_args(s)?;
    let (docs, mut bundles) = read_resources(s).map_err(context)?;
    if let Some(b) = &s.spec.bundle {
        bundles.insert(0, read_bundle(&s.dir.join(b)).map_err(context)?);
    }
    let default_ns = bundles
        .first()
        .and_then(|b| b.default_namespace().map(str::to_string))
        .unwrap_or_else(|| "default".into());

    // The facts in check's order: the resources, the suite's labels and files, the bundle.
    let mut facts = Facts::new();
    let mut webhooks = Vec::new();
    let g = crate::policy::gather(&docs, &default_ns, &mut facts, &mut webhooks, &|d| {
        Source::Input {
            at: d.at.to_string(),
        }
    })
    .map_err(|e| context(e.into()))?;
    let labels_source = Source::Input {
        at: format!("{}: namespaceLabels", s.file.display()),
    };
    for (ns, labels) in &s.spec.namespace_labels {
        if ns == "*" {
            facts.set_other_namespaces(labels.clone(), labels_source.clone());
        } else {
            facts.add_namespace(ns, labels.clone(), labels_source.clone());
        }
    }
    gather::flag_facts(&policy, &mut facts, &mut webhooks).map_err(context)?;
    facts.add_webhooks(
        webhooks,
        Source::Input {
            at: "the resources".into(),
        },
    );
    for b in &bundles {
        b.take(&mut facts).map_err(context)?;
    }
    let decider = gather::decider(&facts, &policy).map_err(context)?;
    let mut items: Vec<Evaluated> = g
        .subjects
        .into_iter()
        .map(|subject| decider.engine.evaluate(&facts, subject))
        .collect();
    super::codes::suppress(&mut items, &s.suppress);

    let renderer = Renderer::new(s, &facts, &bundles, default_ns.clone());
    let mut tests = Vec::new();
    for want in &s.spec.results {
        let case_started = Instant::now();
        let mut c = check_case(s, want, &items, &docs, &renderer, update_golden)?;
        c.seconds = case_started.elapsed().as_secs_f64();
        tests.push(c);
    }
    Ok(SuiteResult {
        name: s.name.clone(),
        file: s.file.display().to_string(),
        tests,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn object_name(kind: &str, ns: &str, name: &str) -> String {
    format!("{kind} {ns}/{name}")
}

fn check_case(
    s: &Suite,
    want: &Expected,
    items: &[Evaluated],
    docs: &[Document],
    renderer: &Renderer<'_>,
    update_golden: bool,
) -> Result<CaseResult> {
    let matches = |e: &&Evaluated| {
        e.subject.kind.as_str() == want.kind
            && e.subject.name == want.name
            && want
                .namespace
                .as_ref()
                .is_none_or(|ns| *ns == e.subject.namespace)
    };
    let found: Vec<&Evaluated> = items.iter().filter(matches).collect();
    let shown_ns = want.namespace.as_deref().unwrap_or("*");
    let mut result = CaseResult {
        name: object_name(&want.kind, shown_ns, &want.name),
        passed: false,
        failures: Vec::new(),
        diff: None,
        seconds: 0.0,
    };
    let e = match found.as_slice() {
        [one] => *one,
        [] => {
            result
                .failures
                .push("not found in the resources".to_string());
            return Ok(result);
        }
        many => {
            result.failures.push(format!(
                "{} objects match (in namespaces {}): name the namespace",
                many.len(),
                many.iter()
                    .map(|e| e.subject.namespace.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            return Ok(result);
        }
    };
    result.name = object_name(&want.kind, &e.subject.namespace, &want.name);
    let d = &e.decision;
    if d.inject != want.inject {
        result.failures.push(format!(
            "inject: expected {}, got {} (decided by {}: {})",
            want.inject, d.inject, d.decided_by, d.reason
        ));
    }
    if let Some(rule) = &want.decided_by
        && d.decided_by.as_str() != rule
    {
        result.failures.push(format!(
            "decidedBy: expected {rule}, got {} ({})",
            d.decided_by, d.reason
        ));
    }
    if let Some(rev) = &want.revision
        && d.revision.as_deref() != Some(rev.as_str())
    {
        result.failures.push(format!(
            "revision: expected {rev}, got {}",
            d.revision.as_deref().unwrap_or("none")
        ));
    }
    if let Some(codes) = &want.findings {
        let mut expected: Vec<&str> = codes
            .iter()
            .filter_map(|c| lookup(c).map(|i| i.code))
            .collect();
        expected.sort_unstable();
        let mut got: Vec<&str> = d.findings.iter().map(|f| f.code.ki()).collect();
        got.sort_unstable();
        if expected != got {
            result.failures.push(format!(
                "findings: expected [{}], got [{}]",
                expected.join(", "),
                got.join(", ")
            ));
        }
    }
    if let Some(golden) = &want.injected {
        let path = s.dir.join(golden);
        let rendered = renderer
            .render(e, docs)
            .with_context(|| format!("suite {}: rendering {}", s.file.display(), result.name))?;
        let have = fs_err::read_to_string(&path).ok();
        if have.as_deref() != Some(rendered.as_str()) {
            if update_golden {
                super::capture::write_atomically(&path, &rendered)?;
                report::stderr(&format!("updated golden {}\n", path.display()));
            } else {
                match have {
                    None => result.failures.push(format!(
                        "injected: golden file {} does not exist (write it with --update-golden)",
                        path.display()
                    )),
                    Some(have) => {
                        result.failures.push(format!(
                            "injected: the render differs from {} (see the diff; --update-golden rewrites it)",
                            path.display()
                        ));
                        result.diff = Some(
                            similar::TextDiff::from_lines(&have, &rendered)
                                .unified_diff()
                                .context_radius(3)
                                .header(&path.display().to_string(), "rendered")
                                .to_string(),
                        );
                    }
                }
            }
        }
    }
    result.passed = result.failures.is_empty();
    Ok(result)
}

/// Renders objects as `inject --respect-policy` prints them, with the set-up of the suite.
struct Renderer<'a> {
    suite: &'a Suite,
    facts: &'a Facts,
    bundled: bool,
    default_namespace: String,
}

impl<'a> Renderer<'a> {
    fn new(suite: &'a Suite, facts: &'a Facts, bundles: &[Bundle], ns: String) -> Renderer<'a> {
        Renderer {
            suite,
            facts,
            bundled: !bundles.is_empty(),
            default_namespace: ns,
        }
    }

    /// The configuration: the suite's files, else the bundle's ConfigMaps of `revision`,
    /// else the embedded default.
    fn setup(&self, revision: &str) -> Result<Setup> {
        let s = self.suite;
        let read = |p: &Option<PathBuf>| -> Result<Option<(String, String)>> {
            p.as_ref()
                .map(|p| {
                    let full = s.dir.join(p);
                    Ok((full.display().to_string(), fs_err::read_to_string(&full)?))
                })
                .transpose()
        };
        let native = s.spec.options.native_sidecars.unwrap_or(true);
        let files = ConfigSource {
            inject_config: read(&s.spec.config)?,
            values: read(&s.spec.values)?,
            mesh: read(&s.spec.mesh)?,
            revision: Some(revision.to_string()),
            env: crate::config::env::injector_env(native, &[])?,
            ..ConfigSource::default()
        };
        let no_files =
            files.inject_config.is_none() && files.values.is_none() && files.mesh.is_none();
        if no_files && self.bundled {
            return Ok(super::templates::revision_setup(
                self.facts, revision, native,
            )?);
        }
        Ok(Setup::load(files)?)
    }

    fn render(&self, e: &Evaluated, docs: &[Document]) -> Result<String> {
        let revision = e.decision.revision.as_deref().unwrap_or("default");
        let setup = self.setup(revision)?;
        let native = self.suite.spec.options.native_sidecars.unwrap_or(true);
        let policy = policy_args(self.suite)?;
        let screen = super::inject_screen::PolicyScreen {
            engine: gather::decider(self.facts, &policy)?.engine,
            facts: self.facts,
            default_namespace: self.default_namespace.clone(),
            respect_policy: true,
            suppress: &self.suite.suppress,
            native: Fact::new(
                NativeSidecars {
                    on: native,
                    why: format!("options.nativeSidecars {native}"),
                },
                Source::Input {
                    at: "options.nativeSidecars".into(),
                },
            ),
        };
        let params = setup.params(native, Some(revision), false);
        let injector = Injector::new(&setup, params, setup.is_legacy()).with_screen(&screen);
        let doc = object_document(e, docs)?;
        let out = injector.inject_document(doc)?;
        Ok(match out.output {
            DocOutput::Raw(text) => text,
            DocOutput::Object(v) => crate::yaml::to_string(&v),
        })
    }
}

/// The object `e` was decided from, as a document of its own (an item of a List is taken out
/// of it).
fn object_document(e: &Evaluated, docs: &[Document]) -> Result<Document> {
    let refs = super::codes::Documents::new(docs.iter().map(|d| d.at.clone()).collect());
    let at = refs
        .of(&e.subject.at)
        .ok_or_else(|| anyhow::anyhow!("{}: its document is not in the input", e.subject.at))?;
    let doc = docs
        .iter()
        .find(|d| d.at == *at)
        .ok_or_else(|| anyhow::anyhow!("{}: its document is not in the input", e.subject.at))?;
    if doc.value.get("kind").and_then(Value::as_str) != Some("List") {
        return Ok(doc.clone());
    }
    let item = doc
        .value
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|i| {
            let s = |p: &str| i.pointer(p).and_then(Value::as_str).unwrap_or("");
            s("/kind") == e.subject.kind.as_str() && s("/metadata/name") == e.subject.name
        })
        .ok_or_else(|| anyhow::anyhow!("{}: not found in its List", e.subject.at))?;
    Ok(Document {
        at: doc.at.clone(),
        raw: crate::yaml::to_string(item),
        value: item.clone(),
    })
}

fn render_table(r: &TestReport) -> Result<String> {
    let mut t = Table::new(["SUITE", "TEST", "RESULT", "REASON"]);
    let mut diffs = String::new();
    for s in &r.suites {
        for c in &s.tests {
            let result = if c.passed {
                Cell::styled("pass", Style::Good)
            } else {
                Cell::styled("fail", Style::Bad)
            };
            t.row(vec![
                Cell::from(s.name.as_str()),
                Cell::from(c.name.as_str()),
                result,
                Cell::from(c.failures.join("; ")),
            ]);
            if let Some(d) = &c.diff {
                diffs.push_str(&format!("\n--- {} ({}):\n{d}", c.name, s.name));
            }
        }
    }
    Ok(format!(
        "{}{diffs}\nSummary: {} passed, {} failed\n",
        t.render(true)?,
        r.passed,
        r.failed
    ))
}

fn junit_suites(r: &TestReport) -> Vec<junit::Suite> {
    r.suites
        .iter()
        .map(|s| junit::Suite {
            name: s.name.clone(),
            file: s.file.clone(),
            time: s.seconds,
            cases: s
                .tests
                .iter()
                .map(|c| junit::Case {
                    name: c.name.clone(),
                    classname: s.name.clone(),
                    time: c.seconds,
                    failure: (!c.passed).then(|| {
                        let mut text = c.failures.join("\n");
                        if let Some(d) = &c.diff {
                            text.push_str("\n\n");
                            text.push_str(d);
                        }
                        (c.failures.join("; "), text)
                    }),
                })
                .collect(),
        })
        .collect()
}
