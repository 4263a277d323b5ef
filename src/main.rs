//! `kubectl-inject`: parse the arguments, run the command (or answer kubectl's completion
//! request, `__complete`), turn the outcome into an exit code.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use kubectl_inject::{app, cli, cli::Cli, report};

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().collect();
    let outcome = match cli::complete_words(&args) {
        Some(words) => app::complete(&words),
        None => {
            let matches = Cli::command().get_matches_from(args);
            let cli = Cli::from_arg_matches(&matches)
                .and_then(|cli| cli::validate(&cli, &matches).map(|()| cli))
                .unwrap_or_else(|e| e.exit());
            report::color::init(cli.color);
            app::run(cli)
        }
    };
    match outcome {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => report::exit_for_error(&err),
    }
}
