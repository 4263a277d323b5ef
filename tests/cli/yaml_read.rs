//! Reading YAML as kubectl does: every document of `testdata/yaml/read/` against Go's
//! answer (`sigs.k8s.io/yaml` over go-yaml v2, or `encoding/json` for JSON), stored in
//! `go.jsonl` so the comparison runs without Go; with the oracle built
//! (`scripts/goyaml.sh`) the stored answers are checked against it too, and
//! `SNAPSHOTS=overwrite` rewrites them. `refused.txt` lists the documents refused on
//! purpose (Go reads them; we give an error).

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::collections::BTreeMap;
use std::path::PathBuf;

use kubectl_inject::yaml::kube;
use serde_json::Value;

use crate::{golden, util};

fn corpus() -> BTreeMap<String, String> {
    let dir = util::testdata("yaml/read");
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "yaml") {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            out.insert(name, std::fs::read_to_string(&p).unwrap());
        }
    }
    out
}

fn goyaml() -> Option<PathBuf> {
    let path = match std::env::var_os("GOYAML") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(
            std::env::var_os("GOREF_CACHE").unwrap_or_else(|| "/var/cache/kubectl-inject".into()),
        )
        .join("goyaml"),
    };
    path.is_file().then_some(path)
}

fn run_go(bin: &PathBuf, text: &str) -> Value {
    use std::io::Write;
    let mut child = std::process::Command::new(bin)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// JSON values equal as Go sees them: numbers compared by value (Go writes 1.0 as 1).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || x.as_f64().zip(y.as_f64()).is_some_and(|(x, y)| x == y)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn documents_read_as_kubectl_reads_them() {
    let corpus = corpus();
    let stored_path = util::testdata("yaml/read/go.jsonl");
    let mut stored: BTreeMap<String, Value> = std::fs::read_to_string(&stored_path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["name"].as_str().unwrap().to_string(), v["go"].clone())
        })
        .collect();
    let refused: BTreeMap<String, String> = util::read(&util::testdata("yaml/read/refused.txt"))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    // Go's answer for a refused document may vary between runs (a map key written twice
    // through different spellings wins at random): only that Go reads it counts.
    let same_answer = |name: &str, a: Option<&Value>, b: &Value| match a {
        Some(a) if refused.contains_key(name) => a.get("ok").is_some() == b.get("ok").is_some(),
        Some(a) => a == b,
        None => false,
    };
    match goyaml() {
        Some(bin) => {
            let overwrite = golden::overwrite();
            let mut stale = Vec::new();
            for (name, text) in &corpus {
                let live = run_go(&bin, text);
                if !same_answer(name, stored.get(name), &live) {
                    stale.push(name.clone());
                    stored.insert(name.clone(), live);
                }
            }
            if overwrite {
                let lines: String = stored
                    .iter()
                    .filter(|(n, _)| corpus.contains_key(*n))
                    .map(|(n, g)| format!("{}\n", serde_json::json!({"name": n, "go": g})))
                    .collect();
                std::fs::write(&stored_path, lines).unwrap();
            } else {
                assert!(
                    stale.is_empty(),
                    "go.jsonl differs from the Go oracle for {stale:?}; rerun with SNAPSHOTS=overwrite"
                );
            }
        }
        None => util::skip_part(
            "yaml_read (live oracle)",
            "goyaml not built (scripts/goyaml.sh): comparing with the stored answers only",
        ),
    }
    let mut problems = Vec::new();
    for (name, text) in &corpus {
        let Some(go) = stored.get(name) else {
            problems.push(format!("{name}: no stored Go answer"));
            continue;
        };
        let ours = kube::from_str(text);
        match (refused.get(name), go.get("ok"), ours) {
            (Some(want), Some(_), Err(e)) if e.to_string().contains(want.as_str()) => {}
            (Some(want), _, got) => problems.push(format!(
                "{name}: refused on purpose ({want}), got {got:?}, go {go}"
            )),
            (None, Some(g), Ok(v)) if same(g, &v) => {}
            (None, None, Err(_)) => {}
            (None, _, got) => problems.push(format!("{name}: ours {got:?}, go {go}")),
        }
    }
    eprintln!("yaml_read: {} documents", corpus.len());
    assert!(corpus.len() > 150, "corpus too small");
    assert!(
        problems.is_empty(),
        "{} differ:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
