//! Reading `-f` inputs: files, directories (with `-R`, recursively) and `-` for stdin, in the
//! order given, walked the way kubectl walks them and made safe against hostile trees:
//!
//! - in a directory only regular files named `.yaml`, `.yml` or `.json` are read, in name
//!   order (a FIFO, socket or device found there is an error, never opened: opening a FIFO
//!   blocks until a writer comes);
//! - a path given by name is read whatever it is (`-f <(cmd)` is a pipe), except a device;
//! - every file is read once: a file reached again (`-f d/a.yaml -f d`, a symlink to it, a
//!   hard link) is a duplicate, identified by device and inode;
//! - a directory is entered once, so directory symlink loops under `-R` end;
//! - each input, and all of them together, stop at a size limit, with an error rather than
//!   memory exhaustion (`-f /dev/zero` is refused; a pipe that never ends hits the limit).

use std::collections::HashSet;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::InputArgs;
use crate::report::{self, Hint};

/// The most one input may hold: far beyond any real manifest (the 1,000-Deployment bench
/// is 4 MB), small enough that a runaway input is an error rather than an OOM.
pub const MAX_FILE_BYTES: u64 = 64 << 20;
/// The most all inputs of one run may hold together.
pub const MAX_TOTAL_BYTES: u64 = 256 << 20;

/// One input's name (its path, or `<stdin>`) and text.
#[derive(Debug, Clone)]
pub struct InputSource {
    pub name: String,
    /// The file's path, for `--in-place` rewrites; `None` for stdin.
    pub path: Option<PathBuf>,
    pub text: String,
    /// Not read yet: `text` is empty, and the regular file at `path` is read as it is used
    /// ([`walk_streaming`]; `app/docstream.rs` reads it, holding the same limits).
    pub streamed: bool,
    /// Stdin read by [`walk_streaming`] past the spill threshold: `text` is empty, and this
    /// anonymous temporary file holds it (checked text), read from its start at each use.
    pub spooled: Option<std::sync::Arc<std::fs::File>>,
}

/// What the walk found: each file once, and the names that reached a file already read.
#[derive(Debug, Default)]
pub struct Walk {
    pub sources: Vec<InputSource>,
    /// `(the later name, the name it was first read under)`.
    pub duplicates: Vec<(String, String)>,
}

/// Reads every `-f` argument, each file once; a file named again is reported on stderr and
/// skipped. Fails on the first unreadable path, naming it.
pub fn read_inputs(args: &InputArgs) -> Result<Vec<InputSource>> {
    let walk = walk(args)?;
    for (again, first) in &walk.duplicates {
        report::stderr(&format!(
            "warning: {} is the same file as {}: read once\n",
            report::escape(again),
            report::escape(first)
        ));
    }
    Ok(walk.sources)
}

/// The inputs of an in-place rewrite: files only, each named once (a file reached twice
/// would be rewritten twice from the same original).
pub fn read_inputs_to_rewrite(args: &InputArgs) -> Result<Vec<InputSource>> {
    let walk = walk(args)?;
    if let Some((again, first)) = walk.duplicates.first() {
        bail!(
            anyhow::anyhow!(
                "--in-place: {} is the same file as {}; nothing was written",
                report::escape(again),
                report::escape(first)
            )
            .hint("name each file once (a directory with -f already includes its files)")
        );
    }
    if let Some(stdin) = walk.sources.iter().find(|i| i.path.is_none()) {
        bail!(
            anyhow::anyhow!("--in-place cannot rewrite {}", stdin.name)
                .hint("drop --in-place to print the result, or pass files with -f")
        );
    }
    Ok(walk.sources)
}

/// Walks every `-f` argument in order.
pub fn walk(args: &InputArgs) -> Result<Walk> {
    walk_with(args, Walker::default())
}

