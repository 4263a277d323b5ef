#!/usr/bin/env bash
# Installs and builds, once, what the whole test suite needs beyond cargo:
#   - Debian's Go and sprig, and goref (Go's text/template + sprig: the renderer's oracle),
#     built from ../shared/goref into the cache (rebuilt when its source is newer);
#   - goyaml (kubectl's YAML reading: sigs.k8s.io/yaml over go-yaml v2), the oracle of the
#     YAML differential test, built from scripts/goyaml into the cache;
#   - the test control plane (kube-apiserver, kube-controller-manager, etcd), built from
#     Debian's packages and cached by scripts/test-apiserver.sh;
#   - bash-completion, which kubectl's bash completion needs (tests/cli/completion.rs runs it).
# Idempotent: on a machine that has run it before it takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${GOREF_CACHE:-/var/cache/kubectl-inject}"
goref="${GOREF:-$cache/goref}"

missing=()
for p in golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev golang-gopkg-yaml.v2-dev bash-completion; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "test-deps: installing ${missing[*]}" >&2
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi

if [ ! -x "$goref" ] || [ ../shared/goref/main.go -nt "$goref" ]; then
    echo "test-deps: building goref into $goref" >&2
    GOREF="$goref" scripts/goref.sh
fi

goyaml="${GOYAML:-$cache/goyaml}"
if [ ! -x "$goyaml" ] || [ scripts/goyaml/main.go -nt "$goyaml" ]; then
    echo "test-deps: building goyaml into $goyaml" >&2
    GOYAML="$goyaml" scripts/goyaml.sh
fi

scripts/test-apiserver.sh build
