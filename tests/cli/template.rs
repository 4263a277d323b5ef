//! Tests of `template` through the real binary (`inject --render-only`):
//!
//! - the differential suite: every `testdata/template/cases/*.tmpl` rendered by us and by
//!   goref (Go's own text/template + sprig 3), compared byte for byte (both must fail for
//!   error cases);
//! - the stock Istio templates read in place from `../shared/`: all 8 parse, and the
//!   pod-injection ones render unchanged on the golden suite's inputs and configurations,
//!   matching the goldens' sidecar containers where injection's post-processing does not
//!   touch them;
//! - the CLI contract: exact stdout, exit 2 with a positioned error.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{golden, util};

/// goref: `$GOREF`, else `${GOREF_CACHE:-/var/cache/kubectl-inject}/goref` (built by
/// `scripts/goref.sh`). `None` (after saying "skipped") when absent outside CI.
fn goref(test: &str) -> Option<PathBuf> {
    let path = match std::env::var_os("GOREF") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(
            std::env::var_os("GOREF_CACHE").unwrap_or_else(|| "/var/cache/kubectl-inject".into()),
        )
        .join("goref"),
    };
    if path.is_file() {
        return Some(path);
    }
    util::skip(
        test,
        &format!(
            "goref not found at {} (build it with scripts/goref.sh)",
            path.display()
        ),
    );
    None
}