/// [`walk`] without reading regular files: each is checked (kind, duplicates, size limits)
/// and left `streamed`, to be read document by document (`app/docstream.rs`). Stdin and
/// pipes are read here, as they can be read only once. Duplicates are warned about on
/// stderr, as [`read_inputs`] does.
pub fn walk_streaming(args: &InputArgs) -> Result<Vec<InputSource>> {
    let walk = walk_with(
        args,
        Walker {
            streaming: true,
            ..Walker::default()
        },
    )?;
    for (again, first) in &walk.duplicates {
        report::stderr(&format!(
            "warning: {} is the same file as {}: read once\n",
            report::escape(again),
            report::escape(first)
        ));
    }
    Ok(walk.sources)
}

fn walk_with(args: &InputArgs, mut w: Walker) -> Result<Walk> {
    for f in &args.filenames {
        if f.as_os_str() == "-" {
            let (text, spooled) = if w.streaming {
                w.spool_limited(
                    "<stdin>",
                    std::io::stdin().lock(),
                    super::spill_threshold()?,
                )?
            } else {
                (w.read_limited("<stdin>", std::io::stdin().lock())?, None)
            };
            w.out.sources.push(InputSource {
                name: "<stdin>".into(),
                path: None,
                text,
                streamed: false,
                spooled,
            });
            continue;
        }
        let meta = fs_err::metadata(f)?;
        if meta.is_dir() {
            w.dir(f, args.recursive, &meta)?;
        } else {
            w.file(f, &meta, true)?;
        }
    }
    Ok(w.out)
}

#[derive(Default)]
struct Walker {
    out: Walk,
    /// Files read, by (device, inode), with the name first used.
    files: std::collections::HashMap<(u64, u64), String>,
    /// Directories entered, by (device, inode).
    dirs: HashSet<(u64, u64)>,
    total: u64,
    /// Regular files are left unread ([`walk_streaming`]).
    streaming: bool,
}

impl Walker {
    fn file(&mut self, path: &Path, meta: &std::fs::Metadata, named: bool) -> Result<()> {
        let name = path.display().to_string();
        let ft = meta.file_type();
        let allowed = ft.is_file() || (named && ft.is_fifo());
        if !allowed {
            let what = if ft.is_fifo() {
                "a FIFO"
            } else if ft.is_char_device() || ft.is_block_device() {
                "a device"
            } else if ft.is_socket() {
                "a socket"
            } else {
                "not a regular file"
            };
            bail!(
                anyhow::anyhow!("{}: {what}, not a manifest file", report::escape(&name))
                    .hint("pass manifests as regular files, or pipe them in with -f -")
            );
        }
        let id = (meta.dev(), meta.ino());
        if let Some(first) = self.files.get(&id) {
            self.out.duplicates.push((name, first.clone()));
            return Ok(());
        }
        if ft.is_file() && meta.len() > MAX_FILE_BYTES {
            bail!(too_large(&name, MAX_FILE_BYTES));
        }
        let streamed = self.streaming && ft.is_file();
        let text = if streamed {
            // Counted at its present size; the reader holds the per-file limit as it reads.
            self.account(&name, meta.len())?;
            String::new()
        } else {
            let file = fs_err::File::open(path)?;
            self.read_limited(&name, file)?
        };
        self.files.insert(id, name.clone());
        self.out.sources.push(InputSource {
            spooled: None,
            name,
            path: Some(path.to_path_buf()),
            text,
            streamed,
        });
        Ok(())
    }

