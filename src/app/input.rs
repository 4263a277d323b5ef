//! Reading `-f` inputs: files, directories (with `-R`, recursively) and `-` for stdin, in the
//! order given. Directory entries are read in name order, keeping `.yaml`, `.yml` and `.json`
//! files as kubectl does.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::cli::InputArgs;

/// One input's name (its path, or `<stdin>`) and text.
#[derive(Debug, Clone)]
pub struct InputSource {
    pub name: String,
    /// The file's path, for `--in-place` rewrites; `None` for stdin.
    pub path: Option<PathBuf>,
    pub text: String,
}

/// Reads every `-f` argument. Fails on the first unreadable path, naming it.
pub fn read_inputs(args: &InputArgs) -> Result<Vec<InputSource>> {
    let mut out = Vec::new();
    for f in &args.filenames {
        if f.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading <stdin>")?;
            out.push(InputSource {
                name: "<stdin>".into(),
                path: None,
                text,
            });
        } else if f.is_dir() {
            read_dir(f, args.recursive, &mut out)?;
        } else {
            out.push(read_file(f)?);
        }
    }
    Ok(out)
}

fn read_file(path: &Path) -> Result<InputSource> {
    let text = fs_err::read_to_string(path)?;
    Ok(InputSource {
        name: path.display().to_string(),
        path: Some(path.to_path_buf()),
        text,
    })
}

fn read_dir(dir: &Path, recursive: bool, out: &mut Vec<InputSource>) -> Result<()> {
    let mut entries: Vec<PathBuf> = fs_err::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("reading directory {}", dir.display()))?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if recursive {
                read_dir(&path, recursive, out)?;
            }
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(read_file(&path)?);
        }
    }
    Ok(())
}
