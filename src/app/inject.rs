//! `inject`: gather (inputs, configuration) → inject every document (pure) → print or
//! rewrite files, all or nothing; the skip report and warnings go to stderr.
//!
//! Printed output is bounded by the largest document, not the input: files are read
//! document by document (`docstream`), injected a window at a time
//! ([`Injector::inject_stream`]), and each document's output goes to a [`report::Spill`],
//! in memory up to [`report::SPILL_BYTES`] and then in an anonymous temporary file, copied
//! to stdout once every document succeeded. On an error nothing is printed and the file
//! goes with the process. `--in-place` keeps its own path (`inplace`: each file whole, a
//! temporary file beside it).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::Outcome;
use super::capture::Bundle;
use super::docstream;
use super::inject_screen::mentions_context;
use super::input::{read_inputs_to_rewrite, walk_streaming};
use crate::cli::{InjectArgs, ManifestFormat};
use crate::config::release::Change;
use crate::facts::Facts;
use crate::inject::engine::{ConfigSource, Setup};
use crate::inject::{DocOutput, DocResult, Injector, ManifestsError, admission};
use crate::manifest::ManifestError;
use crate::report::{self, Hint};

/// `--native-sidecars` when not given: on, as istiod ≥ 1.27 on Kubernetes ≥ 1.33.
pub(super) const NATIVE_SIDECARS_DEFAULT: bool = true;

pub fn run(args: &InjectArgs) -> Result<Outcome> {
    let suppress = super::codes::suppressions(&args.suppress)?;
    if let Some(path) = &args.admission_review {
        let (setup, revision, _) = load_setup(args, Vec::new())?;
        let native = announce(args, &setup);
        let params = setup.params(native, revision.as_deref(), true);
        return admission_review(&setup, &params, path);
    }
    if args.input.filenames.is_empty() {
        bail!(
            anyhow::anyhow!("no input given")
                .hint("pass manifests with -f FILE, -f DIR (-R) or -f - for stdin")
        );
    }
    // Files to print from are read as they are injected; those to rewrite, whole.
    let inputs = if args.in_place {
        read_inputs_to_rewrite(&args.input)?
    } else {
        walk_streaming(&args.input)?
    };
    // A first pass reads every input to its end: the input's own context, and any bundle
    // inside it (left out of the output).
    let scanned = inputs
        .iter()
        .map(|i| docstream::scan(i, mentions_context))
        .collect::<Result<Vec<_>>>()?;
    let context = super::inject_screen::input_context(&scanned)?;
    if args.in_place && !context.bundle_docs.is_empty() {
        bail!(
            anyhow::anyhow!("--in-place would drop the bundle from its file")
                .hint("give the bundle with --bundle, apart from the manifests")
        );
    }
    let (setup, revision, below) = load_setup(args, context.bundles)?;
    let native = announce(args, &setup);
    let params = setup.params(native, revision.as_deref(), false);

    let mut facts = context.facts;
    // The configuration given as a file decides for every revision, as `check --config`.
    if let Some(path) = &args.inject_config_file {
        facts.set_config_override(
            crate::facts::InjectorFacts {
                name: path.display().to_string(),
                config: setup.config().clone(),
                config_text: None,
                values_text: None,
            },
            crate::facts::Source::flag("--injectConfigFile"),
        );
    }
    if let Some(below) = below {
        facts.layer(below);
    }
    let policy = crate::cli::PolicyArgs {
        revision: args.revision.clone(),
        namespace_labels: args.namespace_labels.clone(),
        ..Default::default()
    };
    super::gather::flag_facts(&policy, &mut facts, &mut Vec::new())?;
    let decider = super::gather::decider(&facts, &policy)?;
    let screen = super::inject_screen::PolicyScreen {
        engine: decider.engine,
        facts: &facts,
        default_namespace: args
            .kube
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into()),
        respect_policy: args.respect_policy,
        suppress: &suppress,
        native: crate::facts::Fact::new(
            crate::facts::NativeSidecars {
                on: native,
                why: format!("inject renders with --native-sidecars {native}"),
            },
            crate::facts::Source::flag("--native-sidecars"),
        ),
    };
    let injector = Injector::new(&setup, params, setup.is_legacy()).with_screen(&screen);
    // Every input is split before anything is injected: a bad separator in an input the
    // first pass did not split is met here, in input order.
    for input in &scanned {
        if let Err(error) = &input.docs {
            bail!(ManifestError::Split {
                source_name: input.name.clone(),
                error: error.clone(),
            });
        }
    }

    if args.in_place {
        let texts: Vec<(&str, &str)> = inputs
            .iter()
            .map(|i| (i.name.as_str(), i.text.as_str()))
            .collect();
        // Only the text of each document is kept: holding every parsed object until the
        // end costs several times the output's size.
        let results = injector
            .inject_all(&texts, None, true)
            .map_err(manifests_error)?;
        super::inplace::write_in_place(&inputs, &results)?;
        report::stderr(&summary(results.iter().map(|(_, r)| r)));
        return Ok(Outcome::Success);
    }

    let mut out = report::Spill::new(super::spill_threshold()?);
    let mut list = report::JsonList::v1_list();
    let json = args.output == ManifestFormat::Json;
    if json {
        list.start(&mut out)?;
    }
    // Skip lines and warnings, said after the output (as istioctl prints its warnings).
    let mut notes = String::new();
    let docs =
        docstream::documents(&inputs, &context.bundle_docs).map(|d| d.map_err(Failure::Other));
    // YAML output keeps only each document's text: a parsed object is several times larger.
    injector
        .inject_stream(docs, None, !json, |_, r| {
            notes.push_str(&summary(std::iter::once(&r)));
            if json {
                for item in json_values(std::iter::once(&r))? {
                    list.item(&mut out, &item)?;
                }
            } else {
                match &r.output {
                    DocOutput::Raw(text) => out.write(text)?,
                    DocOutput::Object(v) => out.write(&crate::yaml::to_string(v))?,
                }
                out.write("---\n")?;
            }
            Ok(())
        })
        .map_err(Failure::into_error)?;
    if json {
        list.end(&mut out)?;
    }
    out.finish()?;
    report::stderr(&notes);
    Ok(Outcome::Success)
}

