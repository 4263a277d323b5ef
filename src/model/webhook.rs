//! The MutatingWebhookConfiguration as the decision needs it: each webhook entry's name and
//! its `namespaceSelector` / `objectSelector`, and the MWC's revision (`istio.io/rev` label).
//!
//! Also the configurations Istio's chart installs (reference §2.3–2.5): the default revision's
//! entries (with `auto.` under `enableNamespacesByDefault`), a revisioned install, revision
//! tags, and the deactivated "never-match" form `istioctl tag set default` leaves behind.

use serde::Serialize;
use serde_json::Value;

use super::{LabelSelector, LabelSelectorRequirement, StringMap};

pub use super::istio::{
    DEACTIVATED_LABEL, IGNORED_NAMESPACES, INJECT_KEY, INJECTION_LABEL, INJECTOR_WEBHOOK_SUFFIX,
    NAMESPACE_NAME_LABEL, NEVER_MATCH, REV_LABEL, TAG_LABEL,
};

/// One MutatingWebhookConfiguration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookConfiguration {
    pub name: String,
    pub labels: StringMap,
    pub webhooks: Vec<Webhook>,
    /// Where it came from (`mwc.yaml: document 1`, `<built-in default>`), for messages.
    #[serde(skip)]
    pub source: String,
}

/// One entry of `webhooks:`. A missing selector matches everything, as in Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    pub name: String,
    pub namespace_selector: Option<LabelSelector>,
    pub object_selector: Option<LabelSelector>,
}

/// A webhook configuration that does not have the expected shape, named by field path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {path}: {message}")]
pub struct WebhookError {
    pub source_name: String,
    pub path: String,
    pub message: String,
}

fn requirement(key: &str, operator: &str, values: &[&str]) -> LabelSelectorRequirement {
    LabelSelectorRequirement {
        key: key.to_string(),
        operator: operator.to_string(),
        values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
    }
}

fn expressions(reqs: Vec<LabelSelectorRequirement>) -> Option<LabelSelector> {
    Some(LabelSelector {
        match_labels: None,
        match_expressions: Some(reqs),
    })
}

fn never_match() -> Option<LabelSelector> {
    Some(LabelSelector {
        match_labels: Some(StringMap::from([(
            DEACTIVATED_LABEL.to_string(),
            NEVER_MATCH.to_string(),
        )])),
        match_expressions: None,
    })
}

impl Webhook {
    fn new(
        name: &str,
        ns: Vec<LabelSelectorRequirement>,
        obj: Vec<LabelSelectorRequirement>,
    ) -> Self {
        Webhook {
            name: name.to_string(),
            namespace_selector: expressions(ns),
            object_selector: expressions(obj),
        }
    }

    /// Istio's webhooks all end in `istio.io`; `check-inject` considers only those.
    pub fn is_istio(&self) -> bool {
        self.name.ends_with("istio.io")
    }

    /// Both selectors are `{matchLabels: {istio.io/deactivated: never-match}}`.
    pub fn is_deactivated(&self) -> bool {
        let nm = never_match();
        self.namespace_selector == nm && self.object_selector == nm
    }

    /// The two `rev.*` entries for a revision or tag (§2.3, §2.4).
    fn rev_entries(rev: &str) -> [Webhook; 2] {
        [
            Webhook::new(
                "rev.namespace.sidecar-injector.istio.io",
                vec![
                    requirement(REV_LABEL, "In", &[rev]),
                    requirement(INJECTION_LABEL, "DoesNotExist", &[]),
                ],
                vec![requirement(INJECT_KEY, "NotIn", &["false"])],
            ),
            Webhook::new(
                "rev.object.sidecar-injector.istio.io",
                vec![
                    requirement(REV_LABEL, "DoesNotExist", &[]),
                    requirement(INJECTION_LABEL, "DoesNotExist", &[]),
                ],
                vec![
                    requirement(INJECT_KEY, "NotIn", &["false"]),
                    requirement(REV_LABEL, "In", &[rev]),
                ],
            ),
        ]
    }

