//! Mapping key order: go-yaml v2's `keyList.Less` (`sorter.go`) for string keys. Runs of
//! digits compare as numbers (`a2` < `a10`), letters sort after other characters (`a_b` <
//! `ab`), and Go's `unicode.IsLetter`/`unicode.IsDigit` decide what a letter or digit is.

use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Sorts entries by key in go-yaml's order. A merge sort written out, because `less` is
/// go-yaml's and not guaranteed to be a total order on every input, which the standard
/// library's sorts may panic on.
pub(super) fn sort<V>(entries: &mut Vec<(&String, V)>) {
    // Almost every key is ASCII without digits; there `less` is a plain lexicographic
    // order (non-letters before letters, then by byte, a prefix first): a total order, so
    // the standard library's stable sort gives the same result without a Vec<char> per key.
    if entries.iter().all(|(k, _)| is_simple(k)) {
        entries.sort_by(|(a, _), (b, _)| simple_order(a, b));
        return;
    }
    let keyed: Vec<(Vec<char>, (&String, V))> = entries
        .drain(..)
        .map(|(k, v)| (k.chars().collect(), (k, v)))
        .collect();
    let sorted = merge_sort(keyed);
    entries.extend(sorted.into_iter().map(|(_, entry)| entry));
}

/// Whether keys in byte order (a map's own) are already in go-yaml's order, so that the
/// common case needs no copy and no sort: one pass over the bytes when no key has a byte
/// that orders differently, else every key [`is_simple`] and each pair ordered by
/// [`simple_order`].
pub(super) fn in_order<'a>(keys: impl Iterator<Item = &'a String> + Clone) -> bool {
    // Byte order is go-yaml's order for keys without digits, non-ASCII and the non-letters
    // that sort after a letter in bytes (0x5B-0x60 and 0x7B-0x7F): one pass, no comparisons.
    // Folded without branching per byte, which the compiler vectorises.
    let bytewise = |k: &String| {
        k.bytes().fold(true, |ok, b| {
            ok & (b < b'{') & !b.is_ascii_digit() & !(b'['..=b'`').contains(&b)
        })
    };
    if keys.clone().all(bytewise) {
        return true;
    }
    let mut keys = keys;
    let Some(mut prev) = keys.next() else {
        return true;
    };
    if !is_simple(prev) {
        return false;
    }
    for key in keys {
        if !is_simple(key) || simple_order(prev, key) == std::cmp::Ordering::Greater {
            return false;
        }
        prev = key;
    }
    true
}

/// ASCII without digits: no digit runs and no Unicode categories to consult.
fn is_simple(key: &str) -> bool {
    key.bytes().all(|b| b.is_ascii() && !b.is_ascii_digit())
}

/// `less` restricted to [`is_simple`] keys, as an `Ordering`: byte order, except that at
/// the first difference a letter ranks after a non-letter.
fn simple_order(a: &str, b: &str) -> std::cmp::Ordering {
    let rank = |b: u8| (b.is_ascii_alphabetic(), b);
    match a.bytes().zip(b.bytes()).find(|(x, y)| x != y) {
        Some((x, y)) => rank(x).cmp(&rank(y)),
        None => a.len().cmp(&b.len()),
    }
}

fn merge_sort<T>(mut items: Vec<(Vec<char>, T)>) -> Vec<(Vec<char>, T)> {
    if items.len() <= 1 {
        return items;
    }
    let right = items.split_off(items.len() / 2);
    let left = merge_sort(items);
    let right = merge_sort(right);
    let mut out = Vec::with_capacity(left.len() + right.len());
    let mut left = left.into_iter().peekable();
    let mut right = right.into_iter().peekable();
    loop {
        let take_right = match (left.peek(), right.peek()) {
            (Some(l), Some(r)) => less(&r.0, &l.0),
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => break,
        };
        let next = if take_right {
            right.next()
        } else {
            left.next()
        };
        out.extend(next);
    }
    out
}

