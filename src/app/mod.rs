//! One file per subcommand: glue only (gather inputs → call the pure core → report).

mod capture;
mod check;
mod cleanup;
mod codes;
mod complete;
mod docstream;
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

use anyhow::{Context, Result};
use serde::Serialize;

use crate::cli::{Cli, Columns, Command, OutputFormat, Template};
use crate::report::{Machine, machine, output};

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

/// `-o` with its file read: `jsonpath-file=` and `custom-columns-file=` become the inline
/// forms (a file that does not parse is an error naming it, exit 2).
pub(crate) fn resolve_output(format: &OutputFormat) -> Result<OutputFormat> {
    Ok(match format {
        OutputFormat::JsonPathFile(path) => {
            let text = fs_err::read_to_string(path)?;
            OutputFormat::JsonPath(
                Template::parse(text.trim_end_matches('\n'))
                    .with_context(|| format!("-o jsonpath-file={}", path.display()))?,
            )
        }
        OutputFormat::CustomColumnsFile(path) => {
            let name = path.display().to_string();
            let text = fs_err::read_to_string(path)?;
            OutputFormat::CustomColumns(
                Columns::parse_file(&name, &text)
                    .with_context(|| format!("-o custom-columns-file={name}"))?,
            )
        }
        other => other.clone(),
    })
}

/// The text of the report-wide formats: json and yaml of `report`, jsonpath over its JSON,
/// custom-columns over `rows` (kubectl's rows of a list; nothing at all when there are
/// none, as kubectl prints for no resources). `None` for the formats the command renders
/// itself (table, wide, name).
pub(crate) fn report_output<R: Serialize + ?Sized, T: Serialize>(
    format: &OutputFormat,
    report: &R,
    rows: &[T],
    headers: bool,
) -> Result<Option<String>> {
    Ok(Some(match format {
        OutputFormat::Json => machine(report, Machine::Json)?,
        OutputFormat::Yaml => machine(report, Machine::Yaml)?,
        OutputFormat::JsonPath(t) => output::jsonpath(report, t)?,
        OutputFormat::CustomColumns(_) if rows.is_empty() => String::new(),
        OutputFormat::CustomColumns(c) => c.table(rows)?.render(headers)?,
        OutputFormat::JsonPathFile(_) | OutputFormat::CustomColumnsFile(_) => {
            return report_output(&resolve_output(format)?, report, rows, headers);
        }
        // Rendered by the command itself (sarif: only check has findings to give).
        OutputFormat::Table | OutputFormat::Wide | OutputFormat::Name | OutputFormat::Sarif => {
            return Ok(None);
        }
    }))
}

/// The environment variable that sets the spill threshold in bytes (default
/// [`crate::report::SPILL_BYTES`]) of inject's output and check's subjects and output:
/// hidden, for tests that want a small input to spill.
pub const SPILL_ENV: &str = "KUBECTL_INJECT_SPILL_BYTES";

pub(crate) fn spill_threshold() -> Result<usize> {
    match std::env::var(SPILL_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(crate::report::SPILL_BYTES),
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{SPILL_ENV}={v:?}: not a number of bytes")),
        Err(e) => Err(anyhow::Error::new(e).context(SPILL_ENV)),
    }
}
