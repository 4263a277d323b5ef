//! Go standard-library behaviours that Istio's output depends on, byte for byte (pure).
//!
//! One definition each, for every module that needs Go's text: [`json`] (`encoding/json`'s
//! string escaping and float64 text) and [`strconv`] (`Quote`, `FormatFloat` with `'g'`,
//! `ParseFloat`, `ParseInt`/`ParseUint`). The template adapter (`template::go`) applies them
//! to template values, `yaml` to go-yaml's scalars, `inject` to the status annotation and
//! `model` to quantities.
//!
//! Imports nothing but std and serde; no other module of this crate.

pub mod json;
pub mod strconv;
