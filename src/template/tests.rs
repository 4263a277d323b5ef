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
