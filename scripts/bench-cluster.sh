#!/usr/bin/env bash
# Live `check -A` at scale on the real test API server: 10,000 pods over 200 namespaces
# (created directly; no scheduler is needed), then the wall time of `check -A` and the
# number of requests it made, counted from the API server's audit log.
#   scripts/bench-cluster.sh [NAMESPACES] [PODS_PER_NAMESPACE]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--inner" ]; then
    cargo build --release -q
    exec scripts/test-apiserver.sh run -- "$0" --inner "${1:-200}" "${2:-50}"
fi
namespaces=$2 per=$3
bin=target/release/kubectl-inject

echo "bench-cluster: creating $namespaces namespaces x $per pods" >&2
start=$(date +%s.%N)
python3 - "$namespaces" "$per" <<'PY' | xargs -P 4 -n 1 sh -c 'kubectl create -f "$0" >/dev/null'
import json, os, sys, tempfile
namespaces, per = int(sys.argv[1]), int(sys.argv[2])
out = tempfile.mkdtemp()
for n in range(namespaces):
    ns = f"bench-{n:03d}"
    items = [{"apiVersion": "v1", "kind": "Namespace",
              "metadata": {"name": ns, "labels": {"istio-injection": "enabled"} if n % 2 == 0 else {}}}]
    path = os.path.join(out, f"{ns}-ns.json")
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(path, "w"))
    print(path)
PY
python3 - "$namespaces" "$per" <<'PY' | xargs -P 4 -n 1 sh -c 'kubectl create -f "$0" >/dev/null'
import json, os, sys, tempfile
namespaces, per = int(sys.argv[1]), int(sys.argv[2])
out = tempfile.mkdtemp()
for n in range(namespaces):
    ns = f"bench-{n:03d}"
    items = [{"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": f"p{i:03d}", "namespace": ns, "labels": {"app": f"a{i % 5}"}},
              "spec": {"containers": [{"name": "app", "image": "nginx"}]}} for i in range(per)]
    path = os.path.join(out, f"{ns}-pods.json")
    json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(path, "w"))
    print(path)
PY
created=$(kubectl get pods -A --no-headers 2>/dev/null | wc -l)
echo "bench-cluster: $created pods in $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s" >&2

before=$(wc -l <"$KUBECTL_INJECT_TEST_AUDIT_LOG")
t0=$(date +%s.%N)
set +e
"$bin" check -A -o json >/tmp/bench-cluster.json
code=$?
set -e
t1=$(date +%s.%N)
sleep 1 # the audit log is written as each response completes
python3 - "$KUBECTL_INJECT_TEST_AUDIT_LOG" "$before" "$t0" "$t1" "$code" <<'PY'
import json, sys, collections
log, before, t0, t1, code = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
events = [json.loads(l) for i, l in enumerate(open(log)) if i >= before]
ours = [e for e in events if e.get("userAgent", "").startswith("kubectl-inject/")]
by = collections.Counter(f'{e["verb"]} {e.get("objectRef", {}).get("resource", "?")}' for e in ours)
report = json.load(open("/tmp/bench-cluster.json"))
rows = len(report["items"])
pods = sum(len(i["pods"]) for i in report["items"])
print(f"check -A: {t1 - t0:.2f} s wall, {len(ours)} requests, {rows} rows, {pods} pods compared, exit {code}")
for k, v in sorted(by.items()):
    print(f"  {v:4d}  {k}")
PY
