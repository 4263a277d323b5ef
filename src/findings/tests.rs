use std::collections::BTreeSet;

use super::*;

/// The kebab-case name JSON already carries for a coded thing.
fn json_name(c: Coded) -> String {
    match c {
        Coded::Finding(f) => serde_json::to_value(f)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string(),
        Coded::Drift(d) => serde_json::to_value(d)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string(),
        Coded::Check(c) => c.as_str().to_string(),
    }
}

#[test]
fn every_finding_drift_and_check_has_one_row_with_its_json_name() {
    let all = all();
    let mut seen = BTreeSet::new();
    for c in &all {
        let row = info(*c);
        assert_eq!(row.code, code(*c), "{c:?}: its code is in the table");
        assert_eq!(row.name, json_name(*c), "{c:?}: the table's name is JSON's");
        assert!(seen.insert(row.code), "{} is used twice", row.code);
    }
    assert_eq!(
        seen.len(),
        CODES.len(),
        "every row of the table belongs to a finding, drift or check"
    );
}

#[test]
fn codes_are_unique_ordered_and_grouped_by_hundreds() {
    let codes: Vec<&str> = CODES.iter().map(|c| c.code).collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(codes, sorted, "in order, no duplicate");
    let names: BTreeSet<&str> = CODES.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), CODES.len(), "names are unique");
    for c in all() {
        let hundred = match c {
            Coded::Finding(_) => "KI1",
            Coded::Drift(_) => "KI2",
            Coded::Check(_) => "KI3",
        };
        assert!(code(c).starts_with(hundred), "{c:?}");
    }
    for row in CODES {
        assert!(row.summary.ends_with('.'), "{}: a sentence", row.code);
        assert!(!row.remedy.is_empty(), "{}: a remedy", row.code);
    }
}

#[test]
fn lookup_takes_codes_in_any_case_and_names() {
    assert_eq!(lookup("KI110").map(|c| c.name), Some("run-to-completion"));
    assert_eq!(lookup("ki110").map(|c| c.name), Some("run-to-completion"));
    assert_eq!(lookup("stale-template").map(|c| c.code), Some("KI204"));
    assert_eq!(lookup("KI999"), None);
}

#[test]
fn the_markdown_table_has_a_row_and_an_anchor_per_code() {
    let t = markdown_table();
    assert_eq!(t.lines().count(), CODES.len() + 2);
    assert!(t.contains("| <a id=\"ki110\"></a>`KI110` | `run-to-completion` | warning |"));
    assert!(help_uri("KI110").ends_with("/blob/main/docs/findings.md#ki110"));
}
