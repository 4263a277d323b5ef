//! No silent flags: each combination that used to be accepted and then do nothing is
//! refused with what is wrong (exit 2, nothing on stdout, nothing read or written). One row
//! per combination; offline, on `testdata/examples/` (no kubeconfig: a refused line never
//! reaches for a cluster).

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use crate::util;

/// (arguments, the first line of stderr, the line after it when it says more).
const REFUSED: &[(&[&str], &str, &str)] = &[
    // The issue's own examples.
    (
        &["cleanup", "-f", "app.yaml", "-n", "web", "--restart"],
        "error: the argument '--filename <FILE>' cannot be used with '--restart'",
        "",
    ),
    (
        &["check", "--fail-on", "warning"],
        "error: the following required arguments were not provided:",
        "  --injector",
    ),
    (
        &["inject", "-f", "app.yaml", "--template", "my-template.yaml"],
        "error: the following required arguments were not provided:",
        "  --render-only",
    ),
    (
        &["explain", "-f", "pod.yaml", "-o", "wide"],
        "error: invalid value 'wide' for '--output <FORMAT>': this command has no wide output; it prints table, json, yaml, name, jsonpath=, jsonpath-file=",
        "",
    ),
    // cleanup
    (
        &["cleanup", "-f", "app.yaml", "-n", "web"],
        "error: -n/-A: cleanup -f strips the manifests given, whatever their namespace; without -f it cleans the cluster's namespaces",
        "",
    ),
    (
        &["cleanup", "-f", "app.yaml", "-y"],
        "error: the argument '--filename <FILE>' cannot be used with '--yes'",
        "",
    ),
    (
        &["cleanup", "-f", "app.yaml", "-l", "app=web"],
        "error: the argument '--filename <FILE>' cannot be used with '--selector <SELECTOR>'",
        "",
    ),
    (
        &["cleanup", "-f", "app.yaml", "--dry-run"],
        "error: --dry-run with -f: without -i nothing is written anyway (the stripped manifests are printed)",
        "",
    ),
    (
        &["cleanup", "-f", "app.yaml", "-o", "name"],
        "error: -o name: with -f, -o picks the format of the stripped manifests (yaml, the default, or json; with -i, of the report)",
        "",
    ),
    (
        &["cleanup", "-f", "app.yaml", "--sort-by", ".name"],
        "error: --no-headers/--sort-by: cleanup -f prints manifests, not a table",
        "",
    ),
    (
        &["cleanup", "-f", "app.yaml", "--context", "prod"],
        "error: --context: cleanup -f never reads the cluster",
        "",
    ),
    (
        &["cleanup", "-l", "team=web", "-n", "web"],
        "error: the argument '--selector <SELECTOR>' cannot be used with '--namespace <NS>'",
        "",
    ),
    (
        &["cleanup", "-i"],
        "error: the following required arguments were not provided:",
        "  --filename <FILE>",
    ),
    (
        &["cleanup", "-n", "web", "-o", "json", "--no-headers"],
        "error: --no-headers: -o json prints no table (tables: the default, wide, custom-columns)",
        "",
    ),
    // check
    (
        &["check", "-f", "app.yaml", "-A"],
        "error: -A/--all-namespaces reads every namespace of the cluster; with -f the objects' own namespaces are used (-n sets the namespace of those without one)",
        "",
    ),
    (
        &["check", "--offline"],
        "error: --offline decides on -f input without reading the cluster; without -f, check reads the cluster",
        "",
    ),
    (
        &["check", "-f", "app.yaml", "--offline", "--context", "prod"],
        "error: the argument '--offline' cannot be used with '--context <NAME>'",
        "",
    ),
    (
        &["check", "-f", "app.yaml", "--offline", "-v", "6"],
        "error: the argument '--offline' cannot be used with '--v <N>'",
        "",
    ),
    (
        &["check", "--injector", "-f", "app.yaml"],
        "error: the argument '--injector' cannot be used with '--filename <FILE>'",
        "",
    ),
    (
        &["check", "--injector", "--expect", "inject"],
        "error: the argument '--injector' cannot be used with '--expect <ANSWER>'",
        "",
    ),
    (
        &["check", "--injector", "--mode", "managed"],
        "error: the argument '--injector' cannot be used with '--mode <MODE>'",
        "",
    ),
    (
        &["check", "--injector", "-n", "web"],
        "error: the argument '--injector' cannot be used with '--namespace <NS>'",
        "",
    ),
    (
        &["check", "--injector", "--istio-namespace", "mesh"],
        "error: the argument '--injector' cannot be used with '--istio-namespace <NS>'",
        "",
    ),
    (
        &["check", "--injector", "-o", "wide"],
        "error: -o wide: --injector prints its checks as text (the default), json, yaml, jsonpath or sarif",
        "",
    ),
    (
        &["check", "-f", "app.yaml", "-o", "json", "--no-headers"],
        "error: --no-headers: -o json prints no table (tables: the default, wide, custom-columns)",
        "",
    ),
    (
        &["check", "-f", "app.yaml", "-o", "name", "-L", "app"],
        "error: -L/--label-columns: label columns go on check's own tables (the default, wide); -o name prints none",
        "",
    ),
    (
        &[
            "check",
            "-f",
            "app.yaml",
            "-o",
            "custom-columns=NAME:.name",
            "--show-labels",
        ],
        "error: --show-labels: label columns go on check's own tables (the default, wide); -o custom-columns=… prints none",
        "",
    ),
    (
        &["check", "-R"],
        "error: the following required arguments were not provided:",
        "  --filename <FILE>",
    ),
    // explain
    (
        &["explain", "-f", "pod.yaml", "-A"],
        "error: -A/--all-namespaces: explain looks at one object; name its namespace with -n",
        "",
    ),
    (
        &["explain", "deploy/web", "--offline"],
        "error: --offline decides on -f input without reading the cluster; without -f, explain reads the object from the cluster",
        "",
    ),
    // inject
    (
        &["inject", "-f", "app.yaml", "-n", "web"],
        "error: -n/--namespace: inject keeps each object's own namespace; -n is the namespace of the template data with --render-only",
        "",
    ),
    (
        &["inject", "-f", "app.yaml", "-A"],
        "error: -A/--all-namespaces: inject reads no workloads from the cluster",
        "",
    ),
    (
        &[
            "inject",
            "-f",
            "app.yaml",
            "--injectConfigFile",
            "config.yaml",
            "--context",
            "prod",
        ],
        "error: --context: the cluster's configuration is not read when --injectConfigFile is given",
        "",
    ),
    (
        &[
            "inject",
            "-f",
            "app.yaml",
            "--valuesFile",
            "values.json",
            "--istio-namespace",
            "mesh",
        ],
        "error: --istio-namespace: the cluster's configuration is not read when --valuesFile is given",
        "",
    ),
    (
        &[
            "inject",
            "-f",
            "app.yaml",
            "--ignore-cluster",
            "--kubeconfig",
            "kc",
        ],
        "error: the argument '--ignore-cluster' cannot be used with '--kubeconfig <PATH>'",
        "",
    ),
    (
        &[
            "inject",
            "-f",
            "app.yaml",
            "--ignore-cluster",
            "--istio-namespace",
            "mesh",
        ],
        "error: --istio-namespace: --ignore-cluster never reads the cluster",
        "",
    ),
    (
        &[
            "inject",
            "--render-only",
            "--template",
            "my-template.yaml",
            "--context",
            "prod",
        ],
        "error: --context: --render-only never reads the cluster",
        "",
    ),
    (
        &[
            "inject",
            "--render-only",
            "--template",
            "my-template.yaml",
            "-o",
            "json",
        ],
        "error: the argument '--render-only' cannot be used with '--output <FORMAT>'",
        "",
    ),
    (
        &["inject", "-f", "app.yaml", "-i", "-o", "json"],
        "error: the argument '--in-place' cannot be used with '--output <FORMAT>'",
        "",
    ),
    (
        &[
            "inject",
            "--admission-review",
            "review.json",
            "-f",
            "app.yaml",
        ],
        "error: the argument '--admission-review <FILE>' cannot be used with '--filename <FILE>'",
        "",
    ),
    (
        &["inject", "--admission-review", "review.json", "-o", "yaml"],
        "error: the argument '--admission-review <FILE>' cannot be used with '--output <FORMAT>'",
        "",
    ),
    (
        &["inject", "--data", "data.json", "-f", "app.yaml"],
        "error: the following required arguments were not provided:",
        "  --template <FILE>",
    ),
    // uninstall, verify
    (
        &["uninstall", "-n", "istio-system"],
        "error: -n/-A: uninstall removes the injector from --istio-namespace and the cluster-wide objects; name the control-plane namespace with --istio-namespace",
        "",
    ),
    (
        &["uninstall", "-o", "yaml", "--no-headers"],
        "error: --no-headers: -o yaml prints no table (tables: the default, wide, custom-columns)",
        "",
    ),
    (
        &["verify", "deploy/web", "-A"],
        "error: -A/--all-namespaces: verify sends one namespace's pods (-n, or each object's own with -f)",
        "",
    ),
];

