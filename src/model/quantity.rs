//! Kubernetes `resource.Quantity` (k8s.io/apimachinery/pkg/api/resource): parsing and the
//! string Go's `MarshalJSON` writes, so that `2000m` comes out as `2`, `1024Mi` as `1Gi`
//! and `0.5` as `500m`, as they do in Istio's goldens.
//!
//! The port follows `ParseQuantity`: its int64 fast path (which keeps the input text when
//! it is already canonical — so `100Mi` and even `+1` are kept as written — and neither
//! rounds nor caps), its exact slow path (round up to a nano, cap at 2^63-1), and
//! `CanonicalizeBytes` (decimal SI suffixes, `Ki`…`Ei` when exact and ≥ 1024, `eN` for
//! the exponent format).
//!
//! Pure: no I/O.

use std::fmt;

use serde_json::Value;

/// How a quantity prints, from the suffix it was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `1e3`, `5E-2`.
    DecimalExponent,
    /// `Ki`, `Mi`, … `Ei`.
    BinarySi,
    /// `n`, `u`, `m`, ``, `k`, `M`, … `E`.
    DecimalSi,
}

/// A parsed quantity: `sign × mantissa × 10^exponent`, in its format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantity {
    negative: bool,
    mantissa: u128,
    exponent: i32,
    format: Format,
    /// The input, when Go keeps it as the string form (already canonical).
    kept: Option<String>,
}

/// Why a quantity does not parse, in apimachinery's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error(
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
    )]
    Format,
    #[error("unable to parse quantity's suffix")]
    Suffix,
}

/// A quantity that failed to parse inside a Pod, with where it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: quantity {value:?}: {source}")]
pub struct PodQuantityError {
    pub path: String,
    pub value: String,
    #[source]
    pub source: QuantityError,
}

/// Go's `maxInt64Factors`: decimal digits an int64 always holds.
const MAX_INT64_FACTORS: i64 = 18;
/// `maxAllowed`: 2^63-1, the cap of the slow path.
const MAX_ALLOWED: u128 = i64::MAX as u128;

impl Quantity {
    /// `resource.ParseQuantity` (after the `strings.TrimSpace` of `UnmarshalJSON`).
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        let str = input.trim();
        if str.is_empty() {
            return Err(QuantityError::Format);
        }
        if str == "0" {
            return Ok(Quantity::zero(Format::DecimalSi, Some(str)));
        }
        let parts = split(str)?;
        let (base, exponent, format) =
            interpret_suffix(parts.suffix).ok_or(QuantityError::Suffix)?;

        // The int64 fast path.
        let digits = parts.num.len() + parts.denom.len();
        let denom_len = i64::try_from(parts.denom.len()).unwrap_or(i64::MAX);
        let (mut scale, precision, multiplier): (i64, i64, u64) = match format {
            Format::DecimalExponent | Format::DecimalSi => (
                i64::from(exponent),
                MAX_INT64_FACTORS - i64::try_from(digits).unwrap_or(i64::MAX),
                1,
            ),
            Format::BinarySi if exponent >= 0 && parts.denom.is_empty() => {
                // Go: 15 - len(num) - int32(float32(exponent)*3/10) - 1
                let bits = i64::from(exponent) * 3 / 10;
                let n = i64::try_from(parts.num.len()).unwrap_or(i64::MAX);
                (0, 15 - n - bits - 1, 1u64 << exponent.clamp(0, 63))
            }
            Format::BinarySi => (0, -1, 1),
        };
        if precision >= 0 {
            scale -= denom_len;
            if scale >= -9 {
                let shifted = format!("{}{}", parts.num, parts.denom);
                let value: u64 = shifted.parse().map_err(|_| QuantityError::Format)?;
                if let Some(result) = value
                    .checked_mul(multiplier)
                    .filter(|r| *r <= i64::MAX as u64)
                {
                    let keep = match format {
                        Format::BinarySi => exponent % 10 == 0 && value & 0x07 != 0,
                        _ => {
                            scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0')
                        }
                    };
                    return Ok(Quantity {
                        negative: !parts.positive && result != 0,
                        mantissa: u128::from(result),
                        exponent: i32::try_from(scale).unwrap_or(i32::MAX),
                        format,
                        kept: keep.then(|| str.to_string()),
                    });
                }
            }
        }

