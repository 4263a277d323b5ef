#!/usr/bin/env bash
# Runs every fuzz target (or those named) for FUZZ_SECONDS each, one after the other, with
# cargo-fuzz on the nightly toolchain, and prints executions and findings per target.
#   scripts/fuzz.sh [target...]          FUZZ_SECONDS (default 600), FUZZ_JOBS (default 1)
# Seeds come from fuzz/seeds.txt (folders of testdata/) and testdata/fuzz/<target>/ (saved
# findings); new findings land in fuzz/artifacts/<target>/: turn each into a regression
# file under testdata/fuzz/<target>/ once fixed (the test suite runs them all).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-600}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "fuzz: cargo-fuzz not found; cargo install cargo-fuzz" >&2
    exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(grep -v '^#' fuzz/seeds.txt | awk 'NF {print $1}')
fi
cargo +nightly fuzz build -O >&2 || exit 2
summary=()
status=0
for t in "${targets[@]}"; do
    corpus="fuzz/corpus/$t"
    mkdir -p "$corpus" "fuzz/artifacts/$t"
    for d in $(grep "^$t " fuzz/seeds.txt | cut -d' ' -f2-) "testdata/fuzz/$t"; do
        [ -d "$d" ] || continue
        find "$d" -type f -size -256k -print0 | while IFS= read -r -d '' f; do
            cp -f "$f" "$corpus/seed-$(printf '%s' "$f" | md5sum | cut -c1-16)"
        done
    done
    before=$(find "fuzz/artifacts/$t" -type f | wc -l)
    log="fuzz/artifacts/$t.log"
    cargo +nightly fuzz run -O "$t" "$corpus" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
        -print_final_stats=1 >"$log" 2>&1
    code=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    after=$(find "fuzz/artifacts/$t" -type f | wc -l)
    found=$((after - before))
    line="fuzz: $t: ${execs:-?} executions in ${seconds}s, $found finding(s) (exit $code)"
    echo "$line"
    summary+=("$line")
    if [ "$found" -gt 0 ] || [ "$code" -ne 0 ]; then status=1; fi
done
echo
printf '%s\n' "${summary[@]}"
exit $status
