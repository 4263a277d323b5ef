//! `kubectl-inject`: parse the arguments, run the command, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use kubectl_inject::{app, cli::Cli, report};

fn main() -> ExitCode {
    let cli = Cli::parse();
    report::color::init(cli.color);
    match app::run(cli) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => report::exit_for_error(&err),
    }
}
