#!/usr/bin/env bash
# The in-process benches of two builds side by side, in one run: `cargo bench --bench
# inject` and `--bench render` of a baseline revision (checked out beside this checkout, so
# it reads the same ../shared inputs; its bench binaries are built once and kept) and of this
# checkout, alternated ROUNDS times (2 by default) so that a busy machine slows both alike.
#
#   scripts/bench-compare.sh <git revision> [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=$(git rev-parse --short "${1:?usage: scripts/bench-compare.sh <git revision> [ROUNDS]}")
rounds=${2:-2}
base="$PWD/../bench-base-$rev"
if [ ! -d "$base" ]; then
    git worktree add -q --detach "$base" "$rev"
fi
benches=(inject render)
# Each bench binary's path, as cargo reports it for `--no-run`.
# Each checkout builds in its own target directory (cargo names a path dependency's
# artifacts relative to its workspace, so the two builds' would collide in one); the
# baseline's starts as a copy of this one's release build, so only the changed crates build.
if [ ! -d "$base/target/release" ] && [ -d target/release ]; then
    mkdir -p "$base/target"
    cp -r target/release "$base/target/"
    rm -rf "$base/target/release/incremental"
    # The copied artifacts of this checkout's own crates are newer than the baseline's
    # sources: make the sources newer, so cargo rebuilds them from the baseline's code.
    find "$base" -path "$base/target" -prune -o -type f \( -name '*.rs' -o -name 'Cargo.toml' \) -exec touch {} +
fi
binary() {
    (cd "$1" && cargo bench --bench "$2" --no-run --message-format=json 2>/dev/null) |
        python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["bench"]:
        print(m["executable"])'
}
declare -A bins
for b in "${benches[@]}"; do
    echo "bench-compare: building $b at $rev and at HEAD" >&2
    bins["base-$b"]=$(binary "$base" "$b")
    bins["head-$b"]=$(binary "$PWD" "$b")
done
head=$(git rev-parse --short HEAD)
for round in $(seq "$rounds"); do
    for b in "${benches[@]}"; do
        for side in base head; do
            label=$([ "$side" = base ] && echo "$rev (baseline)" || echo "$head (HEAD)")
            dir=$([ "$side" = base ] && echo "$base" || echo "$PWD")
            echo "== round $round: $b, $label"
            # A bench binary runs from its package's directory, as `cargo bench` runs it.
            (cd "$dir" && "${bins[$side-$b]}" --bench)
        done
    done
done
