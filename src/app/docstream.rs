//! `-f` inputs read document by document (`inject` to stdout): a regular file left unread
//! by [`super::input::walk_streaming`] is read line by line as its documents are used, so a
//! 50 MiB manifest is never in memory whole; stdin and pipes were read by the walk and are
//! split from their text. Either way the documents, their numbers and first lines, and the
//! errors (not UTF-8, too large, a bad separator) are those of reading the whole text and
//! splitting it with [`crate::manifest::split_documents_at`].

use std::io::BufRead;

use anyhow::{Context, Result};

use super::inject_screen::ContextDocs;
use super::input::{InputSource, MAX_FILE_BYTES, not_utf8, too_large};
use crate::manifest::{ManifestError, SplitError, Splitter};
use crate::report;

/// One document as split: 1-based index and first line in its input, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RawDoc {
    pub index: usize,
    pub line: usize,
    pub raw: String,
}

/// Why the next document cannot be had.
#[derive(Debug)]
pub(super) enum ReadError {
    /// The input cannot be read as text (I/O, not UTF-8, past the size limit).
    Read(anyhow::Error),
    /// A line starts like a separator but has more after it.
    Split(SplitError),
}

/// The documents of one input, in order.
pub(super) struct DocReader<'a> {
    name: &'a str,
    reader: Box<dyn BufRead + 'a>,
    /// `None` once the end or a bad separator is met.
    splitter: Option<Splitter>,
    /// Bytes read so far (for the offset of a byte that is not UTF-8, and the size limit).
    offset: u64,
    /// The last line read, with its line end; its buffer is reused for the next.
    line: String,
    index: usize,
    /// Lines are shown to it as read; [`DocReader::seen`] says whether it ever said yes.
    watch: Option<fn(&str) -> bool>,
    seen: bool,
}

impl<'a> DocReader<'a> {
    /// Opens `src`: its file when it was left unread, else its text.
    pub fn open(src: &'a InputSource) -> Result<DocReader<'a>> {
        let reader: Box<dyn BufRead + 'a> = match (&src.path, src.streamed, &src.spooled) {
            (Some(path), true, _) => Box::new(std::io::BufReader::with_capacity(
                1 << 16,
                fs_err::File::open(path)?,
            )),
            (_, _, Some(file)) => {
                let mut file: &std::fs::File = file;
                std::io::Seek::rewind(&mut file)
                    .with_context(|| format!("reading {} again", report::escape(&src.name)))?;
                Box::new(std::io::BufReader::with_capacity(1 << 16, file))
            }
            _ => Box::new(src.text.as_bytes()),
        };
        Ok(DocReader {
            name: &src.name,
            reader,
            splitter: Some(Splitter::default()),
            offset: 0,
            line: String::new(),
            index: 0,
            watch: None,
            seen: false,
        })
    }

    /// Shows every line read to `watch` (see [`DocReader::seen`]).
    pub fn watching(mut self, watch: fn(&str) -> bool) -> DocReader<'a> {
        self.watch = Some(watch);
        self
    }

    /// Whether the watch said yes to a line read so far.
    pub fn seen(&self) -> bool {
        self.seen
    }

    /// Reads the next line into `self.line`, checked; false at the end.
    fn read_line(&mut self) -> Result<bool> {
        let mut bytes = std::mem::take(&mut self.line).into_bytes();
        bytes.clear();
        let n = self
            .reader
            .read_until(b'\n', &mut bytes)
            .with_context(|| format!("reading {}", report::escape(self.name)))?;
        let start = self.offset;
        self.offset += n as u64;
        if self.offset > MAX_FILE_BYTES {
            return Err(too_large(self.name, MAX_FILE_BYTES));
        }
        self.line = String::from_utf8(bytes).map_err(|e| {
            let at = usize::try_from(start).unwrap_or(usize::MAX);
            not_utf8(self.name, at.saturating_add(e.utf8_error().valid_up_to()))
        })?;
        if let Some(watch) = self.watch {
            self.seen |= watch(&self.line);
        }
        Ok(n > 0)
    }

    /// Reads the rest of the input (after a bad separator), checking that it is text.
    pub fn drain(&mut self) -> Result<()> {
        while self.read_line()? {}
        Ok(())
    }
}