        // The exact slow path: value = digits × 10^-len(denom) × base^exponent.
        let mut magnitude: Vec<u8> = format!("{}{}", parts.num, parts.denom).into_bytes();
        let mut scale10 = -denom_len;
        if base == 10 {
            scale10 += i64::from(exponent);
        } else {
            for _ in 0..exponent {
                double(&mut magnitude);
            }
        }
        let nanos = ceil_nanos(&magnitude, scale10);
        let mut format = format;
        if format == Format::BinarySi && nanos > 0 && nanos < 1_000_000_000 {
            format = Format::DecimalSi;
        }
        if nanos == 0 {
            return Ok(Quantity::zero(format, None));
        }
        Ok(Quantity {
            negative: !parts.positive,
            mantissa: nanos,
            exponent: -9,
            format,
            kept: None,
        })
    }

    fn zero(format: Format, kept: Option<&str>) -> Quantity {
        Quantity {
            negative: false,
            mantissa: 0,
            exponent: 0,
            format,
            kept: kept.map(str::to_string),
        }
    }

    /// Go's `MilliValue`: the value in thousandths, rounded up, saturating at the i64 range.
    pub fn milli_value(&self) -> i64 {
        let exp = i64::from(self.exponent) + 3;
        let magnitude: u128 = if exp >= 0 {
            u32::try_from(exp)
                .ok()
                .and_then(|e| 10u128.checked_pow(e))
                .and_then(|f| self.mantissa.checked_mul(f))
                .unwrap_or(u128::MAX)
        } else {
            match u32::try_from(-exp).ok().and_then(|e| 10u128.checked_pow(e)) {
                Some(f) => self.mantissa.div_ceil(f),
                None => u128::from(self.mantissa != 0),
            }
        };
        let m = i64::try_from(magnitude).unwrap_or(i64::MAX);
        if self.negative { -m } else { m }
    }

    /// The format the quantity was written in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Go's `CanonicalizeBytes`, ignoring any kept input text.
    pub fn canonical(&self) -> String {
        if self.mantissa == 0 {
            return "0".to_string();
        }
        let sign = if self.negative { "-" } else { "" };
        if self.format == Format::BinarySi
            && let Some(units) = self.integer_value().filter(|u| *u >= 1024)
        {
            let (mut amount, mut power) = (units, 0usize);
            while amount % 1024 == 0 && power < 6 {
                amount /= 1024;
                power += 1;
            }
            let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                .get(power)
                .copied()
                .unwrap_or("");
            return format!("{sign}{amount}{suffix}");
        }
        let (mut amount, mut exponent) = (self.mantissa, i64::from(self.exponent));
        while amount % 10 == 0 {
            amount /= 10;
            exponent += 1;
        }
        // Go's truncated `%`: move the exponent down to a multiple of 3.
        match exponent % 3 {
            1 | -2 => {
                amount *= 10;
                exponent -= 1;
            }
            2 | -1 => {
                amount *= 100;
                exponent -= 2;
            }
            _ => {}
        }
        let suffix = match self.format {
            Format::DecimalExponent if exponent == 0 => String::new(),
            Format::DecimalExponent => format!("e{exponent}"),
            _ => match exponent {
                -9 => "n".to_string(),
                -6 => "u".to_string(),
                -3 => "m".to_string(),
                0 => String::new(),
                3 => "k".to_string(),
                6 => "M".to_string(),
                9 => "G".to_string(),
                12 => "T".to_string(),
                15 => "P".to_string(),
                18 => "E".to_string(),
                // Beyond `E` (only the uncapped fast path gets here): keep `E` and put the
                // rest of the exponent in the number.
                e => {
                    let zeros = usize::try_from(e - 18).unwrap_or(0);
                    return format!("{sign}{amount}{}E", "0".repeat(zeros));
                }
            },
        };
        format!("{sign}{amount}{suffix}")
    }

    /// The exact integer value, when there is one.
    fn integer_value(&self) -> Option<u128> {
        if self.exponent >= 0 {
            let factor = 10u128.checked_pow(self.exponent.unsigned_abs())?;
            return self.mantissa.checked_mul(factor);
        }
        let factor = 10u128.checked_pow(self.exponent.unsigned_abs())?;
        self.mantissa
            .is_multiple_of(factor)
            .then(|| self.mantissa / factor)
    }
}

