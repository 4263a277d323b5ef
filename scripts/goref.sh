#!/bin/sh
# Builds goref (Go's text/template + sprig 3, the renderer's oracle) into a cache directory
# outside the repository, from ../shared/goref. The differential test finds it through $GOREF,
# else ${GOREF_CACHE:-/var/cache/kubectl-inject}/goref.
#
# Needs Debian's Go and sprig (no network beyond the package registry):
#   apt-get update && apt-get install -y golang-go golang-github-masterminds-sprig-dev
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED="$ROOT/../shared"
CACHE="${GOREF_CACHE:-/var/cache/kubectl-inject}"
OUT="${GOREF:-$CACHE/goref}"
if [ ! -f "$SHARED/goref/build.sh" ]; then
    echo "goref.sh: $SHARED/goref/build.sh not found (../shared/ must be beside the project)" >&2
    exit 2
fi
if ! command -v go >/dev/null 2>&1; then
    echo "goref.sh: go not found; apt-get install -y golang-go golang-github-masterminds-sprig-dev" >&2
    exit 2
fi
mkdir -p "$(dirname "$OUT")"
OUT="$OUT" sh "$SHARED/goref/build.sh"
