//! Health of the sidecar injector itself (`check --injector`), in the style of `linkerd
//! check`: categories of checks, each ok / warning / error (or not checked) with words, a
//! hint, and a stable id.
//!
//! Pure: works on the cluster objects it is handed (as manifest-shaped JSON) and on the time
//! it is told (`now`, Unix seconds); the command gathers them. Must not import `app`,
//! `cluster`, `report` or do I/O.
//!
//! A check that concerns one webhook configuration names it and its revision (in the words,
//! and as `configuration` / `revision` in JSON), and its hint names a command that fixes that
//! configuration only — never one whose plan would touch another revision.
//!
//! The check ids (`id` in JSON; stable, kebab-case; one per kind of check, so several lines
//! can share one), each with a `KI3xx` code (`kiCode` in JSON; `docs/findings.md`):
//!
//! | id | what it checks |
//! |---|---|
//! | `webhook-exists` | an Istio injection MutatingWebhookConfiguration exists |
//! | `ca-bundle-set` | every webhook that calls a service has a caBundle |
//! | `ca-bundle-valid` | each caBundle is base64 of PEM X.509 certificates |
//! | `ca-bundle-expiry` | each caBundle certificate is in its validity period, and not within 30 days of its end |
//! | `ca-bundle-is-ca` | each caBundle certificate is a CA (basicConstraints CA:TRUE) |
//! | `ca-bundle-verifies-serving-cert` | the caBundle verifies the certificate in the injector's serving secret (`<service>-tls`, `istiod-tls`, `cacerts`, `istio-ca-secret`), when one can be read |
//! | `failure-policy` | per webhook: its failurePolicy, the namespaces that route through it, and the pods there that opted out by annotation only |
//! | `timeout-seconds` | no webhook waits more than 10s |
//! | `selectors-valid` | every namespaceSelector and objectSelector compiles |
//! | `webhooks-overlap` | no two webhooks match the same pod |
//! | `webhook-url` | a webhook that calls a URL instead of a service |
//! | `service-exists` | the service a webhook calls exists |
//! | `service-endpoints` | that service has ready endpoints |
//! | `deployment-exists` | a deployment backs that service |
//! | `deployment-ready` | that deployment is ready |
//! | `deployment-replicas` | it runs at least 2 replicas |
//! | `deployment-resources` | its containers set resource requests and limits |
//! | `namespaces-readable` | namespaces could be read |
//! | `namespace-double-label` | no namespace has both istio-injection and istio.io/rev |

mod ca;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::model::StringMap;
use crate::model::webhook::{INJECT_KEY, INJECTION_LABEL, NAMESPACE_NAME_LABEL, REV_LABEL};
use crate::policy::Selector;

pub use ca::{BundleError, Cert, date, parse_bundle_base64, parse_pem, verifies};

/// A caBundle certificate that ends within this many days is a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// How many namespace names a blast-radius line lists before "…".
const FIRST_FEW: usize = 5;

/// What a check found. `Skipped` is a check that could not be made (a secret that may not
/// be read): it fails nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Skipped,
    Ok,
    Warning,
    Error,
}

/// The stable id of a kind of check; the module header documents each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckId {
    WebhookExists,
    CaBundleSet,
    CaBundleValid,
    CaBundleExpiry,
    CaBundleIsCa,
    CaBundleVerifiesServingCert,
    FailurePolicy,
    TimeoutSeconds,
    SelectorsValid,
    WebhooksOverlap,
    WebhookUrl,
    ServiceExists,
    ServiceEndpoints,
    DeploymentExists,
    DeploymentReady,
    DeploymentReplicas,
    DeploymentResources,
    NamespacesReadable,
    NamespaceDoubleLabel,
}

impl CheckId {
    /// Every id, in report order.
    pub const ALL: [CheckId; 19] = [
        CheckId::WebhookExists,
        CheckId::CaBundleSet,
        CheckId::CaBundleValid,
        CheckId::CaBundleExpiry,
        CheckId::CaBundleIsCa,
        CheckId::CaBundleVerifiesServingCert,
        CheckId::FailurePolicy,
        CheckId::TimeoutSeconds,
        CheckId::SelectorsValid,
        CheckId::WebhooksOverlap,
        CheckId::WebhookUrl,
        CheckId::ServiceExists,
        CheckId::ServiceEndpoints,
        CheckId::DeploymentExists,
        CheckId::DeploymentReady,
        CheckId::DeploymentReplicas,
        CheckId::DeploymentResources,
        CheckId::NamespacesReadable,
        CheckId::NamespaceDoubleLabel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::WebhookExists => "webhook-exists",
            CheckId::CaBundleSet => "ca-bundle-set",
            CheckId::CaBundleValid => "ca-bundle-valid",
            CheckId::CaBundleExpiry => "ca-bundle-expiry",
            CheckId::CaBundleIsCa => "ca-bundle-is-ca",
            CheckId::CaBundleVerifiesServingCert => "ca-bundle-verifies-serving-cert",
            CheckId::FailurePolicy => "failure-policy",
            CheckId::TimeoutSeconds => "timeout-seconds",
            CheckId::SelectorsValid => "selectors-valid",
            CheckId::WebhooksOverlap => "webhooks-overlap",
            CheckId::WebhookUrl => "webhook-url",
            CheckId::ServiceExists => "service-exists",
            CheckId::ServiceEndpoints => "service-endpoints",
            CheckId::DeploymentExists => "deployment-exists",
            CheckId::DeploymentReady => "deployment-ready",
            CheckId::DeploymentReplicas => "deployment-replicas",
            CheckId::DeploymentResources => "deployment-resources",
            CheckId::NamespacesReadable => "namespaces-readable",
            CheckId::NamespaceDoubleLabel => "namespace-double-label",
        }
    }
}

impl Serialize for CheckId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: CheckId,
    /// The check's `KI3xx` code (`docs/findings.md`).
    #[serde(rename = "kiCode")]
    pub ki_code: &'static str,
    pub status: Status,
    pub description: String,
    /// The webhook configuration the check concerns, when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
    /// That configuration's revision (`istio.io/rev`, `default` when unlabelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A titled group of checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub name: String,
    pub checks: Vec<Check>,
}

/// The whole report; `status` is the worst check's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub status: Status,
    pub categories: Vec<Category>,
}

/// What could be read of the secrets a namespace's injector serves with.
#[derive(Debug, Clone, PartialEq)]
pub enum Secrets {
    /// The candidate secrets that exist (any of [`serving_secret_names`]), as JSON.
    Read(Vec<Value>),
    /// Reading them was refused: the check says "not checked".
    Forbidden(String),
}