/// A line without its line end, as [`str::lines`] gives it: `\n`, or `\r\n`.
fn content(line: &str) -> &str {
    match line.strip_suffix('\n') {
        Some(l) => l.strip_suffix('\r').unwrap_or(l),
        None => line,
    }
}

impl Iterator for DocReader<'_> {
    type Item = Result<RawDoc, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.splitter.as_ref()?;
            let more = match self.read_line() {
                Ok(more) => more,
                Err(e) => {
                    self.splitter = None;
                    return Some(Err(ReadError::Read(e)));
                }
            };
            let done = if more {
                let splitter = self.splitter.as_mut()?;
                match splitter.push_line(content(&self.line)) {
                    Ok(done) => done,
                    Err(e) => {
                        self.splitter = None;
                        return Some(Err(ReadError::Split(e)));
                    }
                }
            } else {
                self.splitter.take().and_then(Splitter::finish)
            };
            if let Some((line, raw)) = done {
                self.index += 1;
                return Some(Ok(RawDoc {
                    index: self.index,
                    line,
                    raw,
                }));
            }
        }
    }
}

/// `inject`'s first pass over one input: read to its end (so an input that is not text
/// fails before anything is decided), keeping only the documents `wanted` says yes to (it
/// sees each line: what it looks for must not span lines), and whether any line had it.
pub(super) fn scan(src: &InputSource, wanted: fn(&str) -> bool) -> Result<ContextDocs> {
    let mut reader = DocReader::open(src)?.watching(wanted);
    let mut docs = Ok(Vec::new());
    while let Some(doc) = reader.next() {
        match doc {
            Ok(d) => {
                if wanted(&d.raw)
                    && let Ok(kept) = &mut docs
                {
                    kept.push((d.index, d.raw));
                }
            }
            Err(ReadError::Read(e)) => return Err(e),
            Err(ReadError::Split(e)) => {
                reader.drain()?;
                docs = Err(e);
            }
        }
    }
    Ok(ContextDocs {
        name: src.name.clone(),
        mentions: reader.seen(),
        docs,
    })
}

/// A document for [`crate::inject::Injector::inject_stream`].
pub(super) type Pending<'a> = crate::inject::Pending<'a>;

/// Every document of `sources` in input order. The documents `skip` names (input index,
/// document index) are left out and the later ones of their input renumbered, as if they
/// had never been in its text (a bundle: it configures the run, it is not output).
pub(super) fn documents<'a>(
    sources: &'a [InputSource],
    skip: &'a [(usize, usize)],
) -> impl Iterator<Item = Result<Pending<'a>, anyhow::Error>> + 'a {
    sources.iter().enumerate().flat_map(move |(input, src)| {
        let reader = match DocReader::open(src) {
            Ok(r) => Either::Docs(r),
            Err(e) => Either::Failed(Some(e)),
        };
        reader.filter_map(move |doc| {
            let doc = match doc {
                Ok(d) => d,
                Err(ReadError::Read(e)) => return Some(Err(e)),
                Err(ReadError::Split(error)) => {
                    return Some(Err(ManifestError::Split {
                        source_name: src.name.clone(),
                        error,
                    }
                    .into()));
                }
            };
            if skip.contains(&(input, doc.index)) {
                return None;
            }
            let before = skip
                .iter()
                .filter(|(i, d)| *i == input && *d < doc.index)
                .count();
            Some(Ok(Pending {
                input,
                source: &src.name,
                index: doc.index - before,
                raw: doc.raw,
            }))
        })
    })
}

/// An input's documents, or the error that kept it from being opened.
enum Either<'a> {
    Docs(DocReader<'a>),
    Failed(Option<anyhow::Error>),
}