/// go-yaml v2's `keyList.Less` for two string keys.
pub(super) fn less(a: &[char], b: &[char]) -> bool {
    for (i, (&ac, &bc)) in a.iter().zip(b).enumerate() {
        if ac == bc {
            continue;
        }
        let al = is_letter(ac);
        let bl = is_letter(bc);
        if al && bl {
            return ac < bc;
        }
        if al || bl {
            return bl;
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ac == '0' || bc == '0' {
            // A zero that continues a number (`10` vs `1a`) counts as a digit, not a
            // leading zero.
            for &prev in a[..i].iter().rev().take_while(|&&c| is_digit(c)) {
                if prev != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let (an, ai) = digit_run(a, i, an);
        let (bn, bi) = digit_run(b, i, bn);
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ac < bc;
    }
    a.len() < b.len()
}

/// Go: `for ai = i; ai < len(ar) && unicode.IsDigit(ar[ai]); ai++ { an = an*10 + int64(ar[ai]-'0') }`
/// (with Go's wrapping arithmetic).
fn digit_run(s: &[char], start: usize, mut n: i64) -> (i64, usize) {
    let mut end = start;
    while let Some(&c) = s.get(end).filter(|&&c| is_digit(c)) {
        n = n
            .wrapping_mul(10)
            .wrapping_add(i64::from(u32::from(c)).wrapping_sub(i64::from(u32::from('0'))));
        end += 1;
    }
    (n, end)
}

/// Go's `unicode.IsLetter`: general category L.
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    c.general_category_group() == GeneralCategoryGroup::Letter
}

/// Go's `unicode.IsDigit`: general category Nd.
fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    c.general_category() == GeneralCategory::DecimalNumber
}

/// go-yaml's order as an `Ordering`, for tests and callers that sort key lists.
#[cfg(test)]
pub(super) fn compare(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if less(&a, &b) {
        Ordering::Less
    } else if less(&b, &a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path agrees with go-yaml's `less` on every pair of simple keys.
    #[test]
    fn simple_order_is_less_on_simple_keys() {
        let keys = [
            "",
            "a",
            "A",
            "ab",
            "a_b",
            "a-b",
            "a.b",
            "a/b",
            "B",
            "b",
            "ba",
            "ab_",
            "_a",
            "-",
            "app",
            "apps",
            "apiVersion",
            "metadata",
            "kind",
            "sidecar.istio.io/inject",
            "~",
        ];
        for a in keys {
            for b in keys {
                assert!(is_simple(a) && is_simple(b));
                assert_eq!(simple_order(a, b), compare(a, b), "{a:?} vs {b:?}");
            }
        }
    }

    /// `in_order` says yes only where sorting would leave a map's own (byte) order as it
    /// is: every set of up to three keys from a list covering each class of byte.
    #[test]
    fn in_order_only_where_sort_keeps_byte_order() {
        let pool = [
            "a", "A", "Z", "z", "_", "~", "-", ".", "ab", "a_b", "aZ", "a~", "a1", "é", "{", "`",
        ];
        let mut said_yes = 0;
        for i in 0..pool.len() {
            for j in 0..pool.len() {
                for k in 0..pool.len() {
                    let mut keys: Vec<String> =
                        [i, j, k].iter().map(|&x| pool[x].to_string()).collect();
                    keys.sort();
                    keys.dedup();
                    let mut entries: Vec<(&String, ())> = keys.iter().map(|k| (k, ())).collect();
                    sort(&mut entries);
                    let sorted: Vec<&String> = entries.iter().map(|(k, _)| *k).collect();
                    if in_order(keys.iter()) {
                        said_yes += 1;
                        assert_eq!(sorted, keys.iter().collect::<Vec<_>>(), "{keys:?}");
                    }
                }
            }
        }
        assert!(said_yes > 1000, "only {said_yes} sets in order");
    }

    /// Mixed keys (digits, non-ASCII) still take go-yaml's own path.
    #[test]
    fn sort_matches_go_yaml_order() {
        let cases: [(&[&str], &[&str]); 3] = [
            (&["b", "a_b", "ab", "A"], &["A", "a_b", "ab", "b"]),
            (&["a10", "a2", "a"], &["a", "a2", "a10"]),
            (&["é", "e", "_"], &["_", "e", "é"]),
        ];
        for (input, want) in cases {
            let owned: Vec<String> = input.iter().map(|s| s.to_string()).collect();
            let mut entries: Vec<(&String, ())> = owned.iter().map(|k| (k, ())).collect();
            sort(&mut entries);
            let got: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(got, want);
        }
    }
}
