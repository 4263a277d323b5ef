use clap::CommandFactory;

use super::*;
use crate::cli::Cli;

fn answer(line: &[&str]) -> Answer {
    let words: Vec<String> = line.iter().map(|w| w.to_string()).collect();
    complete(&Cli::command(), &words)
}

fn ready(line: &[&str]) -> Completion {
    match answer(line) {
        Answer::Ready(c) => c,
        Answer::Lookup(p) => panic!("{line:?} needs a lookup: {p:?}"),
    }
}

fn pending(line: &[&str]) -> Pending {
    match answer(line) {
        Answer::Lookup(p) => p,
        Answer::Ready(c) => panic!("{line:?} is ready: {c:?}"),
    }
}

fn values(c: &Completion) -> Vec<&str> {
    c.candidates.iter().map(|c| c.value.as_str()).collect()
}

/// Every visible subcommand and every visible flag of each, from the tree itself.
fn tree() -> Vec<(String, Vec<String>)> {
    let mut root = Cli::command();
    root.build();
    root.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .map(|s| {
            let longs = s
                .get_arguments()
                .filter(|a| !a.is_positional() && !a.is_hide_set())
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .collect();
            (s.get_name().to_string(), longs)
        })
        .collect()
}

#[test]
fn subcommands_complete_at_the_root_without_the_hidden_one() {
    let c = ready(&[""]);
    assert_eq!(c.directive, Directive::NO_FILE_COMP);
    let got = values(&c);
    for sub in [
        "check",
        "explain",
        "inject",
        "uninstall",
        "cleanup",
        "completion",
    ] {
        assert!(got.contains(&sub), "{sub} missing from {got:?}");
    }
    assert!(!got.iter().any(|v| v.starts_with("__")), "{got:?}");
    assert_eq!(values(&ready(&["ch"])), ["check"]);
    assert_eq!(
        values(&ready(&["c"])),
        ["check", "cleanup", "capture", "completion"]
    );
    // The about text rides along as the description.
    assert!(
        ready(&["ex"]).candidates[0]
            .description
            .contains("decision")
    );
}

#[test]
fn every_visible_flag_of_every_subcommand_completes() {
    for (sub, longs) in tree() {
        assert!(!longs.is_empty(), "{sub} has no flags?");
        let c = ready(&[&sub, "--"]);
        let got = values(&c);
        for long in &longs {
            assert!(got.contains(&long.as_str()), "{sub}: {long} not in {got:?}");
        }
        assert_eq!(c.directive, Directive::NO_FILE_COMP);
    }
}

#[test]
fn every_value_enum_completes_its_values_in_both_spellings() {
    let mut root = Cli::command();
    root.build();
    let mut checked = 0;
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        for arg in sub.get_arguments().filter(|a| !a.is_positional()) {
            let want: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            let Some(long) = arg.get_long() else { continue };
            if want.is_empty() {
                continue;
            }
            let flag = format!("--{long}");
            if takes_next_word(arg) {
                let c = ready(&[sub.get_name(), &flag, ""]);
                assert_eq!(values(&c), want, "{} {flag}", sub.get_name());
                // `jsonpath=` goes on with its template: no space after the candidates then.
                let directive = if want.iter().any(|v| v.ends_with('=')) {
                    Directive::NO_FILE_COMP.with(Directive::NO_SPACE)
                } else {
                    Directive::NO_FILE_COMP
                };
                assert_eq!(c.directive, directive, "{} {flag}", sub.get_name());
            }
            let with_equals = format!("{flag}=");
            let c = ready(&[sub.get_name(), &with_equals]);
            let prefixed: Vec<String> = want.iter().map(|v| format!("{flag}={v}")).collect();
            assert_eq!(values(&c), prefixed, "{} {flag}=", sub.get_name());
            checked += 1;
        }
    }
    // -o, --color, --mode, --compat, … on several commands.
    assert!(checked > 20, "only {checked} value enums found");
}

