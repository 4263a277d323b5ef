//! `uninstall`'s plan: which of the injector's objects exist, which may be deleted, in which
//! order, and what a failure stops.
//!
//! Order: the MutatingWebhookConfiguration goes first, so pod creation is never sent to a
//! webhook whose backend is already gone; then the workload, its Service, its identity and
//! its RBAC. An object that does not carry the injector's labels is kept unless forced; one
//! already gone is reported as such (idempotent). When the webhook configuration cannot be
//! deleted, its backend is not touched.

use serde::Serialize;
use serde_json::Value;

use super::{Executor, Run, Target};
use crate::model::istio::REV_LABEL;
use crate::model::kind::Kind;

/// The objects to remove, in deletion order (webhook first).
///
/// Without a revision: the standalone injector of the reference docs (1.2–1.4 manual
/// uninstall). With `-r REV`: what a current revisioned install dedicates to injection — the
/// webhook `<name>-<rev>` (`-<ns>` appended outside `istio-system`) and its template
/// ConfigMap `<name>-<rev>`; the backend there is `istiod-<rev>`, shared with discovery, which
/// is `istioctl uninstall`'s to remove, not ours.
pub fn targets(name: &str, ns: &str, revision: Option<&str>) -> Vec<Target> {
    let cluster = |kind, n: String| Target::new(kind, None, &n);
    let namespaced = |kind, n: String| Target::new(kind, Some(ns), &n);
    match revision.filter(|r| !r.is_empty() && *r != "default") {
        Some(rev) => {
            let mut mwc = format!("{name}-{rev}");
            if ns != "istio-system" {
                mwc.push_str(&format!("-{ns}"));
            }
            vec![
                cluster(Kind::MutatingWebhookConfiguration, mwc),
                namespaced(Kind::ConfigMap, format!("{name}-{rev}")),
            ]
        }
        None => vec![
            cluster(Kind::MutatingWebhookConfiguration, name.to_string()),
            namespaced(Kind::Deployment, name.to_string()),
            namespaced(Kind::Service, name.to_string()),
            namespaced(Kind::ServiceAccount, name.to_string()),
            namespaced(Kind::ServiceAccount, format!("{name}-service-account")),
            cluster(
                Kind::ClusterRoleBinding,
                format!("{name}-admin-role-binding-{ns}"),
            ),
            cluster(Kind::ClusterRole, format!("{name}-{ns}")),
        ],
    }
}

/// Whether an object carries the injector's labels: the standalone chart's
/// `app: sidecarInjectorWebhook` / `istio: sidecar-injector`, or istiod's webhook
/// `app: sidecar-injector`; with a revision, also `istio.io/rev: <rev>`.
pub fn labelled(obj: &Value, revision: Option<&str>) -> bool {
    let label = |k: &str| {
        obj.pointer("/metadata/labels")
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
    };
    let injector = matches!(
        label("app"),
        Some("sidecarInjectorWebhook" | "sidecar-injector" | "istio-sidecar-injector")
    ) || label("istio") == Some("sidecar-injector");
    let rev_ok = match revision.filter(|r| !r.is_empty()) {
        Some(rev) => label(REV_LABEL) == Some(rev),
        None => true,
    };
    injector && rev_ok
}

/// What happened (or is planned) to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ActionResult {
    Deleted,
    /// `--dry-run`: it exists and would be deleted.
    WouldDelete,
    /// Not there when planned, or gone by the time of the delete.
    AlreadyGone,
    /// Exists but does not carry the injector's labels (no `--force`).
    Kept,
    Failed,
    /// Planned for deletion but not attempted (yet, or because an earlier step failed).
    NotAttempted,
}

impl ActionResult {
    pub fn word(self) -> &'static str {
        match self {
            ActionResult::Deleted => "deleted",
            ActionResult::WouldDelete => "would delete",
            ActionResult::AlreadyGone => "already gone",
            ActionResult::Kept => "kept (not labelled as the injector's)",
            ActionResult::Failed => "FAILED",
            ActionResult::NotAttempted => "not attempted",
        }
    }
}

/// One object of the plan and what became of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    #[serde(flatten)]
    pub target: Target,
    pub existed: bool,
    pub result: ActionResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The plan: every target in deletion order with what is planned for it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub actions: Vec<Action>,
}

