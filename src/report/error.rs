//! Error rendering in uv's format: `error: <what failed>`, one `  Caused by: <cause>` per
//! cause, then a blank line and `hint: <what to do>` when some error in the chain carries one.

use std::fmt;
use std::process::ExitCode;

use colored::Colorize;

use super::printer::{BrokenPipe, stderr};

/// An error with advice attached. Displays as the wrapped error and continues its chain, so
/// attaching a hint never repeats or hides a message.
pub struct Hinted {
    error: anyhow::Error,
    hint: String,
}

impl Hinted {
    pub fn hint(&self) -> &str {
        &self.hint
    }
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl fmt::Debug for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} (hint: {})", self.error, self.hint)
    }
}

impl std::error::Error for Hinted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// Attaches a hint to an error or to the error of a `Result`.
pub trait Hint {
    type Output;
    fn hint(self, hint: impl Into<String>) -> Self::Output;
}

impl Hint for anyhow::Error {
    type Output = anyhow::Error;
    fn hint(self, hint: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Hinted {
            error: self,
            hint: hint.into(),
        })
    }
}

impl<T, E: Into<anyhow::Error>> Hint for Result<T, E> {
    type Output = anyhow::Result<T>;
    fn hint(self, hint: impl Into<String>) -> anyhow::Result<T> {
        self.map_err(|e| e.into().hint(hint))
    }
}

/// The error as the user sees it (without color codes when color is off).
pub fn render_error(err: &anyhow::Error) -> String {
    let mut chain = err.chain();
    let mut text = String::new();
    if let Some(top) = chain.next() {
        let top = super::escape_lines(&top.to_string()).into_owned();
        text.push_str(&format!("{} {top}\n", "error:".red().bold()));
    }
    for cause in chain {
        let cause = super::escape_lines(&cause.to_string()).into_owned();
        text.push_str(&format!("  {} {cause}\n", "Caused by:".bold()));
    }
    let hint = err
        .chain()
        .find_map(|e| e.downcast_ref::<Hinted>().map(|h| h.hint.clone()));
    if let Some(hint) = hint {
        let hint = super::escape_lines(&hint).into_owned();
        text.push_str(&format!("\n{} {hint}\n", "hint:".cyan().bold()));
    }
    text
}

/// Prints the error to stderr and gives exit code 2, except for a closed stdout pipe (0).
pub fn exit_for_error(err: &anyhow::Error) -> ExitCode {
    if err.chain().any(|e| e.is::<BrokenPipe>()) {
        return ExitCode::SUCCESS;
    }
    stderr(&render_error(err));
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_keeps_the_chain_and_adds_advice() {
        colored::control::set_override(false);
        let err = anyhow::anyhow!("bad selector")
            .context("deploy.yaml: document 2")
            .hint("fix the operator");
        assert_eq!(
            render_error(&err),
            "error: deploy.yaml: document 2\n  Caused by: bad selector\n\nhint: fix the operator\n"
        );
    }
}