fn cases() -> Vec<(PathBuf, PathBuf)> {
    let dir = util::testdata("template/cases");
    let mut out: Vec<(PathBuf, PathBuf)> = std::fs::read_dir(&dir)
        .expect("testdata/template/cases")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tmpl"))
        .map(|t| {
            let d = t.with_extension("json");
            let d = if d.is_file() {
                d
            } else {
                dir.join("_default.json")
            };
            (t, d)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn differential_against_go_text_template() {
    let Some(goref) = goref("differential_against_go_text_template") else {
        return;
    };
    let mut mismatches = Vec::new();
    let cases = cases();
    assert!(cases.len() >= 80, "the suite lost cases: {}", cases.len());
    let (mut outputs, mut errors) = (0, 0);
    for (tmpl, data) in &cases {
        let ours = util::bin()
            .args(["inject", "--render-only", "--template"])
            .arg(tmpl)
            .arg("--data")
            .arg(data)
            .output()
            .expect("runs kubectl-inject");
        let go = Command::new(&goref)
            .arg("render")
            .arg(tmpl)
            .arg(data)
            .output()
            .expect("runs goref");
        let name = tmpl.file_name().unwrap_or_default().to_string_lossy();
        match (ours.status.success(), go.status.success()) {
            (true, true) if ours.stdout == go.stdout => outputs += 1,
            (true, true) => mismatches.push(
                golden::mismatch(
                    &format!("goref's output for {name}"),
                    &String::from_utf8_lossy(&go.stdout),
                    &String::from_utf8_lossy(&ours.stdout),
                )
                .unwrap_or_else(|| {
                    format!("{name}: the outputs differ in bytes that are not UTF-8")
                }),
            ),
            (false, false) => {
                assert_eq!(ours.status.code(), Some(2), "{name}: errors exit 2");
                for r in util::repeated_causes(&String::from_utf8_lossy(&ours.stderr)) {
                    mismatches.push(format!("{name}: error chain: {r}"));
                }
                // Failing alike means in the same phase, and only where a failure is the
                // point of the case.
                let go_parse = String::from_utf8_lossy(&go.stderr).starts_with("PARSE ERROR");
                let ours_parse =
                    String::from_utf8_lossy(&ours.stderr).contains("parsing the template");
                let expected = name.contains("_error") || name.starts_with("parse_");
                if go_parse != ours_parse || !expected {
                    mismatches.push(format!(
                        "{name}: both fail, but go parse error: {go_parse}, ours: {ours_parse}, case expects an error: {expected}\n  ours: {}\n  go:   {}",
                        String::from_utf8_lossy(&ours.stderr).trim(),
                        String::from_utf8_lossy(&go.stderr).trim(),
                    ));
                } else {
                    errors += 1;
                }
            }
            _ => mismatches.push(format!(
                "{name}:\n  ours ({}): {:?} {}\n  go   ({}): {:?} {}",
                ours.status,
                String::from_utf8_lossy(&ours.stdout),
                String::from_utf8_lossy(&ours.stderr).trim(),
                go.status,
                String::from_utf8_lossy(&go.stdout),
                String::from_utf8_lossy(&go.stderr).trim(),
            )),
        }
    }
    eprintln!(
        "differential: compared {} cases with goref: {outputs} identical outputs, {errors} errors on both sides, {} mismatches",
        cases.len(),
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

const STOCK: &str = "istio-testdata/istio-1.32-dev-86c9f01f";

fn stock_files(shared: &Path) -> PathBuf {
    shared
        .join(STOCK)
        .join("manifests/charts/istio-control/istio-discovery/files")
}

#[test]
fn every_stock_template_parses() {
    let Some(shared) = util::shared("every_stock_template_parses") else {
        return;
    };
    let files = stock_files(&shared);
    let names = [
        "injection-template.yaml",
        "gateway-injection-template.yaml",
        "grpc-agent.yaml",
        "grpc-simple.yaml",
        "waypoint.yaml",
        "kube-gateway.yaml",
        "agentgateway.yaml",
        "agentgateway-waypoint.yaml",
    ];
    for name in names {
        let source = util::read(&files.join(name));
        if let Err(e) = kubectl_inject::template::Template::parse(name, &source) {
            panic!("{name} does not parse: {e}");
        }
    }
}

/// The containers a template rendered, field by field as the template wrote them
/// (`image`, `args`, `ports`, `volumeMounts`, `env`), and the same fields of the same
/// containers in a golden pod spec, with what injection's post-processing changes taken
/// out: env entries whose value is `""` lose the value (typed re-marshalling), env is
/// compared in name order (`ISTIO_META_NETWORK`/`CLUSTER_ID` overrides move to the end),
/// and `ISTIO_KUBE_APP_PROBERS` is added by probe rewriting.
fn containers(
    spec: &serde_yaml::Value,
    like: Option<&[(String, Vec<String>)]>,
) -> Vec<(String, serde_yaml::Value)> {
    let mut out = Vec::new();
    for key in ["initContainers", "containers"] {
        for c in spec
            .get(key)
            .and_then(|v| v.as_sequence())
            .into_iter()
            .flatten()
        {
            let name = c.get("name").and_then(|n| n.as_str()).unwrap_or("");
            let fields: Vec<String> = match like {
                None => ["image", "args", "ports", "volumeMounts", "env"]
                    .iter()
                    .filter(|f| c.get(**f).is_some())
                    .map(|f| f.to_string())
                    .collect(),
                Some(l) => match l.iter().find(|(n, _)| n == name) {
                    Some((_, f)) => f.clone(),
                    None => continue,
                },
            };
            let mut kept = serde_yaml::Mapping::new();
            for field in &fields {
                let mut v = c.get(field.as_str()).cloned().unwrap_or_default();
                if field == "env" {
                    let mut env: Vec<serde_yaml::Value> = v
                        .as_sequence()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|e| {
                            e.get("name").and_then(|n| n.as_str()) != Some("ISTIO_KUBE_APP_PROBERS")
                        })
                        .map(|mut e| {
                            if let Some(m) = e.as_mapping_mut()
                                && m.get("value").and_then(|v| v.as_str()) == Some("")
                            {
                                m.remove("value");
                            }
                            e
                        })
                        .collect();
                    env.sort_by_key(|e| serde_yaml::to_string(e).unwrap_or_default());
                    v = serde_yaml::Value::Sequence(env);
                }
                kept.insert(field.as_str().into(), v);
            }
            out.push((name.to_string(), serde_yaml::Value::Mapping(kept)));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// (template, input, golden, rendered config, mesh file instead of the config's, native sidecars)
type GoldenCase<'a> = (&'a str, &'a str, &'a str, &'a str, Option<&'a Path>, bool);

#[test]
fn stock_pod_templates_render_like_istio_on_the_golden_inputs() {
    let Some(shared) = util::shared("stock_pod_templates_render_like_istio_on_the_golden_inputs")
    else {
        return;
    };
    let root = shared.join(STOCK);
    let files = stock_files(&shared);
    let inputs = root.join("pkg/kube/inject/testdata/inject");
    let tmp = tempfile::tempdir().expect("tempdir");
    // The golden suite's mesh patches (cases.json `mesh_patch`) over the default mesh: the
    // templates read interception mode through `.ProxyConfig.InterceptionMode` and
    // `.ProxyConfig.InterceptionMode.String`, and PROXY_CONFIG through `protoToJSON`.
    let patched_mesh = |file: &str, field: &str, value: &str| {
        let path = tmp.path().join(file);
        let mut mesh: serde_yaml::Value =
            serde_yaml::from_str(&util::read(&root.join("rendered/default/mesh.yaml"))).unwrap();
        mesh["defaultConfig"][field] = value.into();
        std::fs::write(&path, serde_yaml::to_string(&mesh).unwrap()).unwrap();
        path
    };
    let tproxy_mesh = patched_mesh("mesh-tproxy.yaml", "interceptionMode", "TPROXY");
    let drain_mesh = patched_mesh("mesh-drain.yaml", "drainDuration", "23s");

    let cases: &[GoldenCase] = &[
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello.yaml.injected",
            "default",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello-old-version.yaml.injected",
            "default",
            None,
            false,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello-tproxy.yaml.injected",
            "default",
            Some(&tproxy_mesh),
            true,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello.yaml.cni.injected",
            "cni-network1",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello.yaml.proxyImageName.injected",
            "proxy-image",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello.yaml.proxyInitImageName.injected",
            "proxy-init-image",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello-always.yaml.injected",
            "pull-always",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello-never.yaml.injected",
            "pull-never",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello-mount-mtls-certs.yaml.injected",
            "mount-mtls-certs",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello-cncf-networks.yaml.injected",
            "cni-multus",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "hello.yaml",
            "hello.proxyHoldsApplication.yaml.injected",
            "hold-app",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "traffic-annotations.yaml",
            "traffic-annotations.yaml.injected",
            "default",
            None,
            true,
        ),
        (
            "injection-template.yaml",
            "format-duration.yaml",
            "format-duration.yaml.injected",
            "default",
            Some(&drain_mesh),
            true,
        ),
        (
            "gateway-injection-template.yaml",
            "gateway.yaml",
            "gateway.yaml.injected",
            "default",
            None,
            true,
        ),
        (
            "grpc-agent.yaml",
            "grpc-agent.yaml",
            "grpc-agent.yaml.injected",
            "default",
            None,
            true,
        ),
        (
            "grpc-simple.yaml",
            "grpc-simple.yaml",
            "grpc-simple.yaml.injected",
            "default",
            None,
            true,
        ),
    ];
    for (template, input, golden, config, mesh_override, native) in cases {
        let config_dir = root.join("rendered").join(config);
        let mesh_file =
            mesh_override.map_or_else(|| config_dir.join("mesh.yaml"), Path::to_path_buf);
        let out = util::bin()
            .args(["inject", "--render-only", "--template"])
            .arg(files.join(template))
            .arg("-f")
            .arg(inputs.join(input))
            .arg("--valuesFile")
            .arg(config_dir.join("values.json"))
            .arg("--meshConfigFile")
            .arg(&mesh_file)
            .arg("--native-sidecars")
            .arg(native.to_string())
            .output()
            .expect("runs kubectl-inject");
        assert!(
            out.status.success(),
            "{template} on {input}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rendered: serde_yaml::Value = serde_yaml::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{template} on {input}: output is not YAML: {e}"));
        let ours = containers(&rendered["spec"], None);
        let want_doc = serde_yaml::Deserializer::from_str(&util::read(&inputs.join(golden)))
            .map(|d| serde_yaml::Value::deserialize(d).expect("golden YAML"))
            .find(|d| d.get("kind").is_some())
            .expect("a golden document");
        let pod_spec = match want_doc["kind"].as_str() {
            Some("Pod") => &want_doc["spec"],
            _ => &want_doc["spec"]["template"]["spec"],
        };
        let shape: Vec<(String, Vec<String>)> = ours
            .iter()
            .map(|(n, m)| {
                let fields = m
                    .as_mapping()
                    .map(|m| {
                        m.keys()
                            .filter_map(|k| k.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                (n.clone(), fields)
            })
            .collect();
        assert!(
            !ours.is_empty(),
            "{template} on {input}: no containers rendered"
        );
        let want = containers(pod_spec, Some(&shape));
        golden::assert_values(
            &format!("{golden}'s containers ({template} on {input}, {config})"),
            &want,
            &ours,
        );
    }
}

use serde::Deserialize as _;

#[test]
fn render_only_prints_exactly_the_template_output() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.tmpl");
    let d = dir.path().join("d.json");
    std::fs::write(&t, "{{ .a }}|{{ .b }}|{{ .c | quote }}\n\n").unwrap();
    std::fs::write(&d, r#"{"a": 1000000, "b": 1000000.0, "c": "x"}"#).unwrap();
    let out = util::bin()
        .args(["inject", "--render-only", "--template"])
        .arg(&t)
        .arg("--data")
        .arg(&d)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "1000000|1e+06|\"x\"\n\n"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn render_only_errors_exit_2_naming_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("bad.tmpl");
    let d = dir.path().join("d.json");
    std::fs::write(&t, "ok: 1\nbad: {{ .x.y }}\n").unwrap();
    std::fs::write(&d, r#"{"x": null}"#).unwrap();
    let out = util::bin()
        .args(["inject", "--render-only", "--template"])
        .arg(&t)
        .arg("--data")
        .arg(&d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing half-written");
    let err = String::from_utf8(out.stderr).unwrap();
    let want = format!(
        "error: rendering the template\n  Caused by: template {}: line 2, column 9: executing: nil pointer evaluating interface {{}}.y\n  |\n2 | bad: {{{{ .x.y }}}}\n  |         ^\n",
        t.display()
    );
    assert_eq!(err, want);

    std::fs::write(&t, "{{ if .x }}\n").unwrap();
    let out = util::bin()
        .args(["inject", "--render-only", "--template"])
        .arg(&t)
        .arg("--data")
        .arg(&d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!(
            "error: parsing the template\n  Caused by: template {}: line 2, column 1: unexpected EOF",
            t.display()
        )),
        "{err}"
    );
}

#[test]
fn render_only_without_data_or_workload_says_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.tmpl");
    std::fs::write(&t, "x").unwrap();
    let svc = dir.path().join("svc.yaml");
    std::fs::write(&svc, "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n").unwrap();
    let out = util::bin()
        .args(["inject", "--render-only", "--template"])
        .arg(&t)
        .arg("-f")
        .arg(&svc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: no pod or workload in the -f input to build the template data from\n\nhint: give a manifest with -f, or the dot itself with --data FILE.json\n"
    );
}

#[test]
fn render_only_builds_sidecar_data_from_a_pod() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.tmpl");
    std::fs::write(
        &t,
        "{{ .TypeMeta.Kind }} {{ .DeploymentMeta.Name }} {{ .Spec.HostNetwork }} {{ range .Spec.Containers }}{{ range .Ports }}{{ structToJSON . }}{{ end }}{{ end }} {{ .ProxyConfig.InterceptionMode.String }} {{ .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue | default false }} {{ index .ObjectMeta.Annotations \"none\" | quote }} {{ .MeshConfig.ProxyListenPort }} {{ .ProxyImage }} {{ .Values.global.big }}",
    )
    .unwrap();
    let pod = dir.path().join("pod.yaml");
    std::fs::write(
        &pod,
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata:\n      annotations: {proxy.istio.io/config: '{interceptionMode: TPROXY}'}\n    spec:\n      containers:\n      - name: app\n        ports: [{containerPort: 80, name: http}]\n",
    )
    .unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(&values, "global: {hub: h, tag: 1.0, big: 1000000}\n").unwrap();
    let out = util::bin()
        .args(["inject", "--render-only", "--template"])
        .arg(&t)
        .arg("-f")
        .arg(&pod)
        .arg("--valuesFile")
        .arg(&values)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        r#"Deployment web false {"name":"http","containerPort":80} TPROXY false "" 15001 h/proxyv2:1 1e+06"#
    );
}

#[test]
fn legacy_templates_parse_with_the_legacy_function_map() {
    let Some(shared) = util::shared("legacy_templates_parse_with_the_legacy_function_map") else {
        return;
    };
    let legacy = shared.join("istio-testdata/legacy");
    for rel in [
        "1.4.0/install/kubernetes/helm/istio/files/injection-template.yaml",
        "1.5.0/manifests/istio-control/istio-discovery/files/injection-template.yaml",
    ] {
        let source = util::read(&legacy.join(rel));
        // `render` exists only in the legacy map (Istio ≤ 1.13).
        let current = kubectl_inject::template::Template::parse(rel, &source).unwrap_err();
        assert!(
            current
                .to_string()
                .contains(r#"function "render" not defined"#),
            "{rel}: {current}"
        );
        let t = kubectl_inject::template::Template::parse_legacy(rel, &source)
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        // It runs over SidecarTemplateData-shaped data with the old chart's values it reads
        // (Istio 1.4/1.5 value names; numbers float64 as Istio reads them).
        let legacy_values = kubectl_inject::config::parse_values(
            "legacy values",
            r#"{"global": {"hub": "docker.io/istio", "tag": "1.5.0", "imagePullPolicy": "IfNotPresent",
                "proxy": {"image": "proxyv2", "statusPort": 15020, "tracer": "zipkin", "logLevel": "warning",
                  "componentLogLevel": "misc:error", "includeIPRanges": "*", "excludeIPRanges": "",
                  "excludeInboundPorts": "", "includeInboundPorts": "*", "excludeOutboundPorts": "",
                  "clusterDomain": "cluster.local", "readinessInitialDelaySeconds": 1,
                  "readinessPeriodSeconds": 2, "readinessFailureThreshold": 30, "privileged": false,
                  "enableCoreDump": false, "resources": {"requests": {"cpu": "100m"}}, "envoyStatsd": {}},
                "proxy_init": {"image": "proxyv2", "resources": {}},
                "podDNSSearchNamespaces": ["global", "{{ .DeploymentMeta.Namespace }}.global"],
                "sds": {"enabled": false}, "trustDomain": "", "meshID": "", "network": "", "jwtPolicy": "third-party-jwt",
                "pilotCertProvider": "istiod", "controlPlaneSecurityEnabled": true, "mtls": {"enabled": false},
                "tracer": {"lightstep": {}, "zipkin": {}, "datadog": {}, "stackdriver": {}},
                "multiCluster": {"clusterName": ""}, "logging": {"level": "default:info"}, "istiod": {"enabled": true},
                "imagePullSecrets": [], "mountMtlsCerts": false, "caAddress": ""},
              "istio_cni": {"enabled": false}, "sidecarInjectorWebhook": {"rewriteAppHTTPProbe": false},
              "revision": ""}"#,
        )
        .unwrap();
        let mesh = kubectl_inject::config::MeshConfig::default();
        let dot = kubectl_inject::template::data::build(
            &kubectl_inject::template::data::TemplateInput {
                type_meta: Default::default(),
                deployment_meta: kubectl_inject::template::data::DeploymentMeta {
                    name: "p".into(),
                    namespace: "shop".into(),
                    ..Default::default()
                },
                object_meta: &serde_json::json!({"name": "p", "annotations": {"sidecar.istio.io/userVolume": "[]"}}),
                spec: &serde_json::json!({"containers": [{"name": "app", "ports": [{"containerPort": 80}]}]}),
                proxy_config: &mesh.default_config,
                mesh: &mesh,
                values: &legacy_values,
                revision: String::new(),
                native_sidecars: false,
                proxy_uid: 1337,
                proxy_gid: 1337,
                compliance_policy: String::new(),
            },
        );
        let out = t
            .render(&kubectl_inject::template::data::legacy_view(&dot))
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(
            out.contains("image: \"docker.io/istio/proxyv2:1.5.0\""),
            "{rel}"
        );
        // `render` expanded the value `{{ .DeploymentMeta.Namespace }}.global`.
        assert!(out.contains("- shop.global\n"), "{rel}");
    }
}

#[test]
fn render_only_takes_a_template_by_name_from_the_injector_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(
        &cfg,
        "policy: enabled\ntemplates:\n  hello: |\n    kind={{ .TypeMeta.Kind }}\n",
    )
    .unwrap();
    let pod = dir.path().join("pod.yaml");
    std::fs::write(
        &pod,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: app, image: x}]}\n",
    )
    .unwrap();
    let run = |name: &str| {
        util::bin()
            .current_dir(dir.path())
            .args([
                "inject",
                "--render-only",
                "--template",
                name,
                "--injectConfigFile",
            ])
            .arg(&cfg)
            .arg("-f")
            .arg(&pod)
            .output()
            .unwrap()
    };
    let out = run("hello");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "kind=Pod\n");
    let out = run("nope");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "error: no template file nope, and {0} has no template named nope\n\nhint: templates in {0}: hello\n",
            cfg.display()
        )
    );
}

