//! kubectl's JSONPath, over the same report objects `-o json` prints: `-o jsonpath=TEMPLATE`,
//! the paths of `-o custom-columns=` and `--sort-by`.
//!
//! kubectl's templates wrap JSONPath in `{…}` with text between, `{range EXPR}…{end}` loops
//! and `{"\n"}` literals, and write paths kubectl's way (`.items[*].name`, names with `-` or
//! `/`, `\.` inside a name). `jsonpath-rust` (RFC 9535, already in the tree through kube) does
//! the querying; this module parses the template around it and rewrites each path to the
//! RFC's form (`$['items'][*]['name']`). What is supported: child names (with `\.` escapes),
//! `*`, `..`, `[N]`, `[-N]`, slices `[a:b:c]`, unions `[0,1]` and `['a','b']`, filters
//! `[?(@.type=="Ready")]` (with RFC 9535's operators, `&&`, `||`, `!`), `$` for the whole
//! report and `@` for the current object. A missing key prints nothing (kubectl's default,
//! `--allow-missing-template-keys=true`). Results of one `{…}` are separated by a space;
//! strings print raw, objects and arrays as compact JSON, `null` as `null` — as kubectl
//! prints them.
//!
//! Pure: no I/O (a `jsonpath-file=` is read by the caller).

use std::cmp::Ordering;

use jsonpath_rust::parser::model::JpQuery;
use serde_json::Value;

/// A template or path that does not parse, with what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} in {input:?}")]
pub struct Error {
    /// The template or path as given.
    pub input: String,
    pub message: String,
}

/// One JSONPath, kubectl's way, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// As the user wrote it (for messages).
    text: String,
    query: JpQuery,
    /// `$…`: always from the whole report, even inside `{range}`.
    rooted: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Text(String),
    Path(Path),
    Range(Path, Vec<Node>),
}

/// A kubectl JSONPath template: `{.items[*].name}`, `{range .items[*]}{.name}{"\n"}{end}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    text: String,
    nodes: Vec<Node>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, Error> {
        let err = |message: String| Error {
            input: text.to_string(),
            message,
        };
        // A stack of open ranges: the nodes being filled, and the range path that owns them.
        let mut stack: Vec<(Option<Path>, Vec<Node>)> = vec![(None, Vec::new())];
        let mut rest = text;
        while !rest.is_empty() {
            let Some(open) = rest.find('{') else {
                push_text(&mut stack, rest);
                break;
            };
            push_text(&mut stack, &rest[..open]);
            let after = &rest[open + 1..];
            let close = action_end(after).ok_or_else(|| err("unclosed `{`".into()))?;
            let action = after[..close].trim();
            rest = &after[close + 1..];
            if action == "end" {
                if stack.len() == 1 {
                    return Err(err("`{end}` without `{range}`".into()));
                }
                let (path, nodes) = stack.pop().unwrap_or_default();
                let path = path.ok_or_else(|| err("`{end}` without `{range}`".into()))?;
                last(&mut stack).push(Node::Range(path, nodes));
            } else if let Some(expr) = action.strip_prefix("range ") {
                let path = Path::parse_strict(expr.trim()).map_err(|e| err(e.message))?;
                stack.push((Some(path), Vec::new()));
            } else if action.starts_with('"') {
                let literal = unquote(action)
                    .ok_or_else(|| err(format!("{action} is not a closed double-quoted string")))?;
                push_text(&mut stack, &literal);
            } else {
                let path = Path::parse_strict(action).map_err(|e| err(e.message))?;
                last(&mut stack).push(Node::Path(path));
            }
        }
        if stack.len() != 1 {
            return Err(err("`{range}` without `{end}`".into()));
        }
        let nodes = stack.pop().map(|(_, n)| n).unwrap_or_default();
        Ok(Template {
            text: text.to_string(),
            nodes,
        })
    }

    /// The template as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The template's text over `root`.
    pub fn render(&self, root: &Value) -> String {
        let mut out = String::new();
        render_nodes(&self.nodes, root, root, &mut out);
        out
    }
}

fn last(stack: &mut [(Option<Path>, Vec<Node>)]) -> &mut Vec<Node> {
    let n = stack.len() - 1;
    &mut stack[n].1
}

fn push_text(stack: &mut [(Option<Path>, Vec<Node>)], text: &str) {
    if text.is_empty() {
        return;
    }
    let nodes = last(stack);
    match nodes.last_mut() {
        Some(Node::Text(t)) => t.push_str(text),
        _ => nodes.push(Node::Text(text.to_string())),
    }
}

