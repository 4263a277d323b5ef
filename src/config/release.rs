//! Which Istio release the injector is, and what that changes: the one table of
//! version-specific behaviours, and how the release is found.
//!
//! Every behaviour that differs between Istio releases is one [`Change`], listed once in
//! [`CHANGES`] with the first release that has it (and the patch releases it was backported
//! to), what it changes, and where the fact comes from. Code asks
//! `release.has(Change::…)`; nothing else compares version numbers.
//!
//! The release is taken, first found wins, from `--istio-version`, the values'
//! `global.tag`, the injector ConfigMap's version labels, or a revision named after a
//! release (`1-24-6`); when nothing says, the newest behaviour applies ([`detect`]).
//!
//! Known and left out of the table, because no release's output depends on it: the shape
//! of `.DeploymentMeta` (a whole ObjectMeta in older releases, a name and namespace in
//! newer ones). The template data gives every release its name, namespace, labels and
//! annotations, so the stock templates of all of them render.
//!
//! Pure: reads only what it is handed.

use std::fmt;
use std::str::FromStr;

use crate::model::StringMap;

/// An Istio release number: `X.Y`, or `X.Y.Z` when the patch is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    /// `None` when only `X.Y` is known: taken as that line's latest patch.
    pub patch: Option<u32>,
}

const fn v(major: u32, minor: u32, patch: u32) -> Version {
    Version {
        major,
        minor,
        patch: Some(patch),
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(p) => write!(f, "{}.{}.{p}", self.major, self.minor),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

/// A text that is not a release number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an Istio release: expected X.Y or X.Y.Z (such as 1.24 or 1.24.6)")]
pub struct VersionError {
    pub text: String,
}

impl FromStr for Version {
    type Err = VersionError;

    /// `1.24`, `1.24.6`, and the forms tags take: a leading `v`, and a suffix after `-` or
    /// `+` (`1.24.6-distroless`, `1.32-dev`, `1.22.3-asm.1`).
    fn from_str(text: &str) -> Result<Version, VersionError> {
        let err = || VersionError {
            text: text.to_string(),
        };
        let body = text.trim();
        let body = body.strip_prefix('v').unwrap_or(body);
        let body = body.split(['-', '+']).next().unwrap_or("");
        let parts: Vec<&str> = body.split('.').collect();
        let num = |s: &str| -> Result<u32, VersionError> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            s.parse().map_err(|_| err())
        };
        match parts.as_slice() {
            [major, minor] => Ok(Version {
                major: num(major)?,
                minor: num(minor)?,
                patch: None,
            }),
            [major, minor, patch] => Ok(Version {
                major: num(major)?,
                minor: num(minor)?,
                patch: Some(num(patch)?),
            }),
            _ => Err(err()),
        }
    }
}

/// The release whose behaviour to reproduce. `newest()` has every change of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Release {
    version: Option<Version>,
}

impl Release {
    /// The newest behaviour (every change in the table).
    pub const fn newest() -> Release {
        Release { version: None }
    }

    pub const fn of(version: Version) -> Release {
        Release {
            version: Some(version),
        }
    }

    /// The release number, `None` for the newest behaviour.
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// Whether this release has `change`: it is at least the change's release, or on a
    /// line the change was backported to at or after the backport's patch. A release
    /// given as `X.Y` counts as that line's latest patch.
    pub fn has(&self, change: Change) -> bool {
        let Some(r) = self.version else {
            return true;
        };
        let row = change.row();
        let line = |x: &Version| (x.major, x.minor);
        if line(&r) >= line(&row.since) {
            // The main line: the change's own release is `X.Y.0` in the table.
            return line(&r) > line(&row.since)
                || r.patch.unwrap_or(u32::MAX) >= row.since.patch.unwrap_or(0);
        }
        row.backports
            .iter()
            .any(|b| line(b) == line(&r) && r.patch.unwrap_or(u32::MAX) >= b.patch.unwrap_or(0))
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}.{}", v.major, v.minor),
            None => f.write_str("newest"),
        }
    }
}

