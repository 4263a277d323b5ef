//! Shell completion through the real plugin path: `kubectl __complete inject …` with
//! `kubectl-inject` and `kubectl_complete-inject` first on PATH (kubectl ≥ 1.26 runs the
//! latter with the words after `kubectl inject`), offline and against the test API server;
//! kubectl's own bash completion script on top; and `completion bash` in a real bash.

use std::ffi::OsString;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::cluster_smoke::{TestCluster, unique_name};
use crate::util;

/// A temporary directory holding the plugin and its completion program, first on PATH.
struct Plugin {
    dir: tempfile::TempDir,
    path: OsString,
}

fn plugin() -> Plugin {
    let dir = tempfile::tempdir().expect("temp dir");
    for (bin, name) in [
        (env!("CARGO_BIN_EXE_kubectl-inject"), "kubectl-inject"),
        (
            env!("CARGO_BIN_EXE_kubectl_complete-inject"),
            "kubectl_complete-inject",
        ),
    ] {
        std::fs::copy(bin, dir.path().join(name)).expect("copy the binary");
    }
    let mut path = OsString::from(dir.path());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    Plugin { dir, path }
}

fn have_kubectl(test: &str) -> bool {
    if Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    util::skip(test, "kubectl is not installed");
    false
}

/// What one completion printed: the candidates (without descriptions) and the directive.
#[derive(Debug)]
struct Completed {
    values: Vec<String>,
    directive: u8,
    stdout: String,
}

fn parse(stdout: &str) -> Completed {
    let mut lines: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
    let directive = lines
        .pop()
        .and_then(|l| l.strip_prefix(':'))
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no :<directive> line last in {stdout:?}"));
    let values = lines
        .iter()
        .map(|l| l.split('\t').next().unwrap_or_default().to_string())
        .collect();
    Completed {
        values,
        directive,
        stdout: stdout.to_string(),
    }
}

/// `kubectl __complete inject WORDS…`, with `kubeconfig` as KUBECONFIG (`None`: inherited,
/// the test cluster's when there is one).
fn kubectl_complete(plugin: &Plugin, kubeconfig: Option<&Path>, words: &[&str]) -> Completed {
    let mut cmd = Command::new("kubectl");
    cmd.arg("__complete")
        .arg("inject")
        .args(words)
        .env("PATH", &plugin.path);
    if let Some(kc) = kubeconfig {
        cmd.env("KUBECONFIG", kc);
    }
    let out = cmd.output().expect("run kubectl");
    assert!(
        out.status.success(),
        "kubectl __complete {words:?}: {out:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("does not provide a matching completion executable"),
        "kubectl did not find kubectl_complete-inject:\n{stderr}"
    );
    parse(&String::from_utf8_lossy(&out.stdout))
}

/// `kubectl_complete-inject WORDS…` run directly, as kubectl runs it: its exact stdout and
/// stderr.
fn complete_program(plugin: &Plugin, kubeconfig: &Path, words: &[&str]) -> Output {
    Command::new(plugin.dir.path().join("kubectl_complete-inject"))
        .args(words)
        .env("PATH", &plugin.path)
        .env("KUBECONFIG", kubeconfig)
        .output()
        .expect("run kubectl_complete-inject")
}

const NO_FILE_COMP: u8 = 4;
const DEFAULT: u8 = 0;
const NO_CONFIG: &str = "/dev/null";