/// `--render-only` renders over the very data `inject` builds: the embedded default's values
/// (hub and tag), the workload's name from its object, the mesh — not a second, emptier
/// copy of it. Its output is the sidecar template's text that `inject` then merges.
#[test]
fn render_only_builds_the_data_inject_builds() {
    let rendered = util::bin()
        .args(["inject", "--ignore-cluster", "--render-only", "--template"])
        .arg(util::root().join("src/config/default/sidecar.tmpl"))
        .arg("-f")
        .arg(util::testdata("sample/app.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        rendered.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let rendered = String::from_utf8_lossy(&rendered.stdout).into_owned();
    let injected = util::bin()
        .args(["inject", "--ignore-cluster", "-f"])
        .arg(util::testdata("sample/app.yaml"))
        .output()
        .unwrap();
    let injected = String::from_utf8_lossy(&injected.stdout).into_owned();
    let image = "docker.io/istio/proxyv2:1.27.0";
    assert!(
        rendered.contains(&format!("image: \"{image}\"")),
        "{rendered}"
    );
    assert!(injected.contains(&format!("image: {image}")), "{injected}");
    // The first workload's own name reaches the template (its canonical-name label).
    let first_name = injected
        .lines()
        .find_map(|l| l.trim().strip_prefix("service.istio.io/canonical-name: "))
        .expect("inject writes the canonical name");
    assert!(
        rendered.contains(&format!("service.istio.io/canonical-name: {first_name}"))
            || rendered.contains(&format!(
                "service.istio.io/canonical-name: \"{first_name}\""
            )),
        "{first_name}: {rendered}"
    );
}
