//! Renderer speed: time per render of Istio's stock sidecar template on a realistic pod
//! (from `../shared/` when present), and ours beside Go's (goref `-bench`) on a large
//! template of our own (`testdata/template/bench/`, Go builtins and sprig only). Target:
//! at most half of Go's time per render. Run: `cargo bench --bench render`.

// A bench reports its figures on stdout.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kubectl_inject::config::{MeshConfig, parse_values};
use kubectl_inject::template::{Template, data, json_data};

/// Renders until about `budget` has passed (at least 50 times); microseconds per render.
fn time_per_render(t: &Template, dot: &gotmpl::Value, budget: Duration) -> (f64, usize) {
    for _ in 0..20 {
        black_box(t.render(dot).unwrap());
    }
    let start = Instant::now();
    let mut n = 0;
    while n < 50 || start.elapsed() < budget {
        black_box(t.render(black_box(dot)).unwrap());
        n += 1;
    }
    (start.elapsed().as_secs_f64() * 1e6 / n as f64, n)
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stock(shared: &Path) {
    let base = shared.join("istio-testdata/istio-1.32-dev-86c9f01f");
    let source = std::fs::read_to_string(
        base.join("manifests/charts/istio-control/istio-discovery/files/injection-template.yaml"),
    )
    .unwrap();
    let values = parse_values(
        "values.json",
        &std::fs::read_to_string(base.join("rendered/default/values.json")).unwrap(),
    )
    .unwrap();
    let mesh = MeshConfig::parse(
        "mesh.yaml",
        &std::fs::read_to_string(base.join("rendered/default/mesh.yaml")).unwrap(),
    )
    .unwrap();
    let pod_yaml =
        std::fs::read_to_string(base.join("pkg/kube/inject/testdata/inject/hello-probes.yaml"))
            .unwrap();
    let deploy: serde_json::Value = serde_yaml::from_str(&pod_yaml).unwrap();
    let pod = &deploy["spec"]["template"];
    let dot = data::build(&data::TemplateInput {
        type_meta: data::TypeMeta {
            kind: "Deployment".into(),
            api_version: "apps/v1".into(),
        },
        deployment_meta: data::DeploymentMeta {
            name: "hello".into(),
            namespace: "default".into(),
            ..Default::default()
        },
        object_meta: &pod["metadata"],
        spec: &pod["spec"],
        proxy_config: &mesh.default_config,
        mesh: &mesh,
        values: &values,
        revision: String::new(),
        native_sidecars: true,
        proxy_uid: 1337,
        proxy_gid: 1337,
        compliance_policy: String::new(),
    });
    let start = Instant::now();
    let t = Template::parse("sidecar", &source).unwrap();
    let parse = start.elapsed();
    let out = t.render(&dot).unwrap();
    let (us, n) = time_per_render(&t, &dot, Duration::from_secs(2));
    println!(
        "stock injection-template.yaml on hello-probes.yaml: parse {:.3} ms; {us:.1} us/render over {n} renders ({} bytes out)",
        parse.as_secs_f64() * 1e3,
        out.len()
    );
}

fn goref() -> Option<PathBuf> {
    let p = std::env::var_os("GOREF")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(
                std::env::var_os("GOREF_CACHE")
                    .unwrap_or_else(|| "/var/cache/kubectl-inject".into()),
            )
            .join("goref")
        });
    p.is_file().then_some(p)
}

fn versus_go() {
    let dir = root().join("testdata/template/bench");
    let tmpl = dir.join("sidecar-like.tmpl");
    let data_file = dir.join("sidecar-like.json");
    let source = std::fs::read_to_string(&tmpl).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&data_file).unwrap()).unwrap();
    let dot = json_data(&json);
    let t = Template::parse("sidecar-like", &source).unwrap();
    let ours_out = t.render(&dot).unwrap();
    let (ours, n) = time_per_render(&t, &dot, Duration::from_secs(3));
    println!(
        "sidecar-like.tmpl ({} lines, {} bytes out): ours {ours:.1} us/render over {n} renders",
        source.lines().count(),
        ours_out.len()
    );
    let Some(goref) = goref() else {
        println!("goref not found (scripts/goref.sh builds it): Go's figure skipped");
        return;
    };
    let go_n = n.max(1000);
    let out = Command::new(goref)
        .args(["render", "-bench", &go_n.to_string()])
        .arg(&tmpl)
        .arg(&data_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        ours_out,
        "goref renders the bench template differently"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let go = stderr
        .split('(')
        .nth(1)
        .and_then(|s| s.split(" us/render").next())
        .and_then(|s| s.trim().parse::<f64>().ok());
    match go {
        Some(go) => println!(
            "sidecar-like.tmpl: Go {go:.1} us/render over {go_n} renders; ours/Go = {:.2} (target <= 0.50: {})",
            ours / go,
            if ours <= go / 2.0 { "met" } else { "NOT met" }
        ),
        None => println!("could not read goref's figure: {}", stderr.trim()),
    }
}

fn main() {
    let shared = root().join("../shared");
    if shared.is_dir() {
        stock(&shared);
    } else {
        println!("../shared/ not present: the stock template figure is skipped");
    }
    versus_go();
}
