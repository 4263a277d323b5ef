//! Writing to stdout and stderr. Output is built whole by the caller and written once, so
//! nothing is half-written; a closed pipe (`| head`) ends the program quietly with exit 0.

use std::io::Write;

/// The reader of stdout went away (`kubectl inject check … | head`): not an error to report.
#[derive(Debug, thiserror::Error)]
#[error("broken pipe")]
pub struct BrokenPipe;

/// Writes `text` to stdout in one go.
pub fn stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
        other => Ok(other?),
    }
}

/// Writes `parts` to stdout one after the other, as [`stdout`] writes one text: for output
/// already complete in pieces (one per document), without first joining them into a copy.
pub fn stdout_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = parts
        .into_iter()
        .try_for_each(|p| out.write_all(p.as_bytes()))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
        other => Ok(other?),
    }
}

/// Copies everything `reader` holds to stdout: output complete in a temporary file
/// ([`super::Spill`]).
pub fn stdout_copy(reader: &mut impl std::io::Read) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow::Error::new(e).context("reading the output back")),
        };
        match out.write_all(buf.get(..n).unwrap_or_default()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Err(BrokenPipe.into()),
            other => other?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(BrokenPipe.into()),
        other => Ok(other?),
    }
}

/// Writes `text` to stderr; failures to write diagnostics are ignored (nowhere to report them).
pub fn stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
