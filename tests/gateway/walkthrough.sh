#!/bin/sh
# examples/gateway-api/README.md, run as written (TAP): its ```sh blocks, in
# order, in one shell (tests/lib/md-blocks.sh), from a scratch copy of the
# checkout's examples/, with the build tree's cairn first on PATH, the
# daemon on ports the kernel picks and a scratch state directory; each
# ```text block must be what the block before it printed. Then what the
# files the walkthrough wrote say.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
. "$top_srcdir/tests/git/lib.sh"
. "$top_srcdir/tests/lib/md-blocks.sh"

readme="$top_srcdir/examples/gateway-api/README.md"
blocks=$(md_extract "$readme" "" "$tmp/md")
expects=$(ls "$tmp/md" | grep -c '^expect\.[0-9]*$')
echo "1..$((4 + expects))"
co="$tmp/checkout"
mkdir -p "$co" "$tmp/state"
cp -R "$top_srcdir/examples" "$co/"
cairn_dir=$(cd "$(dirname "$CAIRN")" && pwd)
(
	PATH="$cairn_dir:$PATH" XDS=127.0.0.1:0 ADMIN=127.0.0.1:0
	CAIRN_STATE_DIRECTORY="$tmp/state"
	export PATH XDS ADMIN CAIRN_STATE_DIRECTORY
	cd "$co" && timeout 60 sh -c '. "$1"; md_run "$2"' sh \
		"$top_srcdir/tests/lib/md-blocks.sh" "$tmp/md"
) >"$tmp/out" 2>&1
rc=$?
# Whatever happened, the daemon it started must not outlive the test.
if [ -f "$co/cairn.pid" ]; then
	daemons="$daemons $(cat "$co/cairn.pid")"
fi

b=$(cat "$tmp/md/progress" 2>/dev/null || echo 0)
if [ "$blocks" -gt 0 ] && [ $rc -eq 0 ] && [ "$b" = "$blocks" ]; then
	ok "all $blocks shell blocks run as written"
else
	not_ok "all $blocks shell blocks run as written (exit $rc in block $b, README line $(cat "$tmp/md/$b.line" 2>/dev/null))"
	show "$tmp/out" 20
	[ -f "$tmp/md/$b.out" ] && show "$tmp/md/$b.out" 40
fi
check "the Envoy bootstrap is JSON naming the Gateway in its node metadata" \
	python3 -c 'import json, sys; n = json.load(open(sys.argv[1]))["node"]; sys.exit(n["metadata"]["cairn.io/gateway"] != "shop/public")' \
	"$co/envoy.json"
check "the gRPC bootstrap is JSON naming the Gateway in its node metadata" \
	python3 -c 'import json, sys; n = json.load(open(sys.argv[1]))["node"]; sys.exit(n["metadata"]["cairn.io/gateway"] != "shop/public" or "locality" not in n)' \
	"$co/grpc-bootstrap.json"
# kill returns at once: give the daemon a moment to finish stopping.
i=0
while [ -f "$co/cairn.pid" ] && kill -0 "$(cat "$co/cairn.pid")" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
if [ -f "$co/cairn.pid" ] && ! kill -0 "$(cat "$co/cairn.pid")" 2>/dev/null &&
    grep -q "info: stopped" "$co/serve.log"; then
	ok "the daemon stopped when the walkthrough killed it"
else
	not_ok "the daemon stopped when the walkthrough killed it"
	[ -f "$co/serve.log" ] && show "$co/serve.log"
fi
for f in $(ls "$tmp/md" | grep '^expect\.[0-9]*$' | sort -t. -k2 -n); do
	n=${f#expect.}
	line=$(cat "$tmp/md/$n.line")
	if [ -f "$tmp/md/$n.out" ] && md_compare "$tmp/md" "$n" ""; then
		ok "block $n (README line $line) prints what the README shows"
	else
		not_ok "block $n (README line $line) prints what the README shows"
		[ -f "$tmp/md/$n.diff" ] && show "$tmp/md/$n.diff"
	fi
done
[ "$tap_failed" -eq 0 ]
