//! `inject`: gather (inputs, configuration) → inject every document (pure) → print or
//! rewrite files, all or nothing; the skip report and warnings go to stderr.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::input::read_inputs_to_rewrite;
use super::{Outcome, read_inputs};
use crate::cli::{InjectArgs, ManifestFormat};
use crate::config::release::Change;
use crate::inject::engine::{ConfigSource, Setup};
use crate::inject::{DocOutput, DocResult, Injector, ManifestsError, admission};
use crate::report::{self, Hint};

/// `--native-sidecars` when not given: on, as istiod ≥ 1.27 on Kubernetes ≥ 1.33.
pub(super) const NATIVE_SIDECARS_DEFAULT: bool = true;

pub fn run(args: &InjectArgs) -> Result<Outcome> {
    let (setup, revision) = load_setup(args)?;
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
    let native = args.native_sidecars.unwrap_or(NATIVE_SIDECARS_DEFAULT);
    if let Some(path) = &args.admission_review {
        let params = setup.params(native, revision.as_deref(), true);
        return admission_review(&setup, &params, path);
    }
    let params = setup.params(native, revision.as_deref(), false);
    if args.input.filenames.is_empty() {
        bail!(
            anyhow::anyhow!("no input given")
                .hint("pass manifests with -f FILE, -f DIR (-R) or -f - for stdin")
        );
    }
    let inputs = if args.in_place {
        read_inputs_to_rewrite(&args.input)?
    } else {
        read_inputs(&args.input)?
    };

    let injector = Injector::new(&setup, params, setup.is_legacy());
    // Keep only the text of each document for YAML output: holding every parsed object
    // until the end costs several times the output's size.
    let as_text = args.output == ManifestFormat::Yaml || args.in_place;
    let texts: Vec<(&str, &str)> = inputs
        .iter()
        .map(|i| (i.name.as_str(), i.text.as_str()))
        .collect();
    let results = match injector.inject_all(&texts, None, as_text) {
        Ok(r) => r,
        Err(ManifestsError::Manifest(e)) => return Err(e.into()),
        Err(ManifestsError::Inject(e)) => bail!(anyhow::Error::new(e).hint(
            "nothing was written; fix the input or the injector configuration and run again"
        )),
    };

    if args.in_place {
        super::inplace::write_in_place(&inputs, &results)?;
    } else {
        match args.output {
            // Each document is text already: written piece by piece rather than joined into
            // a second copy of the whole output (7 MB for the 1,000-Deployment bench).
            ManifestFormat::Yaml => {
                let texts: Vec<Cow<'_, str>> = results
                    .iter()
                    .map(|(_, r)| match &r.output {
                        DocOutput::Raw(text) => Cow::Borrowed(text.as_str()),
                        DocOutput::Object(v) => Cow::Owned(crate::yaml::to_string(v)),
                    })
                    .collect();
                report::stdout_parts(texts.iter().flat_map(|t| [t.as_ref(), "---\n"]))?;
            }
            ManifestFormat::Json => {
                report::stdout(&render_json(results.iter().map(|(_, r)| r))?)?;
            }
        }
    }
    report::stderr(&summary(results.iter().map(|(_, r)| r)));
    Ok(Outcome::Success)
}

/// The configuration in istioctl's order of preference: the three files users capture with
/// `kubectl get cm … -o jsonpath`, else the cluster's ConfigMaps of the revision, else the
/// embedded default. Also the revision injected as (`-r`, a tag resolved to its revision by
/// the cluster).
pub(super) fn load_setup(args: &InjectArgs) -> Result<(Setup, Option<String>)> {
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
    // No files: the cluster's ConfigMaps when one is configured and reachable.
    if sources.inject_config.is_none()
        && sources.mesh.is_none()
        && sources.values.is_none()
        && let Some(found) = super::inject_cluster::configuration(args)?
    {
        sources.inject_config = Some(found.config);
        sources.values = found.values;
        sources.mesh = found.mesh;
        sources.labels = found.labels;
        sources.revision = Some(found.revision.clone());
        revision = Some(found.revision);
    }
    let setup = Setup::load(sources)
        .map_err(anyhow::Error::new)
        .hint("check the --injectConfigFile, --meshConfigFile and --valuesFile files")?;
    Ok((setup, revision))
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
                let v = crate::manifest::parse_yaml(text)
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
    let review: Value = crate::manifest::parse_yaml(&text)
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
