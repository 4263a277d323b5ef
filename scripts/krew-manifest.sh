#!/usr/bin/env bash
# Writes DIST_DIR/plugin.yaml, the krew manifest of the release archives in DIST_DIR.
#   scripts/krew-manifest.sh DIST_DIR
# One platform per archive kubectl-inject_<tag>_<os>_<arch>.tar.gz of the current version
# (Cargo.toml), with its real sha256 (quoted, lowercase) and a uri under the repository's
# GitHub release of that tag. Run by `make dist` (scripts/dist.sh); tests/cli/dist.rs checks
# the result by krew-index's rules. The manifest is generated, never committed: its digests
# only mean something next to the archives they were computed from.
#
# For krew-index, the file is submitted as plugins/inject.yaml.
set -euo pipefail
shopt -s inherit_errexit
dist=${1:?usage: scripts/krew-manifest.sh DIST_DIR}
cd "$(dirname "$0")/.."

field() { awk -F'"' -v key="$1" '/^\[/{p = ($0 == "[package]")} p && $1 == key " = " {print $2; exit}' Cargo.toml; }
version=$(field version)
repository=$(field repository)
homepage=$(field homepage)
tag="v$version"

shopt -s nullglob
archives=("$dist"/kubectl-inject_"${tag}"_*_*.tar.gz)
[ ${#archives[@]} -gt 0 ] || {
    echo "krew-manifest: error: no kubectl-inject_${tag}_<os>_<arch>.tar.gz in $dist" >&2
    exit 2
}

out="$dist/plugin.yaml"
{
    cat <<YAML
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: inject
spec:
  version: "$tag"
  homepage: $homepage
  shortDescription: Explain, check and render Istio sidecar injection
  description: |
    Answers "will this pod get an Istio sidecar, why (not), and what exactly
    will it look like?" It re-implements Istio's sidecar-injector admission
    webhook and runs Istio's own injection templates, offline on manifests or
    against a live cluster: it tells which workloads would get a sidecar and
    which rule decided, renders the injected manifests as istioctl kube-inject
    does, checks the health of the injector, and removes the injector or undoes
    injection safely.
  caveats: |
    For completion of \`kubectl inject\` (kubectl 1.26 or later), put
    kubectl_complete-inject on PATH; krew does not link it yet:
      ln -sf "\${KREW_ROOT:-\$HOME/.krew}/store/inject/$tag/kubectl_complete-inject" \\
        "\${KREW_ROOT:-\$HOME/.krew}/bin/"
  platforms:
YAML
    for archive in "${archives[@]}"; do
        name=$(basename "$archive")
        platform=${name#kubectl-inject_"${tag}"_}
        platform=${platform%.tar.gz}
        os=${platform%_*}
        arch=${platform#*_}
        bin=kubectl-inject
        [ "$os" = windows ] && bin=kubectl-inject.exe
        sum=$(sha256sum "$archive" | cut -d' ' -f1 | tr 'A-F' 'a-f')
        cat <<YAML
  - selector:
      matchLabels:
        os: $os
        arch: $arch
    uri: $repository/releases/download/$tag/$name
    sha256: "$sum"
    bin: $bin
YAML
    done
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "krew-manifest: $out: ${#archives[@]} platforms of $tag" >&2
