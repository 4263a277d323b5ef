//! JUnit XML, the report CI servers read (Jenkins, GitLab, GitHub Actions' test reporters):
//! `<testsuites>` with one `<testsuite>` per suite file and one `<testcase>` per test, a
//! failing one holding a `<failure>` whose text is the whole explanation (a golden file's
//! unified diff included). Follows the Jenkins/Surefire schema (`junit-10.xsd`, which the test
//! suite validates the output against).

/// One test case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub name: String,
    pub classname: String,
    /// `Some((message, text))` when it failed.
    pub failure: Option<(String, String)>,
    /// Seconds.
    pub time: f64,
}

/// One suite.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    pub name: String,
    /// The suite file.
    pub file: String,
    pub cases: Vec<Case>,
    pub time: f64,
}

/// Escapes text for an XML attribute or element, and drops the characters XML 1.0 cannot
/// hold at all (control characters other than tab, newline and carriage return).
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            // In attributes, line ends would be normalised to spaces by readers.
            '\n' => s.push_str("&#10;"),
            '\r' => s.push_str("&#13;"),
            '\t' => s.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => s.push(c),
        }
    }
    s
}

/// Surefire's time format: seconds with three decimals.
fn time(secs: f64) -> String {
    format!("{:.3}", secs.max(0.0))
}

/// The XML document.
pub fn render(suites: &[Suite]) -> String {
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites
        .iter()
        .flat_map(|s| &s.cases)
        .filter(|c| c.failure.is_some())
        .count();
    let total: f64 = suites.iter().map(|s| s.time).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"kubectl-inject test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{}\">\n",
        time(total)
    ));
    for s in suites {
        let failed = s.cases.iter().filter(|c| c.failure.is_some()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\" time=\"{}\" file=\"{}\">\n",
            escape(&s.name),
            s.cases.len(),
            time(s.time),
            escape(&s.file),
        ));
        for c in &s.cases {
            let head = format!(
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
                escape(&c.name),
                escape(&c.classname),
                time(c.time)
            );
            match &c.failure {
                None => out.push_str(&format!("{head}/>\n")),
                Some((message, text)) => {
                    out.push_str(&format!(
                        "{head}>\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                        escape(message),
                        "kubectl-inject.mismatch",
                        escape(text),
                    ));
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\n\u{1}e"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;&#10;e"
        );
    }

    #[test]
    fn counts_tests_and_failures() {
        let xml = render(&[Suite {
            name: "shop".into(),
            file: "examples/shop/kubectl-inject-test.yaml".into(),
            cases: vec![
                Case {
                    name: "Deployment shop/web".into(),
                    classname: "shop".into(),
                    failure: None,
                    time: 0.0,
                },
                Case {
                    name: "CronJob shop/report".into(),
                    classname: "shop".into(),
                    failure: Some(("inject: expected true, got false".into(), "-a\n+b".into())),
                    time: 0.0012,
                },
            ],
            time: 0.5,
        }]);
        assert!(xml.contains("<testsuites name=\"kubectl-inject test\" tests=\"2\" failures=\"1\" errors=\"0\" time=\"0.500\">"));
        assert!(xml.contains(
            "<failure message=\"inject: expected true, got false\" type=\"kubectl-inject.mismatch\">-a&#10;+b</failure>"
        ));
        assert!(xml.contains(
            "<testcase name=\"Deployment shop/web\" classname=\"shop\" time=\"0.000\"/>"
        ));
    }
}