#[test]
fn kubectl_completes_subcommands_and_flags() {
    if !have_kubectl("kubectl_completes_subcommands_and_flags") {
        return;
    }
    let p = plugin();
    let none = Some(Path::new(NO_CONFIG));
    let c = kubectl_complete(&p, none, &[""]);
    for sub in [
        "check",
        "explain",
        "inject",
        "uninstall",
        "cleanup",
        "completion",
    ] {
        assert!(c.values.iter().any(|v| v == sub), "{sub}: {}", c.stdout);
    }
    assert!(!c.stdout.contains("__complete"), "{}", c.stdout);
    assert_eq!(c.directive, NO_FILE_COMP);
    // Descriptions ride along after a tab, as Cobra prints them.
    assert!(
        c.stdout
            .contains("explain\tThe step-by-step injection decision"),
        "{}",
        c.stdout
    );

    assert_eq!(kubectl_complete(&p, none, &["ex"]).values, ["explain"]);
    assert_eq!(
        kubectl_complete(&p, none, &["check", "--ou"]).values,
        ["--output"]
    );
    let c = kubectl_complete(&p, none, &["explain", "-n", "web", "--con"]);
    assert_eq!(c.values, ["--context", "--config"]);
    assert_eq!(c.directive, NO_FILE_COMP);
}

#[test]
fn kubectl_completes_value_enums() {
    if !have_kubectl("kubectl_completes_value_enums") {
        return;
    }
    let p = plugin();
    let none = Some(Path::new(NO_CONFIG));
    for (words, want) in [
        (&["check", "-o", "y"][..], &["yaml"][..]),
        (&["explain", "--output=y"], &["--output=yaml"]),
        (&["inject", "--color", ""], &["auto", "always", "never"]),
        (&["check", "--mode", "m"], &["managed"]),
        (&["explain", "--compat", ""], &["current", "legacy"]),
        (&["check", "--fail-on", ""], &["error", "warning"]),
        (
            &["cleanup", "--dry-run="],
            &["--dry-run=client", "--dry-run=server"],
        ),
        (
            &["completion", ""],
            &["bash", "elvish", "fish", "powershell", "zsh"],
        ),
    ] {
        let c = kubectl_complete(&p, none, words);
        assert_eq!(c.values, want, "{words:?}");
        assert_eq!(c.directive, NO_FILE_COMP, "{words:?}");
    }
    // The formats that carry a template end with `=`, and take no space after them.
    let c = kubectl_complete(&p, none, &["check", "-o", "j"]);
    assert_eq!(c.values, ["json", "jsonpath=", "jsonpath-file="]);
    assert_eq!(c.directive, NO_FILE_COMP + 2, "NO_FILE_COMP | NO_SPACE");
    let c = kubectl_complete(&p, none, &["check", "-o", ""]);
    assert_eq!(
        c.values,
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
}

#[test]
fn files_complete_for_file_flags_only() {
    if !have_kubectl("files_complete_for_file_flags_only") {
        return;
    }
    let p = plugin();
    let none = Some(Path::new(NO_CONFIG));
    for words in [
        &["inject", "-f", ""][..],
        &["check", "--filename", "te"],
        &["explain", "--webhook", ""],
    ] {
        let c = kubectl_complete(&p, none, words);
        assert_eq!((c.values.len(), c.directive), (0, DEFAULT), "{words:?}");
    }
    for words in [
        &["check", "-l", ""][..],
        &["inject", ""],
        &["uninstall", "--name", ""],
    ] {
        let c = kubectl_complete(&p, none, words);
        assert_eq!(
            (c.values.len(), c.directive),
            (0, NO_FILE_COMP),
            "{words:?}"
        );
    }
}

fn write_kubeconfig(dir: &Path, server: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: prod\nclusters:\n- name: c1\n  cluster: {{server: \"{server}\"}}\nusers:\n- name: u1\n  user: {{token: t}}\ncontexts:\n- name: prod\n  context: {{cluster: c1, user: u1, namespace: web}}\n- name: staging\n  context: {{cluster: c1, user: u1}}\n"
    );
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}

#[test]
fn contexts_come_from_the_kubeconfig_without_a_request() {
    if !have_kubectl("contexts_come_from_the_kubeconfig_without_a_request") {
        return;
    }
    let p = plugin();
    // Port 1 refuses: a context lookup that made a request would find nothing.
    let kc = write_kubeconfig(p.dir.path(), "https://127.0.0.1:1");
    let c = kubectl_complete(&p, Some(&kc), &["check", "--context", ""]);
    assert_eq!(c.values, ["prod", "staging"]);
    assert_eq!(c.directive, NO_FILE_COMP);
    assert!(
        c.stdout.contains("prod\tcluster c1, namespace web"),
        "{}",
        c.stdout
    );
    // The kubeconfig named on the line wins over $KUBECONFIG.
    let flag = format!("--kubeconfig={}", kc.display());
    let c = kubectl_complete(
        &p,
        Some(Path::new(NO_CONFIG)),
        &["explain", &flag, "--context=s"],
    );
    assert_eq!(c.values, ["--context=staging"]);
}

/// A TCP server that accepts connections and never answers (kept open while it lives).
fn silent_server() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accept = listener.try_clone().expect("clone");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in accept.incoming().flatten() {
            let mut s = stream;
            let mut buf = [0u8; 1024];
            let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
            let _ = s.read(&mut buf);
            held.push(s);
        }
    });
    (listener, format!("https://{addr}"))
}

