//! istiod's process environment as injection templates read it (`env KEY DEFAULT`).
//!
//! Templates of Istio 1.17 to 1.26 read some of istiod's settings from its environment
//! instead of from the values, and the injector reads its feature switches from it;
//! istioctl reads them from the shell it runs in. `inject` defines that environment
//! instead: the settings below, each from its flag or istiod's default, and
//! `--env KEY=VALUE` for any other. The user's shell is never read.
//!
//! Pure.

use std::collections::BTreeMap;

/// The setting `--native-sidecars` drives, read by Go and by the 1.19–1.26 templates.
pub const NATIVE_SIDECARS: &str = "ENABLE_NATIVE_SIDECARS";

/// istiod's feature switch for rewriting tcpSocket probes (Istio ≤ 1.18; default true):
/// read by the injector, not by templates.
pub const REWRITE_TCP_PROBES: &str = "REWRITE_TCP_PROBES";

/// istiod's settings that stock templates read through `env`, with istiod's defaults:
/// `(name, default, who reads it)`. `ENABLE_NATIVE_SIDECARS` comes from its flag.
pub const SETTINGS: &[(&str, &str, &str)] = &[
    (
        "PILOT_ENABLE_INBOUND_PASSTHROUGH",
        "true",
        "sidecar templates of Istio 1.17 to 1.20",
    ),
    (
        "ENABLE_LEGACY_FSGROUP_INJECTION",
        "false",
        "sidecar templates of Istio 1.17",
    ),
];

/// An `--env` entry that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    #[error("--env {0:?}: expected KEY=VALUE")]
    NotKeyValue(String),
    #[error("--env {0}: set it with --native-sidecars, which the injector itself also reads")]
    HasFlag(String),
}

/// The environment templates see: the settings with their defaults, `ENABLE_NATIVE_SIDECARS`
/// from `native_sidecars`, then each `KEY=VALUE` of `extra` (later ones win).
pub fn injector_env(
    native_sidecars: bool,
    extra: &[String],
) -> Result<BTreeMap<String, String>, EnvError> {
    let mut env: BTreeMap<String, String> = SETTINGS
        .iter()
        .map(|(k, v, _)| (k.to_string(), v.to_string()))
        .collect();
    env.insert(NATIVE_SIDECARS.into(), native_sidecars.to_string());
    for entry in extra {
        let Some((key, value)) = entry.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Err(EnvError::NotKeyValue(entry.clone()));
        };
        // Go and the template must agree on it, so only the flag sets it.
        if key == NATIVE_SIDECARS {
            return Err(EnvError::HasFlag(key.to_string()));
        }
        env.insert(key.to_string(), value.to_string());
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_flag_and_extras() {
        let env = injector_env(false, &["A=1".into(), "A=2".into(), "B=".into()]).unwrap();
        assert_eq!(env[NATIVE_SIDECARS], "false");
        assert_eq!(env["PILOT_ENABLE_INBOUND_PASSTHROUGH"], "true");
        assert_eq!(env["A"], "2");
        assert_eq!(env["B"], "");
        assert_eq!(injector_env(true, &[]).unwrap()[NATIVE_SIDECARS], "true");
        let extra = |e: &str| injector_env(true, &[e.to_string()]);
        assert_eq!(
            extra("PILOT_ENABLE_INBOUND_PASSTHROUGH=false").unwrap()["PILOT_ENABLE_INBOUND_PASSTHROUGH"],
            "false"
        );
        assert_eq!(
            extra("novalue"),
            Err(EnvError::NotKeyValue("novalue".into()))
        );
        assert_eq!(extra("=x"), Err(EnvError::NotKeyValue("=x".into())));
        assert!(matches!(
            extra("ENABLE_NATIVE_SIDECARS=true"),
            Err(EnvError::HasFlag(_))
        ));
    }
}
