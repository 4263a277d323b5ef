//! What a command says on stderr while it reads a cluster: with `-v 6` and above, one line
//! per API request (as kubectl's `-v=6`); otherwise, on a terminal only, a progress line for
//! long lists that is overwritten page by page and cleared when the list is complete —
//! never on stdout, never when stderr is not a terminal.

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::Duration;

use crate::cluster::Observer;

/// The observer a command attaches to its cluster.
pub struct Progress {
    verbosity: u8,
    terminal: bool,
    /// A progress line is on screen and must be cleared.
    shown: Cell<bool>,
}

impl Progress {
    pub fn new(verbosity: u8) -> Progress {
        Progress {
            verbosity,
            terminal: std::io::stderr().is_terminal(),
            shown: Cell::new(false),
        }
    }
}

/// `\r` and erase the line: the progress line is rewritten in place.
const CLEAR: &str = "\r\u{1b}[2K";

impl Observer for Progress {
    fn request(&self, method: &str, path: &str, outcome: &str, elapsed: Duration) {
        if self.verbosity >= 6 {
            super::stderr(&format!(
                "{method} {path} {outcome} in {} milliseconds\n",
                elapsed.as_millis()
            ));
        }
    }

    fn page(&self, what: &str, pages: usize, objects: usize) {
        // The first page is quick; a list worth watching has more.
        if self.terminal && self.verbosity < 6 && pages > 1 {
            super::stderr(&format!(
                "{CLEAR}listing {what}: {pages} pages, {objects} objects…"
            ));
            self.shown.set(true);
        }
    }

    fn listed(&self, _: &str) {
        if self.shown.replace(false) {
            super::stderr(CLEAR);
        }
    }
}
