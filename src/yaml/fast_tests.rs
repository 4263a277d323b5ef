//! Differential tests of the fast reader against serde_yaml: whenever [`parse`] answers, it
//! must answer exactly what `serde_yaml::from_str::<Value>` reads.

use serde_json::{Value, json};

use super::parse;

/// What the fast path must do with a text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    /// Read it (and agree with serde_yaml).
    Fast,
    /// Leave it to serde_yaml.
    Fallback,
}
use Want::{Fallback, Fast};

/// The fast answer, after checking it against serde_yaml (a `Some` serde_yaml rejects or
/// reads differently fails).
fn differential(text: &str) -> Option<Value> {
    let fast = parse(text);
    if let Some(v) = &fast {
        let slow = serde_yaml::from_str::<Value>(text);
        match slow {
            Ok(slow) => assert_eq!(&slow, v, "fast and serde_yaml differ on {text:?}"),
            Err(e) => panic!("fast read {text:?} as {v} but serde_yaml fails: {e}"),
        }
    }
    fast
}

fn run(cases: &[(&str, Want)]) {
    for (text, want) in cases {
        let got = differential(text);
        assert_eq!(
            got.is_some(),
            *want == Fast,
            "{text:?}: expected {want:?}, got {got:?}"
        );
    }
}

#[test]
fn empty_and_comment_only_documents_are_null() {
    run(&[
        ("", Fast),
        ("\n\n", Fast),
        ("   \n  \n", Fast),
        ("# just a comment\n", Fast),
        ("  # indented comment\n\n# another", Fast),
        ("---\n", Fast),
        ("---\n# c\n", Fast),
        ("--- # c\n", Fast),
    ]);
    assert_eq!(parse("\n# c\n"), Some(Value::Null));
}

#[test]
fn plain_scalars_resolve_like_serde_yaml() {
    let scalars = [
        // nulls
        "~",
        "null",
        "Null",
        "NULL",
        "nULL",
        "none", // bools
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "False",
        "FALSE",
        "yes",
        "no",
        "on",
        "off",
        "y",
        // integers
        "0",
        "1",
        "-1",
        "+1",
        "++1",
        "+-1",
        "-0",
        "007",
        "-007",
        "+007",
        "08",
        "0x1F",
        "0xff",
        "0XFF",
        "-0x1F",
        "+0x1F",
        "0x-1",
        "0x+1",
        "0x",
        "0o17",
        "-0o17",
        "0o8",
        "0b101",
        "-0b101",
        "0b2",
        "1_000",
        "1,000",
        "15001",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "340282366920938463463374607431768211456", // floats
        "1.0",
        "-1.5",
        "+1.5",
        ".5",
        "5.",
        "1e3",
        "1E3",
        "1e-3",
        "-1e3",
        "1e400",
        "1e-400",
        ".inf",
        ".Inf",
        ".INF",
        "-.inf",
        "+.inf",
        "inf",
        "infinity",
        ".nan",
        ".NaN",
        ".NAN",
        "nan",
        "NaN",
        "0.1.2",
        "1.0e",
        "0.0",
        "-0.0",
        "00.5",
        "01.5", // strings
        "2000m",
        "1024Mi",
        "100m",
        "1:20",
        "12:30:45",
        "2001-12-14",
        "v1",
        "a b",
        "a  b",
        "-p",
        "--domain",
        "$(POD_NAMESPACE).svc.cluster.local",
        "*/1",
        "a#b",
        "a:b",
        "a:",
        "http://x:80/p?q=1&r",
        "ünïcødé",
        "日本語",
        "a'b",
        "a\"b",
        "a\\b",
        "a,b",
        "a[b]{c}",
    ];
    for s in scalars {
        for text in [
            s.to_string(),
            format!("k: {s}"),
            format!("k: {s}\n"),
            format!("- {s}\n"),
            format!("k: [{s}]\n"),
            format!("{{k: {s}}}\n"),
        ] {
            differential(&text);
        }
    }
    // Spot checks of the values themselves.
    let cases = [
        ("k: 15001", json!({"k": 15001})),
        ("k: -1", json!({"k": -1})),
        ("k: 0x1F", json!({"k": 31})),
        ("k: 007", json!({"k": "007"})),
        ("k: 1e3", json!({"k": 1000.0})),
        ("k: .inf", json!({"k": null})),
        ("k: 1e400", json!({"k": "1e400"})),
        ("k: ~", json!({"k": null})),
        ("k: True", json!({"k": true})),
        ("k: yes", json!({"k": "yes"})),
        ("k: 2000m", json!({"k": "2000m"})),
    ];
    for (text, want) in cases {
        assert_eq!(differential(text), Some(want), "{text:?}");
    }
}

