//! Kubernetes' `YAMLReader` rules: a separator is a line starting with `---` followed only by
//! spaces or a `#` comment (anything else is an error); documents are the non-empty text
//! between separators; every line is re-terminated with `\n`, so CRLF becomes LF and a missing
//! final newline is added.

/// A line that starts like a separator but has more after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: invalid Yaml document separator: {rest}")]
pub struct SplitError {
    pub line: usize,
    pub rest: String,
}

/// Splits multi-document YAML. Empty documents are dropped, as kube-inject drops them.
pub fn split_documents(text: &str) -> Result<Vec<String>, SplitError> {
    Ok(split_documents_at(text)?
        .into_iter()
        .map(|(_, doc)| doc)
        .collect())
}

/// [`split_documents`], each document with the line (1-based) of its first line in `text`:
/// where a report (SARIF) points for it.
pub fn split_documents_at(text: &str) -> Result<Vec<(usize, String)>, SplitError> {
    if text.contains('\r') {
        split_lines(text)
    } else {
        split_lf(text)
    }
}

/// Whether line `n` (0-based, without its line end) separates documents; an error when it
/// starts like a separator but has more after it.
fn is_separator(line: &str, n: usize) -> Result<bool, SplitError> {
    let Some(after) = line.strip_prefix("---") else {
        return Ok(false);
    };
    let rest = after.trim();
    if !rest.is_empty() && !rest.starts_with('#') {
        return Err(SplitError {
            line: n + 1,
            rest: rest.to_string(),
        });
    }
    Ok(true)
}

/// The split line by line, each line re-terminated.
fn split_lines(text: &str) -> Result<Vec<(usize, String)>, SplitError> {
    let mut docs = Vec::new();
    let mut splitter = Splitter::default();
    for line in text.lines() {
        docs.extend(splitter.push_line(line)?);
    }
    docs.extend(splitter.finish());
    Ok(docs)
}

/// The same split fed one line at a time, for a stream read as it comes (a document is
/// complete when the separator after it, or the end, is seen): the documents and their first
/// lines are those [`split_documents_at`] gives for the whole text.
#[derive(Debug)]
pub struct Splitter {
    current: String,
    /// The line (1-based) the current document starts on.
    start: usize,
    /// Lines seen so far.
    lines: usize,
}

impl Default for Splitter {
    fn default() -> Splitter {
        Splitter {
            current: String::new(),
            start: 1,
            lines: 0,
        }
    }
}

impl Splitter {
    /// Takes the next line, without its line end: a `\n`, or `\r\n` as [`str::lines`]
    /// strips it. Returns the document this line completes, if it is a separator after one.
    pub fn push_line(&mut self, line: &str) -> Result<Option<(usize, String)>, SplitError> {
        let n = self.lines;
        self.lines += 1;
        if is_separator(line, n)? {
            let done =
                (!self.current.is_empty()).then(|| (self.start, std::mem::take(&mut self.current)));
            self.start = n + 2;
            return Ok(done);
        }
        self.current.push_str(line);
        self.current.push('\n');
        Ok(None)
    }

    /// The last document, at the end of the text.
    pub fn finish(self) -> Option<(usize, String)> {
        (!self.current.is_empty()).then_some((self.start, self.current))
    }
}

/// The same split for text without CR, copying each document at once: with `\n` line ends
/// only, a document is its text as it stands (plus a final `\n` when the text lacks one).
fn split_lf(text: &str) -> Result<Vec<(usize, String)>, SplitError> {
    let mut docs = Vec::new();
    let mut push = |first_line: usize, doc: &str| {
        if !doc.is_empty() {
            let mut d = String::with_capacity(doc.len() + 1);
            d.push_str(doc);
            if !d.ends_with('\n') {
                d.push('\n');
            }
            docs.push((first_line, d));
        }
    };
    let (mut start, mut at, mut first_line) = (0, 0, 1);
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if is_separator(line.strip_suffix('\n').unwrap_or(line), n)? {
            push(first_line, text.get(start..at).unwrap_or_default());
            start = at + line.len();
            first_line = n + 2;
        }
        at += line.len();
    }
    push(first_line, text.get(start..).unwrap_or_default());
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_separator_lines_only() {
        let docs = split_documents("a: 1\n---\nb: 2\n--- # c\nc: '---'\n").unwrap();
        assert_eq!(docs, vec!["a: 1\n", "b: 2\n", "c: '---'\n"]);
    }

    #[test]
    fn drops_empty_documents_and_normalises_line_ends() {
        let docs = split_documents("---\n---\r\na: 1\r\nb: 2").unwrap();
        assert_eq!(docs, vec!["a: 1\nb: 2\n"]);
    }

    #[test]
    fn text_without_cr_splits_as_line_by_line() {
        for text in [
            "",
            "\n",
            "a: 1",
            "a: 1\n---\nb: 2\n--- # c\nc: '---'\n",
            "---\n---\na: 1\nb: 2",
            "\n---\na: 1\n",
            "a: 1\n\n\n---\n\n",
            "a: |\n  x\n  ---y\n---\n",
            "a\n--- b\n",
            "a\n---\tx\n",
            "a\n---",
            "---a\n",
        ] {
            assert_eq!(split_lf(text), split_lines(text), "{text:?}");
        }
    }

    #[test]
    fn each_document_knows_the_line_it_starts_on() {
        for text in [
            "a: 1\n---\nb: 2\nc: 3\n--- # x\n\n---\nd: 4",
            "a: 1\r\n---\r\nb: 2\r\nc: 3\r\n--- # x\r\n\r\n---\r\nd: 4",
        ] {
            let lines: Vec<usize> = split_documents_at(text)
                .unwrap()
                .iter()
                .map(|(l, _)| *l)
                .collect();
            // The blank document between the last two separators is kept as text (line 6).
            assert_eq!(lines, vec![1, 3, 6, 8], "{text:?}");
        }
        assert_eq!(split_documents_at("---\n---\na: 1\n").unwrap()[0].0, 3);
    }

    #[test]
    fn text_after_a_separator_is_an_error() {
        let err = split_documents("a: 1\n--- b: 2\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: invalid Yaml document separator: b: 2"
        );
    }

    #[test]
    fn whitespace_only_document_is_kept_as_text() {
        // YAMLReader returns any non-empty buffer; the caller decides what a blank one means.
        assert_eq!(
            split_documents("\n---\na: 1\n").unwrap(),
            vec!["\n", "a: 1\n"]
        );
    }
}