#[test]
fn every_silent_combination_is_refused() {
    let mut failures = Vec::new();
    for (args, first, second) in REFUSED {
        let out = util::bin()
            .current_dir(util::testdata("examples"))
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut lines = stderr.lines();
        let got = (
            out.status.code(),
            out.stdout.is_empty(),
            lines.next().unwrap_or(""),
            if second.is_empty() {
                ""
            } else {
                lines.next().unwrap_or("")
            },
        );
        if got != (Some(2), true, *first, *second) {
            failures.push(format!("{args:?}: {got:?}\n{stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// kubectl's rule: with -f and -n, an object of another namespace is an error (it was
/// listed beside the others); objects without a namespace are in -n's.
#[test]
fn a_namespace_that_contradicts_the_file_is_refused_as_kubectl_does() {
    for command in ["check", "explain"] {
        let out = util::bin()
            .current_dir(util::testdata("examples"))
            .args([command, "-f", "app.yaml", "-n", "web"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}");
        assert!(out.stdout.is_empty(), "{command}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "error: the namespace from the provided object \"shop\" does not match the namespace \"web\". You must pass '--namespace=shop' to perform this operation.\n\nhint: app.yaml: document 2 (Deployment shop/web) sets metadata.namespace; drop -n to take every object in its own namespace\n",
            "{command}"
        );
    }
    // The same namespace, or objects without one, are fine.
    let out = util::bin()
        .current_dir(util::testdata("examples"))
        .args(["check", "-f", "app.yaml", "-n", "shop", "-o", "name"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "deployment.apps/web\ncronjob.batch/report\n"
    );
    let out = util::bin()
        .args(["check", "-n", "web", "-o", "jsonpath={.items[*].namespace}", "-f", "-"])
        .write_stdin("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: a, image: b}]}\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "web");
}
