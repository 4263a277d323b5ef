//! How to decide: whose rules (Istio's webhook or the managed-mesh variant), the managed
//! mesh's two conditions, and how `sidecar.istio.io/inject` values are read.
//!
//! Domain types: the command line maps its flags onto them (`cli` lists [`Choice::ALL`]
//! with each value's help), the engine never sees clap.

use std::fmt;

use crate::config::release::{Change, Release};

/// A closed set of named values, with the sentence `--help` shows for each.
pub trait Choice: Sized + Copy + 'static {
    /// Every value, its name on the command line, and what it means.
    const ALL: &'static [(Self, &'static str, &'static str)];

    fn name(self) -> &'static str
    where
        Self: PartialEq,
    {
        Self::ALL
            .iter()
            .find(|(v, ..)| *v == self)
            .map_or("", |(_, n, _)| n)
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(v, ..)| *v)
    }
}

/// Whose rules to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Istio's webhook selectors, then its injector's `injectRequired`.
    #[default]
    Istio,
    /// The managed-mesh variant: a namespace condition AND a pod condition.
    Managed,
}

impl Choice for Mode {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            Mode::Istio,
            "istio",
            "the upstream webhook's selectors and injector rules",
        ),
        (
            Mode::Managed,
            "managed",
            "the managed-mesh variant: a namespace condition AND a pod condition",
        ),
    ];
}

/// Managed mode: which namespaces are injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NamespaceCondition {
    /// Namespaces labelled `istio-injection=enabled`.
    #[default]
    Include,
    /// Every namespace not labelled `istio-injection=disabled`.
    Exclude,
}

impl Choice for NamespaceCondition {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            NamespaceCondition::Include,
            "include",
            "inject namespaces labelled istio-injection=enabled",
        ),
        (
            NamespaceCondition::Exclude,
            "exclude",
            "inject every namespace not labelled istio-injection=disabled",
        ),
    ];
}

/// Managed mode: which pods of an injected namespace are injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PodCondition {
    /// Unless `sidecar.istio.io/inject=false` or a neverInjectSelector matches.
    #[default]
    OptOut,
    /// Only with `sidecar.istio.io/inject=true` or an alwaysInjectSelector match.
    OptIn,
}

impl Choice for PodCondition {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            PodCondition::OptOut,
            "opt-out",
            "inject unless sidecar.istio.io/inject=false or a neverInjectSelector matches",
        ),
        (
            PodCondition::OptIn,
            "opt-in",
            "inject only with sidecar.istio.io/inject=true or an alwaysInjectSelector match",
        ),
    ];
}

/// How `sidecar.istio.io/inject` values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compat {
    /// Istio ≥ 1.27: exactly "true"/"false"; anything else falls back to the policy.
    #[default]
    Current,
    /// Istio ≤ 1.26: y/yes/true/on in any case are yes, any other value is no.
    Legacy,
}

impl Choice for Compat {
    const ALL: &'static [(Self, &'static str, &'static str)] = &[
        (
            Compat::Current,
            "current",
            "Istio ≥ 1.27: exactly \"true\"/\"false\", anything else falls back to the policy",
        ),
        (
            Compat::Legacy,
            "legacy",
            "Istio ≤ 1.26: y/yes/true/on in any case are yes, any other value is no",
        ),
    ];
}

impl Compat {
    /// `--compat` when given, else as `release` reads `sidecar.istio.io/inject`
    /// (`Change::StrictInjectValue`).
    pub fn for_release(explicit: Option<Compat>, release: Release) -> Compat {
        explicit.unwrap_or(if release.has(Change::StrictInjectValue) {
            Compat::Current
        } else {
            Compat::Legacy
        })
    }
}

macro_rules! display_by_name {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}
display_by_name!(Mode, NamespaceCondition, PodCondition, Compat);

/// How to decide.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    pub mode: Mode,
    pub namespace_condition: NamespaceCondition,
    pub pod_condition: PodCondition,
    pub compat: Compat,
    /// Managed mode: the revision whose injector rules apply (`-r`; `default` when unset).
    pub revision: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        fn check<T: Choice + PartialEq + fmt::Debug>() {
            let mut seen = std::collections::BTreeSet::new();
            for (v, name, help) in T::ALL {
                assert!(seen.insert(*name), "duplicate {name}");
                assert!(!help.is_empty());
                assert_eq!(T::from_name(name), Some(*v));
                assert_eq!(v.name(), *name);
            }
            assert_eq!(T::from_name("no-such-value"), None);
        }
        check::<Mode>();
        check::<NamespaceCondition>();
        check::<PodCondition>();
        check::<Compat>();
        assert_eq!(PodCondition::OptIn.to_string(), "opt-in");
    }
}