#[test]
fn integers_past_64_bits_fall_back() {
    // serde_json cannot hold them, so serde_yaml fails; the fast path must not answer.
    run(&[
        ("k: 18446744073709551616", Fallback),
        ("k: -9223372036854775809", Fallback),
        ("k: 18446744073709551615", Fast),
        ("k: 1234567890123456789012345678901234567890123", Fast), // past u128: a float
    ]);
}

#[test]
fn keys_are_never_resolved() {
    assert_eq!(
        differential("1: a\ntrue: b\n~: c\nnull: d\n\"2\": e\n'x y': f\n"),
        Some(json!({"1": "a", "true": "b", "~": "c", "null": "d", "2": "e", "x y": "f"}))
    );
}

#[test]
fn quoted_scalars_are_strings_with_libyaml_escapes() {
    let cases = [
        (r#"k: "15001""#, json!({"k": "15001"})),
        (r#"k: "true""#, json!({"k": "true"})),
        (r#"k: """#, json!({"k": ""})),
        ("k: ''", json!({"k": ""})),
        ("k: '~'", json!({"k": "~"})),
        ("k: 'it''s'", json!({"k": "it's"})),
        ("k: ''''", json!({"k": "'"})),
        ("k: 'a\\nb'", json!({"k": "a\\nb"})),
        (r#"k: "a: b""#, json!({"k": "a: b"})),
        ("k: 'a: b'", json!({"k": "a: b"})),
        (r#"k: "a #b""#, json!({"k": "a #b"})),
        (r#"k: "tab\there""#, json!({"k": "tab\there"})),
        (
            r#"k: "\0\a\b\t\n\v\f\r\e\ \"\/\\""#,
            json!({"k": "\0\x07\x08\t\n\x0b\x0c\r\x1b \"/\\"}),
        ),
        (
            r#"k: "\N\_\L\P""#,
            json!({"k": "\u{85}\u{a0}\u{2028}\u{2029}"}),
        ),
        (
            r#"k: "\x41\xe9\u00e9\u003c\u2028\U0001F600""#,
            json!({"k": "Aéé<\u{2028}😀"}),
        ),
        (r#"k: "ünïcødé 日本語""#, json!({"k": "ünïcødé 日本語"})),
        (r#""quoted key": v"#, json!({"quoted key": "v"})),
        (r#""a" : v"#, json!({"a": "v"})),
        ("'a''b': v", json!({"a'b": "v"})),
        (r#"k: "x" # comment"#, json!({"k": "x"})),
        (r#"- "-u""#, json!(["-u"])),
        (r#"-  "1337" "#, json!(["1337"])),
    ];
    for (text, want) in cases {
        assert_eq!(differential(text), Some(want), "{text:?}");
    }
    run(&[
        (r#"k: "\ud83d\ude00""#, Fallback), // surrogates: libyaml rejects them
        (r#"k: "\q""#, Fallback),
        (r#"k: "\'""#, Fallback),
        (r#"k: "\x4""#, Fallback),
        (r#"k: "\u12g4""#, Fallback),
        (r#"k: "\U00110000""#, Fallback),
        ("k: \"multi\n  line\"", Fallback),
        ("k: 'multi\n  line'", Fallback),
        ("k: \"folded \\\n  line\"", Fallback),
        (r#"k: "a" b"#, Fallback),
        (r##"k: "a"#b"##, Fallback),
        (r#"k: "unterminated"#, Fallback),
        ("k: 'unterminated", Fallback),
    ]);
}

#[test]
fn block_mappings_and_sequences() {
    let cases = [
        ("a: 1\nb: 2\n", json!({"a": 1, "b": 2})),
        (
            "a:\n  b:\n    c: d\n  e: f\ng: h\n",
            json!({"a": {"b": {"c": "d"}, "e": "f"}, "g": "h"}),
        ),
        ("a:\nb: 1\n", json!({"a": null, "b": 1})),
        ("a:", json!({"a": null})),
        ("a:   # comment\n  b: 1\n", json!({"a": {"b": 1}})),
        ("a:   # comment\nb: 1\n", json!({"a": null, "b": 1})),
        ("a: 1 # comment\n", json!({"a": 1})),
        ("a: x#y\n", json!({"a": "x#y"})),
        ("a: b:c\n", json!({"a": "b:c"})),
        ("a : b\n", json!({"a": "b"})),
        ("a: trailing   \n", json!({"a": "trailing"})),
        ("a: b c  d\n", json!({"a": "b c  d"})),
        ("- a\n- b\n", json!(["a", "b"])),
        ("-\n- \n-  # c\n", json!([null, null, null])),
        ("- - x\n  - y\n- z\n", json!([["x", "y"], "z"])),
        ("- - - x\n", json!([[["x"]]])),
        ("-\n  a: 1\n", json!([{"a": 1}])),
        (
            "- name: a\n  value: b\n- name: c\n",
            json!([{"name": "a", "value": "b"}, {"name": "c"}]),
        ),
        ("- a:\n  b: 1\n", json!([{"a": null, "b": 1}])),
        ("- a:\n    b: 1\n", json!([{"a": {"b": 1}}])),
        ("- a:\n  - x\n  c: 1\n", json!([{"a": ["x"], "c": 1}])),
        ("k:\n- a\n- b\nl: 1\n", json!({"k": ["a", "b"], "l": 1})),
        ("k:\n  - a\n  - b\nl: 1\n", json!({"k": ["a", "b"], "l": 1})),
        ("k:\n  -\n    x: 1\n", json!({"k": [{"x": 1}]})),
        ("a:\n  b: 1\n\n\n  c: 2\n", json!({"a": {"b": 1, "c": 2}})),
        (
            "a:\n  b: 1\n# c\n    # c\n  c: 2\n",
            json!({"a": {"b": 1, "c": 2}}),
        ),
        ("  a: 1\n  b: 2\n", json!({"a": 1, "b": 2})),
        ("a: 1\na: 2\n", json!({"a": 2})),
        ("a:\n  x: 1\na: 2\n", json!({"a": 2})),
        (
            "- emptyDir:\n  name: s\n",
            json!([{"emptyDir": null, "name": "s"}]),
        ),
        ("k: v", json!({"k": "v"})),
        ("scalar\n", json!("scalar")),
        ("\"quoted\"\n", json!("quoted")),
        ("---\na: 1\n", json!({"a": 1})),
        ("# c\n---\n- 1\n", json!([1])),
    ];
    for (text, want) in cases {
        assert_eq!(differential(text), Some(want), "{text:?}");
    }
}

#[test]
fn constructs_left_to_serde_yaml() {
    run(&[
        ("a: &x 1\nb: *x\n", Fallback),
        ("a: !!str 1\n", Fallback),
        ("a: !custom x\n", Fallback),
        ("? a\n: b\n", Fallback),
        ("a: 1\n---\nb: 2\n", Fallback),
        ("a: 1\n...\n", Fallback),
        ("%YAML 1.1\n---\na: 1\n", Fallback),
        ("--- a\n", Fallback),
        ("a: b\n  c\n", Fallback), // multi-line plain scalar
        ("- b\n  c\n", Fallback),
        ("- a\n  - b\n", Fallback), // "a - b"
        ("a:\n  b\n  c\n", Fallback),
        ("a: >\n  folded\n", Fallback),
        ("a: |+\n  kept\n\n", Fallback),
        ("a:\tb\n", Fallback),
        ("a: 1\r\nb: 2\r\n", Fallback),
        ("\u{feff}a: 1\n", Fallback),
        ("a: x\u{85}y\n", Fallback),
        ("<<: {a: 1}\n", Fallback),
        ("[a, b]: c\n", Fallback),
        ("{a: 1}: c\n", Fallback),
        ("a: @x\n", Fallback),
        ("a: `x\n", Fallback),
        ("a: %x\n", Fallback),
        ("a: [a: b]\n", Fallback),
        ("a: {b, c}\n", Fallback),
        ("a: {b: 1,,}\n", Fallback),
        ("a: [,]\n", Fallback),
        ("a: [x y]\n", Fallback),
        ("a: {x: y z}\n", Fallback),
    ]);
}

#[test]
fn malformed_text_falls_back() {
    // serde_yaml rejects all of these; the fast path must not answer.
    let cases = [
        "a: b: c\n",
        "a: 1\n b: 2\n",
        "a:\n  b: 1\n c: 2\n",
        "a: 1\n- b\n",
        "- a\nb: 1\n",
        "a: - b\n",
        "a: 1\nfoo\n",
        "key: \"a\" \"b\"\n",
        "a: [1, 2\n",
        "a: {b: 1\n",
        "a: [1, 2]]\n",
        "a: {b: 1} x\n",
        "a: ]\n",
        "a: }\n",
        "a: , b\n",
        "a: |\n    x\n  y: 1\n",
        "\"a\nb\": 1\n",
        "a: {b: 1 #}\n",
        "a: [1, # c",
    ];
    for text in cases {
        assert!(
            serde_yaml::from_str::<Value>(text).is_err(),
            "{text:?} parses"
        );
        assert_eq!(parse(text), None, "{text:?}");
    }
}

#[test]
fn literal_block_scalars() {
    let cases = [
        ("a: |\n  x\n", json!({"a": "x\n"})),
        ("a: |-\n  x\n", json!({"a": "x"})),
        ("a: |\n  x", json!({"a": "x"})),
        ("a: |\n  x\n  y\n", json!({"a": "x\ny\n"})),
        (
            "a: |-\n  x\n\n  y\n\n\nb: 1\n",
            json!({"a": "x\n\ny", "b": 1}),
        ),
        (
            "a: |\n  x\n\n  y\n\n\nb: 1\n",
            json!({"a": "x\n\ny\n", "b": 1}),
        ),
        (
            "a: |\n  x\n    deeper\n  back\n",
            json!({"a": "x\n  deeper\nback\n"}),
        ),
        (
            "a: |\n    deep first\n    y\n",
            json!({"a": "deep first\ny\n"}),
        ),
        ("a: |\n\n  after blank\n", json!({"a": "\nafter blank\n"})),
        (
            "a: |\n  # not a comment\n  x\n",
            json!({"a": "# not a comment\nx\n"}),
        ),
        (
            "a: |\n  x\n# a comment\nb: 1\n",
            json!({"a": "x\n", "b": 1}),
        ),
        ("a: |\n  x\n   \n  y\n", json!({"a": "x\n \ny\n"})),
        ("a: |\n  x\n \n  y\n", json!({"a": "x\n\ny\n"})),
        (
            "a: |\n  trailing spaces  \n",
            json!({"a": "trailing spaces  \n"}),
        ),
        ("a: |\nb: 1\n", json!({"a": "", "b": 1})),
        ("a: |-\n", json!({"a": ""})),
        ("a: |", json!({"a": ""})),
        ("a: | # comment\n  x\n", json!({"a": "x\n"})),
        ("a: |2\n    x\n", json!({"a": "  x\n"})),
        ("a: |2-\n    x\n  y\n", json!({"a": "  x\ny"})),
        ("a: |-2\n    x\n", json!({"a": "  x"})),
        ("- |\n  x\n- |-\n   y\n", json!(["x\n", "y"])),
        ("- a: |\n    x\n  b: 1\n", json!([{"a": "x\n", "b": 1}])),
        ("k:\n- |\n  x\n", json!({"k": ["x\n"]})),
        ("|\n x\n", json!("x\n")),
        ("|1\n  x\n", json!(" x\n")),
        (
            "value: |-\n  [\n      {\"name\":\"http\",\"containerPort\":80}\n  ]\n",
            json!({"value": "[\n    {\"name\":\"http\",\"containerPort\":80}\n]"}),
        ),
        ("v: |\n         {}\nw: 1\n", json!({"v": "{}\n", "w": 1})),
    ];
    for (text, want) in cases {
        assert_eq!(differential(text), Some(want), "{text:?}");
    }
    run(&[
        ("a: |0\n  x\n", Fallback),
        ("a: |+\n  x\n", Fallback),
        ("a: |#c\n  x\n", Fallback),
        ("a: |x\n  x\n", Fallback),
        ("a: |\n      \n  x\n", Fallback), // a wide blank line first
        ("a: |\n  x\n\tb\n", Fallback),
    ]);
}

#[test]
fn flow_collections_and_json() {
    let cases = [
        ("a: {}\n", json!({"a": {}})),
        ("a: []\n", json!({"a": []})),
        ("a: { }\n", json!({"a": {}})),
        ("a: [ ]\n", json!({"a": []})),
        (
            "a: [1, two, \"3\", '4', true, ~]\n",
            json!({"a": [1, "two", "3", "4", true, null]}),
        ),
        (
            "a: [[1, []], {b: {}}]\n",
            json!({"a": [[1, []], {"b": {}}]}),
        ),
        ("a: {b: 1, c: [x]}\n", json!({"a": {"b": 1, "c": ["x"]}})),
        ("a: {b: 1,}\n", json!({"a": {"b": 1}})),
        ("a: [1,]\n", json!({"a": [1]})),
        (
            r#"a: {"b":1,"c":[true,null,-1.5e3],"d":{"e":"f\"g\u003ch"}}"#,
            json!({"a": {"b": 1, "c": [true, null, -1500.0], "d": {"e": "f\"g<h"}}}),
        ),
        (r#"a: {"b" : 1}"#, json!({"a": {"b": 1}})),
        (
            r#"- {"name":"http","containerPort":80}"#,
            json!([{"name": "http", "containerPort": 80}]),
        ),
        (r#"[1, 2]"#, json!([1, 2])),
        (r#"{"a": 1}"#, json!({"a": 1})),
        ("a: {b: 1, b: 2}\n", json!({"a": {"b": 2}})),
        ("a: [1, 2] # comment\n", json!({"a": [1, 2]})),
        (
            "  annotations: {\n    istio.io/rev: \"default\",\n    kubectl.kubernetes.io/default-container: \"app\",\n  }\n  x: 1\n",
            json!({"annotations": {"istio.io/rev": "default", "kubectl.kubernetes.io/default-container": "app"}, "x": 1}),
        ),
        (
            "a: {\n  # comment\n  b: 'c',\n\n  d: [\n    1,\n    2\n  ]\n}\n",
            json!({"a": {"b": "c", "d": [1, 2]}}),
        ),
        (
            "a: {\n  k8s.v1.cni.cncf.io/networks: '[{\"name\": \"x\"}]',\n}\n",
            json!({"a": {"k8s.v1.cni.cncf.io/networks": "[{\"name\": \"x\"}]"}}),
        ),
        (
            "a: [-1, +2, .5, -x, 0o17]\n",
            json!({"a": [-1, 2, 0.5, "-x", 15]}),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(differential(text), Some(want), "{text:?}");
    }
    run(&[
        ("a: {b:1}\n", Fallback),
        ("a: {b: }\n", Fallback),
        ("a: [a b]\n", Fallback),
        ("a: [\"x\": 1]\n", Fallback),
        ("a: [http://x]\n", Fallback),
        ("a: {\n---\n}\n", Fallback),
    ]);
}

#[test]
fn no_panic_and_no_wrong_answer_on_mutations() {
    // Every one-byte deletion, and a few insertions, of realistic and tricky texts: the fast
    // path must never panic, and must agree with serde_yaml whenever it answers.
    let inserts = [
        " ", "\n", ":", "-", "#", "'", "\"", "{", "}", "[", "]", ",", "|", "\\", "2",
    ];
    // (text, the share of edits it must still read: the sweep is not vacuous)
    for (base, share) in [(STOCK_LIKE, 0.5), (TRICKY, 0.3)] {
        assert!(differential(base).is_some());
        let mut answered = 0;
        let mut total = 0;
        for i in 0..=base.len() {
            if !base.is_char_boundary(i) {
                continue;
            }
            let mut variants = Vec::new();
            if let Some(c) = base[i..].chars().next() {
                variants.push(format!("{}{}", &base[..i], &base[i + c.len_utf8()..]));
            }
            if base == TRICKY || i % 7 == 0 {
                for ins in inserts {
                    variants.push(format!("{}{ins}{}", &base[..i], &base[i..]));
                }
            }
            for v in variants {
                total += 1;
                answered += usize::from(differential(&v).is_some());
            }
        }
        assert!(
            answered as f64 > share * total as f64,
            "{answered} of {total}"
        );
    }
}

/// Dense with the constructs where a reader can go subtly wrong.
const TRICKY: &str = "a: |2-\n    x\n\n   y\n  z\nb:\n- - 0x1F\n  - -007\n- k: 'it''s'\n  l: \"\\u00e9\\x41\\t\"\n  m: {n: [1, .5, ~], \"o\":true,}\nc: |\n  # c\n\n    d\ne: f:g #h\n";

#[test]
fn stock_template_shaped_output_takes_the_fast_path() {
    let v = differential(STOCK_LIKE).expect("the fast path reads it");
    assert_eq!(v["metadata"]["annotations"]["istio.io/rev"], "default");
    assert_eq!(v["spec"]["initContainers"][0]["args"][7], "1337");
    assert_eq!(v["spec"]["containers"][0]["env"][2]["value"], "{}\n");
    assert_eq!(
        v["spec"]["containers"][0]["env"][3]["value"],
        "[\n    {\"name\":\"http\",\"containerPort\":80}\n]"
    );
    assert_eq!(
        v["spec"]["volumes"][0],
        json!({"emptyDir": null, "name": "workload-socket"})
    );
}

/// Shaped like the stock sidecar template's output (blank lines holding spaces, a multi-line
/// flow mapping with a trailing comma, comments at odd indents, literal blocks, sequences at
/// their key's indent).
const STOCK_LIKE: &str = r#"


metadata:
  labels:
    security.istio.io/tlsMode: "istio"
    service.istio.io/canonical-name: "app"
  annotations: {
    istio.io/rev: "default",
    kubectl.kubernetes.io/default-container: "app",
    k8s.v1.cni.cncf.io/networks: 'default/istio-cni',
  }
spec:
  initContainers:
  
  - name: istio-init
  
    image: "registry.istio.io/testing/proxyv2:latest"
    args:
    - istio-iptables
    - "-p"
    - "15001"
    - "-z"
    - "15006"
    - "-u"
    - --domain
    -  "1337" 
    - "--log_output_level=default:info"
    
    resources:
  
      limits:
        cpu: 2000m
        memory: 1024Mi
      
    securityContext:
      allowPrivilegeEscalation: false
      runAsUser: 0
  containers:
  - name: istio-proxy
    ports:
    - containerPort: 15090
      protocol: TCP
    env:
    - name: PILOT_CERT_PROVIDER
      value: istiod
    - name: POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: PROXY_CONFIG
      value: |
             {}
    - name: ISTIO_META_POD_PORTS
      value: |-
        [
            {"name":"http","containerPort":80}
        ]
    
    # SDS channel between istioagent and Envoy
    - name: ISTIO_META_MESH_ID
      value: "cluster.local"
    readinessProbe:
      httpGet:
        path: /healthz/ready
        port: 15021
      initialDelaySeconds: 0
  volumes:
  - emptyDir:
    name: workload-socket
  # SDS channel between istioagent and Envoy
  - emptyDir:
      medium: Memory
    name: istio-envoy
  - name: istio-data
    emptyDir: {}
  - name: istio-podinfo
    downwardAPI:
      items:
        - path: "labels"
          fieldRef:
            fieldPath: metadata.labels
    
    
"#;

#[test]
fn block_scalar_whose_last_line_is_only_indentation() {
    // The issue's case and its neighbours: a last line of spaces alone, with or without a
    // line end, more or fewer spaces than the block's indentation, each chomping.
    for text in [
        "a: |-\n  x\n  ",
        "a: |-\n  x\n   ",
        "a: |-\n  x\n ",
        "a: |\n  x\n  ",
        "a: |\n  x\n    ",
        "a: |-\n  x\n  \n",
        "a: |\n  x\n\n  ",
        "a: |2-\n   x\n   ",
        "- |-\n  x\n  ",
        "a:\n  b: |-\n    x\n    ",
    ] {
        differential(text);
    }
}