/// The objects the checks read.
#[derive(Debug, Default)]
pub struct Input {
    /// The injector's MutatingWebhookConfigurations (already filtered to Istio injection ones).
    pub webhook_configurations: Vec<Value>,
    /// Services named by the webhooks, found or not: `(namespace, name) → Some(service)`.
    pub services: BTreeMap<(String, String), Option<Value>>,
    /// Endpoints of those services, same keys.
    pub endpoints: BTreeMap<(String, String), Option<Value>>,
    /// Deployments in the services' namespaces.
    pub deployments: Vec<Value>,
    /// All namespaces (double labels, blast radius); `None` when they could not be read.
    pub namespaces: Option<Vec<Value>>,
    /// All pods (the blast radius's annotation-only opt-outs); `None` when not read.
    pub pods: Option<Vec<Value>>,
    /// The serving secrets found per namespace of a webhook service; a namespace that is
    /// absent was not looked at.
    pub secrets: BTreeMap<String, Secrets>,
}

/// The secrets, in istiod's order of preference, whose certificate the caBundle must
/// verify, for a service `service`: `(secret name, certificate key, chain key)`. A
/// cert-manager style serving secret holds the serving certificate itself; the plug-in
/// `cacerts` and the self-signed `istio-ca-secret` hold the CA that signs it.
pub fn serving_secret_names(service: &str) -> Vec<(String, &'static str, Option<&'static str>)> {
    let mut out = vec![(format!("{service}-tls"), "tls.crt", Some("ca.crt"))];
    if service != "istiod" {
        out.push(("istiod-tls".into(), "tls.crt", Some("ca.crt")));
    }
    out.push(("cacerts".into(), "ca-cert.pem", Some("cert-chain.pem")));
    out.push(("istio-ca-secret".into(), "ca-cert.pem", None));
    out
}

fn line(id: CheckId, status: Status, description: impl Into<String>) -> Check {
    Check {
        id,
        ki_code: crate::findings::code(crate::findings::Coded::Check(id)),
        status,
        description: description.into(),
        configuration: None,
        revision: None,
        hint: None,
    }
}

fn ok(id: CheckId, description: impl Into<String>) -> Check {
    line(id, Status::Ok, description)
}

fn warning(id: CheckId, description: impl Into<String>, hint: impl Into<String>) -> Check {
    line(id, Status::Warning, description).hint(hint)
}

fn error(id: CheckId, description: impl Into<String>, hint: impl Into<String>) -> Check {
    line(id, Status::Error, description).hint(hint)
}

impl Check {
    fn hint(mut self, hint: impl Into<String>) -> Check {
        self.hint = Some(hint.into());
        self
    }

    fn of(mut self, configuration: &str, revision: &str) -> Check {
        self.configuration = Some(configuration.to_string());
        self.revision = Some(revision.to_string());
        self
    }
}

fn s<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn labels(v: &Value) -> StringMap {
    v.pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A namespace's labels as the API server matches them: with `kubernetes.io/metadata.name`,
/// which Kubernetes ≥ 1.21 sets on every namespace (added here for older servers).
fn namespace_labels(ns: &Value) -> StringMap {
    let mut l = labels(ns);
    if let Some(name) = s(ns, "/metadata/name") {
        l.entry(NAMESPACE_NAME_LABEL.to_string())
            .or_insert_with(|| name.to_string());
    }
    l
}

/// One webhook entry with what the checks need.
struct Hook<'a> {
    configuration: &'a str,
    revision: String,
    value: &'a Value,
    name: &'a str,
}

impl Hook<'_> {
    fn failure_policy(&self) -> &str {
        // failurePolicy defaults to Fail in admissionregistration/v1.
        s(self.value, "/failurePolicy").unwrap_or("Fail")
    }
}

fn hooks(input: &Input) -> Vec<Hook<'_>> {
    input
        .webhook_configurations
        .iter()
        .flat_map(|mwc| {
            let configuration = s(mwc, "/metadata/name").unwrap_or("");
            let revision = labels(mwc)
                .get(REV_LABEL)
                .cloned()
                .unwrap_or_else(|| "default".into());
            mwc.get("webhooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(move |w| Hook {
                    configuration,
                    revision: revision.clone(),
                    value: w,
                    name: s(w, "/name").unwrap_or(""),
                })
        })
        .collect()
}

/// The service a webhook calls, when it calls one (not a `url:`).
fn service_of(hook: &Value) -> Option<(String, String)> {
    let svc = hook.pointer("/clientConfig/service")?;
    Some((
        s(svc, "/namespace")?.to_string(),
        s(svc, "/name")?.to_string(),
    ))
}

/// The command that removes exactly this webhook configuration: `uninstall -r REV` when the
/// configuration is the one that command deletes (`istio-sidecar-injector-REV`, `-NS`
/// appended outside istio-system) and nothing of another revision, else a plain delete of
/// that one object.
pub fn remove_command(configuration: &str, revision: &str) -> String {
    const BASE: &str = "istio-sidecar-injector";
    if revision != "default" && !revision.is_empty() {
        let own = format!("{BASE}-{revision}");
        if configuration == own {
            return format!("kubectl inject uninstall -r {revision}");
        }
        if let Some(ns) = configuration.strip_prefix(&format!("{own}-"))
            && !ns.is_empty()
        {
            return format!("kubectl inject uninstall -r {revision} --istio-namespace {ns}");
        }
    }
    format!("kubectl delete mutatingwebhookconfiguration {configuration}")
}

/// Everything `check --injector` reports, at time `now` (Unix seconds).
pub fn check(input: &Input, now: i64) -> Report {
    let hooks = hooks(input);
    let mut categories = vec![webhook_checks(input, &hooks, now)];
    if !hooks.is_empty() {
        categories.push(service_checks(input, &hooks));
        categories.push(deployment_checks(input, &hooks));
    }
    categories.push(namespace_checks(input));
    let status = categories
        .iter()
        .flat_map(|c| &c.checks)
        .map(|c| c.status)
        .max()
        .unwrap_or(Status::Ok)
        .max(Status::Ok);
    Report { status, categories }
}

