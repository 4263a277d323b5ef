#!/usr/bin/env bash
# A real Kubernetes control plane for the test suite: etcd, kube-apiserver and
# kube-controller-manager on free loopback ports, with their own CA and tokens.
#
# No docker runs on these machines, but Debian's `kubernetes` source package (1.20.2, all Go
# dependencies vendored) builds offline with Debian's Go, and `etcd-server` is a Debian
# package. The two binaries are built once and cached outside the clone, keyed by the source
# version and RECIPE below; a fresh machine builds them (6 to 10 minutes on 2 shared cores).
#
# Usage:
#   scripts/test-apiserver.sh build
#       Install the Debian packages that are missing and build the binaries unless cached.
#       Idempotent; a second call takes well under a second.
#   scripts/test-apiserver.sh run -- COMMAND [ARG...]
#       `build`, then start a fresh control plane in a new temp dir, run COMMAND with
#         KUBECONFIG=<generated kubeconfig>      current context: the admin (system:masters)
#         KUBECTL_INJECT_TEST_CLUSTER=1          the signal the Rust tests read
#         KUBECTL_INJECT_TEST_USER_CONTEXT=NAME  a context whose user has no RBAC bindings
#         KUBECTL_INJECT_TEST_AUDIT_LOG=PATH     the API server's audit log (one JSON event a request)
#       then stop everything, remove the temp dir and exit with COMMAND's status.
#       `run -- bash` gives a shell against the cluster.
#   scripts/test-apiserver.sh cache-dir
#       Print the directory that holds (or will hold) the cached binaries.
#
# Environment:
#   KUBECTL_INJECT_K8S_CACHE    cache root (default /var/cache/kubectl-inject)
#   KUBECTL_INJECT_K8S_VERSION  Debian source version of `kubernetes` to build (default: the
#                               one tested; if the archive no longer has it, the newest)
#   KUBECTL_INJECT_K8S_BIN      a directory that already holds kube-apiserver and
#                               kube-controller-manager: use it and build nothing
#   KUBECTL_INJECT_K8S_KEEP=1   keep the temp dir (logs, kubeconfig) after `run`
#
# Exit status: COMMAND's for `run`; 2 when the control plane cannot be built or started.
set -euo pipefail
shopt -s inherit_errexit # `set -e` holds inside $(...) too

readonly DEFAULT_VERSION='1.20.5+really1.20.2-1.1+deb12u1'
readonly VERSION="${KUBECTL_INJECT_K8S_VERSION:-$DEFAULT_VERSION}"
readonly CACHE_ROOT="${KUBECTL_INJECT_K8S_CACHE:-/var/cache/kubectl-inject}"
# Bump RECIPE whenever the way the binaries are built changes: it is part of the cache key.
readonly RECIPE=2
readonly BUILD_PACKAGES=(golang-go rsync jq dpkg-dev golang-github-modern-go-reflect2-dev)
readonly RUN_PACKAGES=(etcd-server openssl curl)
readonly BINARIES=(kube-apiserver kube-controller-manager)
readonly ADMIN_CONTEXT='kubectl-inject-test-admin'
readonly USER_CONTEXT='kubectl-inject-test-user'
readonly USER_NAME='unprivileged'

say() { printf 'test-apiserver: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 2
}

cache_dir() { printf '%s/k8s-%s-r%s\n' "$CACHE_ROOT" "${1:-$VERSION}" "$RECIPE"; }

# --- packages -------------------------------------------------------------------------------

apt_updated=0
apt_get() { apt-get -q -o DPkg::Lock::Timeout=600 "$@"; }

ensure_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    if [ "$apt_updated" -eq 0 ]; then
        apt_get update >&2
        apt_updated=1
    fi
    # etcd-server's postinst would start a system etcd on 2379: we run our own.
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 \
        apt_get install -y --no-install-recommends "${missing[@]}" >&2
}

# --- build ----------------------------------------------------------------------------------

have_binaries() {
    local dir="$1" b
    for b in "${BINARIES[@]}"; do [ -x "$dir/$b" ] || return 1; done
}

# Writes deb-src entries for the mirrors this machine already uses, so the source package
# comes from the same place as every other package, without touching the system's lists.
write_private_sources() {
    local out="$1"
    if [ -r /etc/apt/sources.list.d/debian.sources ]; then
        sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
            >"$out/sources.list.d/debian-src.sources"
    elif [ -r /etc/apt/sources.list ]; then
        sed -n -e 's/^deb\([[:space:]]\)/deb-src\1/p' /etc/apt/sources.list \
            >"$out/sources.list.d/debian-src.list"
    else
        die "no Debian apt sources found (/etc/apt/sources.list.d/debian.sources)"
    fi
}

