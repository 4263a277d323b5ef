//! `kubectl_complete-inject`: what kubectl (≥ 1.26) runs to complete `kubectl inject …`.
//!
//! kubectl calls it with the words typed after `kubectl inject`, the last one partial, and
//! reads Cobra's protocol from its stdout. All the work is done by `kubectl-inject __complete`,
//! so completion always matches the plugin's own flags; this program only hands the words
//! over. It looks for `kubectl-inject` beside itself first (the same release, also when krew
//! or a package manager links it elsewhere), then on PATH. std only, so it stays tiny and
//! builds for every target the plugin does.
//!
//! Silent on failure: kubectl shows this program's stderr while the user types.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

const PLUGIN: &str = "kubectl-inject";

fn plugin() -> PathBuf {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(PLUGIN)))
        .map(|p| p.with_extension(std::env::consts::EXE_EXTENSION));
    match beside {
        Some(p) if p.is_file() => p,
        _ => PathBuf::from(PLUGIN),
    }
}

fn main() -> ExitCode {
    let mut cmd = Command::new(plugin());
    cmd.arg("__complete")
        .args(std::env::args_os().skip(1).collect::<Vec<OsString>>());
    run(cmd)
}

#[cfg(unix)]
fn run(mut cmd: Command) -> ExitCode {
    use std::os::unix::process::CommandExt;
    // Only returns on failure.
    let _ = cmd.exec();
    ExitCode::from(127)
}

#[cfg(not(unix))]
fn run(mut cmd: Command) -> ExitCode {
    match cmd.status() {
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| c.clamp(0, 255) as u8)),
        Err(_) => ExitCode::from(127),
    }
}
