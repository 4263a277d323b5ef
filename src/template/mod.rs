//! Go text/template-compatible rendering of Istio injection templates (pure): the gotmpl
//! adapter, sprig and Istio functions, error positions, and the template data model.
//!
//! # Public API (stable; the inject pipeline calls it)
//!
//! - [`Template::parse`]`(name, source) -> Result<Template, TemplateError>` parses with the
//!   whole function map (sprig, then Istio's); [`Template::parse_legacy`] adds the legacy
//!   (Istio ≤ 1.18) `render` and `toJson`.
//! - [`Template::parse_for`]`(name, source, set, &Host)`: the same for one injector — its
//!   process environment (what `env` reads) and its Istio release (what Istio's functions
//!   do differently between releases).
//! - [`Template::render`]`(&self, &gotmpl::Value) -> Result<String, TemplateError>` executes
//!   with the current bounds ([`Limits`]) and returns the whole output.
//! - [`data::build`]`(&data::TemplateInput) -> gotmpl::Value` builds `SidecarTemplateData`;
//!   [`data::build_with`] takes the configuration's parts (`.Values`, `.MeshConfig`, the
//!   default `.ProxyConfig`) from a [`data::Constants`] built once per configuration;
//!   [`data::legacy_view`] adapts it for Istio ≤ 1.8 templates (`ProxyConfig.Concurrency`
//!   as an int).
//! - [`data::method_hook`] (already installed by `parse`): Go methods on our values.
//! - [`json_data`]`(&serde_json::Value) -> gotmpl::Value`: a JSON document as a dot, integral
//!   numbers as int and the others float64 (what `inject --render-only --data` uses).
//!
//! The engine is `gotmpl`, pinned and patched (`vendor/gotmpl/PATCHES.md`) where Go's
//! behaviour needs the engine: float formatting, execution error positions, methods, and
//! the error on a field of a nil map entry.
//!
//! # Known differences from Go (deliberate or not worth the machinery)
//!
//! - `.String` works on every string (Go: only on enum types such as InterceptionMode);
//!   `GetX` on a nil gives nil also where Go's value was an untyped nil (an error there).
//! - A nil pointer prints `<no value>` (Go prints a typed nil pointer as `<nil>`); a Go
//!   struct prints as a map (`map[Name:x]`, Go: `{x …}`).
//! - Integers have one type: `has 2 (list …)` compares int and int64 as equal where
//!   `reflect.DeepEqual` would not.
//! - `set`/`unset`/`merge` change the variable they were given, not other aliases of the map.
//! - `env KEY DEFAULT` reads the injector's environment given as [`Host`] (istiod's
//!   settings as `inject` defines them), never this process's.
//! - `keys` returns keys sorted (Go: random order).
//! - `printf` with a verb that does not fit a list applies it to the list (`%!s(list=…)`);
//!   Go applies it to each element.
//! - `else with` and `range` over an integer work (Go ≥ 1.22/1.23, as Istio builds with);
//!   goref's Go 1.19 rejects them.
//! - sprig `trunc`/`substr` cut at byte offsets like Go; a cut inside a UTF-8 sequence
//!   yields U+FFFD where Go would emit the raw bytes.
//!
//! Must not import `app`, `cluster`, `report`, `std::fs` or a kube client.

pub mod data;
mod funcs;
pub(crate) mod go;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use gotmpl::Value;

pub use funcs::FuncSet;

use crate::config::release::Release;

/// What Istio's template functions read besides their arguments: the injector's process
/// environment (`env KEY DEFAULT`) and its release (`appendMultusNetwork`'s JSON form).
/// Fixed for an injector, so it is bound when a template is parsed. The default is an
/// empty environment (every `env` gives its default) and the newest release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Host {
    pub env: Arc<BTreeMap<String, String>>,
    pub release: Release,
}

/// Bounds that stop a runaway template with an error instead of a hang, a stack overflow
/// or unbounded memory. The engine also caps `{{template}}`/block nesting at 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of output before the render fails.
    pub max_output: usize,
    /// `{{range}}` iterations in one render, over all loops.
    pub max_range_iterations: u64,
    /// Nesting of `render` (legacy templates rendering strings as templates).
    pub max_nested_renders: usize,
    /// Steps (nodes walked, commands evaluated) of one render: the stock sidecar template
    /// takes about 10,000.
    pub max_steps: u64,
    /// Wall time of one render, in milliseconds.
    pub max_millis: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_output: 16 << 20,
            max_range_iterations: 1_000_000,
            max_nested_renders: 8,
            max_steps: 20_000_000,
            max_millis: 20_000,
        }
    }
}