#[test]
fn cluster_lookups_are_silent_and_bounded_by_the_request_timeout() {
    let p = plugin();
    let (_server, url) = silent_server();
    let kc = write_kubeconfig(p.dir.path(), &url);
    let start = Instant::now();
    let out = complete_program(&p, &kc, &["check", "--request-timeout=1s", "-n", ""]);
    let took = start.elapsed();
    assert_eq!(String::from_utf8_lossy(&out.stdout), ":4\n");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "stderr must stay clean"
    );
    assert!(out.status.success());
    // One request, bounded by the 1 s timeout (generous margin for a loaded machine).
    assert!(took < Duration::from_secs(15), "took {took:?}");

    // Nothing listening: still silent; a TYPE/NAME word falls back to the types.
    let kc = write_kubeconfig(p.dir.path(), "https://127.0.0.1:1");
    let out = complete_program(&p, &kc, &["explain", "d"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "deployment/\tDeployment\ndaemonset/\tDaemonSet\n:6\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // No kubeconfig at all: silent too.
    let out = complete_program(&p, Path::new(NO_CONFIG), &["inject", "-r", ""]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), ":4\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn the_completion_program_takes_our_own_flags_as_words() {
    let p = plugin();
    let none = Path::new(NO_CONFIG);
    // `--color`, `--help` and `--version` are flags of kubectl-inject itself: after
    // `__complete` they are words to complete, never parsed.
    let out = complete_program(&p, none, &["--color", ""]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "auto\nalways\nnever\n:4\n"
    );
    let out = complete_program(&p, none, &["--he"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("--help\t"),
        "{out:?}"
    );
    let out = complete_program(&p, none, &["--version", "-V"]);
    assert!(out.status.success(), "{out:?}");
    // Called with nothing at all: the subcommands.
    let out = complete_program(&p, none, &[]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("check\t"));
}

#[test]
fn kubectls_bash_completion_completes_the_plugin() {
    if !have_kubectl("kubectls_bash_completion_completes_the_plugin") {
        return;
    }
    // kubectl's bash completion needs the bash-completion package (scripts/test-deps.sh
    // installs it), as the README says.
    let bash_completion = Path::new("/usr/share/bash-completion/bash_completion");
    if !bash_completion.is_file() {
        util::skip(
            "kubectls_bash_completion_completes_the_plugin",
            "the bash-completion package is not installed",
        );
        return;
    }
    let p = plugin();
    // What the README says: kubectl's own bash completion, the two programs on PATH.
    let script = "source /usr/share/bash-completion/bash_completion
source <(kubectl completion bash)
COMP_WORDS=(kubectl inject check -o y); COMP_CWORD=4
COMP_LINE='kubectl inject check -o y'; COMP_POINT=${#COMP_LINE}
__start_kubectl kubectl y -o
printf '%s\\n' \"${COMPREPLY[@]}\"";
    let out = Command::new("bash")
        .args(["-c", script])
        .env("PATH", &p.path)
        .env("KUBECONFIG", NO_CONFIG)
        .output()
        .expect("run bash");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "yaml\n", "{out:?}");
}

/// `completion bash` sourced into a real bash: the function it registers answers.
fn bash_completes(p: &Plugin, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "source <(kubectl-inject completion bash)
COMP_WORDS=(kubectl-inject {words}); COMP_CWORD={cword}
fn=$(complete -p kubectl-inject | sed 's/.*-F \\([^ ]*\\).*/\\1/')
$fn kubectl-inject \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"
printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = quoted.join(" "),
        cword = words.len(),
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env("PATH", &p.path)
        .output()
        .expect("run bash");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn completion_bash_script_completes_in_bash() {
    let p = plugin();
    let subs = bash_completes(&p, &[""]);
    for sub in [
        "check",
        "explain",
        "inject",
        "uninstall",
        "cleanup",
        "completion",
    ] {
        assert!(subs.iter().any(|s| s == sub), "{sub}: {subs:?}");
    }
    assert!(!subs.iter().any(|s| s.contains("__complete")), "{subs:?}");
    assert_eq!(
        bash_completes(&p, &["check", "-o", ""]),
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
    assert_eq!(bash_completes(&p, &["explain", "--mod"]), ["--mode"]);
}

#[test]
fn completion_scripts_for_every_shell_name_the_program() {
    for (shell, marker) in [
        ("bash", "complete -F _kubectl_inject"),
        ("zsh", "#compdef kubectl-inject"),
        ("fish", "complete -c kubectl-inject"),
        ("powershell", "-CommandName 'kubectl-inject'"),
        ("elvish", "edit:completion:arg-completer[kubectl-inject]"),
    ] {
        let out = util::bin()
            .args(["completion", shell])
            .output()
            .expect("runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{shell}: {out:?}");
        assert!(text.contains(marker), "{shell} script lacks {marker:?}");
        assert!(
            !text.contains("__complete"),
            "{shell} script offers __complete"
        );
        assert!(text.contains("namespace"), "{shell}");
    }
}

/// A cluster-scoped object owned by one test, deleted on drop.
struct ClusterObject(&'static str, String);

impl Drop for ClusterObject {
    fn drop(&mut self) {
        let _ = Command::new("kubectl")
            .args([
                "delete",
                self.0,
                &self.1,
                "--ignore-not-found",
                "--wait=false",
            ])
            .output();
    }
}

/// An injector webhook configuration that matches no pod (and would be ignored if it did).
fn webhook_configuration(name: &str, labels: &str) -> String {
    format!(
        "apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: {name}
  labels: {{{labels}}}
webhooks:
- name: rev.namespace.sidecar-injector.istio.io
  clientConfig:
    url: https://127.0.0.1:1/inject
  failurePolicy: Ignore
  sideEffects: None
  admissionReviewVersions: [v1]
  rules:
  - {{operations: [CREATE], apiGroups: [\"\"], apiVersions: [v1], resources: [pods]}}
  namespaceSelector:
    matchLabels: {{never: {name}}}
"
    )
}

#[test]
fn kubectl_completes_names_from_the_cluster() {
    let test = "kubectl_completes_names_from_the_cluster";
    let Some(cluster) = TestCluster::get(test) else {
        return;
    };
    if !have_kubectl(test) {
        return;
    }
    let ns = cluster.namespace("completion");
    let n = ns.name.as_str();
    cluster.kubectl_ok(&[
        "create",
        "deployment",
        "web",
        "--image=registry.invalid/web:1",
        "-n",
        n,
    ]);
    cluster.kubectl_ok(&["run", "solo", "--image=registry.invalid/solo:1", "-n", n]);
    // (The 1.20 test server has no batch/v1 CronJob: a Job instead.)
    cluster.kubectl_ok(&[
        "create",
        "job",
        "nightly",
        "--image=registry.invalid/job:1",
        "-n",
        n,
    ]);

    let p = plugin();
    let c = kubectl_complete(&p, None, &["check", "-n", ""]);
    assert!(c.values.iter().any(|v| v == n), "{n}: {}", c.stdout);
    assert!(c.values.iter().any(|v| v == "default"), "{}", c.stdout);
    assert_eq!(c.directive, NO_FILE_COMP);
    let c = kubectl_complete(&p, None, &["explain", &format!("--namespace={n}")]);
    assert_eq!(c.values, [format!("--namespace={n}")]);

    // The controllers may have made pods for the Deployment and the Job by now: those come
    // too, as pod/NAME.
    let c = kubectl_complete(&p, None, &["explain", "-n", n, ""]);
    for want in ["deployment/web", "pod/solo", "job/nightly"] {
        assert!(c.values.iter().any(|v| v == want), "{want}: {}", c.stdout);
    }
    assert!(
        c.values
            .iter()
            .all(|v| v.starts_with("pod/") || v == "deployment/web" || v == "job/nightly"),
        "{}",
        c.stdout
    );
    assert_eq!(c.directive, NO_FILE_COMP);
    let c = kubectl_complete(&p, None, &["check", "-n", n, "deploy/"]);
    assert_eq!(c.values, ["deploy/web"]);
    let c = kubectl_complete(&p, None, &["check", "-n", n, "pod/solo", "job"]);
    assert_eq!(c.values, ["job/nightly"]);
    let c = kubectl_complete(&p, None, &["explain", "-n", n, "pod/so"]);
    assert_eq!(c.values, ["pod/solo"]);
    let c = kubectl_complete(&p, None, &["check", &format!("ns/{n}")]);
    assert_eq!(c.values, [format!("ns/{n}")]);

    // Contexts from the test kubeconfig; the user without RBAC gets nothing, silently.
    let c = kubectl_complete(&p, None, &["check", "--context", ""]);
    assert!(c.values.contains(&cluster.user_context), "{}", c.stdout);
    let kubeconfig = PathBuf::from(std::env::var_os("KUBECONFIG").expect("KUBECONFIG"));
    let out = complete_program(
        &p,
        &kubeconfig,
        &["check", "--context", &cluster.user_context, "-n", ""],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), ":4\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn kubectl_completes_revisions_and_tags_from_webhook_configurations() {
    let test = "kubectl_completes_revisions_and_tags_from_webhook_configurations";
    let Some(cluster) = TestCluster::get(test) else {
        return;
    };
    if !have_kubectl(test) {
        return;
    }
    let rev = unique_name("cmprev");
    let tag = unique_name("cmptag");
    let rev_name = format!("istio-sidecar-injector-{rev}");
    let tag_name = format!("istio-revision-tag-{tag}");
    let _rev_mwc = ClusterObject("mutatingwebhookconfiguration", rev_name.clone());
    let _tag_mwc = ClusterObject("mutatingwebhookconfiguration", tag_name.clone());
    let yaml = format!(
        "{}---\n{}",
        webhook_configuration(&rev_name, &format!("istio.io/rev: {rev}")),
        webhook_configuration(
            &tag_name,
            &format!("istio.io/rev: {rev}, istio.io/tag: {tag}")
        ),
    );
    cluster.kubectl_stdin(&["create", "-f", "-"], &yaml);

    let p = plugin();
    for sub in ["check", "explain", "inject", "uninstall"] {
        let c = kubectl_complete(&p, None, &[sub, "-r", "cmp"]);
        let mut got = c.values.clone();
        got.retain(|v| *v == rev || *v == tag);
        got.sort();
        let mut want = vec![rev.clone(), tag.clone()];
        want.sort();
        assert_eq!(got, want, "{sub}: {}", c.stdout);
        assert!(
            c.stdout.contains(&format!("{tag}\trevision tag of {rev}")),
            "{}",
            c.stdout
        );
    }
}