fn webhook_checks(input: &Input, hooks: &[Hook], now: i64) -> Category {
    let mut checks = Vec::new();
    if hooks.is_empty() {
        checks.push(error(
            CheckId::WebhookExists,
            "no Istio sidecar-injector MutatingWebhookConfiguration found",
            "is Istio installed? `kubectl get mutatingwebhookconfigurations -l app=sidecar-injector`; check --revision",
        ));
        return Category {
            name: "injector webhook configuration".into(),
            checks,
        };
    }
    let names: BTreeSet<&str> = hooks.iter().map(|h| h.configuration).collect();
    checks.push(ok(
        CheckId::WebhookExists,
        format!(
            "webhook configuration {} exists ({} injection webhooks)",
            names.iter().copied().collect::<Vec<_>>().join(", "),
            hooks.len()
        ),
    ));

    let no_ca: Vec<&Hook> = hooks
        .iter()
        .filter(|h| {
            h.value.pointer("/clientConfig/service").is_some()
                && s(h.value, "/clientConfig/caBundle").is_none_or(str::is_empty)
        })
        .collect();
    if no_ca.is_empty() {
        checks.push(ok(
            CheckId::CaBundleSet,
            "caBundle is set on every webhook that calls a service",
        ));
    }
    for (configuration, revision, group) in by_configuration(&no_ca) {
        checks.push(
            error(
                CheckId::CaBundleSet,
                format!(
                    "caBundle is empty on {} (revision {revision})",
                    subject(configuration, &group, hooks)
                ),
                format!(
                    "istiod of revision {revision} patches caBundle when it runs: is it running and allowed to patch webhook configurations? {}",
                    restart_hint(&group)
                ),
            )
            .of(configuration, revision),
        );
    }

    checks.extend(ca_bundle_checks(input, hooks, now));
    checks.extend(failure_policy_checks(input, hooks));

    let slow: Vec<String> = hooks
        .iter()
        .filter_map(|h| {
            let t = h
                .value
                .pointer("/timeoutSeconds")
                .and_then(Value::as_i64)
                .unwrap_or(10);
            (t > 10).then(|| format!("{}/{} ({t}s)", h.configuration, h.name))
        })
        .collect();
    checks.push(if slow.is_empty() {
        ok(
            CheckId::TimeoutSeconds,
            "timeoutSeconds is at most 10s on every webhook",
        )
    } else {
        warning(
            CheckId::TimeoutSeconds,
            format!("long timeoutSeconds on {}", slow.join(", ")),
            "a slow injector delays every pod creation by up to this long; 10s is the default",
        )
    });

    checks.extend(overlap_checks(hooks));
    Category {
        name: "injector webhook configuration".into(),
        checks,
    }
}

/// Hooks grouped by (configuration, revision), in input order.
fn by_configuration<'h, 'a>(
    hooks: &'h [&'h Hook<'a>],
) -> Vec<(&'a str, &'h str, Vec<&'h Hook<'a>>)> {
    let mut out: Vec<(&str, &str, Vec<&Hook>)> = Vec::new();
    for h in hooks {
        match out.iter_mut().find(|(c, ..)| *c == h.configuration) {
            Some((_, _, group)) => group.push(h),
            None => out.push((h.configuration, h.revision.as_str(), vec![h])),
        }
    }
    out
}

/// `istio-sidecar-injector` when the group is all of the configuration's webhooks, else
/// `istio-sidecar-injector/a.sidecar-injector.istio.io, b.…`.
fn subject(configuration: &str, group: &[&Hook], all: &[Hook]) -> String {
    let total = all
        .iter()
        .filter(|h| h.configuration == configuration)
        .count();
    if group.len() == total {
        configuration.to_string()
    } else {
        format!(
            "{configuration}/{}",
            group.iter().map(|h| h.name).collect::<Vec<_>>().join(", ")
        )
    }
}

/// What re-patches a caBundle: a restart of the revision's istiod (its service's
/// deployment), or, for a `url:` webhook, an edit of the configuration.
fn restart_hint(group: &[&Hook]) -> String {
    match group.iter().find_map(|h| service_of(h.value)) {
        Some((ns, name)) => format!("`kubectl -n {ns} rollout restart deployment/{name}`"),
        None => format!(
            "set the caBundle: `kubectl edit mutatingwebhookconfiguration {}`",
            group.first().map_or("", |h| h.configuration)
        ),
    }
}

/// caBundle checks per configuration and distinct bundle: valid, in date, a CA, and
/// verifying the serving certificate where its secret can be read.
fn ca_bundle_checks(input: &Input, hooks: &[Hook], now: i64) -> Vec<Check> {
    let mut out = Vec::new();
    // (configuration, bundle) → hooks, in input order.
    let mut groups: Vec<(&str, &str, &str, Vec<&Hook>)> = Vec::new();
    for h in hooks {
        let Some(bundle) = s(h.value, "/clientConfig/caBundle").filter(|b| !b.is_empty()) else {
            continue;
        };
        match groups
            .iter_mut()
            .find(|(c, _, b, _)| *c == h.configuration && *b == bundle)
        {
            Some((.., group)) => group.push(h),
            None => groups.push((h.configuration, h.revision.as_str(), bundle, vec![h])),
        }
    }
    for (configuration, revision, bundle, group) in groups {
        let who = subject(configuration, &group, hooks);
        let of = |c: Check| c.of(configuration, revision);
        let fix = restart_hint(&group);
        let certs = match ca::parse_bundle_base64(bundle) {
            Ok(certs) => certs,
            Err(e) => {
                out.push(of(error(
                    CheckId::CaBundleValid,
                    format!("caBundle of {who} (revision {revision}) {e}: the API server cannot call these webhooks"),
                    format!("istiod of revision {revision} writes caBundle when it starts: {fix}"),
                )));
                continue;
            }
        };
        out.push(of(ok(
            CheckId::CaBundleValid,
            format!(
                "caBundle of {who} (revision {revision}) holds {} X.509 certificate{}",
                certs.len(),
                if certs.len() == 1 { "" } else { "s" }
            ),
        )));
        for cert in &certs {
            let until = ca::date(cert.not_after);
            let days_left = (cert.not_after - now).div_euclid(86_400);
            out.push(of(if cert.not_after <= now {
                error(
                    CheckId::CaBundleExpiry,
                    format!("caBundle of {who} (revision {revision}): certificate {} expired on {until}: the API server rejects the webhook's TLS", cert.subject),
                    format!("rotate the mesh CA if it expired, then let istiod re-patch caBundle: {fix}"),
                )
            } else if cert.not_before > now {
                error(
                    CheckId::CaBundleExpiry,
                    format!(
                        "caBundle of {who} (revision {revision}): certificate {} is not valid before {}",
                        cert.subject,
                        ca::date(cert.not_before)
                    ),
                    "check the clocks of the CA and the API server",
                )
            } else if days_left < EXPIRY_WARNING_DAYS {
                warning(
                    CheckId::CaBundleExpiry,
                    format!("caBundle of {who} (revision {revision}): certificate {} expires on {until} (in {days_left} days)", cert.subject),
                    format!("rotate the mesh CA before {until}, then let istiod re-patch caBundle: {fix}"),
                )
            } else {
                ok(
                    CheckId::CaBundleExpiry,
                    format!("caBundle of {who} (revision {revision}): certificate {} is valid until {until}", cert.subject),
                )
            }));
            if !cert.is_ca {
                out.push(of(warning(
                    CheckId::CaBundleIsCa,
                    format!("caBundle of {who} (revision {revision}): certificate {} is not a CA certificate", cert.subject),
                    "the API server then trusts only that exact certificate as the webhook's serving certificate; put the CA that signs it in caBundle",
                )));
            }
        }
        if certs.iter().all(|c| c.is_ca) {
            out.push(of(ok(
                CheckId::CaBundleIsCa,
                format!("caBundle of {who} (revision {revision}) holds CA certificates"),
            )));
        }
        if let Some(service) = group.iter().find_map(|h| service_of(h.value)) {
            out.push(of(serving_check(
                input, &who, revision, &certs, &service, &fix,
            )));
        }
    }
    out
}

