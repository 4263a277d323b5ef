//! Numbers as `sigs.k8s.io/yaml` prints them. Go's `encoding/json` writes a float64 in
//! plain decimal below 1e21 (`1000000`, `1.5`) and go-yaml then reads that text back as an
//! int when it has no fraction, else as a float64 that it prints with
//! `strconv.FormatFloat(f, 'g', -1, 64)` — so `1.5` stays, `1234567.5` becomes
//! `1.2345675e+06` and `0.00001` becomes `1e-05`.

use serde_json::Number;

use crate::go::strconv::{self, Bits};

/// The plain scalar for a JSON number.
pub(super) fn format(n: &Number) -> String {
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    format_f64(n.as_f64().unwrap_or(0.0))
}

/// 2^63 and 2^64 as f64: the bounds of what go-yaml reads back as int64 / uint64.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

pub(super) fn format_f64(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 {
        if (-TWO_POW_63..TWO_POW_63).contains(&f) {
            #[allow(clippy::cast_possible_truncation)]
            return (f as i64).to_string();
        }
        if (0.0..TWO_POW_64).contains(&f) {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            return (f as u64).to_string();
        }
    }
    go_yaml_float(f, Bits::B64)
}

/// go-yaml's float text: `strconv.FormatFloat(f, 'g', -1, bits)` with YAML's names for the
/// non-finite (`.inf`, `-.inf`, `.nan`).
pub(super) fn go_yaml_float(f: f64, bits: Bits) -> String {
    let s = strconv::format_float_g(f, bits);
    match s.as_str() {
        "+Inf" => ".inf".into(),
        "-Inf" => "-.inf".into(),
        "NaN" => ".nan".into(),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        // Expected values are Go's output (strconv / sigs.k8s.io/yaml).
        let cases: &[(f64, &str)] = &[
            (1.0, "1"),
            (-0.0, "0"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (1_000_000.0, "1000000"),
            (1_234_567.5, "1.2345675e+06"),
            (123_456.5, "123456.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e-7, "1e-07"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (1e20, "1e+20"),
            (9_223_372_036_854_775_808.0, "9223372036854775808"),
            (18_446_744_073_709_551_616.0, "1.8446744073709552e+19"),
            (0.1, "0.1"),
            (100.25, "100.25"),
            (5e-324, "5e-324"),
        ];
        for &(f, want) in cases {
            assert_eq!(format_f64(f), want, "{f:?}");
        }
    }

    #[test]
    fn integers_print_as_is() {
        let cases: &[(&str, &str)] = &[
            ("0", "0"),
            ("-5", "-5"),
            ("18446744073709551615", "18446744073709551615"),
            ("-9223372036854775808", "-9223372036854775808"),
        ];
        for &(json, want) in cases {
            let n: Number = serde_json::from_str(json).expect("number");
            assert_eq!(format(&n), want, "{json}");
        }
    }
}
