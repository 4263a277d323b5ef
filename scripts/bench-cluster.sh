#!/usr/bin/env bash
# Live `check -A` at scale on the real test API server, the way clusters look: Deployments
# whose pods the controller-manager creates (no scheduler is needed), half of the namespaces
# labelled istio-injection=enabled with their Deployments injected by `inject` (so every
# injected pod is re-rendered for template drift, once per pod template), one plain
# Deployment there (missing sidecars) and one injected one in an unlabelled namespace
# (unexpected sidecars). The injector's ConfigMaps hold the embedded default configuration.
#
# Prints, per binary: the wall time of `check -A -o json`, its peak RSS, the number of API
# requests it made (from the API server's audit log), and what it found.
#
#   scripts/bench-cluster.sh [PODS]          10000 by default; 50 pods per namespace
#   BASELINE=<git revision> scripts/bench-cluster.sh [PODS]
#       also measures that revision's binary on the same cluster, in the same run (built
#       once, cached under the test cache directory)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--inner" ]; then
    cargo build --release -q
    bins=("$PWD/target/release/kubectl-inject")
    if [ -n "${BASELINE:-}" ]; then
        rev=$(git rev-parse --short "$BASELINE")
        cache="$(scripts/test-apiserver.sh cache-dir)/../bench-baseline-$rev"
        if [ ! -x "$cache/kubectl-inject" ]; then
            echo "bench-cluster: building the baseline $rev" >&2
            src=$(mktemp -d)
            git worktree add -q --detach "$src" "$rev"
            (cd "$src" && cargo build --release -q --target-dir "$src/target")
            mkdir -p "$cache"
            cp "$src/target/release/kubectl-inject" "$cache/"
            git worktree remove --force "$src"
        fi
        bins=("$cache/kubectl-inject" "${bins[@]}")
    fi
    exec scripts/test-apiserver.sh run -- "$0" --inner "${1:-10000}" "${bins[@]}"
fi
shift
pods=$1
shift
per=50
namespaces=$(((pods + per - 1) / per))
new=${*: -1} # the binary of this checkout renders the injected templates
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "bench-cluster: $namespaces namespaces x $per pods (5 Deployments x 10 replicas)" >&2
start=$(date +%s.%N)
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
root = "src/config/default"
template = open(f"{root}/sidecar.tmpl").read()
config = "policy: enabled\ntemplates:\n  sidecar: |\n" + "".join(
    f"    {l}\n" if l else "\n" for l in template.split("\n"))
items = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}},
    {"apiVersion": "v1", "kind": "ConfigMap",
     "metadata": {"name": "istio-sidecar-injector", "namespace": "istio-system"},
     "data": {"config": config, "values": open(f"{root}/values.json").read()}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"},
     "data": {"mesh": open(f"{root}/mesh.yaml").read()}},
]
def hook(name, ns, obj):
    return {"name": name, "clientConfig": {"url": "https://127.0.0.1:1/inject"},
            "failurePolicy": "Ignore", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "timeoutSeconds": 2,
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "namespaceSelector": {"matchExpressions": ns}, "objectSelector": {"matchExpressions": obj}}
items.append({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
    "metadata": {"name": "istio-sidecar-injector", "labels": {"istio.io/rev": "default", "app": "sidecar-injector"}},
    "webhooks": [hook("namespace.sidecar-injector.istio.io",
                      [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}],
                      [{"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}])]})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(f"{work}/injector.json", "w"))
PY
kubectl create -f "$work/injector.json" >/dev/null

python3 - "$work" "$namespaces" <<'PY'
import json, sys
work, namespaces = sys.argv[1], int(sys.argv[2])
meshed, plain = [], []
for n in range(namespaces):
    ns = f"bench-{n:04d}"
    labelled = n % 2 == 0
    plain.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns,
        "labels": {"istio-injection": "enabled"} if labelled else {}}})
    for d in range(5):
        app = f"app{d}"
        dep = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": app, "namespace": ns},
               "spec": {"replicas": 10, "selector": {"matchLabels": {"app": app}},
                        "template": {"metadata": {"labels": {"app": app, "version": "v1"}},
                                     # Set as the ServiceAccount admission plugin (off on
                                     # the test server) would: the proxy's projected token
                                     # volume needs it.
                                     "spec": {"serviceAccountName": "default", "containers": [{"name": "app", "image": f"example/{app}:1",
                                              "ports": [{"containerPort": 8080}],
                                              "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}}}]}}}}
        # Labelled namespaces: injected, but for one plain Deployment (missing sidecars);
        # unlabelled ones: plain, but for one injected Deployment (unexpected sidecars).
        injected = (labelled and d != 4) or (not labelled and d == 0)
        (meshed if injected else plain).append(dep)
json.dump({"apiVersion": "v1", "kind": "List", "items": plain}, open(f"{work}/plain.json", "w"))
json.dump({"apiVersion": "v1", "kind": "List", "items": meshed}, open(f"{work}/meshed.json", "w"))
PY
"$new" inject --native-sidecars=false -o json -f "$work/meshed.json" >"$work/injected.json" 2>/dev/null
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def flat(items):
    for i in items:
        if i.get("kind") == "List":
            yield from flat(i.get("items", []))
        else:
            yield i
def split(name):
    items = list(flat(json.load(open(f"{work}/{name}.json"))["items"]))
    nss = [i for i in items if i["kind"] == "Namespace"]
    rest = [i for i in items if i["kind"] != "Namespace"]
    if nss:
        json.dump({"apiVersion": "v1", "kind": "List", "items": nss}, open(f"{work}/namespaces.json", "w"))
    for k in range(0, len(rest), 100):
        json.dump({"apiVersion": "v1", "kind": "List", "items": rest[k:k + 100]},
                  open(f"{work}/{name}-{k // 100:04d}.json", "w"))
split("plain")
split("injected")
PY
kubectl create -f "$work/namespaces.json" >/dev/null
ls "$work"/plain-*.json "$work"/injected-*.json | xargs -P 4 -n 1 sh -c 'kubectl create -f "$0" >/dev/null'
echo "bench-cluster: waiting for the controller-manager to create $pods pods" >&2
while :; do
    have=$(kubectl get pods -A --no-headers 2>/dev/null | wc -l)
    [ "$have" -ge "$pods" ] && break
    sleep 5
done
echo "bench-cluster: $have pods in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s" >&2

for bin in "$@"; do
    before=$(wc -l <"$KUBECTL_INJECT_TEST_AUDIT_LOG")
    t0=$(date +%s.%N)
    set +e
    /usr/bin/time -f '%M' -o "$work/rss" "$bin" check -A -o json >"$work/report.json" 2>"$work/stderr"
    code=$?
    set -e
    t1=$(date +%s.%N)
    sleep 1 # the audit log is written as each response completes
    python3 - "$KUBECTL_INJECT_TEST_AUDIT_LOG" "$before" "$t0" "$t1" "$code" "$work" "$bin" <<'PY'
import json, sys, collections
log, before, t0, t1, code, work, binary = sys.argv[1:8]
events = [json.loads(l) for i, l in enumerate(open(log)) if i >= int(before)]
ours = [e for e in events if e.get("userAgent", "").startswith("kubectl-inject/")]
by = collections.Counter(f'{e["verb"]} {e.get("objectRef", {}).get("resource", "?")}' for e in ours)
rss = int(open(f"{work}/rss").read().split()[-1]) / 1024
report = json.load(open(f"{work}/report.json"))
rows = len(report["items"])
pods = [p for i in report["items"] for p in i["pods"]]
def kind(p):
    d = p.get("drift")
    if d is None:
        return None
    return d["kind"] if isinstance(d, dict) else d.split(":")[0]
drift = collections.Counter(k for k in map(kind, pods) if k)
print(f"{binary}")
print(f"  check -A: {float(t1) - float(t0):.2f} s wall, {rss:.0f} MiB peak RSS, {len(ours)} requests, "
      f"{rows} rows, {len(pods)} pods compared, exit {code}")
print(f"  drift: {dict(sorted(drift.items()))}")
# One example of each kind, so a surprising count can be read at once.
seen = set()
for i in report["items"]:
    for p in i["pods"]:
        k = kind(p)
        if k and k not in seen:
            seen.add(k)
            print(f"    e.g. {i.get('namespace', '')}/{p.get('name', '')}: {json.dumps(p['drift'])[:400]}")
for k, v in sorted(by.items()):
    print(f"    {v:5d}  {k}")
PY
done
