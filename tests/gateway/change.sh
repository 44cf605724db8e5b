#!/bin/sh
# A change only Gateway nodes see (an HTTPRoute edited: the default
# snapshot stays the same) in the daemon's one-line change log and on
# GET /debug/diff and /debug/diff.json, as `cairn diff` shows it.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
case_dir="$top_srcdir/tests/golden/gateway-httproute-simple/input"
echo "1..4"
. "$top_srcdir/tests/lib/serve-admin.sh"
mkdir "$tmp/served"
cp -r "$case_dir/." "$tmp/served/"
serve_start --source "$tmp/served"

# The route gets a path match: the Gateway's route configuration changes,
# nothing a node naming no Gateway receives, no status.
cat >>"$tmp/served/infra/route.yaml" <<'YAML'
    matches:
    - path: {type: PathPrefix, value: /only-here}
YAML
for _ in $(seq 100); do
	grep -q "change .*the plan: GET /debug/diff" "$tmp/log" && break
	sleep 0.1
done
check "the change line names the Gateway and what changed for it" \
	grep -q 'change .*: Gateway infra/same-namespace: 1 route configuration changed (the plan: GET /debug/diff)$' "$tmp/log" ||
	show "$tmp/log"
curl -s "http://$admin/debug/diff" >"$tmp/web"
check "GET /debug/diff shows the Gateway's plan" \
	grep -q '^Gateway infra/same-namespace (nodes with cairn.io/gateway: infra/same-namespace)$' "$tmp/web"
check "GET /debug/diff: the added match, under the Gateway" \
	grep -q '^ .*/only-here' "$tmp/web"
curl -s "http://$admin/debug/diff.json" >"$tmp/web.json"
check "GET /debug/diff.json has the plan under gateways" \
	python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); sys.exit(0 if "infra/same-namespace" in p.get("gateways", {}) else 1)' "$tmp/web.json"