/// What Go's `Quantity.String()` / `MarshalJSON` writes: the input when it was kept,
/// else the canonical form.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kept {
            Some(kept) => f.write_str(kept),
            None => f.write_str(&self.canonical()),
        }
    }
}

struct Parts<'a> {
    positive: bool,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
}

/// Go's `parseQuantityString`.
fn split(str: &str) -> Result<Parts<'_>, QuantityError> {
    let b = str.as_bytes();
    let end = b.len();
    let mut pos = 0;
    let mut positive = true;
    match b.first() {
        Some(b'-') => {
            positive = false;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    while b.get(pos) == Some(&b'0') {
        pos += 1;
    }
    if pos >= end {
        return Ok(Parts {
            positive,
            num: "0",
            denom: "",
            suffix: "",
        });
    }
    let num_start = pos;
    while b.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    let mut num = str.get(num_start..pos).unwrap_or("");
    if num.is_empty() {
        num = "0";
    }
    let mut denom = "";
    if b.get(pos) == Some(&b'.') {
        pos += 1;
        let start = pos;
        while b.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        denom = str.get(start..pos).unwrap_or("");
    }
    let suffix_start = pos;
    while b.get(pos).is_some_and(|c| b"eEinumkKMGTP".contains(c)) {
        pos += 1;
    }
    if matches!(b.get(pos), Some(b'-' | b'+')) {
        pos += 1;
    }
    while b.get(pos).is_some_and(u8::is_ascii_digit) {
        pos += 1;
    }
    if pos < end {
        return Err(QuantityError::Format);
    }
    Ok(Parts {
        positive,
        num,
        denom,
        suffix: str.get(suffix_start..).unwrap_or(""),
    })
}

/// `quantitySuffixer.interpret`: (base, exponent, format).
fn interpret_suffix(suffix: &str) -> Option<(u32, i32, Format)> {
    let decimal = |e| Some((10, e, Format::DecimalSi));
    let binary = |e| Some((2, e, Format::BinarySi));
    match suffix {
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "" => decimal(0),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ => {
            let rest = suffix.strip_prefix(['e', 'E']).filter(|r| !r.is_empty())?;
            let parsed: i64 = rest.parse().ok()?;
            // Go: int32(parsed), wrapping.
            #[allow(clippy::cast_possible_truncation)]
            Some((10, parsed as i32, Format::DecimalExponent))
        }
    }
}

/// Doubles a big decimal number held as ASCII digits.
fn double(digits: &mut Vec<u8>) {
    let mut carry = 0;
    for d in digits.iter_mut().rev() {
        let v = (*d - b'0') * 2 + carry;
        *d = b'0' + v % 10;
        carry = v / 10;
    }
    if carry > 0 {
        digits.insert(0, b'0' + carry);
    }
}

/// `digits × 10^scale10` in nanos, rounded up (away from zero) and capped at 2^63-1 units.
fn ceil_nanos(digits: &[u8], scale10: i64) -> u128 {
    let cap = MAX_ALLOWED * 1_000_000_000;
    let first = digits
        .iter()
        .position(|&d| d != b'0')
        .unwrap_or(digits.len());
    let digits = digits.get(first..).unwrap_or(&[]);
    if digits.is_empty() {
        return 0;
    }
    let shift = scale10.saturating_add(9);
    let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let (kept, round_up): (&[u8], bool) = if shift >= 0 {
        if len.saturating_add(shift) > 39 {
            return cap;
        }
        (digits, false)
    } else {
        let drop = usize::try_from(shift.unsigned_abs()).unwrap_or(usize::MAX);
        let keep = digits.len().saturating_sub(drop);
        let (kept, dropped) = digits.split_at(keep);
        (kept, dropped.iter().any(|&d| d != b'0'))
    };
    if kept.len() > 39 {
        return cap;
    }
    let mut value: u128 = 0;
    for &d in kept {
        value = match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u128::from(d - b'0')))
        {
            Some(v) => v,
            None => return cap,
        };
    }
    if shift > 0 {
        let factor = 10u128.checked_pow(u32::try_from(shift).unwrap_or(u32::MAX));
        value = match factor.and_then(|f| value.checked_mul(f)) {
            Some(v) => v,
            None => return cap,
        };
    }
    value = value.saturating_add(u128::from(round_up));
    value.min(cap)
}

