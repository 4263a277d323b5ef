//! Reading a rendered sidecar template: serde_yaml beside `yaml::fast`, in µs per parse.
//!
//! The texts are what the stock sidecar template renders (the `rendered/default`
//! configuration of Istio's golden suite, read in place from `../shared/`) for a few of the
//! suite's Deployments; without `../shared/`, the embedded default configuration on the
//! sample app. Each text is checked to take the fast path and agree with serde_yaml before
//! it is timed; figures are the best of interleaved rounds (the machine is shared). Also
//! printed: cloning and dropping the same Value, a floor under any reader that builds it.
//! Target: the fast reader at least 5× serde_yaml. Run: `cargo bench --bench yaml_parse`.

// A bench reports its figures on stdout.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kubectl_inject::inject::engine::{ConfigSource, Setup};
use kubectl_inject::inject::{Engine, Owner, RenderInput};
use kubectl_inject::manifest::parse_documents;
use kubectl_inject::yaml::fast;
use serde_json::Value;

const SUITE: &str = "istio-testdata/istio-1.32-dev-86c9f01f";
const INPUTS: [&str; 4] = [
    "hello.yaml",
    "hello-probes.yaml",
    "user-volume.yaml",
    "multi-container.yaml",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The engine and the Deployments to render for.
fn sources() -> (Setup, Vec<(String, Value)>) {
    let shared = root().join("..").join("shared").join(SUITE);
    let read = |p: &Path| (p.display().to_string(), std::fs::read_to_string(p).unwrap());
    let (src, files) = if shared.is_dir() {
        let config = shared.join("rendered/default");
        let inputs = shared.join("pkg/kube/inject/testdata/inject");
        (
            ConfigSource {
                inject_config: Some(read(&config.join("config.yaml"))),
                values: Some(read(&config.join("values.json"))),
                mesh: Some(read(&config.join("mesh.yaml"))),
                ..ConfigSource::default()
            },
            INPUTS.iter().map(|f| inputs.join(f)).collect::<Vec<_>>(),
        )
    } else {
        (
            ConfigSource::default(),
            vec![root().join("testdata/sample/app.yaml")],
        )
    };
    let mut deployments = Vec::new();
    for f in &files {
        let (name, text) = read(f);
        for doc in parse_documents(&name, &text).unwrap() {
            if doc.kind() == "Deployment" {
                let label = f.file_name().unwrap().to_string_lossy().into_owned();
                deployments.push((label, doc.value));
            }
        }
    }
    (Setup::load(src).expect("configuration loads"), deployments)
}

fn render(setup: &Setup, deployment: &Value) -> String {
    let owner = Owner {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: deployment["metadata"]["name"].as_str().unwrap().into(),
        namespace: "default".into(),
        ..Default::default()
    };
    let input = RenderInput {
        owner: &owner,
        pod: &deployment["spec"]["template"],
        native_sidecars: false,
        revision: "",
    };
    setup
        .render("sidecar", &input)
        .expect("the template renders")
}

/// µs per call of `f`: the best of `ROUNDS` rounds of about `round` each (at least 20 calls).
/// The machine is shared, so callers interleave the rounds of the things they compare and
/// the best round filters out the time other processes took.
fn round<T>(round: Duration, mut f: impl FnMut() -> T) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while n < 20 || start.elapsed() < round {
        black_box(f());
        n += 1;
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

const ROUNDS: usize = 7;

fn main() {
    let (setup, deployments) = sources();
    println!("yaml_parse bench: {}", setup.describe());
    let (mut slow_total, mut fast_total, mut floor_total) = (0.0, 0.0, 0.0);
    for (label, deployment) in &deployments {
        let text = render(&setup, deployment);
        let slow_value: Value = serde_yaml::from_str(&text).unwrap();
        let fast_value = fast::parse(&text).expect("the rendered text takes the fast path");
        assert_eq!(
            fast_value, slow_value,
            "fast and serde_yaml differ on {label}"
        );

        let budget = Duration::from_millis(100);
        let (mut slow, mut fast, mut floor) = (f64::MAX, f64::MAX, f64::MAX);
        for _ in 0..ROUNDS {
            slow = slow.min(round(budget, || {
                serde_yaml::from_str::<Value>(black_box(&text)).unwrap()
            }));
            fast = fast.min(round(budget, || fast::parse(black_box(&text)).unwrap()));
            // Allocating and freeing the same Value: a floor under any reader that builds it.
            floor = floor.min(round(budget, || black_box(&fast_value).clone()));
        }
        slow_total += slow;
        fast_total += fast;
        floor_total += floor;
        println!(
            "{label:<22} {:>5} bytes, {:>3} lines: serde_yaml {slow:>6.1} us/parse, fast {fast:>5.1} us/parse ({:.1}x); Value clone+drop {floor:>5.1} us",
            text.len(),
            text.lines().count(),
            slow / fast
        );
    }
    println!(
        "overall: serde_yaml {slow_total:.1} us, fast {fast_total:.1} us for one parse of each: {:.1}x (target: 5x); beyond the Value clone+drop floor ({floor_total:.1} us): {:.1}x",
        slow_total / fast_total,
        (slow_total - floor_total) / (fast_total - floor_total)
    );
}
