//! Shell completion, pure: which candidates a partly typed command line gets.
//!
//! Speaks Cobra's `__complete` protocol, which kubectl (≥ 1.26) uses for plugins through
//! `kubectl_complete-inject`: the words typed after `kubectl inject`, the last one partial
//! (`""` when a new word is started); the answer is one candidate per line
//! (`value<TAB>description`), then `:<directive>`.
//!
//! [`complete`] walks the clap command tree as clap would parse the words, so a new
//! subcommand, flag or value enum completes with no change here. Values that live outside the
//! tree — namespaces, kubeconfig contexts, injector revisions, workloads — come back as a
//! [`Pending`] lookup, done by `app::complete` (the I/O edge), then finished here. Imports
//! clap and the manifest model only: no I/O, no cluster.

use clap::builder::ValueHint;
use clap::{Arg, ArgAction, Command};

use crate::manifest::{ResourceType, WorkloadKind};

/// Cobra's `ShellCompDirective`: bits telling the shell what to do with the candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Directive(pub u8);

impl Directive {
    /// The shell's default: it also offers file names.
    pub const DEFAULT: Directive = Directive(0);
    pub const ERROR: Directive = Directive(1);
    /// No space after the candidate (`deployment/` is followed by a name).
    pub const NO_SPACE: Directive = Directive(2);
    /// No file names: the candidates are all there is.
    pub const NO_FILE_COMP: Directive = Directive(4);
    /// Directory names only.
    pub const FILTER_DIRS: Directive = Directive(16);

    fn with(self, other: Directive) -> Directive {
        Directive(self.0 | other.0)
    }
}

/// One completion: the word, and a short description shells may show beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub description: String,
}

impl Candidate {
    pub fn new(value: impl Into<String>, description: impl Into<String>) -> Self {
        Candidate {
            value: value.into(),
            description: description.into(),
        }
    }
}

/// The answer to one completion request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub candidates: Vec<Candidate>,
    pub directive: Directive,
}

impl Completion {
    fn none() -> Self {
        Completion {
            candidates: Vec::new(),
            directive: Directive::NO_FILE_COMP,
        }
    }

    /// The protocol's text: `value[\tdescription]` per line, then `:<directive>`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for c in &self.candidates {
            out.push_str(&one_line(&c.value));
            let description = one_line(&c.description);
            if !description.is_empty() {
                out.push('\t');
                out.push_str(&description);
            }
            out.push('\n');
        }
        out.push_str(&format!(":{}\n", self.directive.0));
        out
    }
}

/// Tabs and line breaks would break the line-based protocol.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first sentence of a help text: a description sits beside the candidate in a menu.
fn summary(help: Option<&clap::builder::StyledStr>) -> String {
    let text = help.map(ToString::to_string).unwrap_or_default();
    let text = one_line(&text);
    match text.find(". ") {
        Some(end) => text[..end].to_string(),
        None => text.trim_end_matches('.').to_string(),
    }
}

/// Where candidates that are not in the command tree come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Namespaces of the cluster.
    Namespaces,
    /// Context names of the kubeconfig (no API call).
    Contexts,
    /// Cluster names of the kubeconfig.
    Clusters,
    /// User names of the kubeconfig.
    Users,
    /// Injector revisions and revision tags, from the MutatingWebhookConfigurations.
    Revisions,
    /// `KIND/NAME` of the objects of these kinds in the namespace (`kind` in lowercase).
    Workloads(Vec<WorkloadKind>),
    /// Names of one kind of object in the namespace.
    Objects(WorkloadKind),
}

/// Arguments whose values come from the cluster or the kubeconfig, by clap id. Every other
/// argument completes from its value enum, or as a path, or not at all.
const LOOKUPS: [(&str, Lookup); 6] = [
    ("namespace", Lookup::Namespaces),
    ("istio_namespace", Lookup::Namespaces),
    ("context", Lookup::Contexts),
    ("cluster", Lookup::Clusters),
    ("user", Lookup::Users),
    ("revision", Lookup::Revisions),
];
/// The `TYPE/NAME` positionals of `check` and `explain`: the word decides the kinds.
const TARGET_IDS: [&str; 2] = ["targets", "target"];