/// One version-specific behaviour, named by what the newer releases do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// The template data no longer has `.EstimatedConcurrency`.
    NoEstimatedConcurrency,
    /// `RewriteTCPProbes` is no longer a setting: `tcpSocket` probes are always rewritten.
    TcpProbesAlwaysRewritten,
    /// Native sidecars exist: istiod's `ENABLE_NATIVE_SIDECARS` (off by default).
    NativeSidecarSupport,
    /// CronJobs are injected as `batch/v1`; `batch/v2alpha1` is an unknown kind.
    CronJobBatchV1,
    /// The `sidecar.istio.io/nativeSidecar` pod annotation overrides the global setting.
    NativeSidecarAnnotation,
    /// `appendMultusNetwork` writes a JSON-list entry's namespace as its own field.
    MultusNamespaceField,
    /// `sidecar.istio.io/inject` accepts exactly `true` and `false`.
    StrictInjectValue,
    /// Native sidecars are on by default (where the cluster's kubelets support them).
    NativeSidecarsByDefault,
    /// Zero metadata fields are omitted: no `creationTimestamp: null`.
    OmitZeroCreationTimestamp,
}

/// A row of [`CHANGES`].
#[derive(Debug)]
pub struct Row {
    pub change: Change,
    /// The first release of the line that introduced it (`X.Y.0`).
    pub since: Version,
    /// Older lines it was backported to, each from this patch on.
    pub backports: &'static [Version],
    /// What changes, for people.
    pub what: &'static str,
    /// Where the fact comes from.
    pub source: &'static str,
}

/// The table: every version-specific behaviour, oldest first.
pub const CHANGES: &[Row] = &[
    Row {
        change: Change::NoEstimatedConcurrency,
        since: v(1, 18, 0),
        backports: &[],
        what: "the template data loses `.EstimatedConcurrency` (the proxy's concurrency, \
               from the proxy config or the proxy's CPU)",
        source: "Istio 1.17.8 goldens and template (`gt .EstimatedConcurrency 0`); \
                 removed in 1.18",
    },
    Row {
        change: Change::TcpProbesAlwaysRewritten,
        since: v(1, 19, 0),
        backports: &[],
        what: "the `REWRITE_TCP_PROBES` feature is gone: tcpSocket probes are always \
               rewritten to the agent's /app-health",
        source: "Istio 1.17.8 MANIFEST, case tcp-probes-disabled (feature removed in 1.19)",
    },
    Row {
        change: Change::NativeSidecarSupport,
        since: v(1, 19, 0),
        backports: &[],
        what: "istiod's ENABLE_NATIVE_SIDECARS (default false) makes istio-proxy an init \
               container with restartPolicy: Always; the sidecar template reads it too, \
               through `env`",
        source: "Istio 1.20.8 MANIFEST and template; absent from 1.17.8's",
    },
    Row {
        change: Change::CronJobBatchV1,
        since: v(1, 23, 0),
        backports: &[],
        what: "CronJobs are injected as `batch/v1`; before, only `batch/v2alpha1` CronJobs \
               were, and `batch/v1` ones were written back unchanged",
        source: "Istio commit 563b2324 (2024-07-15), the injection scheme's kinds",
    },
    Row {
        change: Change::NativeSidecarAnnotation,
        since: v(1, 24, 0),
        backports: &[],
        what: "the pod annotation `sidecar.istio.io/nativeSidecar` overrides \
               ENABLE_NATIVE_SIDECARS (in the template and in the injector)",
        source: "Istio 1.24.6 MANIFEST and sidecar template; absent from 1.22.8's",
    },
    Row {
        change: Change::MultusNamespaceField,
        since: v(1, 25, 0),
        backports: &[v(1, 23, 6), v(1, 24, 4)],
        what: "`appendMultusNetwork` adds `{\"name\": \"istio-cni\", \"namespace\": \"default\"}` \
               to a JSON-list annotation instead of `{\"name\": \"default/istio-cni\"}`",
        source: "Istio commits 0ef43a8a (1.23.6) and d5703c24741 (1.24.4)",
    },
    Row {
        change: Change::StrictInjectValue,
        since: v(1, 27, 0),
        backports: &[],
        what: "`sidecar.istio.io/inject` accepts exactly \"true\"/\"false\" (anything else \
               falls back to the policy); before, y/yes/true/on in any case meant yes and \
               any other value no",
        source: "Istio commit 331d32e3 (injectRequired)",
    },
    Row {
        change: Change::NativeSidecarsByDefault,
        since: v(1, 27, 0),
        backports: &[],
        what: "native sidecars are on by default (ENABLE_NATIVE_SIDECARS=auto: when the \
               cluster's kubelets support them)",
        source: "Istio 1.27 release notes; the current suite's MANIFEST (auto, nodes >= 1.33)",
    },
    Row {
        change: Change::OmitZeroCreationTimestamp,
        since: v(1, 28, 0),
        backports: &[],
        what: "re-emitted objects no longer carry `creationTimestamp: null` in their \
               metadata (k8s.io/apimachinery v0.34's omitzero)",
        source: "Istio commit 96dcbbfb93a (2025-09-29), goldens of 1.17 to 1.26",
    },
];

