//! Asking before changing a cluster: on a terminal, a yes/no question on stderr; without
//! one, a refusal — a script must say `--yes`.

use std::io::{BufRead, IsTerminal};

use anyhow::{Result, bail};

use crate::report::{self, Hint};

/// Asks `question` (`Delete 3 object(s)?`); anything but yes cancels. Without a terminal on
/// stdin, refuses with `refusal` (`refusing to delete 3 object(s) without confirmation`).
pub(super) fn confirm(question: &str, refusal: &str) -> Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!(
            anyhow::anyhow!("{refusal}: stdin is not a terminal")
                .hint("pass --yes to proceed from a script, or --dry-run to only look")
        );
    }
    report::stderr(&format!("{question} (y/N) "));
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if matches!(line.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
        return Ok(());
    }
    bail!(anyhow::anyhow!("cancelled; nothing was changed").hint("pass --yes to skip the question"))
}
