//! Table tests of the function map through the engine (the differential suite in
//! `testdata/template/` checks the same functions against Go).

use crate::template::{Template, TemplateError, json_data};

fn render(src: &str, data: serde_json::Value) -> Result<String, TemplateError> {
    Template::parse("t", src)?.render(&json_data(&data))
}

#[test]
fn functions_render_like_go() {
    let data = serde_json::json!({
        "ann": {"a": "1", "empty": ""},
        "meta": {"Annotations": {"x": "y"}},
        "list": [1, 2, 2, 3],
        "f": 1000000.0,
        "p": 15020.0,
        "m": -999999.0,
        "h": 123456.5,
        "z": -0.0,
        "containers": [
            {"Name": "app", "Ports": [{"ContainerPort": 80, "Protocol": "TCP"}, {"ContainerPort": 53, "Protocol": "UDP"}]},
            {"Name": "istio-proxy", "Ports": [{"ContainerPort": 15090}]}
        ]
    });
    for (src, want) in [
        (
            r#"{{ isset .ann "empty" }} {{ isset .ann "b" }}"#,
            "true false",
        ),
        (
            r#"{{ annotation .meta "x" "d" }} {{ annotation .meta "z" 15 }} {{ annotation .meta "z" .nothing }}"#,
            "y 15 <nil>",
        ),
        (
            r#"{{ valueOrDefault "" "d" }} {{ valueOrDefault 0 "d" }} {{ valueOrDefault .nothing "d" }}"#,
            "d 0 d",
        ),
        (
            r#"{{ indent 2 "a\nb" }}|{{ nindent 2 "a\nb" }}"#,
            "a\n  b|\n  a\n  b",
        ),
        (
            r#"{{ contains "b" "abc" }} {{ toLower "AbC" }} {{ directory "/a/b/c.pem" }}"#,
            "true abc /a/b/",
        ),
        (
            r#"{{ includeInboundPorts .containers }} {{ applicationPorts .containers }}"#,
            "80,15090 80",
        ),
        (r#"{{ excludeInboundPort 15020 "1,2" }}"#, "1,2,15020"),
        (
            r#"{{ toJSON .ann }} {{ toJsonMap (strdict "b" "2") .ann }}"#,
            r#"{"a":"1","empty":""} {"a":"1","b":"2","empty":""}"#,
        ),
        (
            r#"{{ omit .ann "a" }} {{ mergeMaps (strdict "k") .ann }}"#,
            "map[empty:] map[a:1 empty: k:]",
        ),
        (
            r#"{{ range $k, $v := fromJSON "{\"a\": 1}" }}{{ $k }}={{ $v }}{{ end }} {{ fromJSON "nope" }}"#,
            "a=1 {}",
        ),
        (
            r#"{{ .list | uniq }} {{ without .list 2 }} {{ has 3 .list }} {{ first .list }} {{ last .list }}"#,
            "[1 2 3] [1 3] true 1 3",
        ),
        (
            r#"{{ .f }} {{ print .f }} {{ toJson .f }}"#,
            "1e+06 1e+06 1000000",
        ),
        (
            r#"{{ .p }} {{ .m }} {{ .h }} {{ .z }} {{ annotation .meta "z" .p }} {{ print .m }}"#,
            "15020 -999999 123456.5 -0 15020 -999999",
        ),
        (
            r#"{{ default "x" "" }} {{ default "x" 0 }} {{ default "x" "y" }}"#,
            "x x y",
        ),
        (
            r#"{{ "a b" | quote }} {{ quote .nothing }}|{{ squote "a" 1 }}"#,
            r#""a b" |'a' '1'"#,
        ),
        (
            r#"{{ "Hello-World_" | trunc 6 | trimAll "-" }} {{ join "," (list 1 "a" .nothing) }}"#,
            "Hello 1,a",
        ),
        (
            r#"{{ add 1 2 "3" }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 3 }} {{ min 4 2 }}"#,
            "6 3 6 3 1 5 2",
        ),
        (
            r#"{{ b64enc "hi" }} {{ b64dec "aGk=" }} {{ regexMatch "^a.c$" "abc" }} {{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}"#,
            "aGk= hi true -W-xxW-",
        ),
        (
            r#"{{ appendMultusNetwork "" "default/istio-cni" }}"#,
            "default/istio-cni",
        ),
        (r#"{{ omitNil (dict "a" .nothing "b" 1) }}"#, "map[b:1]"),
    ] {
        assert_eq!(render(src, data.clone()).as_deref(), Ok(want), "{src}");
    }
}

#[test]
fn go_argument_checks_fail_like_go() {
    for (src, fragment) in [
        (
            r#"{{ indent 1.5 "a" }}"#,
            "wrong type for value; expected int; got float64",
        ),
        (
            r#"{{ upper 1 }}"#,
            "wrong type for value; expected string; got int",
        ),
        (
            r#"{{ upper }}"#,
            "wrong number of args for upper: want 1 got 0",
        ),
        (
            r#"{{ div 1 0 }}"#,
            "error calling div: runtime error: integer divide by zero",
        ),
        (
            r#"{{ required "need x" .x }}"#,
            r#"function "required" not defined"#,
        ),
        (r#"{{ first "abc" }}"#, "Cannot find first on type string"),
    ] {
        let err = render(src, serde_json::json!({})).unwrap_err().to_string();
        assert!(err.contains(fragment), "{src}: {err}");
    }
}

#[test]
fn legacy_set_adds_render_and_to_json_alias() {
    let data = json_data(&serde_json::json!({"X": "x", "m": {"a": "b"}}));
    let t = Template::parse_legacy("t", r#"{{ render "{{ .X }}!" }} {{ toJson .m }}"#).unwrap();
    assert_eq!(t.render(&data).unwrap(), r#"x! {"a":"b"}"#);
    assert!(Template::parse("t", r#"{{ render "x" }}"#).is_err());
    let t = Template::parse_legacy("t", r#"{{ render "{{ render \"{{ .X }}\" }}" }}"#).unwrap();
    assert_eq!(t.render(&data).unwrap(), "x");
}
