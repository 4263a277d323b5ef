#!/usr/bin/env python3
"""Prints the JSON inputs of the go-yaml conformance corpus, one per line.

Pipe them through the Go oracle (see README.md) to get `go-marshal.jsonl`.
Deterministic: a fixed seed, no clock.
"""
import json
import random

rng = random.Random(20240601)
out = []


def emit(v):
    out.append(json.dumps(v, ensure_ascii=False, separators=(",", ":")))


# --- scalar strings, in every position a string can take -------------------
words = [
    "", " ", "  ", "a", "abc", "a b", " a", "a ", " a ", "a  b", "a\tb", "\t", "a\t",
    "y", "Y", "yes", "Yes", "YES", "yEs", "n", "N", "no", "No", "NO", "true", "True", "TRUE",
    "tRue", "false", "False", "on", "On", "ON", "off", "Off", "OFF", "oN", "~", "null",
    "Null", "NULL", "nULL", "<<", ".nan", ".NaN", ".inf", ".Inf", "+.inf", "-.inf", "-.Inf",
    ".INF", "inf", "nan", "Infinity", "+inf", "-", "--", "---", "----", "--- a", "...", "....",
    ".", "..", ".5", ".5e3", "._5", ".5_5", ".e3", "5.", "5.e3", "0", "00", "01", "08", "09",
    "0.5", "-0", "+0", "-1", "+1", "1_000", "_1", "1_", "1__0", "0x", "0x1F", "0X1f",
    "0xZZ", "0o17", "0O17", "0o8", "017", "018", "0b101", "0b", "0b2", "-0b101", "+0b1",
    "0b1_0", "1e3", "1E3", "1e+3", "1e-3", "1e", "1e+", "e3", "1.5e300", "1e400", "-1e400",
    "1.0", "-1.5", "+1.5", "12345678901234567890", "18446744073709551615",
    "18446744073709551616", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "+9223372036854775808",
    "99999999999999999999999", "0x1FFFFFFFFFFFFFFFFF", "15001", "1337", "0755",
    "1:20", "1:2", "1:60", "1:59", "12:30:45", "-1:20", "+1:20", "1:20.5", "1_0:20",
    "1:20:", ":20", "1::20", "190:20:30.15",
    "2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.10Z",
    "2001-12-14 21:59:43.10", "2001-12-14 21:59:43.10 -5", "2002-12-14",
    "2001-1-1", "2001-13-01", "2001-02-29", "2000-02-29", "2001-02-30", "2001-12-14T21:59:43Z",
    "2001-12-14T25:00:00Z", "2001-12-14T21:59:43+01:00", "2001-12-14T21:59:43+1:00",
    "2001-12-14T21:59:43", "2001-12-14 21:59", "2001-12-14T1:2:3Z", "201-12-14", "20011-12-14",
    "2001-12-14x", "2001-12-14T21:59:43,5Z", "2001-12-14T21:59:43.Z", "2001-12-14T21:59:60Z",
    "2001-12-14T21:59:43+24:00",
    "#", "#a", "a#", "a #b", "a# b", "a #", ",", ",a", "a,b", "[", "[a]", "]", "{", "{a}",
    "}", "{\"a\":1}", "&", "&a", "*", "*a", "a*", "!", "!a", "|", "|a", ">", ">a", "'", "'a",
    "a'b", "\"", "\"a", "a\"b", "%", "%a", "@", "@a", "`", "`a", "?", "?a", "? a", "a?",
    ":", ":a", ": a", "a:", "a:b", "a: b", "a :b", "-a", "- a", "a-", "a - b", "*/1 * * * *",
    "$(POD_NAMESPACE).svc.cluster.local", "--log_output_level=default:info",
    "15090,15021,15020", "istiod.istio-system.svc:15012", "a\\b", "\\", "C:\\x",
    "a\nb", "a\n", "a\n\n", "\n", "\n\n", "\na", " \na", "a \nb", "a\n b", "a\n\nb",
    "  a\nb", "\ta\nb", "a\tb\nc", "a\r\nb", "a\rb", "\r", "a\u0085b", "a\u2028b", "a\u2029b",
    "a\u2028", "\u2028", "a \u0085 b", "a\u0085\u0085b", "a \u0085\u0085 \u0085b",
    "\u0085\u0085\u0085", "\u0085a", "a\t\u0085b", "a\nb\n ", "a\n ", "{}\n", "[\n    {\"name\":\"http\"}\n]",
    "é", "ü ber", "日本語", "a\u00a0b", "\u00a0", "a\u0080b", "\u009f", "\u00ff",
    "\u0100", "\ufeff", "\ufeffabc", "a\ufeff", "\ufffd", "\ufffe", "\uffff", "\ue000",
    "\ud7ff", "😀", "a😀b", "\u0000", "a\u0001b", "\u0007\u0008\u000b\u000c\u001b",
    "\u007f", "a\u0085", "key=value", "a=b,c=d", "http://x/y?z=1#f", "1.2.3", "v1.2.3",
    "1.2.3.4", "10.0.0.1/8", "1-2", "1+2", "+", "+a", "-1a", "0.0.0.0", "::1", "fe80::1",
    "'quoted'", "\"dq\"", "a'", "''", "it's", "a: 'b'", "a:\tb", "a\t#b", "a #\tb",
]
for s in words:
    emit(s)
    emit({"k": s})
    emit({s: "v"})
    emit([s])
    emit({"outer": {"inner": [s, {"k": s}]}})