/// Does the bundle verify what the service's injector serves with?
fn serving_check(
    input: &Input,
    who: &str,
    revision: &str,
    bundle: &[Cert],
    (ns, service): &(String, String),
    fix: &str,
) -> Check {
    let id = CheckId::CaBundleVerifiesServingCert;
    let candidates = serving_secret_names(service);
    let names: Vec<&str> = candidates.iter().map(|(n, ..)| n.as_str()).collect();
    let found = match input.secrets.get(ns) {
        None => {
            return line(
                id,
                Status::Skipped,
                format!(
                    "serving certificate of service {ns}/{service} not checked: its secrets were not read"
                ),
            );
        }
        Some(Secrets::Forbidden(message)) => {
            return line(
                id,
                Status::Skipped,
                format!(
                    "serving certificate of service {ns}/{service} not checked: secrets in {ns} may not be read ({message})"
                ),
            );
        }
        Some(Secrets::Read(found)) => found,
    };
    for (name, key, chain_key) in &candidates {
        let Some(secret) = found
            .iter()
            .find(|s| s.pointer("/metadata/name").and_then(Value::as_str) == Some(name.as_str()))
        else {
            continue;
        };
        let data = |k: &str| -> Option<Vec<u8>> {
            use base64::Engine as _;
            let text = secret.get("data")?.get(k)?.as_str()?;
            base64::engine::general_purpose::STANDARD.decode(text).ok()
        };
        let Some(certs) = data(key).and_then(|b| ca::parse_pem(&b).ok()) else {
            return line(
                id,
                Status::Skipped,
                format!(
                    "serving certificate of service {ns}/{service} not checked: secret {ns}/{name} has no certificate under {key}"
                ),
            );
        };
        let Some(cert) = certs.first() else {
            continue;
        };
        let mut chain: Vec<Cert> = certs.iter().skip(1).cloned().collect();
        if let Some(extra) = chain_key
            .and_then(&data)
            .and_then(|b| ca::parse_pem(&b).ok())
        {
            chain.extend(extra);
        }
        return if ca::verifies(bundle, cert, &chain) {
            ok(
                id,
                format!(
                    "caBundle of {who} (revision {revision}) verifies the certificate in secret {ns}/{name} ({})",
                    cert.subject
                ),
            )
        } else {
            error(
                id,
                format!(
                    "caBundle of {who} (revision {revision}) does not verify the certificate in secret {ns}/{name} ({}): the API server refuses the webhook's TLS",
                    cert.subject
                ),
                format!(
                    "istiod of revision {revision} re-patches caBundle from its CA when it starts: {fix}"
                ),
            )
        };
    }
    line(
        id,
        Status::Skipped,
        format!(
            "serving certificate of service {ns}/{service} not checked: none of the secrets {} exists in {ns}",
            names.join(", ")
        ),
    )
}

/// Per webhook: which namespaces route through it (its namespaceSelector over their labels),
/// what its failurePolicy means for them, and how many pods there opted out by annotation
/// only (the API server still calls the webhook for them).
fn failure_policy_checks(input: &Input, hooks: &[Hook]) -> Vec<Check> {
    let mut out = Vec::new();
    for h in hooks {
        let of = |c: Check| c.of(h.configuration, &h.revision);
        let policy = h.failure_policy();
        let who = format!("{}/{} (revision {})", h.configuration, h.name, h.revision);
        let (Some(ns_sel), Some(obj_sel)) = (
            compile(h.value, "/namespaceSelector"),
            compile(h.value, "/objectSelector"),
        ) else {
            continue; // reported by selectors-valid
        };
        let Some(namespaces) = &input.namespaces else {
            out.push(of(warning(
                CheckId::FailurePolicy,
                format!("{who}: failurePolicy {policy}; the namespaces that route through it are unknown (namespaces could not be read)"),
                "the blast radius needs `list namespaces`",
            )));
            continue;
        };
        let matched: Vec<&str> = namespaces
            .iter()
            .filter(|n| ns_sel.matches(&namespace_labels(n)))
            .filter_map(|n| s(n, "/metadata/name"))
            .collect();
        if matched.is_empty() {
            out.push(of(ok(
                CheckId::FailurePolicy,
                format!("{who}: failurePolicy {policy}; no namespace routes through it"),
            )));
            continue;
        }
        let mut listed: Vec<&str> = matched.iter().copied().take(FIRST_FEW).collect();
        if matched.len() > FIRST_FEW {
            listed.push("…");
        }
        let radius = format!(
            "{} namespace{} route{} through it ({})",
            matched.len(),
            if matched.len() == 1 { "" } else { "s" },
            if matched.len() == 1 { "s" } else { "" },
            listed.join(", ")
        );
        let opted_out = input.pods.as_ref().map(|pods| {
            pods.iter()
                .filter(|p| {
                    s(p, "/metadata/namespace").is_some_and(|ns| matched.contains(&ns))
                        && obj_sel.matches(&labels(p))
                        && p.pointer("/metadata/annotations")
                            .and_then(|a| a.get(INJECT_KEY))
                            .and_then(Value::as_str)
                            == Some("false")
                })
                .count()
        });
        let pods = match opted_out {
            None => "; pods could not be read".to_string(),
            Some(0) => String::new(),
            Some(1) => "; 1 pod there opted out by annotation only and still depends on it".into(),
            Some(n) => {
                format!("; {n} pods there opted out by annotation only and still depend on it")
            }
        };
        let label_advice = if opted_out.is_some_and(|n| n > 0) {
            format!(
                "; pods that must not depend on it opt out with the label `{INJECT_KEY}=false` (the annotation alone still sends them to the webhook)"
            )
        } else {
            String::new()
        };
        out.push(of(if policy == "Fail" {
            warning(
                CheckId::FailurePolicy,
                format!("{who}: failurePolicy Fail, {radius}: while its injector is down, pod creation there is rejected{pods}"),
                format!("run the injector of revision {} with at least 2 ready replicas and a PodDisruptionBudget{label_advice}", h.revision),
            )
        } else {
            warning(
                CheckId::FailurePolicy,
                format!("{who}: failurePolicy {policy}, {radius}: while its injector is down, pods there are created without a sidecar, silently{pods}"),
                format!("watch for drift with `kubectl inject check -A` and restart affected workloads{label_advice}"),
            )
        }));
    }
    out
}

fn compile(hook: &Value, ptr: &str) -> Option<Selector> {
    match hook.pointer(ptr) {
        None | Some(Value::Null) => Some(Selector::everything()),
        Some(v) => serde_json::from_value(v.clone())
            .ok()
            .and_then(|ls| Selector::compile(&ls, ptr).ok()),
    }
}

