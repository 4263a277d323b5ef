//! The bodies of the fuzz targets (`fuzz/fuzz_targets/*.rs` call these), kept in the library
//! so that the ordinary test suite runs each over its seed corpus and saved findings
//! (`tests/cli/fuzz.rs`) without a fuzzing build, and the harness cannot rot unnoticed.
//!
//! Each function takes arbitrary bytes and panics only on a bug: a panic anywhere below it,
//! a differential mismatch, or a broken invariant (an accepted input whose output does not
//! read back). Errors for bad input are the expected outcome, not findings.

use std::sync::OnceLock;

use serde_json::Value;

use crate::inject::engine::{ConfigSource, Setup};
use crate::inject::{Injector, admission, uninject};
use crate::manifest;

/// Every fuzz target by name, for the test runner and `make fuzz`.
/// A fuzz target's body.
pub type Body = fn(&[u8]);

pub const TARGETS: &[(&str, Body)] = &[
    ("manifest", manifest_split_parse),
    ("yaml_fast", yaml_fast_vs_serde),
    ("template", template_render),
    ("inject", inject_documents),
    ("strip", strip_documents),
    ("admission", admission_review),
    ("selector", selector_parse),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Split + parse + type check of a manifest stream: never a panic; a parsed document
/// emits YAML that reads back to the same value.
pub fn manifest_split_parse(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(docs) = manifest::parse_documents("fuzz", text) else {
        return;
    };
    for doc in docs {
        let _ = crate::inject::validate::document(&doc);
        let emitted = crate::yaml::to_string(&doc.value);
        let back = crate::yaml::kube::from_str(&emitted)
            .unwrap_or_else(|e| panic!("emitted YAML does not read back: {e}\n{emitted}"));
        // Go's output folds NEL (U+0085) as a line break, and the emitter writes what Go
        // writes: such strings come back changed by design (yaml::emitter's reread_nel).
        if doc.value.to_string().contains('\u{85}') {
            continue;
        }
        assert!(
            same_json(&back, &doc.value),
            "emitted YAML reads back differently:\n{emitted}\nwas {}\nnow {back}",
            doc.value
        );
    }
}

/// JSON values equal up to how a number is stored (`1.0` emitted reads back as `1`).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || x.as_f64().zip(y.as_f64()).is_some_and(|(x, y)| x == y)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

/// The release-only fast reader against serde_yaml: whenever it answers, serde_yaml must
/// read the same value.
pub fn yaml_fast_vs_serde(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Some(fast) = crate::yaml::fast::parse(text) else {
        return;
    };
    match serde_yaml::from_str::<Value>(text) {
        Ok(slow) => assert!(
            slow == fast,
            "fast reader disagrees with serde_yaml on {text:?}: fast {fast}, serde_yaml {slow}"
        ),
        Err(e) => panic!("fast reader reads {fast} where serde_yaml fails ({e}) on {text:?}"),
    }
}

/// Template parse + render on a small dot, within the render budget: never a panic or a
/// hang (the step and time budgets stop it).
pub fn template_render(data: &[u8]) {
    let Some(source) = text(data) else { return };
    crate::template::run_budget::reset();
    let limits = crate::template::Limits {
        max_output: 1 << 20,
        max_range_iterations: 10_000,
        max_nested_renders: 4,
        max_steps: 200_000,
        max_millis: 2_000,
    };
    let Ok(t) = crate::template::Template::parse_with(
        "fuzz",
        source,
        crate::template::FuncSet::Current,
        limits,
    ) else {
        return;
    };
    let dot = crate::template::json_data(&serde_json::json!({
        "a": 1, "s": "x", "l": [1, "two", 3.5], "m": {"k": "v", "n": null}, "b": true,
    }));
    let _ = t.render(&dot);
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| match Setup::load(ConfigSource::default()) {
        Ok(s) => s,
        Err(e) => panic!("the embedded default configuration loads: {e}"),
    })
}

/// The inject pipeline on arbitrary documents: never a panic; what it accepts it emits as
/// YAML that reads back.
pub fn inject_documents(data: &[u8]) {
    let Some(text) = text(data) else { return };
    crate::template::run_budget::reset();
    let setup = setup();
    let params = setup.params(false, None, false);
    let injector = Injector::new(setup, params, setup.is_legacy());
    let Ok(results) = injector.inject_all(&[("fuzz", text)], Some(1), true) else {
        return;
    };
    for (_, r) in results {
        if let crate::inject::DocOutput::Raw(out) = &r.output
            && let Err(e) = crate::yaml::kube::from_str(out)
        {
            panic!("injected output does not read back: {e}\n{out}");
        }
    }
}

/// cleanup's strip on arbitrary documents: never a panic; a stripped object carries no
/// status record and reads back.
pub fn strip_documents(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(docs) = manifest::parse_documents("fuzz", text) else {
        return;
    };
    for doc in docs {
        let Ok(r) = uninject::strip_document(&doc) else {
            continue;
        };
        if let Some(out) = r.output {
            let emitted = crate::yaml::to_string(&out);
            if let Err(e) = crate::yaml::kube::from_str(&emitted) {
                panic!("stripped output does not read back: {e}\n{emitted}");
            }
            for o in &r.objects {
                if o.stripped {
                    assert!(
                        !emitted.contains("sidecar.istio.io/status:"),
                        "the record survived the strip:\n{emitted}"
                    );
                }
            }
        }
    }
}

/// The AdmissionReview path: never a panic; an answer is a review of the version asked,
/// and a patch applies to the object as sent.
pub fn admission_review(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let Ok(review) = manifest::read_yaml(text) else {
        return;
    };
    crate::template::run_budget::reset();
    let setup = setup();
    let params = setup.params(false, None, true);
    let Ok((resp, _)) = admission::review(setup, setup.config(), &params, &review) else {
        return;
    };
    assert_eq!(resp.get("apiVersion"), review.get("apiVersion"));
    let Some(patch) = resp.pointer("/response/patch").and_then(Value::as_str) else {
        return;
    };
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(patch)
        .unwrap_or_else(|e| panic!("patch is not base64: {e}"));
    let ops: Vec<Value> =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("patch is not JSON: {e}"));
    let ops: Vec<crate::inject::jsonpatch::Op> = ops
        .iter()
        .map(|o| crate::inject::jsonpatch::Op {
            op: match o.get("op").and_then(Value::as_str) {
                Some("add") => "add",
                Some("remove") => "remove",
                _ => "replace",
            },
            path: o
                .get("path")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            value: o.get("value").cloned(),
        })
        .collect();
    let object = review
        .pointer("/request/object")
        .cloned()
        .unwrap_or_default();
    if let Err(e) = crate::inject::jsonpatch::apply(&object, &ops) {
        panic!("the patch does not apply to the object as sent: {e}");
    }
}

/// Label selector parsing and matching: never a panic; a parsed selector matches the same
/// way twice.
pub fn selector_parse(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let (sel, labels) = text.split_once('\n').unwrap_or((text, ""));
    let Ok(s) = crate::policy::Selector::parse(sel) else {
        return;
    };
    let mut map = crate::model::StringMap::new();
    for pair in labels.split(',') {
        if let Some((k, v)) = pair.split_once('=') {
            map.insert(k.to_string(), v.to_string());
        }
    }
    assert_eq!(s.matches(&map), s.matches(&map));
}