/// The index of the `}` closing an action, skipping quoted strings.
fn action_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '}' => return Some(i),
            None => {}
        }
    }
    None
}

/// A Go double-quoted string literal's value (`"\t"`, `"\n"`, `"a\"b"`).
fn unquote(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            if c == '"' {
                return None;
            }
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            other => out.push(other),
        }
    }
    Some(out)
}

fn render_nodes(nodes: &[Node], current: &Value, root: &Value, out: &mut String) {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Path(p) => {
                let values = p.find_in(current, root);
                let texts: Vec<String> = values.iter().map(|v| text_of(v)).collect();
                out.push_str(&texts.join(" "));
            }
            Node::Range(p, body) => {
                for v in p.find_in(current, root) {
                    render_nodes(body, v, root, out);
                }
            }
        }
    }
}

/// How kubectl prints one result: strings raw, objects and arrays as compact JSON.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => serde_json::to_string(v).unwrap_or_default(),
    }
}

impl Path {
    /// A path inside a template's `{…}`: `.a.b`, `$.a`, `@.a`, `..a`, `[0]`.
    pub fn parse_strict(text: &str) -> Result<Path, Error> {
        let err = |message: String| Error {
            input: text.to_string(),
            message,
        };
        if text.is_empty() {
            return Err(err("an empty path".into()));
        }
        let rooted = text.starts_with('$');
        let rfc = translate(text).map_err(|e| err(e.to_string()))?;
        let query = jsonpath_rust::parser::parse_json_path(&rfc)
            .map_err(|e| err(format!("not a JSONPath ({e})")))?;
        Ok(Path {
            text: text.to_string(),
            query,
            rooted,
        })
    }

    /// kubectl's relaxed form for `custom-columns` and `--sort-by`: `{.a.b}`, `.a.b` or `a.b`.
    pub fn parse_relaxed(text: &str) -> Result<Path, Error> {
        let t = text.trim();
        let inner = match t.strip_prefix('{') {
            Some(rest) => rest.strip_suffix('}').ok_or_else(|| Error {
                input: text.to_string(),
                message: "unclosed `{`".into(),
            })?,
            None => t,
        };
        let inner = inner.trim();
        let mut path = if inner.starts_with(['.', '$', '@', '[']) {
            Path::parse_strict(inner)?
        } else {
            Path::parse_strict(&format!(".{inner}"))?
        };
        path.text = text.to_string();
        Ok(path)
    }

    /// The path as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every value the path selects in `value`, in document order.
    pub fn find<'a>(&self, value: &'a Value) -> Vec<&'a Value> {
        self.find_in(value, value)
    }

    fn find_in<'a>(&self, current: &'a Value, root: &'a Value) -> Vec<&'a Value> {
        let base = if self.rooted { root } else { current };
        jsonpath_rust::query::js_path_process(&self.query, base)
            .map(|refs| refs.into_iter().map(|r| r.val).collect())
            .unwrap_or_default()
    }
}

/// Characters that end a name outside filters (client-go's `isTerminator`).
fn ends_name(c: char, in_filter: bool) -> bool {
    c.is_whitespace()
        || matches!(c, '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}')
        || (in_filter && matches!(c, '=' | '!' | '<' | '>' | '&' | '|' | '(' | ')'))
}

/// What is wrong in a path's syntax, at which character (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Syntax {
    #[error("unexpected {found:?} at character {at}")]
    Unexpected { found: char, at: usize },
    #[error("a name is missing after `.` at character {at}")]
    NameAfterDot { at: usize },
    #[error("a name is missing at character {at}")]
    NameMissing { at: usize },
    #[error("an unclosed string at character {at}")]
    UnclosedString { at: usize },
    #[error("an unclosed `[` at character {at}")]
    UnclosedBracket { at: usize },
}

/// kubectl's path syntax to RFC 9535: `.a-b.c` → `$['a-b']['c']`, `..x` → `$..['x']`.
fn translate(text: &str) -> Result<String, Syntax> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::from("$");
    let mut i = 0;
    if matches!(chars.first(), Some('$' | '@')) {
        i = 1;
    }
    segments(&chars, &mut i, &mut out, false)?;
    if i != chars.len() {
        return Err(Syntax::Unexpected {
            found: chars[i],
            at: i + 1,
        });
    }
    Ok(out)
}