impl Change {
    /// This change's row of [`CHANGES`].
    pub fn row(self) -> &'static Row {
        // Every variant has a row (a unit test holds the table to that), so the fallback
        // is never taken; it keeps lookup panic-free.
        CHANGES
            .iter()
            .find(|r| r.change == self)
            .unwrap_or(&CHANGES[0])
    }
}

/// Where the release was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--istio-version`.
    Flag(String),
    /// The values' `global.tag`.
    Tag(String),
    /// A label of the injector ConfigMap: `(key, value)`.
    Label(String, String),
    /// The injector revision: `(where, value)`.
    Revision(String, String),
    /// The embedded default describes the current behaviour.
    Embedded,
    /// Nothing said: the newest behaviour.
    Unknown,
}

/// The release in use and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub release: Release,
    pub source: Source,
}

impl Default for Chosen {
    fn default() -> Chosen {
        Chosen {
            release: Release::newest(),
            source: Source::Unknown,
        }
    }
}

impl fmt::Display for Chosen {
    /// `istio release 1.24 (from values global.tag 1.24.6)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let from = match &self.source {
            Source::Flag(t) => format!("from --istio-version {t}"),
            Source::Tag(t) => format!("from values global.tag {t}"),
            Source::Label(k, v) => format!("from the injector ConfigMap's label {k}={v}"),
            Source::Revision(at, r) => format!("from the {at} {r}"),
            Source::Embedded => "the embedded default".to_string(),
            Source::Unknown => {
                "the configuration does not say which release it is; --istio-version X.Y sets it"
                    .to_string()
            }
        };
        match self.release.version {
            Some(_) => write!(f, "istio release {} ({from})", self.release),
            None => write!(f, "istio release: newest behaviour ({from})"),
        }
    }
}

/// What the release can be read from. Texts are as found; any may be absent.
#[derive(Debug, Clone, Default)]
pub struct Clues<'a> {
    /// `--istio-version`.
    pub flag: Option<Version>,
    /// The injector's values.
    pub values: Option<&'a serde_json::Value>,
    /// The injector ConfigMap's labels (from the cluster or a whole-ConfigMap file).
    pub labels: Option<&'a StringMap>,
    /// The revision asked for (`-r`).
    pub revision: Option<&'a str>,
    /// The configuration is the embedded default.
    pub embedded: bool,
}

/// The ConfigMap labels that carry the release, in the order they are believed: Helm's
/// chart labels (`app.kubernetes.io/version`, `helm.sh/chart: istiod-1.24.6`), then the
/// operator's (`operator.istio.io/version`).
const VERSION_LABELS: [&str; 3] = [
    "app.kubernetes.io/version",
    "helm.sh/chart",
    "operator.istio.io/version",
];

