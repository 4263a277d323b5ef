//! The color decision, made once at start-up. `colored` decides from stdout alone, so its
//! global override is set here from `--color`, `NO_COLOR`, `CLICOLOR_FORCE` and `TERM`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::ColorChoice;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Decides whether to color and tells `colored`.
pub fn init(choice: ColorChoice) {
    let on = decide(choice, std::io::stdout().is_terminal(), |k| {
        std::env::var_os(k).map(|v| v.to_string_lossy().into_owned())
    });
    ENABLED.store(on, Ordering::Relaxed);
    colored::control::set_override(on);
}

/// Whether output is colored, as decided by [`init`] (off until then).
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Pure decision: `--color` wins; for `auto`, `NO_COLOR` (non-empty) turns color off,
/// `CLICOLOR_FORCE` (non-empty, not "0") turns it on, else a terminal that is not `dumb`.
pub fn decide(choice: ColorChoice, is_tty: bool, env: impl Fn(&str) -> Option<String>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                return false;
            }
            if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                return true;
            }
            is_tty && env("TERM").as_deref() != Some("dumb")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn explicit_choice_wins_over_environment() {
        assert!(decide(
            ColorChoice::Always,
            false,
            env(&[("NO_COLOR", "1")])
        ));
        assert!(!decide(
            ColorChoice::Never,
            true,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
    }

    #[test]
    fn auto_follows_terminal_and_variables() {
        assert!(decide(ColorChoice::Auto, true, env(&[])));
        assert!(!decide(ColorChoice::Auto, false, env(&[])));
        assert!(!decide(ColorChoice::Auto, true, env(&[("NO_COLOR", "1")])));
        assert!(decide(ColorChoice::Auto, true, env(&[("NO_COLOR", "")])));
        assert!(!decide(ColorChoice::Auto, true, env(&[("TERM", "dumb")])));
        assert!(decide(
            ColorChoice::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
        assert!(!decide(
            ColorChoice::Auto,
            false,
            env(&[("CLICOLOR_FORCE", "0")])
        ));
    }
}