/// Path segments from `chars[*i]` until something that is not a segment.
fn segments(
    chars: &[char],
    i: &mut usize,
    out: &mut String,
    in_filter: bool,
) -> Result<(), Syntax> {
    while *i < chars.len() {
        match chars[*i] {
            '.' => {
                *i += 1;
                if chars.get(*i) == Some(&'.') {
                    *i += 1;
                    out.push_str("..");
                    match chars.get(*i) {
                        Some('[') => bracket(chars, i, out)?,
                        Some('*') => {
                            *i += 1;
                            out.push('*');
                        }
                        _ => name(chars, i, out, in_filter)?,
                    }
                    continue;
                }
                match chars.get(*i) {
                    // `{.}`: the current object itself.
                    None => {}
                    Some('*') => {
                        *i += 1;
                        out.push_str("[*]");
                    }
                    Some('[') => bracket(chars, i, out)?,
                    Some(&c) if ends_name(c, in_filter) => {
                        return Err(Syntax::NameAfterDot { at: *i });
                    }
                    _ => name(chars, i, out, in_filter)?,
                }
            }
            '[' => bracket(chars, i, out)?,
            _ => return Ok(()),
        }
    }
    Ok(())
}

fn name(chars: &[char], i: &mut usize, out: &mut String, in_filter: bool) -> Result<(), Syntax> {
    let mut name = String::new();
    while *i < chars.len() && !ends_name(chars[*i], in_filter) {
        if chars[*i] == '\\' && *i + 1 < chars.len() {
            *i += 1;
        }
        name.push(chars[*i]);
        *i += 1;
    }
    if name.is_empty() {
        return Err(Syntax::NameMissing { at: *i + 1 });
    }
    out.push_str("['");
    for c in name.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push_str("']");
    Ok(())
}

/// `[…]` from `chars[*i] == '['`: copied, with the paths inside a filter rewritten.
fn bracket(chars: &[char], i: &mut usize, out: &mut String) -> Result<(), Syntax> {
    let start = *i;
    *i += 1;
    out.push('[');
    let filter = chars.get(*i) == Some(&'?');
    while *i < chars.len() {
        let c = chars[*i];
        match c {
            '\'' | '"' => {
                let q = c;
                out.push(c);
                *i += 1;
                while *i < chars.len() && chars[*i] != q {
                    if chars[*i] == '\\' && *i + 1 < chars.len() {
                        out.push('\\');
                        *i += 1;
                    }
                    out.push(chars[*i]);
                    *i += 1;
                }
                if *i == chars.len() {
                    return Err(Syntax::UnclosedString { at: start + 1 });
                }
                out.push(q);
                *i += 1;
            }
            ']' => {
                out.push(']');
                *i += 1;
                return Ok(());
            }
            '@' | '$' if filter => {
                out.push(c);
                *i += 1;
                segments(chars, i, out, true)?;
            }
            '[' if filter => bracket(chars, i, out)?,
            _ => {
                out.push(c);
                *i += 1;
            }
        }
    }
    Err(Syntax::UnclosedBracket { at: start + 1 })
}

/// The order that sorts `items` by the value `path` selects in each (the first, when it
/// selects several), as kubectl's `--sort-by`: numbers by value, strings in natural order
/// (`web-2` before `web-10`), an item without the field first. Stable. An error when no item
/// has the field (kubectl's "couldn't find any field with path").
pub fn sort_order(items: &[Value], path: &Path) -> Result<Vec<usize>, Error> {
    let keys: Vec<Option<&Value>> = items
        .iter()
        .map(|v| path.find(v).into_iter().next())
        .collect();
    if !items.is_empty() && keys.iter().all(Option::is_none) {
        return Err(Error {
            input: path.text.clone(),
            message: "no object of the list has a field at this path".into(),
        });
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| compare(keys[a], keys[b]));
    Ok(order)
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::Array(_) => 4,
            Value::Object(_) => 5,
        }
    }
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
            (Value::String(x), Value::String(y)) => natural(x, y),
            (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
            _ if rank(a) != rank(b) => rank(a).cmp(&rank(b)),
            _ => natural(&text_of(a), &text_of(b)),
        },
    }
}