/// The text Go's `Quantity.UnmarshalJSON` sees for a JSON value: a string as it is, a
/// number as `encoding/json` wrote it (`1e3` read from YAML is the float 1000, so `1000`).
fn json_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            // A JSON number is finite, which Go's json always writes.
            (_, _, Some(f)) => crate::go::json::float(f).unwrap_or_else(|_| n.to_string()),
            _ => n.to_string(),
        }),
        _ => None,
    }
}

/// Canonicalises one JSON value holding a quantity in place; `null` stays.
pub fn canonicalize_value(value: &mut Value, path: &str) -> Result<(), PodQuantityError> {
    canonicalize_at(value, &|| path.to_string())
}

/// A field path, built only when an error needs it: the walk below visits every env var
/// and volume of every pod, and formatting each path up front dominated its cost.
type At<'a> = &'a dyn Fn() -> String;

fn canonicalize_at(value: &mut Value, at: At<'_>) -> Result<(), PodQuantityError> {
    let Some(text) = json_text(value) else {
        return Ok(());
    };
    match Quantity::parse(&text) {
        // Already canonical (the common case): leave the string as it is.
        Ok(q) => {
            let canonical = q.to_string();
            if value.as_str() != Some(canonical.as_str()) {
                *value = Value::String(canonical);
            }
            Ok(())
        }
        Err(source) => Err(PodQuantityError {
            path: at(),
            value: text,
            source,
        }),
    }
}

/// Canonicalises every field of a Pod (or pod template: anything with `spec`) whose Go
/// type is `resource.Quantity`, as a round trip through `corev1.Pod` does: container,
/// init and ephemeral container `resources` and `resourceFieldRef.divisor`, pod
/// `resources` and `overhead`, `emptyDir.sizeLimit`, downward-API (also projected)
/// `divisor`s, and generic ephemeral volumes' claim `resources`.
pub fn canonicalize_pod(pod: &mut Value) -> Result<(), PodQuantityError> {
    let Some(spec) = pod.get_mut("spec") else {
        return Ok(());
    };
    let root: At<'_> = &|| "spec".to_string();
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for_each_item(spec, list, root, &mut |container, at| {
            resources(container.get_mut("resources"), &|| {
                format!("{}.resources", at())
            })?;
            for_each_item(container, "env", at, &mut |env, at| {
                let divisor = path_mut(env, &["valueFrom", "resourceFieldRef", "divisor"]);
                divisor.map_or(Ok(()), |d| {
                    canonicalize_at(d, &|| {
                        format!("{}.valueFrom.resourceFieldRef.divisor", at())
                    })
                })
            })
        })?;
    }
    resources(spec.get_mut("resources"), &|| "spec.resources".to_string())?;
    map_of_quantities(spec.get_mut("overhead"), &|| "spec.overhead".to_string())?;
    for_each_item(spec, "volumes", root, &mut |volume, at| {
        if let Some(limit) = path_mut(volume, &["emptyDir", "sizeLimit"]) {
            canonicalize_at(limit, &|| format!("{}.emptyDir.sizeLimit", at()))?;
        }
        if let Some(downward) = volume.get_mut("downwardAPI") {
            divisors(downward, &|| format!("{}.downwardAPI", at()))?;
        }
        if let Some(projected) = volume.get_mut("projected") {
            let projected_at = || format!("{}.projected", at());
            for_each_item(projected, "sources", &projected_at, &mut |source, at| {
                source
                    .get_mut("downwardAPI")
                    .map_or(Ok(()), |d| divisors(d, &|| format!("{}.downwardAPI", at())))
            })?;
        }
        let claim = path_mut(
            volume,
            &["ephemeral", "volumeClaimTemplate", "spec", "resources"],
        );
        resources(claim, &|| {
            format!("{}.ephemeral.volumeClaimTemplate.spec.resources", at())
        })
    })
}

/// `value.pointer_mut` without parsing a pointer: serde_json allocates for every token,
/// and this runs for every env var of every container of every pod.
fn path_mut<'v>(value: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |v, key| v.get_mut(*key))
}

type ItemFn<'f> = dyn FnMut(&mut Value, At<'_>) -> Result<(), PodQuantityError> + 'f;

