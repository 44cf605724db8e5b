#!/bin/sh
# `cairn status` (text) of a daemon serving Gateway API objects: the same
# Gateway API status lines as `cairn check` (object, listeners, parents,
# with file:line:col), and cairn's own located problems of a Gateway API
# object rather than its API conditions.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
unset CAIRN_STATE_DIRECTORY STATE_DIRECTORY 2>/dev/null || :
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
echo "1..4"
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
show() { sed 's/^/# /' "$1" | head -40; }

cp -R "$top_srcdir/tests/golden/gateway-status-reasons/input" "$tmp/src"
chmod -R u+w "$tmp/src"
(cd "$tmp/src" && "$CAIRN" check --source . >"$tmp/check.out" 2>&1)
CAIRN_STATE_DIRECTORY=$tmp/state "$CAIRN" serve --source "$tmp/src" \
	--xds 127.0.0.1:0 --admin 127.0.0.1:0 >"$tmp/serve.log" 2>&1 &
pid=$!
port=
i=0
while [ $i -lt 100 ] && [ -z "$port" ]; do
	port=$(sed -n 's/.*admin on port \([0-9]*\).*/\1/p' "$tmp/serve.log" | head -1)
	[ -n "$port" ] || sleep 0.1
	i=$((i + 1))
done
if [ -z "$port" ]; then
	not_ok "cairn serve started"; show "$tmp/serve.log"
	exit 1
fi
ok "cairn serve started"
"$CAIRN" status --admin "127.0.0.1:$port" >"$tmp/status.out" 2>&1

grep ': status: ' "$tmp/check.out" | sort >"$tmp/want"
grep ': status: ' "$tmp/status.out" | sort >"$tmp/got"
if [ -s "$tmp/want" ] && diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
	ok "cairn status prints every Gateway API status line cairn check prints ($(wc -l <"$tmp/want") lines)"
else
	not_ok "cairn status prints every Gateway API status line cairn check prints"
	show "$tmp/diff"; show "$tmp/status.out"
fi
if grep -q "routes.yaml:24:5: invalid: HTTPRoute infra/no-such-gateway: parentRef Gateway infra/missing: no such Gateway served by cairn (NoMatchingParent)" "$tmp/status.out"; then
	ok "an invalid route's located problem, with file:line:col"
else
	not_ok "an invalid route's located problem, with file:line:col"; show "$tmp/status.out"
fi
if grep -q "status: Gateway infra/same-namespace: listener http: attachedRoutes=" "$tmp/status.out" &&
    grep -q "status: HTTPRoute infra/ref-not-permitted: parent Gateway infra/same-namespace sectionName=http: Accepted=True (Accepted), ResolvedRefs=False (RefNotPermitted)" "$tmp/status.out"; then
	ok "listeners with attachedRoutes and parents with sectionName and reasons"
else
	not_ok "listeners with attachedRoutes and parents with sectionName and reasons"; show "$tmp/status.out"
fi
