//! Kubernetes label-selector semantics, compiled once and matched many times.
//!
//! - `matchLabels` entries become `key=value` requirements; all requirements are ANDed.
//! - `In` needs the key with a listed value; `NotIn` is true when the key is absent or its
//!   value is not listed; `Exists` / `DoesNotExist` look only at the key.
//! - A selector with no requirement matches everything (webhook selectors); the never/always
//!   lists treat it specially (see `policy`), as Istio's `!selector.Empty()` does.
//! - Invalid selectors — an unknown operator, `In`/`NotIn` without values, `Exists` /
//!   `DoesNotExist` with values, a bad key or value — are errors naming the field path, as
//!   apimachinery's `LabelSelectorAsSelector` rejects them; never a silent "no match".
//!
//! Also parses kubectl's `-l` syntax (`k=v,k2!=v2,k3 in (a,b),k4 notin (c),k5,!k6`).

use std::fmt;

use crate::model::labels::{validate_key, validate_value};
use crate::model::{LabelSelector, StringMap};

/// A selector that Kubernetes would reject, with the field path of the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct SelectorError {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

/// One requirement: `key op values`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

impl Requirement {
    pub fn matches(&self, value: Option<&str>) -> bool {
        match self.op {
            Op::In => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            Op::NotIn => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
        }
    }
}

/// kubectl's notation: `k=v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = &self.key;
        match (self.op, self.values.as_slice()) {
            (Op::In, [v]) => write!(f, "{k}={v}"),
            (Op::NotIn, [v]) => write!(f, "{k}!={v}"),
            (Op::In, vs) => write!(f, "{k} in ({})", vs.join(",")),
            (Op::NotIn, vs) => write!(f, "{k} notin ({})", vs.join(",")),
            (Op::Exists, _) => write!(f, "{k}"),
            (Op::DoesNotExist, _) => write!(f, "!{k}"),
        }
    }
}

/// A validated selector: requirements ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

impl Selector {
    /// The selector that matches everything (a missing webhook selector).
    pub fn everything() -> Selector {
        Selector::default()
    }

    /// True when the selector has no requirement (`{}`).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Validates and compiles `sel`; `path` names it in errors (`neverInjectSelector[0]`).
    pub fn compile(sel: &LabelSelector, path: &str) -> Result<Selector, SelectorError> {
        let err = |path: String, message: String| SelectorError { path, message };
        let mut requirements = Vec::new();
        for (k, v) in sel.match_labels.iter().flatten() {
            let at = format!("{path}.matchLabels.{k}");
            validate_key(k).map_err(|e| err(at.clone(), e.to_string()))?;
            validate_value(v).map_err(|e| err(at.clone(), e.to_string()))?;
            requirements.push(Requirement {
                key: k.clone(),
                op: Op::In,
                values: vec![v.clone()],
            });
        }
        for (i, r) in sel.match_expressions.iter().flatten().enumerate() {
            let at = format!("{path}.matchExpressions[{i}]");
            validate_key(&r.key).map_err(|e| err(format!("{at}.key"), e.to_string()))?;
            let values = r.values.clone().unwrap_or_default();
            let op = match r.operator.as_str() {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                other => {
                    return Err(err(
                        format!("{at}.operator"),
                        format!(
                            "{other:?} is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)"
                        ),
                    ));
                }
            };
            match op {
                Op::In | Op::NotIn if values.is_empty() => {
                    return Err(err(
                        format!("{at}.values"),
                        format!("must be specified when `operator` is {}", r.operator),
                    ));
                }
                Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                    return Err(err(
                        format!("{at}.values"),
                        format!("may not be specified when `operator` is {}", r.operator),
                    ));
                }
                _ => {}
            }
            for (j, v) in values.iter().enumerate() {
                validate_value(v).map_err(|e| err(format!("{at}.values[{j}]"), e.to_string()))?;
            }
            requirements.push(Requirement {
                key: r.key.clone(),
                op,
                values,
            });
        }
        Ok(Selector { requirements })
    }

    /// Parses kubectl's `-l` syntax.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let err = |message: String| SelectorError {
            path: "--selector".to_string(),
            message,
        };
        let mut requirements = Vec::new();
        let syntax = |e: SyntaxError| err(e.to_string());
        for term in split_top_level(text).map_err(syntax)? {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            let req = parse_term(term).map_err(syntax)?;
            validate_key(&req.key).map_err(|e| err(e.to_string()))?;
            for v in &req.values {
                validate_value(v).map_err(|e| err(e.to_string()))?;
            }
            requirements.push(req);
        }
        Ok(Selector { requirements })
    }

    /// Matches a label lookup (so extra labels, like a namespace's implicit name label, need
    /// no copy of the map).
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.requirements.iter().all(|r| r.matches(get(&r.key)))
    }

    pub fn matches(&self, labels: &StringMap) -> bool {
        self.matches_with(|k| labels.get(k).map(String::as_str))
    }

    /// The first requirement the labels do not meet.
    pub fn first_unmet<'a, 'l>(
        &'a self,
        get: impl Fn(&str) -> Option<&'l str>,
    ) -> Option<&'a Requirement> {
        self.requirements.iter().find(|r| !r.matches(get(&r.key)))
    }
}

