//! The release archives and the krew manifest made from them (`make dist`), checked by
//! krew-index's rules (`../shared/reference/peers.md` §4.2: krew's validate.go, its manifest
//! tool and its reviewers' asks) and by running what the archives hold.
//!
//! What is checked: `dist/` when `make dist` made it (a `dist/plugin.yaml` is there; the
//! folder is never committed). Otherwise an archive of the test build, made by the same
//! scripts (`scripts/dist.sh package`, `scripts/krew-manifest.sh`): so CI checks the scripts
//! and the manifest without a release build, and only real release archives are checked to
//! hold static binaries. Each archive's plugin is run (`--version`) where this machine can
//! run it: the host's directly, another Linux CPU's through qemu-user when it is installed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util;

const API_VERSION: &str = "krew.googlecontainertools.github.com/v1alpha2";
/// The os/arch pairs krew's manifest tool accepts.
const SUPPORTED: [(&str, &str); 11] = [
    ("windows", "386"),
    ("windows", "amd64"),
    ("windows", "arm64"),
    ("linux", "386"),
    ("linux", "amd64"),
    ("linux", "arm"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("darwin", "386"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
];
const RESERVED_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Everything wrong with a manifest by krew-index's rules; empty when it passes.
fn krew_problems(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut problem = |p: String| problems.push(p);
    if doc["apiVersion"] != API_VERSION {
        problem(format!(
            "apiVersion is {}, not {API_VERSION}",
            doc["apiVersion"]
        ));
    }
    if doc["kind"] != "Plugin" {
        problem(format!("kind is {}, not Plugin", doc["kind"]));
    }
    let name = doc["metadata"]["name"].as_str().unwrap_or_default();
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if !name_ok || RESERVED_NAMES.contains(&name.to_ascii_uppercase().as_str()) {
        problem(format!("metadata.name {name:?} is not a valid plugin name"));
    }
    let spec = &doc["spec"];
    match spec["shortDescription"].as_str() {
        Some(s) if !s.trim().is_empty() && !s.contains('\n') && s.chars().count() <= 50 => {}
        other => problem(format!(
            "shortDescription must be one line of at most 50 characters: {other:?}"
        )),
    }
    match spec["description"].as_str() {
        Some(d) if !d.trim().is_empty() => {
            for line in d.lines() {
                if line.chars().count() > 80 {
                    problem(format!("description line over 80 characters: {line:?}"));
                }
                // Reviewers ask for no usage examples, command or flag lists.
                if line.contains("kubectl inject ") || line.trim_start().starts_with('-') {
                    problem(format!("description lists commands or flags: {line:?}"));
                }
            }
        }
        _ => problem("description is missing".into()),
    }
    let semver = regex::Regex::new(
        r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$",
    )
    .expect("regex");
    match spec["version"].as_str() {
        Some(v) if semver.is_match(v) => {}
        other => problem(format!("version must be semver with a v: {other:?}")),
    }
    let sha = regex::Regex::new("^[a-f0-9]{64}$").expect("regex");
    let platforms = spec["platforms"].as_array().cloned().unwrap_or_default();
    if platforms.is_empty() {
        problem("platforms is empty".into());
    }
    let mut claimed: Vec<(&str, &str)> = Vec::new();
    for (i, p) in platforms.iter().enumerate() {
        let at = format!("platforms[{i}]");
        if p["uri"].as_str().is_none_or(str::is_empty) {
            problem(format!("{at}.uri is missing"));
        }
        // A string: an unquoted all-digit digest would be read as a number.
        if !p["sha256"].as_str().is_some_and(|s| sha.is_match(s)) {
            problem(format!(
                "{at}.sha256 must match ^[a-f0-9]{{64}}$: {}",
                p["sha256"]
            ));
        }
        if p["bin"].as_str().is_none_or(str::is_empty) {
            problem(format!("{at}.bin is missing"));
        }
        if let Some(files) = p.get("files") {
            let ok = files.as_array().is_some_and(|f| {
                !f.is_empty()
                    && f.iter()
                        .all(|e| e["from"].is_string() && e["to"].is_string())
            });
            if !ok {
                problem(format!(
                    "{at}.files must be non-empty, each with from and to"
                ));
            }
        }
        let selector = p["selector"].as_object().cloned().unwrap_or_default();
        let labels = selector
            .get("matchLabels")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if selector.is_empty() || selector.keys().any(|k| k != "matchLabels") {
            problem(format!(
                "{at}.selector must be matchLabels (we write no expressions)"
            ));
        }
        if labels.is_empty() || labels.keys().any(|k| k != "os" && k != "arch") {
            problem(format!("{at}.selector may only use the keys os and arch"));
        }
        let matches: Vec<(&str, &str)> = SUPPORTED
            .into_iter()
            .filter(|(os, arch)| {
                labels.get("os").is_none_or(|v| v == os)
                    && labels.get("arch").is_none_or(|v| v == arch)
            })
            .collect();
        if matches.is_empty() {
            problem(format!("{at}.selector matches no supported os/arch"));
        }
        for pair in matches {
            if claimed.contains(&pair) {
                problem(format!("{}/{} is matched by two platforms", pair.0, pair.1));
            }
            claimed.push(pair);
        }
    }
    problems
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ring::digest::digest(&ring::digest::SHA256, &bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn host() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    (os, arch)
}

/// The folder to check, whether it holds real release archives, and a temp dir to keep.
fn archives() -> (PathBuf, bool, Option<tempfile::TempDir>) {
    let dist = util::root().join("dist");
    if dist.join("plugin.yaml").is_file() {
        eprintln!("dist: checking the release archives in {}", dist.display());
        return (dist, true, None);
    }
    eprintln!("dist: no dist/ (run `make dist`): checking an archive of the test build");
    let tmp = tempfile::tempdir().expect("temp dir");
    let bins = Path::new(env!("CARGO_BIN_EXE_kubectl-inject"))
        .parent()
        .expect("bin dir");
    let (os, arch) = host();
    run(Command::new(util::root().join("scripts/dist.sh"))
        .args(["package", os, arch])
        .arg(bins)
        .arg(tmp.path()));
    run(Command::new(util::root().join("scripts/krew-manifest.sh")).arg(tmp.path()));
    (tmp.path().to_path_buf(), false, Some(tmp))
}

/// How to run a program of `os`/`arch` here: `Some(None)` directly, `Some(Some(qemu))`
/// through qemu-user for another Linux CPU when it is installed, `None` not at all.
fn runner(os: &str, arch: &str, host: (&str, &str)) -> Option<Option<&'static str>> {
    if (os, arch) == host {
        return Some(None);
    }
    let qemu = match (os, host.0, arch) {
        ("linux", "linux", "arm64") => "qemu-aarch64",
        ("linux", "linux", "amd64") => "qemu-x86_64",
        _ => return None,
    };
    let installed = Command::new(qemu)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    installed.then_some(Some(qemu))
}

/// True for an ELF executable without a program interpreter: nothing to load at run time.
/// Also returns the ELF machine.
fn elf_static(bytes: &[u8]) -> Option<(bool, u16)> {
    if bytes.get(..4)? != b"\x7fELF" || bytes.get(4)? != &2 || bytes.get(5)? != &1 {
        return None; // only 64-bit little-endian is built
    }
    let u16_at = |o: usize| Some(u16::from_le_bytes(bytes.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(bytes.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(bytes.get(o..o + 8)?.try_into().ok()?));
    let machine = u16_at(18)?;
    let phoff = usize::try_from(u64_at(32)?).ok()?;
    let (phentsize, phnum) = (usize::from(u16_at(54)?), usize::from(u16_at(56)?));
    const PT_INTERP: u32 = 3;
    let mut interp = false;
    for i in 0..phnum {
        interp |= u32_at(phoff + i * phentsize)? == PT_INTERP;
    }
    Some((!interp, machine))
}

#[test]
fn release_archives_and_manifest_follow_krew_rules() {
    let (dir, real, _keep) = archives();
    let text = util::read(&dir.join("plugin.yaml"));
    let doc: Value = serde_yaml::from_str(&text).expect("plugin.yaml parses");
    let problems = krew_problems(&doc);
    assert!(problems.is_empty(), "plugin.yaml:\n{}", problems.join("\n"));

    // What this project promises on top of krew's rules.
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let spec = &doc["spec"];
    assert_eq!(doc["metadata"]["name"], "inject");
    assert_eq!(
        spec["version"],
        tag.as_str(),
        "dist/ is stale: run make dist"
    );
    assert_eq!(spec["homepage"], env!("CARGO_PKG_HOMEPAGE"));
    assert!(
        text.contains(&format!("version: \"{tag}\"")),
        "version unquoted"
    );

    let mut listed = BTreeSet::new();
    let (host_os, host_arch) = host();
    for p in spec["platforms"].as_array().expect("platforms") {
        let os = p["selector"]["matchLabels"]["os"].as_str().expect("os");
        let arch = p["selector"]["matchLabels"]["arch"].as_str().expect("arch");
        let name = format!("kubectl-inject_{tag}_{os}_{arch}.tar.gz");
        assert_eq!(
            p["uri"],
            format!(
                "{}/releases/download/{tag}/{name}",
                env!("CARGO_PKG_REPOSITORY")
            )
        );
        let archive = dir.join(&name);
        assert!(
            archive.is_file(),
            "{name}: named by the manifest, not in {dir:?}"
        );
        assert_eq!(p["sha256"], sha256_hex(&archive), "{name}: digest");
        listed.insert(name.clone());

        // What krew extracts: LICENSE (its check for a license file), the plugin and the
        // completion program, nothing else.
        let exe = if os == "windows" { ".exe" } else { "" };
        let bin = format!("kubectl-inject{exe}");
        assert_eq!(p["bin"], bin.as_str());
        let mut entries: Vec<String> = run(Command::new("tar").arg("-tzf").arg(&archive))
            .lines()
            .map(str::to_string)
            .collect();
        entries.sort();
        assert_eq!(
            entries,
            [
                "LICENSE".to_string(),
                bin.clone(),
                format!("kubectl_complete-inject{exe}")
            ],
            "{name}"
        );
        let unpacked = tempfile::tempdir().expect("temp dir");
        run(Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(unpacked.path()));
        assert_eq!(
            util::read(&unpacked.path().join("LICENSE")),
            util::read(&util::root().join("LICENSE"))
        );

        if real && os == "linux" {
            for program in [bin.clone(), format!("kubectl_complete-inject{exe}")] {
                let bytes = std::fs::read(unpacked.path().join(&program)).expect("read");
                let (is_static, machine) =
                    elf_static(&bytes).unwrap_or_else(|| panic!("{name}: {program} is not ELF"));
                assert!(is_static, "{name}: {program} needs a dynamic loader");
                let want = match arch {
                    "amd64" => 62,
                    "arm64" => 183,
                    other => panic!("no ELF machine known for {other}"),
                };
                assert_eq!(machine, want, "{name}: {program} is for another CPU");
            }
        }
        let plugin = unpacked.path().join(&bin);
        match runner(os, arch, (host_os, host_arch)) {
            Some(qemu) => {
                let mut cmd = match qemu {
                    Some(qemu) => {
                        let mut c = Command::new(qemu);
                        c.arg(&plugin);
                        c
                    }
                    None => Command::new(&plugin),
                };
                assert_eq!(
                    run(cmd.arg("--version")),
                    format!("kubectl-inject {}\n", env!("CARGO_PKG_VERSION")),
                    "{name}"
                );
                // The completion program finds the plugin beside it, with nothing on PATH
                // (natively only: under qemu-user the plugin it starts would not be emulated).
                if qemu.is_none() {
                    let complete = unpacked
                        .path()
                        .join(format!("kubectl_complete-inject{exe}"));
                    let out = run(Command::new(complete).arg("expl").env("PATH", ""));
                    assert!(out.starts_with("explain\t"), "{out}");
                    assert!(out.ends_with(":4\n"), "{out}");
                }
            }
            None => eprintln!("dist: {name} is for another machine: not run here"),
        }
    }
    // One platform per archive, one archive per platform.
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .expect("read dist")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tar.gz"))
        .collect();
    assert_eq!(
        present, listed,
        "archives without a platform, or the reverse"
    );
}

/// The validator above must reject what krew-index rejects.
#[test]
fn krew_rules_reject_broken_manifests() {
    let good: Value = serde_yaml::from_str(
        r#"
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata: {name: inject}
spec:
  version: "v0.1.0"
  shortDescription: Explain, check and render Istio sidecar injection
  description: |
    Answers a question.
  platforms:
  - selector: {matchLabels: {os: linux, arch: amd64}}
    uri: https://example.invalid/a.tar.gz
    sha256: "15bfcbaae4b4be1763129c6a578c37c296dd46f7e9ddad9ebdb7b83745fb8854"
    bin: kubectl-inject
"#,
    )
    .expect("parses");
    assert_eq!(krew_problems(&good), Vec::<String>::new());

    type Break = fn(&mut Value);
    let broken: [(&str, Break); 12] = [
        ("unquoted zero digest", |d| {
            d["spec"]["platforms"][0]["sha256"] = serde_json::json!(0)
        }),
        ("uppercase digest", |d| {
            d["spec"]["platforms"][0]["sha256"] = Value::String("AB".repeat(32))
        }),
        ("version without v", |d| {
            d["spec"]["version"] = "0.1.0".into()
        }),
        ("long shortDescription", |d| {
            d["spec"]["shortDescription"] = "x".repeat(51).into()
        }),
        ("two-line shortDescription", |d| {
            d["spec"]["shortDescription"] = "a\nb".into()
        }),
        ("command list", |d| {
            d["spec"]["description"] = "  kubectl inject check -n web\n".into()
        }),
        ("unwrapped description", |d| {
            d["spec"]["description"] = "word ".repeat(20).into()
        }),
        ("reserved name", |d| d["metadata"]["name"] = "con".into()),
        ("selector key", |d| {
            d["spec"]["platforms"][0]["selector"]["matchLabels"]["distro"] = "debian".into()
        }),
        ("unsupported pair", |d| {
            d["spec"]["platforms"][0]["selector"]["matchLabels"]["arch"] = "riscv64".into()
        }),
        ("same pair twice", |d| {
            let p = d["spec"]["platforms"][0].clone();
            d["spec"]["platforms"]
                .as_array_mut()
                .expect("platforms")
                .push(p);
        }),
        ("no platforms", |d| {
            d["spec"]["platforms"] = serde_json::json!([])
        }),
    ];
    for (what, breaks) in broken {
        let mut doc = good.clone();
        breaks(&mut doc);
        assert!(!krew_problems(&doc).is_empty(), "{what} was accepted");
    }
}