    /// The entries only the default revision (or the `default` tag) has (§2.3).
    fn default_only_entries(enable_namespaces_by_default: bool) -> Vec<Webhook> {
        let mut v = vec![
            Webhook::new(
                "namespace.sidecar-injector.istio.io",
                vec![requirement(INJECTION_LABEL, "In", &["enabled"])],
                vec![requirement(INJECT_KEY, "NotIn", &["false"])],
            ),
            Webhook::new(
                "object.sidecar-injector.istio.io",
                vec![
                    requirement(INJECTION_LABEL, "DoesNotExist", &[]),
                    requirement(REV_LABEL, "DoesNotExist", &[]),
                ],
                vec![
                    requirement(INJECT_KEY, "In", &["true"]),
                    requirement(REV_LABEL, "DoesNotExist", &[]),
                ],
            ),
        ];
        if enable_namespaces_by_default {
            v.push(Webhook::new(
                "auto.sidecar-injector.istio.io",
                vec![
                    requirement(INJECTION_LABEL, "DoesNotExist", &[]),
                    requirement(REV_LABEL, "DoesNotExist", &[]),
                    requirement(NAMESPACE_NAME_LABEL, "NotIn", &IGNORED_NAMESPACES),
                ],
                vec![
                    requirement(INJECT_KEY, "DoesNotExist", &[]),
                    requirement(REV_LABEL, "DoesNotExist", &[]),
                ],
            ));
        }
        v
    }
}

impl WebhookConfiguration {
    /// True when some entry calls Istio's sidecar injector (named `*sidecar-injector.istio.io`,
    /// as istiod's caBundle patcher recognises them).
    pub fn is_injector(&self) -> bool {
        self.webhooks
            .iter()
            .any(|w| w.name.ends_with(INJECTOR_WEBHOOK_SUFFIX))
    }

    /// The revision tag this configuration serves (`istio.io/tag`), if it is a tag's.
    pub fn tag(&self) -> Option<&str> {
        self.labels.get(TAG_LABEL).map(String::as_str)
    }

    /// The revision this configuration serves: its `istio.io/rev` label, `default` if unset.
    pub fn revision(&self) -> &str {
        match self.labels.get(REV_LABEL).map(String::as_str) {
            Some("") | None => "default",
            Some(r) => r,
        }
    }

    /// The MWC Istio's chart installs for `revision` (`None`/`default` = the default
    /// revision). `enable_namespaces_by_default` adds the `auto.` entry, which exists only
    /// for the default revision.
    pub fn istio_default(revision: Option<&str>, enable_namespaces_by_default: bool) -> Self {
        let rev = revision.filter(|r| !r.is_empty()).unwrap_or("default");
        let mut webhooks = Webhook::rev_entries(rev).to_vec();
        let name = if rev == "default" {
            webhooks.extend(Webhook::default_only_entries(enable_namespaces_by_default));
            "istio-sidecar-injector".to_string()
        } else {
            format!("istio-sidecar-injector-{rev}")
        };
        WebhookConfiguration {
            name,
            labels: StringMap::from([(REV_LABEL.to_string(), rev.to_string())]),
            webhooks,
            source: "<built-in default>".to_string(),
        }
    }

    /// The MWC `istioctl tag set TAG --revision REV` installs (§2.5): the two `rev.*` entries
    /// selecting `TAG`; the tag `default` also gets the default-only entries.
    pub fn revision_tag(tag: &str, revision: &str, enable_namespaces_by_default: bool) -> Self {
        let mut webhooks = Webhook::rev_entries(tag).to_vec();
        if tag == "default" {
            webhooks.extend(Webhook::default_only_entries(enable_namespaces_by_default));
        }
        WebhookConfiguration {
            name: format!("istio-revision-tag-{tag}"),
            labels: StringMap::from([
                (REV_LABEL.to_string(), revision.to_string()),
                (TAG_LABEL.to_string(), tag.to_string()),
            ]),
            webhooks,
            source: "<built-in default>".to_string(),
        }
    }

    /// Every entry's selectors replaced by the never-match form, as `istioctl tag set default`
    /// leaves the old revision-less MWC.
    pub fn deactivated(mut self) -> Self {
        for w in &mut self.webhooks {
            w.namespace_selector = never_match();
            w.object_selector = never_match();
        }
        self
    }