/// Label combinations (as `istioctl analyze` IST0139 tries them) matched by more than one
/// Istio webhook: such pods would be injected twice.
fn overlap_checks(hooks: &[Hook]) -> Vec<Check> {
    let compiled: Vec<(&Hook, Option<Selector>, Option<Selector>)> = hooks
        .iter()
        .map(|h| {
            (
                h,
                compile(h.value, "/namespaceSelector"),
                compile(h.value, "/objectSelector"),
            )
        })
        .collect();
    let mut out = Vec::new();
    let invalid: Vec<&Hook> = compiled
        .iter()
        .filter(|(_, ns, obj)| ns.is_none() || obj.is_none())
        .map(|(h, ..)| *h)
        .collect();
    for (configuration, revision, group) in by_configuration(&invalid) {
        out.push(
            error(
                CheckId::SelectorsValid,
                format!(
                    "invalid selectors on {}",
                    group
                        .iter()
                        .map(|h| format!("{configuration}/{}", h.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "the API server rejects or mis-applies these webhooks; re-install revision {revision}, or remove the configuration: `{}`",
                    remove_command(configuration, revision)
                ),
            )
            .of(configuration, revision),
        );
    }
    if invalid.is_empty() {
        out.push(ok(
            CheckId::SelectorsValid,
            "every webhook's selectors are valid",
        ));
    }
    let revisions: BTreeSet<String> = hooks.iter().map(|h| h.revision.clone()).collect();
    let ns_sets = label_sets(INJECTION_LABEL, ["enabled", "disabled"], &revisions);
    let pod_sets = label_sets(INJECT_KEY, ["true", "false"], &revisions);
    let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut overlaps = 0;
    for ns in &ns_sets {
        for pod in &pod_sets {
            let matching: Vec<String> = compiled
                .iter()
                .filter(|(_, n, o)| {
                    n.as_ref().is_some_and(|n| n.matches(ns))
                        && o.as_ref().is_some_and(|o| o.matches(pod))
                })
                .map(|(h, ..)| format!("{}/{}", h.configuration, h.name))
                .collect();
            if matching.len() > 1 && seen.insert(matching.clone()) {
                overlaps += 1;
                out.push(error(
                    CheckId::WebhooksOverlap,
                    format!(
                        "webhooks overlap: a pod with labels [{}] in a namespace with labels [{}] is sent to {}",
                        show(pod),
                        show(ns),
                        matching.join(" and ")
                    ),
                    "such pods would be injected twice: remove the stale webhook configuration (`kubectl inject uninstall -r REV` for a revision's own) or fix the labels",
                ));
            }
        }
    }
    if overlaps == 0 {
        out.push(ok(
            CheckId::WebhooksOverlap,
            "no two webhooks match the same pod",
        ));
    }
    out
}

/// Every combination of `key` ∈ {absent, values…} × `istio.io/rev` ∈ {absent, revisions…}.
fn label_sets(key: &str, values: [&str; 2], revisions: &BTreeSet<String>) -> Vec<StringMap> {
    let mut sets = Vec::new();
    for value in std::iter::once(None).chain(values.into_iter().map(Some)) {
        for rev in std::iter::once(None).chain(revisions.iter().map(Some)) {
            let mut m = StringMap::new();
            if let Some(v) = value {
                m.insert(key.into(), v.into());
            }
            if let Some(r) = rev {
                m.insert(REV_LABEL.into(), r.clone());
            }
            sets.push(m);
        }
    }
    sets
}

fn show(m: &StringMap) -> String {
    if m.is_empty() {
        return "none".into();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn service_checks(input: &Input, hooks: &[Hook]) -> Category {
    let mut checks = Vec::new();
    let mut by_service: BTreeMap<(String, String), Vec<&Hook>> = BTreeMap::new();
    for h in hooks {
        if let Some(svc) = service_of(h.value) {
            by_service.entry(svc).or_default().push(h);
        } else if let Some(url) = s(h.value, "/clientConfig/url") {
            checks.push(
                ok(
                    CheckId::WebhookUrl,
                    format!("{}/{} calls {url} directly", h.configuration, h.name),
                )
                .of(h.configuration, &h.revision),
            );
        }
    }
    for ((ns, name), hs) in &by_service {
        match input.services.get(&(ns.clone(), name.clone())) {
            Some(Some(_)) => checks.push(ok(
                CheckId::ServiceExists,
                format!("service {ns}/{name} exists"),
            )),
            _ => {
                // One line per configuration that calls the missing service: each names its
                // revision and the command that removes that configuration alone.
                for (configuration, revision, group) in by_configuration(hs) {
                    let fail = group.iter().any(|h| h.failure_policy() == "Fail");
                    let effect = if fail {
                        "every pod creation in the namespaces they match is rejected"
                    } else {
                        "pods in the namespaces they match are created without a sidecar"
                    };
                    checks.push(
                        error(
                            CheckId::ServiceExists,
                            format!(
                                "service {ns}/{name} does not exist, but {} webhooks of {configuration} (revision {revision}) call it: {effect}",
                                group.len()
                            ),
                            format!(
                                "left behind by an uninstall of revision {revision}? remove its webhook configuration: `{}` (see --dry-run), or reinstall revision {revision}",
                                remove_command(configuration, revision)
                            ),
                        )
                        .of(configuration, revision),
                    );
                }
                continue;
            }
        }
        let ready = input
            .endpoints
            .get(&(ns.clone(), name.clone()))
            .and_then(Option::as_ref)
            .map(|ep| {
                ep.get("subsets")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.get("addresses").and_then(Value::as_array))
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .unwrap_or(0);
        checks.push(if ready > 0 {
            ok(
                CheckId::ServiceEndpoints,
                format!("service {ns}/{name} has {ready} ready endpoints"),
            )
        } else {
            error(
                CheckId::ServiceEndpoints,
                format!("service {ns}/{name} has no ready endpoints"),
                format!("the injector pods are not ready: `kubectl -n {ns} get pods`"),
            )
        });
    }
    Category {
        name: "injector service".into(),
        checks,
    }
}

fn deployment_checks(input: &Input, hooks: &[Hook]) -> Category {
    let mut checks = Vec::new();
    let services: BTreeSet<(String, String)> =
        hooks.iter().filter_map(|h| service_of(h.value)).collect();
    for (ns, name) in services {
        let Some(Some(svc)) = input.services.get(&(ns.clone(), name.clone())) else {
            continue;
        };
        let selector: StringMap = svc
            .pointer("/spec/selector")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let backing: Vec<&Value> = input
            .deployments
            .iter()
            .filter(|d| {
                s(d, "/metadata/namespace") == Some(ns.as_str())
                    && !selector.is_empty()
                    && d.pointer("/spec/template/metadata/labels")
                        .and_then(Value::as_object)
                        .is_some_and(|l| {
                            selector
                                .iter()
                                .all(|(k, v)| l.get(k).and_then(Value::as_str) == Some(v))
                        })
            })
            .collect();
        if backing.is_empty() {
            checks.push(warning(
                CheckId::DeploymentExists,
                format!("no deployment in {ns} backs service {ns}/{name}"),
                "the injector may run elsewhere (remote istiod); otherwise reinstall it",
            ));
            continue;
        }
        for d in backing {
            let dname = s(d, "/metadata/name").unwrap_or("");
            let want = d
                .pointer("/spec/replicas")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            let ready = d
                .pointer("/status/readyReplicas")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            checks.push(if ready >= want && want > 0 {
                ok(
                    CheckId::DeploymentReady,
                    format!("deployment {ns}/{dname} is ready ({ready}/{want})"),
                )
            } else {
                error(
                    CheckId::DeploymentReady,
                    format!("deployment {ns}/{dname} is not ready ({ready}/{want})"),
                    format!("`kubectl -n {ns} describe deployment {dname}`"),
                )
            });
            if want < 2 {
                checks.push(warning(
                    CheckId::DeploymentReplicas,
                    format!("deployment {ns}/{dname} runs {want} replica"),
                    "run at least 2 replicas (the managed-mesh guidance), so a restart or an eviction does not stop injection",
                ));
            }
            let unbounded: Vec<&str> = d
                .pointer("/spec/template/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|c| {
                    c.pointer("/resources/requests")
                        .is_none_or(|r| r.as_object().is_none_or(|m| m.is_empty()))
                        || c.pointer("/resources/limits")
                            .is_none_or(|r| r.as_object().is_none_or(|m| m.is_empty()))
                })
                .filter_map(|c| s(c, "/name"))
                .collect();
            checks.push(if unbounded.is_empty() {
                ok(
                    CheckId::DeploymentResources,
                    format!("deployment {ns}/{dname} sets resource requests and limits"),
                )
            } else {
                warning(
                    CheckId::DeploymentResources,
                    format!(
                        "deployment {ns}/{dname}: containers without resource requests or limits: {}",
                        unbounded.join(", ")
                    ),
                    "set requests so the injector is scheduled with room, and limits so it cannot starve its node",
                )
            });
        }
    }
    Category {
        name: "injector deployment".into(),
        checks,
    }
}

fn namespace_checks(input: &Input) -> Category {
    let mut checks = Vec::new();
    match &input.namespaces {
        None => checks.push(warning(
            CheckId::NamespacesReadable,
            "namespaces could not be read",
            "the double-label check needs `list namespaces`",
        )),
        Some(list) => {
            let both: Vec<String> = list
                .iter()
                .filter(|n| {
                    let l = labels(n);
                    l.contains_key(INJECTION_LABEL) && l.contains_key(REV_LABEL)
                })
                .filter_map(|n| s(n, "/metadata/name").map(str::to_string))
                .collect();
            checks.push(if both.is_empty() {
                ok(
                    CheckId::NamespaceDoubleLabel,
                    "no namespace has both istio-injection and istio.io/rev labels",
                )
            } else {
                warning(
                    CheckId::NamespaceDoubleLabel,
                    format!(
                        "namespaces with both istio-injection and istio.io/rev labels: {}",
                        both.join(", ")
                    ),
                    "istio-injection wins over istio.io/rev; remove one: `kubectl label namespace NAME istio-injection-`",
                )
            });
        }
    }
    Category {
        name: "namespaces".into(),
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::ca::tests::{b64, params, self_signed, signed};
    use super::*;
    use serde_json::json;

    /// 2026-01-01T00:00:00Z: the time every test runs at.
    const NOW: i64 = 1_767_225_600;

    fn mwc(name: &str, rev: &str, hooks: Value) -> Value {
        json!({"metadata": {"name": name, "labels": {"istio.io/rev": rev}}, "webhooks": hooks})
    }

    fn hook(name: &str, svc: &str, ns_sel: Value, obj_sel: Value, policy: &str) -> Value {
        json!({"name": name, "clientConfig": {"service": {"namespace": "istio-system", "name": svc}, "caBundle": valid_bundle()},
               "failurePolicy": policy, "namespaceSelector": ns_sel, "objectSelector": obj_sel})
    }

    fn valid_bundle() -> String {
        use std::sync::OnceLock;
        static PEM: OnceLock<String> = OnceLock::new();
        b64(PEM
            .get_or_init(|| self_signed(params("istio-ca", true, (2020, 1, 1), (2040, 1, 1))).pem))
    }

    fn rev_ns(rev: &str) -> Value {
        json!({"matchExpressions": [{"key": "istio.io/rev", "operator": "In", "values": [rev]},
                                    {"key": "istio-injection", "operator": "DoesNotExist"}]})
    }

    fn not_false() -> Value {
        json!({"matchExpressions": [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}]})
    }

    fn healthy() -> Input {
        let svc = json!({"metadata": {"name": "istiod", "namespace": "istio-system"}, "spec": {"selector": {"app": "istiod"}}});
        let ep = json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}]}]});
        let dep = json!({"metadata": {"name": "istiod", "namespace": "istio-system"},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "istiod"}},
                "spec": {"containers": [{"name": "discovery", "resources": {"requests": {"cpu": "500m"}, "limits": {"cpu": "1"}}}]}}},
            "status": {"readyReplicas": 2}});
        let key = ("istio-system".to_string(), "istiod".to_string());
        Input {
            webhook_configurations: vec![mwc(
                "istio-sidecar-injector",
                "default",
                json!([hook(
                    "rev.namespace.sidecar-injector.istio.io",
                    "istiod",
                    rev_ns("default"),
                    not_false(),
                    "Ignore"
                )]),
            )],
            services: [(key.clone(), Some(svc))].into(),
            endpoints: [(key, Some(ep))].into(),
            deployments: vec![dep],
            namespaces: Some(vec![
                json!({"metadata": {"name": "web", "labels": {"istio-injection": "enabled"}}}),
            ]),
            pods: Some(vec![]),
            secrets: BTreeMap::new(),
        }
    }

    fn lines(r: &Report) -> Vec<&Check> {
        r.categories.iter().flat_map(|c| &c.checks).collect()
    }

    fn statuses(r: &Report) -> Vec<(Status, String)> {
        lines(r)
            .into_iter()
            .map(|c| (c.status, c.description.clone()))
            .collect()
    }

    fn with_id(r: &Report, id: CheckId) -> Vec<&Check> {
        lines(r).into_iter().filter(|c| c.id == id).collect()
    }

    fn set_bundle(input: &mut Input, pem: &str) {
        input.webhook_configurations[0]["webhooks"][0]["clientConfig"]["caBundle"] =
            b64(pem).into();
    }

    #[test]
    fn check_ids_are_unique_kebab_case_and_documented() {
        let header = include_str!("mod.rs");
        let mut seen = BTreeSet::new();
        for id in CheckId::ALL {
            let s = id.as_str();
            assert!(seen.insert(s), "duplicate id {s}");
            assert!(
                s.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                    && !s.starts_with('-')
                    && !s.ends_with('-'),
                "{s} is not kebab-case"
            );
            assert!(
                header.contains(&format!("//! | `{s}` |")),
                "{s} is not in the module header's table"
            );
            assert_eq!(serde_json::to_value(id).ok(), Some(json!(s)));
        }
    }

    #[test]
    fn a_healthy_injector_is_ok_and_says_what_it_did_not_check() {
        let r = check(&healthy(), NOW);
        let bad: Vec<_> = statuses(&r)
            .into_iter()
            .filter(|(s, _)| *s > Status::Ok)
            .collect();
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(r.status, Status::Ok);
        let skipped = with_id(&r, CheckId::CaBundleVerifiesServingCert);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].status, Status::Skipped);
        assert_eq!(
            skipped[0].description,
            "serving certificate of service istio-system/istiod not checked: its secrets were not read"
        );
        let expiry = with_id(&r, CheckId::CaBundleExpiry);
        assert_eq!(
            expiry[0].description,
            "caBundle of istio-sidecar-injector (revision default): certificate CN=istio-ca is valid until 2040-01-01"
        );
        assert_eq!(
            expiry[0].configuration.as_deref(),
            Some("istio-sidecar-injector")
        );
        assert_eq!(expiry[0].revision.as_deref(), Some("default"));
    }

    /// The four certificates of the issue: valid CA, expired CA, a non-CA, garbage.
    #[test]
    fn ca_bundle_table() {
        let expired = self_signed(params("old-ca", true, (2019, 1, 1), (2021, 1, 1))).pem;
        let soon = self_signed(params("soon-ca", true, (2025, 1, 1), (2026, 1, 15))).pem;
        let leaf = self_signed(params("istiod", false, (2025, 1, 1), (2040, 1, 1))).pem;
        let garbage = "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZQ==\n-----END CERTIFICATE-----\n";
        for (pem, id, status, words) in [
            (
                expired.as_str(),
                CheckId::CaBundleExpiry,
                Status::Error,
                "caBundle of istio-sidecar-injector (revision default): certificate CN=old-ca expired on 2021-01-01: the API server rejects the webhook's TLS",
            ),
            (
                soon.as_str(),
                CheckId::CaBundleExpiry,
                Status::Warning,
                "caBundle of istio-sidecar-injector (revision default): certificate CN=soon-ca expires on 2026-01-15 (in 14 days)",
            ),
            (
                leaf.as_str(),
                CheckId::CaBundleIsCa,
                Status::Warning,
                "caBundle of istio-sidecar-injector (revision default): certificate CN=istiod is not a CA certificate",
            ),
            (
                garbage,
                CheckId::CaBundleValid,
                Status::Error,
                "caBundle of istio-sidecar-injector (revision default) holds a PEM block that is not a valid X.509 certificate (block 1): the API server cannot call these webhooks",
            ),
            (
                "CA",
                CheckId::CaBundleValid,
                Status::Error,
                "caBundle of istio-sidecar-injector (revision default) holds no PEM certificate: the API server cannot call these webhooks",
            ),
        ] {
            let mut input = healthy();
            set_bundle(&mut input, pem);
            let r = check(&input, NOW);
            let found = with_id(&r, id);
            assert!(
                found
                    .iter()
                    .any(|c| c.status == status && c.description == words),
                "{words}\n{found:#?}"
            );
            assert_eq!(r.status, status.max(Status::Ok), "{pem}");
            let c = found.iter().find(|c| c.description == words).expect("line");
            if status != Status::Ok {
                assert!(
                    c.hint.as_deref().is_some_and(|h| h
                        .contains("`kubectl -n istio-system rollout restart deployment/istiod`")
                        || id == CheckId::CaBundleIsCa),
                    "{c:?}"
                );
            }
        }
    }

    #[test]
    fn the_bundle_must_verify_the_serving_secret() {
        let ca = self_signed(params("istio-ca", true, (2020, 1, 1), (2040, 1, 1)));
        let other = self_signed(params("other-ca", true, (2020, 1, 1), (2040, 1, 1)));
        let serving = signed(params("istiod", false, (2020, 1, 1), (2040, 1, 1)), &ca);
        let secret = |name: &str, key: &str, pem: &str| json!({"metadata": {"name": name, "namespace": "istio-system"}, "data": {key: b64(pem)}});
        let run = |bundle: &str, secrets: Secrets| {
            let mut input = healthy();
            set_bundle(&mut input, bundle);
            input.secrets.insert("istio-system".into(), secrets);
            let r = check(&input, NOW);
            let c = with_id(&r, CheckId::CaBundleVerifiesServingCert)[0].clone();
            (c.status, c.description, r.status)
        };
        assert_eq!(
            run(
                &ca.pem,
                Secrets::Read(vec![secret("istiod-tls", "tls.crt", &serving.pem)])
            ),
            (
                Status::Ok,
                "caBundle of istio-sidecar-injector (revision default) verifies the certificate in secret istio-system/istiod-tls (CN=istiod)".into(),
                Status::Ok
            )
        );
        assert_eq!(
            run(
                &other.pem,
                Secrets::Read(vec![secret("istio-ca-secret", "ca-cert.pem", &ca.pem)])
            ),
            (
                Status::Error,
                "caBundle of istio-sidecar-injector (revision default) does not verify the certificate in secret istio-system/istio-ca-secret (CN=istio-ca): the API server refuses the webhook's TLS".into(),
                Status::Error
            )
        );
        assert_eq!(
            run(&ca.pem, Secrets::Forbidden("secrets is forbidden".into())),
            (
                Status::Skipped,
                "serving certificate of service istio-system/istiod not checked: secrets in istio-system may not be read (secrets is forbidden)".into(),
                Status::Ok
            )
        );
        assert_eq!(
            run(&ca.pem, Secrets::Read(vec![])),
            (
                Status::Skipped,
                "serving certificate of service istio-system/istiod not checked: none of the secrets istiod-tls, cacerts, istio-ca-secret exists in istio-system".into(),
                Status::Ok
            )
        );
    }

    #[test]
    fn blast_radius_names_namespaces_and_annotation_only_opt_outs() {
        let mut input = healthy();
        input.webhook_configurations[0]["webhooks"][0]["failurePolicy"] = "Fail".into();
        let ns = |name: &str, rev: &str| json!({"metadata": {"name": name, "labels": {"istio.io/rev": rev}}});
        input.namespaces = Some(
            (1..=7)
                .map(|i| ns(&format!("app{i}"), "default"))
                .chain([ns("canaryns", "canary")])
                .collect(),
        );
        let pod = |ns: &str, annotation: Option<&str>, label: Option<&str>| {
            let mut p = json!({"metadata": {"name": "p", "namespace": ns, "labels": {}, "annotations": {}}});
            if let Some(a) = annotation {
                p["metadata"]["annotations"]["sidecar.istio.io/inject"] = a.into();
            }
            if let Some(l) = label {
                p["metadata"]["labels"]["sidecar.istio.io/inject"] = l.into();
            }
            p
        };
        input.pods = Some(vec![
            pod("app1", Some("false"), None),
            pod("app2", Some("false"), None),
            pod("app2", Some("false"), Some("false")), // the label keeps it away from the webhook
            pod("app3", None, None),
            pod("canaryns", Some("false"), None), // another revision's namespace
        ]);
        let r = check(&input, NOW);
        let c = with_id(&r, CheckId::FailurePolicy)[0].clone();
        assert_eq!(c.status, Status::Warning);
        assert_eq!(
            c.description,
            "istio-sidecar-injector/rev.namespace.sidecar-injector.istio.io (revision default): failurePolicy Fail, 7 namespaces route through it (app1, app2, app3, app4, app5, …): while its injector is down, pod creation there is rejected; 2 pods there opted out by annotation only and still depend on it"
        );
        assert_eq!(
            c.hint.as_deref(),
            Some(
                "run the injector of revision default with at least 2 ready replicas and a PodDisruptionBudget; pods that must not depend on it opt out with the label `sidecar.istio.io/inject=false` (the annotation alone still sends them to the webhook)"
            )
        );
    }

    #[test]
    fn the_metadata_name_label_is_matched_as_the_api_server_sets_it() {
        let mut input = healthy();
        input.webhook_configurations[0]["webhooks"][0]["namespaceSelector"] = json!({"matchExpressions": [
            {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}]});
        input.namespaces = Some(vec![
            json!({"metadata": {"name": "kube-system"}}),
            json!({"metadata": {"name": "web"}}),
        ]);
        let r = check(&input, NOW);
        assert!(
            with_id(&r, CheckId::FailurePolicy)[0]
                .description
                .contains("1 namespace routes through it (web)"),
            "{:?}",
            with_id(&r, CheckId::FailurePolicy)
        );
    }

    #[test]
    fn a_dangling_canary_service_names_canary_and_its_own_uninstall() {
        let mut input = healthy();
        input.webhook_configurations.push(mwc(
            "istio-sidecar-injector-canary",
            "canary",
            json!([hook(
                "rev.namespace.sidecar-injector.istio.io",
                "istiod-canary",
                rev_ns("canary"),
                not_false(),
                "Fail"
            )]),
        ));
        let r = check(&input, NOW);
        let missing: Vec<&Check> = with_id(&r, CheckId::ServiceExists)
            .into_iter()
            .filter(|c| c.status == Status::Error)
            .collect();
        assert_eq!(missing.len(), 1, "{missing:#?}");
        assert_eq!(
            missing[0].description,
            "service istio-system/istiod-canary does not exist, but 1 webhooks of istio-sidecar-injector-canary (revision canary) call it: every pod creation in the namespaces they match is rejected"
        );
        assert_eq!(
            missing[0].hint.as_deref(),
            Some(
                "left behind by an uninstall of revision canary? remove its webhook configuration: `kubectl inject uninstall -r canary` (see --dry-run), or reinstall revision canary"
            )
        );
        assert_eq!(missing[0].revision.as_deref(), Some("canary"));
    }

    #[test]
    fn remove_commands_never_reach_another_revision() {
        for (configuration, revision, want) in [
            (
                "istio-sidecar-injector-canary",
                "canary",
                "kubectl inject uninstall -r canary",
            ),
            (
                "istio-sidecar-injector-canary-mesh",
                "canary",
                "kubectl inject uninstall -r canary --istio-namespace mesh",
            ),
            // `uninstall` without -r would also remove the default install's service and
            // deployment: the configuration alone goes.
            (
                "istio-sidecar-injector",
                "default",
                "kubectl delete mutatingwebhookconfiguration istio-sidecar-injector",
            ),
            (
                "istio-revision-tag-prod",
                "canary",
                "kubectl delete mutatingwebhookconfiguration istio-revision-tag-prod",
            ),
        ] {
            assert_eq!(remove_command(configuration, revision), want);
        }
    }

    #[test]
    fn overlapping_webhooks_are_found() {
        let mut input = healthy();
        input.webhook_configurations.push(mwc(
            "istio-sidecar-injector-old",
            "default",
            json!([hook(
                "rev.namespace.sidecar-injector.istio.io",
                "istiod",
                rev_ns("default"),
                not_false(),
                "Ignore"
            )]),
        ));
        let r = check(&input, NOW);
        let overlaps: Vec<_> = statuses(&r)
            .into_iter()
            .filter(|(_, d)| d.starts_with("webhooks overlap"))
            .collect();
        assert!(!overlaps.is_empty());
        assert!(
            overlaps[0]
                .1
                .contains("in a namespace with labels [istio.io/rev=default]"),
            "{overlaps:?}"
        );
    }

    #[test]
    fn single_replica_unready_no_resources_no_ca_and_double_labels() {
        let mut input = healthy();
        input.deployments[0]["spec"]["replicas"] = 1.into();
        input.deployments[0]["status"]["readyReplicas"] = 0.into();
        input.deployments[0]["spec"]["template"]["spec"]["containers"][0]["resources"] = json!({});
        input.webhook_configurations[0]["webhooks"][0]["clientConfig"]["caBundle"] = "".into();
        input.endpoints.clear();
        input.namespaces = Some(vec![
            json!({"metadata": {"name": "web", "labels": {"istio-injection": "enabled", "istio.io/rev": "canary"}}}),
        ]);
        let st = statuses(&check(&input, NOW));
        let has =
            |s: Status, prefix: &str| st.iter().any(|(x, d)| *x == s && d.starts_with(prefix));
        assert!(
            has(
                Status::Error,
                "deployment istio-system/istiod is not ready (0/1)"
            ),
            "{st:?}"
        );
        assert!(has(
            Status::Warning,
            "deployment istio-system/istiod runs 1 replica"
        ));
        assert!(has(
            Status::Warning,
            "deployment istio-system/istiod: containers without resource requests or limits: discovery"
        ));
        assert!(has(
            Status::Error,
            "caBundle is empty on istio-sidecar-injector (revision default)"
        ));
        assert!(has(
            Status::Error,
            "service istio-system/istiod has no ready endpoints"
        ));
        assert!(has(
            Status::Warning,
            "namespaces with both istio-injection and istio.io/rev labels: web"
        ));
    }

    #[test]
    fn no_webhook_is_an_error() {
        let r = check(&Input::default(), NOW);
        assert_eq!(r.status, Status::Error);
        assert_eq!(r.categories[0].checks[0].id, CheckId::WebhookExists);
        assert_eq!(
            r.categories[0].checks[0].description,
            "no Istio sidecar-injector MutatingWebhookConfiguration found"
        );
    }
}
