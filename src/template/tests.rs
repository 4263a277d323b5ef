//! The adapter: errors with positions and excerpts, bounds, and the Go behaviours that
//! needed the engine patches (vendor/gotmpl/PATCHES.md).

use super::*;

fn data(v: serde_json::Value) -> Value {
    json_data(&v)
}

#[test]
fn parse_error_names_template_line_column_with_caret() {
    let e = Template::parse("sidecar", "a: 1\nb: {{ .X | }}\n").unwrap_err();
    assert_eq!(e.position().map(|p| p.0), Some(2));
    let text = e.to_string();
    assert!(
        text.starts_with("template sidecar: line 2, column "),
        "{text}"
    );
    assert!(text.contains("\n2 | b: {{ .X | }}\n  | "), "{text}");
    assert!(text.ends_with('^'), "{text}");
}

#[test]
fn exec_error_names_the_innermost_node() {
    let t = Template::parse("t", "x\n{{ range .L }}\n  {{ .a.b }}\n{{ end }}").unwrap();
    let e = t
        .render(&data(serde_json::json!({"L": [{"a": null}]})))
        .unwrap_err();
    assert_eq!(e.position(), Some((3, 6)), "{e}");
    let text = e.to_string();
    assert!(
        text.starts_with(
            "template t: line 3, column 6: executing: nil pointer evaluating interface {}.b"
        ),
        "{text}"
    );
    assert!(text.ends_with("3 |   {{ .a.b }}\n  |      ^"), "{text}");
}

#[test]
fn go_field_semantics() {
    let d = data(serde_json::json!({"a": {}, "n": null, "f": 1e6, "g": 0.00001, "l": [1.5, 2e21]}));
    for (src, want) in [
        // A missing key yields no value, also further down the chain.
        ("{{ .a.b.c }}", Ok("<no value>")),
        // A nil entry: printing is fine, a field of it is an error.
        ("{{ .n }}", Ok("<no value>")),
        ("{{ .n.x }}", Err("nil pointer evaluating interface {}.x")),
        // Parenthesised, the nil is unwrapped to no value.
        ("{{ (.n).x }}", Ok("<no value>")),
        // float64 prints as Go's %v.
        ("{{ .f }} {{ .g }} {{ .l }}", Ok("1e+06 1e-05 [1.5 2e+21]")),
    ] {
        let got = Template::parse("t", src).unwrap().render(&d);
        match want {
            Ok(w) => assert_eq!(got.unwrap(), w, "{src}"),
            Err(w) => assert!(got.unwrap_err().to_string().contains(w), "{src}"),
        }
    }
}

#[test]
fn methods_of_enums_and_nil_safe_getters() {
    let d = data(serde_json::json!({"P": {"InterceptionMode": "REDIRECT", "Hold": null}}));
    let t = Template::parse(
        "t",
        "{{ .P.InterceptionMode.String }} {{ if .P.Hold.GetValue }}y{{ else }}n{{ end }} {{ .P.GetTracing.GetTlsSettings.GetCaCertificates }}",
    )
    .unwrap();
    assert_eq!(t.render(&d).unwrap(), "REDIRECT n <no value>");
}

