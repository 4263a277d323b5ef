//! The hostile-input corpus `testdata/badinput/` (see its README): every case runs the
//! real binary and must give its expected exit code and messages, never a panic or a hang,
//! and nothing on stdout when it fails.

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util;

struct Case {
    input: PathBuf,
    cmd: Vec<String>,
    exit: i32,
    stderr: Vec<String>,
    stdout: Vec<String>,
}

fn cases(dir: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for expect in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "expect"))
        {
            let stem = expect.file_stem().unwrap();
            let input = files
                .iter()
                .find(|p| {
                    p.file_stem() == Some(stem) && p.extension().is_some_and(|e| e != "expect")
                })
                .unwrap_or_else(|| panic!("{}: no input beside it", expect.display()))
                .clone();
            let mut case = Case {
                input,
                cmd: Vec::new(),
                exit: -1,
                stderr: Vec::new(),
                stdout: Vec::new(),
            };
            for line in util::read(expect).lines() {
                let (k, v) = line.split_once(": ").unwrap_or((line, ""));
                match k {
                    "cmd" => case.cmd = v.split_whitespace().map(str::to_string).collect(),
                    "exit" => case.exit = v.parse().unwrap(),
                    "stderr" => case.stderr.push(v.to_string()),
                    "stdout" => case.stdout.push(v.to_string()),
                    _ => panic!("{}: unknown line {line:?}", expect.display()),
                }
            }
            assert!(
                case.exit >= 0 && !case.cmd.is_empty(),
                "{}",
                expect.display()
            );
            out.push(case);
        }
    }
    out
}

#[test]
fn bad_input_corpus() {
    let root = util::root();
    let cases = cases(&util::testdata("badinput"));
    assert!(cases.len() >= 100, "the corpus lost cases: {}", cases.len());
    let mut problems = Vec::new();
    for c in &cases {
        let rel = c.input.strip_prefix(&root).unwrap_or(&c.input);
        let args: Vec<String> = c
            .cmd
            .iter()
            .map(|a| {
                if a == "{}" {
                    rel.display().to_string()
                } else {
                    a.clone()
                }
            })
            .collect();
        let out = util::bin()
            .current_dir(&root)
            .args(&args)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let name = rel.display();
        let mut bad = Vec::new();
        if code != c.exit {
            bad.push(format!("exit {code}, want {}", c.exit));
        }
        if code == 2 && !stdout.is_empty() {
            bad.push("stdout not empty on error".into());
        }
        for s in &c.stderr {
            if !stderr.contains(s.as_str()) {
                bad.push(format!("stderr lacks {s:?}"));
            }
        }
        for s in &c.stdout {
            if !stdout.contains(s.as_str()) {
                bad.push(format!("stdout lacks {s:?}"));
            }
        }
        // A cause is in an error's message or in its source, never both (STYLE.md).
        for r in util::repeated_causes(&stderr) {
            bad.push(format!("error chain: {r}"));
        }
        if stdout.contains('\u{1b}') || stderr.contains('\u{1b}') {
            bad.push("a raw escape character reached the terminal".into());
        }
        if !bad.is_empty() {
            let tail: String = stderr.chars().take(600).collect();
            problems.push(format!("{name}: {}\n  stderr: {tail}", bad.join("; ")));
        }
    }
    eprintln!("badinput: {} cases", cases.len());
    assert!(
        problems.is_empty(),
        "{} of {} cases:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}
