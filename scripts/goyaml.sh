#!/bin/sh
# Builds goyaml (kubectl's YAML reading: sigs.k8s.io/yaml over go-yaml v2, encoding/json for
# JSON) into a cache directory outside the repository, from scripts/goyaml/. The YAML
# differential test finds it through $GOYAML, else ${GOREF_CACHE:-/var/cache/kubectl-inject}/goyaml.
#
# Needs Debian's Go and Go packages (no network beyond the package registry):
#   apt-get install -y golang-go golang-k8s-sigs-yaml-dev golang-gopkg-yaml.v2-dev
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE="${GOREF_CACHE:-/var/cache/kubectl-inject}"
OUT="${GOYAML:-$CACHE/goyaml}"
if ! command -v go >/dev/null 2>&1; then
    echo "goyaml.sh: go not found; apt-get install -y golang-go golang-k8s-sigs-yaml-dev golang-gopkg-yaml.v2-dev" >&2
    exit 2
fi
GP=$(mktemp -d)
trap 'rm -rf "$GP"' EXIT
mkdir -p "$GP/src/goyaml" "$GP/src/sigs.k8s.io" "$GP/src/gopkg.in"
ln -s /usr/share/gocode/src/sigs.k8s.io/yaml "$GP/src/sigs.k8s.io/yaml"
ln -s /usr/share/gocode/src/gopkg.in/yaml.v2 "$GP/src/gopkg.in/yaml.v2"
cp "$ROOT/scripts/goyaml/main.go" "$GP/src/goyaml/"
mkdir -p "$(dirname "$OUT")"
cd "$GP/src/goyaml"
GO111MODULE=off GOPATH="$GP" GOFLAGS= go build -o "$OUT" .
echo "built $OUT"
