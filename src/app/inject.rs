//! `inject`: gather (inputs, configuration) → inject every document (pure) → print or
//! rewrite files, all or nothing; the skip report and warnings go to stderr.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{InputSource, Outcome, read_inputs};
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
    let inputs = read_inputs(&args.input)?;
    if args.in_place
        && let Some(stdin) = inputs.iter().find(|i| i.path.is_none())
    {
        bail!(
            anyhow::anyhow!("--in-place cannot rewrite {}", stdin.name)
                .hint("drop --in-place to print the result, or pass files with -f")
        );
    }

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
        write_in_place(&inputs, &results)?;
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
fn load_setup(args: &InjectArgs) -> Result<(Setup, Option<String>)> {
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
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let mut s = serde_json::to_string_pretty(&list)?;
    s.push('\n');
    Ok(s)
}

/// Every file's new text is built first, then written to a temporary file beside it, then
/// all are renamed over the originals: a failure before the renames leaves every input
/// untouched (and removes the temporary files).
pub(super) fn write_in_place(inputs: &[InputSource], results: &[(usize, DocResult)]) -> Result<()> {
    let mut per_file: BTreeMap<usize, Vec<&DocResult>> = BTreeMap::new();
    for (i, r) in results {
        per_file.entry(*i).or_default().push(r);
    }
    let mut staged: Vec<(PathBuf, &Path)> = Vec::new();
    let outcome = (|| -> Result<()> {
        for (i, docs) in &per_file {
            let Some(path) = inputs.get(*i).and_then(|inp| inp.path.as_deref()) else {
                continue;
            };
            let text = render_yaml(docs.iter().copied());
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let tmp = path.with_file_name(format!(
                ".{file_name}.kubectl-inject.{}.tmp",
                std::process::id()
            ));
            fs_err::write(&tmp, text)?;
            staged.push((tmp.clone(), path));
            if let Ok(meta) = fs_err::metadata(path) {
                fs_err::set_permissions(&tmp, meta.permissions())?;
            }
        }
        Ok(())
    })();
    if let Err(e) = outcome {
        for (tmp, _) in &staged {
            let _ = fs_err::remove_file(tmp);
        }
        return Err(e.context("nothing was rewritten"));
    }
    for (tmp, path) in staged {
        fs_err::rename(&tmp, path)?;
    }
    Ok(())
}

/// Skip lines and warnings, after the output (as istioctl prints its warnings).
fn summary<'a>(results: impl Iterator<Item = &'a DocResult>) -> String {
    let mut out = String::new();
    for r in results {
        for o in &r.objects {
            if let Some(line) = o.skip_line() {
                out.push_str(&line);
                out.push('\n');
            }
        }
        for w in &r.warnings {
            out.push_str(&format!("warning: {}: {w}\n", r.at));
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
    report::stderr(&format!("{word}: {}\n", verdict.reason));
    Ok(Outcome::Success)
}
