#!/usr/bin/env bash
# Release archives for GitHub releases and krew, and the krew manifest made from them.
#
#   scripts/dist.sh
#       Build every target this machine can build (TARGETS below), archive each as
#       dist/kubectl-inject_<tag>_<os>_<arch>.tar.gz, then write dist/plugin.yaml from the
#       archives (scripts/krew-manifest.sh). Targets that cannot be built say why and are left
#       out; no target at all is an error.
#   scripts/dist.sh package OS ARCH BIN_DIR OUT_DIR
#       Only the archive step: kubectl-inject, kubectl_complete-inject (both from BIN_DIR) and
#       LICENSE into OUT_DIR/kubectl-inject_<tag>_<os>_<arch>.tar.gz. tests/cli/dist.rs uses it
#       on the test build when no dist/ is there.
#
# How each target is built:
#   linux/amd64, linux/arm64   static musl binaries, linked by cargo-zigbuild with zig's
#                              musl, so nothing of the build machine's libc is needed at run
#                              time. Both tools come from PyPI and are installed once into
#                              target/dist-tools; the Rust targets are added with rustup.
#   darwin/amd64, darwin/arm64 kube's TLS stack (rustls-platform-verifier, security-framework)
#                              links Apple's Security and CoreFoundation frameworks, which
#                              only the macOS SDK has (no package registry carries it). Built
#                              natively on a Mac, or with zig when SDKROOT names an SDK;
#                              skipped otherwise.
#
# Archives are reproducible for the same binaries: fixed order, owner and mtime
# (SOURCE_DATE_EPOCH, default the last commit's time), gzip without a name or time.
#
# Environment: DIST_DIR (default dist), DIST_TARGETS (e.g. "linux/amd64", default all).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

readonly TARGETS=(
    "linux/amd64 x86_64-unknown-linux-musl"
    "linux/arm64 aarch64-unknown-linux-musl"
    "darwin/amd64 x86_64-apple-darwin"
    "darwin/arm64 aarch64-apple-darwin"
)
readonly ZIGBUILD_VERSION=0.24.1
readonly ZIG_VERSION=0.17.1
readonly TOOLS="$PWD/target/dist-tools"

say() { printf 'dist: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 2
}

# The [package] version of Cargo.toml, and the release tag made from it.
version() { awk -F'"' '/^\[/{p = ($0 == "[package]")} p && /^version = /{print $2; exit}' Cargo.toml; }
tag() { printf 'v%s\n' "$(version)"; }

package() {
    local os=$1 arch=$2 bin_dir=$3 out=$4 ext=""
    [ "$os" = windows ] && ext=.exe
    local files=(LICENSE "kubectl-inject$ext" "kubectl_complete-inject$ext")
    local stage
    stage=$(mktemp -d)
    cp LICENSE "$stage/"
    for f in "${files[@]:1}"; do
        [ -f "$bin_dir/$f" ] || die "$bin_dir/$f: not built"
        cp "$bin_dir/$f" "$stage/"
    done
    chmod 0644 "$stage/LICENSE"
    chmod 0755 "$stage/kubectl-inject$ext" "$stage/kubectl_complete-inject$ext"
    mkdir -p "$out"
    local archive
    archive="$out/kubectl-inject_$(tag)_${os}_${arch}.tar.gz"
    local epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
        -C "$stage" -cf - "${files[@]}" | gzip -9n >"$archive.tmp"
    mv "$archive.tmp" "$archive"
    rm -rf "$stage"
    say "$archive ($(du -k "$archive" | cut -f1) KiB)"
}

# cargo-zigbuild and zig from PyPI, in a venv of their own (pip reaches PyPI here).
zig_tools() {
    if [ ! -x "$TOOLS/bin/cargo-zigbuild" ]; then
        say "installing cargo-zigbuild $ZIGBUILD_VERSION and zig $ZIG_VERSION into $TOOLS"
        python3 -m venv "$TOOLS" >&2 || return 1
        "$TOOLS/bin/pip" install -q "cargo-zigbuild==$ZIGBUILD_VERSION" "ziglang==$ZIG_VERSION" >&2 || return 1
    fi
    # cargo-zigbuild finds zig through `python3 -m ziglang` of the venv.
    export PATH="$TOOLS/bin:$PATH"
}

rust_target() {
    if rustup target list --installed | grep -qx "$1"; then
        return 0
    fi
    say "rustup target add $1"
    rustup target add "$1" >&2
}

# Builds one target and prints the directory holding its binaries. Returns 1 when the
# target cannot be built here (the reason said), 2 when its build failed. (Called in a
# condition, where `set -e` does not hold: every step checks its own status.)
build() {
    local os=$1 triple=$2
    case "$os/$(uname -s)" in
        darwin/Darwin)
            rust_target "$triple" || return 2
            cargo build --locked --release --bins --target "$triple" >&2 || return 2
            ;;
        darwin/* | linux/*)
            if [ "$os" = darwin ] && [ -z "${SDKROOT:-}" ]; then
                say "skipped $os ($triple): needs the macOS SDK (Security, CoreFoundation frameworks); set SDKROOT or build on a Mac"
                return 1
            fi
            rust_target "$triple" || return 2
            zig_tools || return 2
            cargo zigbuild --locked --release --bins --target "$triple" >&2 || return 2
            ;;
        *)
            say "skipped $os ($triple): no recipe for this machine"
            return 1
            ;;
    esac
    printf '%s\n' "target/$triple/release"
}

main() {
    local dist="${DIST_DIR:-dist}" wanted="${DIST_TARGETS:-}" built=0
    [ -f LICENSE ] || die "LICENSE is missing"
    rm -rf "$dist"
    mkdir -p "$dist"
    for t in "${TARGETS[@]}"; do
        read -r platform triple <<<"$t"
        if [ -n "$wanted" ] && ! grep -qw "$platform" <<<"$wanted"; then
            continue
        fi
        say "building $platform ($triple)"
        local dir rc
        dir=$(build "${platform%/*}" "$triple") && rc=0 || rc=$?
        case $rc in
            0)
                package "${platform%/*}" "${platform#*/}" "$dir" "$dist"
                built=$((built + 1))
                ;;
            1) ;;
            *) die "building $platform ($triple) failed" ;;
        esac
    done
    [ "$built" -gt 0 ] || die "no target could be built"
    scripts/krew-manifest.sh "$dist"
}

case "${1:-}" in
    package)
        [ $# -eq 5 ] || die "usage: scripts/dist.sh package OS ARCH BIN_DIR OUT_DIR"
        package "$2" "$3" "$4" "$5"
        ;;
    "") main ;;
    *) die "usage: scripts/dist.sh [package OS ARCH BIN_DIR OUT_DIR]" ;;
esac
