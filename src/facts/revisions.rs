//! The revisions and revision tags a cluster serves, and what a revision named on the
//! command line resolves to.
//!
//! A revision is what a control plane is installed as (`istio.io/rev` on its webhook
//! configuration, `default` when unset); a tag (`istioctl tag set prod --revision 1-20`) is
//! a webhook configuration `istio-revision-tag-prod` labelled `istio.io/tag: prod` and
//! `istio.io/rev: 1-20`, whose pods are injected by that revision's injector.

use std::collections::{BTreeMap, BTreeSet};

use super::{normalise_revision, revision_and_tag};
use crate::model::WebhookConfiguration;

/// Revisions and tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevisionInfo {
    pub revisions: BTreeSet<String>,
    /// tag → revision.
    pub tags: BTreeMap<String, String>,
}

/// A revision named on the command line that the cluster does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("revision {wanted:?} not found in {source_name}: it has {have}")]
pub struct RevisionError {
    pub wanted: String,
    pub source_name: String,
    /// `revisions default, canary; tags prod (→ canary)`.
    pub have: String,
}

impl RevisionInfo {
    pub fn from_webhooks<'a>(
        webhooks: &[WebhookConfiguration],
        configured: impl Iterator<Item = &'a str>,
    ) -> RevisionInfo {
        let mut info = RevisionInfo::default();
        for mwc in webhooks {
            let (rev, tag) = revision_and_tag(mwc);
            match tag {
                Some(t) => {
                    info.tags.insert(t, rev.clone());
                }
                None => {
                    info.revisions.insert(rev.clone());
                }
            }
            // A tag's revision is a revision too, even if its own webhook is gone.
            info.revisions.insert(rev);
        }
        info.revisions.extend(configured.map(str::to_string));
        info
    }

    /// What the cluster has, for messages: `revisions default, canary; tags prod (→ canary)`.
    pub fn describe(&self) -> String {
        let mut s = if self.revisions.is_empty() {
            "no revisions".to_string()
        } else {
            format!(
                "revisions {}",
                self.revisions
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        if !self.tags.is_empty() {
            let tags: Vec<String> = self
                .tags
                .iter()
                .map(|(t, r)| format!("{t} (→ {r})"))
                .collect();
            s.push_str(&format!("; tags {}", tags.join(", ")));
        }
        s
    }

    /// The revision `name` means: a revision, or the revision a tag points at.
    pub fn resolve(&self, name: &str, source_name: &str) -> Result<String, RevisionError> {
        let name = normalise_revision(name);
        if self.revisions.contains(name) {
            return Ok(name.to_string());
        }
        if let Some(rev) = self.tags.get(name) {
            return Ok(rev.clone());
        }
        Err(RevisionError {
            wanted: name.to_string(),
            source_name: source_name.to_string(),
            have: self.describe(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_and_tags_resolve_and_unknown_names_list_what_exists() {
        let webhooks = [
            WebhookConfiguration::istio_default(None, false),
            WebhookConfiguration::istio_default(Some("canary"), false),
            WebhookConfiguration::revision_tag("prod", "canary", false),
        ];
        let info = RevisionInfo::from_webhooks(&webhooks, ["1-20"].into_iter());
        assert_eq!(info.resolve("", "cluster").unwrap(), "default");
        assert_eq!(info.resolve("canary", "cluster").unwrap(), "canary");
        assert_eq!(info.resolve("prod", "cluster").unwrap(), "canary");
        assert_eq!(info.resolve("1-20", "cluster").unwrap(), "1-20");
        let e = info
            .resolve("nosuch", "cluster (context test)")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "revision \"nosuch\" not found in cluster (context test): it has revisions 1-20, canary, default; tags prod (→ canary)"
        );
    }
}
