//! The function map, registered in one call: sprig 3's text functions that templates use,
//! then Istio's injection functions over them (Istio shadows sprig's `indent`, `contains`,
//! `env` and `omit`), as `template.New("inject").Funcs(sprig.TxtFuncMap()).Funcs(InjectionFuncmap)`.
//!
//! Arguments are checked as Go's `text/template` checks them against the Go signature:
//! a `string` parameter takes only a string, an `int` only an integer, and the wrong
//! count is an error.

mod istio;
mod sprig;

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{FuncMap, TemplateError, Value};

use super::go;

/// Which generation of Istio's function map to register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FuncSet {
    /// Istio ≥ 1.19: sprig, then Istio's functions.
    #[default]
    Current,
    /// Istio ≤ 1.18 legacy templates: also `render` (a string rendered as a template with
    /// the same data) and Istio's `toJson` alias (a `map[string]string`, nil → `{}`).
    Legacy,
}

/// Why a call failed: a Go argument check (message as Go prints it), or the function
/// itself (Go wraps it as `error calling NAME: …`).
pub(crate) enum Fail {
    Arg(String),
    Call(String),
}

impl From<String> for Fail {
    fn from(s: String) -> Fail {
        Fail::Call(s)
    }
}

impl From<&str> for Fail {
    fn from(s: &str) -> Fail {
        Fail::Call(s.to_string())
    }
}

pub(crate) type FResult = Result<Value, Fail>;

/// A function's arguments with Go's parameter checks.
pub(crate) struct Args<'a> {
    pub name: &'static str,
    pub args: &'a [Value],
}

impl<'a> Args<'a> {
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// Exactly `n` arguments.
    pub fn exact(&self, n: usize) -> Result<(), Fail> {
        if self.args.len() != n {
            return Err(Fail::Arg(format!(
                "wrong number of args for {}: want {n} got {}",
                self.name,
                self.args.len()
            )));
        }
        Ok(())
    }

    /// At least `n` arguments (a variadic Go function).
    pub fn at_least(&self, n: usize) -> Result<(), Fail> {
        if self.args.len() < n {
            return Err(Fail::Arg(format!(
                "wrong number of args for {}: want at least {n} got {}",
                self.name,
                self.args.len()
            )));
        }
        Ok(())
    }

    pub fn any(&self, i: usize) -> &'a Value {
        self.args.get(i).unwrap_or(&Value::Nil)
    }

    fn wrong(&self, want: &str, got: &Value) -> Fail {
        match got {
            Value::Nil => Fail::Arg(format!("invalid value; expected {want}")),
            other => Fail::Arg(format!(
                "wrong type for value; expected {want}; got {}",
                go::type_name(other)
            )),
        }
    }

    /// A `string` parameter.
    pub fn str(&self, i: usize) -> Result<&'a str, Fail> {
        match self.any(i) {
            Value::String(s) => Ok(s),
            other => Err(self.wrong("string", other)),
        }
    }

    /// An `int` parameter (an integer; Go does not convert a float64 argument).
    pub fn int(&self, i: usize) -> Result<i64, Fail> {
        match self.any(i) {
            Value::Int(n) => Ok(*n),
            Value::Uint(n) => i64::try_from(*n).map_err(|_| Fail::Arg("int overflow".into())),
            other => Err(self.wrong("int", other)),
        }
    }

    /// A `bool` parameter.
    pub fn bool(&self, i: usize) -> Result<bool, Fail> {
        match self.any(i) {
            Value::Bool(b) => Ok(*b),
            other => Err(self.wrong("bool", other)),
        }
    }

    /// A `map[string]string` parameter: nil is an empty map; a map with a non-string value
    /// is not convertible.
    pub fn str_map(&self, i: usize) -> Result<BTreeMap<String, String>, Fail> {
        match self.any(i) {
            Value::Nil => Ok(BTreeMap::new()),
            Value::Map(m) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.to_string(), s.to_string())),
                    _ => Err(self.wrong("map[string]string", self.any(i))),
                })
                .collect(),
            other => Err(self.wrong("map[string]string", other)),
        }
    }

    /// A `map[string]string` parameter, checked but not copied (`None` for nil).
    pub fn str_map_ref(&self, i: usize) -> Result<Option<&BTreeMap<Arc<str>, Value>>, Fail> {
        match self.any(i) {
            Value::Nil => Ok(None),
            Value::Map(m) if m.values().all(|v| matches!(v, Value::String(_))) => Ok(Some(m)),
            other => Err(self.wrong("map[string]string", other)),
        }
    }

    /// A `map[string]interface{}` parameter.
    pub fn map(&self, i: usize) -> Result<Arc<BTreeMap<Arc<str>, Value>>, Fail> {
        match self.any(i) {
            Value::Map(m) => Ok(Arc::clone(m)),
            Value::Nil => Ok(Arc::new(BTreeMap::new())),
            other => Err(self.wrong("map[string]interface {}", other)),
        }
    }
}

pub(crate) fn s(v: impl Into<Arc<str>>) -> Value {
    Value::String(v.into())
}