    /// Reads a MutatingWebhookConfiguration from a parsed manifest document.
    pub fn from_value(source: &str, value: &Value) -> Result<Self, WebhookError> {
        let err = |path: &str, message: String| WebhookError {
            source_name: source.to_string(),
            path: path.to_string(),
            message,
        };
        let name = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let labels = match value.pointer("/metadata/labels") {
            None | Some(Value::Null) => StringMap::new(),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| err("metadata.labels", e.to_string()))?,
        };
        let entries = match value.get("webhooks") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(a)) => a.as_slice(),
            Some(_) => return Err(err("webhooks", "must be a list".into())),
        };
        let mut webhooks = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| err(&format!("webhooks[{i}].name"), "missing".into()))?
                .to_string();
            let selector = |field: &str| -> Result<Option<LabelSelector>, WebhookError> {
                match entry.get(field) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => serde_json::from_value(v.clone())
                        .map(Some)
                        .map_err(|e| err(&format!("webhooks[{i}].{field}"), e.to_string())),
                }
            };
            webhooks.push(Webhook {
                name,
                namespace_selector: selector("namespaceSelector")?,
                object_selector: selector("objectSelector")?,
            });
        }
        Ok(WebhookConfiguration {
            name,
            labels,
            webhooks,
            source: source.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: &WebhookConfiguration) -> Vec<&str> {
        c.webhooks.iter().map(|w| w.name.as_str()).collect()
    }

    #[test]
    fn default_install_has_four_entries_and_auto_on_request() {
        let c = WebhookConfiguration::istio_default(None, false);
        assert_eq!(c.name, "istio-sidecar-injector");
        assert_eq!(c.revision(), "default");
        assert_eq!(
            names(&c),
            [
                "rev.namespace.sidecar-injector.istio.io",
                "rev.object.sidecar-injector.istio.io",
                "namespace.sidecar-injector.istio.io",
                "object.sidecar-injector.istio.io"
            ]
        );
        let c = WebhookConfiguration::istio_default(Some("default"), true);
        assert_eq!(names(&c).last(), Some(&"auto.sidecar-injector.istio.io"));
    }

    #[test]
    fn revisioned_install_has_only_rev_entries_even_with_auto() {
        let c = WebhookConfiguration::istio_default(Some("canary"), true);
        assert_eq!(c.name, "istio-sidecar-injector-canary");
        assert_eq!(c.revision(), "canary");
        assert_eq!(c.webhooks.len(), 2);
        let ns = c.webhooks[0].namespace_selector.as_ref().unwrap();
        assert_eq!(
            ns.match_expressions.as_ref().unwrap()[0].values,
            Some(vec!["canary".to_string()])
        );
    }

    #[test]
    fn tags_and_deactivation() {
        let t = WebhookConfiguration::revision_tag("prod", "1-20", false);
        assert_eq!(t.name, "istio-revision-tag-prod");
        assert_eq!(t.revision(), "1-20");
        assert_eq!(t.webhooks.len(), 2);
        let d = WebhookConfiguration::revision_tag("default", "1-20", true);
        assert_eq!(d.webhooks.len(), 5);
        let off = WebhookConfiguration::istio_default(None, false).deactivated();
        assert!(off.webhooks.iter().all(Webhook::is_deactivated));
        assert!(!d.webhooks.iter().any(Webhook::is_deactivated));
    }

    #[test]
    fn parses_and_names_bad_fields() {
        let v: Value = serde_json::json!({
            "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": "x", "labels": {"istio.io/rev": "canary"}},
            "webhooks": [
                {"name": "a.istio.io"},
                {"name": "b.istio.io", "objectSelector": {"matchExpressions": "oops"}}
            ]
        });
        let e = WebhookConfiguration::from_value("mwc.yaml: document 1", &v).unwrap_err();
        assert_eq!(e.path, "webhooks[1].objectSelector");
        assert!(
            e.to_string()
                .starts_with("mwc.yaml: document 1: webhooks[1].objectSelector: ")
        );
        let v: Value = serde_json::json!({
            "metadata": {"name": "x", "labels": {"istio.io/rev": "canary"}},
            "webhooks": [{"name": "a.istio.io", "namespaceSelector": {}}]
        });
        let c = WebhookConfiguration::from_value("s", &v).unwrap();
        assert_eq!(c.revision(), "canary");
        assert_eq!(
            c.webhooks[0].namespace_selector,
            Some(LabelSelector::default())
        );
        assert_eq!(c.webhooks[0].object_selector, None);
        let v: Value = serde_json::json!({"webhooks": [{"namespaceSelector": {}}]});
        let e = WebhookConfiguration::from_value("s", &v).unwrap_err();
        assert_eq!(e.path, "webhooks[0].name");
    }
}
