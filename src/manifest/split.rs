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
    let mut docs = Vec::new();
    let mut current = String::new();
    for (n, line) in text.lines().enumerate() {
        if let Some(after) = line.strip_prefix("---") {
            let rest = after.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(SplitError {
                    line: n + 1,
                    rest: rest.to_string(),
                });
            }
            if !current.is_empty() {
                docs.push(std::mem::take(&mut current));
            }
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    if !current.is_empty() {
        docs.push(current);
    }
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