/// Why the streamed injection stopped: a document (said as `inject` has always said it) or
/// anything else (reading the input, writing the output).
enum Failure {
    Manifests(ManifestsError),
    Other(anyhow::Error),
}

impl From<ManifestsError> for Failure {
    fn from(e: ManifestsError) -> Failure {
        Failure::Manifests(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Other(e)
    }
}

impl Failure {
    fn into_error(self) -> anyhow::Error {
        match self {
            Failure::Manifests(e) => manifests_error(e),
            Failure::Other(e) => e,
        }
    }
}

/// A document that does not parse, or cannot be injected (with what to do).
fn manifests_error(e: ManifestsError) -> anyhow::Error {
    match e {
        ManifestsError::Manifest(e) => e.into(),
        ManifestsError::Inject(e) => anyhow::Error::new(e)
            .hint("nothing was written; fix the input or the injector configuration and run again"),
    }
}

/// Says on stderr which configuration and release are used (and when native sidecars are on
/// against that release's default), and returns whether native sidecars are rendered.
fn announce(args: &InjectArgs, setup: &Setup) -> bool {
    report::stderr(&format!("using {}\n", setup.describe()));
    let chosen = setup.release();
    report::stderr(&format!("{chosen}\n"));
    let release = chosen.release;
    if args.native_sidecars.is_none()
        && release.has(Change::NativeSidecarSupport)
        && !release.has(Change::NativeSidecarsByDefault)
    {
        report::stderr(&format!(
            "note: istiod of Istio {release} leaves native sidecars off unless ENABLE_NATIVE_SIDECARS=true; they are on here (the default of --native-sidecars): --native-sidecars=false matches a default {release} install\n"
        ));
    }
    args.native_sidecars.unwrap_or(NATIVE_SIDECARS_DEFAULT)
}

/// The configuration in istioctl's order of preference: the three files users capture with
/// `kubectl get cm … -o jsonpath`, else a bundle's ConfigMaps of the revision (`--bundle`,
/// else one inside the input), else the cluster's, else the embedded default. Also the
/// revision injected as (`-r`, a tag resolved to its revision by the bundle or cluster), and
/// the facts of the bundle or cluster read, for the webhook's view of each object.
pub(super) fn load_setup(
    args: &InjectArgs,
    in_input: Vec<Bundle>,
) -> Result<(Setup, Option<String>, Option<Facts>)> {
    let read = |p: &Option<PathBuf>| -> Result<Option<(String, String)>> {
        p.as_ref()
            .map(|p| Ok((p.display().to_string(), fs_err::read_to_string(p)?)))
            .transpose()
    };
    let mut sources = ConfigSource {
        inject_config: read(&args.inject_config_file)?,
        mesh: read(&args.mesh_config_file)?,
        values: read(&args.values_file)?,
        compliance_policy: args.compliance_policy.clone().unwrap_or_default(),
        istio_version: args.release.istio_version,
        labels: None,
        revision: args.revision.clone(),
        env: crate::config::env::injector_env(
            args.native_sidecars.unwrap_or(NATIVE_SIDECARS_DEFAULT),
            &args.env,
        )?,
    };
    let mut revision = args.revision.clone();
    let mut bundles = in_input;
    if let Some(path) = &args.bundle {
        bundles.insert(0, super::capture::read_bundle(path)?);
    }
    let files =
        sources.inject_config.is_some() || sources.mesh.is_some() || sources.values.is_some();
    // A bundle stands in for the cluster, which is then not read.
    let below = match bundles.first() {
        Some(_) => {
            let mut facts = Facts::new();
            for b in &bundles {
                b.take(&mut facts)?;
            }
            Some(facts)
        }
        None if files => None,
        None => super::inject_cluster::cluster_facts_for_inject(args),
    };
    // No files: the bundle's or the cluster's ConfigMaps of the revision.
    if !files && let Some(facts) = &below {
        let place = match bundles.first() {
            Some(b) => format!("in bundle {}", b.file),
            None => "in the cluster".to_string(),
        };
        if let Some(found) = super::inject_cluster::choose(facts, args, &place)? {
            sources.inject_config = Some(found.config);
            sources.values = found.values;
            sources.mesh = found.mesh;
            sources.labels = found.labels;
            sources.revision = Some(found.revision.clone());
            revision = Some(found.revision);
        }
    }
    let setup = Setup::load(sources)
        .map_err(anyhow::Error::new)
        .hint("check the --injectConfigFile, --meshConfigFile and --valuesFile files")?;
    Ok((setup, revision, below))
}

pub(super) fn render_yaml<'a>(results: impl Iterator<Item = &'a DocResult>) -> String {
    let mut out = String::new();
    for r in results {
        match &r.output {
            DocOutput::Raw(text) => out.push_str(text),
            DocOutput::Object(v) => out.push_str(&crate::yaml::to_string(v)),
        }
        out.push_str("---\n");
    }
    out
}

