//! The YAML emitter against Go: a corpus printed by `sigs.k8s.io/yaml.Marshal`
//! (testdata/yaml/go-marshal.jsonl) and Istio's injection goldens re-emitted byte for byte.

use kubectl_inject::yaml;
use serde_json::Value;

use crate::{golden, util};

#[test]
fn emitter_matches_go_marshal_corpus() {
    let corpus = util::read(&util::testdata("yaml/go-marshal.jsonl"));
    let mut failures = Vec::new();
    let mut count = 0;
    for (n, line) in corpus.lines().enumerate() {
        let record: Value = serde_json::from_str(line).expect("corpus line is JSON");
        let want = record["yaml"].as_str().expect("yaml is a string");
        // The one deliberate difference: Go writes the string `<<` plain, which reads back
        // as a merge key; the emitter quotes it (src/yaml/resolve.rs).
        if record["input"].to_string().contains("\"<<\"") {
            continue;
        }
        let got = yaml::to_string(&record["input"]);
        count += 1;
        if got != want {
            failures.push(format!(
                "line {}: input {}\n--- go\n{want}--- ours\n{got}",
                n + 1,
                record["input"]
            ));
        }
    }
    assert!(count > 2000, "corpus has only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} differ:\n{}",
        failures.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Istio's `*.injected` goldens are `sigs.k8s.io/yaml.Marshal` output (documents each
/// followed by `---`): read each document with serde_yaml and print it again. Documents
/// kube-inject passes through (the two Services) are echoed as read, not marshalled, and
/// are left out.
#[test]
fn injection_goldens_reemit_byte_for_byte() {
    let Some(shared) = util::shared("injection_goldens_reemit_byte_for_byte") else {
        return;
    };
    let dir = shared.join("istio-testdata/istio-1.32-dev-86c9f01f/pkg/kube/inject/testdata/inject");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("golden folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "injected"))
        .collect();
    files.sort();
    assert!(files.len() >= 100, "only {} goldens", files.len());
    let (mut documents, mut passed_through, mut failures) = (0, 0, Vec::new());
    for file in &files {
        let text = util::read(file);
        for (n, doc) in split_documents(&text).iter().enumerate() {
            let value: Value = serde_yaml::from_str(doc)
                .unwrap_or_else(|e| panic!("{}: document {n}: {e}", file.display()));
            if value["kind"] == "Service" {
                passed_through += 1;
                continue;
            }
            documents += 1;
            let got = yaml::to_string(&value);
            if got != *doc {
                let name = format!("{} document {n}", file.display());
                failures.extend(golden::mismatch(&name, doc, &got));
            }
        }
    }
    assert_eq!(
        (documents, passed_through),
        (120, 2),
        "documents marshalled, passed through"
    );
    assert!(
        failures.is_empty(),
        "{} of {documents} documents differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Documents of a `---`-terminated stream, each with its trailing newline.
fn split_documents(text: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            docs.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
        }
    }
    if !current.trim().is_empty() {
        docs.push(current);
    }
    docs
}
