#!/bin/sh
# 3,000 HTTPRoutes, each its own hostname, on one Gateway listener: the
# Gateway's virtual hosts take memory in proportion to their routes (a
# vhost sized for every later route of its port would be quadratic, about
# 1.5 GB here): cairn check must finish within 600 MB of address space,
# and the Gateway serve all 3,000 hosts.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..2"
g=$top_srcdir/tests/golden/gateway-httproute-timeouts-retry/input
mkdir -p "$tmp/src/infra"
cp "$g/gatewayclass.yaml" "$tmp/src/"
cp "$g/infra/backends.yaml" "$g/infra/gateway.yaml" "$tmp/src/infra/"
sed -i 's/from: Same/from: All/' "$tmp/src/infra/gateway.yaml"
i=0
while [ $i -lt 3000 ]; do
	printf -- '---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r%d, namespace: infra}\nspec:\n  parentRefs: [{name: same-namespace}]\n  hostnames: [r%d.example.com]\n  rules:\n  - backendRefs: [{name: infra-backend-v1, port: 8080}]\n' $i $i
	i=$((i + 1))
done >"$tmp/src/infra/routes.yaml"
# ASan reserves terabytes of address space for its shadow memory: under a
# sanitizer (CAIRN_SANITIZED) no bound applies (LeakSanitizer judges).
vlimit=600000
[ -z "${CAIRN_SANITIZED:-}" ] || vlimit=unlimited
(ulimit -v $vlimit && "$CAIRN" check --source "$tmp/src" >"$tmp/check.out" 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -q "^3008 objects, 3008 valid" "$tmp/check.out"; then
	echo "ok 1 - cairn check of 3,000 HTTPRoutes on one listener within 600 MB"
else
	echo "not ok 1 - cairn check of 3,000 HTTPRoutes on one listener within 600 MB (exit $rc)"
	tail -3 "$tmp/check.out" | sed 's/^/# /'
fi
n=$( (ulimit -v $vlimit && "$CAIRN" dump --no-state --gateway infra/same-namespace \
	--source "$tmp/src" --type rds --format json 2>/dev/null) |
	${PYTHON3:-python3} -c '
import json, sys
# The port RouteConfiguration (gw/...) only: proxyless clients get one more
# per hostname (<host> and <host>:<port>), each with one virtual host.
print(sum(len(r.get("virtual_hosts", [])) for r in json.load(sys.stdin)["routes"]
    if r["name"].startswith("gw/")))' 2>/dev/null)
if [ "${n:-0}" -eq 3000 ]; then
	echo "ok 2 - its RouteConfiguration has 3,000 virtual hosts"
else
	echo "not ok 2 - its RouteConfiguration has 3,000 virtual hosts ($n)"
fi