/// What all renders of one run (one process: one `kubectl inject` command) may spend
/// together, beyond each render's [`Limits`]: a template that stays within its own limits
/// for each of thousands of pods is still stopped, naming the template and where it was.
pub mod run_budget {
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Steps of all renders together (a few minutes of rendering).
    pub const STEPS: u64 = 2_000_000_000;
    /// Bytes of output of all renders together.
    pub const OUTPUT: u64 = 512 << 20;

    static STEPS_USED: AtomicU64 = AtomicU64::new(0);
    static OUTPUT_USED: AtomicU64 = AtomicU64::new(0);

    /// Steps left for the run.
    pub fn steps_left() -> u64 {
        STEPS.saturating_sub(STEPS_USED.load(Ordering::Relaxed))
    }

    pub(super) fn spend(steps: u64, output: u64) -> u64 {
        STEPS_USED.fetch_add(steps, Ordering::Relaxed);
        OUTPUT_USED.fetch_add(output, Ordering::Relaxed) + output
    }

    /// Starts a new run's budget (for callers that run many independent inputs in one
    /// process: the fuzz targets, tests).
    pub fn reset() {
        STEPS_USED.store(0, Ordering::Relaxed);
        OUTPUT_USED.store(0, Ordering::Relaxed);
    }
}

/// A template that failed to parse or to execute, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: line {line}, column {column}: {message}{excerpt}")]
    Parse {
        name: String,
        line: usize,
        column: usize,
        message: String,
        excerpt: String,
    },
    #[error("template {name}: line {line}, column {column}: executing: {message}{excerpt}")]
    Exec {
        name: String,
        line: usize,
        column: usize,
        message: String,
        excerpt: String,
    },
    #[error("template {name}: executing: {message}")]
    ExecNoPosition { name: String, message: String },
    #[error("template {name}: output exceeds {limit} bytes; stopped (a template that never ends?)")]
    OutputTooLarge { name: String, limit: usize },
    #[error(
        "template {name}: the renders of this run wrote more than {limit} bytes together; stopped \
         (a template whose output grows with every pod?)"
    )]
    RunOutputTooLarge { name: String, limit: u64 },
}

impl TemplateError {
    /// The 1-based line and column, when known.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            TemplateError::Parse { line, column, .. }
            | TemplateError::Exec { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

/// A parsed template, ready to render any number of times.
#[derive(Clone)]
pub struct Template {
    name: String,
    source: Arc<str>,
    set: FuncSet,
    limits: Limits,
    host: Arc<Host>,
    inner: Arc<gotmpl::Template>,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.name)
            .field("set", &self.set)
            .finish_non_exhaustive()
    }
}

impl Template {
    /// Parses `source` with sprig and Istio's current function map.
    pub fn parse(name: &str, source: &str) -> Result<Template, TemplateError> {
        Template::parse_with(name, source, FuncSet::Current, Limits::default())
    }

    /// Parses a legacy (Istio ≤ 1.18) template: also `render` and Istio's `toJson`.
    pub fn parse_legacy(name: &str, source: &str) -> Result<Template, TemplateError> {
        Template::parse_with(name, source, FuncSet::Legacy, Limits::default())
    }

    /// Parses for one injector: `host` is what `env` and the release-dependent functions
    /// read.
    pub fn parse_for(
        name: &str,
        source: &str,
        set: FuncSet,
        host: &Host,
    ) -> Result<Template, TemplateError> {
        Template::parse_in(name, source, set, Limits::default(), Arc::new(host.clone()))
    }

    /// Parses with a chosen function map and bounds.
    pub fn parse_with(
        name: &str,
        source: &str,
        set: FuncSet,
        limits: Limits,
    ) -> Result<Template, TemplateError> {
        Template::parse_in(name, source, set, limits, Arc::default())
    }

