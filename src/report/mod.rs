//! Everything the user sees: stdout carries only data (tables, manifests, JSON/YAML);
//! warnings, progress and errors go to stderr. Colors are decided once, in `color::init`.
//!
//! The only module (with `app`) allowed to print.

pub mod color;
mod error;
mod escape;
mod printer;

pub use error::{Hint, Hinted, exit_for_error, render_error};
pub use escape::{cell, escape, escape_lines, pad};
pub use printer::{BrokenPipe, stderr, stdout, stdout_parts};