    fn dir(&mut self, dir: &Path, recursive: bool, meta: &std::fs::Metadata) -> Result<()> {
        if !self.dirs.insert((meta.dev(), meta.ino())) {
            // Entered already (a symlink loop, or the same directory named twice).
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = fs_err::read_dir(dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("reading directory {}", dir.display()))?;
        entries.sort();
        for path in entries {
            let wanted = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            );
            // Follows symlinks; a dangling one matters only when it would have been read.
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(_) if !wanted => continue,
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!(
                        "reading {}",
                        report::escape(&path.display().to_string())
                    )));
                }
            };
            if meta.is_dir() {
                if recursive {
                    self.dir(&path, recursive, &meta)?;
                }
            } else if wanted {
                self.file(&path, &meta, false)?;
            }
        }
        Ok(())
    }

    /// Reads at most the per-file limit (and what is left of the total), as UTF-8 text.
    fn read_limited(&mut self, name: &str, reader: impl Read) -> Result<String> {
        Ok(self.spool_limited(name, reader, usize::MAX)?.0)
    }

    /// Reads at most the per-file limit (and what is left of the total), checked as UTF-8
    /// as it is copied: in memory up to `threshold` bytes, past it in an anonymous temporary
    /// file (stdin, which streaming commands read twice and cannot be read again). The
    /// errors are those of reading it whole: too large first, then the first byte that is
    /// not UTF-8.
    fn spool_limited(
        &mut self,
        name: &str,
        mut reader: impl Read,
        threshold: usize,
    ) -> Result<(String, Option<std::sync::Arc<std::fs::File>>)> {
        let left = MAX_TOTAL_BYTES.saturating_sub(self.total);
        let limit = MAX_FILE_BYTES.min(left);
        let mut out = report::Spill::new(threshold);
        let mut chunk = vec![0u8; 1 << 16];
        // Bytes of a character cut by the chunk's end, carried to the next chunk.
        let mut carried: Vec<u8> = Vec::new();
        let mut len: u64 = 0;
        // The first byte that is not UTF-8; the size limit is checked before it is said.
        let mut bad: Option<u64> = None;
        loop {
            let n = reader
                .read(&mut chunk)
                .with_context(|| format!("reading {}", report::escape(name)))?;
            if n == 0 {
                break;
            }
            len += n as u64;
            if len > limit {
                break;
            }
            if bad.is_some() {
                continue;
            }
            carried.extend_from_slice(&chunk[..n]);
            let valid = match std::str::from_utf8(&carried) {
                Ok(text) => text.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(e) => {
                    bad = Some(len - carried.len() as u64 + e.valid_up_to() as u64);
                    continue;
                }
            };
            out.write(std::str::from_utf8(&carried[..valid]).unwrap_or_default())?;
            carried.drain(..valid);
        }
        self.account(name, len)?;
        if bad.is_none() && !carried.is_empty() {
            bad = Some(len - carried.len() as u64);
        }
        if let Some(at) = bad {
            return Err(not_utf8(name, usize::try_from(at).unwrap_or(usize::MAX)));
        }
        let (text, file) = out.into_parts()?;
        Ok((text, file.map(std::sync::Arc::new)))
    }

    /// Counts `len` bytes of input `name` against the per-file limit and the total.
    fn account(&mut self, name: &str, len: u64) -> Result<()> {
        let limit = MAX_FILE_BYTES.min(MAX_TOTAL_BYTES.saturating_sub(self.total));
        if len > limit {
            if limit < MAX_FILE_BYTES {
                bail!(
                    anyhow::anyhow!(
                        "{}: the inputs together are larger than {} MiB, the input size limit",
                        report::escape(name),
                        MAX_TOTAL_BYTES >> 20
                    )
                    .hint("split the run into several smaller ones")
                );
            }
            bail!(too_large(name, MAX_FILE_BYTES));
        }
        self.total += len;
        Ok(())
    }
}

/// Input `name` is not UTF-8: its first invalid byte is at `offset`.
pub(super) fn not_utf8(name: &str, offset: usize) -> anyhow::Error {
    anyhow::anyhow!(
        "{}: not UTF-8 text (invalid byte at offset {offset})",
        report::escape(name)
    )
    .hint("manifests are UTF-8 YAML or JSON; convert the file (e.g. with iconv)")
}

pub(super) fn too_large(name: &str, limit: u64) -> anyhow::Error {
    anyhow::anyhow!(
        "{}: larger than {} MiB, the input size limit",
        report::escape(name),
        limit >> 20
    )
    .hint("split the manifest into smaller files")
}