fn for_each_item(
    parent: &mut Value,
    key: &str,
    at: At<'_>,
    f: &mut ItemFn<'_>,
) -> Result<(), PodQuantityError> {
    if let Some(Value::Array(items)) = parent.get_mut(key) {
        for (i, item) in items.iter_mut().enumerate() {
            f(item, &|| format!("{}.{key}[{i}]", at()))?;
        }
    }
    Ok(())
}

fn divisors(downward: &mut Value, at: At<'_>) -> Result<(), PodQuantityError> {
    for_each_item(downward, "items", at, &mut |item, at| {
        path_mut(item, &["resourceFieldRef", "divisor"]).map_or(Ok(()), |d| {
            canonicalize_at(d, &|| format!("{}.resourceFieldRef.divisor", at()))
        })
    })
}

fn resources(resources: Option<&mut Value>, at: At<'_>) -> Result<(), PodQuantityError> {
    let Some(resources) = resources else {
        return Ok(());
    };
    for key in ["limits", "requests"] {
        map_of_quantities(resources.get_mut(key), &|| format!("{}.{key}", at()))?;
    }
    Ok(())
}

fn map_of_quantities(map: Option<&mut Value>, at: At<'_>) -> Result<(), PodQuantityError> {
    if let Some(Value::Object(map)) = map {
        for (name, value) in map.iter_mut() {
            canonicalize_at(value, &|| format!("{}.{name}", at()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Input → what Go's `Quantity.String()` / `MarshalJSON` writes, from apimachinery's
    /// rules (fast path keeps canonical input, else `CanonicalizeBytes`), and the goldens.
    #[test]
    fn milli_value_rounds_up_like_go() {
        for (q, want) in [
            ("4", 4000),
            ("4000m", 4000),
            ("1500m", 1500),
            ("0.5", 500),
            ("1n", 1),
            ("1.0001m", 2),
            ("2k", 2_000_000),
            ("1Ki", 1_024_000),
            ("0", 0),
        ] {
            assert_eq!(Quantity::parse(q).unwrap().milli_value(), want, "{q}");
        }
    }

    #[test]
    fn quantities_print_like_apimachinery() {
        let cases: &[(&str, &str)] = &[
            // From Istio's goldens.
            ("2000m", "2"),
            ("1024Mi", "1Gi"),
            ("128Mi", "128Mi"),
            ("100m", "100m"),
            ("0", "0"),
            // Decimal SI.
            ("1", "1"),
            ("0.5", "500m"),
            (".5", "500m"),
            ("1.5", "1500m"),
            ("0.1", "100m"),
            ("0.0001", "100u"),
            ("1000", "1k"),
            ("1000m", "1"),
            ("1024", "1024"),
            ("5000M", "5G"),
            ("10G", "10G"),
            ("1P", "1P"),
            ("1E", "1E"),
            // Kept as written: Go's canonical-input check looks only at the digits.
            ("5.", "5."),
            ("-0.5", "-500m"),
            ("-1", "-1"),
            ("-0", "0"),
            ("000", "0"),
            ("+1", "+1"),
            (" 100m ", "100m"),
            ("1n", "1n"),
            // Below a nano: rounded up (away from zero), never to zero.
            ("0.1n", "1n"),
            ("-0.1n", "-1n"),
            ("1.0000000001", "1000000001n"),
            // Decimal exponent keeps its notation.
            ("1e3", "1e3"),
            ("1E3", "1E3"),
            ("12e6", "12e6"),
            ("12000e3", "12e6"),
            ("1e1", "10"),
            ("1.5e3", "1500"),
            ("1e-3", "1e-3"),
            ("100e-3", "100e-3"),
            ("1000e-3", "1"),
            // Binary SI: exact and at least 1024, else decimal.
            ("1Ki", "1Ki"),
            ("8Ki", "8Ki"),
            ("1024Ki", "1Mi"),
            ("1000Ki", "1000Ki"),
            ("1536Mi", "1536Mi"),
            ("1.5Gi", "1536Mi"),
            ("0.5Gi", "512Mi"),
            ("0.1Ki", "102400m"),
            ("0.5Ki", "512"),
            ("1Ei", "1Ei"),
            ("1024Ei", "9223372036854775807"),
            // Beyond int64 the slow path caps at 2^63-1.
            ("9223372036854775807", "9223372036854775807"),
            ("9223372036854775808", "9223372036854775807"),
            ("123456789012345678901234567890", "9223372036854775807"),
        ];
        for &(input, want) in cases {
            let q = Quantity::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!(q.to_string(), want, "{input:?}");
        }
    }

    #[test]
    fn invalid_quantities_are_errors() {
        let cases: &[(&str, QuantityError)] = &[
            ("", QuantityError::Format),
            ("  ", QuantityError::Format),
            ("abc", QuantityError::Format),
            ("1x", QuantityError::Format),
            ("1.2.3", QuantityError::Format),
            ("1 Gi", QuantityError::Format),
            ("1Zi", QuantityError::Format),
            ("1mm", QuantityError::Suffix),
            ("1e", QuantityError::Suffix),
            ("1i", QuantityError::Suffix),
            ("1Kib", QuantityError::Format),
            ("1GB", QuantityError::Format),
            ("1Gm", QuantityError::Suffix),
            ("1e+", QuantityError::Suffix),
        ];
        for (input, want) in cases {
            assert_eq!(
                Quantity::parse(input).as_ref().err(),
                Some(want),
                "{input:?}"
            );
        }
    }

    #[test]
    fn pod_quantities_are_canonicalised_where_go_has_quantity_fields() {
        let mut pod = json!({
            "metadata": {"annotations": {"note": "2000m"}},
            "spec": {
                "containers": [{
                    "name": "app",
                    "resources": {"limits": {"cpu": "2000m", "memory": "1024Mi"}, "requests": {"cpu": 0.1, "memory": 1e3}},
                    "env": [
                        {"name": "A", "value": "2000m"},
                        {"name": "B", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": 1}}}
                    ]
                }],
                "initContainers": [{"name": "init", "resources": {"requests": {"ephemeral-storage": "1.5Gi"}}}],
                "ephemeralContainers": [{"name": "debug", "resources": {"limits": {"cpu": "1000m"}}}],
                "overhead": {"cpu": "250m", "memory": "120000Ki"},
                "resources": {"limits": {"cpu": "4000m"}},
                "volumes": [
                    {"name": "a", "emptyDir": {"sizeLimit": "1024Mi"}},
                    {"name": "b", "downwardAPI": {"items": [{"path": "x", "resourceFieldRef": {"resource": "limits.memory", "divisor": "1024Ki"}}]}},
                    {"name": "c", "projected": {"sources": [{"downwardAPI": {"items": [{"path": "y", "resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}}]}}]}},
                    {"name": "d", "ephemeral": {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "2048Mi"}}}}}},
                    {"name": "e", "emptyDir": {}}
                ]
            }
        });
        canonicalize_pod(&mut pod).expect("valid quantities");
        let want = json!({
            "metadata": {"annotations": {"note": "2000m"}},
            "spec": {
                "containers": [{
                    "name": "app",
                    "resources": {"limits": {"cpu": "2", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "1k"}},
                    "env": [
                        {"name": "A", "value": "2000m"},
                        {"name": "B", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1"}}}
                    ]
                }],
                "initContainers": [{"name": "init", "resources": {"requests": {"ephemeral-storage": "1536Mi"}}}],
                "ephemeralContainers": [{"name": "debug", "resources": {"limits": {"cpu": "1"}}}],
                "overhead": {"cpu": "250m", "memory": "120000Ki"},
                "resources": {"limits": {"cpu": "4"}},
                "volumes": [
                    {"name": "a", "emptyDir": {"sizeLimit": "1Gi"}},
                    {"name": "b", "downwardAPI": {"items": [{"path": "x", "resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}]}},
                    {"name": "c", "projected": {"sources": [{"downwardAPI": {"items": [{"path": "y", "resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}}]}}]}},
                    {"name": "d", "ephemeral": {"volumeClaimTemplate": {"spec": {"resources": {"requests": {"storage": "2Gi"}}}}}},
                    {"name": "e", "emptyDir": {}}
                ]
            }
        });
        assert_eq!(pod, want);
    }

    #[test]
    fn bad_pod_quantity_names_the_field() {
        let mut pod = json!({"spec": {"containers": [{"name": "a"}, {"name": "b", "resources": {"limits": {"memory": "1Gb"}}}]}});
        let err = canonicalize_pod(&mut pod).expect_err("1Gb is not a quantity");
        assert_eq!(err.path, "spec.containers[1].resources.limits.memory");
        assert_eq!(
            err.to_string(),
            "spec.containers[1].resources.limits.memory: quantity \"1Gb\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
    }
}
