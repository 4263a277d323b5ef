//! `test`: declarative suites (written below).

use anyhow::Result;

use super::Outcome;
use crate::cli::TestArgs;

pub fn run(_args: &TestArgs) -> Result<Outcome> {
    Err(anyhow::anyhow!("not yet"))
}
