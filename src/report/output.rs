//! Machine output: every command's report serialized the same way for `-o json` (pretty,
//! two-space indent, a final newline, as kubectl prints) and `-o yaml` (the project's
//! Go-compatible emitter: sorted keys, kubectl's quoting); `-o jsonpath=` over that same
//! JSON, and `-o custom-columns=` over each of its rows (the `items` of a list, as kubectl
//! does). `--sort-by` orders the rows by a JSONPath over each row's JSON.

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;

use super::jsonpath::{self, Path, Template};
use super::table::{Cell, Table};

/// The machine formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    Json,
    Yaml,
}

/// A report as JSON or YAML text.
pub fn machine<T: Serialize + ?Sized>(value: &T, format: Machine) -> anyhow::Result<String> {
    Ok(match format {
        Machine::Json => {
            let mut s = serde_json::to_string_pretty(value)?;
            s.push('\n');
            s
        }
        Machine::Yaml => crate::yaml::to_string(&serde_json::to_value(value)?),
    })
}

/// `-o jsonpath=TEMPLATE` over a report: the template's text over its JSON (no newline is
/// added, as kubectl adds none).
pub fn jsonpath<T: Serialize + ?Sized>(value: &T, template: &Template) -> Result<String> {
    Ok(template.render(&serde_json::to_value(value)?))
}

/// `-o custom-columns=HEADER:PATH,…`: each column's header and the path of its cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns {
    columns: Vec<(String, Path)>,
}

impl Columns {
    /// kubectl's inline form: `NAME:.name,INJECT:.inject` (the paths relaxed: `{.a}`, `.a`
    /// or `a`).
    pub fn parse(spec: &str) -> Result<Columns, jsonpath::Error> {
        let err = |message: String| jsonpath::Error {
            input: spec.to_string(),
            message,
        };
        if spec.trim().is_empty() {
            return Err(err("no column".into()));
        }
        let mut columns = Vec::new();
        for part in split_columns(spec) {
            let (header, path) = part.split_once(':').ok_or_else(|| {
                err(format!(
                    "column {part:?} is not HEADER:JSONPATH (e.g. NAME:.name)"
                ))
            })?;
            if header.is_empty() {
                return Err(err(format!("column {part:?} has no header")));
            }
            columns.push((header.to_string(), Path::parse_relaxed(path)?));
        }
        Ok(Columns { columns })
    }

    /// kubectl's file form: the headers on the first line and the paths on the second, each
    /// separated by blanks.
    pub fn parse_file(name: &str, text: &str) -> Result<Columns, jsonpath::Error> {
        let err = |message: String| jsonpath::Error {
            input: name.to_string(),
            message,
        };
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let (Some(headers), Some(paths), None) = (lines.next(), lines.next(), lines.next()) else {
            return Err(err(
                "a custom-columns file has two lines: the headers, then their paths".into(),
            ));
        };
        let headers: Vec<&str> = headers.split_whitespace().collect();
        let paths: Vec<&str> = paths.split_whitespace().collect();
        if headers.len() != paths.len() {
            return Err(err(format!(
                "{} headers but {} paths",
                headers.len(),
                paths.len()
            )));
        }
        let columns = headers
            .into_iter()
            .zip(paths)
            .map(|(h, p)| Ok((h.to_string(), Path::parse_relaxed(p)?)))
            .collect::<Result<_, jsonpath::Error>>()?;
        Ok(Columns { columns })
    }

    /// The table of `rows`: a cell per column holding the values its path selects, joined
    /// with `,`, or `<none>` (kubectl's cells).
    pub fn table<T: Serialize>(&self, rows: &[T]) -> Result<Table> {
        let mut t = Table::new(self.columns.iter().map(|(h, _)| h.clone()));
        for row in rows {
            let value = serde_json::to_value(row)?;
            t.row(
                self.columns
                    .iter()
                    .map(|(_, path)| {
                        let found = path.find(&value);
                        if found.is_empty() {
                            Cell::from("<none>")
                        } else {
                            let texts: Vec<String> =
                                found.iter().map(|v| jsonpath::text_of(v)).collect();
                            Cell::from(texts.join(","))
                        }
                    })
                    .collect(),
            );
        }
        Ok(t)
    }
}