/// `-o json`: one `v1/List` of every document, as kubectl prints several objects.
pub(super) fn render_json<'a>(results: impl Iterator<Item = &'a DocResult>) -> Result<String> {
    let items = json_values(results)?;
    json_text(&serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}))
}

/// Every document's output as a value (documents holding only comments left out).
pub(super) fn json_values<'a>(results: impl Iterator<Item = &'a DocResult>) -> Result<Vec<Value>> {
    let mut items = Vec::new();
    for r in results {
        match &r.output {
            DocOutput::Object(v) => items.push(v.clone()),
            DocOutput::Raw(text) => {
                let v = crate::manifest::read_yaml(text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", r.at))?;
                if !v.is_null() {
                    items.push(v);
                }
            }
        }
    }
    Ok(items)
}

/// Pretty JSON with a final newline, as `-o json` prints it.
pub(super) fn json_text(value: &Value) -> Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

/// Skip lines and warnings, after the output (as istioctl prints its warnings).
fn summary<'a>(results: impl Iterator<Item = &'a DocResult>) -> String {
    let mut out = String::new();
    for r in results {
        for o in &r.objects {
            if let Some(line) = o.skip_line() {
                out.push_str(&report::escape(&line));
                out.push('\n');
            }
        }
        for w in &r.warnings {
            out.push_str(&format!(
                "warning: {}: {}\n",
                report::escape(&r.at.to_string()),
                report::escape(w)
            ));
        }
    }
    out
}

fn admission_review(setup: &Setup, params: &crate::inject::Params, path: &Path) -> Result<Outcome> {
    let (name, text) = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .context("reading <stdin>")?;
        ("<stdin>".to_string(), text)
    } else {
        (path.display().to_string(), fs_err::read_to_string(path)?)
    };
    let review: Value = crate::manifest::read_yaml(&text)
        .map_err(|e| anyhow::anyhow!("{name}: not JSON or YAML: {e}"))?;
    let (response, verdict) = admission::review(setup, setup.config(), params, &review)
        .with_context(|| format!("{name}: cannot answer the review"))?;
    let mut s = serde_json::to_string_pretty(&response)?;
    s.push('\n');
    report::stdout(&s)?;
    let word = if verdict.injected {
        "injected"
    } else {
        "not injected"
    };
    report::stderr(&format!("{word}: {}\n", report::escape(&verdict.reason)));
    Ok(Outcome::Success)
}