impl Iterator for Either<'_> {
    type Item = Result<RawDoc, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Either::Docs(r) => r.next(),
            Either::Failed(e) => e.take().map(|e| Err(ReadError::Read(e))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::split_documents_at;

    fn text_source(text: &str) -> InputSource {
        InputSource {
            spooled: None,
            name: "in.yaml".into(),
            path: None,
            text: text.into(),
            streamed: false,
        }
    }

    // The error as text: the tests compare two readers' results, and the reader's error
    // holds an `anyhow::Error`, which has no equality.
    fn read_all(src: &InputSource) -> Result<Vec<(usize, String)>, String> {
        let mut out = Vec::new();
        for (n, doc) in DocReader::open(src).unwrap().enumerate() {
            match doc {
                Ok(d) => {
                    assert_eq!(d.index, n + 1);
                    out.push((d.line, d.raw));
                }
                Err(ReadError::Split(e)) => return Err(e.to_string()),
                Err(ReadError::Read(e)) => return Err(format!("{e:#}")),
            }
        }
        Ok(out)
    }

    const TEXTS: [&str; 14] = [
        "",
        "\n",
        "a: 1",
        "a: 1\n---\nb: 2\n--- # c\nc: '---'\n",
        "---\n---\r\na: 1\r\nb: 2",
        "\n---\na: 1\n",
        "a: 1\n\n\n---\n\n",
        "a: |\n  x\n  ---y\n---\n",
        "a\n--- b\n",
        "a\r\n---\r\nb\rc\r\n",
        "a\n---",
        "---a\n",
        "a: 1\r",
        "a: 1\r\n---\r\nb: 2\r\nc: 3\r\n--- # x\r\n\r\n---\r\nd: 4",
    ];

    #[test]
    fn documents_are_those_of_the_whole_text() {
        for text in TEXTS {
            let whole = split_documents_at(text).map_err(|e| e.to_string());
            assert_eq!(read_all(&text_source(text)), whole, "{text:?}");
        }
    }

    #[test]
    fn a_file_is_read_as_its_text() {
        let dir = tempfile::tempdir().unwrap();
        for (n, text) in TEXTS.iter().enumerate() {
            let path = dir.path().join(format!("{n}.yaml"));
            std::fs::write(&path, text).unwrap();
            let src = InputSource {
                spooled: None,
                name: path.display().to_string(),
                path: Some(path),
                text: String::new(),
                streamed: true,
            };
            assert_eq!(read_all(&src), read_all(&text_source(text)), "{text:?}");
        }
    }

    #[test]
    fn a_byte_that_is_not_utf8_is_found_at_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.yaml");
        let bytes = b"a: 1\n---\nb: \xc3(\n".to_vec();
        let at = String::from_utf8(bytes.clone())
            .unwrap_err()
            .utf8_error()
            .valid_up_to();
        std::fs::write(&path, &bytes).unwrap();
        let src = InputSource {
            spooled: None,
            name: "bad.yaml".into(),
            path: Some(path),
            text: String::new(),
            streamed: true,
        };
        let err = read_all(&src).unwrap_err();
        assert!(
            err.contains(&format!(
                "bad.yaml: not UTF-8 text (invalid byte at offset {at})"
            )),
            "{err}"
        );
    }

    #[test]
    fn the_scan_keeps_what_it_is_asked_for_and_sees_past_a_bad_separator() {
        fn wanted(t: &str) -> bool {
            t.contains("Namespace")
        }
        let scanned = scan(
            &text_source("kind: Pod\n---\nkind: Namespace\n---\nkind: Pod\n"),
            wanted,
        )
        .unwrap();
        assert!(scanned.mentions);
        assert_eq!(
            scanned.docs.unwrap(),
            vec![(2, "kind: Namespace\n".to_string())]
        );
        let scanned = scan(&text_source("kind: Pod\n--- x\nkind: Namespace\n"), wanted).unwrap();
        assert!(scanned.mentions);
        assert_eq!(scanned.docs.unwrap_err().line, 2);
    }

    #[test]
    fn left_out_documents_renumber_the_later_ones() {
        let sources = [
            text_source("a: 1\n---\nb: 2\n---\nc: 3\n"),
            text_source("d: 4\n"),
        ];
        let skip = [(0, 2)];
        let docs: Vec<(usize, usize, String)> = documents(&sources, &skip)
            .map(|d| d.map(|d| (d.input, d.index, d.raw)).unwrap())
            .collect();
        assert_eq!(
            docs,
            vec![
                (0, 1, "a: 1\n".to_string()),
                (0, 2, "c: 3\n".to_string()),
                (1, 1, "d: 4\n".to_string()),
            ]
        );
    }
}