/// Kinds offered for a word without a slash. ReplicaSets and ReplicationControllers are left
/// out (each Deployment has several, named after it): `rs/<TAB>` still lists them.
const LISTED_KINDS: [WorkloadKind; 6] = [
    WorkloadKind::Pod,
    WorkloadKind::Deployment,
    WorkloadKind::StatefulSet,
    WorkloadKind::DaemonSet,
    WorkloadKind::Job,
    WorkloadKind::CronJob,
];

/// A flag given on the line, as the lookups need it (`--context`, `-n`, `--kubeconfig` …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenFlag {
    /// The clap id of the argument.
    pub id: String,
    pub value: Option<String>,
}

/// A completion that needs values from outside the command tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub lookup: Lookup,
    /// Written before each value: `--namespace=` for `--namespace=we`, `deploy/` for
    /// `deploy/we`.
    pub prefix: String,
    /// What was typed of the value so far.
    pub partial: String,
    /// The flags given before the word being completed, in order.
    pub given: Vec<GivenFlag>,
}

impl Pending {
    /// The completion from the values the lookup found (an empty list when it failed: a
    /// completion never reports errors).
    pub fn finish(self, found: Vec<Candidate>) -> Completion {
        let mut candidates: Vec<Candidate> = Vec::new();
        for c in found {
            let value = format!("{}{}", self.prefix, c.value);
            if c.value.starts_with(&self.partial)
                && !candidates.iter().any(|seen| seen.value == value)
            {
                candidates.push(Candidate::new(value, c.description));
            }
        }
        if candidates.is_empty()
            && let Lookup::Workloads(kinds) = &self.lookup
        {
            // Nothing found (or no cluster): offer the types, a name follows the slash.
            let types = kinds
                .iter()
                .map(|k| Candidate::new(format!("{}/", type_word(*k)), k.as_str()))
                .collect();
            return Completion {
                candidates: types,
                directive: Directive::NO_FILE_COMP.with(Directive::NO_SPACE),
            };
        }
        Completion {
            candidates,
            directive: Directive::NO_FILE_COMP,
        }
    }
}

/// What a completion request needs: nothing more, or a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Ready(Completion),
    Lookup(Pending),
}

/// The lowercase kind, as `KIND/NAME` candidates spell it (kubectl's `deployment/web`).
pub fn type_word(kind: WorkloadKind) -> String {
    kind.as_str().to_ascii_lowercase()
}

/// Completes the last of `words` (the words after the plugin name) against `root`.
pub fn complete(root: &Command, words: &[String]) -> Answer {
    let mut built = root.clone();
    built.build();
    let (current, done) = match words.split_last() {
        Some((current, done)) => (current.as_str(), done),
        None => ("", &[][..]),
    };
    let mut walk = Walk {
        at: &built,
        given: Vec::new(),
        positionals: 0,
        escaped: false,
        pending: None,
    };
    for word in done {
        walk.step(word);
    }
    walk.finish(current)
}

/// The parse state after the completed words.
struct Walk<'a> {
    /// The (sub)command the words have reached.
    at: &'a Command,
    given: Vec<GivenFlag>,
    /// Positional words seen in `at`.
    positionals: usize,
    /// After `--`: every word is positional.
    escaped: bool,
    /// A flag whose value is the next word.
    pending: Option<&'a Arg>,
}