# Builds the binaries of kubernetes=VERSION into the cache; prints the directory.
build_binaries() {
    local version="$1" dest work apt_dir
    ensure_packages "${BUILD_PACKAGES[@]}"
    mkdir -p "$CACHE_ROOT"
    work="$(mktemp -d "$CACHE_ROOT/build.XXXXXX")"
    chmod 0755 "$work" # apt downloads as _apt, which must be able to enter it
    # shellcheck disable=SC2064 # expand now: the trap outlives this function's locals
    trap "rm -rf '$work'" EXIT
    apt_dir="$work/apt"
    mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial"
    write_private_sources "$apt_dir"
    # Private lists and no cache files: the system's apt state is left as it was.
    local apt_private=(-o "Dir::Etc::sourcelist=-" -o "Dir::Etc::sourceparts=$apt_dir/sources.list.d"
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=")
    apt_get "${apt_private[@]}" update >&2

    # A Debian update replaces the tested version in the archive: then build the newest,
    # unless a version was asked for.
    local available
    available="$(apt-cache "${apt_private[@]}" showsrc kubernetes | sed -n 's/^Version: //p')"
    if ! grep -qxF "$version" <<<"$available"; then
        [ -z "${KUBECTL_INJECT_K8S_VERSION:-}" ] ||
            die "kubernetes=$version is not in the archive (it has: ${available//$'\n'/ })"
        local v newest=''
        for v in $available; do
            if [ -z "$newest" ] || dpkg --compare-versions "$v" gt "$newest"; then newest="$v"; fi
        done
        [ -n "$newest" ] || die "the archive has no source package kubernetes"
        say "kubernetes=$version is no longer in the archive; using $newest"
        version="$newest"
    fi
    dest="$(cache_dir "$version")"
    if have_binaries "$dest"; then
        printf '%s\n' "$dest"
        return 0
    fi

    say "fetching the source of kubernetes=$version"
    (cd "$work" && apt_get "${apt_private[@]}" source --download-only "kubernetes=$version" >&2)
    # Debian's patches are applied here; "cannot verify inline signature" is harmless: apt
    # has checked the hashes of every file against the signed Release file.
    (cd "$work" && dpkg-source -x kubernetes_*.dsc src >&2)
    # The vendored reflect2 1.0.1 reads Go runtime internals that changed in Go 1.18: built
    # with Debian's Go 1.19, the API server panics (nil pointer in reflect2.Type2) decoding
    # any JSON body with a map, e.g. every pod create. 1.0.2 fixes it; Debian packages it.
    local reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
    [ -r "$reflect2/reflect2.go" ] ||
        die "$reflect2 is missing (golang-github-modern-go-reflect2-dev)"
    rm -rf "$work/src/vendor/github.com/modern-go/reflect2"
    cp -r "$reflect2" "$work/src/vendor/github.com/modern-go/reflect2"

    say "building ${BINARIES[*]} (6 to 10 minutes on 2 cores)"
    local started=$SECONDS
    (
        cd "$work/src"
        # Kubernetes 1.20 builds in GOPATH mode from its vendor tree. Its build already
        # strips (-s -w) and trims paths; GOCACHE goes with the work dir.
        mkdir -p .go/src/k8s.io
        ln -sfn ../../.. .go/src/k8s.io/kubernetes
        export GOPATH="$PWD/.go" GOCACHE="$work/go-cache" CGO_ENABLED=0 GOPROXY=off
        make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2
    ) || die "the build failed (see above); the work dir is removed"
    say "built in $((SECONDS - started)) s"

    rm -rf "$dest.partial"
    mkdir -p "$dest.partial"
    local b
    for b in "${BINARIES[@]}"; do
        install -m 0755 "$work/src/_output/bin/$b" "$dest.partial/$b"
    done
    printf '%s\n' "$version" >"$dest.partial/VERSION"
    rm -rf "$dest"
    mv "$dest.partial" "$dest"
    rm -rf "$work"
    trap - EXIT
    printf '%s\n' "$dest"
}

# Prints the directory holding the binaries, building them first if needed.
cmd_build() {
    ensure_packages "${RUN_PACKAGES[@]}"
    if [ -n "${KUBECTL_INJECT_K8S_BIN:-}" ]; then
        have_binaries "$KUBECTL_INJECT_K8S_BIN" ||
            die "KUBECTL_INJECT_K8S_BIN=$KUBECTL_INJECT_K8S_BIN lacks ${BINARIES[*]}"
        printf '%s\n' "$KUBECTL_INJECT_K8S_BIN"
        return 0
    fi
    local dest
    dest="$(cache_dir)"
    if ! have_binaries "$dest"; then
        mkdir -p "$CACHE_ROOT"
        # Teammates and CI share the machine and its cache: one build at a time.
        exec 9>"$CACHE_ROOT/.lock"
        flock 9
        have_binaries "$dest" || dest="$(build_binaries "$VERSION")"
        exec 9>&-
    fi
    printf '%s\n' "$dest"
}

# --- run ------------------------------------------------------------------------------------

state=''
pids=()
admin_token=''
user_token=''
cm_token=''

# Prints N distinct free loopback ports, asking the kernel (bind port 0, all held at once).
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# Starts a server in the background with its log in the state dir. Where setpriv can, the
# server gets SIGTERM should this script die without running its trap (SIGKILL).
spawn() {
    local name="$1"
    shift
    local guard=()
    if setpriv --help 2>/dev/null | grep -q -- --pdeathsig; then
        guard=(setpriv --pdeathsig TERM --)
    fi
    "${guard[@]}" "$@" >"$state/logs/$name.log" 2>&1 &
    pids+=("$!")
}

stop_all() {
    local i j pid
    # Reverse order, one at a time: kube-apiserver drains in ~1 s after SIGTERM while etcd
    # is up, but takes 20 s when etcd is gone first. Anything slower than 10 s is killed.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        pid="${pids[i]}"
        kill -TERM "$pid" 2>/dev/null || true
        for ((j = 0; j < 200; j++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    stop_all
    if [ -n "$state" ]; then
        if [ "${KUBECTL_INJECT_K8S_KEEP:-}" = 1 ]; then
            say "kept $state"
        else
            rm -rf "$state"
        fi
    fi
    exit "$rc"
}

show_logs() {
    local f
    for f in "$state"/logs/*.log; do
        [ -e "$f" ] || continue
        say "--- last lines of $(basename "$f") ---"
        tail -n 25 "$f" >&2
    done
}

# Polls until `curl ARGS` succeeds or TIMEOUT seconds pass; fails early if a server died.
wait_for() {
    local what="$1" timeout="$2"
    shift 2
    local deadline=$((SECONDS + timeout)) pid
    until curl -fsS -o /dev/null --max-time 2 "$@" 2>/dev/null; do
        for pid in "${pids[@]}"; do
            kill -0 "$pid" 2>/dev/null || {
                say "a server exited while waiting for $what"
                return 1
            }
        done
        [ "$SECONDS" -lt "$deadline" ] || {
            say "timed out after ${timeout} s waiting for $what"
            return 1
        }
        sleep 0.2
    done
}

write_pki() {
    local pki="$state/pki"
    mkdir -p "$pki"
    (
        cd "$pki"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
            -subj '/CN=kubectl-inject-test-ca' 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
            -subj '/CN=kube-apiserver' 2>/dev/null
        printf '%s\n' \
            'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc' \
            'basicConstraints=CA:FALSE' \
            'keyUsage=critical,digitalSignature,keyEncipherment' \
            'extendedKeyUsage=serverAuth' >server.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out server.crt -days 2 -extfile server.ext 2>/dev/null
        openssl genrsa -out sa.key 2048 2>/dev/null
        openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    ) || die "openssl failed to make the test PKI"
}

# Writes a kubeconfig: OUT SERVER, then CONTEXT USER TOKEN triples; the first is current.
write_kubeconfig() {
    local out="$1" server="$2" ca
    shift 2
    ca="$(base64 -w0 <"$state/pki/ca.crt")"
    {
        printf '%s\n' 'apiVersion: v1' 'kind: Config' 'clusters:' \
            '- name: kubectl-inject-test' '  cluster:' "    server: $server" \
            "    certificate-authority-data: $ca" "current-context: $1" 'users:'
        local args=("$@")
        while [ "$#" -ge 3 ]; do
            printf '%s\n' "- name: $2" '  user:' "    token: $3"
            shift 3
        done
        printf '%s\n' 'contexts:'
        set -- "${args[@]}"
        while [ "$#" -ge 3 ]; do
            printf '%s\n' "- name: $1" '  context:' '    cluster: kubectl-inject-test' \
                "    user: $2" '    namespace: default'
            shift 3
        done
    } >"$out"
}

# Starts etcd, kube-apiserver and kube-controller-manager; returns non-zero (logs left in
# place) when they do not come up.
start_control_plane() {
    local bin="$1" etcd_port peer_port api_port
    read -r etcd_port peer_port api_port <<<"$(free_ports 3)"
    local etcd_url="http://127.0.0.1:$etcd_port" peer_url="http://127.0.0.1:$peer_port"
    local server="https://127.0.0.1:$api_port"
    local auth=(--cacert "$state/pki/ca.crt" -H "Authorization: Bearer $admin_token")
    rm -rf "$state/etcd" "$state/logs"
    mkdir -p "$state/logs"

    spawn etcd etcd --name test --data-dir "$state/etcd" \
        --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
        --listen-peer-urls "$peer_url" --initial-advertise-peer-urls "$peer_url" \
        --initial-cluster "test=$peer_url" --initial-cluster-state new \
        --unsafe-no-fsync --log-level warn
    wait_for etcd 30 "$etcd_url/health" || return 1

    # One audit event per request (metadata only): tests count the requests a command made.
    printf 'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n' \
        >"$state/audit-policy.yaml"
    spawn kube-apiserver "$bin/kube-apiserver" \
        --etcd-servers="$etcd_url" \
        --audit-policy-file="$state/audit-policy.yaml" --audit-log-path="$state/audit.log" \
        --audit-log-format=json --audit-log-mode=blocking \
        --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
        --secure-port="$api_port" --insecure-port=0 --cert-dir="$state/pki" \
        --tls-cert-file="$state/pki/server.crt" --tls-private-key-file="$state/pki/server.key" \
        --token-auth-file="$state/tokens.csv" \
        --authorization-mode=RBAC \
        --service-account-issuer=https://kubernetes.default.svc \
        --service-account-key-file="$state/pki/sa.pub" \
        --service-account-signing-key-file="$state/pki/sa.key" \
        --service-cluster-ip-range=10.96.0.0/16 \
        --disable-admission-plugins=ServiceAccount \
        --allow-privileged=true --profiling=false
    wait_for kube-apiserver 90 "${auth[@]}" "$server/readyz" || return 1

    write_kubeconfig "$state/controller-manager.kubeconfig" "$server" \
        kube-controller-manager system:kube-controller-manager "$cm_token"
    # --kube-api-qps: the default 20 QPS throttled the ReplicaSet controller (bench-cluster.sh).
    spawn kube-controller-manager "$bin/kube-controller-manager" \
        --kubeconfig="$state/controller-manager.kubeconfig" \
        --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 --port=0 \
        --service-account-private-key-file="$state/pki/sa.key" \
        --root-ca-file="$state/pki/ca.crt" \
        --use-service-account-credentials=false \
        --kube-api-qps=500 --kube-api-burst=1000 \
        --controllers='*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-route,-service' \
        --profiling=false
    # The serviceaccount controller makes `default` in every namespace: once it exists,
    # the controllers (namespace deletion, ReplicaSets, tokens) are running.
    wait_for 'the default service account' 60 "${auth[@]}" \
        "$server/api/v1/namespaces/default/serviceaccounts/default" || return 1

    # The admin context is current; the user's has no RBAC bindings at all (only what every
    # authenticated user gets), for 403 tests.
    write_kubeconfig "$state/kubeconfig" "$server" \
        "$ADMIN_CONTEXT" admin "$admin_token" "$USER_CONTEXT" "$USER_NAME" "$user_token"
}

cmd_run() {
    [ "${1:-}" = -- ] && shift
    [ "$#" -gt 0 ] || die "usage: $0 run -- COMMAND [ARG...]"
    local bin
    bin="$(cmd_build)"
    command -v etcd >/dev/null || die "etcd is not on PATH (Debian package etcd-server)"

    trap on_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    state="$(mktemp -d "${TMPDIR:-/tmp}/kubectl-inject-apiserver.XXXXXX")"
    local started=$SECONDS
    admin_token="$(openssl rand -hex 24)"
    user_token="$(openssl rand -hex 24)"
    cm_token="$(openssl rand -hex 24)"
    write_pki
    # token,user,uid,"groups". The controller manager runs every controller under its own
    # identity (no per-controller service accounts), so it is in system:masters too.
    printf '%s\n' \
        "$admin_token,admin,admin,\"system:masters\"" \
        "$cm_token,system:kube-controller-manager,kube-controller-manager,\"system:masters\"" \
        "$user_token,$USER_NAME,$USER_NAME" >"$state/tokens.csv"

    local attempt
    for attempt in 1 2 3; do
        start_control_plane "$bin" && break
        # Another process may have taken a port between asking and binding: retry then.
        if [ "$attempt" -lt 3 ] && grep -qs 'address already in use' "$state"/logs/*.log; then
            say "a port was taken meanwhile; retrying"
            stop_all
            continue
        fi
        show_logs
        die "the control plane did not start (logs above)"
    done
    say "control plane ready in $((SECONDS - started)) s; KUBECONFIG=$state/kubeconfig"

    export KUBECONFIG="$state/kubeconfig"
    export KUBECTL_INJECT_TEST_CLUSTER=1
    export KUBECTL_INJECT_TEST_USER_CONTEXT="$USER_CONTEXT"
    export KUBECTL_INJECT_TEST_AUDIT_LOG="$state/audit.log"
    set +e
    "$@"
    local rc=$?
    set -e
    exit "$rc"
}

case "${1:-}" in
build)
    cmd_build >/dev/null
    ;;
cache-dir)
    cache_dir
    ;;
run)
    shift
    cmd_run "$@"
    ;;
*)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
