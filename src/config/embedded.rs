//! The embedded default configuration, so `kubectl inject inject -f app.yaml` works with
//! nothing else: our own sidecar template (following the output shape of Istio's stock
//! `sidecar` template for a default install), values for a default install and the mesh
//! settings of one. Written for this project, not copied from Istio: see
//! `default/README.md` for what it assumes (hub, tag, defaults).

/// How errors name it.
pub const SOURCE: &str = "<embedded default>";
/// How stderr names it.
pub const DESCRIPTION: &str = "embedded default configuration (sidecar template, values and mesh of a default install, docker.io/istio 1.27.0)";
/// The `sidecar` template.
pub const SIDECAR_TEMPLATE: &str = include_str!("default/sidecar.tmpl");
/// The `values` key (JSON).
pub const VALUES: &str = include_str!("default/values.json");
/// The `mesh` key.
pub const MESH: &str = include_str!("default/mesh.yaml");

/// The injector configuration: policy enabled, one template `sidecar`, the default.
pub fn config() -> super::InjectorConfig {
    super::InjectorConfig {
        templates: [("sidecar".to_string(), SIDECAR_TEMPLATE.to_string())].into(),
        default_templates: vec!["sidecar".to_string()],
        ..super::InjectorConfig::default()
    }
}