impl<'a> Walk<'a> {
    fn step(&mut self, word: &str) {
        if let Some(arg) = self.pending.take() {
            self.give(arg, Some(word));
            return;
        }
        if self.escaped {
            self.positionals += 1;
            return;
        }
        if word == "--" {
            self.escaped = true;
            return;
        }
        if let Some(rest) = word.strip_prefix("--") {
            let (name, value) = match rest.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (rest, None),
            };
            // An unknown flag is passed over, as Cobra does: the rest still completes.
            if let Some(arg) = find_long(self.at, name) {
                match value {
                    Some(v) => self.give(arg, Some(v)),
                    None if takes_next_word(arg) => self.pending = Some(arg),
                    None => self.give(arg, None),
                }
            }
            return;
        }
        if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            // `-A`, `-Ay`, `-n web`, `-nweb`, `-n=web`.
            for (i, c) in shorts.char_indices() {
                let Some(arg) = find_short(self.at, c) else {
                    return;
                };
                if !arg.get_action().takes_values() {
                    self.give(arg, None);
                    continue;
                }
                let rest = &shorts[i + c.len_utf8()..];
                let rest = rest.strip_prefix('=').unwrap_or(rest);
                if !rest.is_empty() {
                    self.give(arg, Some(rest));
                } else if takes_next_word(arg) {
                    self.pending = Some(arg);
                }
                return;
            }
            return;
        }
        if self.positionals == 0
            && let Some(sub) = self.at.find_subcommand(word)
        {
            self.at = sub;
            return;
        }
        self.positionals += 1;
    }

    fn give(&mut self, arg: &Arg, value: Option<&str>) {
        self.given.push(GivenFlag {
            id: arg.get_id().to_string(),
            value: value.map(str::to_string),
        });
    }

    fn finish(self, current: &str) -> Answer {
        if let Some(arg) = self.pending {
            return self.value(arg, "", current);
        }
        if !self.escaped {
            if let Some(rest) = current.strip_prefix("--") {
                if let Some((name, value)) = rest.split_once('=') {
                    return match find_long(self.at, name) {
                        Some(arg) if arg.get_action().takes_values() => {
                            let prefix = format!("--{name}=");
                            self.value(arg, &prefix, value)
                        }
                        _ => Answer::Ready(Completion::none()),
                    };
                }
                return Answer::Ready(self.flags(current));
            }
            if let Some(shorts) = current.strip_prefix('-') {
                let mut chars = shorts.chars();
                if let Some(c) = chars.next()
                    && let Some(arg) = find_short(self.at, c)
                    && arg.get_action().takes_values()
                    && !chars.as_str().is_empty()
                {
                    let value = chars.as_str();
                    let (prefix, value) = match value.strip_prefix('=') {
                        Some(v) => (format!("-{c}="), v),
                        None => (format!("-{c}"), value),
                    };
                    return self.value(arg, &prefix, value);
                }
                return Answer::Ready(self.flags(current));
            }
            if self.positionals == 0 && self.at.has_subcommands() {
                return Answer::Ready(self.subcommands(current));
            }
        }
        match self.positional() {
            Some(arg) => self.value(arg, "", current),
            None => Answer::Ready(Completion::none()),
        }
    }

    /// The positional argument the next positional word fills.
    fn positional(&self) -> Option<&'a Arg> {
        let positionals: Vec<&Arg> = self.at.get_positionals().collect();
        positionals.get(self.positionals).copied().or_else(|| {
            positionals
                .last()
                .copied()
                .filter(|a| matches!(a.get_action(), ArgAction::Append))
        })
    }

    fn subcommands(&self, current: &str) -> Completion {
        let candidates = self
            .at
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .flat_map(|s| {
                let about = summary(s.get_about());
                std::iter::once(s.get_name())
                    .chain(s.get_visible_aliases())
                    .map(move |name| Candidate::new(name, about.clone()))
            })
            .filter(|c| c.value.starts_with(current))
            .collect();
        Completion {
            candidates,
            directive: Directive::NO_FILE_COMP,
        }
    }

    /// Flag names: `--long` (and visible aliases), and `-s` unless the word starts with `--`.
    /// A flag already given is not offered again unless it repeats.
    fn flags(&self, current: &str) -> Completion {
        let mut candidates = Vec::new();
        for arg in self.at.get_arguments() {
            if arg.is_positional() || arg.is_hide_set() {
                continue;
            }
            let repeats = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
            if !repeats && self.given.iter().any(|g| g.id == arg.get_id().as_str()) {
                continue;
            }
            let help = summary(arg.get_help());
            let longs = arg
                .get_long()
                .into_iter()
                .chain(arg.get_visible_aliases().into_iter().flatten());
            for long in longs {
                candidates.push(Candidate::new(format!("--{long}"), help.clone()));
            }
            if !current.starts_with("--")
                && let Some(short) = arg.get_short()
            {
                candidates.push(Candidate::new(format!("-{short}"), help.clone()));
            }
        }
        candidates.retain(|c| c.value.starts_with(current));
        Completion {
            candidates,
            directive: Directive::NO_FILE_COMP,
        }
    }

    /// The values of `arg`: its value enum, else a lookup, else paths, else nothing.
    fn value(self, arg: &Arg, prefix: &str, partial: &str) -> Answer {
        let values: Vec<Candidate> = arg
            .get_possible_values()
            .into_iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| {
                let help = summary(v.get_help());
                Candidate::new(format!("{prefix}{}", v.get_name()), help)
            })
            .collect();
        if !values.is_empty() {
            let typed = format!("{prefix}{partial}");
            let candidates: Vec<Candidate> = values
                .into_iter()
                .filter(|c| c.value.starts_with(&typed))
                .collect();
            // `-o jsonpath=` goes on with its template: no space after it.
            let directive = if candidates.iter().any(|c| c.value.ends_with('=')) {
                Directive::NO_FILE_COMP.with(Directive::NO_SPACE)
            } else {
                Directive::NO_FILE_COMP
            };
            return Answer::Ready(Completion {
                candidates,
                directive,
            });
        }
        let id = arg.get_id().as_str();
        if TARGET_IDS.contains(&id) {
            return self.targets(prefix, partial);
        }
        if let Some((_, lookup)) = LOOKUPS.iter().find(|(name, _)| *name == id) {
            return Answer::Lookup(Pending {
                lookup: lookup.clone(),
                prefix: prefix.to_string(),
                partial: partial.to_string(),
                given: self.given,
            });
        }
        let directive = match arg.get_value_hint() {
            ValueHint::AnyPath | ValueHint::FilePath | ValueHint::ExecutablePath => {
                Directive::DEFAULT
            }
            ValueHint::DirPath => Directive::FILTER_DIRS,
            _ => Directive::NO_FILE_COMP,
        };
        Answer::Ready(Completion {
            candidates: Vec::new(),
            directive,
        })
    }

    /// `TYPE/NAME`: with a slash, the names of that type; without, every listed kind's
    /// objects as `kind/name`.
    fn targets(self, prefix: &str, partial: &str) -> Answer {
        let (lookup, prefix, partial) = match partial.split_once('/') {
            Some((ty, name)) => {
                let lookup = match ResourceType::parse(ty) {
                    Some(ResourceType::Workload(kind)) => Lookup::Objects(kind),
                    Some(ResourceType::Namespace) => Lookup::Namespaces,
                    None => return Answer::Ready(Completion::none()),
                };
                (lookup, format!("{prefix}{ty}/"), name.to_string())
            }
            // A whole type (`sts`, `deploy`, `pods`): its objects, spelled as typed.
            None if ResourceType::parse(partial).is_some() => {
                return self.targets(prefix, &format!("{partial}/"));
            }
            None => {
                let typed = partial.to_ascii_lowercase();
                let kinds: Vec<WorkloadKind> = LISTED_KINDS
                    .into_iter()
                    .filter(|k| type_word(*k).starts_with(&typed))
                    .collect();
                if kinds.is_empty() {
                    return Answer::Ready(Completion::none());
                }
                (
                    Lookup::Workloads(kinds),
                    prefix.to_string(),
                    partial.to_string(),
                )
            }
        };
        Answer::Lookup(Pending {
            lookup,
            prefix,
            partial,
            given: self.given,
        })
    }
}

fn find_long<'a>(cmd: &'a Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|a| {
        a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
    })
}

fn find_short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| {
        a.get_short() == Some(c) || a.get_all_short_aliases().is_some_and(|al| al.contains(&c))
    })
}

/// True when the flag's value is the next word (`-n web`), not only `--flag=value`.
fn takes_next_word(arg: &Arg) -> bool {
    arg.get_action().takes_values()
        && !arg.is_require_equals_set()
        && arg.get_num_args().is_none_or(|n| n.min_values() > 0)
}

#[cfg(test)]
mod tests;
