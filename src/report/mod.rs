//! Everything the user sees: stdout carries only data (tables, manifests, JSON/YAML);
//! warnings, progress and errors go to stderr. Colors are decided once, in `color::init`.
//!
//! Each command's report is a struct here; `-o json|yaml` serializes it ([`output`]), the
//! table or text is another renderer of the same struct ([`table`], [`decision`], [`check`]).
//!
//! The only module (with `app`) allowed to print.

pub mod check;
pub mod color;
pub mod decision;
mod error;
mod escape;
pub mod jsonpath;
pub mod junit;
pub mod output;
mod printer;
pub mod progress;
pub mod sarif;
mod spill;
pub mod table;

pub use error::{Hint, Hinted, exit_for_error, render_error};
pub use escape::{cell, escape, escape_lines, pad};
pub use output::{Machine, machine};
pub use printer::{BrokenPipe, stderr, stdout, stdout_copy, stdout_parts};
pub use spill::{JsonList, ListOut, Output, Records, SPILL_BYTES, Spill, YamlList};

/// Warnings on stderr, one `warning:` line each.
pub fn warnings(list: &[String]) {
    use colored::Colorize;
    let text: String = list
        .iter()
        .map(|w| format!("{} {w}\n", "warning:".yellow().bold()))
        .collect();
    stderr(&text);
}
