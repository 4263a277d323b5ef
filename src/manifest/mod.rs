//! Manifests: splitting multi-document YAML the way Kubernetes' `YAMLReader` does, parsing
//! each document, and finding the pod template inside each workload kind.
//!
//! Pure: works on text already read; imports no I/O.

mod split;
mod workload;

pub use split::{SplitError, Splitter, split_documents, split_documents_at};
pub use workload::{
    ResourceType, Target, TypeNameError, UNSUPPORTED_KIND_HINT, WorkloadKind, parse_targets,
    parse_type_name,
};

use crate::yaml::kube::ReadError;
use serde_json::Value;

/// Where a document came from: `deploy.yaml: document 2 (Deployment default/web)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRef {
    /// The file name, `<stdin>`, `<embedded default>`, …
    pub source: String,
    /// 1-based position of the document in its source.
    pub index: usize,
    /// 1-based line of the document's first line in its source (0: not known).
    pub line: usize,
}

impl std::fmt::Display for DocRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: document {}", self.source, self.index)
    }
}

/// One document of a manifest: its exact text (for byte-for-byte pass-through) and its value.
#[derive(Debug, Clone)]
pub struct Document {
    pub at: DocRef,
    /// The document's text as split (lines re-terminated with `\n`).
    pub raw: String,
    /// The parsed document; `Null` for a document holding only comments.
    pub value: Value,
}

impl Document {
    pub fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }
    pub fn api_version(&self) -> &str {
        self.value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    pub fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    pub fn namespace(&self) -> Option<&str> {
        self.value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
    }
}

/// A document that does not parse, named by source and position.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    // The cause is in the message, so it is not also a `#[source]` (it would print twice).
    #[error("{source_name}: {error}")]
    Split {
        source_name: String,
        error: SplitError,
    },
    // The cause (with its line and column) is in the message, not also a `#[source]`.
    #[error("{at}: invalid YAML: {error}")]
    Yaml { at: DocRef, error: ReadError },
}

/// Splits `text` into documents and parses each one.
pub fn parse_documents(source: &str, text: &str) -> Result<Vec<Document>, ManifestError> {
    split_documents_at(text)
        .map_err(|error| ManifestError::Split {
            source_name: source.to_string(),
            error,
        })?
        .into_iter()
        .enumerate()
        .map(|(i, (line, raw))| {
            let mut doc = parse_document(source, i + 1, raw)?;
            doc.at.line = line;
            Ok(doc)
        })
        .collect()
}

/// The documents of `text`, unparsed (each to go to [`parse_document`]).
pub fn split(source: &str, text: &str) -> Result<Vec<String>, ManifestError> {
    split_documents(text).map_err(|error| ManifestError::Split {
        source_name: source.to_string(),
        error,
    })
}

/// Parses document `index` (1-based) of `source`, as split by [`split`].
pub fn parse_document(source: &str, index: usize, raw: String) -> Result<Document, ManifestError> {
    let at = DocRef {
        source: source.to_string(),
        index,
        line: 0,
    };
    match read_yaml(&raw) {
        Ok(value) => Ok(Document { at, raw, value }),
        Err(error) => Err(ManifestError::Yaml { at, error }),
    }
}

/// Parses one YAML (or JSON) document into a JSON value as Kubernetes reads it
/// (`sigs.k8s.io/yaml`: YAML 1.1 resolution, merge keys, JSON read as JSON; see
/// [`crate::yaml::kube`]).
pub fn read_yaml(text: &str) -> Result<Value, ReadError> {
    crate::yaml::kube::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_numbered_from_one_and_keep_their_text() {
        let docs = parse_documents("app.yaml", "kind: A\n---\nkind: B\nx: 1\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].at.to_string(), "app.yaml: document 2");
        assert_eq!(docs[1].raw, "kind: B\nx: 1\n");
        assert_eq!(docs[1].kind(), "B");
    }

    #[test]
    fn bad_yaml_names_the_document() {
        let err = parse_documents("app.yaml", "kind: A\n---\nkind: [\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("app.yaml: document 2: invalid YAML"),
            "{err}"
        );
    }
}