impl Plan {
    /// How many objects the plan deletes.
    pub fn deletions(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| a.result == ActionResult::NotAttempted)
            .count()
    }

    /// The plan in words, one object a line, for stderr before anything is done.
    pub fn text(&self, dry: bool) -> String {
        let mut s = String::from(if dry {
            "plan (dry run, nothing will change):\n"
        } else {
            "plan:\n"
        });
        for a in &self.actions {
            let what = match (a.existed, a.result) {
                (false, _) => "not found",
                (true, ActionResult::Kept) => {
                    "exists, not labelled as the injector's: kept (use --force)"
                }
                (true, _) => "exists: delete",
            };
            s.push_str(&format!(
                "  {} {}{}: {what}\n",
                a.target.kind.kind(),
                a.target.name,
                a.target
                    .namespace
                    .as_deref()
                    .map(|n| format!(" (namespace {n})"))
                    .unwrap_or_default()
            ));
        }
        s
    }
}

/// Plans the deletion of `found` (each target with the object read, or `None` when absent).
pub fn plan(found: Vec<(Target, Option<Value>)>, revision: Option<&str>, force: bool) -> Plan {
    let actions = found
        .into_iter()
        .map(|(target, obj)| {
            let result = match &obj {
                None => ActionResult::AlreadyGone,
                Some(o) if !force && !labelled(o, revision) => ActionResult::Kept,
                Some(_) => ActionResult::NotAttempted,
            };
            Action {
                target,
                existed: obj.is_some(),
                result,
                message: None,
            }
        })
        .collect();
    Plan { actions }
}

