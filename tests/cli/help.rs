//! `--help` stays true: every example of every command runs (offline, on the files of
//! `testdata/examples/` in a scratch copy; those that need a cluster are listed below with the
//! reason), flags sit under headings, every value has a name that reads well, and each
//! command's footer says what its own exit codes mean.

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::path::Path;

use clap::CommandFactory;
use kubectl_inject::cli::Cli;

use crate::util;

const COMMANDS: [&str; 9] = [
    "check",
    "explain",
    "inject",
    "uninstall",
    "cleanup",
    "verify",
    "capture",
    "test",
    "completion",
];

/// Examples that need a cluster (with an injector, and the named objects in it), with why
/// they are not run here. Their flags are still parsed and validated offline (see below).
const CLUSTER_ONLY: &[(&str, &str)] = &[
    (
        "kubectl inject check -A -L istio-injection",
        "reads the workloads and pods of every namespace of a cluster",
    ),
    (
        "kubectl inject check deploy/frontend -n web",
        "reads deploy/frontend and its pods from a cluster",
    ),
    (
        "kubectl inject check --injector",
        "checks the injector's webhook, service and deployment in a cluster",
    ),
    (
        "kubectl inject explain deploy/frontend -n web",
        "reads deploy/frontend and its pods from a cluster",
    ),
    (
        "kubectl inject explain pod/web-7d4b9 -n web",
        "reads pod/web-7d4b9 from a cluster",
    ),
    (
        "kubectl inject uninstall --dry-run",
        "plans the removal of a cluster's injector",
    ),
    (
        "kubectl inject uninstall --dry-run=client -o yaml",
        "prints a cluster's injector objects",
    ),
    (
        "kubectl inject uninstall -r canary --yes",
        "deletes revision canary's injector from a cluster",
    ),
    (
        "kubectl inject cleanup -n web --restart --dry-run",
        "plans changes to namespace web of a cluster",
    ),
    (
        "kubectl inject cleanup -l istio-injection=enabled --yes",
        "changes the labels of a cluster's namespaces",
    ),
    (
        "kubectl inject verify deploy/frontend -n web",
        "sends a server-side dry run through the cluster's real webhook",
    ),
    (
        "kubectl inject verify -f app.yaml -o json",
        "sends a server-side dry run through the cluster's real webhook",
    ),
    (
        "kubectl inject capture -A --output-file bundle.yaml",
        "reads a cluster's webhooks, injector ConfigMaps and namespaces",
    ),
];

/// Examples whose answer is "no" on the example files, with their exit code.
const NOT_ZERO: &[(&str, i32)] = &[
    // app.yaml's namespace has no injection label: the CI gate says no.
    ("kubectl inject check -f app.yaml --expect inject", 1),
];

fn help(command: &str) -> String {
    let out = util::bin().args([command, "--help"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{command} --help");
    String::from_utf8(out.stdout).unwrap()
}

/// The lines of a help section (`Examples:`, `Exit codes:`), up to the next section.
fn section(text: &str, title: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| *l != title)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .map(str::to_string)
        .collect()
}

/// The example commands of a help text: `kubectl inject …` and `kubectl-inject …` lines,
/// without what a shell does around them (`| kubectl apply -f -`, `> out.yaml`, `<(…)`).
fn examples(text: &str) -> Vec<String> {
    // Long examples go on with `\` at the end of a line, as in a shell.
    let mut lines: Vec<String> = Vec::new();
    let mut continued = false;
    for l in section(text, "Examples:") {
        let l = l.trim();
        if continued && let Some(last) = lines.last_mut() {
            last.push(' ');
            last.push_str(l.trim_end_matches('\\').trim());
        } else {
            lines.push(l.trim_end_matches('\\').trim().to_string());
        }
        continued = l.ends_with('\\');
    }
    lines
        .iter()
        .map(|l| l.as_str())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let l = l
                .strip_prefix("source <(")
                .and_then(|l| l.strip_suffix(')'))
                .unwrap_or(l);
            outside_quotes(l, &['|', '>']).trim().to_string()
        })
        .collect()
}

/// `line` up to the first of `stops` that is not quoted.
fn outside_quotes<'a>(line: &'a str, stops: &[char]) -> &'a str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if stops.contains(&c) => return &line[..i],
            None => {}
        }
    }
    line
}

/// A POSIX shell's words of `line`: blanks split, '…' literal, "…" with \" and \\ escapes.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(w) = word.take() {
                    out.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    w.push(c);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => w.push(n),
                            Some(n) => {
                                w.push('\\');
                                w.push(n);
                            }
                            None => w.push('\\'),
                        },
                        c => w.push(c),
                    }
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    out
}