/// A Go `map[string]string` result (recorded as such for `index`).
pub(crate) fn str_map_value(m: BTreeMap<String, String>) -> Value {
    crate::template::mark_string_map(Value::Map(Arc::new(
        m.into_iter()
            .map(|(k, v)| (Arc::from(k.as_str()), s(v)))
            .collect(),
    )))
}

/// Go's `index` builtin, with the zero value of the map's element type for a missing key:
/// `""` for a `map[string]string`, nil for a `map[string]any`.
fn index(a: &Args) -> FResult {
    a.at_least(1)?;
    let mut v = a.any(0).clone();
    for key in &a.args[1..] {
        v = match (&v, key) {
            (Value::Map(m), Value::String(k)) => match m.get(k.as_ref()) {
                Some(x) => x.clone(),
                None if crate::template::is_string_map(m) => s(""),
                None => Value::Nil,
            },
            (Value::Map(_), other) => {
                return Err(Fail::Call(format!(
                    "value has type {}; should be string",
                    go::type_name(other)
                )));
            }
            (Value::List(_) | Value::String(_), Value::Int(_) | Value::Uint(_)) => {
                v.index(key).map_err(|_| {
                    Fail::Call(format!(
                        "error calling index: index out of range: {}",
                        go::sprint(key)
                    ))
                })?
            }
            (Value::Nil, _) => return Err(Fail::Call("index of untyped nil".into())),
            (other, _) => {
                return Err(Fail::Call(format!(
                    "can't index item of type {}",
                    go::type_name(other)
                )));
            }
        };
    }
    Ok(v)
}

/// Registers `f` under `name`, turning failures into Go's messages.
pub(crate) fn reg(
    m: &mut FuncMap,
    name: &'static str,
    f: impl Fn(&Args) -> FResult + Send + Sync + 'static,
) {
    m.insert(
        name.to_string(),
        Arc::new(move |args: &[Value]| {
            f(&Args { name, args }).map_err(|e| match e {
                Fail::Arg(msg) => TemplateError::Exec(msg),
                Fail::Call(msg) => TemplateError::Exec(format!("error calling {name}: {msg}")),
            })
        }),
    );
}

/// The largest string (bytes) and list or map (entries) a function may return: a template
/// that keeps doubling a value stops with an error instead of exhausting memory.
pub(crate) const MAX_STRING: usize = 16 << 20;
pub(crate) const MAX_ENTRIES: usize = 100_000;
/// The deepest list/map nesting a function may return: printing, marshalling and dropping
/// values recurse, so `{{ $d = dict "a" $d }}` in a long loop must stop early.
pub(crate) const MAX_DEPTH: usize = 100;

fn too_deep(v: &Value, left: usize) -> bool {
    match v {
        Value::List(l) => left == 0 || l.iter().any(|x| too_deep(x, left - 1)),
        Value::Map(m) => left == 0 || m.values().any(|x| too_deep(x, left - 1)),
        _ => false,
    }
}

/// Fails when a function's result `v` is larger or deeper than the bounds.
fn check_bounds(label: &str, v: &Value, args: &[Value]) -> Result<(), TemplateError> {
    let too_big = match v {
        Value::String(x) => x.len() > MAX_STRING,
        Value::List(l) => l.len() > MAX_ENTRIES,
        Value::Map(m) => m.len() > MAX_ENTRIES,
        _ => return Ok(()),
    };
    if too_big {
        return Err(TemplateError::Exec(format!(
            "result of {label} is larger than {MAX_STRING} bytes or {MAX_ENTRIES} entries; stopped"
        )));
    }
    // An argument handed back as it is (`default`, `index`, `first`) nests no deeper than
    // before the call: only new lists and maps need the walk.
    let passed_through = args.iter().any(|a| match (a, v) {
        (Value::List(x), Value::List(y)) => Arc::ptr_eq(x, y),
        (Value::Map(x), Value::Map(y)) => Arc::ptr_eq(x, y),
        _ => false,
    });
    if !passed_through && too_deep(v, MAX_DEPTH) {
        return Err(TemplateError::Exec(format!(
            "result of {label} nests lists or maps more than {MAX_DEPTH} deep; stopped"
        )));
    }
    Ok(())
}

/// The whole function map for `set`: Go's builtins, sprig over them, then Istio's
/// functions over sprig (those that read the injector's environment or depend on its
/// release read `host`); every function's result is bounded in size.
pub fn func_map(set: FuncSet, host: &super::Host) -> FuncMap {
    let mut m = gotmpl::builtins();
    reg(&mut m, "index", index);
    sprig::register(&mut m);
    istio::register(&mut m, set, host);
    m.into_iter()
        .map(|(name, f)| {
            let label = name.clone();
            let bounded: gotmpl::ValueFunc = Arc::new(move |args: &[Value]| {
                let v = f(args)?;
                check_bounds(&label, &v, args)?;
                Ok(v)
            });
            (name, bounded)
        })
        .collect()
}

#[cfg(test)]
mod tests;
