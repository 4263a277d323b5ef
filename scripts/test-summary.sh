#!/usr/bin/env bash
# Runs test commands and closes with one line that counts skips:
#     N passed, N failed, N skipped
# cargo's own `test result:` lines count a test that printed "skipped" and returned as
# passed; here it is skipped. Every skip in the tests goes through `tests/cli/util.rs`
# (`skip`, `skip_part`), which appends `<test>\t<whole|part>\t<reason>` to the file named by
# KUBECTL_INJECT_SKIP_LOG; this script points that variable at a fresh file, runs each
# command, then sums cargo's `test result:` lines:
#   skipped = the tests that skipped as a whole (and then passed) + cargo's `ignored`
#   passed  = cargo's passed - the tests that skipped as a whole
#   failed  = cargo's failed
# Above the line it lists each skipped test with its reason, and the tests that skipped only
# a part (one case, one oracle) and ran the rest: those count as passed.
#
# Usage: scripts/test-summary.sh 'COMMAND' ['COMMAND' ...]
#   Each COMMAND is one shell command line (`cargo test`, `cargo test -p gotmpl`); all run,
#   even after one fails. Exit status: 0 when every command succeeded, else the last
#   failing command's status (a failed build with no `test result:` line fails too).
set -uo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 'COMMAND' ['COMMAND' ...]" >&2
    exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export KUBECTL_INJECT_SKIP_LOG="$work/skips"
: >"$KUBECTL_INJECT_SKIP_LOG"
out="$work/out"
: >"$out"

status=0
for cmd in "$@"; do
    echo "test-summary: running: $cmd" >&2
    # stdout carries libtest's per-test lines and `test result:` lines; keep a copy.
    bash -c "$cmd" | tee -a "$out"
    rc="${PIPESTATUS[0]}"
    if [ "$rc" -ne 0 ]; then
        echo "test-summary: \`$cmd\` exited $rc" >&2
        status="$rc"
    fi
done

# One awk over the skip log then the captured output (by FILENAME: the log may be empty).
awk -F'\t' -v skiplog="$KUBECTL_INJECT_SKIP_LOG" '
    FILENAME == skiplog {
        if (NF < 3) next
        if ($2 == "whole") { whole[$1] = $3 } else if (!($1 in part)) { part[$1] = $3 }
        next
    }
    /^test .* \.\.\. ok$/ { name = $0; sub(/^test /, "", name); sub(/ \.\.\. ok$/, "", name); ok[name] = 1 }
    /^test .* \.\.\. ignored/ {
        name = $0; sub(/^test /, "", name); why = name
        sub(/ \.\.\. ignored.*$/, "", name)
        sub(/^.* \.\.\. ignored(, )?/, "", why)
        ignored[name] = (why == "" ? "" : ": " why)
    }
    /^test result: / {
        line = $0
        if (match(line, /[0-9]+ passed/)) passed += substr(line, RSTART, RLENGTH) + 0
        if (match(line, /[0-9]+ failed/)) failed += substr(line, RSTART, RLENGTH) + 0
        if (match(line, /[0-9]+ ignored/)) nignored += substr(line, RSTART, RLENGTH) + 0
        results++
    }
    END {
        skipped = 0
        for (n in whole) if (n in ok) { skipped++; passed--; printf "skipped: %s: %s\n", n, whole[n] | "sort" }
        for (n in ignored) printf "skipped: %s: ignored (#[ignore], or an `ignore` doc example)%s\n", n, ignored[n] | "sort"
        close("sort")
        for (n in part) if (!(n in whole)) printf "partly skipped (the rest ran and passed or failed): %s: %s\n", n, part[n] | "sort"
        close("sort")
        if (results == 0) print "test-summary: no `test result:` line: the tests did not run"
        printf "%d passed, %d failed, %d skipped\n", passed, failed, skipped + nignored
    }
' "$KUBECTL_INJECT_SKIP_LOG" "$out" || {
    echo "test-summary: cannot add up the results" >&2
    status=2
}

exit "$status"
