//! `inject` on 1,000 Deployments: wall time and peak memory of the release binary, beside a
//! plain YAML parse-and-emit of the same file (in process), and the in-process injection.
//!
//! The manifest is generated from the Deployments of Istio's golden inputs (read in place
//! from `../shared/`, renamed `<name>-<i>`), injected with the stock sidecar template
//! (`rendered/default`); without `../shared/` it uses the sample app and the embedded default.
//! Targets: under 1 s, within 3× the parse-and-emit time, under 50 MB.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kubectl_inject::inject::engine::{ConfigSource, Setup};
use kubectl_inject::inject::{DocOutput, Injector};
use kubectl_inject::manifest::parse_documents;

const COUNT: usize = 1000;
const SUITE: &str = "istio-testdata/istio-1.32-dev-86c9f01f";
const INPUTS: [&str; 8] = [
    "hello.yaml",
    "hello-probes.yaml",
    "frontend.yaml",
    "multi-container.yaml",
    "two_container.yaml",
    "ready_live.yaml",
    "named_port.yaml",
    "user-volume.yaml",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Deployment documents to cycle through, and the config files (None = embedded).
fn sources() -> (Vec<serde_json::Value>, Option<PathBuf>) {
    let shared = root().join("..").join("shared").join(SUITE);
    let mut deployments = Vec::new();
    let files: Vec<PathBuf> = if shared.is_dir() {
        let dir = shared.join("pkg/kube/inject/testdata/inject");
        INPUTS.iter().map(|f| dir.join(f)).collect()
    } else {
        vec![root().join("testdata/sample/app.yaml")]
    };
    for f in &files {
        let text = std::fs::read_to_string(f).expect("input readable");
        for doc in parse_documents(&f.display().to_string(), &text).expect("input parses") {
            if doc.kind() == "Deployment" {
                deployments.push(doc.value);
            }
        }
    }
    (
        deployments,
        shared.is_dir().then(|| shared.join("rendered/default")),
    )
}

fn manifest(deployments: &[serde_json::Value]) -> String {
    let mut out = String::new();
    for i in 0..COUNT {
        let mut d = deployments[i % deployments.len()].clone();
        let name = d["metadata"]["name"].as_str().unwrap_or("app").to_string();
        d["metadata"]["name"] = format!("{name}-{i}").into();
        out.push_str(&kubectl_inject::yaml::to_string(&d));
        out.push_str("---\n");
    }
    out
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap()
}

/// Runs the binary to completion, sampling its peak resident memory (`VmHWM` of
/// `/proc/<pid>/status`, a high-water mark) every millisecond: returns (wall time, peak
/// bytes). Safe code only (the crate forbids `unsafe`), hence sampling instead of
/// `getrusage`; the mark is monotonic, so only a spike in the last millisecond can be missed.
fn run_sampled(cmd: &mut Command) -> (Duration, u64) {
    let t = Instant::now();
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("binary runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kb * 1024);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "inject failed");
            return (t.elapsed(), peak);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn config_args(config: &Option<PathBuf>) -> Vec<String> {
    match config {
        None => vec![],
        Some(dir) => vec![
            "--injectConfigFile".into(),
            dir.join("config.yaml").display().to_string(),
            "--valuesFile".into(),
            dir.join("values.json").display().to_string(),
            "--meshConfigFile".into(),
            dir.join("mesh.yaml").display().to_string(),
        ],
    }
}

fn setup(config: &Option<PathBuf>) -> Setup {
    let read = |p: &Path| Some((p.display().to_string(), std::fs::read_to_string(p).unwrap()));
    let src = match config {
        None => ConfigSource::default(),
        Some(dir) => ConfigSource {
            inject_config: read(&dir.join("config.yaml")),
            values: read(&dir.join("values.json")),
            mesh: read(&dir.join("mesh.yaml")),
            ..ConfigSource::default()
        },
    };
    Setup::load(src).expect("configuration loads")
}

fn main() {
    let (deployments, config) = sources();
    let text = manifest(&deployments);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deployments.yaml");
    std::fs::write(&file, &text).unwrap();
    // For profiling the binary on the same input: `INJECT_BENCH_KEEP=/tmp/d.yaml cargo bench`.
    if let Some(keep) = std::env::var_os("INJECT_BENCH_KEEP") {
        std::fs::write(keep, &text).unwrap();
    }
    println!(
        "inject bench: {COUNT} Deployments ({} KiB) from {} inputs, config {}",
        text.len() / 1024,
        deployments.len(),
        config
            .as_ref()
            .map_or("embedded default".into(), |c| c.display().to_string())
    );

    // Plain parse-and-emit of the same file, in process.
    let parse_emit_once = || {
        let docs = parse_documents("bench", &text).unwrap();
        docs.iter()
            .map(|d| kubectl_inject::yaml::to_string(&d.value).len())
            .sum::<usize>()
    };

    // The same pipeline in process (configuration loaded once, outside the timing).
    let s = setup(&config);
    let params = s.params(true, None, false);
    let injector = Injector::new(&s, params, s.is_legacy());
    let run = |threads| {
        let out = injector
            .inject_all(&[("bench", text.as_str())], Some(threads), true)
            .unwrap();
        out.iter()
            .map(|(_, r)| match &r.output {
                DocOutput::Raw(t) => t.len(),
                DocOutput::Object(v) => kubectl_inject::yaml::to_string(v).len(),
            })
            .sum::<usize>()
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // A yardstick for the work inject cannot avoid: the injected output is many times the
    // input, and just parsing and emitting it costs this much.
    let output: String = injector
        .inject_all(&[("bench", text.as_str())], None, true)
        .unwrap()
        .iter()
        .map(|(_, r)| match &r.output {
            DocOutput::Raw(t) => format!("{t}---\n"),
            DocOutput::Object(v) => format!("{}---\n", kubectl_inject::yaml::to_string(v)),
        })
        .collect();
    let output_docs = parse_documents("output", &output).unwrap();
    let emit_output = best_of(3, || {
        output_docs
            .iter()
            .map(|d| kubectl_inject::yaml::to_string(&d.value).len())
            .sum::<usize>()
    });
    // Rounds alternate the measures, each keeping its best: a shared machine's speed drifts
    // over seconds, and the ratio should compare runs made under the same conditions.
    let (mut parse_emit, mut one_thread, mut in_process) =
        (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        parse_emit = parse_emit.min(best_of(2, parse_emit_once));
        one_thread = one_thread.min(best_of(1, || run(1)));
        in_process = in_process.min(best_of(1, || run(cores)));
    }

    // The release binary, end to end: wall time (unsampled runs) and peak RSS.
    let bin = env!("CARGO_BIN_EXE_kubectl-inject");
    let command = || {
        let mut c = Command::new(bin);
        c.arg("inject")
            .arg("-f")
            .arg(&file)
            .args(config_args(&config));
        c
    };
    let wall = best_of(3, || {
        let out = command().output().expect("binary runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let (_, rss) = run_sampled(&mut command());

    let ratio = in_process.as_secs_f64() / parse_emit.as_secs_f64();
    let mb = rss as f64 / (1024.0 * 1024.0);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let x = |d: Duration| d.as_secs_f64() / parse_emit.as_secs_f64();
    println!(
        "  {:<34}{:>8.1} ms  ({:.2}x parse+emit; the output is {} KiB, {:.1}x the input)",
        "emit of the output alone",
        ms(emit_output),
        x(emit_output),
        output.len() / 1024,
        output.len() as f64 / text.len() as f64
    );
    println!(
        "  {:<34}{:>8.1} ms",
        "parse+emit (in process)",
        ms(parse_emit)
    );
    println!(
        "  {:<34}{:>8.1} ms  ({:.2}x parse+emit)",
        "inject (in process, 1 thread)",
        ms(one_thread),
        x(one_thread)
    );
    println!(
        "  {:<34}{:>8.1} ms  ({:.2}x parse+emit; target <= 3x)",
        format!("inject (in process, {cores} threads)"),
        ms(in_process),
        x(in_process)
    );
    println!(
        "  {:<34}{:>8.1} ms  ({:.2}x parse+emit; target < 1000 ms)",
        "inject (binary, wall)",
        ms(wall),
        x(wall)
    );
    println!(
        "  {:<34}{mb:>8.1} MB  (target < 50 MB)",
        "inject (binary, peak RSS)"
    );
    let ok = |b: bool| if b { "met" } else { "MISSED" };
    println!(
        "  targets: time {}, ratio {}, memory {}",
        ok(wall < Duration::from_secs(1)),
        ok(ratio <= 3.0),
        ok(mb < 50.0)
    );
}
