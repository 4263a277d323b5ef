//! One file per subcommand: glue only (gather inputs → call the pure core → report).

mod capture;
mod check;
mod cleanup;
mod codes;
mod complete;
mod explain;
mod gather;
mod gather_live;
mod inject;
mod inject_cluster;
mod inject_screen;
mod injector;
mod inplace;
mod input;
mod prompt;
mod render;
mod suite;
mod templates;
mod uninstall;
mod verify;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};

pub use complete::run as complete;
pub use input::{InputSource, read_inputs};

/// How a command that did not fail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the command worked and the answer is "no" (`check`, like grep's no-match).
    No,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::No => ExitCode::from(1),
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Inject(args) if args.render_only => render::run(&args),
        Command::Inject(args) => inject::run(&args),
        Command::Uninstall(args) => uninstall::run(&args),
        Command::Cleanup(args) => cleanup::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Capture(args) => capture::run(&args),
        Command::Test(args) => suite::run(&args),
        Command::Completion(args) => complete::script(&args),
    }
}