/// Carries the plan out, webhook first; keeps going after a failure so the report is
/// complete, but never deletes the backend while the webhook that calls it stays.
pub fn execute<E: Executor>(plan: Plan, run: Run, exec: &mut E) -> Vec<Action> {
    let mut webhook_failed = false;
    let mut out = Vec::with_capacity(plan.actions.len());
    for mut a in plan.actions {
        if a.result == ActionResult::NotAttempted {
            if webhook_failed {
                a.message = Some(
                    "the webhook configuration could not be deleted; its backend stays".into(),
                );
            } else if run == Run::ClientDryRun {
                a.result = ActionResult::WouldDelete;
            } else {
                let server_dry = run == Run::ServerDryRun;
                match exec.delete(&a.target, server_dry) {
                    Ok(true) if server_dry => a.result = ActionResult::WouldDelete,
                    Ok(true) => a.result = ActionResult::Deleted,
                    Ok(false) => a.result = ActionResult::AlreadyGone,
                    Err(e) => {
                        a.result = ActionResult::Failed;
                        a.message = Some(e.to_string());
                        if a.target.kind == Kind::MutatingWebhookConfiguration {
                            webhook_failed = true;
                        }
                    }
                }
            }
        }
        out.push(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Records calls; fails deletes of the named objects.
    #[derive(Default)]
    struct Fake {
        deleted: Vec<String>,
        fail: Vec<&'static str>,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("forbidden: cannot delete {0}")]
    struct Forbidden(String);

    impl Executor for Fake {
        type Error = Forbidden;
        fn delete(&mut self, t: &Target, server_dry_run: bool) -> Result<bool, Forbidden> {
            if self.fail.contains(&t.name.as_str()) {
                return Err(Forbidden(t.name.clone()));
            }
            self.deleted.push(format!(
                "{}{}",
                t.name,
                if server_dry_run { " (dry)" } else { "" }
            ));
            Ok(true)
        }
        fn remove_namespace_labels(&mut self, _: &str, _: bool) -> Result<(), Forbidden> {
            unreachable!("uninstall removes no labels")
        }
        fn restart(&mut self, _: &Target, _: bool) -> Result<(), Forbidden> {
            unreachable!("uninstall restarts nothing")
        }
    }

    fn labelled_obj() -> Value {
        json!({"metadata": {"labels": {"app": "sidecar-injector"}}})
    }

    #[test]
    fn targets_webhook_first_with_reference_names() {
        let t = targets("istio-sidecar-injector", "istio-system", None);
        let names: Vec<(&str, &str)> = t.iter().map(|t| (t.kind.kind(), t.name.as_str())).collect();
        assert_eq!(
            names,
            vec![
                ("MutatingWebhookConfiguration", "istio-sidecar-injector"),
                ("Deployment", "istio-sidecar-injector"),
                ("Service", "istio-sidecar-injector"),
                ("ServiceAccount", "istio-sidecar-injector"),
                ("ServiceAccount", "istio-sidecar-injector-service-account"),
                (
                    "ClusterRoleBinding",
                    "istio-sidecar-injector-admin-role-binding-istio-system"
                ),
                ("ClusterRole", "istio-sidecar-injector-istio-system"),
            ]
        );
        // `default` is the revision-less install.
        assert_eq!(
            t,
            targets("istio-sidecar-injector", "istio-system", Some("default"))
        );
    }

    #[test]
    fn revisioned_names() {
        let rows = [
            ("istio-system", "istio-sidecar-injector-canary"),
            ("mesh", "istio-sidecar-injector-canary-mesh"),
        ];
        for (ns, mwc) in rows {
            let t = targets("istio-sidecar-injector", ns, Some("canary"));
            assert_eq!(t.len(), 2);
            assert_eq!(t[0].name, mwc, "{ns}");
            assert_eq!(t[1].name, "istio-sidecar-injector-canary");
            assert_eq!(t[1].namespace.as_deref(), Some(ns));
        }
    }

    #[test]
    fn labels_that_mark_the_injector() {
        let o = |labels: Value| json!({"metadata": {"labels": labels}});
        let rows = [
            (o(json!({"app": "sidecarInjectorWebhook"})), None, true),
            (o(json!({"istio": "sidecar-injector"})), None, true),
            (
                o(json!({"app": "sidecar-injector", "istio.io/rev": "canary"})),
                Some("canary"),
                true,
            ),
            (
                o(json!({"app": "sidecar-injector", "istio.io/rev": "default"})),
                Some("canary"),
                false,
            ),
            (o(json!({"app": "web"})), None, false),
            (json!({"metadata": {}}), None, false),
        ];
        for (obj, rev, want) in rows {
            assert_eq!(labelled(&obj, rev), want, "{obj} {rev:?}");
        }
    }

    #[test]
    fn unlabelled_objects_are_kept_absent_ones_reported_gone() {
        let t = targets("inj", "ns", None);
        let found = vec![
            (t[0].clone(), Some(labelled_obj())),
            (
                t[1].clone(),
                Some(json!({"metadata": {"labels": {"app": "web"}}})),
            ),
            (t[2].clone(), None),
        ];
        let p = plan(found.clone(), None, false);
        let results: Vec<ActionResult> = p.actions.iter().map(|a| a.result).collect();
        assert_eq!(
            results,
            [
                ActionResult::NotAttempted,
                ActionResult::Kept,
                ActionResult::AlreadyGone
            ]
        );
        assert_eq!(p.deletions(), 1);
        assert!(p.text(false).contains("Deployment inj (namespace ns): exists, not labelled as the injector's: kept (use --force)"));
        assert_eq!(plan(found, None, true).deletions(), 2, "--force deletes it");
    }

    #[test]
    fn a_failed_webhook_deletion_keeps_its_backend() {
        let t = targets("inj", "ns", None);
        let found: Vec<(Target, Option<Value>)> =
            t.into_iter().map(|t| (t, Some(labelled_obj()))).collect();
        let mut fake = Fake {
            fail: vec!["inj"],
            ..Fake::default()
        };
        // The MWC and the Deployment share the name `inj`: both fail, nothing after is tried.
        let done = execute(plan(found.clone(), None, false), Run::Real, &mut fake);
        assert_eq!(done[0].result, ActionResult::Failed);
        assert!(
            done[2..]
                .iter()
                .all(|a| a.result == ActionResult::NotAttempted)
        );
        assert!(fake.deleted.is_empty());

        let mut fake = Fake::default();
        let done = execute(
            plan(found.clone(), None, false),
            Run::ServerDryRun,
            &mut fake,
        );
        assert!(done.iter().all(|a| a.result == ActionResult::WouldDelete));
        assert!(fake.deleted.iter().all(|d| d.ends_with(" (dry)")));
        assert_eq!(fake.deleted.len(), 7);

        let mut fake = Fake::default();
        let done = execute(plan(found, None, false), Run::ClientDryRun, &mut fake);
        assert!(done.iter().all(|a| a.result == ActionResult::WouldDelete));
        assert!(fake.deleted.is_empty(), "a client dry run sends nothing");
    }
}
