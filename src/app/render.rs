//! `inject --render-only`: render one template and print exactly what it produces.
//!
//! `--template` is a file, or with `--injectConfigFile` the name of one of its templates.
//! The dot is `--data` (a JSON file: integral numbers int, others float64), or else the
//! `SidecarTemplateData` that `inject` builds for the first pod or workload of the `-f`
//! input: the same configuration (files, cluster or embedded default, as `inject` chooses
//! it), the same pipeline up to the render (strip, overrides, the workload's name), the same
//! function (`Setup::template_data`) — only the template is the one given.

use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::{Outcome, read_inputs};
use crate::cli::InjectArgs;
use crate::config::{InjectorConfig, MeshError};
use crate::inject::Injector;
use crate::inject::engine::Setup;
use crate::inject::pipeline::{Engine, RenderError, RenderInput, Settings};
use crate::inject::validate::Reason;
use crate::manifest::{WorkloadKind, parse_documents};
use crate::report::{self, Hint};
use crate::template::{self, Template};

pub fn run(args: &InjectArgs) -> Result<Outcome> {
    let Some(path) = &args.template else {
        bail!("--render-only needs --template FILE");
    };
    // `--template sidecar` with `--injectConfigFile` names a template of that config
    // (when no file of that name exists).
    let (name, source) = match &args.inject_config_file {
        Some(cfg) if !path.exists() => {
            let config =
                InjectorConfig::parse(&cfg.display().to_string(), &fs_err::read_to_string(cfg)?)?;
            let wanted = path.display().to_string();
            match config.templates.get(&wanted) {
                Some(t) => (format!("{wanted} ({})", cfg.display()), t.clone()),
                None => {
                    return Err(anyhow::anyhow!(
                        "no template file {wanted}, and {} has no template named {wanted}",
                        cfg.display()
                    )
                    .hint(format!(
                        "templates in {}: {}",
                        cfg.display(),
                        config
                            .templates
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
        _ => (path.display().to_string(), fs_err::read_to_string(path)?),
    };
    // The injector this render stands for, exactly as `inject` sets it up.
    let (setup, revision, _) = super::inject::load_setup(args, Vec::new())?;
    let template = setup
        .parse_template(&name, &source)
        .context("parsing the template")?;
    let out = match &args.data {
        Some(data_path) => {
            let text = fs_err::read_to_string(data_path)?;
            let json: Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not valid JSON", data_path.display()))?;
            template
                .render(&template::json_data(&json))
                .context("rendering the template")?
        }
        None => render_for_first_workload(args, &setup, revision.as_deref(), &template)?,
    };
    report::stdout(&out)?;
    Ok(Outcome::Success)
}

/// The name the pipeline is told to render: the given template, whatever the configured
/// defaults are (a config may have no `sidecar`).
const RENDER_ONLY: &str = "--template";

/// The injector, with the given template rendered over the data the pipeline builds for its
/// first render; what follows the render is left to the pipeline and not looked at.
struct Capture<'a> {
    setup: &'a Setup,
    template: &'a Template,
    out: Mutex<Option<Result<String, RenderError>>>,
}

impl Engine for Capture<'_> {
    fn settings(&self, pod: &Value) -> Result<Settings, MeshError> {
        self.setup.settings(pod)
    }

    fn template_names(&self) -> Vec<String> {
        let mut names = self.setup.template_names();
        names.push(RENDER_ONLY.into());
        names
    }

    fn render(&self, name: &str, input: &RenderInput<'_>) -> Result<String, RenderError> {
        // A legacy configuration's one template is rendered under the name "".
        let legacy = self.setup.is_legacy() && name.is_empty();
        if name != RENDER_ONLY && !legacy {
            return self.setup.render(name, input);
        }
        let out = self
            .setup
            .template_data(input)
            .map_err(RenderError::from)
            .and_then(|dot| Ok(self.template.render(&dot)?));
        if let Ok(mut slot) = self.out.lock()
            && slot.is_none()
        {
            *slot = Some(out.clone());
        }
        out
    }

    fn check_annotation(&self, key: &str, value: &str) -> Option<Result<(), Reason>> {
        self.setup.check_annotation(key, value)
    }
}

fn render_for_first_workload(
    args: &InjectArgs,
    setup: &Setup,
    revision: Option<&str>,
    template: &Template,
) -> Result<String> {
    let capture = Capture {
        setup,
        template,
        out: Mutex::new(None),
    };
    let native = args
        .native_sidecars
        .unwrap_or(super::inject::NATIVE_SIDECARS_DEFAULT);
    let mut params = setup.params(native, revision, false);
    params.default_templates = vec![RENDER_ONLY.into()];
    params.aliases.clear();
    let probe = Injector::new(setup, params.clone(), setup.is_legacy());
    let mut found = None;
    'inputs: for input in read_inputs(&args.input)? {
        for doc in parse_documents(&input.name, &input.text)? {
            if probe.injects(&doc) {
                found = Some(doc);
                break 'inputs;
            }
        }
    }
    let Some(doc) = found else {
        return Err(anyhow::anyhow!(
            "no pod or workload in the -f input to build the template data from"
        )
        .hint("give a manifest with -f, or the dot itself with --data FILE.json"));
    };
    // Templates the pod asks for by annotation stand for the given one: its data is built,
    // whatever the configuration holds.
    let meta =
        WorkloadKind::from_kind(doc.kind()).map_or("/metadata", |k| k.inject_metadata_pointer());
    if let Some(names) = doc
        .value
        .pointer(&format!("{meta}/annotations/inject.istio.io~1templates"))
        .and_then(Value::as_str)
    {
        for n in names.split(',') {
            params
                .aliases
                .insert(n.trim().to_string(), vec![RENDER_ONLY.into()]);
        }
    }
    let injector = Injector::new(&capture, params, setup.is_legacy());
    let at = doc.at.to_string();
    let outcome = injector.inject_document(doc);
    let rendered = capture.out.lock().ok().and_then(|mut o| o.take());
    match (rendered, outcome) {
        (Some(r), _) => r
            .map_err(anyhow::Error::new)
            .context("rendering the template"),
        (None, Err(e)) => Err(anyhow::Error::new(e))
            .context(format!("{at}: the pipeline stopped before rendering")),
        (None, Ok(result)) => {
            let why: Vec<String> = result
                .objects
                .iter()
                .filter_map(|o| o.skip_line())
                .collect();
            Err(anyhow::anyhow!(
                "{at}: inject renders no template for it{}",
                if why.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", why.join("; "))
                }
            )
            .hint("give another pod or workload with -f, or the dot itself with --data FILE.json"))
        }
    }
}