#[test]
fn output_values_by_short_flag_partial_word_and_attached_value() {
    assert_eq!(
        values(&ready(&["check", "-o", ""])),
        [
            "table",
            "wide",
            "json",
            "yaml",
            "name",
            "jsonpath=",
            "jsonpath-file=",
            "custom-columns=",
            "custom-columns-file=",
            "sarif"
        ]
    );
    assert_eq!(values(&ready(&["check", "-o", "y"])), ["yaml"]);
    assert_eq!(
        values(&ready(&["check", "-oj"])),
        ["-ojson", "-ojsonpath=", "-ojsonpath-file="]
    );
    // Each command offers the formats it prints: explain has no wide.
    assert_eq!(values(&ready(&["explain", "--output=w"])), [] as [&str; 0]);
    assert_eq!(
        values(&ready(&["explain", "--output=n"])),
        ["--output=name"]
    );
    assert_eq!(values(&ready(&["inject", "-o", ""])), ["yaml", "json"]);
    assert_eq!(
        values(&ready(&["explain", "--color", ""])),
        ["auto", "always", "never"]
    );
    assert_eq!(
        values(&ready(&["check", "--mode", ""])),
        ["istio", "managed"]
    );
    assert_eq!(
        values(&ready(&["inject", "--native-sidecars", ""])),
        ["true", "false"]
    );
    assert_eq!(
        values(&ready(&["uninstall", "--dry-run="])),
        ["--dry-run=client", "--dry-run=server"]
    );
    // Value descriptions come from the enum's docs.
    let c = ready(&["check", "-o", "wi"]);
    assert_eq!(c.candidates[0].description, "The table with more columns");
}

#[test]
fn files_complete_for_path_arguments_only() {
    for line in [
        &["inject", "-f", ""][..],
        &["check", "--filename", "app"],
        &["explain", "--kubeconfig", ""],
        &["check", "--config", ""],
        &["inject", "--injectConfigFile", ""],
        &["inject", "--values-file", ""],
    ] {
        let c = ready(line);
        assert_eq!(c.directive, Directive::DEFAULT, "{line:?}");
        assert!(c.candidates.is_empty());
    }
    for line in [
        &["check", "-l", ""][..],
        &["uninstall", "--name", ""],
        &["inject", ""],
        &["check", "--request-timeout", ""],
    ] {
        let c = ready(line);
        assert_eq!(c.directive, Directive::NO_FILE_COMP, "{line:?}");
        assert!(c.candidates.is_empty(), "{line:?}");
    }
}

#[test]
fn flags_short_and_long_and_not_twice() {
    let c = ready(&["check", "-"]);
    let got = values(&c);
    assert!(
        got.contains(&"-n") && got.contains(&"--namespace"),
        "{got:?}"
    );
    assert!(got.contains(&"-A") && got.contains(&"-o"), "{got:?}");
    // Visible aliases are flags too.
    assert!(values(&ready(&["inject", "--inject"])).contains(&"--inject-config-file"));
    assert!(values(&ready(&["inject", "--inject"])).contains(&"--injectConfigFile"));
    // A hidden flag is not offered.
    assert!(!values(&ready(&["inject", "--"])).contains(&"--compliance-policy"));
    // A flag given once is not offered again; a repeatable one is.
    let got = ready(&["check", "-o", "json", "-f", "a.yaml", "--"]);
    let got = values(&got);
    assert!(!got.contains(&"--output"), "{got:?}");
    assert!(got.contains(&"--filename"), "{got:?}");
    assert_eq!(values(&ready(&["check", "--outp"])), ["--output"]);
    // The global flag reaches every subcommand.
    assert!(values(&ready(&["cleanup", "--co"])).contains(&"--color"));
}

#[test]
fn cluster_values_are_lookups_carrying_the_flags_given() {
    let p = pending(&["explain", "--context", "prod", "-n", "we"]);
    assert_eq!(p.lookup, Lookup::Namespaces);
    assert_eq!((p.prefix.as_str(), p.partial.as_str()), ("", "we"));
    assert_eq!(
        p.given,
        [GivenFlag {
            id: "context".into(),
            value: Some("prod".into())
        }]
    );

    let p = pending(&["check", "--kubeconfig=/k", "--context="]);
    assert_eq!(p.lookup, Lookup::Contexts);
    assert_eq!(p.prefix, "--context=");
    assert_eq!(p.given[0].value.as_deref(), Some("/k"));

    assert_eq!(pending(&["check", "-r", ""]).lookup, Lookup::Revisions);
    assert_eq!(
        pending(&["inject", "--revision", "c"]).lookup,
        Lookup::Revisions
    );
    assert_eq!(pending(&["uninstall", "-r", ""]).lookup, Lookup::Revisions);
    assert_eq!(
        pending(&["check", "--istio-namespace", ""]).lookup,
        Lookup::Namespaces
    );
    // Flags before the subcommand and short clusters are read too.
    let p = pending(&["--color", "never", "check", "-Aonames", "-nweb", "deploy/"]);
    let ids: Vec<(&str, Option<&str>)> = p
        .given
        .iter()
        .map(|g| (g.id.as_str(), g.value.as_deref()))
        .collect();
    assert_eq!(
        ids,
        [
            ("color", Some("never")),
            ("all_namespaces", None),
            ("output", Some("names")),
            ("namespace", Some("web")),
        ]
    );
}