#[test]
fn runaway_templates_stop_with_an_error() {
    let d = data(serde_json::json!({}));
    let recurse = Template::parse(
        "t",
        r#"{{ define "r" }}x{{ template "r" . }}{{ end }}{{ template "r" . }}"#,
    )
    .unwrap();
    assert!(
        recurse
            .render(&d)
            .unwrap_err()
            .to_string()
            .contains("recursion limit")
    );

    let limits = Limits {
        max_output: 1000,
        ..Limits::default()
    };
    let big = Template::parse_with(
        "big",
        r#"{{ range 100000 }}xxxxxxxxxx{{ end }}"#,
        FuncSet::Current,
        limits,
    )
    .unwrap();
    let e = big.render(&d).unwrap_err();
    assert!(
        matches!(e, TemplateError::OutputTooLarge { limit: 1000, .. }),
        "{e}"
    );

    let many = Template::parse("t", r#"{{ range 2000000 }}{{ end }}"#).unwrap();
    assert!(
        many.render(&d)
            .unwrap_err()
            .to_string()
            .contains("range iteration budget")
    );

    let wide = Template::parse("t", r#"{{ repeat 100000000 "xxxxxxxxxx" }}"#).unwrap();
    assert!(
        wide.render(&d)
            .unwrap_err()
            .to_string()
            .contains("longer than")
    );

    let doubling = Template::parse(
        "t",
        r#"{{ $s := "xxxxxxxx" }}{{ range 40 }}{{ $s = print $s $s }}{{ end }}"#,
    )
    .unwrap();
    assert!(
        doubling
            .render(&d)
            .unwrap_err()
            .to_string()
            .contains("result of print is larger")
    );

    let lists = Template::parse(
        "t",
        r#"{{ $l := list 1 }}{{ range 30 }}{{ $l = concat $l $l }}{{ end }}"#,
    )
    .unwrap();
    assert!(
        lists
            .render(&d)
            .unwrap_err()
            .to_string()
            .contains("entries; stopped")
    );

    let deep = Template::parse(
        "t",
        r#"{{ $d := dict }}{{ range 100000 }}{{ $d = dict "a" $d }}{{ end }}{{ $d }}"#,
    )
    .unwrap();
    assert!(
        deep.render(&d)
            .unwrap_err()
            .to_string()
            .contains("more than 100 deep")
    );

    let indent = Template::parse(
        "t",
        r#"{{ indent 100000000 "a\nb" }}{{ nindent 100000000 "a" }}"#,
    )
    .unwrap();
    assert!(
        indent
            .render(&d)
            .unwrap_err()
            .to_string()
            .contains("longer than")
    );

    let everywhere = Template::parse(
        "t",
        r#"{{ regexReplaceAll "" (repeat 100000 "x") (repeat 1000 "y") }}"#,
    )
    .unwrap();
    assert!(
        everywhere
            .render(&d)
            .unwrap_err()
            .to_string()
            .contains("longer than")
    );

    let legacy = Template::parse_legacy(
        "t",
        r#"{{ define "r" }}{{ render "{{ template \"r\" . }}" }}{{ end }}{{ template "r" . }}"#,
    )
    .unwrap();
    assert!(legacy.render(&d).is_err());
}

#[test]
fn deeply_nested_source_is_a_parse_error_not_a_crash() {
    let src = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    assert!(Template::parse("t", &src).is_err());
}

#[test]
fn set_unset_merge_change_the_variable_as_go_maps_do() {
    let t = Template::parse(
        "t",
        r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ range list 1 }}{{ $_ := unset $d "a" }}{{ end }}{{ $d }} {{ $n := dict "in" (dict) }}{{ $_ := set $n.in "x" 1 }}{{ $n }}"#,
    )
    .unwrap();
    assert_eq!(
        t.render(&data(serde_json::json!({}))).unwrap(),
        "map[b:2] map[in:map[x:1]]"
    );
}

#[test]
fn exponential_template_recursion_runs_out_of_steps_naming_where() {
    // 2^40 calls within the nesting limit: stopped by the step budget, with a position.
    let mut src = String::from(r#"{{ define "t0" }}x{{ end }}"#);
    for i in 1..=40 {
        let p = i - 1;
        src.push_str(&format!("{{{{ define \"t{i}\" }}}}"));
        src.push_str(&format!(
            "{{{{ template \"t{p}\" . }}}}{{{{ template \"t{p}\" . }}}}"
        ));
        src.push_str("{{ end }}");
    }
    src.push_str(r#"{{ template "t40" . }}"#);
    let limits = Limits {
        max_steps: 100_000,
        ..Limits::default()
    };
    let t = Template::parse_with("boom", &src, FuncSet::Current, limits).unwrap();
    let start = std::time::Instant::now();
    let e = t.render(&data(serde_json::json!({}))).unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    let msg = e.to_string();
    assert!(msg.contains("budget of 100000 steps"), "{msg}");
    assert!(msg.starts_with("template boom: line 1, column"), "{msg}");
}

#[test]
fn expensive_loops_run_out_of_time() {
    let limits = Limits {
        max_millis: 200,
        max_range_iterations: u64::MAX,
        ..Limits::default()
    };
    let t = Template::parse_with(
        "slow",
        r#"{{ range $a := .l }}{{ range $b := $.l }}{{ $x := print $a $b }}{{ end }}{{ end }}"#,
        FuncSet::Current,
        limits,
    )
    .unwrap();
    let start = std::time::Instant::now();
    let l: Vec<u32> = (0..5000).collect();
    let e = t.render(&data(serde_json::json!({ "l": l }))).unwrap_err();
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    assert!(
        e.to_string().contains("time budget of 200 ms") || e.to_string().contains("budget of"),
        "{e}"
    );
}

#[test]
fn string_literals_are_bytes_as_in_go() {
    let d = data(serde_json::json!({}));
    let t = Template::parse("t", r#"{{ "caf\xc3\xa9" }} {{ len "\xc3\xa9" }}"#).unwrap();
    assert_eq!(t.render(&d).unwrap(), "café 2");
    // A lone byte cannot be carried: refused when parsing, not turned into U+00FF.
    let e = Template::parse("t", r#"{{ "\xff" }}"#).unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    for bad in [
        r#"{{ "\q" }}"#,
        r#"{{ "\'" }}"#,
        r#"{{ "\ud800" }}"#,
        r#"{{ '\q' }}"#,
        r#"{{ '' }}"#,
    ] {
        assert!(Template::parse("t", bad).is_err(), "{bad}");
    }
}

#[test]
fn istio_indent_pads_a_negative_count_like_a_positive_one() {
    // Istio's indent is fmt.Sprintf("% *s", n, ""): a negative width left-justifies.
    let d = data(serde_json::json!({}));
    let t = Template::parse("t", r#"{{ indent -2 "a\nb" }}|{{ indent 2 "a\nb" }}"#).unwrap();
    assert_eq!(t.render(&d).unwrap(), "a\n  b|a\n  b");
}
