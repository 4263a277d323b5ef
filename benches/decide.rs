//! Decisions per second of the pure engine over 10,000 pods (no I/O, no process).
//!
//! `cargo bench --bench decide` prints the figures; it asserts nothing about time.

use std::hint::black_box;
use std::time::Instant;

use kubectl_inject::cli::Mode;
use kubectl_inject::config::InjectorConfig;
use kubectl_inject::model::{StringMap, WebhookConfiguration};
use kubectl_inject::policy::{Engine, Namespace, Options, Pod};

const PODS: usize = 10_000;
const ROUNDS: usize = 5;

fn map(pairs: &[(&str, String)]) -> StringMap {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// A mix that walks every rule: labelled and unlabelled namespaces, revisions, opt-ins and
/// opt-outs by label and annotation, selector matches, hostNetwork, ignored namespaces.
fn population() -> Vec<(Namespace, Pod)> {
    (0..PODS)
        .map(|i| {
            let ns_labels = match i % 5 {
                0 => map(&[("istio-injection", "enabled".into())]),
                1 => map(&[("istio.io/rev", "canary".into())]),
                2 => map(&[("istio-injection", "disabled".into())]),
                _ => StringMap::new(),
            };
            let ns_name = if i % 97 == 0 {
                "kube-system".to_string()
            } else {
                format!("ns-{}", i % 50)
            };
            let mut labels = map(&[("app", format!("app-{i}")), ("version", "v1".into())]);
            let mut annotations = StringMap::new();
            match i % 7 {
                0 => {
                    labels.insert("sidecar.istio.io/inject".into(), "true".into());
                }
                1 => {
                    labels.insert("sidecar.istio.io/inject".into(), "false".into());
                }
                2 => {
                    annotations.insert("sidecar.istio.io/inject".into(), "false".into());
                }
                3 => {
                    labels.insert("istio.io/rev".into(), "canary".into());
                }
                4 => {
                    labels.insert("openshift.io/build.name".into(), format!("b-{i}"));
                }
                _ => {}
            }
            let pod = Pod {
                labels,
                annotations,
                host_network: i % 113 == 0,
                kind: kubectl_inject::manifest::WorkloadKind::Deployment,
                ..Pod::default()
            };
            (Namespace::known(&ns_name, ns_labels), pod)
        })
        .collect()
}

// A bench's job is to print its figures.
#[allow(clippy::print_stdout)]
fn run(name: &str, engine: &Engine, pods: &[(Namespace, Pod)]) {
    let mut best = f64::MAX;
    let mut injected = 0;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        injected = 0;
        for (ns, pod) in pods {
            if black_box(engine.decide(black_box(ns), black_box(pod))).inject {
                injected += 1;
            }
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "decide/{name}: {PODS} pods in {:.2} ms (best of {ROUNDS}) = {:.0} decisions/s ({injected} injected)",
        best * 1e3,
        PODS as f64 / best
    );
}

fn main() {
    let config = InjectorConfig::parse(
        "bench",
        "policy: enabled\nneverInjectSelector:\n- matchExpressions:\n  - {key: openshift.io/build.name, operator: Exists}\nalwaysInjectSelector:\n- matchLabels: {mesh: always}\n",
    )
    .expect("bench config parses");
    let webhooks = [
        WebhookConfiguration::istio_default(None, false),
        WebhookConfiguration::istio_default(Some("canary"), false),
    ];
    let pods = population();
    let istio = Engine::new(&config, "bench", &webhooks, Options::default()).expect("engine");
    run("istio", &istio, &pods);
    let managed = Engine::new(
        &config,
        "bench",
        &webhooks,
        Options {
            mode: Mode::Managed,
            ..Options::default()
        },
    )
    .expect("engine");
    run("managed", &managed, &pods);
}