/// Natural order: runs of digits compare by their value.
fn natural(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (x.peek().copied(), y.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let run = |it: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let mut s = String::new();
                    while let Some(c) = it.peek().copied().filter(char::is_ascii_digit) {
                        s.push(c);
                        it.next();
                    }
                    s
                };
                let (m, n) = (run(&mut x), run(&mut y));
                let (mt, nt) = (m.trim_start_matches('0'), n.trim_start_matches('0'));
                let ord = mt.len().cmp(&nt.len()).then_with(|| mt.cmp(nt));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(&d);
                }
                x.next();
                y.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({"items": [
            {"name": "web", "namespace": "shop", "inject": true, "decidedBy": "namespace-label",
             "labels": {"app": "web", "app.kubernetes.io/name": "web-ui"},
             "steps": [{"rule": "a", "matched": true}, {"rule": "b", "matched": false}]},
            {"name": "db-10", "namespace": "shop", "inject": false, "decidedBy": "pod-annotation",
             "labels": {"app": "db"}, "steps": []},
            {"name": "db-2", "namespace": "data", "inject": false, "decidedBy": "pod-annotation",
             "replicas": 3, "steps": []}
        ]})
    }

    fn render(t: &str) -> String {
        Template::parse(t)
            .unwrap_or_else(|e| panic!("{t}: {e}"))
            .render(&report())
    }

    #[test]
    fn kubectl_templates() {
        for (t, want) in [
            ("{.items[*].name}", "web db-10 db-2"),
            ("{.items[0].name}", "web"),
            ("{.items[-1].name}", "db-2"),
            ("{.items[0:2].name}", "web db-10"),
            ("{$.items[1].inject}", "false"),
            ("{.items[2].replicas}", "3"),
            (
                "{range .items[*]}{.name}{\"\\t\"}{.inject}{\"\\n\"}{end}",
                "web\ttrue\ndb-10\tfalse\ndb-2\tfalse\n",
            ),
            ("{range .items[*]}[{.name}]{end}", "[web][db-10][db-2]"),
            ("name: {.items[0].name}!", "name: web!"),
            ("{.items[?(@.inject==true)].name}", "web"),
            (
                "{.items[?(@.decidedBy==\"pod-annotation\")].name}",
                "db-10 db-2",
            ),
            ("{.items[0].labels.app\\.kubernetes\\.io/name}", "web-ui"),
            ("{.items[0].labels['app.kubernetes.io/name']}", "web-ui"),
            (
                "{.items[0].labels}",
                r#"{"app":"web","app.kubernetes.io/name":"web-ui"}"#,
            ),
            ("{.items[0].steps[*].rule}", "a b"),
            ("{.items[0]['name','namespace']}", "web shop"),
            (
                "{..decidedBy}",
                "namespace-label pod-annotation pod-annotation",
            ),
            ("{.items[1].labels.missing}", ""),
            ("{.nothing.here}", ""),
            (
                "{range .items[*]}{.name}={$.items[0].name};{end}",
                "web=web;db-10=web;db-2=web;",
            ),
            ("{.items[?(@.steps[0].matched==true)].name}", "web"),
        ] {
            assert_eq!(render(t), want, "{t}");
        }
    }

    #[test]
    fn template_errors_say_what_is_wrong() {
        for (t, want) in [
            ("{.items", "unclosed `{`"),
            ("{range .items[*]}{.name}", "`{range}` without `{end}`"),
            ("{.name}{end}", "`{end}` without `{range}`"),
            ("{.items[0}", "an unclosed `[` at character 7"),
            ("{\"abc}", "unclosed `{`"),
            ("{}", "an empty path"),
        ] {
            let e = Template::parse(t).expect_err(t);
            assert_eq!(e.message, want, "{t}");
            assert_eq!(e.input, t);
        }
    }

    #[test]
    fn relaxed_paths_as_custom_columns_take_them() {
        let item = &report()["items"][0];
        for p in ["{.name}", ".name", "name", "$.name"] {
            let path = Path::parse_relaxed(p).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(path.find(item), [&json!("web")], "{p}");
        }
    }

    #[test]
    fn sort_order_is_natural_and_puts_missing_first() {
        let items = report()["items"].as_array().cloned().unwrap_or_default();
        let by = |p: &str| {
            sort_order(
                &items,
                &Path::parse_relaxed(p).unwrap_or_else(|e| panic!("{e}")),
            )
        };
        assert_eq!(by(".name").ok(), Some(vec![2, 1, 0]), "db-2 < db-10 < web");
        assert_eq!(by(".namespace").ok(), Some(vec![2, 0, 1]), "stable");
        assert_eq!(by(".replicas").ok(), Some(vec![0, 1, 2]));
        let e = by(".nothing").expect_err("no item has it");
        assert_eq!(
            e.to_string(),
            "no object of the list has a field at this path in \".nothing\""
        );
    }
}