# --- line folding at column 80 ----------------------------------------------
alphabet = "abcdefghij"
styles = ["", "'", "{", "\t", "#", "\"", ": "]
for n in range(200):
    lw = [rng.randint(1, 14) for _ in range(rng.randint(3, 20))]
    text = " ".join(
        "".join(rng.choice(alphabet) for _ in range(k)) for k in lw
    )
    if rng.random() < 0.15:
        text = text.replace(" ", "  ", 1)
    mark = rng.choice(styles)
    if mark:
        pos = rng.randint(0, len(text))
        text = text[:pos] + mark + text[pos:]
    if rng.random() < 0.2:
        text = mark + text
    depth = rng.randint(0, 4)
    v = text
    for d in range(depth):
        v = {"key" * (d + 1): v} if rng.random() < 0.6 else [v]
    emit(v)
    emit({text: 1})

# fold boundaries around column 80 exactly
for col in range(70, 92):
    for tail in ["x", "x y", "xx yy zz", "  x"]:
        emit({"k": "a" * (col - 3) + " " + tail})
        emit({"k": "'" + "a" * (col - 4) + " " + tail})
        emit({"k": "\t" + "a" * (col - 4) + " " + tail})
        emit({"k": "\t" + "a" * (col - 4) + "  " + tail})

# --- long and multi-line keys --------------------------------------------------
for n in [120, 127, 128, 129, 130, 200]:
    emit({"k" * n: "v"})
    emit({"k" * n: {"a": 1}})
    emit({"k" * n: [1, 2]})
    emit({"k" * (n - 2) + "é": "v"})
emit({"a\nb": "v"})
emit({"a\nb": {"c": [1]}})
emit({"a\u2028b": "v"})

# --- key order -------------------------------------------------------------------
keyset = [
    "a", "b", "A", "B", "a1", "a2", "a10", "a01", "a001", "a0", "a00", "a_b", "ab", "a-b",
    "a.b", "a/b", "a b", "1", "2", "10", "01", "001", "0", "00", "1a", "10a", "1_", "_", "-",
    "é", "z", "Z", "ä", "日", "٣", "a٣", "a3", "x9y", "x10y", "x09y", "x010y", "1.5", "1.10",
    "v1beta1", "v1", "v2", "v10", "spec", "status", "metadata", "apiVersion", "kind",
    "app.kubernetes.io/name", "istio.io/rev", "sidecar.istio.io/inject", "Ab", "aB", "",
    "0a", "0b", "00a", "a0b", "a00b", "a1b", "1z", "1Z", "1!", "!", "~", "a~", "a!", "\t",
]
emit({k: i for i, k in enumerate(keyset)})  # Go's order varies here: left out
# Without zero-led digit runs go-yaml's order is total, hence deterministic.
emit({k: i for i, k in enumerate(k for k in keyset if "0" not in k and "٣" not in k)})
for _ in range(60):
    ks = rng.sample(keyset, rng.randint(2, 12))
    emit({k: None for k in ks})
for _ in range(60):
    ks = set()
    for _ in range(rng.randint(2, 10)):
        ks.add("".join(rng.choice("a0 1_9zA.") for _ in range(rng.randint(0, 5))))
    emit({k: True for k in ks})

# --- numbers ---------------------------------------------------------------------
nums = [0, 1, -1, 7, 15001, 1000000, 123456789, -123456789, 9223372036854775807,
        -9223372036854775808, 18446744073709551615, 0.5, 1.5, -2.25, 0.1, 100.25,
        1234567.5, 123456.5, 0.0001, 0.00001, 1e-7, 1e21, 1.5e300, 1e20, 2.5e-5,
        3.14159, 1e100, 5e-324, 1.7976931348623157e308]
emit(nums)
emit({str(i): n for i, n in enumerate(nums)})

# --- structure -----------------------------------------------------------------
emit({})
emit([])
emit(None)
emit(True)
emit(False)
emit(15)
emit([[]])
emit([{}])
emit([[1, 2], [3, [4, 5]], []])
emit([{"a": 1, "b": [1, {"c": {}}]}, {"d": []}])
emit({"a": {"b": {"c": {"d": [{"e": [[{"f": "g"}]]}]}}}})
emit({"a": None, "b": [None, True, False], "c": {"d": None}})
emit({"list": [{"name": "x", "value": "a\nb"}, {"name": "y", "value": "|"}]})
emit([["a\nb"], {"k": ["x\n"]}])
emit({"k": [["a", "b"], ["c"]]})

# --- random nested documents -------------------------------------------------
pieces = words[:80] + ["plain", "two words", "x" * 90, "y " * 50, "http://a b", "a\nb\nc"]


def rand_value(d):
    r = rng.random()
    if d > 3 or r < 0.35:
        c = rng.random()
        if c < 0.7:
            return rng.choice(pieces)
        if c < 0.8:
            return rng.randint(-1000, 100000)
        if c < 0.9:
            return rng.choice([True, False, None])
        return rng.choice([0.5, 1e-7, 1234567.5])
    if r < 0.65:
        return {rng.choice(keyset + pieces[:20]): rand_value(d + 1) for _ in range(rng.randint(0, 5))}
    return [rand_value(d + 1) for _ in range(rng.randint(0, 4))]


for _ in range(150):
    emit(rand_value(0))

print("\n".join(out))
