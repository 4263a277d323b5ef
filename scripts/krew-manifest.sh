#!/usr/bin/env bash
# Fills plugin.yaml's sha256 fields from the release archives of a version.
#   scripts/krew-manifest.sh DIST_DIR
# DIST_DIR holds kubectl-inject_<version>_<os>_<arch>.tar.gz for the four platforms. The
# checked-in plugin.yaml carries all-zero digests until a release is cut; this writes the real
# (lowercase) ones, so the manifest handed to krew-index always matches the archives.
set -euo pipefail
dist=${1:?usage: scripts/krew-manifest.sh DIST_DIR}
cd "$(dirname "$0")/.."
version=$(sed -n 's/^  version: //p' plugin.yaml)
tmp=$(mktemp)
cp plugin.yaml "$tmp"
for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
  archive="$dist/kubectl-inject_${version}_${platform}.tar.gz"
  [ -f "$archive" ] || { echo "error: missing $archive" >&2; rm -f "$tmp"; exit 2; }
  sum=$(sha256sum "$archive" | cut -d' ' -f1 | tr 'A-F' 'a-f')
  # The sha256 line follows the uri line of its platform.
  awk -v p="_${platform}.tar.gz" -v s="$sum" '
    index($0, p) { print; getline; sub(/sha256: .*/, "sha256: " s); print; next } { print }
  ' "$tmp" > "$tmp.new" && mv "$tmp.new" "$tmp"
done
mv "$tmp" plugin.yaml
echo "plugin.yaml: sha256 filled for $version"