/// `a=b, c` style; `<any>` for the empty selector.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requirements.is_empty() {
            return f.write_str("<any>");
        }
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// What is wrong with a `-l` selector's text, naming the selector or the term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum SyntaxError {
    #[error("unbalanced ')' in {text:?}")]
    UnbalancedClose { text: String },
    #[error("unbalanced '(' in {text:?}")]
    UnbalancedOpen { text: String },
    #[error("{term:?}: expected ')' at the end")]
    Unclosed { term: String },
    #[error("{term:?}: expected `key in (…)` or `key notin (…)`")]
    SetOperator { term: String },
    #[error("{term:?}: the value list is empty")]
    EmptyList { term: String },
}

/// Splits on commas outside parentheses.
fn split_top_level(text: &str) -> Result<Vec<&str>, SyntaxError> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| SyntaxError::UnbalancedClose { text: text.into() })?;
            }
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(SyntaxError::UnbalancedOpen { text: text.into() });
    }
    out.push(&text[start..]);
    Ok(out)
}

fn parse_term(term: &str) -> Result<Requirement, SyntaxError> {
    let req = |key: &str, op, values: Vec<String>| Requirement {
        key: key.trim().to_string(),
        op,
        values,
    };
    if let Some(key) = term.strip_prefix('!') {
        return Ok(req(key, Op::DoesNotExist, vec![]));
    }
    if let Some((head, rest)) = term.split_once('(') {
        let list = rest
            .strip_suffix(')')
            .ok_or_else(|| SyntaxError::Unclosed { term: term.into() })?;
        let mut words = head.split_whitespace();
        let (key, op) = match (words.next(), words.next(), words.next()) {
            (Some(k), Some("in"), None) => (k, Op::In),
            (Some(k), Some("notin"), None) => (k, Op::NotIn),
            _ => {
                return Err(SyntaxError::SetOperator { term: term.into() });
            }
        };
        let values: Vec<String> = list
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Err(SyntaxError::EmptyList { term: term.into() });
        }
        return Ok(req(key, op, values));
    }
    if let Some((k, v)) = term.split_once("!=") {
        return Ok(req(k, Op::NotIn, vec![v.trim().to_string()]));
    }
    if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return Ok(req(k, Op::In, vec![v.trim().to_string()]));
    }
    Ok(req(term, Op::Exists, vec![]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LabelSelectorRequirement;

    type Labels<'a> = &'a [(&'a str, &'a str)];

    fn labels(pairs: &[(&str, &str)]) -> StringMap {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelector {
        LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: key.into(),
                operator: op.into(),
                values: (!values.is_empty())
                    .then(|| values.iter().map(|v| v.to_string()).collect()),
            }]),
        }
    }

    #[test]
    fn operators() {
        // (operator, values, labels, matches)
        let rows: &[(&str, &[&str], Labels, bool)] = &[
            ("In", &["a", "b"], &[("k", "a")], true),
            ("In", &["a", "b"], &[("k", "c")], false),
            ("In", &["a"], &[], false),
            ("In", &[""], &[("k", "")], true),
            ("NotIn", &["false"], &[], true),
            ("NotIn", &["false"], &[("k", "false")], false),
            ("NotIn", &["false"], &[("k", "true")], true),
            ("NotIn", &["false"], &[("k", "")], true),
            ("Exists", &[], &[("k", "")], true),
            ("Exists", &[], &[("other", "x")], false),
            ("DoesNotExist", &[], &[], true),
            ("DoesNotExist", &[], &[("k", "x")], false),
        ];
        for (op, values, l, want) in rows {
            let s = Selector::compile(&expr("k", op, values), "s").unwrap();
            assert_eq!(s.matches(&labels(l)), *want, "{op} {values:?} on {l:?}");
        }
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let mut sel = expr("tier", "In", &["web"]);
        sel.match_labels = Some(labels(&[("app", "x")]));
        let s = Selector::compile(&sel, "s").unwrap();
        assert!(s.matches(&labels(&[("app", "x"), ("tier", "web")])));
        assert!(!s.matches(&labels(&[("app", "x")])));
        assert!(!s.matches(&labels(&[("tier", "web")])));
        assert_eq!(s.to_string(), "app=x, tier=web");
        assert_eq!(
            s.first_unmet(|k| (k == "app").then_some("x"))
                .map(|r| r.to_string()),
            Some("tier=web".into())
        );
    }

    #[test]
    fn empty_selector_matches_everything() {
        let s = Selector::compile(&LabelSelector::default(), "s").unwrap();
        assert!(s.is_empty());
        assert!(s.matches(&StringMap::new()));
        assert_eq!(s.to_string(), "<any>");
    }

    #[test]
    fn invalid_selectors_name_the_field() {
        let rows: &[(LabelSelector, &str)] = &[
            (
                expr("k", "Equals", &["a"]),
                "s.matchExpressions[0].operator",
            ),
            (expr("k", "in", &["a"]), "s.matchExpressions[0].operator"),
            (expr("k", "In", &[]), "s.matchExpressions[0].values"),
            (expr("k", "NotIn", &[]), "s.matchExpressions[0].values"),
            (expr("k", "Exists", &["a"]), "s.matchExpressions[0].values"),
            (
                expr("k", "DoesNotExist", &["a"]),
                "s.matchExpressions[0].values",
            ),
            (expr("bad key", "Exists", &[]), "s.matchExpressions[0].key"),
            (
                expr("k", "In", &["ok", "bad value"]),
                "s.matchExpressions[0].values[1]",
            ),
            (
                LabelSelector {
                    match_labels: Some(labels(&[("k", "a b")])),
                    match_expressions: None,
                },
                "s.matchLabels.k",
            ),
        ];
        for (sel, path) in rows {
            let e = Selector::compile(sel, "s").unwrap_err();
            assert_eq!(e.path, *path, "{e}");
        }
    }

    #[test]
    fn kubectl_syntax() {
        let rows: &[(&str, Labels, bool)] = &[
            ("app=web", &[("app", "web")], true),
            ("app==web", &[("app", "web")], true),
            ("app!=web", &[], true),
            ("app!=web", &[("app", "web")], false),
            ("app in (a, b),tier", &[("app", "b"), ("tier", "")], true),
            ("app notin (a,b)", &[("app", "a")], false),
            ("!canary", &[("canary", "x")], false),
            ("!canary", &[], true),
            ("", &[], true),
        ];
        for (text, l, want) in rows {
            let s = Selector::parse(text).unwrap();
            assert_eq!(s.matches(&labels(l)), *want, "{text} on {l:?}");
        }
        for bad in [
            "app in (a",
            "app in ()",
            "a b (c)",
            "app=x y",
            "bad key",
            "x in a)",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Selector::parse("a in (x,y),b notin (z),c,!d,e=f")
                .unwrap()
                .to_string(),
            "a in (x,y), b!=z, c, !d, e=f"
        );
    }
}