/// The comma-separated columns of a spec; a comma inside `[…]` or quotes is part of a path
/// (`A:.a['x','y']`).
fn split_columns(spec: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start) = (0usize, None::<char>, 0);
    for (i, c) in spec.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                parts.push(&spec[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&spec[start..]);
    parts
}

/// The order of `rows` by `--sort-by`'s path over each row's JSON (see
/// [`jsonpath::sort_order`]), for [`permute`].
pub fn sort_order<T: Serialize>(rows: &[T], by: &Path) -> Result<Vec<usize>> {
    let values: Vec<Value> = rows
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    jsonpath::sort_order(&values, by).context("--sort-by")
}

/// Puts `v` in `order` (indices into `v`, as [`sort_order`] gives).
pub fn permute<T>(v: &mut Vec<T>, order: &[usize]) {
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(
        order
            .iter()
            .filter_map(|&i| slots.get_mut(i).and_then(Option::take)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_yaml_of_the_same_report() {
        let v = serde_json::json!({"items": [{"name": "web", "inject": true}]});
        assert_eq!(
            machine(&v, Machine::Json).unwrap(),
            "{\n  \"items\": [\n    {\n      \"inject\": true,\n      \"name\": \"web\"\n    }\n  ]\n}\n"
        );
        assert_eq!(
            machine(&v, Machine::Yaml).unwrap(),
            "items:\n- inject: true\n  name: web\n"
        );
    }

    #[test]
    fn custom_columns_inline_and_from_a_file() {
        let rows = serde_json::json!([
            {"name": "web", "inject": true, "steps": [{"rule": "a"}, {"rule": "b"}]},
            {"name": "db", "inject": false, "steps": []}
        ]);
        let rows = rows.as_array().unwrap();
        let c = Columns::parse("NAME:.name,INJECT:{.inject},RULES:.steps[*].rule,X:x").unwrap();
        assert_eq!(
            c.table(rows).unwrap().render_with(true, false).unwrap(),
            "NAME   INJECT   RULES    X\nweb    true     a,b      <none>\ndb     false    <none>   <none>\n"
        );
        let f = Columns::parse_file("cols.txt", "NAME   INJECT\n.name  .inject\n").unwrap();
        assert_eq!(
            f.table(rows).unwrap().render_with(false, false).unwrap(),
            "web   true\ndb    false\n"
        );
        assert_eq!(
            Columns::parse("NAME:.name,.inject").unwrap_err().message,
            "column \".inject\" is not HEADER:JSONPATH (e.g. NAME:.name)"
        );
        assert_eq!(
            Columns::parse_file("cols.txt", "A B\n.a\n")
                .unwrap_err()
                .to_string(),
            "2 headers but 1 paths in \"cols.txt\""
        );
        assert_eq!(
            split_columns("A:.a['x','y'],B:.b"),
            ["A:.a['x','y']", "B:.b"]
        );
    }

    #[test]
    fn sort_order_then_permute() {
        let rows = vec![
            serde_json::json!({"n": "b"}),
            serde_json::json!({"n": "a"}),
            serde_json::json!({"n": "c"}),
        ];
        let order = sort_order(&rows, &Path::parse_relaxed(".n").unwrap()).unwrap();
        let mut names = vec!["b", "a", "c"];
        permute(&mut names, &order);
        assert_eq!(names, ["a", "b", "c"]);
        let e = sort_order(&rows, &Path::parse_relaxed(".x").unwrap()).unwrap_err();
        assert_eq!(
            format!("{e:#}"),
            "--sort-by: no object of the list has a field at this path in \".x\""
        );
    }
}
