//! `inject --render-only`: render one template and print exactly what it produces.
//!
//! `--template` is a file, or with `--injectConfigFile` the name of one of its templates.
//! The dot is `--data` (a JSON file: integral numbers int, others float64), or else the
//! `SidecarTemplateData` that `inject` would build for the first pod of the `-f` input,
//! from `--valuesFile` and `--meshConfigFile` (defaults when absent).

use std::sync::Arc;

use anyhow::{Context, Result, bail};

use super::{Outcome, read_inputs};
use crate::cli::InjectArgs;
use crate::config::env::injector_env;
use crate::config::release::{self, Release};
use crate::config::{InjectorConfig, MeshConfig, parse_values};
use crate::manifest::{WorkloadKind, parse_documents};
use crate::report::{self, Hint};
use crate::template::{self, FuncSet, Host, Template, data};

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
    // The injector this render stands for: its release and istiod's environment, as
    // `inject` has them.
    let values = match &args.values_file {
        Some(p) => parse_values(&p.display().to_string(), &fs_err::read_to_string(p)?)?,
        None => serde_json::json!({}),
    };
    // A config file that does not parse names no release; it is an error only where it is
    // used (a template named in it).
    let labels = match &args.inject_config_file {
        Some(cfg) => {
            InjectorConfig::parse(&cfg.display().to_string(), &fs_err::read_to_string(cfg)?)
                .ok()
                .and_then(|c| c.configmap_labels)
        }
        None => None,
    };
    let chosen = release::detect(&release::Clues {
        flag: args.release.istio_version,
        values: Some(&values),
        labels: labels.as_ref(),
        revision: args.revision.as_deref(),
        embedded: false,
    });
    let host = Host {
        env: Arc::new(injector_env(native_sidecars(args), &args.env)?),
        release: chosen.release,
    };
    let template = Template::parse_for(&name, &source, FuncSet::Current, &host)
        .context("parsing the template")?;
    let dot = match &args.data {
        Some(data_path) => {
            let text = fs_err::read_to_string(data_path)?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not valid JSON", data_path.display()))?;
            template::json_data(&json)
        }
        None => sidecar_data(args, &values, chosen.release)?,
    };
    let out = template.render(&dot).context("rendering the template")?;
    report::stdout(&out)?;
    Ok(Outcome::Success)
}

/// `--native-sidecars`, on when not given (as `inject` has it).
fn native_sidecars(args: &InjectArgs) -> bool {
    args.native_sidecars
        .unwrap_or(super::inject::NATIVE_SIDECARS_DEFAULT)
}

/// The `SidecarTemplateData` for the first workload of the `-f` input.
fn sidecar_data(
    args: &InjectArgs,
    values: &serde_json::Value,
    release: Release,
) -> Result<gotmpl::Value> {
    let mesh = match &args.mesh_config_file {
        Some(p) => MeshConfig::parse(&p.display().to_string(), &fs_err::read_to_string(p)?)?,
        None => MeshConfig::default(),
    };
    let mut found = None;
    for input in read_inputs(&args.input)? {
        for doc in parse_documents(&input.name, &input.text)? {
            if let Some(kind) = WorkloadKind::from_type_meta(doc.api_version(), doc.kind()) {
                found = Some((doc, kind));
                break;
            }
        }
        if found.is_some() {
            break;
        }
    }
    let Some((doc, kind)) = found else {
        return Err(anyhow::anyhow!(
            "no pod or workload in the -f input to build the template data from"
        )
        .hint("give a manifest with -f, or the dot itself with --data FILE.json"));
    };
    let pod = doc
        .value
        .pointer(kind.pod_template_pointer())
        .cloned()
        .unwrap_or_default();
    let object_meta = pod
        .get("metadata")
        .cloned()
        .unwrap_or_else(|| serde_json::json!({}));
    let spec = pod
        .get("spec")
        .cloned()
        .unwrap_or_else(|| serde_json::json!({}));
    let proxy_config = match object_meta
        .pointer("/annotations/proxy.istio.io~1config")
        .and_then(|v| v.as_str())
    {
        Some(text) => mesh.default_config.merge_annotation(
            &format!("{}: annotation proxy.istio.io/config", doc.at),
            text,
        )?,
        None => mesh.default_config.clone(),
    };
    let namespace = doc
        .namespace()
        .map(str::to_string)
        .or_else(|| args.kube.namespace.clone())
        .unwrap_or_default();
    let revision = match args.revision.as_deref() {
        None | Some("default") => String::new(),
        Some(r) => r.to_string(),
    };
    let input = data::TemplateInput {
        type_meta: data::TypeMeta {
            kind: doc.kind().to_string(),
            api_version: doc.api_version().to_string(),
        },
        deployment_meta: data::DeploymentMeta {
            name: doc.name().to_string(),
            namespace,
            ..Default::default()
        },
        object_meta: &object_meta,
        spec: &spec,
        proxy_config: &proxy_config,
        mesh: &mesh,
        values,
        revision,
        native_sidecars: native_sidecars(args),
        proxy_uid: 1337,
        proxy_gid: 1337,
        compliance_policy: String::new(),
    };
    let constants = data::Constants::new(&mesh, values).for_release(release);
    Ok(data::build_with(&input, &constants))
}
