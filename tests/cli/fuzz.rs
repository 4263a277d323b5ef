//! Every fuzz target's body (`kubectl_inject::fuzzing`) over its seed corpus
//! (`fuzz/seeds.txt`) and its saved findings (`testdata/fuzz/<target>/`): the harness runs
//! in every `cargo test`, so it cannot rot, and each finding stays fixed. A body panics
//! only on a bug; the panic is caught here to name the file.

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::path::{Path, PathBuf};

use kubectl_inject::fuzzing::TARGETS;

use crate::util;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if std::fs::metadata(&p).is_ok_and(|m| m.len() < 256 << 10) {
            out.push(p);
        }
    }
}

#[test]
fn fuzz_targets_pass_their_seeds_and_saved_findings() {
    let seeds = util::read(&util::root().join("fuzz/seeds.txt"));
    let mut problems = Vec::new();
    let mut counts = Vec::new();
    for (name, body) in TARGETS {
        let mut inputs = Vec::new();
        let line = seeds
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("fuzz/seeds.txt has no line for {name}"));
        for dir in line.split_whitespace().skip(1) {
            files(&util::root().join(dir), &mut inputs);
        }
        files(&util::testdata(&format!("fuzz/{name}")), &mut inputs);
        inputs.dedup();
        assert!(!inputs.is_empty(), "{name}: no seeds");
        for f in &inputs {
            let data = std::fs::read(f).unwrap();
            let outcome = std::panic::catch_unwind(|| body(&data));
            if let Err(e) = outcome {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                problems.push(format!("{name}: {}: {msg}", f.display()));
            }
        }
        counts.push(format!("{name} {}", inputs.len()));
    }
    eprintln!("fuzz seeds: {}", counts.join(", "));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The fuzz crate names a target for every body in the library, and no other.
#[test]
fn fuzz_crate_lists_every_target() {
    let manifest = util::read(&util::root().join("fuzz/Cargo.toml"));
    for (name, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
        let body = util::read(&util::root().join(format!("fuzz/fuzz_targets/{name}.rs")));
        assert!(body.contains("kubectl_inject::fuzzing::"), "{name}");
    }
}
