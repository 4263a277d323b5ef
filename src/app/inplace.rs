//! `--in-place` rewrites (`inject -i`, `cleanup -i`): all files or none, each atomically.
//!
//! Every new text is built before this module is called. Then:
//! 1. each path is resolved through its symlinks to the file it names, which must be a
//!    regular file; two paths naming one file (by device and inode) are an error;
//! 2. each new text is written to a temporary file in the target's own directory (so the
//!    rename stays on one file system), flushed to disk, given the original's permission
//!    bits and owner — any failure here removes every temporary file and leaves every input
//!    untouched;
//! 3. only then is each temporary file renamed over its target (`tempfile`'s `persist`):
//!    the link stays a link, the file it points to gets the new content.
//!
//! A rename failing after others succeeded (a full disk does not make a rename fail; a
//! file system going read-only between two renames might) is reported naming which files
//! were and were not rewritten.

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::report::{Hint, escape};

/// One file to rewrite: the path as the user named it, and its complete new text.
pub struct Rewrite {
    pub path: PathBuf,
    pub text: String,
}

/// Rewrites every file, all or none (see the module header).
pub fn write_all(files: Vec<Rewrite>) -> Result<()> {
    let targets = resolve(&files)?;
    let mut staged = Vec::with_capacity(files.len());
    for (rewrite, target) in files.iter().zip(&targets) {
        // On error, `staged` is dropped: each NamedTempFile removes its file.
        staged.push(
            stage(&rewrite.text, target)
                .with_context(|| {
                    format!("rewriting {}", escape(&rewrite.path.display().to_string()))
                })
                .hint("nothing was written")?,
        );
    }
    let mut done: Vec<String> = Vec::new();
    for ((tmp, rewrite), target) in staged.into_iter().zip(&files).zip(&targets) {
        if let Err(e) = tmp.persist(&target.path) {
            let name = escape(&rewrite.path.display().to_string()).into_owned();
            let written = if done.is_empty() {
                "no file was rewritten".to_string()
            } else {
                format!("already rewritten: {}", done.join(", "))
            };
            // `e.file` (the temporary file) is dropped here, removing it.
            return Err(anyhow::Error::new(e.error).context(format!(
                "renaming the new {name} into place failed; {written}"
            )));
        }
        done.push(escape(&rewrite.path.display().to_string()).into_owned());
    }
    Ok(())
}

/// `--in-place` for `inject` and `cleanup`: the documents of each input file, rendered in
/// the file's own format — a YAML stream, or JSON for a file that was JSON (one object as
/// one object, several as a `v1` `List`) — then [`write_all`].
pub fn write_in_place(
    inputs: &[super::InputSource],
    results: &[(usize, crate::inject::DocResult)],
) -> Result<()> {
    let mut per_file: std::collections::BTreeMap<usize, Vec<&crate::inject::DocResult>> =
        std::collections::BTreeMap::new();
    for (i, r) in results {
        per_file.entry(*i).or_default().push(r);
    }
    let mut files = Vec::with_capacity(per_file.len());
    for (i, docs) in per_file {
        let Some(input) = inputs.get(i) else {
            continue;
        };
        let Some(path) = input.path.clone() else {
            continue;
        };
        let text = if is_json(&input.text) {
            json_file(&docs)?
        } else {
            super::inject::render_yaml(docs.into_iter())
        };
        files.push(Rewrite { path, text });
    }
    write_all(files)
}

/// A file is JSON when its first non-blank character opens an object (as kubectl decides
/// by content, not by the name's extension).
fn is_json(text: &str) -> bool {
    text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .starts_with('{')
}

/// The new text of a JSON file: an object the run left as it was keeps its exact text;
/// otherwise pretty JSON, as `-o json` prints it.
fn json_file(docs: &[&crate::inject::DocResult]) -> Result<String> {
    if let [doc] = docs
        && let crate::inject::DocOutput::Raw(text) = &doc.output
        && serde_json::from_str::<serde_json::Value>(text).is_ok()
    {
        return Ok(text.clone());
    }
    let mut values = super::inject::json_values(docs.iter().copied())?;
    let value = if values.len() == 1 {
        values.remove(0)
    } else {
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": values})
    };
    super::inject::json_text(&value)
}

/// A rewrite's target: the file its path resolves to, and that file's metadata.
struct Target {
    path: PathBuf,
    meta: std::fs::Metadata,
}