    fn parse_in(
        name: &str,
        source: &str,
        set: FuncSet,
        limits: Limits,
        host: Arc<Host>,
    ) -> Result<Template, TemplateError> {
        let fmap = funcs::func_map(set, &host);
        let known: Vec<String> = fmap.keys().cloned().collect();
        let inner = gotmpl::Template::new(name)
            .funcs(fmap)
            .method_hook(data::method_hook())
            .mutating_funcs(&["set", "unset", "merge"])
            .max_range_iters(limits.max_range_iterations.max(1))
            .parse(source)
            .map_err(|e| convert_error(name, source, e))?;
        check_functions(&inner, &known).map_err(|(pos, message)| {
            let (column, excerpt) = locate(source, pos.line, Some(pos.offset), None);
            TemplateError::Parse {
                name: name.to_string(),
                line: pos.line,
                column,
                message,
                excerpt,
            }
        })?;
        Ok(Template {
            name: name.to_string(),
            source: Arc::from(source),
            set,
            limits,
            host,
            inner: Arc::new(inner),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renders with `data` as the dot; the whole output, or the first error.
    pub fn render(&self, data: &Value) -> Result<String, TemplateError> {
        let steps = self.limits.max_steps.min(run_budget::steps_left());
        let mut budget = gotmpl::Budget {
            steps,
            deadline: Some((
                std::time::Instant::now()
                    + std::time::Duration::from_millis(self.limits.max_millis),
                self.limits.max_millis,
            )),
        };
        let mut out = Bounded {
            // Istio's sidecar template renders ~6 KB: grow once, not a dozen times.
            buf: crate::yaml::pool::buffer(8 << 10),
            limit: self.limits.max_output,
            exceeded: false,
        };
        let result = RENDER.with(|r| {
            let saved = r.replace(Some(RenderContext {
                data: data.clone(),
                set: self.set,
                limits: self.limits,
                host: Arc::clone(&self.host),
                depth: 0,
            }));
            let saved_maps = STRING_MAPS.with(|m| m.replace(Vec::new()));
            mark_sidecar_string_maps(data);
            let result = self.inner.execute_fmt_bounded(&mut out, data, &mut budget);
            STRING_MAPS.with(|m| m.replace(saved_maps));
            r.replace(saved);
            result
        });
        let written = run_budget::spend(
            steps - budget.steps,
            u64::try_from(out.buf.len()).unwrap_or(u64::MAX),
        );
        if out.exceeded {
            return Err(TemplateError::OutputTooLarge {
                name: self.name.clone(),
                limit: self.limits.max_output,
            });
        }
        result.map_err(|e| convert_error(&self.name, &self.source, e))?;
        if written > run_budget::OUTPUT {
            return Err(TemplateError::RunOutputTooLarge {
                name: self.name.clone(),
                limit: run_budget::OUTPUT,
            });
        }
        Ok(out.buf)
    }
}

/// Go's builtins, always defined.
const BUILTINS: &[&str] = &[
    "and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "print", "printf", "println", "len",
    "index", "call", "html", "js", "urlquery",
];

/// Go rejects, when parsing, a call of an undefined function (`function "x" not defined`)
/// and a use of an undeclared variable (`undefined variable "$x"`; a variable lives until
/// the `{{end}}` of the control structure that declared it); the engine only notices when
/// executing, so the trees are checked here.
fn check_functions(
    t: &gotmpl::Template,
    known: &[String],
) -> Result<(), (gotmpl::parse::Pos, String)> {
    use gotmpl::parse::{Expr, ListNode, Node, PipeNode, Pos};
    type Checked = Result<(), (Pos, String)>;
    struct Walk<'a> {
        known: &'a dyn Fn(&str) -> bool,
        vars: Vec<String>,
    }
    impl Walk<'_> {
        fn pipe(&mut self, p: &PipeNode) -> Checked {
            // Go's parser checks uses, not assignment targets (`$x = 1` with no `$x`
            // fails when executing).
            if !p.is_assign {
                self.vars.extend(p.decl.iter().map(|d| d.to_string()));
            }
            for c in &p.commands {
                for a in &c.args {
                    self.expr(a)?;
                }
            }
            Ok(())
        }
        fn expr(&mut self, e: &Expr) -> Checked {
            match e {
                Expr::Identifier(pos, name) if !(self.known)(name) => {
                    Err((*pos, format!("function {:?} not defined", name.as_str())))
                }
                Expr::Variable(pos, name, _) if !self.vars.iter().any(|v| v == name.as_str()) => {
                    Err((*pos, format!("undefined variable {:?}", name.as_str())))
                }
                Expr::Pipe(_, p) => self.pipe(p),
                Expr::Chain(_, inner, _) => self.expr(inner),
                _ => Ok(()),
            }
        }
        fn list(&mut self, l: &ListNode) -> Checked {
            for n in &l.nodes {
                match n {
                    Node::List(l) => self.list(l)?,
                    Node::Action(a) => self.pipe(&a.pipe)?,
                    Node::If(b) | Node::Range(b) | Node::With(b) => {
                        let mark = self.vars.len();
                        self.pipe(&b.pipe)?;
                        self.list(&b.body)?;
                        if let Some(e) = &b.else_body {
                            self.list(e)?;
                        }
                        self.vars.truncate(mark);
                    }
                    Node::Template(t) => {
                        if let Some(p) = &t.pipe {
                            self.pipe(p)?;
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
    }
    let ok = |name: &str| BUILTINS.contains(&name) || known.iter().any(|k| k == name);
    for name in t.templates() {
        if let Some(l) = t.lookup(name) {
            let mut w = Walk {
                known: &ok,
                vars: vec!["$".to_string()],
            };
            w.list(l)?;
        }
    }
    Ok(())
}

/// A `fmt::Write` that refuses to grow past `limit`.
struct Bounded {
    buf: String,
    limit: usize,
    exceeded: bool,
}

impl std::fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.buf.len() + s.len() > self.limit {
            self.exceeded = true;
            return Err(std::fmt::Error);
        }
        self.buf.push_str(s);
        Ok(())
    }
}

struct RenderContext {
    data: Value,
    set: FuncSet,
    limits: Limits,
    host: Arc<Host>,
    depth: usize,
}

thread_local! {
    /// The render in progress on this thread, for legacy `render`, which renders a string
    /// as a template with the same data.
    static RENDER: RefCell<Option<RenderContext>> = const { RefCell::new(None) };
    /// The maps of the render in progress that are Go `map[string]string` (labels,
    /// annotations, proxyMetadata, and what `strdict`/`omit`/`mergeMaps`/`split` return):
    /// `index` on a missing key gives `""` there, but nil on a `map[string]any`. Held
    /// (not just their addresses) so an address cannot be reused during the render.
    static STRING_MAPS: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// Records `v` (a map) as a Go `map[string]string` for the render in progress.
pub(crate) fn mark_string_map(v: Value) -> Value {
    if matches!(v, Value::Map(_)) {
        STRING_MAPS.with(|m| m.borrow_mut().push(v.clone()));
    }
    v
}

/// Whether `map` was recorded as a Go `map[string]string`.
pub(crate) fn is_string_map(map: &Arc<std::collections::BTreeMap<Arc<str>, Value>>) -> bool {
    STRING_MAPS.with(|m| {
        m.borrow().iter().any(|v| match v {
            Value::Map(x) => Arc::ptr_eq(x, map),
            _ => false,
        })
    })
}

/// The `map[string]string` fields of `SidecarTemplateData` (when `data` has its shape).
fn mark_sidecar_string_maps(data: &Value) {
    if data.field("ProxyConfig").is_none() || data.field("ObjectMeta").is_none() {
        return;
    }
    for path in [
        &["ObjectMeta", "Annotations"][..],
        &["ObjectMeta", "Labels"],
        &["DeploymentMeta", "Labels"],
        &["DeploymentMeta", "Annotations"],
        &["Spec", "NodeSelector"],
        &["ProxyConfig", "ProxyMetadata"],
        &["ProxyConfig", "RuntimeValues"],
        &["MeshConfig", "DefaultConfig", "ProxyMetadata"],
    ] {
        let mut v = Some(data);
        for p in path {
            v = v.and_then(|x| x.field(p));
        }
        if let Some(v) = v {
            mark_string_map(v.clone());
        }
    }
}

/// Legacy `render`: renders its string argument as a template over the current data.
pub(crate) fn render_nested(args: &[Value]) -> gotmpl::Result<Value> {
    let fail = |m: String| gotmpl::TemplateError::Exec(format!("error calling render: {m}"));
    let src = match args {
        [Value::String(s)] => s.clone(),
        [other] => {
            return Err(gotmpl::TemplateError::Exec(format!(
                "wrong type for value; expected string; got {}",
                go::type_name(other)
            )));
        }
        _ => {
            return Err(gotmpl::TemplateError::Exec(format!(
                "wrong number of args for render: want 1 got {}",
                args.len()
            )));
        }
    };
    let ctx = RENDER.with(|r| {
        let mut r = r.borrow_mut();
        r.as_mut().map(|c| {
            c.depth += 1;
            (
                c.data.clone(),
                c.set,
                c.limits,
                Arc::clone(&c.host),
                c.depth,
            )
        })
    });
    let Some((data, set, limits, host, depth)) = ctx else {
        return Err(fail("no render in progress".into()));
    };
    let result = if depth > limits.max_nested_renders {
        Err(fail(format!(
            "nested more than {} deep",
            limits.max_nested_renders
        )))
    } else {
        Template::parse_in("render", &src, set, limits, host)
            .and_then(|t| {
                // Keep the outer context: the nested render runs inside it.
                let mut out = Bounded {
                    buf: String::new(),
                    limit: limits.max_output,
                    exceeded: false,
                };
                let r = t.inner.execute_fmt(&mut out, &data);
                if out.exceeded {
                    return Err(TemplateError::OutputTooLarge {
                        name: "render".into(),
                        limit: limits.max_output,
                    });
                }
                r.map_err(|e| convert_error("render", &src, e))?;
                Ok(out.buf)
            })
            .map(|s| Value::String(s.into()))
            .map_err(|e| fail(e.to_string()))
    };
    RENDER.with(|r| {
        if let Some(c) = r.borrow_mut().as_mut() {
            c.depth -= 1;
        }
    });
    result
}

/// A JSON document as template data: integral numbers are int, the others float64 (as
/// goref decodes `--data`).
pub fn json_data(v: &serde_json::Value) -> Value {
    go::from_json(v, go::Numbers::IntegralInt)
}

/// The column of byte `offset` (1-based, in characters) and the excerpt with a caret.
fn locate(
    source: &str,
    line: usize,
    offset: Option<usize>,
    column: Option<usize>,
) -> (usize, String) {
    let text = source.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let col = match (offset, column) {
        (_, Some(c)) => c,
        (Some(off), None) => {
            let off = off.min(source.len());
            let start = source
                .get(..off)
                .and_then(|s| s.rfind('\n').map(|i| i + 1))
                .unwrap_or(0);
            source.get(start..off).map_or(1, |s| s.chars().count() + 1)
        }
        (None, None) => 1,
    };
    // Keep the excerpt short: at most 100 characters around the column.
    let chars: Vec<char> = text.chars().collect();
    let from = col.saturating_sub(60).min(chars.len());
    let to = (from + 100).min(chars.len());
    let shown: String = chars
        .get(from..to)
        .map(|c| c.iter().collect())
        .unwrap_or_default();
    let gutter = line.to_string();
    let mut excerpt = String::new();
    let _ = write!(
        excerpt,
        "\n{pad} |\n{gutter} | {shown}\n{pad} | {caret_pad}^",
        pad = " ".repeat(gutter.len()),
        caret_pad = " ".repeat(col.saturating_sub(1).saturating_sub(from)),
    );
    (col, excerpt)
}

fn strip_go_prefix(message: &str) -> String {
    message
        .strip_prefix("execution error: ")
        .unwrap_or(message)
        .to_string()
}

fn convert_error(name: &str, source: &str, e: gotmpl::TemplateError) -> TemplateError {
    match e {
        gotmpl::TemplateError::Parse {
            line, col, message, ..
        }
        | gotmpl::TemplateError::Lex {
            line, col, message, ..
        } => {
            let (column, excerpt) = locate(source, line, None, Some(col));
            TemplateError::Parse {
                name: name.to_string(),
                line,
                column,
                message,
                excerpt,
            }
        }
        gotmpl::TemplateError::At {
            offset,
            line,
            source: inner,
        } => {
            let (column, excerpt) = locate(source, line, Some(offset), None);
            TemplateError::Exec {
                name: name.to_string(),
                line,
                column,
                message: strip_go_prefix(&inner.to_string()),
                excerpt,
            }
        }
        other => TemplateError::ExecNoPosition {
            name: name.to_string(),
            message: strip_go_prefix(&other.to_string()),
        },
    }
}

#[cfg(test)]
mod tests;
