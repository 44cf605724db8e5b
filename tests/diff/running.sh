#!/bin/sh
# `cairn diff --running` against a real `cairn serve`, and what the last
# change did on the admin endpoint (issue #19): GET /debug/diff (text),
# /debug/diff.json and the "last_change" summary in /status.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
case_dir="$top_srcdir/tests/diff/routes"
echo "1..9"
i=0
ok() { i=$((i + 1)); echo "ok $i - $*"; }
not_ok() { i=$((i + 1)); echo "not ok $i - $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
show() { sed 's/^/# /' "$1" | head -40; }

tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/served"
cp -r "$case_dir/old/." "$tmp/served/"
"$CAIRN" serve --source "$tmp/served" --xds 127.0.0.1:0 --admin 127.0.0.1:0 \
	--log-level debug >"$tmp/log" 2>&1 &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*admin on port \([0-9]*\).*/\1/p' "$tmp/log" | head -1)
	[ -n "$port" ] && grep -q "initial build" "$tmp/log" && break
	sleep 0.1
done
if [ -z "$port" ]; then
	echo "Bail out! cairn serve did not start"; show "$tmp/log"; exit 1
fi
admin=127.0.0.1:$port

# 1. nothing edited: no plan
"$CAIRN" diff --source "$tmp/served" --running --admin "$admin" >"$tmp/d0" 2>&1
rc=$?
check "the tree the daemon serves: exit 0, empty output ($rc)" test $rc -eq 0 -a ! -s "$tmp/d0"
check "before any change /debug/diff says so (and /debug/diff.json is 404)" \
	sh -c "curl -s 'http://$admin/debug/diff' | grep -q 'no change since the daemon started' &&
	    test \"\$(curl -s -o /dev/null -w '%{http_code}' 'http://$admin/debug/diff.json')\" = 404"

# 2. the edited tree against the running daemon: the same plan as the
# two directories give (tests/diff/routes/expected.txt)
"$CAIRN" diff --source "$case_dir/new" --running --admin "$admin" --color never >"$tmp/d1" 2>"$tmp/e1"
rc=$?
tail -n +2 "$case_dir/expected.txt" >"$tmp/want"
if [ $rc -eq 1 ] && cmp -s "$tmp/want" "$tmp/d1"; then
	ok "--running shows what the save will do (exit 1)"
else
	not_ok "--running shows what the save will do ($rc)"; diff -u "$tmp/want" "$tmp/d1" | show /dev/stdin; show "$tmp/e1"
fi

# 3. save it: the daemon publishes, and its admin endpoint shows the change
from=$(grep -c "change " "$tmp/log")
cp "$case_dir/new/shop/app.yaml" "$tmp/served/shop/app.yaml"
for _ in $(seq 100); do
	grep -q "change .*1 route added" "$tmp/log" && break
	sleep 0.1
done
check "the daemon logs the change's summary once" \
	test "$(grep -c 'change .*: 1 route added, 1 route changed, 1 route removed on 1 host' "$tmp/log")" -eq 1
curl -s "http://$admin/debug/diff" >"$tmp/web"
if cmp -s "$tmp/want" "$tmp/web"; then
	ok "GET /debug/diff is the plan of the last change"
else
	not_ok "GET /debug/diff is the plan of the last change"; diff -u "$tmp/want" "$tmp/web" | show /dev/stdin
fi
curl -s "http://$admin/debug/diff.json" >"$tmp/web.json"
check "GET /debug/diff.json has the same summary" \
	grep -q '"text": "1 route added, 1 route changed, 1 route removed on 1 host, 1 cluster added, 1 endpoint set added"' "$tmp/web.json"
curl -s "http://$admin/status" >"$tmp/status.json"
check "/status carries the last change's summary" \
	grep -q '"summary": "1 route added, 1 route changed, 1 route removed on 1 host, 1 cluster added, 1 endpoint set added"' "$tmp/status.json"
"$CAIRN" diff --source "$tmp/served" --running --admin "$admin" >"$tmp/d2" 2>&1
rc=$?
check "after the save, the tree matches the daemon again ($rc)" test $rc -eq 0 -a ! -s "$tmp/d2"

# 4. no daemon there: exit 2 with a message
"$CAIRN" diff --source "$tmp/served" --running --admin 127.0.0.1:1 >"$tmp/d3" 2>&1
rc=$?
check "no daemon at --admin: exit 2 ($rc)" test $rc -eq 2