/// A revision named after a release: `1-24`, `1-24-6`, `1-24-6-distroless`.
fn revision_version(rev: &str) -> Option<Version> {
    let parts: Vec<&str> = rev.split('-').collect();
    let nums: Vec<&str> = parts
        .iter()
        .take_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .copied()
        .collect();
    match nums.len() {
        2 | 3 => nums.join(".").parse().ok(),
        _ => None,
    }
}

/// The release to reproduce, first found wins: the flag, the values' `global.tag`, the
/// ConfigMap's version labels, a revision named after a release (`-r`, the values'
/// `revision`, the ConfigMap's `istio.io/rev`); else the newest behaviour.
pub fn detect(clues: &Clues<'_>) -> Chosen {
    let chosen = |version: Version, source: Source| Chosen {
        release: Release::of(version),
        source,
    };
    if let Some(version) = clues.flag {
        return chosen(version, Source::Flag(version.to_string()));
    }
    if clues.embedded {
        return Chosen {
            release: Release::newest(),
            source: Source::Embedded,
        };
    }
    let value = |path: &str| {
        clues
            .values
            .and_then(|v| v.pointer(path))
            .and_then(serde_json::Value::as_str)
    };
    if let Some(tag) = value("/global/tag")
        && let Ok(version) = tag.parse()
    {
        return chosen(version, Source::Tag(tag.to_string()));
    }
    if let Some(labels) = clues.labels {
        for key in VERSION_LABELS {
            let Some(text) = labels.get(key) else {
                continue;
            };
            let bare = text.strip_prefix("istiod-").unwrap_or(text);
            if let Ok(version) = bare.parse() {
                return chosen(version, Source::Label(key.to_string(), text.clone()));
            }
        }
    }
    let revisions = [
        ("revision", clues.revision),
        ("values' revision", value("/revision")),
        (
            "ConfigMap's label istio.io/rev",
            clues
                .labels
                .and_then(|l| l.get(crate::model::istio::REV_LABEL))
                .map(String::as_str),
        ),
    ];
    for (at, rev) in revisions {
        if let Some(rev) = rev
            && let Some(version) = revision_version(rev)
        {
            return chosen(version, Source::Revision(at.to_string(), rev.to_string()));
        }
    }
    Chosen::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> Release {
        Release::of(text.parse().unwrap())
    }

    #[test]
    fn every_change_has_exactly_one_row() {
        use Change::*;
        // A new variant fails to compile here until it is listed below (and in the table).
        let listed = |c: Change| match c {
            NoEstimatedConcurrency
            | TcpProbesAlwaysRewritten
            | NativeSidecarSupport
            | CronJobBatchV1
            | NativeSidecarAnnotation
            | MultusNamespaceField
            | StrictInjectValue
            | NativeSidecarsByDefault
            | OmitZeroCreationTimestamp => c,
        };
        for c in [
            NoEstimatedConcurrency,
            TcpProbesAlwaysRewritten,
            NativeSidecarSupport,
            CronJobBatchV1,
            NativeSidecarAnnotation,
            MultusNamespaceField,
            StrictInjectValue,
            NativeSidecarsByDefault,
            OmitZeroCreationTimestamp,
        ]
        .map(listed)
        {
            assert_eq!(
                CHANGES.iter().filter(|row| row.change == c).count(),
                1,
                "{c:?}"
            );
            assert_eq!(c.row().change, c);
            assert_eq!(
                c.row().since.patch,
                Some(0),
                "{c:?}: since is a line's first release"
            );
        }
        assert_eq!(CHANGES.len(), 9);
        assert!(CHANGES.windows(2).all(|w| {
            (w[0].since.major, w[0].since.minor) <= (w[1].since.major, w[1].since.minor)
        }));
    }

    #[test]
    fn versions_parse_in_the_forms_tags_take() {
        for (text, want) in [
            ("1.24", "1.24"),
            ("1.24.6", "1.24.6"),
            ("v1.24.6", "1.24.6"),
            ("1.24.6-distroless", "1.24.6"),
            ("1.32-dev", "1.32"),
            ("1.22.3-asm.1", "1.22.3"),
        ] {
            assert_eq!(text.parse::<Version>().unwrap().to_string(), want, "{text}");
        }
        for bad in ["latest", "", "1", "1.x", "1.2.3.4", "master"] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
    }

    #[test]
    fn changes_by_release() {
        use Change::*;
        let table = [
            ("1.17.8", NoEstimatedConcurrency, false),
            ("1.18.0", NoEstimatedConcurrency, true),
            ("1.22.8", CronJobBatchV1, false),
            ("1.23.0", CronJobBatchV1, true),
            ("1.22.8", MultusNamespaceField, false),
            ("1.23.5", MultusNamespaceField, false),
            ("1.23.6", MultusNamespaceField, true),
            ("1.24.3", MultusNamespaceField, false),
            ("1.24.4", MultusNamespaceField, true),
            ("1.24", MultusNamespaceField, true),
            ("1.25.0", MultusNamespaceField, true),
            ("1.26.8", StrictInjectValue, false),
            ("1.27", StrictInjectValue, true),
            ("1.27.3", OmitZeroCreationTimestamp, false),
            ("1.28.0", OmitZeroCreationTimestamp, true),
            ("2.0", OmitZeroCreationTimestamp, true),
        ];
        for (release, change, want) in table {
            assert_eq!(r(release).has(change), want, "{release} {change:?}");
        }
        assert!(CHANGES.iter().all(|row| Release::newest().has(row.change)));
    }

    #[test]
    fn detection_order_and_sources() {
        let values = serde_json::json!({"global": {"tag": "1.24.6"}, "revision": "1-20"});
        let latest = serde_json::json!({"global": {"tag": "latest"}, "revision": "1-20-1"});
        let labels: StringMap = [
            (
                "app.kubernetes.io/version".to_string(),
                "1.22.8".to_string(),
            ),
            ("istio.io/rev".to_string(), "1-17".to_string()),
        ]
        .into();
        let chart: StringMap = [("helm.sh/chart".to_string(), "istiod-1.26.2".to_string())].into();
        let show = |c: Clues| detect(&c).to_string();
        assert_eq!(
            show(Clues {
                flag: Some("1.20".parse().unwrap()),
                values: Some(&values),
                ..Clues::default()
            }),
            "istio release 1.20 (from --istio-version 1.20)"
        );
        assert_eq!(
            show(Clues {
                values: Some(&values),
                labels: Some(&labels),
                ..Clues::default()
            }),
            "istio release 1.24 (from values global.tag 1.24.6)"
        );
        assert_eq!(
            show(Clues {
                values: Some(&latest),
                labels: Some(&labels),
                ..Clues::default()
            }),
            "istio release 1.22 (from the injector ConfigMap's label app.kubernetes.io/version=1.22.8)"
        );
        assert_eq!(
            show(Clues {
                labels: Some(&chart),
                ..Clues::default()
            }),
            "istio release 1.26 (from the injector ConfigMap's label helm.sh/chart=istiod-1.26.2)"
        );
        assert_eq!(
            show(Clues {
                values: Some(&latest),
                ..Clues::default()
            }),
            "istio release 1.20 (from the values' revision 1-20-1)"
        );
        assert_eq!(
            detect(&Clues {
                revision: Some("canary"),
                values: Some(&serde_json::json!({"global": {"tag": "latest"}})),
                ..Clues::default()
            }),
            Chosen::default()
        );
        assert_eq!(
            detect(&Clues {
                embedded: true,
                values: Some(&values),
                ..Clues::default()
            })
            .release,
            Release::newest()
        );
    }
}
