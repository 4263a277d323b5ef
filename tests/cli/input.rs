//! Input walking and in-place rewrites on hostile file trees: symlinks, the same file named
//! twice, directory loops, FIFOs and devices, size limits. Each case checks the exit code,
//! the message, that no file changed and that no temporary file was left.

#![allow(clippy::unwrap_used)] // test helpers panic on broken fixtures

use std::os::unix::fs::symlink;
use std::path::Path;

use crate::util;

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
";

fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = util::bin()
        .current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn in_place_writes_through_a_symlink_to_its_target() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("real.yaml"), DEPLOY).unwrap();
    symlink("real.yaml", d.path().join("link.yaml")).unwrap();
    for cmd in [
        &["inject", "--ignore-cluster", "-i", "-f", "link.yaml"][..],
        &["cleanup", "-i", "-f", "link.yaml"][..],
    ] {
        let (code, _, err) = run(cmd, d.path());
        assert_eq!(code, 0, "{cmd:?}: {err}");
        let meta = std::fs::symlink_metadata(d.path().join("link.yaml")).unwrap();
        assert!(meta.file_type().is_symlink(), "{cmd:?} replaced the link");
    }
    // inject then cleanup through the link: the target went there and back.
    let text = util::read(&d.path().join("real.yaml"));
    assert!(!text.contains("istio-proxy"), "{text}");
    assert!(text.contains("name: web"), "{text}");
    assert_eq!(names(d.path()), ["link.yaml", "real.yaml"]);
}

#[test]
fn in_place_refuses_a_file_named_twice_before_writing() {
    let d = tempfile::tempdir().unwrap();
    let sub = d.path().join("d");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("a.yaml"), DEPLOY).unwrap();
    std::fs::write(sub.join("b.yaml"), DEPLOY).unwrap();
    symlink("a.yaml", sub.join("c.yml")).unwrap();
    let cases: [&[&str]; 4] = [
        &["-f", "d/b.yaml", "-f", "d/a.yaml", "-f", "d/a.yaml"],
        &["-f", "d/a.yaml", "-f", "d"],
        &["-f", "d"],
        &["-f", "d/b.yaml", "-f", "./d/../d/b.yaml"],
    ];
    for files in cases {
        for cmd in ["inject", "cleanup"] {
            let mut args = vec![cmd, "-i"];
            if cmd == "inject" {
                args.push("--ignore-cluster");
            }
            args.extend_from_slice(files);
            let (code, _, err) = run(&args, d.path());
            assert_eq!(code, 2, "{args:?}: {err}");
            assert!(err.contains("same file"), "{args:?}: {err}");
            for f in ["a.yaml", "b.yaml"] {
                assert_eq!(util::read(&sub.join(f)), DEPLOY, "{args:?} changed {f}");
            }
            assert_eq!(names(&sub), ["a.yaml", "b.yaml", "c.yml"], "{args:?}");
        }
    }
}

#[test]
fn directory_symlink_loops_end_and_each_file_is_read_once() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a");
    std::fs::create_dir_all(a.join("b")).unwrap();
    std::fs::write(a.join("b/x.yaml"), DEPLOY).unwrap();
    symlink("..", a.join("b/up")).unwrap();
    symlink("../..", a.join("b/up2")).unwrap();
    let (code, out, err) = run(&["inject", "--ignore-cluster", "-R", "-f", "a"], d.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("kind: Deployment").count(), 1, "{out}");
    // In place, the loop is not a second copy of x.yaml: it is rewritten once.
    let (code, _, err) = run(
        &["inject", "--ignore-cluster", "-i", "-R", "-f", "a"],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(util::read(&a.join("b/x.yaml")).contains("istio-proxy"));
}

#[test]
fn printing_reads_a_file_named_twice_once_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.yaml"), DEPLOY).unwrap();
    let (code, out, err) = run(
        &["inject", "--ignore-cluster", "-f", "a.yaml", "-f", "a.yaml"],
        d.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("kind: Deployment").count(), 1);
    assert!(err.contains("same file"), "{err}");
}

#[test]
fn fifos_in_directories_and_devices_are_refused_without_blocking() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.yaml"), DEPLOY).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(d.path().join("p.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    let (code, out, err) = run(&["inject", "--ignore-cluster", "-f", "."], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("p.yaml") && err.contains("FIFO"), "{err}");
    assert_eq!(out, "");
    for dev in ["/dev/zero", "/dev/null", "/dev/urandom"] {
        let (code, out, err) = run(&["inject", "--ignore-cluster", "-f", dev], d.path());
        assert_eq!(code, 2, "{dev}: {err}");
        assert!(err.contains("a device"), "{dev}: {err}");
        assert_eq!(out, "");
    }
}

#[test]
fn an_endless_pipe_hits_the_size_limit() {
    // Not assert_cmd's pipe_stdin: it reads the whole file first.
    let bin = assert_cmd::cargo::cargo_bin("kubectl-inject");
    let out = std::process::Command::new(bin)
        .args(["inject", "--ignore-cluster", "-f", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("input size limit"), "{err}");
}

#[test]
fn non_utf8_input_is_an_error_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.yaml"), b"kind: Pod\nx: \xff\xfe\n").unwrap();
    let (code, out, err) = run(&["inject", "--ignore-cluster", "-f", "a.yaml"], d.path());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("a.yaml") && err.contains("UTF-8"), "{err}");
    assert_eq!(out, "");
}