fn resolve(files: &[Rewrite]) -> Result<Vec<Target>> {
    let mut seen: HashMap<(u64, u64), &Path> = HashMap::new();
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let name = || escape(&f.path.display().to_string()).into_owned();
        let path = fs_err::canonicalize(&f.path)
            .with_context(|| format!("--in-place: resolving {}; nothing was written", name()))?;
        let meta = fs_err::metadata(&path)?;
        if !meta.is_file() {
            bail!(
                anyhow::anyhow!(
                    "--in-place: {} is not a regular file; nothing was written",
                    name()
                )
                .hint("drop --in-place and redirect the output instead")
            );
        }
        if let Some(first) = seen.insert((meta.dev(), meta.ino()), &f.path) {
            bail!(
                anyhow::anyhow!(
                    "--in-place: {} and {} are the same file; nothing was written",
                    escape(&first.display().to_string()),
                    name()
                )
                .hint("name each file once")
            );
        }
        out.push(Target { path, meta });
    }
    Ok(out)
}

/// Writes the new text beside the target, with the target's mode and owner.
fn stage(text: &str, target: &Target) -> Result<tempfile::NamedTempFile> {
    let dir = target.path.parent().unwrap_or_else(|| Path::new("."));
    let base = target
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{base}."))
        .suffix(".kubectl-inject.tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    let file = tmp.as_file();
    let mine = file.metadata()?;
    if (mine.uid(), mine.gid()) != (target.meta.uid(), target.meta.gid()) {
        std::os::unix::fs::fchown(file, Some(target.meta.uid()), Some(target.meta.gid()))
            .with_context(|| {
                format!(
                    "cannot keep the file's owner {}:{}",
                    target.meta.uid(),
                    target.meta.gid()
                )
            })?;
    }
    // After chown, which clears set-id bits.
    file.set_permissions(target.meta.permissions())?;
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("kubectl-inject"))
            .collect()
    }

    #[test]
    fn writes_through_a_symlink_keeping_the_link_and_mode() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.yaml");
        std::fs::write(&real, "old\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = d.path().join("link.yaml");
        std::os::unix::fs::symlink("real.yaml", &link).unwrap();
        write_all(vec![Rewrite {
            path: link.clone(),
            text: "new\n".into(),
        }])
        .unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new\n");
        let mode = std::fs::metadata(&real).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640);
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn the_same_file_twice_writes_nothing() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.yaml");
        let b = d.path().join("b.yaml");
        std::fs::write(&a, "a\n").unwrap();
        std::fs::write(&b, "b\n").unwrap();
        let link = d.path().join("l.yml");
        std::os::unix::fs::symlink(&a, &link).unwrap();
        let err = write_all(vec![
            Rewrite {
                path: b.clone(),
                text: "B\n".into(),
            },
            Rewrite {
                path: a.clone(),
                text: "A\n".into(),
            },
            Rewrite {
                path: link,
                text: "L\n".into(),
            },
        ])
        .unwrap_err();
        assert!(format!("{err:#}").contains("same file"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a\n");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "b\n");
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn a_failure_while_staging_leaves_every_file_and_no_temporary_file() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.yaml");
        std::fs::write(&a, "a\n").unwrap();
        // A directory is not a regular file: the second rewrite fails before any write.
        let sub = d.path().join("sub.yaml");
        std::fs::create_dir(&sub).unwrap();
        let err = write_all(vec![
            Rewrite {
                path: a.clone(),
                text: "A\n".into(),
            },
            Rewrite {
                path: sub,
                text: "S\n".into(),
            },
        ])
        .unwrap_err();
        assert!(format!("{err:#}").contains("not a regular file"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "a\n");
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn an_unwritable_directory_removes_the_staged_files() {
        if nix_is_root() {
            // root ignores directory permissions; the case cannot be made here.
            eprintln!("skipped: running as root");
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let ok = d.path().join("ok.yaml");
        std::fs::write(&ok, "ok\n").unwrap();
        let ro = d.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        let f = ro.join("f.yaml");
        std::fs::write(&f, "f\n").unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        let err = write_all(vec![
            Rewrite {
                path: ok.clone(),
                text: "OK\n".into(),
            },
            Rewrite {
                path: f.clone(),
                text: "F\n".into(),
            },
        ]);
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&ok).unwrap(), "ok\n");
        assert!(leftovers(d.path()).is_empty());
    }

    fn nix_is_root() -> bool {
        std::fs::metadata("/proc/self")
            .map(|m| m.uid() == 0)
            .unwrap_or(false)
    }

    #[test]
    fn the_owner_is_kept() {
        if !nix_is_root() {
            eprintln!("skipped: changing a file's owner needs root");
            return;
        }
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.yaml");
        std::fs::write(&a, "a\n").unwrap();
        std::os::unix::fs::chown(&a, Some(4321), Some(4322)).unwrap();
        write_all(vec![Rewrite {
            path: a.clone(),
            text: "A\n".into(),
        }])
        .unwrap();
        let m = std::fs::metadata(&a).unwrap();
        assert_eq!((m.uid(), m.gid()), (4321, 4322));
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "A\n");
    }
}