#[test]
fn targets_complete_by_type_then_name() {
    let p = pending(&["explain", "deploy/we"]);
    assert_eq!(p.lookup, Lookup::Objects(WorkloadKind::Deployment));
    assert_eq!((p.prefix.as_str(), p.partial.as_str()), ("deploy/", "we"));

    let p = pending(&["check", "-n", "web", "sts"]);
    assert_eq!(p.lookup, Lookup::Objects(WorkloadKind::StatefulSet));
    assert_eq!((p.prefix.as_str(), p.partial.as_str()), ("sts/", ""));

    let p = pending(&["check", "ns/"]);
    assert_eq!(p.lookup, Lookup::Namespaces);
    assert_eq!(p.prefix, "ns/");

    let p = pending(&["explain", "d"]);
    assert_eq!(
        p.lookup,
        Lookup::Workloads(vec![WorkloadKind::Deployment, WorkloadKind::DaemonSet])
    );
    let p = pending(&["explain", ""]);
    assert_eq!(p.lookup, Lookup::Workloads(LISTED_KINDS.to_vec()));

    // `check` and `explain` take several.
    assert!(matches!(
        answer(&["check", "pod/a", "deploy/"]),
        Answer::Lookup(_)
    ));
    // kubectl's `TYPE NAME…`: another object may follow.
    assert!(matches!(
        answer(&["explain", "pod/a", ""]),
        Answer::Lookup(_)
    ));
    assert_eq!(ready(&["explain", "svc/x"]), Completion::none());
    assert_eq!(ready(&["explain", "zz"]), Completion::none());
    // After `--`, a word starting with `-` is a target too.
    assert!(matches!(answer(&["check", "--", "-"]), Answer::Ready(_)));
}

#[test]
fn finished_lookups_filter_prefix_and_fall_back_to_types() {
    let p = pending(&["explain", "deploy/w"]);
    let c = p.finish(vec![
        Candidate::new("web", ""),
        Candidate::new("api", ""),
        Candidate::new("worker", ""),
        Candidate::new("web", ""),
    ]);
    assert_eq!(values(&c), ["deploy/web", "deploy/worker"]);
    assert_eq!(c.directive, Directive::NO_FILE_COMP);

    let p = pending(&["explain", "-n", "x", ""]);
    let c = p.clone().finish(vec![
        Candidate::new("pod/a", ""),
        Candidate::new("deployment/b", ""),
    ]);
    assert_eq!(values(&c), ["pod/a", "deployment/b"]);
    // No cluster, or nothing there: the types, with no space after the slash.
    let c = p.finish(Vec::new());
    assert_eq!(
        values(&c),
        [
            "pod/",
            "deployment/",
            "statefulset/",
            "daemonset/",
            "job/",
            "cronjob/"
        ]
    );
    assert_eq!(c.directive, Directive(6));

    let c = pending(&["check", "--namespace=k"]).finish(vec![
        Candidate::new("kube-system", ""),
        Candidate::new("web", ""),
    ]);
    assert_eq!(values(&c), ["--namespace=kube-system"]);
}

#[test]
fn the_protocol_text() {
    let c = Completion {
        candidates: vec![
            Candidate::new("json", ""),
            Candidate::new("wide", "The table\twith more\ncolumns."),
        ],
        directive: Directive::NO_FILE_COMP,
    };
    assert_eq!(c.render(), "json\nwide\tThe table with more columns.\n:4\n");
    assert_eq!(Completion::none().render(), ":4\n");
}