/// The plugin's arguments of an example (after `kubectl inject` or `kubectl-inject`).
fn plugin_args(example: &str) -> Vec<String> {
    let w = words(example);
    match w.as_slice() {
        [k, i, rest @ ..] if k == "kubectl" && i == "inject" => rest.to_vec(),
        [p, rest @ ..] if p == "kubectl-inject" => rest.to_vec(),
        // clap wraps help at 100 columns: an example longer than that breaks in two.
        _ => panic!("not an example of this plugin (a line too long for the help?): {example}"),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn shell_words_as_a_shell_splits_them() {
    assert_eq!(
        words(r#"a -o jsonpath='{.a}{"\n"}' "b \"c\"" d\e"#),
        ["a", "-o", r#"jsonpath={.a}{"\n"}"#, r#"b "c""#, r"d\e"]
    );
    assert_eq!(outside_quotes("a 'x|y' | b", &['|']), "a 'x|y' ");
}

/// Every example of every command's --help runs on the example files with the exit code it
/// promises, and without an error; the cluster-only list holds exactly the others.
#[test]
fn every_help_example_runs() {
    let mut cluster_only_seen = Vec::new();
    let mut ran = 0;
    let mut failures = Vec::new();
    for command in COMMANDS {
        let text = help(command);
        let list = examples(&text);
        assert!(!list.is_empty(), "{command} --help has no examples");
        for example in list {
            if let Some((_, why)) = CLUSTER_ONLY.iter().find(|(e, _)| *e == example) {
                assert!(!why.is_empty());
                cluster_only_seen.push(example.clone());
                // Offline, it still parses and passes the flag checks: it fails only where
                // it reaches for the cluster (no kubeconfig here), never as a usage error.
                let out = util::bin()
                    .args(plugin_args(&example))
                    .env("KUBECONFIG", "/nonexistent/kubeconfig")
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    !stderr.contains("Usage:"),
                    "{example}: a usage error:\n{stderr}"
                );
                continue;
            }
            let dir = tempfile::tempdir().unwrap();
            copy_dir(&util::testdata("examples"), dir.path());
            // The repository's example suites and bundle, as `examples/` (capture, test).
            copy_dir(
                &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
                &dir.path().join("examples"),
            );
            let out = util::bin()
                .current_dir(dir.path())
                .args(plugin_args(&example))
                .output()
                .unwrap();
            ran += 1;
            let want = NOT_ZERO
                .iter()
                .find(|(e, _)| *e == example)
                .map_or(0, |(_, c)| *c);
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.code() != Some(want) || stderr.contains("error:") {
                failures.push(format!(
                    "{example}: exit {:?} (want {want})\n{stderr}",
                    out.status.code()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let stale: Vec<&&str> = CLUSTER_ONLY
        .iter()
        .map(|(e, _)| e)
        .filter(|e| !cluster_only_seen.iter().any(|s| s == **e))
        .collect();
    assert!(
        stale.is_empty(),
        "cluster-only examples no help shows: {stale:?}"
    );
    assert!(ran >= 15, "only {ran} examples ran offline");
    println!(
        "help examples: {ran} run offline, {} cluster-only",
        cluster_only_seen.len()
    );
}

/// Each command's footer says what 0/1/2 mean for it: only `check`, `verify` and `test`
/// answer "no" with 1, and no footer speaks of another command's answers.
#[test]
fn exit_codes_per_command() {
    for command in COMMANDS {
        let codes = section(&help(command), "Exit codes:");
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        assert!(
            codes.first().is_some_and(|l| l.starts_with("  0  ")),
            "{command}: {codes:?}"
        );
        let has_1 = codes.iter().any(|l| l.starts_with("  1  "));
        assert_eq!(
            has_1,
            ["check", "verify", "test"].contains(&command),
            "{command}: {codes:?}"
        );
        assert!(
            codes.iter().any(|l| l.starts_with("  2  ")),
            "{command}: {codes:?}"
        );
        if command != "check" {
            assert!(
                !codes.iter().any(|l| l.contains("check")),
                "{command} speaks of check: {codes:?}"
            );
        }
    }
    assert_eq!(
        section(&help("explain"), "Exit codes:"),
        [
            "  0  explained, whether the answer is inject or not",
            "  2  error: bad input, an object that is not there, unreachable cluster, usage"
        ]
    );
}

/// Flags sit under headings; nothing but help, version and --color is left under Options.
#[test]
fn flags_are_grouped_under_headings() {
    let text = help("check");
    let headings: Vec<&str> = text
        .lines()
        .filter(|l| l.ends_with(':') && !l.starts_with(' '))
        .collect();
    assert_eq!(
        headings,
        [
            "Arguments:",
            "Options:",
            "Cluster:",
            "Scope:",
            "Input:",
            "Policy:",
            "Output:",
            "Injector health:",
            "Examples:",
            "Exit codes:"
        ]
    );
    let options = section(&text, "Options:");
    let flags: Vec<&str> = options
        .iter()
        .filter_map(|l| l.trim_start().strip_prefix('-'))
        .collect();
    assert_eq!(flags, ["h, --help"], "{options:?}");
    for command in ["explain", "inject", "uninstall", "cleanup", "verify"] {
        let text = help(command);
        let options = section(&text, "Options:");
        let flags = options
            .iter()
            .filter(|l| l.trim_start().starts_with('-'))
            .count();
        assert_eq!(flags, 1, "{command}: only -h under Options: {options:?}");
        assert!(text.contains("\nCluster:\n"), "{command}");
        assert!(text.contains("\nOutput:\n"), "{command}");
    }
}

/// Every argument that takes a value names it (never clap's default, the field name in
/// capitals such as `<NAMESPACE_CONDITION>`).
#[test]
fn every_value_has_a_name_that_reads_well() {
    let mut missing = Vec::new();
    let mut cmd = Cli::command();
    cmd.build();
    for sub in cmd.get_subcommands() {
        for arg in sub.get_arguments() {
            let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
            if takes_value && arg.get_value_names().is_none() {
                missing.push(format!("{} {}", sub.get_name(), arg.get_id()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "arguments without a value name: {missing:?}"
    );
    let text = help("check");
    for clap_default in [
        "<NAMESPACE_CONDITION>",
        "<POD_CONDITION>",
        "<OUTPUT>",
        "<FAIL_ON>",
    ] {
        assert!(!text.contains(clap_default), "{clap_default}");
    }
    assert!(text.contains("--namespace-condition <CONDITION>"), "{text}");
    assert!(text.contains("-o, --output <FORMAT>"), "{text}");
}

/// clap's own consistency checks over the whole tree (conflicts and requirements name
/// arguments that exist, no duplicate flags).
#[test]
fn the_command_line_is_consistent() {
    Cli::command().debug_assert();
}
